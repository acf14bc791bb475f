"""The per-update context: Kesu's services, who is asking and in which language.

Built once per update (PTB's custom CallbackContext, as in its contexttypesbot
example); the language comes from the people Kesu knows (kept in memory by the
services, changed with every commit), else the Telegram client, without a database
round trip.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.services.uow import Caller, Services
from bot.views.i18n import pick_language

KESU = "kesu"


class KesuContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application, chat_id, user_id)
        self._update: Update | None = None

    @classmethod
    def from_update(
        cls, update: object, application: Application[Any, Any, Any, Any, Any, Any]
    ) -> KesuContext:
        context = super().from_update(update, application)
        assert isinstance(context, KesuContext)
        if isinstance(update, Update):
            context._update = update
        return context

    @property
    def services(self) -> Services:
        found = self.bot_data[KESU]
        assert isinstance(found, Services)
        return found

    @property
    def caller(self) -> Caller:
        update = self._update
        user = update.effective_user if update else None
        chat = update.effective_chat if update else None
        return Caller(
            user.id if user else None,
            chat.id if chat else None,
            user.language_code if user else None,
        )

    @property
    def language(self) -> str:
        """The person's language: as they chose it, else their Telegram client, else the default."""
        services = self.services
        caller = self.caller
        known = services.known(caller.telegram_id)
        return pick_language(
            known.chosen if known else None,
            caller.client_language,
            services.config.default_language,
        )
