"""The event log: who did what, when, from where (chat, scheduler, sender, cli)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.services.uow import Caller
from storage.models import Complaint, Event, Person


@dataclass(frozen=True)
class Actor:
    """Who did something and from where: the caller as the database knows them."""

    person: Person | None
    telegram_id: int | None
    source: str
    chat_id: int | None = None

    @classmethod
    def of(cls, caller: Caller, person: Person | None) -> Actor:
        return cls(person, caller.telegram_id, caller.source, caller.chat_id)


def log_event(
    session: Session,
    actor: Actor,
    action: str,
    at: datetime,
    complaint: Complaint | None = None,
    **detail: Any,
) -> Event:
    event = Event(
        at=at,
        complaint=complaint,
        actor=actor.person,
        actor_telegram_id=actor.telegram_id,
        source=actor.source,
        chat_id=actor.chat_id,
        action=action,
        detail=detail,
    )
    session.add(event)
    return event
