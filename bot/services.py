"""What the handlers and jobs share: configuration, sessions, clock, sender."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker
from telegram.ext import ContextTypes

from bot.config import KesuConfig
from bot.procedure.clock import Clock

if TYPE_CHECKING:
    from bot.outbox import OutboxSender


@dataclass
class Services:
    config: KesuConfig
    sessions: sessionmaker[Session]
    clock: Clock
    sender: OutboxSender | None = None

    def poke_sender(self) -> None:
        if self.sender is not None:
            self.sender.poke()


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    found = context.bot_data["services"]
    assert isinstance(found, Services)
    return found
