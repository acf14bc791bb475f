"""The step life: the procedure's transitions stored (step rows, events, cards), and the
life of a rectification plan's items, whose tasks are steps of their own.

An item's task is a step row tied to the item, so finishing one, and the plan's items
running again when step 13 opens in a later round, are part of the same life: the use
cases (bot.services.steps: presses and notes; bot.services.plans: drafts and the
plan issued; meetings, extensions, resources) build on this module, never the other
way round.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from bot.procedure import engine
from bot.procedure import plans as rules
from bot.procedure.durations import parse_duration
from bot.procedure.pings import next_ping_at, ping_time
from bot.procedure.plans import ItemStatus
from bot.procedure.routing import (
    closure_audience,
    result_audience,
)
from bot.procedure.steps import (
    DONE,
    ITEM_ACCEPTANCE,
    PLAN_ITEM,
    RECTIFICATION,
    STEP_BY_ID,
    ComplaintStatus,
    Outcome,
    OutcomeDef,
    StepStatus,
)
from bot.services import mapping
from bot.services.events import Actor, log_event
from bot.services.notices import (
    Notice,
    post,
    recipients,
)
from bot.services.signatures import sign
from bot.services.step_cards import (
    as_engine,
    card_notice,
    facts_of,
    item_recipients,
    refresh_cards,
    refresh_plan_cards,
    states_of,
    task_recipients,
    views_of,
)
from bot.services.uow import UnitOfWork
from bot.views import cards
from bot.views.models import (
    ClosureView,
    MissedLimit,
)
from storage import queries
from storage.models import Complaint, Person, PlanItem, Purpose, Step


class PressResult(StrEnum):
    OK = "ok"
    DENIED = "denied"
    NOT_OPEN = "not_open"
    WRONG_BUTTON = "wrong_button"
    CAUSES_FIRST = "causes_first"  # the appraisal: name the cause categories before Done


# Transitions ---------------------------------------------------------------------------


def apply_transition(
    uow: UnitOfWork,
    complaint: Complaint,
    transition: engine.Transition,
    actor: Actor,
    outcome: Outcome = Outcome.DONE,
) -> list[Step]:
    """Store a transition: step rows, events, cards. Returns the steps it changed."""
    session, config, now = uow.session, uow.config, uow.now
    changed: list[Step] = []
    open_steps = {s.key: s for s in complaint.steps if s.status == StepStatus.OPEN}
    for index, key in enumerate(transition.done):
        step = open_steps.get(key) or _filing_step(uow, complaint, key)
        mark_done(uow, step, actor, outcome if index == 0 else Outcome.DONE)
        changed.append(step)
    # Skipped: open steps no longer needed. Superseded: done steps sent back for rework.
    for keys, before, after in (
        (transition.skipped, StepStatus.OPEN, StepStatus.SKIPPED),
        (transition.superseded, StepStatus.DONE, StepStatus.SUPERSEDED),
    ):
        for step in complaint.steps:
            if step.key in keys and step.status == before and step not in changed:
                step.status = after
                step.next_ping_at = None
                changed.append(step)
                if after is StepStatus.SKIPPED:
                    log_event(session, actor, "step_skipped", now, complaint, step=step.key)
    if transition.skipped:
        # A plan item's tasks go with the plan: the case ended, or no plan is needed now.
        facts = facts_of(complaint)
        for step in complaint.steps:
            definition = STEP_BY_ID[step.key]
            running = definition.per_item and step.status == StepStatus.OPEN
            if running and (transition.closed or not definition.applies(facts)):
                step.status, step.next_ping_at = StepStatus.SKIPPED, None
                changed.append(step)
    policy = config.ping_policy()
    for opening in transition.opened:
        step = Step(
            key=opening.key,
            status=StepStatus.OPEN,
            opened_at=now,
            due_at=opening.due_at,
            pings_sent=0,
        )
        if opening.due_at is not None:
            step.next_ping_at = next_ping_at(now, opening.due_at, 0, policy)
        complaint.steps.append(step)
        session.flush()
        due = opening.due_at.isoformat() if opening.due_at else None
        log_event(session, actor, "step_opened", now, complaint, step=opening.key, due=due)
        post(session, card_notice(uow, step, task_recipients(uow, step)), now)
        changed.append(step)
    session.flush()
    for step in changed:
        if step.id is not None and step.status != StepStatus.OPEN:
            refresh_cards(uow, step)
            # Nothing held for later is needed now: its pings, its meeting's reminder.
            queries.drop_held_pings(session, step.id)
            queries.drop_held_pings(session, step.id, Purpose.MEETING)
    if transition.opened and complaint.status == ComplaintStatus.CLOSED:
        # A recheck found the problem back: the case is open again.
        complaint.status, complaint.closed_at = ComplaintStatus.OPEN, None
        log_event(session, actor, "reopened", now, complaint)
    if transition.closed and complaint.status != ComplaintStatus.CLOSED:
        complaint.status = ComplaintStatus.CLOSED
        complaint.closed_at = now
        log_event(session, actor, "closed", now, complaint)
        _announce_closure(uow, complaint)
    if any(o.key == RECTIFICATION for o in transition.opened):
        settle_items(uow, complaint, actor)
    return changed


def mark_done(uow: UnitOfWork, step: Step, actor: Actor, outcome: Outcome, **detail: Any) -> None:
    """A step done now with this outcome, by the actor; its event says whether it was late."""
    now = uow.now
    step.status, step.done_at, step.done_by = StepStatus.DONE, now, actor.person
    step.outcome, step.next_ping_at = outcome, None
    event = log_event(
        uow.session,
        actor,
        "step_done",
        now,
        step.complaint,
        step=step.key,
        **detail,
        outcome=outcome.value,
        late=bool(step.due_at and now > step.due_at),
    )
    ending = STEP_BY_ID[step.key].outcome(outcome)
    if ending is not None and ending.signs is not None:
        # An acceptance or a sign-off: a signature that says what it means.
        uow.session.flush()  # the event's id
        sign(uow, actor, step.complaint, ending.signs, event, step=step, item=step.plan_item)


def _announce_closure(uow: UnitOfWork, complaint: Complaint) -> None:
    """The closure card to sales, the plant's QC and (A and B) leadership."""
    assert complaint.closed_at is not None
    missed = tuple(
        MissedLimit(
            STEP_BY_ID[s.key].title,
            uow.config.owner(s.key),
            s.due_at,
            s.done_at,
            s.done_by.name if s.done_by else None,
        )
        for s in complaint.steps
        if s.due_at is not None
        and s.status in (StepStatus.DONE, StepStatus.SUPERSEDED)
        and s.done_at is not None
        and s.done_at > s.due_at
    )
    view = ClosureView(
        mapping.complaint_view(complaint, uow.config, steps=False), complaint.closed_at, missed
    )
    tz = uow.config.timezone
    post(
        uow.session,
        Notice(
            Purpose.CLOSURE,
            recipients(uow.session, uow.config, closure_audience(complaint.plant, complaint.grade)),
            lambda language: cards.closure(view, language, tz),
            complaint=complaint,
        ),
        uow.now,
    )


