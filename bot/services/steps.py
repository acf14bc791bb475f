"""What people and the clock do to steps: presses, notes, the nature and plant named,
hand-overs, snoozes, pings and the lists of tasks. The transitions themselves are the
step life's (bot.services.step_life), the cards the step cards' (bot.services.step_cards).

Everything here runs inside one unit of work and adds the step rows, the
event-log rows and the outbox rows of one change together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from bot.procedure import access, engine
from bot.procedure.costs import CostKind
from bot.procedure.grading import Grade, Plant, is_serious
from bot.procedure.intake import FileKind
from bot.procedure.pings import Ping, PingKind, due_ping, next_ping_at
from bot.procedure.quiet import SNOOZE_HOUR, WorkingHours, can_wait
from bot.procedure.routing import (
    Audience,
    escalation_audience,
)
from bot.procedure.steps import (
    STEP_BY_ID,
    ComplaintStatus,
    StepStatus,
)
from bot.services import causes, costs, digests, files, mapping, plans
from bot.services.copies import announce
from bot.services.events import FMEA_ANSWERED, Actor, log_event, log_refusal
from bot.services.notices import (
    Recipient,
    language_of,
    post,
    recipients,
)
from bot.services.step_cards import (
    as_engine,
    card_notice,
    facts_of,
    may_press,
    may_see,
    refresh_cards,
    states_of,
    task_recipients,
    views_of,
)
from bot.services.step_life import (
    PressResult,
    apply_transition,
    finish_step,
    report_result,
)
from bot.services.uow import SCHEDULER, Caller, UnitOfWork
from bot.views.callbacks import StepAction
from bot.views.models import (
    ComplaintView,
    EventView,
    PersonChoice,
    StepView,
)
from storage import queries
from storage.models import Person, Snooze, Step


@dataclass(frozen=True)
class PressStep:
    caller: Caller
    step_id: int
    action: StepAction
    code: str = ""  # the outcome's press code, for FINISH


@dataclass(frozen=True)
class Pressed:
    """What a press did, for the presser."""

    result: PressResult
    step: StepView | None = None
    finished: bool = False  # an outcome was recorded: a note may follow
    asks_reason: bool = False  # Blocked: the reason is asked for
    asks_nature: bool = False  # Change the nature: the choice is offered
    asks_meeting: bool = False  # Schedule the meeting: its time and place are asked for
    asks_extension: bool = False  # Ask for more time: the new date and the reason
    asks_snooze: bool = False  # Snooze reminders: how long is offered
    complaint: ComplaintView | None = None  # Show: the whole complaint
    events: tuple[EventView, ...] = ()
    card: bool = False  # Card (a digest's button): the step's card, with its buttons
    asks_causes: bool = False  # the cause chooser is offered (the appraisal)
    asks_cost: CostKind | None = None  # done: the first figure the step learns is asked
    attach_8d: str | None = None  # the 8D report to attach, in this language (step 12)
    asks_fmea: bool = False  # done: was the FMEA / control plan updated? (the verification)
    cause_mask: int = 0  # the categories chosen so far


@dataclass(frozen=True)
class NamePlant:
    caller: Caller
    step_id: int
    plant: str


class PromptKind(StrEnum):
    NOTE = "note"
    BLOCK = "block"  # the special report (bot.services.resources)
    NATURE = "nature"  # the reason for a new nature; the choice rides with the prompt
    ANSWER = "answer"  # the GM's answer to a special report (bot.services.resources)
    BENEFIT = "benefit"  # a suggestion's realised benefit (bot.services.suggestions)
    MEETING = "meeting"  # a meeting's time and place (bot.services.meetings)
    MINUTES = "minutes"  # a meeting's minutes (bot.services.meetings)
    COST = "cost"  # a figure of the cost of poor quality (bot.services.costs)
    EXTEND = "extend"  # the new date and the reason of an extension (bot.services.extensions)


@dataclass(frozen=True)
class SetNature:
    """QC and technical set the problem's nature and flags at the appraisal (step 3)."""

    caller: Caller
    step_id: int
    grade: Grade
    batch: bool
    recurring: bool
    reason: str


