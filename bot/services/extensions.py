"""Extension requests (申请延期, bot/procedure/extensions.py): asked by a reply to the
prompt of **Ask for more time**, decided by the leading VP (the GM for a VP's own step)
with Approve / Refuse. The request, its decision, the event and the notices commit
together."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.procedure import access
from bot.procedure.extensions import ExtensionStatus, parse_request
from bot.procedure.intake import InvalidAnswer
from bot.procedure.routing import Named, extension_audience
from bot.procedure.steps import StepStatus
from bot.services import mapping
from bot.services.events import Actor, log_event, log_refusal
from bot.services.notices import Notice, Payload, Recipient, post, recipients
from bot.services.step_cards import may_press, refresh_cards, views_of
from bot.services.step_life import move_due
from bot.services.steps import PromptReply
from bot.services.uow import Caller, UnitOfWork
from bot.views import cards
from bot.views.render import format_datetime
from storage import queries
from storage.models import ExtensionRequest, Purpose, Step


class AskResult(StrEnum):
    ASKED = "asked"  # the request went to whom decides it
    INVALID = "invalid"  # the date or the reason does not fit: `reason` says why
    WAITING = "waiting"  # a request of this step waits for a decision already
    NOT_ALLOWED = "not_allowed"  # not theirs, or no longer open
    IGNORED = "ignored"


@dataclass(frozen=True)
class Asking:
    result: AskResult
    reason: str = ""  # a message id, for INVALID
    params: dict[str, object] | None = None


def ask(uow: UnitOfWork, command: PromptReply) -> Asking:
    """The reply to **Ask for more time**: "2026-12-10 the reason" (or a number of days)."""
    session, now = uow.session, uow.now
    step = queries.step_by_id(session, command.target_id)
    person = uow.person(command.caller)
    if step is None or person is None:
        return Asking(AskResult.IGNORED)
    if step.status != StepStatus.OPEN or step.due_at is None or not may_press(uow, person, step):
        return Asking(AskResult.NOT_ALLOWED)
    if _pending(step) is not None:
        return Asking(AskResult.WAITING)
    try:
        asked = parse_request(command.text or "", due=step.due_at, now=now, tz=uow.config.tz)
    except InvalidAnswer as exc:
        return Asking(AskResult.INVALID, exc.reason, exc.params)
    request = ExtensionRequest(
        complaint=step.complaint,
        step=step,
        asked_by=person,
        asked_at=now,
        old_due=step.due_at,
        new_due=asked.new_due,
        reason=asked.reason,
        status=ExtensionStatus.PENDING,
    )
    session.add(request)
    session.flush()
    log_event(
        session,
        Actor.of(command.caller, person),
        "extension_asked",
        now,
        step.complaint,
        step=step.key,
        reason=asked.reason,
        request=request.id,
        **_dues(uow, request),
    )
    deciders = recipients(
        session, uow.config, extension_audience(uow.config.owner(step.key), step.complaint.plant)
    )
    _post(uow, step, request, deciders, deciding=True)
    refresh_cards(uow, step)  # the card says more time is asked for, and loses the button
    return Asking(AskResult.ASKED)


class DecideResult(StrEnum):
    APPROVED = "approved"
    REFUSED = "refused"
    DENIED = "denied"  # not theirs to decide
    DECIDED = "decided"  # decided already (or the step closed meanwhile)
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class Decide:
    caller: Caller
    request_id: int
    approve: bool


def decide(uow: UnitOfWork, command: Decide) -> DecideResult:
    """Approve (the limit moves; its reminders and escalations count to it) or Refuse (it
    stays); the asker hears either, and the event log keeps who decided."""
    session, now = uow.session, uow.now
    request = session.get(ExtensionRequest, command.request_id)
    if request is None:
        return DecideResult.NOT_FOUND
    person = uow.person(command.caller)
    step = request.step
    owner = uow.config.owner(step.key)
    if person is None or not access.may_decide_extension(
        mapping.who(person), owner, mapping.case(step.complaint)
    ):
        # Logged once an hour for the person and the step: a flood of forged presses
        # costs the flooder, not the event log.
        log_refusal(
            session,
            Actor.of(command.caller, person),
            now,
            step.complaint,
            step=step.key,
            button="extension",
        )
        return DecideResult.DENIED
    if request.status is not ExtensionStatus.PENDING or step.status != StepStatus.OPEN:
        return DecideResult.DECIDED
    request.status = ExtensionStatus.APPROVED if command.approve else ExtensionStatus.REFUSED
    request.decided_by, request.decided_at = person, now
    log_event(
        session,
        Actor.of(command.caller, person),
        "extension_approved" if command.approve else "extension_refused",
        now,
        step.complaint,
        step=step.key,
        request=request.id,
        **_dues(uow, request),
    )
    if command.approve:
        move_due(uow, step, request.new_due)  # refreshes the cards too
    else:
        session.flush()
        refresh_cards(uow, step)
    asker = recipients(session, uow.config, [Named(request.asked_by_id)])
    _post(uow, step, request, asker, deciding=False)
    return DecideResult.APPROVED if command.approve else DecideResult.REFUSED


def _pending(step: Step) -> ExtensionRequest | None:
    return next((r for r in step.extension_requests if r.status is ExtensionStatus.PENDING), None)


def _dues(uow: UnitOfWork, request: ExtensionRequest) -> dict[str, str]:
    """The limit as it was and as asked, in company time, for the history."""
    tz = uow.config.timezone
    return {
        "due_from": format_datetime(request.old_due, tz),
        "due_to": format_datetime(request.new_due, tz),
    }


def _post(
    uow: UnitOfWork,
    step: Step,
    request: ExtensionRequest,
    to: list[Recipient],
    *,
    deciding: bool,
) -> None:
    if not to:
        return
    step_view, complaint = views_of(uow, step)
    view = mapping.extension_view(request)
    tz = uow.config.timezone

    def render(language: str) -> list[Payload]:
        return list(cards.extension(step_view, complaint, view, language, tz, deciding))

    post(uow.session, Notice(Purpose.EXTENSION, to, render, complaint=step.complaint), uow.now)
