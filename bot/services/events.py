"""The event log: who did what, when, from where (chat, scheduler, sender, cli)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.services.uow import SCHEDULER, Caller, UnitOfWork
from storage import queries
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


# After the verification: whether the FMEA / control plan was updated (the 8D's D7).
FMEA_ANSWERED = "fmea_answered"


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


REFUSED = "press_refused"
# A refused press is recorded once per person and step (or button) in this time: a flood
# of presses costs the flooder, not the complaint's history.
REFUSAL_QUIET = timedelta(hours=1)


def log_refusal(
    session: Session, actor: Actor, at: datetime, complaint: Complaint | None, **detail: Any
) -> None:
    key = detail.get("step") or detail.get("button")
    complaint_id = complaint.id if complaint else None
    since = at - REFUSAL_QUIET
    earlier = queries.events_by_since(session, REFUSED, actor.telegram_id, complaint_id, since)
    if any((e.detail.get("step") or e.detail.get("button")) == key for e in earlier):
        return
    log_event(session, actor, REFUSED, at, complaint, **detail)


def last_run(uow: UnitOfWork, action: str) -> datetime:
    """When a timed job (the daily tracking, the weekly agenda, the month-end register)
    last ran, from its events. The first time it is asked, the job is armed now (an
    event of its own), so its first due time stays put until it has run."""
    last = queries.last_event_at(uow.session, action)
    if last is None:
        log_event(uow.session, Actor.of(SCHEDULER, None), action, uow.now, armed=True)
        return uow.now
    return last