class NatureResult(StrEnum):
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    DENIED = "denied"
    NOT_OPEN = "not_open"


@dataclass(frozen=True)
class PromptReply:
    """A reply to a note or blocking prompt: text, or a photo or document with a caption."""

    caller: Caller
    target_id: int  # the step; for ANSWER the special report
    kind: PromptKind
    text: str | None
    file_id: str | None
    file_kind: FileKind | None = None
    choice: str = ""  # NATURE: grade, batch and recurring as "A10"


class ReplyResult(StrEnum):
    NOTE_ADDED = "note_added"
    REPORTED = "reported"  # the special report went to the GM
    NEEDS_TEXT = "needs_text"  # a blocking reason must be text
    NATURE_SET = "nature_set"
    NATURE_UNCHANGED = "nature_unchanged"
    NOT_ALLOWED = "not_allowed"  # the step is no longer open, or not theirs
    ANSWER_SENT = "answer_sent"  # the GM's answer to a special report went out
    BENEFIT_RECORDED = "benefit_recorded"
    MEETING_PLANNED = "meeting_planned"
    MINUTES_RECORDED = "minutes_recorded"
    IGNORED = "ignored"  # not on the people list, or the step is gone


@dataclass(frozen=True)
class TaskList:
    steps: tuple[StepView, ...]  # the most urgent, at most TASKS_LISTED
    cards: tuple[tuple[StepView, ComplaintView], ...] = ()  # the most urgent, with buttons
    allowed: bool = True
    total: int = 0  # all of them, listed or not
    capped: bool = False  # counting stopped at total: there are more


# A list in a chat is read, not scrolled: the most urgent are listed, the rest counted
# (up to a point: "more than 500" says as much as 17,680 and costs far less).
TASKS_LISTED = 30
TASKS_COUNTED = 500


# Presses -------------------------------------------------------------------------------


def _refuse(uow: UnitOfWork, actor: Actor, step: Step, button: str) -> Pressed:
    # Anyone not on the people list, or without the right, changes nothing; it is logged.
    log_refusal(uow.session, actor, uow.now, step.complaint, step=step.key, button=button)
    return Pressed(PressResult.DENIED, mapping.step_view(step, uow.config))