def _filing_step(uow: UnitOfWork, complaint: Complaint, key: str) -> Step:
    """Step 1 is done by the filing itself: its row is made as it is done."""
    step = Step(
        key=key,
        status=StepStatus.OPEN,
        opened_at=complaint.received_at,
        due_at=uow.config.timing().due(
            STEP_BY_ID[key],
            opened_at=complaint.received_at,
            received_at=complaint.received_at,
            occurred_at=complaint.occurred_at,
        ),
        pings_sent=0,
    )
    complaint.steps.append(step)
    return step


def start_procedure(uow: UnitOfWork, complaint: Complaint, actor: Actor) -> list[Step]:
    transition = engine.registration(as_engine(complaint), uow.config.timing(), uow.now)
    return apply_transition(uow, complaint, transition, actor)


def finish_step(
    uow: UnitOfWork, step: Step, actor: Actor, ending: OutcomeDef = DONE
) -> PressResult:
    """Finish an open step with one of its outcomes: a press, or what completes it
    elsewhere (a meeting's minutes, the plan issued, its items accepted)."""
    if STEP_BY_ID[step.key].per_item:
        return finish_item(uow, step, actor, ending)
    complaint = step.complaint
    try:
        transition = engine.complete(
            as_engine(complaint),
            states_of(complaint),
            step.key,
            ending.outcome,
            uow.config.timing(),
            uow.now,
        )
    except engine.StepError:
        return PressResult.WRONG_BUTTON
    # Claim the step before storing: of two presses at once, only one gets past this.
    if not queries.claim_step(uow.session, step.id):
        return PressResult.NOT_OPEN
    uow.touch(step)
    if ending.solvable_today is not None:
        complaint.solvable_today = ending.solvable_today
    if ending.recurs:
        complaint.is_recurring = True  # the recheck found it back: a recurring problem
    apply_transition(uow, complaint, transition, actor, ending.outcome)
    if ending.starts_recheck and uow.config.recheck.enabled:
        later = uow.now + parse_duration(uow.config.recheck.after)
        queries.set_recheck(uow.session, complaint, later)
    report_result(uow, step, step.note, actor)
    return PressResult.OK


