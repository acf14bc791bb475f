"""Approve / Refuse under an extension request (申请延期)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.services import extensions
from bot.services.extensions import Decide, DecideResult
from bot.views.callbacks import EXTENSION, BadCallback, ExtensionPress, pattern
from bot.views.i18n import N_, gettext
from handlers.common import Context, answer_stale, edit_keyboard

ANSWERS = {
    DecideResult.APPROVED: N_("Approved: the limit moves, and the asker is told."),
    DecideResult.REFUSED: N_("Refused: the limit stays, and the asker is told."),
}
REFUSALS = {
    DecideResult.DENIED: N_(
        "Only the plant's leading VP decides this (the GM for a VP's own step), or an admin."
    ),
    DecideResult.DECIDED: N_("This request has been decided already, or its step is closed."),
    DecideResult.NOT_FOUND: N_("This request no longer exists."),
}


async def on_decision(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    language = context.language
    try:
        pressed = ExtensionPress.decode(query.data)
    except BadCallback:
        await answer_stale(query, language)
        return
    result = await context.services.run(
        extensions.decide, Decide(context.caller, pressed.request_id, pressed.approve)
    )
    if result in REFUSALS:
        await query.answer(gettext(language, REFUSALS[result]), show_alert=True)
        if result is DecideResult.DECIDED:
            await edit_keyboard(query, None)
        return
    await query.answer(gettext(language, ANSWERS[result]))
    await edit_keyboard(query, None)  # decided: the buttons have done their work


def handlers() -> list[BaseHandler[Update, Context, None]]:
    return [CallbackQueryHandler(on_decision, pattern=pattern(EXTENSION))]