def press(uow: UnitOfWork, command: PressStep) -> Pressed:
    """A button on a task card. Checks the right against the database, then changes the state."""
    session = uow.session
    step = queries.step_by_id(session, command.step_id)
    if step is None:
        return Pressed(PressResult.NOT_OPEN)
    person = uow.person(command.caller)
    actor = Actor.of(command.caller, person)
    complaint = step.complaint
    if command.action in (StepAction.SHOW, StepAction.CARD) and not may_see(uow, person, complaint):
        return _refuse(uow, actor, step, command.action.value)
    if command.action is StepAction.CARD:
        return Pressed(
            PressResult.OK,
            mapping.step_view(step, uow.config),
            complaint=mapping.complaint_view(complaint, uow.config, steps=False),
            card=True,
        )
    if command.action is StepAction.SHOW:
        # Show: exactly what /show would show them.
        return Pressed(
            PressResult.OK,
            mapping.step_view(step, uow.config),
            complaint=mapping.complaint_view(complaint, uow.config),
            events=mapping.history(session, complaint, uow.config),
        )
    if not may_press(uow, person, step):
        return _refuse(uow, actor, step, command.code or command.action.value)
    assert person is not None
    if step.status != StepStatus.OPEN:
        return Pressed(PressResult.NOT_OPEN, mapping.step_view(step, uow.config))
    definition = STEP_BY_ID[step.key]
    if command.action is StepAction.PLAN or (
        command.action is StepAction.TAKE and definition.per_item
    ):
        # The plan's conversation has its own entry (handlers.plans); an item is one person's.
        return Pressed(PressResult.WRONG_BUTTON, mapping.step_view(step, uow.config))
    if command.action is StepAction.TAKE:
        _take(uow, step, person, actor)
        return Pressed(PressResult.OK, mapping.step_view(step, uow.config))
    if command.action is StepAction.BLOCK:
        # The reason is asked for; see reply_to_prompt.
        return Pressed(PressResult.OK, mapping.step_view(step, uow.config), asks_reason=True)
    if command.action is StepAction.SNOOZE:
        if step.due_at is None:
            return Pressed(PressResult.WRONG_BUTTON, mapping.step_view(step, uow.config))
        return Pressed(PressResult.OK, mapping.step_view(step, uow.config), asks_snooze=True)
    if command.action is StepAction.EXTEND:
        if step.due_at is None or definition.per_item:
            return Pressed(PressResult.WRONG_BUTTON, mapping.step_view(step, uow.config))
        # The new date and the reason are asked for; see bot.services.extensions.
        return Pressed(PressResult.OK, mapping.step_view(step, uow.config), asks_extension=True)
    if command.action is StepAction.MEETING:
        if not STEP_BY_ID[step.key].holds_meeting:
            return Pressed(PressResult.WRONG_BUTTON, mapping.step_view(step, uow.config))
        return Pressed(PressResult.OK, mapping.step_view(step, uow.config), asks_meeting=True)
    if command.action is StepAction.NATURE:
        if not STEP_BY_ID[step.key].sets_nature:
            return Pressed(PressResult.WRONG_BUTTON, mapping.step_view(step, uow.config))
        # The choice is offered; the change itself comes with its reason (set_nature).
        return Pressed(
            PressResult.OK,
            mapping.step_view(step, uow.config),
            asks_nature=True,
            complaint=mapping.complaint_view(complaint, uow.config, steps=False),
        )
    if command.action in (StepAction.EIGHT_D_ZH, StepAction.EIGHT_D_EN):
        if not definition.attaches_8d:
            return Pressed(PressResult.WRONG_BUTTON, mapping.step_view(step, uow.config))
        language = "zh_CN" if command.action is StepAction.EIGHT_D_ZH else "en"
        return Pressed(PressResult.OK, mapping.step_view(step, uow.config), attach_8d=language)
    if command.action is StepAction.CAUSES:
        if not definition.asks_causes:
            return Pressed(PressResult.WRONG_BUTTON, mapping.step_view(step, uow.config))
        return _offer_causes(uow, step, PressResult.OK)
    ending = definition.outcome_by_code(command.code) if definition.pressable else None
    if ending is None:
        return Pressed(PressResult.WRONG_BUTTON, mapping.step_view(step, uow.config))
    if definition.asks_causes and uow.config.causes.required and not complaint.causes:
        # The appraisal names its causes before it is done: the chooser comes instead.
        return _offer_causes(uow, step, PressResult.CAUSES_FIRST)
    finished = finish_step(uow, step, actor, ending)
    if finished is not PressResult.OK:
        return Pressed(finished, mapping.step_view(step, uow.config))
    return Pressed(
        PressResult.OK,
        mapping.step_view(step, uow.config),
        finished=True,
        asks_cost=costs.first_asked(step),
        asks_fmea=definition.asks_fmea,
    )


def _offer_causes(uow: UnitOfWork, step: Step, result: PressResult) -> Pressed:
    complaint = step.complaint
    return Pressed(
        result,
        mapping.step_view(step, uow.config),
        complaint=mapping.complaint_view(complaint, uow.config, steps=False),
        asks_causes=True,
        cause_mask=causes.current_mask(uow, complaint),
    )


@dataclass(frozen=True)
class AnswerFmea:
    caller: Caller
    step_id: int
    updated: bool


