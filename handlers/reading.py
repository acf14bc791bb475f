"""/start, /help, /list and /show: reading what Kesu knows, by role."""

from __future__ import annotations

from sqlalchemy.orm import Session
from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.i18n import gettext
from bot.procedure.numbering import format_number, parse_number
from bot.procedure.roles import may_file, sees_all
from bot.render import render_messages
from handlers.common import Context, asker, reply, send_parts, services
from storage import queries
from storage.models import Person


def _sees_all(person: Person) -> bool:
    return sees_all(person.role, person.is_admin)


def _can_file(person: Person) -> bool:
    return may_file(person.role, person.is_admin)


async def help_command(update: Update, context: Context) -> None:
    with services(context).sessions() as session:
        who = asker(update, context, session)
    person = who.person
    await reply(
        update,
        "help.html",
        who.language,
        person=person,
        can_file=bool(person and _can_file(person)),
        sees_all=bool(person and _sees_all(person)),
        user_id=who.telegram_id,
        chat_id=who.chat_id,
    )


async def list_command(update: Update, context: Context) -> None:
    svc = services(context)
    with svc.sessions() as session:
        who = asker(update, context, session)
        if who.person is None:
            parts = [gettext(who.language, "You are not registered. /help")]
        else:
            sees_all = _sees_all(who.person)
            complaints = queries.open_complaints(
                session, filed_by_id=None if sees_all else who.person.id
            )
            if sees_all:
                title = gettext(who.language, "All open complaints")
            else:
                title = gettext(who.language, "Your open complaints")
            parts = render_messages(
                "complaint_list.html",
                who.language,
                complaints=complaints,
                title=title,
                tz=svc.config.timezone,
            )
    await send_parts(update, parts)


async def show_command(update: Update, context: Context) -> None:
    svc = services(context)
    with svc.sessions() as session:
        parts = _show(update, context, session)
    await send_parts(update, parts)


def _show(update: Update, context: Context, session: Session) -> list[str]:
    who = asker(update, context, session)
    if who.person is None:
        return [gettext(who.language, "You are not registered. /help")]
    args = context.args or []
    parsed = parse_number(args[0]) if args else None
    if parsed is None:
        return [gettext(who.language, "Send it like this: /show KS-2026-0001")]
    number = format_number(*parsed)
    complaint = queries.complaint_by_number(session, number)
    if complaint is None or not (_sees_all(who.person) or complaint.filed_by_id == who.person.id):
        # The same answer for "does not exist" and "not yours": numbers are not secrets,
        # but their contents are.
        return [gettext(who.language, "No complaint {number} for you.", number=number)]
    deliveries = queries.outbox_for_complaint(session, complaint.id) if who.person.is_admin else []
    return render_messages(
        "complaint_show.html",
        who.language,
        c=complaint,
        events=queries.events_of(session, complaint.id),
        deliveries=[d for d in deliveries if d.status == queries.FAILED],
        owners=services(context).config.owner_map(),
        tz=services(context).config.timezone,
    )


async def outside_conversation(update: Update, context: Context) -> None:
    """A private message that no conversation is waiting for."""
    with services(context).sessions() as session:
        who = asker(update, context, session)
    await send_parts(
        update,
        [gettext(who.language, "To file a complaint send /new; /help shows what you can do.")],
    )


async def new_in_group(update: Update, context: Context) -> None:
    with services(context).sessions() as session:
        who = asker(update, context, session)
    await send_parts(
        update,
        [
            gettext(
                who.language,
                "Complaints are filed in a private chat with the bot: open it and send /new.",
            )
        ],
    )


def handlers() -> list[BaseHandler[Update, Context, None]]:
    return [
        CommandHandler("new", new_in_group, filters=~filters.ChatType.PRIVATE),
        CommandHandler(["start", "help"], help_command),
        CommandHandler("list", list_command),
        CommandHandler("show", show_command),
        # After the intake conversation, which takes the messages it is waiting for.
        MessageHandler(filters.ChatType.PRIVATE & ~filters.COMMAND, outside_conversation),
    ]
