"""/meetings, and the organiser's button that asks for a meeting's minutes."""

from __future__ import annotations

from telegram import Update
from telegram.error import Forbidden
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.services import meetings
from bot.services.steps import PromptKind
from bot.views import cards
from bot.views.callbacks import MEETING_MINUTES, BadCallback, MinutesPress, pattern
from bot.views.i18n import N_, gettext
from bot.views.render import render_messages
from handlers.common import Context, answer_stale, send_parts
from handlers.steps import START_FIRST, ask


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
        await send_parts(update, [gettext(language, START_FIRST, name=user.first_name)])


def handlers() -> list[BaseHandler[Update, Context, None]]:
    return [
        CommandHandler("meetings", meetings_command),
        CallbackQueryHandler(on_minutes_button, pattern=pattern(MEETING_MINUTES)),
    ]