def answer_fmea(uow: UnitOfWork, command: AnswerFmea) -> PressResult:
    """Whether the FMEA / control plan was updated, answered after the verification; the
    latest answer stands (the event log keeps each, with who and when)."""
    step = queries.step_by_id(uow.session, command.step_id)
    if step is None or not STEP_BY_ID[step.key].asks_fmea:
        return PressResult.WRONG_BUTTON
    person = uow.person(command.caller)
    actor = Actor.of(command.caller, person)
    if not may_press(uow, person, step):
        return _refuse(uow, actor, step, "fmea").result
    if step.complaint.status == ComplaintStatus.CLOSED:
        return PressResult.NOT_OPEN
    log_event(uow.session, actor, FMEA_ANSWERED, uow.now, step.complaint, updated=command.updated)
    return PressResult.OK


def _take(uow: UnitOfWork, step: Step, person: Person, actor: Actor) -> None:
    step.assignee = person
    uow.session.flush()
    log_event(uow.session, actor, "step_taken", uow.now, step.complaint, step=step.key)
    refresh_cards(uow, step)
    if person.telegram_id not in {c.chat_id for c in queries.cards_of_step(uow.session, step.id)}:
        # The named owner now: the card comes to them privately too.
        to = [Recipient(person.telegram_id, language_of(person, uow.config))]
        post(uow.session, card_notice(uow, step, to), uow.now)


@dataclass(frozen=True)
class HandOver:
    """The leading VP hands step 10 (the plan) to someone else, or the filer a sales step
    to a colleague covering a leave (person None: who could)."""

    caller: Caller
    step_id: int
    person_id: int | None = None


@dataclass(frozen=True)
class HandedOver:
    result: PressResult
    step_id: int = 0
    people: tuple[PersonChoice, ...] = ()
    named: int | None = None  # whom the step is handed to now
    name: str | None = None
    plan: bool = True  # the plan (step 10), else a sales step


def hand_over(uow: UnitOfWork, command: HandOver) -> HandedOver:
    """Whom the leading VP hands the plan to fills it in, as the VP would: the step is
    theirs (their card, their pings), and the hand-over is an event."""
    session = uow.session
    step = queries.step_by_id(session, command.step_id)
    person = uow.person(command.caller)
    actor = Actor.of(command.caller, person)
    if step is None:
        return HandedOver(PressResult.WRONG_BUTTON)
    plan = STEP_BY_ID[step.key].fills_plan
    roles = access.hands_to(uow.config.owner(step.key), plan)
    if roles is not None and not roles:
        return HandedOver(PressResult.WRONG_BUTTON)
    if not may_press(uow, person, step):
        _refuse(uow, actor, step, "hand")
        return HandedOver(PressResult.DENIED, plan=plan)
    if step.status != StepStatus.OPEN:
        return HandedOver(PressResult.NOT_OPEN, plan=plan)
    people = [p for p in queries.active_people(session) if roles is None or p.role in roles]
    chosen = next((p for p in people if p.id == command.person_id), None)
    if chosen is not None and chosen.id != step.assignee_id:
        step.assignee = chosen
        session.flush()
        log_event(
            session, actor, "step_handed", uow.now, step.complaint, step=step.key, to=chosen.name
        )
        refresh_cards(uow, step)
        carded = {c.chat_id for c in queries.cards_of_step(session, step.id)}
        if chosen.telegram_id not in carded:
            to = [Recipient(chosen.telegram_id, language_of(chosen, uow.config))]
            post(session, card_notice(uow, step, to), uow.now)
    choices = tuple(PersonChoice(p.id, p.name, p.role) for p in people)
    named = step.assignee
    return HandedOver(
        PressResult.OK,
        step.id,
        choices,
        named.id if named else None,
        named.name if named else None,
        plan,
    )


