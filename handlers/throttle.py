"""Each person's pace, before anything else: a press or message past it is answered at
once, without the database, and goes no further (bot/procedure/flood.py)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop, BaseHandler, TypeHandler

from bot.views.i18n import N_, gettext, gettext_plain
from handlers.common import Context, reply_text

TOO_FAST_PRESS = N_("Too many presses at once: wait a moment, then press again.")
TOO_FAST_MESSAGE = N_("Too many messages at once: wait a moment, then send the last one again.")


async def pace(update: Update, context: Context) -> None:
    user = update.effective_user
    throttle = context.services.throttle
    if user is None or _group_talk(update) or throttle.allow(user.id):
        return
    query = update.callback_query
    if query is not None:
        # Every press is answered, this one too; nothing else is done for it.
        await query.answer(gettext_plain(context.language, TOO_FAST_PRESS))
    elif _private(update) and throttle.first_refusal(user.id):
        await reply_text(update, gettext(context.language, TOO_FAST_MESSAGE))
    raise ApplicationHandlerStop


def handler() -> BaseHandler[Update, Context, None]:
    return TypeHandler(Update, pace)


def _private(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type == "private"


def _group_talk(update: Update) -> bool:
    """A group's own talk, which the bot sees as the group's admin (to pin its board):
    Kesu does nothing with it, so it costs nobody's pace."""
    message = update.message
    if message is None or _private(update):
        return False
    return not (message.text or "").startswith("/")
