"""The rectification plan (step 10) and its items (step 13), and their daily tracking (14).

Issuing a plan stores it with its items, completes step 10 and posts the plan
card; each item gets a task of its own owner (a step row tied to the item, so
its reminders, escalations and card work as every step's). The owner's Done
opens the acceptance for whom the plan names; Accept ends the item, Send back
opens it again a week on. When every item is accepted, step 13 is done and the
verification opens. The plan card is edited in place as the items move.

Here: the draft, the plan issued or amended, the evidence forwarded and the daily
tracking. An item's task finishing, and the items running again in a later round, are
the step life's (bot.services.step_life): an item's task is a step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.procedure import plans as rules
from bot.procedure.calendar import next_daily
from bot.procedure.grading import Plant
from bot.procedure.intake import InvalidAnswer
from bot.procedure.numbering import format_number, parse_number
from bot.procedure.plans import Change, ItemStatus, PlanDraft
from bot.procedure.routing import plan_audience, tracking_audience
from bot.procedure.steps import (
    DONE,
    PLAN_ITEM,
    PLAN_STEP,
    RECTIFICATION,
    STEP_BY_ID,
    StepStatus,
)
from bot.services import conversations, mapping
from bot.services.events import Actor, last_run, log_event, log_refusal
from bot.services.notices import (
    Notice,
    Recipient,
    file_notice,
    post,
    recipients,
)
from bot.services.step_cards import (
    card_notice,
    item_recipients,
    may_press,
    refresh_cards,
    refresh_plan_cards,
)
from bot.services.step_life import (
    end_of_day,
    finish_step,
    move_due,
    open_item_task,
    running_task,
)
from bot.services.uow import SCHEDULER, Caller, UnitOfWork
from bot.views import cards
from bot.views.models import AttachmentView, Message, PersonChoice, PlanView, TrackingRow
from storage import queries
from storage.models import Complaint, Person, Plan, PlanItem, Purpose, Step


class PlanStart(StrEnum):
    OK = "ok"
    DENIED = "denied"
    NOT_OPEN = "not_open"  # the step is done, or the plan cannot take items now


@dataclass(frozen=True)
class BeginPlan:
    caller: Caller
    step_id: int  # step 10 (fill the plan in) or step 13 (add an item to it)


@dataclass(frozen=True)
class PlanOpening:
    result: PlanStart
    draft: PlanDraft | None = None
    people: tuple[PersonChoice, ...] = ()
    me: int | None = None


@dataclass(frozen=True)
class IssuePlan:
    caller: Caller
    draft: PlanDraft  # an amendment's reason rides in it


class IssueResult(StrEnum):
    ISSUED = "issued"
    AMENDED = "amended"
    DENIED = "denied"
    NOT_OPEN = "not_open"
    INCOMPLETE = "incomplete"
    UNKNOWN_PERSON = "unknown_person"  # someone picked has left the people list


@dataclass(frozen=True)
class Issued:
    result: IssueResult
    plan: PlanView | None = None


@dataclass(frozen=True)
class PlanForm:
    """The plan as the dashboard's form shows it: the draft the person has (the chat's,
    if they began there), everyone who may be named, and the departments."""

    result: PlanStart
    draft: PlanDraft | None = None
    people: tuple[PersonChoice, ...] = ()
    me: int | None = None


@dataclass(frozen=True)
class FillPlan:
    caller: Caller
    number: str
    form: dict[str, Any]
    issue: bool  # issue it now; otherwise only keep the draft


class FormResult(StrEnum):
    KEPT = "kept"  # the draft is kept (the chat goes on from it too)
    INVALID = "invalid"  # kept with what passed; the reasons by field
    ISSUED = "issued"
    REFUSED = "refused"  # as the chat would refuse it (see `issued`)


@dataclass(frozen=True)
class FormFilled:
    result: FormResult
    errors: dict[str, InvalidAnswer] = field(default_factory=dict)
    issued: Issued | None = None
    opening: PlanStart | None = None


def open_form(uow: UnitOfWork, caller: Caller, number: str) -> PlanForm:
    """Step 10 of this complaint in the dashboard: the same rights and the same draft as
    the chat's conversation (one started in chat continues in the form)."""
    parsed = parse_number(number)
    complaint = queries.complaint_by_number(uow.session, format_number(*parsed)) if parsed else None
    step = None
    if complaint is not None:
        step = next(
            (s for s in complaint.steps if s.key == PLAN_STEP and s.status == StepStatus.OPEN),
            None,
        )
    if step is None:
        return PlanForm(PlanStart.NOT_OPEN)
    opening = begin(uow, BeginPlan(caller, step.id))
    if opening.result is not PlanStart.OK or opening.draft is None:
        return PlanForm(opening.result)
    assert caller.telegram_id is not None
    kept = conversations.recall(uow.session, caller.telegram_id, conversations.PLAN_DRAFT)
    draft = opening.draft
    if isinstance(kept, dict):
        chat = PlanDraft.from_dict(kept)
        if chat.complaint_id == draft.complaint_id and chat.amending is None:
            draft = chat
    return PlanForm(PlanStart.OK, draft, opening.people, opening.me)


