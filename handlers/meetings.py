"""/meetings, and the organiser's buttons: invite someone else, record the minutes."""

from __future__ import annotations

from telegram import Update
from telegram.error import Forbidden
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.services import meetings
from bot.services.steps import PromptKind
from bot.views import cards, keyboards
from bot.views.callbacks import (
    MEETING_INVITE,
    MEETING_MINUTES,
    BadCallback,
    InvitePress,
    MinutesPress,
    pattern,
)
from bot.views.i18n import N_, gettext
from bot.views.models import Message
from bot.views.render import render_messages
from handlers.common import Context, answer_stale, ask_to_start, edit_keyboard, send_parts, send_to
from handlers.steps import ask


async def meetings_command(update: Update, context: Context) -> None:
    found = await context.services.run(meetings.list_meetings, context.caller)
    language = context.language
    if not found.allowed:
        await send_parts(update, [gettext(language, N_("You are not registered. /help"))])
        return
    parts = render_messages(
        "meetings/list.html",
        language,
        meetings=found.meetings,
        tz=context.services.config.timezone,
    )
    await send_parts(update, parts)


async def on_minutes_button(update: Update, context: Context) -> None:
    """The minutes are asked for privately; whether the presser may record them is
    checked when they come (bot.services.meetings.record_minutes)."""
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    language = context.language
    try:
        pressed = MinutesPress.decode(query.data)
    except BadCallback:
        await answer_stale(query, language)
        return
    await query.answer()
    user = update.effective_user
    prompt = [pressed.meeting_id, PromptKind.MINUTES.value]
    try:
        await ask(context, user.id, cards.minutes_prompt(language), prompt)
    except Forbidden:
        await ask_to_start(update, context)


INVITED = {
    meetings.InviteResult.OK: None,
    meetings.InviteResult.INVITED: N_("Invited: the invitation and the agenda are on their way."),
    meetings.InviteResult.NOT_ALLOWED: N_("Only whoever may act on the meeting's step invites."),
    meetings.InviteResult.GONE: N_("This meeting has been held; nobody more is invited."),
}


async def on_invite_button(update: Update, context: Context) -> None:
    """ "Invite someone else" sends the people picker privately; a name in it invites."""
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    language = context.language
    try:
        pressed = InvitePress.decode(query.data)
    except BadCallback:
        await answer_stale(query, language)
        return
    found = await context.services.run(
        meetings.invite, meetings.Invite(context.caller, pressed.meeting_id, pressed.person_id)
    )
    said = INVITED[found.result]
    refused = found.result in (meetings.InviteResult.NOT_ALLOWED, meetings.InviteResult.GONE)
    await query.answer(gettext(language, said) if said else None, show_alert=refused)
    if refused:
        return
    keyboard = keyboards.invitees(language, found.meeting_id, found.people, found.invited)
    if pressed.person_id is not None:
        await edit_keyboard(query, keyboard)  # the picker itself: the name is ticked now
        return
    text = gettext(language, "Whom else to invite? Those ticked are invited.")
    try:
        await send_to(context, update.effective_user.id, Message(text, keyboard))
    except Forbidden:
        await ask_to_start(update, context)


def handlers() -> list[BaseHandler[Update, Context, None]]:
    return [
        CommandHandler("meetings", meetings_command),
        CallbackQueryHandler(on_minutes_button, pattern=pattern(MEETING_MINUTES)),
        CallbackQueryHandler(on_invite_button, pattern=pattern(MEETING_INVITE)),
    ]
