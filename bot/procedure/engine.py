"""The procedure engine: which steps open, when they are due, what completing one does.

Plain functions over plain values: the caller loads the complaint's steps,
asks for a Transition, and stores it with its event-log rows and notifications
in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.procedure.durations import Limit
from bot.procedure.steps import (
    ANSWER_STEP,
    FILING_STEP,
    STEP_BY_ID,
    STEPS,
    Anchor,
    Facts,
    Outcome,
    StepDef,
    StepStatus,
    step,
)
from bot.procedure.workdays import WorkingCalendar

OPEN, DONE = StepStatus.OPEN, StepStatus.DONE


class StepError(ValueError):
    """The step cannot take this outcome now (already done, unknown outcome, ...)."""


@dataclass(frozen=True)
class Timing:
    """Time limits by step id, and the work-day end for "end_of_day"."""

    limits: Mapping[str, Limit]
    workday_end: time
    tz: ZoneInfo
    calendar: WorkingCalendar | None = None  # "end of day" falls on a working day

    def due(
        self, step: StepDef, *, opened_at: datetime, received_at: datetime, occurred_at: datetime
    ) -> datetime | None:
        limit = self.limits.get(step.id)
        if limit is None:
            return None
        start = {
            Anchor.RECEIVED: received_at,
            Anchor.OCCURRED: occurred_at,
            Anchor.OPENED: opened_at,
        }[step.counts_from]
        return limit.due(start, workday_end=self.workday_end, tz=self.tz, calendar=self.calendar)


@dataclass
class StepState:
    key: str
    status: StepStatus
    opened_at: datetime
    done_at: datetime | None = None
    outcome: Outcome | None = None


@dataclass(frozen=True)
class Opening:
    key: str
    due_at: datetime | None


@dataclass
class Transition:
    done: list[str] = field(default_factory=list)  # completed, the pressed one first
    opened: list[Opening] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    superseded: list[str] = field(default_factory=list)
    closed: bool = False


@dataclass(frozen=True)
class Complaint:
    facts: Facts
    received_at: datetime
    occurred_at: datetime


def _open(
    step: StepDef, complaint: Complaint, timing: Timing, now: datetime, *, late_comer: bool = False
) -> Opening:
    """A step opening now. A late comer (it applies only since the nature changed) counts
    its limit from now, even one that otherwise counts from T0 (step 4)."""
    return Opening(
        step.id,
        timing.due(
            step,
            opened_at=now,
            received_at=now if late_comer else complaint.received_at,
            occurred_at=complaint.occurred_at,
        ),
    )


def _latest(steps: Sequence[StepState]) -> dict[str, StepState]:
    """The latest instance of each step: superseded ones were run again."""
    return {s.key: s for s in steps if s.status != StepStatus.SUPERSEDED}


def _runs_again(state: StepState | None) -> bool:
    """A step done with an outcome that sent the case back (not satisfied) runs again
    in the next round; any other done step stays done."""
    if state is None or state.outcome is None:
        return False
    ending = STEP_BY_ID[state.key].outcome(state.outcome)
    return ending is not None and bool(ending.sends_back)


def _waiting(definition: StepDef, status: Mapping[str, StepStatus], facts: Facts) -> bool:
    """Still waiting for a step it needs; a step that does not apply is not waited for."""
    return any(status.get(w) != DONE and STEP_BY_ID[w].applies(facts) for w in definition.waits_for)


def registration(complaint: Complaint, timing: Timing, now: datetime) -> Transition:
    """The steps a new complaint opens; step 1 (register) is done by filing it."""
    opened = [
        _open(s, complaint, timing, now)
        for s in STEPS
        if s.at_registration and s.applies(complaint.facts) and s.id != FILING_STEP
    ]
    return Transition(done=[FILING_STEP], opened=opened, closed=False)


def complete(
    complaint: Complaint,
    steps: Sequence[StepState],
    key: str,
    outcome: Outcome,
    timing: Timing,
    now: datetime,
) -> Transition:
    """Complete the open step `key` with `outcome`; `steps` are all of the complaint's.

    What follows is read from the step table: the outcome's own openings (or the
    step's), the steps it sends back for rework, the steps it completes too, and
    whether it ends the case.
    """
    step = STEP_BY_ID.get(key)
    if step is None:
        raise StepError(f"unknown step {key!r}")
    ending = step.outcome(outcome)
    if ending is None:
        raise StepError(f"step {key} cannot end with {outcome}")
    if not any(s.key == key and s.status == OPEN for s in steps):
        raise StepError(f"step {key} is not open")

    transition = Transition(done=[key])
    latest = _latest(steps)
    status: dict[str, StepStatus] = {k: s.status for k, s in latest.items()}
    status[key] = DONE
    if ending.solvable_today is not None:
        complaint = replace(
            complaint, facts=replace(complaint.facts, solvable_today=ending.solvable_today)
        )

    transition.superseded = [k for k in ending.sends_back if status.get(k) == DONE]
    for k in transition.superseded:
        status.pop(k)
    for other in step.completes:
        if status.get(other) == OPEN:
            transition.done.append(other)
            status[other] = DONE
    if ending.ends_case:
        transition.skipped = [k for k, state in status.items() if state == OPEN]
        for k in transition.skipped:
            status[k] = StepStatus.SKIPPED

    to_open = step.opens if ending.opens is None else ending.opens
    for candidate in to_open:
        definition = STEP_BY_ID[candidate]
        if not definition.applies(complaint.facts) or status.get(candidate) == OPEN:
            continue
        if status.get(candidate) == DONE and not _runs_again(latest.get(candidate)):
            continue  # done in this round (the plan, when step 3 is done after it)
        if _waiting(definition, status, complaint.facts):
            continue
        transition.opened.append(_open(definition, complaint, timing, now))
        status[candidate] = OPEN

    transition.closed = all(state != OPEN for state in status.values())
    return transition


def _opened_by(definition: StepDef, done: StepState) -> bool:
    """Whether finishing `done` the way it finished opens `definition`."""
    done_def = STEP_BY_ID[done.key]
    ending = done_def.outcome(done.outcome) if done.outcome else None
    opens = done_def.opens if ending is None or ending.opens is None else ending.opens
    return definition.id in opens


def reconcile(
    complaint: Complaint, steps: Sequence[StepState], timing: Timing, now: datetime
) -> Transition:
    """The steps to cancel and to open now that the facts changed (the nature at step 3).

    Open steps that no longer apply are no longer needed; steps that apply now and
    would have opened by now (at registration, or after a step that is done) open
    with their limits counted from this moment. Done steps stay done.
    """
    transition = Transition()
    latest = _latest(steps)
    status = {k: s.status for k, s in latest.items()}
    facts = complaint.facts
    for key, state in latest.items():
        if state.status == OPEN and not STEP_BY_ID[key].applies(facts):
            transition.skipped.append(key)
            status[key] = StepStatus.SKIPPED
    done = [s for s in latest.values() if s.status == DONE]
    for definition in STEPS:
        if status.get(definition.id) in (OPEN, DONE) or not definition.applies(facts):
            continue
        due_by_now = definition.at_registration or any(_opened_by(definition, d) for d in done)
        if not due_by_now or _waiting(definition, status, facts):
            continue
        transition.opened.append(_open(definition, complaint, timing, now, late_comer=True))
        status[definition.id] = OPEN
    transition.closed = all(state != OPEN for state in status.values())
    return transition


def late_at_filing(
    timing: Timing, *, received_at: datetime, occurred_at: datetime, now: datetime
) -> timedelta | None:
    """How far past the clear answer to the customer (step 12's 48 hours from when the
    customer found the problem) a complaint already is as it is filed, or None. Told
    before Confirm, so that the escalation that follows surprises nobody."""
    due = timing.due(
        step(ANSWER_STEP), opened_at=now, received_at=received_at, occurred_at=occurred_at
    )
    return now - due if due is not None and now > due else None
