"""The procedure engine: which steps open, when they are due, what completing one does.

Plain functions over plain values: the caller loads the complaint's steps,
asks for a Transition, and stores it with its event-log rows and notifications
in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo

from bot.procedure.durations import Limit
from bot.procedure.steps import (
    FILING_STEP,
    STEP_BY_ID,
    STEPS,
    Anchor,
    Facts,
    Outcome,
    StepDef,
    StepStatus,
)

OPEN, DONE = StepStatus.OPEN, StepStatus.DONE


class StepError(ValueError):
    """The step cannot take this outcome now (already done, unknown outcome, ...)."""


@dataclass(frozen=True)
class Timing:
    """Time limits by step id, and the work-day end for "end_of_day"."""

    limits: Mapping[str, Limit]
    workday_end: time
    tz: ZoneInfo

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
        return limit.due(start, workday_end=self.workday_end, tz=self.tz)


@dataclass
class StepState:
    key: str
    status: StepStatus
    opened_at: datetime
    done_at: datetime | None = None


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


def _open(step: StepDef, complaint: Complaint, timing: Timing, now: datetime) -> Opening:
    return Opening(
        step.id,
        timing.due(
            step,
            opened_at=now,
            received_at=complaint.received_at,
            occurred_at=complaint.occurred_at,
        ),
    )


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
    # The latest instance of each step: superseded ones were run again.
    status: dict[str, StepStatus] = {
        s.key: s.status for s in steps if s.status != StepStatus.SUPERSEDED
    }
    status[key] = DONE

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
        if any(status.get(w) != DONE for w in definition.waits_for):
            continue
        transition.opened.append(_open(definition, complaint, timing, now))
        status[candidate] = OPEN

    transition.closed = all(state != OPEN for state in status.values())
    return transition
