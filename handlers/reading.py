"""/start, /help, /list and /show: reading what Kesu knows, by role."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.procedure.bounds import parse_id
from bot.services import complaints
from bot.services.complaints import Refusal
from bot.views import cards, keyboards
from bot.views.i18n import N_, gettext
from bot.views.render import render_messages
from handlers.common import Context, send_attachments, send_parts

NOT_REGISTERED = N_("You are not registered. /help")


async def help_command(update: Update, context: Context) -> None:
    me = complaints.whoami(context.services, context.caller)
    caller = context.caller
    parts = render_messages(
        "help.html",
        context.language,
        person=me.person,
        can_file=me.may_file,
        sees_all=me.sees_all,
        admin=me.manages_people,
        user_id=caller.telegram_id,
        chat_id=caller.chat_id,
    )
    webapp = context.services.config.webapp
    private = update.effective_chat is not None and update.effective_chat.type == "private"
    board = keyboards.dashboard(context.language, webapp.url, webapp.link, private=private)
    await send_parts(update, parts, board if webapp.enabled and me.person else None)


async def list_command(update: Update, context: Context) -> None:
    language = context.language
    page = parse_id(context.args[0]) if context.args else 1
    if page is None:
        await send_parts(update, [gettext(language, "Send it like this: /list 2 (the page)")])
        return
    found = await context.services.run(complaints.list_open, context.caller, page)
    if found.refusal is not None:
        await send_parts(update, [gettext(language, NOT_REGISTERED)])
        return
    title = N_("All open complaints") if found.all_of_them else N_("Your open complaints")
    parts = render_messages(
        "complaints/list.html",
        language,
        complaints=found.complaints,
        title=gettext(language, title),
        page=found.page,
        pages=found.pages,
        total=found.total,
        tz=context.services.config.timezone,
    )
    await send_parts(update, parts)


async def show_command(update: Update, context: Context) -> None:
    number = context.args[0] if context.args else ""
    shown = await context.services.run(
        complaints.show, complaints.ShowComplaint(context.caller, number)
    )
    language = context.language
    if shown.refusal is Refusal.NOT_REGISTERED:
        parts = [gettext(language, NOT_REGISTERED)]
    elif shown.refusal is Refusal.BAD_NUMBER:
        parts = [gettext(language, "Send it like this: /show KS-2026-0001")]
    elif shown.refusal is Refusal.NOT_FOUND or shown.complaint is None:
        parts = [gettext(language, "No complaint {number} for you.", number=shown.number)]
    else:
        tz = context.services.config.timezone
        events, deliveries = list(shown.events), list(shown.deliveries)
        parts = cards.complaint_show(
            shown.complaint, events, deliveries, language, tz, shown.plan, shown.meetings
        )
        # The disposition report as filled so far, then the letter and photos.
        parts += [m.text for m in cards.disposition_report(shown.complaint, language, tz)]
    keyboard = None
    if shown.complaint is not None and shown.may_file_major:
        keyboard = keyboards.file_major(language, shown.complaint.id)
    await send_parts(update, parts, keyboard)
    if shown.complaint is not None:
        await send_attachments(update, shown.complaint, language, context.services)


async def outside_conversation(update: Update, context: Context) -> None:
    """A private message that no conversation is waiting for."""
    text = N_("To file a complaint send /new; /help shows what you can do.")
    await send_parts(update, [gettext(context.language, text)])


async def new_in_group(update: Update, context: Context) -> None:
    text = N_("Complaints are filed in a private chat with the bot: open it and send /new.")
    await send_parts(update, [gettext(context.language, text)])


def handlers() -> list[BaseHandler[Update, Context, None]]:
    return [
        CommandHandler("new", new_in_group, filters=~filters.ChatType.PRIVATE),
        CommandHandler(["start", "help"], help_command),
        CommandHandler("list", list_command),
        CommandHandler("show", show_command),
        # After the intake conversation, which takes the messages it is waiting for.
        MessageHandler(filters.ChatType.PRIVATE & ~filters.COMMAND, outside_conversation),
    ]
