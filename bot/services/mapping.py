"""Stored rows to view models, inside the unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy.orm import Session

from bot.config import KesuConfig
from bot.procedure.access import Case, Who
from bot.procedure.causes import Cause, lookup
from bot.procedure.costs import CostKind, total_yuan
from bot.procedure.extensions import ExtensionStatus
from bot.procedure.grading import Plant
from bot.procedure.plans import Department
from bot.procedure.rechecks import Recheck, RecheckFact, recheck_of
from bot.procedure.steps import STEP_BY_ID, StepStatus
from bot.services.notices import language_of
from bot.views.models import (
    AttachmentView,
    ComplaintView,
    CostLine,
    DeliveryView,
    EventView,
    ExtensionView,
    MeetingView,
    PersonView,
    PlanItemView,
    PlanView,
    SignatureView,
    SpecialReportView,
    StepView,
    SuggestionView,
    TrackingRow,
)
from storage import queries
from storage.models import (
    Complaint,
    CostEntry,
    Event,
    ExtensionRequest,
    Meeting,
    OutboxMessage,
    Person,
    Plan,
    PlanItem,
    Signature,
    SpecialReport,
    Step,
    Suggestion,
)


def who(person: Person) -> Who:
    return Who(person.id, person.role, person.plant, person.is_admin)


def case(complaint: Complaint) -> Case:
    return Case(complaint.plant, complaint.filed_by_id)


def person_view(person: Person, config: KesuConfig) -> PersonView:
    return PersonView(person.id, person.name, person.role, language_of(person, config))


def step_view(step: Step, config: KesuConfig) -> StepView:
    complaint = step.complaint
    return StepView(
        id=step.id,
        key=step.key,
        status=step.status,
        owner=config.owner(step.key),
        complaint_number=complaint.number,
        plant=complaint.plant,
        opened_at=step.opened_at,
        due_at=step.due_at,
        done_at=step.done_at,
        done_by=step.done_by.name if step.done_by else None,
        outcome=step.outcome,
        assignee=step.assignee.name if step.assignee else None,
        note=step.note,
        blocked_reason=step.blocked_reason,
        report=special_report_view(step.special_reports[-1]) if step.special_reports else None,
        item=plan_item_view(step.plan_item) if step.plan_item else None,
        extension_to=next(
            (r.new_due for r in step.extension_requests if r.status is ExtensionStatus.PENDING),
            None,
        ),
    )


def extension_view(request: ExtensionRequest) -> ExtensionView:
    return ExtensionView(
        id=request.id,
        asked_by=request.asked_by.name,
        asked_at=request.asked_at,
        old_due=request.old_due,
        new_due=request.new_due,
        reason=request.reason,
        status=request.status,
        decided_by=request.decided_by.name if request.decided_by else None,
    )


def plan_item_view(item: PlanItem) -> PlanItemView:
    return PlanItemView(
        id=item.id,
        number=item.number,
        action=item.action,
        requirement=item.requirement,
        owner=item.owner.name,
        acceptor=item.acceptor.name,
        due_at=item.due_at,
        status=item.status,
        times_sent_back=item.times_sent_back,
        submitted_at=item.submitted_at,
        accepted_at=item.accepted_at,
    )


def plan_view(plan: Plan) -> PlanView:
    return PlanView(
        id=plan.id,
        complaint_number=plan.complaint.number,
        problem=plan.problem,
        causes=plan.causes,
        owner=plan.owner.name,
        deadline=plan.deadline,
        departments=tuple(Department(d) for d in plan.departments),
        issued_by=plan.issued_by.name,
        issued_at=plan.issued_at,
        items=tuple(plan_item_view(i) for i in plan.items),
    )


def special_report_view(report: SpecialReport) -> SpecialReportView:
    return SpecialReportView(
        id=report.id,
        status=report.status,
        text=report.text,
        file_id=report.file_id,
        file_kind=report.file_kind,
        written_by=report.written_by.name,
        written_at=report.written_at,
        answer=report.answer,
        answered_by=report.answered_by.name if report.answered_by else None,
        answered_at=report.answered_at,
    )


def cost_lines(complaint: Complaint) -> tuple[CostLine, ...]:
    """The latest figure of each kind, in the kinds' order."""
    latest: dict[CostKind, CostEntry] = {}
    for entry in complaint.costs:  # ordered by id: later entries stand
        latest[entry.kind] = entry
    return tuple(
        CostLine(k, e.amount, e.unit, e.entered_by.name, e.entered_at, e.reason)
        for k in CostKind
        if (e := latest.get(k)) is not None
    )


def cost_total(lines: tuple[CostLine, ...]) -> Decimal:
    return total_yuan({line.kind: line.amount for line in lines})


def signature_view(signature: Signature) -> SignatureView:
    step, item = signature.step, signature.plan_item
    definition = STEP_BY_ID.get(step.key) if step is not None else None
    return SignatureView(
        meaning=signature.meaning,
        by=signature.signed_by.name,
        at=signature.signed_at,
        step_title=definition.title if definition else None,
        step_key=step.key if step is not None else None,
        item=f"{item.number}. {item.action[:60]}" if item is not None else None,
    )


def causes_of(complaint: Complaint, config: KesuConfig) -> tuple[Cause, ...]:
    """The complaint's cause categories in the company's order."""
    return lookup((c.cause for c in complaint.causes), config.causes.listed())


