"""The event log: who did what, when, from where (chat, scheduler, cli)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from storage.models import Complaint, Event, Person


@dataclass(frozen=True)
class Actor:
    """Who did something and from where (chat, scheduler, cli)."""

    person: Person | None
    telegram_id: int | None
    source: str
    chat_id: int | None = None


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