def set_nature(uow: UnitOfWork, command: SetNature) -> NatureResult:
    """The appraisal changes the nature and flags, with a reason; what depends on them
    follows at once: steps that no longer apply are no longer needed, steps that now
    apply open from this moment, and the disposition report goes out if the complaint
    became serious."""
    session, now = uow.session, uow.now
    step = queries.step_by_id(session, command.step_id)
    if step is None or not STEP_BY_ID[step.key].sets_nature:
        return NatureResult.NOT_OPEN
    person = uow.person(command.caller)
    actor = Actor.of(command.caller, person)
    if not may_press(uow, person, step):
        _refuse(uow, actor, step, "nature")
        return NatureResult.DENIED
    if step.status != StepStatus.OPEN:
        return NatureResult.NOT_OPEN
    complaint = step.complaint
    before = (complaint.grade, complaint.is_batch, complaint.is_recurring)
    after = (command.grade, command.batch, command.recurring)
    if before == after:
        return NatureResult.UNCHANGED
    was_serious = complaint.is_serious
    complaint.grade, complaint.is_batch, complaint.is_recurring = after
    facts = facts_of(complaint)
    complaint.is_serious = is_serious(
        complaint.grade, batch=facts.batch, recurring=facts.recurring, returned=facts.returned
    )
    log_event(
        session,
        actor,
        "nature_set",
        now,
        complaint,
        step=step.key,
        grade_from=before[0].value,
        grade=command.grade.value,
        batch=command.batch,
        recurring=command.recurring,
        serious=complaint.is_serious,
        reason=command.reason,
    )
    transition = engine.reconcile(
        as_engine(complaint), states_of(complaint), uow.config.timing(), now
    )
    changed = apply_transition(uow, complaint, transition, actor)
    if complaint.is_serious and not was_serious:
        announce(uow, complaint, reports_only=True)
    # The open cards show the nature: they are edited to the new one.
    for open_step in complaint.steps:
        if open_step.status == StepStatus.OPEN and open_step not in changed:
            refresh_cards(uow, open_step)
    return NatureResult.CHANGED


def name_plant(uow: UnitOfWork, command: NamePlant) -> PressResult:
    """QC name the plant of origin on the step that asks for it (unknown at intake)."""
    session = uow.session
    step = queries.step_by_id(session, command.step_id)
    if command.plant not in {p.value for p in Plant}:
        return PressResult.WRONG_BUTTON
    plant = Plant(command.plant)
    if step is None or not STEP_BY_ID[step.key].asks_plant or plant is Plant.UNKNOWN:
        return PressResult.WRONG_BUTTON
    person = uow.person(command.caller)
    actor = Actor.of(command.caller, person)
    complaint = step.complaint
    if not may_press(uow, person, step):
        _refuse(uow, actor, step, f"plant:{plant.value}")
        return PressResult.DENIED
    if step.status != StepStatus.OPEN or complaint.plant != Plant.UNKNOWN:
        return PressResult.NOT_OPEN
    complaint.plant = plant
    log_event(session, actor, "plant_set", uow.now, complaint, step=step.key, plant=plant.value)
    # From now on the plant's own people and leading VP own the open steps.
    for open_step in complaint.steps:
        if open_step.status == StepStatus.OPEN:
            refresh_cards(uow, open_step)
    return PressResult.OK


def reply_to_prompt(uow: UnitOfWork, command: PromptReply) -> ReplyResult:
    """A note for a done step, or the reason for a new nature."""
    step = queries.step_by_id(uow.session, command.target_id)
    person = uow.person(command.caller)
    if command.kind is PromptKind.NATURE and not command.text:
        return ReplyResult.NEEDS_TEXT
    if command.kind is PromptKind.NATURE:
        assert command.text is not None
        grade, batch, recurring = command.choice[:1], command.choice[1:2], command.choice[2:3]
        changed = set_nature(
            uow,
            SetNature(
                command.caller,
                command.target_id,
                Grade(grade),
                batch == "1",
                recurring == "1",
                command.text,
            ),
        )
        return {
            NatureResult.CHANGED: ReplyResult.NATURE_SET,
            NatureResult.UNCHANGED: ReplyResult.NATURE_UNCHANGED,
        }.get(changed, ReplyResult.NOT_ALLOWED)
    if step is None or person is None:
        return ReplyResult.IGNORED
    actor = Actor.of(command.caller, person)
    _add_note(uow, step, command, actor)
    return ReplyResult.NOTE_ADDED


