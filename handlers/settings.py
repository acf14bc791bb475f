"""/settings: a person chooses whether to be pinged at night for everything."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.services import settings
from bot.services.settings import SetNightPings
from bot.views import cards
from bot.views.callbacks import SETTINGS, BadCallback, NightPingsPress, pattern
from bot.views.i18n import gettext
from handlers.common import Context, answer_stale, edit_text, send


async def settings_command(update: Update, context: Context) -> None:
    view = await context.services.run(settings.settings, context.caller)
    await send(update, cards.settings(view, context.language))


async def on_night_pings(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    language = context.language
    try:
        pressed = NightPingsPress.decode(query.data)
    except BadCallback:
        await answer_stale(query, language)
        return
    view = await context.services.run(
        settings.set_night_pings, SetNightPings(context.caller, pressed.on)
    )
    await query.answer(gettext(language, "Recorded."))
    shown = cards.settings(view, language)
    await edit_text(query, shown.text, shown.keyboard)


def handlers() -> list[BaseHandler[Update, Context, None]]:
    return [
        CommandHandler("settings", settings_command),
        CallbackQueryHandler(on_night_pings, pattern=pattern(SETTINGS)),
    ]