def fill_from_form(uow: UnitOfWork, command: FillPlan) -> FormFilled:
    """The form's answers into the shared draft, kept; issued through `issue`, as the
    chat issues it, when asked and complete."""
    opened = open_form(uow, command.caller, command.number)
    if opened.result is not PlanStart.OK or opened.draft is None:
        return FormFilled(FormResult.REFUSED, opening=opened.result)
    draft = opened.draft
    today = uow.now.astimezone(uow.config.tz).date()
    errors = rules.from_form(draft, command.form, {p.id for p in opened.people}, today=today)
    assert command.caller.telegram_id is not None
    conversations.remember(
        uow.session, command.caller.telegram_id, conversations.PLAN_DRAFT, draft.to_dict()
    )
    if errors:
        return FormFilled(FormResult.INVALID, errors)
    if not command.issue:
        return FormFilled(FormResult.KEPT)
    issued = issue(uow, IssuePlan(command.caller, draft))
    if issued.result is not IssueResult.ISSUED:
        return FormFilled(FormResult.REFUSED, issued=issued)
    return FormFilled(FormResult.ISSUED, issued=issued)


def choices(uow: UnitOfWork) -> tuple[PersonChoice, ...]:
    """Everyone on the people list, any role: an item may be anyone's."""
    return tuple(PersonChoice(p.id, p.name, p.role) for p in queries.active_people(uow.session))


def begin(uow: UnitOfWork, command: BeginPlan) -> PlanOpening:
    """The plan conversation starts: a new plan from step 10, an item added from step 13."""
    session = uow.session
    step = queries.step_by_id(session, command.step_id)
    person = uow.person(command.caller)
    if step is None or person is None:
        return PlanOpening(PlanStart.DENIED)
    definition = STEP_BY_ID[step.key]
    if not (definition.fills_plan or definition.by_items):
        return PlanOpening(PlanStart.NOT_OPEN)
    if not may_press(uow, person, step):
        log_event(
            session,
            Actor.of(command.caller, person),
            "press_refused",
            uow.now,
            step.complaint,
            step=step.key,
            button="plan",
        )
        return PlanOpening(PlanStart.DENIED)
    complaint = step.complaint
    plan = queries.plan_of(session, complaint.id)
    if step.status != StepStatus.OPEN or (definition.fills_plan and plan is not None):
        return PlanOpening(PlanStart.NOT_OPEN)
    if definition.by_items and plan is None:
        return PlanOpening(PlanStart.NOT_OPEN)
    draft = PlanDraft(
        complaint_id=complaint.id,
        step_id=step.id,
        number=complaint.number,
        problem_offer=_problem_offer(complaint),
        causes_offer=complaint.cause_analysis or "",
        amending=plan.id if plan is not None else None,
        running=[(i.number, i.action[:40]) for i in plan.items if not _accepted(i)]
        if plan is not None
        else [],
    )
    return PlanOpening(PlanStart.OK, draft, choices(uow), person.id)


def _accepted(item: PlanItem) -> bool:
    return item.status is ItemStatus.ACCEPTED


def _problem_offer(complaint: Complaint) -> str:
    return f"{complaint.product_name} {complaint.specification}: {complaint.description}"[:2000]


def issue(uow: UnitOfWork, command: IssuePlan) -> Issued:
    """Issue the plan (completing step 10), or amend an issued one with a reason."""
    session, now, draft = uow.session, uow.now, command.draft
    step = queries.step_by_id(session, draft.step_id)
    person = uow.person(command.caller)
    if step is None or person is None or step.complaint_id != draft.complaint_id:
        return Issued(IssueResult.DENIED)
    actor = Actor.of(command.caller, person)
    if not may_press(uow, person, step):
        log_refusal(session, actor, now, step.complaint, step=step.key)
        return Issued(IssueResult.DENIED)
    if not draft.ready:
        return Issued(IssueResult.INCOMPLETE)
    people = {p.id: p for p in queries.active_people(session)}
    named = {i.owner_id for i in draft.items} | {i.acceptor_id for i in draft.items}
    named |= {draft.owner_id, draft.new_owner_id} - {None}
    if not named <= set(people):
        return Issued(IssueResult.UNKNOWN_PERSON)
    plan = queries.plan_of(session, step.complaint_id)
    if step.status != StepStatus.OPEN:
        return Issued(IssueResult.NOT_OPEN)
    if draft.amending is None:
        if plan is not None or step.key != PLAN_STEP:
            return Issued(IssueResult.NOT_OPEN)
        issued = _issue_new(uow, step, draft, people, actor)
    else:
        if plan is None or plan.id != draft.amending or not STEP_BY_ID[step.key].by_items:
            return Issued(IssueResult.NOT_OPEN)
        issued = _amend(uow, plan, draft, people, actor)
    # Issued and its draft gone in one commit: a crash never offers it to issue again.
    conversations.forget(session, command.caller.telegram_id, conversations.PLAN_DRAFT)
    return issued


