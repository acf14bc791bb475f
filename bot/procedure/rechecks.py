"""Where a complaint's recheck a month on stands (IATF 16949 10.2.3), for /show, the
register and the summary: waiting to fall due, open with QC, or answered."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.procedure.steps import N_, RECHECK, Outcome, StepStatus


class RecheckState(StrEnum):
    WAITING = "waiting"  # signed off effective: the recheck falls due later
    OPEN = "open"  # QC's task "did it recur?" is open
    HELD = "held"  # the fix held
    RECURRED = "recurred"  # the problem came back: the plan ran again


RECHECK_STATES = {
    RecheckState.WAITING: N_("recheck due"),
    RecheckState.OPEN: N_("rechecking"),
    RecheckState.HELD: N_("held"),
    RecheckState.RECURRED: N_("recurred"),
}


@dataclass(frozen=True)
class RecheckFact:
    """One step of a complaint, as far as the recheck goes."""

    key: str
    status: StepStatus
    outcome: Outcome | None
    due_at: datetime | None
    done_at: datetime | None


@dataclass(frozen=True)
class Recheck:
    state: RecheckState
    at: datetime  # when it falls due (waiting, open), or when QC answered


def recheck_of(steps: Iterable[RecheckFact], waiting_until: datetime | None) -> Recheck | None:
    """The newest recheck: one waiting (a sign-off after a recurrence sets a new one),
    else the one open, else the last answered; None when none was ever set."""
    if waiting_until is not None:
        return Recheck(RecheckState.WAITING, waiting_until)
    answered: Recheck | None = None
    for step in steps:
        if step.key != RECHECK:
            continue
        if step.status is StepStatus.OPEN and step.due_at is not None:
            return Recheck(RecheckState.OPEN, step.due_at)
        if step.status is StepStatus.DONE and step.done_at is not None:
            state = RecheckState.RECURRED if step.outcome is Outcome.RECURRED else RecheckState.HELD
            if answered is None or step.done_at >= answered.at:
                answered = Recheck(state, step.done_at)
    return answered
