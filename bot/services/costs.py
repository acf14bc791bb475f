"""The cost of poor quality, recorded in chat where each figure becomes known.

When a step that learns a figure is done (bot/procedure/costs.py, ASKED_AT), its presser
is asked for it in their private chat, one figure after another; /cost KS-… shows a
complaint's figures, and leadership and QC record or correct one with a reason. Bad
input gets a one-line reason and the same question. Totals per complaint here; per
customer, product, cause and month in the Pareto (bot/services/pareto.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from bot.procedure import access
from bot.procedure.costs import ASKED_AT, QUANTITIES, CostKind, next_kind, parse_figure
from bot.procedure.intake import InvalidAnswer
from bot.procedure.numbering import format_number, parse_number
from bot.services import mapping
from bot.services.events import Actor, log_event, log_refusal
from bot.services.step_cards import may_press, may_see, refresh_cards
from bot.services.uow import Caller, UnitOfWork
from bot.views.models import CostSheet
from storage import queries
from storage.models import Complaint, CostEntry, Person, Step


@dataclass(frozen=True)
class RecordCost:
    caller: Caller
    target_id: int  # the step when `at_step`, else the complaint (/cost)
    kind: str
    text: str
    at_step: bool = False  # asked when the step was done: no reason needed


@dataclass(frozen=True)
class CostRecorded:
    ok: bool
    reason: str = ""  # not ok: a message id, the one-line reason
    params: dict[str, object] = field(default_factory=dict)
    kind: CostKind | None = None
    next_kind: CostKind | None = None  # asked next, at the same step
    sheet: CostSheet | None = None


@dataclass(frozen=True)
class ShowCosts:
    caller: Caller
    number: str


def first_asked(step: Step) -> CostKind | None:
    """The first figure a step learns, asked when it is done."""
    kinds = ASKED_AT.get(step.key, ())
    return kinds[0] if kinds else None


def record(uow: UnitOfWork, command: RecordCost) -> CostRecorded:
    session, now = uow.session, uow.now
    denied = CostRecorded(False, "This step is no longer open, or not yours; nothing changed.")
    if command.kind not in {k.value for k in CostKind}:
        return denied
    kind = CostKind(command.kind)
    step = session.get(Step, command.target_id) if command.at_step else None
    complaint = step.complaint if step is not None else session.get(Complaint, command.target_id)
    person = uow.person(command.caller)
    actor = Actor.of(command.caller, person)
    if complaint is None or person is None or (command.at_step and step is None):
        return denied
    at_its_step = (
        step is not None and kind in ASKED_AT.get(step.key, ()) and may_press(uow, person, step)
    )
    if not at_its_step and not access.may_record_cost(mapping.who(person)):
        log_refusal(session, actor, now, complaint, button=f"cost:{kind.value}")
        return denied
    try:
        # At its step the figure needs no reason; recorded later it does.
        figure = parse_figure(kind, command.text, reason_needed=not at_its_step)
    except InvalidAnswer as bad:
        return CostRecorded(False, bad.reason, bad.params, kind)
    unit = figure.unit or ("" if kind not in QUANTITIES else complaint.quantity_unit or "")
    entry = CostEntry(
        complaint=complaint,
        kind=kind,
        amount=figure.amount,
        unit=unit[:16],
        entered_by=person,
        entered_at=now,
        step_id=step.id if at_its_step and step is not None else None,
        reason=figure.reason or None,
    )
    session.add(entry)
    log_event(
        session,
        actor,
        "cost_recorded",
        now,
        complaint,
        cost=kind.value,
        amount=str(figure.amount),
        unit=unit,
        **({"reason": figure.reason} if figure.reason else {}),
        **({"step": step.key} if at_its_step and step is not None else {}),
    )
    session.flush()
    if step is not None and at_its_step:
        refresh_cards(uow, step)
    following = next_kind(step.key, kind) if at_its_step and step is not None else None
    return CostRecorded(True, kind=kind, next_kind=following, sheet=_sheet(uow, complaint, person))


def show(uow: UnitOfWork, command: ShowCosts) -> CostSheet | None:
    """A complaint's figures for /cost; None when there is no such complaint for them."""
    person = uow.person(command.caller)
    parsed = parse_number(command.number) if command.number else None
    if person is None or parsed is None:
        return None
    complaint = queries.complaint_by_number(uow.session, format_number(*parsed))
    if complaint is None or not may_see(uow, person, complaint):
        return None
    return _sheet(uow, complaint, person)


def sheet_of(uow: UnitOfWork, caller: Caller, complaint_id: int) -> CostSheet | None:
    """A complaint's figures for whom may see it (a /cost button pressed)."""
    person = uow.person(caller)
    complaint = uow.session.get(Complaint, complaint_id)
    if person is None or complaint is None or not may_see(uow, person, complaint):
        return None
    return _sheet(uow, complaint, person)


def _sheet(uow: UnitOfWork, complaint: Complaint, person: Person) -> CostSheet:
    may_record = access.may_record_cost(mapping.who(person))
    lines = mapping.cost_lines(complaint)
    total = mapping.cost_total(lines)
    return CostSheet(complaint.id, complaint.number, lines, total, may_record)


def total_of(complaint: Complaint) -> Decimal:
    return mapping.cost_total(mapping.cost_lines(complaint))