def _issue_new(
    uow: UnitOfWork, step: Step, draft: PlanDraft, people: dict[int, Person], actor: Actor
) -> Issued:
    assert draft.owner_id is not None and draft.deadline is not None
    assert actor.person is not None
    complaint = step.complaint
    plan = Plan(
        complaint=complaint,
        step_id=step.id,
        problem=draft.problem or "",
        causes=draft.causes or "",
        owner=people[draft.owner_id],
        deadline=draft.deadline,
        departments=[d.value for d in draft.departments or []],
        issued_by=actor.person,
        issued_at=uow.now,
        items=[],
    )
    uow.session.add(plan)
    added = _add_items(uow, plan, draft, people)
    uow.session.flush()
    log_event(
        uow.session,
        actor,
        "plan_issued",
        uow.now,
        complaint,
        step=PLAN_STEP,
        items=len(added),
        deadline=plan.deadline.isoformat(),
    )
    # The plan done; step 13 opens once the improvement measures (11) are done too.
    finish_step(uow, step, actor, DONE)
    for item in added:
        open_item_task(uow, item, PLAN_ITEM, item.owner, item.due_at, actor)
    view = mapping.plan_view(plan)
    _post_plan_card(uow, plan, view)
    return Issued(IssueResult.ISSUED, view)


def _amend(
    uow: UnitOfWork, plan: Plan, draft: PlanDraft, people: dict[int, Person], actor: Actor
) -> Issued:
    """Items added, an item's date moved, or an item given to someone else; each change
    is an event with its reason, and the plan card is edited in place."""
    detail: dict[str, object] = {"change": draft.change, "reason": draft.reason}
    if draft.change is Change.ADD:
        added = _add_items(uow, plan, draft, people)
        uow.session.flush()
        for item in added:
            open_item_task(uow, item, PLAN_ITEM, item.owner, item.due_at, actor)
        detail["items"] = [i.number for i in added]
    else:
        found = next((i for i in plan.items if i.number == draft.item_number), None)
        if found is None or found.status is ItemStatus.ACCEPTED:
            return Issued(IssueResult.NOT_OPEN)
        item = found
        detail["items"] = [item.number]
        if draft.change is Change.DUE:
            assert draft.new_due is not None
            detail["due_from"] = item.due_at.isoformat()
            _move_due(uow, item, end_of_day(draft.new_due, uow))
            detail["due"] = item.due_at.isoformat()
        else:
            assert draft.new_owner_id is not None
            detail["owner_from"] = item.owner.name
            _give_to(uow, item, people[draft.new_owner_id], actor)
            detail["owner"] = item.owner.name
    log_event(
        uow.session, actor, "plan_amended", uow.now, plan.complaint, step=RECTIFICATION, **detail
    )
    refresh_plan_cards(uow, plan)
    return Issued(IssueResult.AMENDED, mapping.plan_view(plan))


def _move_due(uow: UnitOfWork, item: PlanItem, due_at: datetime) -> None:
    """A new due date: the running task's pings count to it, those already past skipped."""
    item.due_at = due_at
    step = running_task(item)
    if step is not None:
        move_due(uow, step, due_at)


def _give_to(uow: UnitOfWork, item: PlanItem, person: Person, actor: Actor) -> None:
    """Another owner: the running task becomes theirs (their card, their pings); the old
    cards say whose it is now, and their buttons no longer work for the old owner."""
    item.owner = person
    step = running_task(item)
    if step is None:
        return
    step.assignee = person
    uow.session.flush()
    refresh_cards(uow, step)
    carded = {c.chat_id for c in queries.cards_of_step(uow.session, step.id)}
    to = [r for r in item_recipients(uow, step, person) if r.chat_id not in carded]
    post(uow.session, card_notice(uow, step, to), uow.now)