def complaint_view(
    complaint: Complaint, config: KesuConfig, *, steps: bool = True, recheck: bool = False
) -> ComplaintView:
    """The complaint for the views; `steps` with its steps, signatures and costs (a card,
    /show), `recheck` with where its recheck stands (/show, the forms: one more read)."""
    return ComplaintView(
        id=complaint.id,
        number=complaint.number,
        received_at=complaint.received_at,
        occurred_at=complaint.occurred_at,
        customer_name=complaint.customer_name,
        customer_class=complaint.customer_class,
        contact_phone=complaint.contact_phone,
        content=complaint.content,
        demands=tuple(complaint.demands),
        grade=complaint.grade,
        is_batch=complaint.is_batch,
        is_recurring=complaint.is_recurring,
        is_return=complaint.is_return,
        is_serious=complaint.is_serious,
        plant=complaint.plant,
        product_name=complaint.product_name,
        specification=complaint.specification,
        quantity=complaint.quantity,
        quantity_unit=complaint.quantity_unit,
        delivery_date=complaint.delivery_date,
        description=complaint.description,
        cause_analysis=complaint.cause_analysis,
        corrective_proposal=complaint.corrective_proposal,
        verification=complaint.verification,
        status=complaint.status,
        filed_by=complaint.filed_by.name,
        filed_by_id=complaint.filed_by_id,
        recurs_after=tuple(complaint.recurs_after or ()),
        causes=causes_of(complaint, config),
        closed_at=complaint.closed_at,
        signatures=tuple(signature_view(s) for s in complaint.signatures) if steps else (),
        costs=(lines := cost_lines(complaint)) if steps else (),
        cost_total=cost_total(lines) if steps else Decimal(0),
        appraised=any(
            STEP_BY_ID[s.key].asks_causes and s.status == StepStatus.DONE for s in complaint.steps
        ),
        attachments=tuple(
            AttachmentView(a.kind, a.file_id, a.file_name) for a in complaint.attachments
        ),
        steps=tuple(step_view(s, config) for s in complaint.steps) if steps else (),
        step_files=tuple(
            AttachmentView(s.file_kind, s.file_id, None, STEP_BY_ID[s.key].title)
            for s in complaint.steps
            if s.file_id and s.file_kind
        )
        if steps
        else (),
        recheck=recheck_view(complaint) if recheck else None,
    )


def recheck_view(complaint: Complaint) -> Recheck | None:
    facts = (RecheckFact(s.key, s.status, s.outcome, s.due_at, s.done_at) for s in complaint.steps)
    waiting = complaint.recheck_waiting
    return recheck_of(facts, waiting.due_at if waiting is not None else None)


def history(session: Session, complaint: Complaint, config: KesuConfig) -> tuple[EventView, ...]:
    """A complaint's events as /show and Show list them; a plan item's name its item."""
    plan = queries.plan_of(session, complaint.id)
    items = {i.number: i.action for i in plan.items} if plan is not None else {}
    listed = config.causes.listed()
    return tuple(event_view(e, items, listed) for e in queries.events_of(session, complaint.id))


def event_view(
    event: Event, items: dict[int, str] | None = None, listed: Sequence[Cause] = ()
) -> EventView:
    key = event.detail.get("step")
    definition = STEP_BY_ID.get(key) if isinstance(key, str) else None
    number = event.detail.get("item")
    item = None
    if isinstance(number, int):
        action = (items or {}).get(number)
        item = f"{number}. {action[:60]}" if action else str(number)
    return EventView(
        at=event.at,
        actor=event.actor.name if event.actor else None,
        action=event.action,
        step_title=definition.title if definition else None,
        change=(
            f"{event.detail['grade_from']} → {event.detail['grade']}"
            if "grade_from" in event.detail
            # An extension: the limit as it was and as asked (company time, as written).
            else f"{event.detail['due_from']} → {event.detail['due_to']}"
            if "due_to" in event.detail
            else None
        ),
        reason=event.detail.get("reason"),
        item=item,
        causes=_named_causes(event.detail.get("causes"), listed),
        plant=Plant(event.detail["plant"])
        if event.action == "plant_changed" and event.detail.get("plant") in set(Plant)
        else None,
    )


def _named_causes(keys: object, listed: Sequence[Cause]) -> tuple[Cause, ...]:
    if not isinstance(keys, list):
        return ()
    return lookup((k for k in keys if isinstance(k, str)), listed)


def delivery_view(row: OutboxMessage) -> DeliveryView:
    return DeliveryView(row.chat_id, row.purpose.value, row.status.value, row.last_error)


def suggestion_view(suggestion: Suggestion) -> SuggestionView:
    return SuggestionView(
        id=suggestion.id,
        text=suggestion.text,
        complaint_number=suggestion.complaint.number if suggestion.complaint else None,
        proposed_by=suggestion.proposed_by.name,
        proposed_at=suggestion.proposed_at,
        status=suggestion.status,
        decided_by=suggestion.decided_by.name if suggestion.decided_by else None,
        decided_at=suggestion.decided_at,
        benefit=suggestion.benefit,
        reward=suggestion.reward,
    )


def meeting_view(meeting: Meeting) -> MeetingView:
    return MeetingView(
        id=meeting.id,
        complaint_number=meeting.complaint.number if meeting.complaint else None,
        at=meeting.at,
        place=meeting.place,
        organiser=meeting.organiser.name if meeting.organiser else None,
        minutes=meeting.minutes,
        has_file=meeting.minutes_file_id is not None,
        recorded_at=meeting.recorded_at,
        kind=meeting.kind,
        concerns=tuple(c.number for c in meeting.concerns),
    )


def tracking_row(item: PlanItem) -> TrackingRow:
    return TrackingRow(
        item.plan.complaint.number,
        item.number,
        item.action,
        item.owner.name,
        item.acceptor.name,
        item.due_at,
        item.status,
    )