def _add_note(uow: UnitOfWork, step: Step, reply: PromptReply, actor: Actor) -> None:
    """A note, photo or document for a step; a step that records a form field fills it."""
    text, file_id = reply.text, reply.file_id
    step.note = "\n".join(filter(None, [step.note, text])) or None
    if file_id:
        step.file_id, step.file_kind = file_id, reply.file_kind
        files.keep(uow.session, uow.now, file_id, reply.file_kind, complaint_id=step.complaint_id)
    field = STEP_BY_ID[step.key].records
    if field and text:
        setattr(step.complaint, field, text)
    log_event(
        uow.session,
        actor,
        "step_note",
        uow.now,
        step.complaint,
        step=step.key,
        has_file=file_id is not None,
    )
    refresh_cards(uow, step)
    if STEP_BY_ID[step.key].per_item:
        plans.forward_evidence(uow, step, text, file_id, actor)
    elif text:
        report_result(uow, step, text, actor)


# Pings ---------------------------------------------------------------------------------


def fire_ping(uow: UnitOfWork, step_id: int, send: bool = True) -> bool:
    """Send the reminder or escalation that is due for a step; False when stale.
    `send` False: only queued for its chats (bot.services.digests)."""
    session, config, now = uow.session, uow.config, uow.now
    step = queries.step_by_id(session, step_id)
    if step is None or step.status != StepStatus.OPEN:
        return False
    if step.due_at is None:
        step.next_ping_at = None
        return False
    policy = config.ping_policy()
    due = due_ping(step.opened_at, step.due_at, step.pings_sent, now, policy)
    if due is None:
        # Not due after all (the ping policy changed since the time was set): set it again
        # by today's policy, so the scheduler does not wake for it again and again.
        step.next_ping_at = next_ping_at(step.opened_at, step.due_at, step.pings_sent, policy)
        return False
    complaint = step.complaint
    audience: list[Audience] = []
    if due.kind is not PingKind.REMINDER:
        audience = escalation_audience(complaint.plant, complaint.grade)
    owners = task_recipients(uow, step, leadership_group=False)
    known = {r.chat_id for r in owners}
    escalated = [r for r in recipients(session, config, audience) if r.chat_id not in known]
    to = owners + escalated
    held_until = _held_until(uow, step, due)
    snoozed = queries.snoozed_until(session, step.id, now)
    hours = config.quiet()
    night_now = hours is not None and not hours.is_working(now)
    night = queries.night_ping_people(session) if held_until or night_now else set()
    owner_chats = {r.chat_id for r in owners}
    # A repeat of an escalation a chat has heard already waits for the working day: the
    # first one goes at any hour (A and B), and the board shows the step meanwhile.
    told = queries.told_late(session, step.id) if due.kind is PingKind.ESCALATION else set()
    repeat_held = hours.next_start(now) if hours is not None and night_now else None

    def may_go(recipient: Recipient) -> datetime:
        # Quiet hours: those who chose night pings hear now, the rest at the working hour.
        quiet = None if recipient.chat_id in night else held_until
        if quiet is None and recipient.chat_id in told and recipient.chat_id not in night:
            quiet = repeat_held
        if snoozed is not None and recipient.chat_id in owner_chats:
            # Someone silenced the step's reminders a while: its owners hear at its end;
            # the escalations to the VP and the GM go on.
            return max(snoozed, quiet or snoozed)
        return quiet or now

    digests.queue(uow, step, due, [(r, may_go(r)) for r in to], heard=told, send=send)
    step.pings_sent = due.index + 1
    step.next_ping_at = next_ping_at(step.opened_at, step.due_at, step.pings_sent, policy)
    log_event(
        session,
        Actor.of(SCHEDULER, None),
        "ping",
        now,
        complaint,
        step=step.key,
        kind=due.kind.value,
        late=due.late,
        due=due.at.astimezone(UTC).isoformat(),
        recipients=[r.chat_id for r in to],
        held_until=held_until.astimezone(UTC).isoformat() if held_until else None,
        snoozed_until=snoozed.astimezone(UTC).isoformat() if snoozed else None,
    )
    return True


