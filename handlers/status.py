"""/status: how Kesu is doing, for the admins."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.services import health
from bot.views import cards
from bot.views.i18n import N_, gettext
from handlers.common import Context, send_parts

NOT_ALLOWED = N_("/status is for the admins.")


async def status_command(update: Update, context: Context) -> None:
    found = await context.services.run(health.status, context.caller)
    language = context.language
    if not found.allowed:
        await send_parts(update, [gettext(language, NOT_ALLOWED)])
        return
    await send_parts(update, cards.status(found, language, context.services.config.timezone))


def handlers() -> list[BaseHandler[Update, Context, None]]:
    return [CommandHandler("status", status_command)]
