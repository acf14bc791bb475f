"""How Kesu is doing, for the admins (`/status`) and the operator (`kesu status`): the
last thing a person did, what waits in the outbox and what failed, the next ping, and
the pings of the last day, late ones counted (missed while the bot was down)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.procedure import access
from bot.procedure.steps import STEP_BY_ID
from bot.procedure.workdays import years_to_check
from bot.services.mapping import who
from bot.services.notices import Notice, admin_recipients, post
from bot.services.uow import OPERATOR, Caller, UnitOfWork
from bot.views import notices
from bot.views.models import Health, Message
from storage import queries
from storage.models import Purpose


def status(uow: UnitOfWork, caller: Caller) -> Health:
    """Admins (and the operator at the command line) read it."""
    if caller != OPERATOR:
        person = uow.person(caller)
        if person is None or not access.may_read_status(who(person)):
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
        unknown_years=tuple(
            uow.config.working_calendar().unknown_years(
                years_to_check(now.astimezone(uow.config.tz).date())
            )
        )
        if uow.config.calendar.official == "china"
        else (),
    )


# A reminder or escalation later than this is itself news for the admins.
REPORTED_LATE = timedelta(minutes=5)


def report_late_pings(uow: UnitOfWork, since: datetime) -> int:
    """After a pass of the scheduler: the pings it sent more than five minutes after their
    time (the bot was down, or too busy) are reported to the admins in one notice.
    Returns how many."""
    late = []
    for event in queries.ping_events_since(uow.session, since):
        due = event.detail.get("due")
        if due and event.at - datetime.fromisoformat(due) > REPORTED_LATE:
            late.append((event, event.at - datetime.fromisoformat(due)))
    if not late:
        return 0
    worst_event, worst = max(late, key=lambda pair: pair[1])
    number = worst_event.complaint.number if worst_event.complaint else ""
    step = STEP_BY_ID[worst_event.detail["step"]].title
    minutes = int(worst.total_seconds() // 60)
    admins = admin_recipients(uow.session, uow.config)
    post(
        uow.session,
        Notice(
            Purpose.ADMIN,
            admins,
            lambda language: [
                Message(notices.late_pings(len(late), minutes, number, step, language))
            ],
        ),
        uow.now,
    )
    return len(late)