def report_result(uow: UnitOfWork, step: Step, text: str | None, actor: Actor) -> None:
    """A done step's result goes where the procedure sends it (step 7 to sales, ...)."""
    readers = STEP_BY_ID[step.key].reports_to
    if not readers or step.status != StepStatus.DONE:
        return
    complaint = step.complaint
    audience = result_audience(readers, filed_by_id=complaint.filed_by_id)
    view, complaint_view = views_of(uow, step)
    by = actor.person.name if actor.person else None
    post(
        uow.session,
        Notice(
            Purpose.RESULT,
            recipients(uow.session, uow.config, audience),
            lambda language: cards.step_result(view, complaint_view, text, by, language),
            complaint=complaint,
        ),
        uow.now,
    )


def move_due(uow: UnitOfWork, step: Step, due_at: datetime) -> None:
    """A new limit for an open step (a plan item's new date, an extension approved): its
    reminders and escalations count to it, those already past skipped, held ones dropped;
    its cards show it."""
    policy = uow.config.ping_policy()
    sent = 0
    while ping_time(step.opened_at, due_at, sent, policy) <= uow.now:
        sent += 1
    step.due_at, step.pings_sent = due_at, sent
    step.next_ping_at = ping_time(step.opened_at, due_at, sent, policy)
    queries.drop_held_pings(uow.session, step.id)
    queries.forget_waiting_pings(uow.session, step.id)
    uow.session.flush()
    refresh_cards(uow, step)


# Items: their tasks are steps ----------------------------------------------------------


def end_of_day(day: date, uow: UnitOfWork) -> datetime:
    """A due date is met by the end of that working day, in the company's zone."""
    return datetime.combine(day, uow.config.workday_end, tzinfo=uow.config.tz)


def company_today(uow: UnitOfWork) -> date:
    return uow.now.astimezone(uow.config.tz).date()


def running_task(item: PlanItem, key: str = PLAN_ITEM) -> Step | None:
    return next((s for s in item.steps if s.key == key and s.status == StepStatus.OPEN), None)


def open_item_task(
    uow: UnitOfWork, item: PlanItem, key: str, assignee: Person, due_at: datetime, actor: Actor
) -> Step:
    """An item's task for one person: its work (owner) or its acceptance (acceptor)."""
    now = uow.now
    complaint = item.plan.complaint
    step = Step(
        key=key,
        status=StepStatus.OPEN,
        opened_at=now,
        due_at=due_at,
        pings_sent=0,
        assignee=assignee,
        plan_item=item,
        next_ping_at=next_ping_at(now, due_at, 0, uow.config.ping_policy()),
    )
    complaint.steps.append(step)
    uow.session.flush()
    log_event(
        uow.session,
        actor,
        "step_opened",
        now,
        complaint,
        step=key,
        item=item.number,
        to=assignee.name,
        due=due_at.isoformat(),
    )
    to = item_recipients(uow, step, assignee) if key == PLAN_ITEM else task_recipients(uow, step)
    post(uow.session, card_notice(uow, step, to), now)
    return step


