"""The special report to the GM (书面专项报告, PROCEDURE.md section 4).

When technology, equipment or materials block a fix, whoever is blocked writes
the report (text, or a document or photo with or without words); the GM gets
it privately with Approve / Reply, the leading VP and the writer a copy. The
GM's answer goes back to the writer, the leading VP and sales, and the step's
cards show it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import partial

from bot.procedure import access
from bot.procedure.resources import ReportStatus
from bot.procedure.roles import Role
from bot.procedure.routing import Person, special_answer_audience, special_report_audience
from bot.procedure.signatures import report_answer
from bot.services import files, mapping
from bot.services.events import Actor, log_event, log_refusal
from bot.services.notices import Notice, Payload, Recipient, file_notice, post, recipients
from bot.services.signatures import sign
from bot.services.step_cards import may_press, refresh_cards, views_of
from bot.services.steps import PromptReply, ReplyResult
from bot.services.uow import Caller, UnitOfWork
from bot.views import cards
from bot.views.models import SpecialReportView
from storage import queries
from storage.models import Purpose, SpecialReport, Step


class AnswerResult(StrEnum):
    OK = "ok"
    DENIED = "denied"  # only the GM (or an admin) answers
    ANSWERED = "answered"  # answered already: the first answer stands
    NOT_FOUND = "not_found"
    NEEDS_TEXT = "needs_text"


@dataclass(frozen=True)
class AnswerReport:
    caller: Caller
    report_id: int
    approve: bool
    text: str | None = None  # the words of a Reply


@dataclass(frozen=True)
class Answering:
    """What a press on Approve or Reply did, for the GM."""

    result: AnswerResult
    report: SpecialReportView | None = None


def write_report(uow: UnitOfWork, command: PromptReply) -> ReplyResult:
    """The reply to a Blocked prompt: the report is stored and goes to the GM."""
    session, now = uow.session, uow.now
    step = queries.step_by_id(session, command.target_id)
    person = uow.person(command.caller)
    if step is None or person is None:
        return ReplyResult.IGNORED
    if not command.text and not command.file_id:
        return ReplyResult.NEEDS_TEXT
    actor = Actor.of(command.caller, person)
    if not may_press(uow, person, step):
        return ReplyResult.NOT_ALLOWED
    report = SpecialReport(
        complaint=step.complaint,
        step=step,
        written_by=person,
        written_at=now,
        text=command.text or "",
        file_id=command.file_id,
        file_kind=command.file_kind if command.file_id else None,
        status=ReportStatus.WAITING,
    )
    session.add(report)
    step.blocked_reason = command.text or "📎"
    session.flush()
    files.keep(session, now, command.file_id, command.file_kind, complaint_id=step.complaint_id)
    log_event(
        session,
        actor,
        "step_blocked",
        now,
        step.complaint,
        step=step.key,
        reason=command.text or "",
        report=report.id,
    )
    view = mapping.special_report_view(report)
    gm = recipients(session, uow.config, [Person(Role.GM)])
    known = {r.chat_id for r in gm}
    copies = [
        r
        for r in recipients(
            session,
            uow.config,
            special_report_audience(step.complaint.plant),
        )
        if r.chat_id not in known
    ]
    _post_report(uow, step, view, gm, answering=True)
    _post_report(uow, step, view, copies, answering=False)
    refresh_cards(uow, step)
    return ReplyResult.REPORTED


def _post_report(
    uow: UnitOfWork,
    step: Step,
    report: SpecialReportView,
    to: list[Recipient],
    *,
    answering: bool,
) -> None:
    if not to:
        return
    step_view, complaint = views_of(uow, step)
    tz = uow.config.timezone

    def render(language: str) -> list[Payload]:
        return list(cards.special_report(step_view, complaint, report, language, tz, answering))

    post(uow.session, Notice(Purpose.SPECIAL_REPORT, to, render, complaint=step.complaint), uow.now)
    if report.file_id and report.file_kind:
        caption = partial(cards.special_report_caption, complaint)
        notice = file_notice(
            Purpose.SPECIAL_REPORT, to, report.file_id, report.file_kind, caption, step.complaint
        )
        post(uow.session, notice, uow.now)


def answer_report(uow: UnitOfWork, command: AnswerReport) -> Answering:
    """The GM approves, or answers in words; the answer goes back where it belongs."""
    session, now = uow.session, uow.now
    report = session.get(SpecialReport, command.report_id)
    if report is None:
        return Answering(AnswerResult.NOT_FOUND)
    person = uow.person(command.caller)
    actor = Actor.of(command.caller, person)
    view = mapping.special_report_view(report)
    if person is None or not access.may_answer_special_report(mapping.who(person)):
        log_refusal(session, actor, now, report.complaint, button="special_report")
        return Answering(AnswerResult.DENIED, view)
    if report.status is not ReportStatus.WAITING:
        return Answering(AnswerResult.ANSWERED, view)
    if not command.approve and not command.text:
        # Reply: the words are asked for; nothing changes until they come.
        return Answering(AnswerResult.NEEDS_TEXT, view)
    report.status = ReportStatus.APPROVED if command.approve else ReportStatus.ANSWERED
    report.answer = command.text
    report.answered_by = person
    report.answered_at = now
    session.flush()
    event = log_event(
        session,
        actor,
        "special_report_answered",
        now,
        report.complaint,
        step=report.step.key,
        report=report.id,
        approved=command.approve,
        reason=command.text or "",
    )
    session.flush()
    meaning = report_answer(command.approve)
    sign(uow, actor, report.complaint, meaning, event, step=report.step, report=report)
    answered = mapping.special_report_view(report)
    complaint = report.complaint
    step_view, complaint_view = views_of(uow, report.step)
    audience = special_answer_audience(
        complaint.plant, written_by_id=report.written_by_id, filed_by_id=complaint.filed_by_id
    )
    render: Callable[[str], list[Payload]] = lambda language: list(  # noqa: E731
        cards.special_answer(step_view, complaint_view, answered, language, uow.config.timezone)
    )
    to = [r for r in recipients(session, uow.config, audience) if r.chat_id != person.telegram_id]
    post(session, Notice(Purpose.SPECIAL_REPORT, to, render, complaint=complaint), now)
    refresh_cards(uow, report.step)
    return Answering(AnswerResult.OK, answered)


def reply_to_report(uow: UnitOfWork, command: PromptReply) -> ReplyResult:
    """The GM's words, replied to the prompt that Reply asked for."""
    if not command.text:
        return ReplyResult.NEEDS_TEXT
    answered = answer_report(
        uow, AnswerReport(command.caller, command.target_id, approve=False, text=command.text)
    )
    return (
        ReplyResult.ANSWER_SENT if answered.result is AnswerResult.OK else ReplyResult.NOT_ALLOWED
    )