def _add_items(
    uow: UnitOfWork, plan: Plan, draft: PlanDraft, people: dict[int, Person]
) -> list[PlanItem]:
    first = max((i.number for i in plan.items), default=0) + 1
    added = []
    for offset, typed in enumerate(draft.items):
        assert typed.owner_id is not None and typed.acceptor_id is not None
        assert typed.action and typed.requirement and typed.due
        item = PlanItem(
            number=first + offset,
            action=typed.action,
            requirement=typed.requirement,
            owner=people[typed.owner_id],
            acceptor=people[typed.acceptor_id],
            due_at=end_of_day(typed.due, uow),
            status=ItemStatus.OPEN,
            times_sent_back=0,
            created_at=uow.now,
        )
        plan.items.append(item)
        added.append(item)
    return added


def forward_evidence(
    uow: UnitOfWork, step: Step, text: str | None, file_id: str | None, actor: Actor
) -> None:
    """What an item's owner sent as evidence goes to whom accepts it; the reason for
    sending it back goes to its owner."""
    item = step.plan_item
    if item is None:
        return
    person = item.acceptor if step.key == PLAN_ITEM else item.owner
    to = [Recipient(person.telegram_id, person.language or uow.config.default_language)]
    view = mapping.step_view(step, uow.config)
    complaint_view = mapping.complaint_view(step.complaint, uow.config, steps=False)
    by = actor.person.name if actor.person else None
    if text:
        post(
            uow.session,
            Notice(
                Purpose.RESULT,
                to,
                lambda lang: cards.step_result(view, complaint_view, text, by, lang),
                complaint=step.complaint,
            ),
            uow.now,
        )
    if file_id and step.file_kind is not None:
        attached = AttachmentView(step.file_kind, file_id, None, STEP_BY_ID[step.key].title)
        post(
            uow.session,
            file_notice(
                Purpose.RESULT,
                to,
                file_id,
                step.file_kind,
                lambda lang: cards.step_file_caption(complaint_view, attached, lang),
                complaint=step.complaint,
            ),
            uow.now,
        )


# The plan card -------------------------------------------------------------------------


def _post_plan_card(uow: UnitOfWork, plan: Plan, view: PlanView) -> None:
    complaint = plan.complaint
    complaint_view = mapping.complaint_view(complaint, uow.config, steps=False)
    tz = uow.config.timezone
    to = recipients(
        uow.session,
        uow.config,
        plan_audience(complaint.plant, complaint.grade, owner_id=plan.owner_id),
    )
    post(
        uow.session,
        Notice(
            Purpose.PLAN,
            to,
            lambda language: [cards.plan_card(view, complaint_view, language, tz)],
            complaint=complaint,
            step_id=plan.step_id,
        ),
        uow.now,
    )


# Tracking (step 14) --------------------------------------------------------------------


TRACKING_RUN = "tracking_run"  # the event each daily tracking leaves, items or none
# A digest this much after its time was held up (the bot was down), not just busy.
LATE_AFTER = timedelta(minutes=5)


def next_tracking(uow: UnitOfWork) -> datetime | None:
    """When the daily tracking is due next: the configured time after its last run (after
    now, before its first). The time lives in the event log, so a restart loses none."""
    tracking = uow.config.tracking
    if not tracking.enabled:
        return None
    return next_daily(
        last_run(uow, TRACKING_RUN), tracking.at, uow.config.tz, uow.config.working_calendar()
    )


def post_tracking(uow: UnitOfWork, due: datetime | None = None) -> int:
    """The daily digest: every running item with its owner and time left or overdue, to
    the plant's QC group and leading VP. Nothing when nothing runs. Returns the rows.
    `due`: when it was meant to go (a run after a restart says it is late)."""
    items = queries.running_plan_items(uow.session)
    by_plant: dict[Plant, list[TrackingRow]] = {}
    for item in items:
        by_plant.setdefault(item.plan.complaint.plant, []).append(mapping.tracking_row(item))
    tz = uow.config.timezone
    late = due if due is not None and uow.now - due > LATE_AFTER else None
    for plant, rows in by_plant.items():
        to = recipients(uow.session, uow.config, tracking_audience(plant))
        post(
            uow.session,
            Notice(Purpose.DIGEST, to, _tracking(tuple(rows), uow.now, tz, late)),
            uow.now,
        )
    log_event(
        uow.session,
        Actor.of(SCHEDULER, None),
        TRACKING_RUN,
        uow.now,
        items=len(items),
        due=due.isoformat() if due else None,
    )
    return len(items)


def _tracking(
    rows: tuple[TrackingRow, ...], now: datetime, tz: str, late: datetime | None
) -> Callable[[str], list[Message]]:
    return lambda language: cards.tracking(rows, now, language, tz, late)