def _acceptance_due(uow: UnitOfWork) -> datetime:
    due = uow.config.limit(ITEM_ACCEPTANCE).due(
        uow.now, workday_end=uow.config.workday_end, tz=uow.config.tz
    )
    assert due is not None
    return due


def finish_item(uow: UnitOfWork, step: Step, actor: Actor, ending: OutcomeDef) -> PressResult:
    """An item's task finished: the work done (acceptance opens), accepted, or sent back."""
    item = step.plan_item
    if item is None:
        return PressResult.WRONG_BUTTON
    if not queries.claim_step(uow.session, step.id):
        return PressResult.NOT_OPEN
    session, now = uow.session, uow.now
    uow.touch(step)
    mark_done(uow, step, actor, ending.outcome, item=item.number)
    complaint = item.plan.complaint
    if step.key == PLAN_ITEM:
        item.status, item.submitted_at = rules.submit(item.status), now
        open_item_task(uow, item, ITEM_ACCEPTANCE, item.acceptor, _acceptance_due(uow), actor)
    elif ending.outcome is Outcome.ACCEPTED:
        item.status, item.accepted_at = rules.accept(item.status), now
        log_event(session, actor, "item_accepted", now, complaint, item=item.number)
    else:
        # Done again a week on, or by its own date if that is later still.
        planned = item.due_at.astimezone(uow.config.tz).date()
        later = max(planned, rules.default_due(company_today(uow)))
        item.status, due = rules.send_back(item.status, today=company_today(uow), due=later)
        item.due_at = end_of_day(due, uow)
        item.times_sent_back += 1
        log_event(
            session, actor, "item_sent_back", now, complaint, item=item.number, due=due.isoformat()
        )
        open_item_task(uow, item, PLAN_ITEM, item.owner, item.due_at, actor)
    session.flush()
    refresh_cards(uow, step)
    queries.drop_held_pings(session, step.id)
    refresh_plan_cards(uow, item.plan)
    if item.status is ItemStatus.ACCEPTED:
        _finish_rectification(uow, complaint, actor)
    return PressResult.OK


def _finish_rectification(uow: UnitOfWork, complaint: Complaint, actor: Actor) -> None:
    """Every item accepted and step 13 open: it is done, and the verification opens."""
    plan = queries.plan_of(uow.session, complaint.id)
    if plan is None or not rules.all_accepted([i.status for i in plan.items]):
        return
    umbrella = next(
        (s for s in complaint.steps if s.key == RECTIFICATION and s.status == StepStatus.OPEN),
        None,
    )
    if umbrella is not None:
        finish_step(uow, umbrella, actor, DONE)


def settle_items(uow: UnitOfWork, complaint: Complaint, actor: Actor) -> None:
    """Step 13 just opened. In a later round (the verification found it not effective,
    or the customer was not satisfied) every accepted item runs again, due a week on;
    the first time, items all accepted already finish it at once."""
    plan = queries.plan_of(uow.session, complaint.id)
    if plan is None or not plan.items:
        return
    if not rules.all_accepted([i.status for i in plan.items]):
        return
    again = any(
        s.key == RECTIFICATION and s.status == StepStatus.SUPERSEDED for s in complaint.steps
    )
    if not again:
        _finish_rectification(uow, complaint, actor)
        return
    for item in plan.items:
        item.status, due = rules.reopen(item.status, today=company_today(uow))
        item.due_at, item.submitted_at, item.accepted_at = end_of_day(due, uow), None, None
        log_event(
            uow.session,
            actor,
            "item_reopened",
            uow.now,
            complaint,
            item=item.number,
            due=due.isoformat(),
        )
        open_item_task(uow, item, PLAN_ITEM, item.owner, item.due_at, actor)
    refresh_plan_cards(uow, plan)
