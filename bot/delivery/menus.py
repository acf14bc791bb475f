"""The dashboard as the menu button of leadership's and QC's private chats (the button
beside the text field that opens the Mini App), set when Kesu starts."""

from __future__ import annotations

import logging

from telegram import Bot, MenuButtonWebApp, WebAppInfo
from telegram.error import TelegramError

from bot.services import dashboard
from bot.services.uow import Services
from bot.views.i18n import N_, gettext_plain

log = logging.getLogger(__name__)

LABEL = N_("📊 Dashboard")


async def set_dashboard_menus(bot: Bot, services: Services) -> int:
    """Each of them gets the button in their language; returns how many got it. Someone
    who never opened the bot's chat cannot have one yet (Telegram: chat not found)."""
    webapp = services.config.webapp
    if not webapp.enabled:
        return 0
    done = 0
    for telegram_id, language in await services.run(dashboard.menu_people):
        button = MenuButtonWebApp(gettext_plain(language, LABEL), WebAppInfo(webapp.url))
        try:
            await bot.set_chat_menu_button(chat_id=telegram_id, menu_button=button)
            done += 1
        except TelegramError as error:
            log.warning(
                "no dashboard menu button", extra={"chat": telegram_id, "error": str(error)}
            )
    return done
