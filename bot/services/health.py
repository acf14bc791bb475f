"""How Kesu is doing, for the admins (`/status`) and the operator (`kesu status`): the
last thing a person did, what waits in the outbox and what failed, the next ping, and
the pings of the last day, late ones counted (missed while the bot was down)."""

from __future__ import annotations

from datetime import timedelta

from bot.services.uow import OPERATOR, Caller, UnitOfWork
from bot.views.models import Health
from storage import queries


def status(uow: UnitOfWork, caller: Caller) -> Health:
    """Admins (and the operator at the command line) read it."""
    if caller != OPERATOR:
        person = uow.person(caller)
        if person is None or not person.is_admin:
            return Health(allowed=False)
    session, now = uow.session, uow.now
    since = now - timedelta(days=1)
    backlog, oldest, failed = queries.outbox_health(session, now, since)
    pings = queries.pings_since(session, since)
    return Health(
        now=now,
        last_action=queries.last_action_by_a_person(session),
        backlog=backlog,
        oldest_waiting=oldest,
        failed_today=failed,
        next_ping=queries.next_ping_time(session),
        pings_today=len(pings),
        late_today=sum(pings),
    )
