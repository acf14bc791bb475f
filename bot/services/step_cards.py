"""Step cards: a step's task card, who gets it, and editing every copy in place as the
step moves (the plan card too); who may press a step's buttons and see its complaint.

The lowest of the step services: the step life (bot.services.step_life) and every use
case build on it.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.procedure import access, engine
from bot.procedure.routing import (
    department_group,
    task_audience,
)
from bot.procedure.steps import (
    STEP_BY_ID,
    Facts,
    StepStatus,
)
from bot.services import mapping
from bot.services.notices import (
    Notice,
    Recipient,
    language_of_chat,
    post,
    recipients,
)
from bot.services.uow import UnitOfWork
from bot.views import cards
from bot.views.models import (
    ComplaintView,
    Message,
    StepView,
)
from storage import queries
from storage.models import Complaint, Method, Person, Plan, Purpose, Step

# Views --------------------------------------------------------------------------------


def facts_of(complaint: Complaint) -> Facts:
    return Facts(
        grade=complaint.grade,
        demands=frozenset(complaint.demands),
        batch=complaint.is_batch,
        recurring=complaint.is_recurring,
        solvable_today=complaint.solvable_today,
    )


def as_engine(complaint: Complaint) -> engine.Complaint:
    return engine.Complaint(facts_of(complaint), complaint.received_at, complaint.occurred_at)


def states_of(complaint: Complaint) -> list[engine.StepState]:
    """The steps as the engine knows them: a plan item's tasks are the plan's business."""
    return [
        engine.StepState(s.key, s.status, s.opened_at, s.done_at, s.outcome)
        for s in complaint.steps
        if not STEP_BY_ID[s.key].per_item
    ]


def views_of(uow: UnitOfWork, step: Step) -> tuple[StepView, ComplaintView]:
    return (
        mapping.step_view(step, uow.config),
        mapping.complaint_view(step.complaint, uow.config, steps=False),
    )


# Task cards ----------------------------------------------------------------------------


def card_notice(uow: UnitOfWork, step: Step, to: list[Recipient]) -> Notice:
    view, complaint = views_of(uow, step)
    tz = uow.config.timezone
    return Notice(
        Purpose.TASK,
        to,
        lambda language: [cards.task_card(view, complaint, language, tz)],
        complaint=step.complaint,
        step_id=step.id,
    )


def task_recipients(
    uow: UnitOfWork, step: Step, *, leadership_group: bool = True
) -> list[Recipient]:
    complaint = step.complaint
    owners = (uow.config.owner(step.key), *STEP_BY_ID[step.key].co_owners)
    audience = [
        member
        for owner in owners
        for member in task_audience(
            owner,
            complaint.plant,
            filed_by_id=complaint.filed_by_id,
            assignee_id=step.assignee_id,
            leadership_group=leadership_group,
        )
    ]
    return recipients(uow.session, uow.config, audience)


def refresh_cards(uow: UnitOfWork, step: Step) -> None:
    """Edit every card of the step in place to show its new state."""
    view, complaint = views_of(uow, step)
    tz = uow.config.timezone
    edit_cards(
        uow,
        step,
        Purpose.TASK,
        Purpose.TASK_EDIT,
        lambda lang: [cards.task_card(view, complaint, lang, tz)],
    )


def edit_cards(
    uow: UnitOfWork,
    step: Step,
    purpose: Purpose,
    edit_purpose: Purpose,
    render: Callable[[str], list[Message]],
) -> None:
    """Edit in place every card remembered under this step and purpose (task cards, the
    plan card of step 10), each in its chat's language."""
    for card in queries.cards_of_step(uow.session, step.id, purpose):
        language = language_of_chat(uow.session, uow.config, card.chat_id)
        post(
            uow.session,
            Notice(
                edit_purpose,
                [Recipient(card.chat_id, language)],
                render,
                method=Method.EDIT,
                complaint=step.complaint,
                step_id=step.id,
                edit_of={card.chat_id: card.id},
            ),
            uow.now,
        )


# Rights --------------------------------------------------------------------------------


def may_press(uow: UnitOfWork, person: Person | None, step: Step) -> bool:
    return person is not None and access.may_press(
        mapping.who(person),
        uow.config.owner(step.key),
        mapping.case(step.complaint),
        any_vp=STEP_BY_ID[step.key].any_vp,
        co_owners=STEP_BY_ID[step.key].co_owners,
        assignee_id=step.assignee_id,
    )


def may_see(uow: UnitOfWork, person: Person | None, complaint: Complaint) -> bool:
    """/show's rule and Show's alike (access.may_see): acting on one of the complaint's
    open steps counts."""
    if person is None:
        return False
    who, case = mapping.who(person), mapping.case(complaint)
    if access.may_see(who, case):
        return True
    acts = any(s.status == StepStatus.OPEN and may_press(uow, person, s) for s in complaint.steps)
    return access.may_see(who, case, acts_on_it=acts)


# Items and the plan card ---------------------------------------------------------------


def item_recipients(uow: UnitOfWork, step: Step, owner: Person) -> list[Recipient]:
    """An item's work: its owner, and their department's group where there is one."""
    to = task_recipients(uow, step)
    known = {r.chat_id for r in to}
    groups = department_group(owner.role, step.complaint.plant)
    return to + [r for r in recipients(uow.session, uow.config, groups) if r.chat_id not in known]


def refresh_plan_cards(uow: UnitOfWork, plan: Plan) -> None:
    """Edit every plan card in place to show the items as they stand."""
    uow.session.flush()
    uow.session.refresh(plan)
    view = mapping.plan_view(plan)
    complaint_view = mapping.complaint_view(plan.complaint, uow.config, steps=False)
    tz = uow.config.timezone
    step = uow.session.get(Step, plan.step_id)
    assert step is not None
    render = lambda lang: [cards.plan_card(view, complaint_view, lang, tz)]  # noqa: E731
    edit_cards(uow, step, Purpose.PLAN, Purpose.PLAN_EDIT, render)
