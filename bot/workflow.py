"""The procedure engine applied to stored complaints: steps, task cards, presses, pings.

Every function here runs inside the caller's transaction and adds the step
rows, the event-log rows and the outbox rows of one change together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from bot import keyboards
from bot.config import KesuConfig
from bot.events import Actor, log_event
from bot.notify import enqueue, language_of
from bot.procedure import engine
from bot.procedure.grading import Grade, Plant
from bot.procedure.pings import PingKind, due_ping, next_ping_at
from bot.procedure.roles import Role
from bot.procedure.routing import leading_role, responsible_plants
from bot.procedure.steps import LEADING_VP, STEP_BY_ID, Facts, Outcome
from bot.render import render, split_html
from storage import queries
from storage.models import Complaint, Person, Step


class Press(StrEnum):
    DONE = "done"
    NOT_QUALITY = "nq"
    SATISFIED = "sat"
    NOT_SATISFIED = "unsat"
    TAKE = "take"
    BLOCK = "block"
    SHOW = "show"


OUTCOME_OF = {
    Press.DONE: Outcome.DONE,
    Press.NOT_QUALITY: Outcome.NOT_QUALITY,
    Press.SATISFIED: Outcome.SATISFIED,
    Press.NOT_SATISFIED: Outcome.NOT_SATISFIED,
}


class PressResult(StrEnum):
    OK = "ok"
    DENIED = "denied"
    NOT_OPEN = "not_open"
    WRONG_BUTTON = "wrong_button"


@dataclass(frozen=True)
class Recipient:
    chat_id: int
    language: str


def as_engine(complaint: Complaint) -> engine.Complaint:
    facts = Facts(
        grade=Grade(complaint.grade), serious=complaint.is_serious, returned=complaint.is_return
    )
    return engine.Complaint(facts, complaint.received_at, complaint.occurred_at)


def _states(complaint: Complaint) -> list[engine.StepState]:
    return [engine.StepState(s.key, s.status, s.opened_at, s.done_at) for s in complaint.steps]


def leading_roles(complaint: Complaint) -> list[Role]:
    role = leading_role(Plant(complaint.plant))
    return [role] if role else [Role.VP_EXEC, Role.VP_PRODUCTION]  # plant not known yet


def leading_vps(session: Session, complaint: Complaint) -> list[Person]:
    return [p for r in leading_roles(complaint) for p in queries.people_with_role(session, r.value)]


def owner_recipients(
    session: Session,
    config: KesuConfig,
    complaint: Complaint,
    step: Step,
    *,
    leadership_group: bool = True,
) -> list[Recipient]:
    """The department group chats of the step's owner for the plant, and the named people.

    Reminders leave the leadership group out: a VP's pings go to the VP alone.
    """
    owner = config.owner(step.key)
    plants = [p.value for p in responsible_plants(Plant(complaint.plant))]
    chats: list[int | None] = []
    people: list[Person] = []
    if owner == Role.SALES:
        chats.append(queries.chat_id_for(session, "sales"))
        people.append(complaint.filed_by)
    elif owner in (Role.QC, Role.PRODUCTION):
        chats.extend(queries.chat_id_for(session, str(owner), plant) for plant in plants)
    elif owner == LEADING_VP:
        if leadership_group:
            chats.append(queries.chat_id_for(session, "leadership"))
        people.extend(leading_vps(session, complaint))
    if step.assignee is not None:
        people.append(step.assignee)
    found: dict[int, Recipient] = {}
    for chat_id in chats:
        if chat_id is not None:
            found.setdefault(chat_id, Recipient(chat_id, config.default_language))
    for person in people:
        if person.active:
            found.setdefault(
                person.telegram_id, Recipient(person.telegram_id, language_of(person, config))
            )
    return list(found.values())


def _owns(person: Person, owner: str, complaint: Complaint) -> bool:
    """The step's owner role for the complaint's plant."""
    if owner == LEADING_VP:
        return person.role in leading_roles(complaint)
    roles = {Role.QC, Role.TECH} if owner == Role.QC else {owner}
    if person.role not in roles:
        return False
    plants = {p.value for p in responsible_plants(Plant(complaint.plant))}
    return owner == Role.SALES or person.plant is None or person.plant in plants


def may_press(person: Person, owner: str, complaint: Complaint) -> bool:
    """The owner role for the plant, the leading VP, the GM or an admin."""
    if person.is_admin or person.role == Role.GM or person.role in leading_roles(complaint):
        return True
    return _owns(person, owner, complaint)


# Task cards -------------------------------------------------------------------------


def is_mine(person: Person, step: Step, owner: str) -> bool:
    """For /mytasks: taken by the person, or theirs by role and plant (not by GM/admin rights)."""
    if step.assignee_id is not None:
        return step.assignee_id == person.id
    if owner == Role.SALES:
        return step.complaint.filed_by_id == person.id
    return _owns(person, owner, step.complaint)


def card_for(step: Step, config: KesuConfig, language: str) -> dict[str, Any]:
    return _card(step, step.complaint, config, language)


def _card(step: Step, complaint: Complaint, config: KesuConfig, language: str) -> dict[str, Any]:
    text = render(
        "task_card.html",
        language,
        s=step,
        c=complaint,
        tz=config.timezone,
        owner=config.owner(step.key),
        number=STEP_BY_ID[step.key].number,
    )
    return {
        "text": split_html(text)[0],
        "keyboard": keyboards.task(language, step.key, step.id, step.status, complaint.plant),
    }


def _send_card(
    session: Session, config: KesuConfig, step: Step, recipient: Recipient, now: datetime
) -> None:
    row = enqueue(
        session,
        chat_id=recipient.chat_id,
        method="message",
        payload=_card(step, step.complaint, config, recipient.language),
        purpose="task",
        now=now,
        complaint=step.complaint,
    )
    row.step_id = step.id  # remembered: a change of the step edits this card


def _send_cards(
    session: Session, config: KesuConfig, complaint: Complaint, step: Step, now: datetime
) -> None:
    for recipient in owner_recipients(session, config, complaint, step):
        _send_card(session, config, step, recipient, now)


def refresh_cards(session: Session, config: KesuConfig, step: Step, now: datetime) -> None:
    """Edit every card of the step in place to show its new state."""
    complaint = step.complaint
    for card in queries.cards_of_step(session, step.id):
        language = (
            config.default_language
            if card.chat_id < 0
            else _language_of_chat(session, config, card.chat_id)
        )
        payload = _card(step, complaint, config, language)
        payload["edit_of"] = card.id
        row = enqueue(
            session,
            chat_id=card.chat_id,
            method="edit",
            payload=payload,
            purpose="task_edit",
            now=now,
            complaint=complaint,
        )
        row.step_id = step.id


def _language_of_chat(session: Session, config: KesuConfig, chat_id: int) -> str:
    person = queries.person_by_telegram_id(session, chat_id)
    return language_of(person, config) if person else config.default_language


# Transitions ------------------------------------------------------------------------


def _apply(
    session: Session,
    config: KesuConfig,
    complaint: Complaint,
    transition: engine.Transition,
    actor: Actor,
    now: datetime,
    outcome: Outcome = Outcome.DONE,
) -> list[Step]:
    """Store a transition: step rows, events, cards. Returns the steps it changed."""
    changed: list[Step] = []
    open_steps = {s.key: s for s in complaint.steps if s.status == engine.OPEN}
    for index, key in enumerate(transition.done):
        step = open_steps.get(key)
        if step is None:  # step 1 is done by the filing itself
            step = Step(
                key=key,
                status=engine.OPEN,
                opened_at=complaint.received_at,
                due_at=config.timing().due(
                    STEP_BY_ID[key],
                    opened_at=complaint.received_at,
                    received_at=complaint.received_at,
                    occurred_at=complaint.occurred_at,
                ),
                pings_sent=0,
            )
            complaint.steps.append(step)
        step.status = engine.DONE
        step.done_at = now
        step.done_by = actor.person
        step.outcome = (outcome if index == 0 else Outcome.DONE).value
        step.next_ping_at = None
        changed.append(step)
        log_event(
            session,
            actor,
            "step_done",
            now,
            complaint,
            step=key,
            outcome=step.outcome,
            late=bool(step.due_at and now > step.due_at),
        )
    # Skipped: open steps no longer needed. Superseded: done steps sent back for rework.
    for keys, before, after in (
        (transition.skipped, engine.OPEN, engine.SKIPPED),
        (transition.superseded, engine.DONE, engine.SUPERSEDED),
    ):
        for step in complaint.steps:
            if step.key in keys and step.status == before and step not in changed:
                step.status = after
                step.next_ping_at = None
                changed.append(step)
    policy = config.ping_policy()
    for opening in transition.opened:
        step = Step(
            key=opening.key, status=engine.OPEN, opened_at=now, due_at=opening.due_at, pings_sent=0
        )
        if opening.due_at is not None:
            step.next_ping_at = next_ping_at(now, opening.due_at, 0, policy)
        complaint.steps.append(step)
        session.flush()
        log_event(
            session,
            actor,
            "step_opened",
            now,
            complaint,
            step=opening.key,
            due=opening.due_at.isoformat() if opening.due_at else None,
        )
        _send_cards(session, config, complaint, step, now)
        changed.append(step)
    session.flush()
    for step in changed:
        if step.id is not None and step.status != engine.OPEN:
            refresh_cards(session, config, step, now)
    if transition.closed and complaint.status != queries.CLOSED:
        complaint.status = queries.CLOSED
        complaint.closed_at = now
        log_event(session, actor, "closed", now, complaint)
    return changed


def start_procedure(
    session: Session, config: KesuConfig, complaint: Complaint, actor: Actor, now: datetime
) -> list[Step]:
    transition = engine.registration(as_engine(complaint), config.timing(), now)
    return _apply(session, config, complaint, transition, actor, now)


def press(
    session: Session,
    config: KesuConfig,
    step_id: int,
    action: Press,
    person: Person | None,
    actor: Actor,
    now: datetime,
) -> tuple[PressResult, Step | None]:
    """A button on a task card. Checks the right, then changes the state (or not)."""
    step = queries.step_by_id(session, step_id)
    if step is None:
        return PressResult.NOT_OPEN, None
    complaint = step.complaint
    # Anyone not on the people list, or without the right, changes nothing; it is logged.
    if person is None or (
        action is not Press.SHOW and not may_press(person, config.owner(step.key), complaint)
    ):
        log_event(
            session, actor, "press_refused", now, complaint, step=step.key, button=action.value
        )
        return PressResult.DENIED, step
    if action is Press.SHOW:
        return PressResult.OK, step
    if step.status != engine.OPEN:
        return PressResult.NOT_OPEN, step
    if action is Press.TAKE:
        step.assignee = person
        log_event(session, actor, "step_taken", now, complaint, step=step.key)
        refresh_cards(session, config, step, now)
        if person.telegram_id not in {c.chat_id for c in queries.cards_of_step(session, step.id)}:
            # The named owner now: the card comes to them privately too.
            _send_card(
                session,
                config,
                step,
                Recipient(person.telegram_id, language_of(person, config)),
                now,
            )
        return PressResult.OK, step
    if action is Press.BLOCK:
        return PressResult.OK, step  # the reason is asked for; see block()
    outcome = OUTCOME_OF[action]
    try:
        transition = engine.complete(
            as_engine(complaint), _states(complaint), step.key, outcome, config.timing(), now
        )
    except engine.StepError:
        return PressResult.WRONG_BUTTON, step
    # Claim the step before storing: of two presses at once, only one gets past this.
    if not queries.claim_step(session, step.id):
        return PressResult.NOT_OPEN, step
    _apply(session, config, complaint, transition, actor, now, outcome)
    return PressResult.OK, step


def set_plant(
    session: Session,
    config: KesuConfig,
    step_id: int,
    plant: Plant,
    person: Person | None,
    actor: Actor,
    now: datetime,
) -> tuple[PressResult, Step | None]:
    """QC name the plant of origin at the initial assessment (it was unknown at intake)."""
    step = queries.step_by_id(session, step_id)
    if step is None or step.key != "initial_assessment" or plant is Plant.UNKNOWN:
        return PressResult.WRONG_BUTTON, step
    complaint = step.complaint
    if person is None or not may_press(person, config.owner(step.key), complaint):
        log_event(
            session,
            actor,
            "press_refused",
            now,
            complaint,
            step=step.key,
            button=f"plant:{plant.value}",
        )
        return PressResult.DENIED, step
    if step.status != engine.OPEN or complaint.plant != Plant.UNKNOWN.value:
        return PressResult.NOT_OPEN, step
    complaint.plant = plant.value
    log_event(session, actor, "plant_set", now, complaint, step=step.key, plant=plant.value)
    # From now on the plant's own people and leading VP own the open steps.
    for open_step in complaint.steps:
        if open_step.status == engine.OPEN:
            refresh_cards(session, config, open_step, now)
    return PressResult.OK, step


def block(
    session: Session, config: KesuConfig, step: Step, reason: str, actor: Actor, now: datetime
) -> None:
    """Blocked for want of resources: the special report goes to the GM (section 4)."""
    complaint = step.complaint
    step.blocked_reason = reason
    log_event(session, actor, "step_blocked", now, complaint, step=step.key, reason=reason)
    people = [*queries.people_with_role(session, Role.GM.value), *leading_vps(session, complaint)]
    seen: set[int] = set()
    for person in people:
        if person.telegram_id in seen:
            continue
        seen.add(person.telegram_id)
        language = language_of(person, config)
        text = render(
            "special_report.html",
            language,
            s=step,
            c=complaint,
            reason=reason,
            by=actor.person,
            tz=config.timezone,
        )
        for part in split_html(text):
            enqueue(
                session,
                chat_id=person.telegram_id,
                method="message",
                payload={"text": part},
                purpose="special_report",
                now=now,
                complaint=complaint,
            )
    refresh_cards(session, config, step, now)


def add_note(
    session: Session,
    config: KesuConfig,
    step: Step,
    text: str | None,
    file_id: str | None,
    actor: Actor,
    now: datetime,
) -> None:
    """A note, photo or document for a step; a step that records a form field fills it."""
    step.note = "\n".join(filter(None, [step.note, text])) or None
    step.file_id = file_id or step.file_id
    field = STEP_BY_ID[step.key].records
    if field and text:
        setattr(step.complaint, field, text)
    log_event(
        session,
        actor,
        "step_note",
        now,
        step.complaint,
        step=step.key,
        has_file=file_id is not None,
    )
    refresh_cards(session, config, step, now)


# Pings ------------------------------------------------------------------------------


def fire_ping(
    session: Session, config: KesuConfig, step_id: int, now: datetime, actor: Actor
) -> bool:
    """Send the reminder or escalation that is due for a step; False when stale."""
    step = queries.step_by_id(session, step_id)
    if step is None or step.status != engine.OPEN or step.due_at is None:
        return False
    policy = config.ping_policy()
    ping = due_ping(step.opened_at, step.due_at, step.pings_sent, now, policy)
    if ping is None:
        return False
    complaint = step.complaint
    recipients = owner_recipients(session, config, complaint, step, leadership_group=False)
    if ping.kind is not PingKind.REMINDER:
        escalate = leading_vps(session, complaint)
        if complaint.grade == Grade.A.value:
            escalate += list(queries.people_with_role(session, Role.GM.value))
        known = {r.chat_id for r in recipients}
        recipients += [
            Recipient(p.telegram_id, language_of(p, config))
            for p in escalate
            if p.telegram_id not in known
        ]
    for recipient in recipients:
        text = render(
            "ping.html",
            recipient.language,
            s=step,
            c=complaint,
            ping=ping,
            now=now,
            tz=config.timezone,
        )
        enqueue(
            session,
            chat_id=recipient.chat_id,
            method="message",
            payload={
                "text": split_html(text)[0],
                "keyboard": keyboards.task(
                    recipient.language, step.key, step.id, step.status, complaint.plant
                ),
            },
            purpose="ping",
            now=now,
            complaint=complaint,
        )
    step.pings_sent = ping.index + 1
    step.next_ping_at = next_ping_at(step.opened_at, step.due_at, step.pings_sent, policy)
    log_event(
        session,
        actor,
        "ping",
        now,
        complaint,
        step=step.key,
        kind=ping.kind.value,
        late=ping.late,
        recipients=[r.chat_id for r in recipients],
    )
    return True
