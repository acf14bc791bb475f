"""The recheck a month on (IATF 16949 10.2.3): when the verification is signed off
effective, a recheck falls due `[recheck] after` later (bot.services.step_life sets
it); on that working morning its timed job opens QC's task "did it recur?" with Held /
Recurred. Recurred runs the plan again and reopens the complaint (the step table's
outcome), and marks it recurring.

A new complaint of the same customer within the window is linked to the earlier one:
- on the same product or specification (known at filing) it is the problem back, so
  Kesu records the recheck as Recurred itself and the earlier plan runs again;
- on the same cause category (known at the new one's appraisal) it may be: QC get the
  recheck now, to answer Held or Recurred.
QC and the leading VP are told either way."""

from __future__ import annotations

from datetime import datetime

from bot.procedure.calendar import next_daily
from bot.procedure.pings import next_ping_at
from bot.procedure.routing import recheck_audience
from bot.procedure.steps import RECHECK, STEP_BY_ID, Outcome, StepStatus
from bot.services import mapping
from bot.services.events import Actor, last_run, log_event
from bot.services.notices import Notice, post, recipients
from bot.services.step_cards import card_notice, task_recipients
from bot.services.step_life import finish_step
from bot.services.uow import SCHEDULER, Caller, UnitOfWork
from bot.views import cards
from storage import queries
from storage.models import Complaint, Purpose, Step

RECHECK_RUN = "recheck_run"  # the event each run of the timed job leaves
RECURRED = next(o for o in STEP_BY_ID[RECHECK].outcomes if o.outcome is Outcome.RECURRED)
LINKED = "linked_in_recheck"  # the event of a new complaint linked to an earlier one
# Kesu itself, linking a new complaint to an earlier one: no person decided it.
LINKER = Caller(None, None, None, "link")


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
    session, now = uow.session, uow.now
    actor = Actor.of(SCHEDULER, None)
    opened = 0
    for due_row in queries.rechecks_due(session, now):
        session.delete(due_row)
        _open_recheck(uow, due_row.complaint, actor)
        opened += 1
    log_event(session, actor, RECHECK_RUN, now, opened=opened, due=due.isoformat() if due else None)
    return opened


def _open_recheck(
    uow: UnitOfWork, complaint: Complaint, actor: Actor, *, carded: bool = True
) -> Step:
    """QC's task "did it recur?", with its limit and (unless Kesu answers it at once) its
    card."""
    session, config, now = uow.session, uow.config, uow.now
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
    if carded:
        post(session, card_notice(uow, step, task_recipients(uow, step)), now)
    uow.touch(step)
    return step


def _recheck_now(uow: UnitOfWork, earlier: Complaint, actor: Actor, *, carded: bool) -> Step:
    """The earlier complaint's recheck, open now: the one open, or the one waiting."""
    for step in earlier.steps:
        if step.key == RECHECK and step.status == StepStatus.OPEN:
            return step
    waiting = queries.recheck_due_of(uow.session, earlier.id)
    if waiting is not None:
        uow.session.delete(waiting)
    return _open_recheck(uow, earlier, actor, carded=carded)


def _link(
    uow: UnitOfWork, complaint: Complaint, earlier: list[Complaint], actor: Actor, *, back: bool
) -> list[str]:
    """Link the new complaint to each earlier one and tell their QC and leading VP. The
    same product or specification (`back`): the fix did not hold, the earlier plan runs
    again. A shared cause only: QC get the recheck now, to decide."""
    session, now = uow.session, uow.now
    kesu = Actor.of(LINKER, None)
    done = {e.detail.get("earlier") for e in queries.events_named(session, complaint.id, LINKED)}
    linked = []
    for before in earlier:
        if before.number in done:
            continue  # linked already (its causes named again)
        linked.append(before.number)
        if before.number not in complaint.recurs_after:  # (the same product lately is)
            complaint.recurs_after = [*complaint.recurs_after, before.number]
        complaint.is_recurring = complaint.is_serious = True
        log_event(session, actor, LINKED, now, complaint, earlier=before.number)
        step = _recheck_now(uow, before, kesu, carded=not back)
        if back:
            log_event(session, kesu, "recheck_found_back", now, before, new=complaint.number)
            finish_step(uow, step, kesu, RECURRED)
        new = mapping.complaint_view(complaint, uow.config, steps=False)
        old = mapping.complaint_view(before, uow.config, steps=False)
        to = recipients(session, uow.config, recheck_audience(before.plant))
        render = lambda language, new=new, old=old: [  # noqa: E731
            cards.recheck_link(new, old, language, reopened=back)
        ]
        post(session, Notice(Purpose.RESULT, to, render, complaint=complaint), now)
    return linked


def link_new(uow: UnitOfWork, complaint: Complaint, actor: Actor) -> list[str]:
    """A new complaint of the same customer on the same product or specification as one
    whose fix waits for its recheck: linked to it (a recurring problem, so serious), and
    the earlier one's QC group and leading VP are told. Returns the earlier numbers."""
    earlier = queries.under_recheck(
        uow.session,
        complaint.customer_id,
        complaint.product_name,
        complaint.specification,
        complaint.id,
    )
    return _link(uow, complaint, earlier, actor, back=True)


def link_by_cause(uow: UnitOfWork, complaint: Complaint, actor: Actor) -> list[str]:
    """The new complaint's causes named at its appraisal: an earlier complaint of the same
    customer with a cause in common, waiting for its recheck, is linked, and its recheck
    opens now for QC to decide. Returns the earlier numbers newly linked."""
    causes = [c.cause for c in complaint.causes]
    earlier = queries.under_recheck_by_cause(
        uow.session, complaint.customer_id, causes, complaint.id
    )
    return _link(uow, complaint, earlier, actor, back=False)
