"""The recheck a month on (IATF 16949 10.2.3): when the verification is signed off
effective, a recheck falls due `[recheck] after` later (bot.services.step_life sets
it); on that working morning its timed job opens QC's task "did it recur?" with Held /
Recurred. Recurred runs the plan again and reopens the complaint (the step table's
outcome), and marks it recurring."""

from __future__ import annotations

from datetime import datetime

from bot.procedure.calendar import next_daily
from bot.procedure.pings import next_ping_at
from bot.procedure.routing import recheck_audience
from bot.procedure.steps import RECHECK, StepStatus
from bot.services import mapping
from bot.services.events import Actor, last_run, log_event
from bot.services.notices import Notice, post, recipients
from bot.services.step_cards import card_notice, task_recipients
from bot.services.uow import SCHEDULER, UnitOfWork
from bot.views import cards
from storage import queries
from storage.models import Complaint, Purpose, Step

RECHECK_RUN = "recheck_run"  # the event each run of the timed job leaves


def next_recheck(uow: UnitOfWork) -> datetime | None:
    """When the job looks for rechecks due next: each working morning at `[recheck] at`."""
    recheck = uow.config.recheck
    if not recheck.enabled:
        return None
    return next_daily(
        last_run(uow, RECHECK_RUN), recheck.at, uow.config.tz, uow.config.working_calendar()
    )


def open_due(uow: UnitOfWork, due: datetime | None = None) -> int:
    """Open QC's recheck of every complaint whose time has come; returns how many."""
    session, config, now = uow.session, uow.config, uow.now
    actor = Actor.of(SCHEDULER, None)
    opened = 0
    for due_row in queries.rechecks_due(session, now):
        complaint = due_row.complaint
        session.delete(due_row)
        limit_due = config.limit(RECHECK).due(now, workday_end=config.workday_end, tz=config.tz)
        step = Step(
            key=RECHECK,
            status=StepStatus.OPEN,
            opened_at=now,
            due_at=limit_due,
            pings_sent=0,
            next_ping_at=next_ping_at(now, limit_due, 0, config.ping_policy()),
        )
        complaint.steps.append(step)
        session.flush()
        log_event(session, actor, "step_opened", now, complaint, step=RECHECK)
        post(session, card_notice(uow, step, task_recipients(uow, step)), now)
        uow.touch(step)
        opened += 1
    log_event(session, actor, RECHECK_RUN, now, opened=opened, due=due.isoformat() if due else None)
    return opened


def link_new(uow: UnitOfWork, complaint: Complaint, actor: Actor) -> list[str]:
    """A new complaint of the same customer on the same product or specification as one
    whose fix waits for its recheck: linked to it (a recurring problem, so serious), and
    the earlier one's QC group and leading VP are told. Returns the earlier numbers."""
    session, now = uow.session, uow.now
    earlier = queries.under_recheck(
        session,
        complaint.customer_id,
        complaint.product_name,
        complaint.specification,
        complaint.id,
    )
    for before in earlier:
        if before.number not in complaint.recurs_after:
            complaint.recurs_after = [*complaint.recurs_after, before.number]
        complaint.is_recurring = complaint.is_serious = True
        log_event(session, actor, "linked_in_recheck", now, complaint, earlier=before.number)
        new = mapping.complaint_view(complaint, uow.config, steps=False)
        old = mapping.complaint_view(before, uow.config, steps=False)
        to = recipients(session, uow.config, recheck_audience(before.plant))
        render = lambda language, new=new, old=old: [cards.recheck_link(new, old, language)]  # noqa: E731
        post(session, Notice(Purpose.RESULT, to, render, complaint=complaint), now)
    return [c.number for c in earlier]