def _held_until(uow: UnitOfWork, step: Step, due: Ping) -> datetime | None:
    """When a ping that can wait goes, if it falls outside working hours; else None."""
    hours = uow.config.quiet()
    if hours is None or step.due_at is None or hours.is_working(uow.now):
        return None
    if not can_wait(step.complaint.grade, step.due_at - step.opened_at, due.kind):
        return None
    return hours.next_start(uow.now)


def pending_pings(uow: UnitOfWork) -> list[tuple[int, datetime]]:
    """(step id, when) of every reminder or escalation still to come."""
    return [(step_id, when) for step_id, when, _sent in queries.steps_to_ping(uow.session)]


# Lists ---------------------------------------------------------------------------------


def my_tasks(uow: UnitOfWork, caller: Caller, cards_shown: int = 10) -> TaskList:
    """The person's open steps, most urgent first; the first few come as cards with buttons."""
    person = uow.person(caller)
    if person is None:
        return TaskList(())
    owners = {key: (uow.config.owner(key), s.co_owners) for key, s in STEP_BY_ID.items()}
    scope = access.task_scope(mapping.who(person), owners)
    total, mine = queries.tasks_in_scope(uow.session, scope, TASKS_LISTED, TASKS_COUNTED)
    return TaskList(
        tuple(mapping.step_view(s, uow.config) for s in mine),
        tuple(views_of(uow, s) for s in mine[:cards_shown]),
        total=min(total, TASKS_COUNTED),
        capped=total > TASKS_COUNTED,
    )


def overdue(uow: UnitOfWork, caller: Caller) -> TaskList:
    person = uow.person(caller)
    if person is None or not access.sees_all(mapping.who(person)):
        return TaskList((), allowed=False)
    total, late = queries.overdue_steps(uow.session, uow.now, TASKS_LISTED)
    return TaskList(tuple(mapping.step_view(s, uow.config) for s in late), total=total)


def next_limit(uow: UnitOfWork) -> datetime | None:
    """When the next open step's time limit runs out (the sandbox's clock jumps there)."""
    return queries.next_step_due(uow.session, uow.now)


@dataclass(frozen=True)
class SnoozeStep:
    caller: Caller
    step_id: int
    until_morning: bool  # else an hour


@dataclass(frozen=True)
class Snoozed:
    result: PressResult
    until: datetime | None = None


def snooze(uow: UnitOfWork, command: SnoozeStep) -> Snoozed:
    """Silence a step's reminders for an hour, or until the next working morning, by
    someone who may act on it. Its escalations to the VP go on until the step moves."""
    session, now = uow.session, uow.now
    step = queries.step_by_id(session, command.step_id)
    if step is None:
        return Snoozed(PressResult.NOT_OPEN)
    person = uow.person(command.caller)
    actor = Actor.of(command.caller, person)
    if not may_press(uow, person, step):
        return Snoozed(_refuse(uow, actor, step, "snooze").result)
    if step.status != StepStatus.OPEN or step.due_at is None:
        return Snoozed(PressResult.NOT_OPEN)
    assert person is not None
    # The working morning of the configuration's hours, kept even with quiet hours off.
    config = uow.config
    hours = WorkingHours(
        config.working_hours.start, config.working_hours.end, config.working_calendar(), config.tz
    )
    until = hours.next_morning(now) if command.until_morning else now + SNOOZE_HOUR
    session.add(Snooze(step=step, by=person, at=now, until=until))
    # What already waits for the owners' next turn waits for the snooze's end too.
    owners = [r.chat_id for r in task_recipients(uow, step, leadership_group=False)]
    queries.hold_waiting_pings(session, step.id, owners, until)
    log_event(
        session,
        actor,
        "step_snoozed",
        now,
        step.complaint,
        step=step.key,
        until=until.astimezone(UTC).isoformat(),
    )
    return Snoozed(PressResult.OK, until)
