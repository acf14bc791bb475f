"""Cause categories and the responsibility, named by QC at the appraisal (step 3).

QC choose one or more categories of the company's list (5M1E by default) beside the
free-text analysis, and confirm or change the supply responsibility (the plant of
origin, which intake asked). A new responsibility moves the open steps to that plant's
people and leading VP, as naming an unknown plant does. Changing the nature keeps the
causes: they are rows of their own (`complaint_cause`), counted by the Pareto.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.procedure.causes import from_mask, to_mask
from bot.procedure.grading import Plant
from bot.procedure.steps import STEP_BY_ID, ComplaintStatus, StepStatus
from bot.services import mapping, rechecks
from bot.services.events import Actor, log_event, log_refusal
from bot.services.notices import post
from bot.services.step_cards import card_notice, may_press, refresh_cards, task_recipients
from bot.services.uow import Caller, UnitOfWork
from bot.views.models import ComplaintView
from storage import queries
from storage.models import Complaint, ComplaintCause, Step


class CausesResult(StrEnum):
    SET = "set"
    UNCHANGED = "unchanged"
    NONE_CHOSEN = "none_chosen"  # at least one category
    DENIED = "denied"
    NOT_OPEN = "not_open"  # the complaint is closed, or the appraisal was not reached
    WRONG_BUTTON = "wrong_button"


@dataclass(frozen=True)
class ChooseCauses:
    caller: Caller
    step_id: int
    mask: int  # the categories, as bits over the company's list
    plant: str  # the responsibility


@dataclass(frozen=True)
class CausesChosen:
    result: CausesResult
    complaint: ComplaintView | None = None
    moved_from: Plant | None = None  # the responsibility before, when it changed


def current_mask(uow: UnitOfWork, complaint: Complaint) -> int:
    """The categories chosen so far, for the chooser's first drawing."""
    return to_mask((c.cause for c in complaint.causes), uow.config.causes.listed())


def choose(uow: UnitOfWork, command: ChooseCauses) -> CausesChosen:
    """Store QC's causes and responsibility. Allowed while the appraisal is open, and
    after it while the complaint is open (a correction); each change is in the log."""
    session, now = uow.session, uow.now
    step = queries.step_by_id(session, command.step_id)
    if (
        step is None
        or not STEP_BY_ID[step.key].asks_causes
        or command.plant not in {p.value for p in Plant}
        or command.plant == Plant.UNKNOWN.value
    ):
        return CausesChosen(CausesResult.WRONG_BUTTON)
    person = uow.person(command.caller)
    actor = Actor.of(command.caller, person)
    complaint = step.complaint
    if not may_press(uow, person, step):
        log_refusal(session, actor, now, complaint, step=step.key, button="causes")
        return CausesChosen(CausesResult.DENIED)
    assert person is not None
    reached = step.status in (StepStatus.OPEN, StepStatus.DONE)
    if complaint.status == ComplaintStatus.CLOSED or not reached:
        return CausesChosen(CausesResult.NOT_OPEN)
    listed = uow.config.causes.listed()
    keys = from_mask(command.mask, listed)
    if not keys:
        return CausesChosen(CausesResult.NONE_CHOSEN)
    plant = Plant(command.plant)
    before = {c.cause for c in complaint.causes}
    moved_from = complaint.plant if plant != complaint.plant else None
    if before == set(keys) and moved_from is None:
        return CausesChosen(CausesResult.UNCHANGED, _view(uow, complaint))
    if before != set(keys):
        for row in [c for c in complaint.causes if c.cause not in keys]:
            complaint.causes.remove(row)
        for key in keys:
            if key not in before:
                complaint.causes.append(ComplaintCause(cause=key, chosen_by=person, chosen_at=now))
        log_event(
            session,
            actor,
            "causes_set",
            now,
            complaint,
            step=step.key,
            causes=list(keys),
            before=sorted(before),
        )
    if moved_from is not None:
        complaint.plant = plant
        log_event(
            session,
            actor,
            "plant_changed",
            now,
            complaint,
            step=step.key,
            plant=plant.value,
            before=moved_from.value,
        )
    session.flush()
    if before != set(keys):
        # The same customer's problem of this kind while an earlier fix waits for its
        # recheck: linked, and QC recheck that one now.
        rechecks.link_by_cause(uow, complaint, actor)
    _show_on_cards(uow, complaint, step, moved=moved_from is not None)
    return CausesChosen(CausesResult.SET, _view(uow, complaint), moved_from)


def _show_on_cards(uow: UnitOfWork, complaint: Complaint, step: Step, *, moved: bool) -> None:
    """The appraisal's card shows the causes. A new responsibility: every open step's
    cards say whose it is now, and the new plant's people get the cards they lack."""
    if not moved:
        refresh_cards(uow, step)
        return
    for open_step in complaint.steps:
        if open_step.status != StepStatus.OPEN:
            continue
        refresh_cards(uow, open_step)
        carded = {c.chat_id for c in queries.cards_of_step(uow.session, open_step.id)}
        to = [r for r in task_recipients(uow, open_step) if r.chat_id not in carded]
        if to:
            post(uow.session, card_notice(uow, open_step, to), uow.now)
        uow.touch(open_step)
    if step.status != StepStatus.OPEN:
        refresh_cards(uow, step)


def _view(uow: UnitOfWork, complaint: Complaint) -> ComplaintView:
    return mapping.complaint_view(complaint, uow.config, steps=False)
