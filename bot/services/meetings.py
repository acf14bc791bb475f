"""The special quality meeting of a complaint (step 8): the leading VP sets when and
where; leadership, the plant's QC and production and the filer are invited with the
agenda and reminded before it; the minutes recorded afterwards complete the step."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from bot.procedure import access
from bot.procedure.meetings import REMIND_BEFORE, MeetingError, MeetingKind, parse_when_where
from bot.procedure.routing import meeting_audience
from bot.procedure.steps import STEP_BY_ID, StepStatus
from bot.services import mapping
from bot.services.events import Actor, log_event
from bot.services.notices import (
    Notice,
    Recipient,
    file_notice,
    language_of,
    language_of_chat,
    post,
    recipients,
)
from bot.services.steps import PromptReply, ReplyResult, finish_step, may_press
from bot.services.uow import Caller, UnitOfWork
from bot.views import cards
from bot.views.models import MeetingView, Message
from storage import queries
from storage.models import Meeting, Purpose


@dataclass(frozen=True)
class MeetingList:
    allowed: bool
    meetings: tuple[MeetingView, ...] = ()


def plan_meeting(uow: UnitOfWork, command: PromptReply) -> ReplyResult:
    """The reply with the time and place; a second one moves the meeting."""
    session, now = uow.session, uow.now
    step = queries.step_by_id(session, command.target_id)
    person = uow.person(command.caller)
    if step is None or person is None or not STEP_BY_ID[step.key].holds_meeting:
        return ReplyResult.IGNORED
    if step.status != StepStatus.OPEN or not may_press(uow, person, step):
        return ReplyResult.NOT_ALLOWED
    try:
        at, place = parse_when_where(command.text or "", now.astimezone(uow.config.tz))
    except MeetingError:
        return ReplyResult.NEEDS_TEXT
    complaint = step.complaint
    meeting = queries.open_meeting_of_step(session, step.id)
    moved = meeting is not None
    # A meeting moved: its reminder not sent yet goes with the old time.
    queries.drop_held_pings(session, step.id, Purpose.MEETING)
    to = recipients(
        session, uow.config, meeting_audience(complaint.plant, filed_by_id=complaint.filed_by_id)
    )
    if meeting is None:
        meeting = Meeting(
            complaint=complaint,
            step=step,
            kind=MeetingKind.SPECIAL,
            organiser=person,
            created_at=now,
            invited=[],
        )
        session.add(meeting)
    meeting.at, meeting.place = at, place
    meeting.organiser = person
    meeting.invited = [r.chat_id for r in to]
    session.flush()
    log_event(
        session,
        Actor.of(command.caller, person),
        "meeting_planned",
        now,
        complaint,
        step=step.key,
        when=at.isoformat(),
        place=place,
        moved=moved,
    )
    view = mapping.meeting_view(meeting)
    complaint_view = mapping.complaint_view(complaint, uow.config)
    tz = uow.config.timezone
    _post(uow, meeting, to, lambda lang: cards.meeting_invitation(view, complaint_view, lang, tz))
    if at - REMIND_BEFORE > now:
        _post(
            uow,
            meeting,
            to,
            lambda lang: cards.meeting_invitation(view, complaint_view, lang, tz, reminder=True),
            not_before=at - REMIND_BEFORE,
        )
    organiser = [Recipient(person.telegram_id, language_of(person, uow.config))]
    _post(uow, meeting, organiser, lambda lang: cards.meeting_confirmation(view, lang, tz))
    return ReplyResult.MEETING_PLANNED


def record_minutes(uow: UnitOfWork, command: PromptReply) -> ReplyResult:
    """The minutes (会议纪要) as text or a document; they complete step 8 and go to
    everyone invited."""
    session, now = uow.session, uow.now
    meeting = session.get(Meeting, command.target_id)
    person = uow.person(command.caller)
    if meeting is None or person is None:
        return ReplyResult.IGNORED
    if not may_press(uow, person, meeting.step):
        return ReplyResult.NOT_ALLOWED
    if not command.text and not command.file_id:
        return ReplyResult.NEEDS_TEXT
    meeting.minutes = command.text
    meeting.minutes_file_id = command.file_id
    meeting.minutes_file_kind = command.file_kind if command.file_id else None
    meeting.recorded_at = now
    actor = Actor.of(command.caller, person)
    log_event(session, actor, "meeting_minutes", now, meeting.complaint, step=meeting.step.key)
    queries.drop_held_pings(session, meeting.step_id, Purpose.MEETING)
    to = [
        Recipient(chat_id, language_of_chat(session, uow.config, chat_id))
        for chat_id in meeting.invited
    ]
    view = mapping.meeting_view(meeting)
    tz = uow.config.timezone
    _post(uow, meeting, to, lambda lang: cards.meeting_minutes(view, lang, tz))
    if meeting.minutes_file_id and meeting.minutes_file_kind:
        caption = partial(cards.minutes_caption, view)
        notice = file_notice(
            Purpose.MEETING,
            to,
            meeting.minutes_file_id,
            meeting.minutes_file_kind,
            caption,
            meeting.complaint,
        )
        post(session, notice, now)
    if meeting.step.status == StepStatus.OPEN:
        finish_step(uow, meeting.step, actor)
    return ReplyResult.MINUTES_RECORDED


def list_meetings(uow: UnitOfWork, caller: Caller) -> MeetingList:
    """Leadership and QC see every meeting; sales those of the complaints they filed."""
    person = uow.person(caller)
    if person is None:
        return MeetingList(allowed=False)
    everyone = access.sees_all(mapping.who(person))
    rows = queries.meetings(uow.session, None if everyone else person.id)
    return MeetingList(True, tuple(mapping.meeting_view(m) for m in rows))


def _post(
    uow: UnitOfWork,
    meeting: Meeting,
    to: list[Recipient],
    render: Callable[[str], list[Message]],
    not_before: datetime | None = None,
) -> None:
    post(
        uow.session,
        Notice(
            Purpose.MEETING,
            to,
            render,
            complaint=meeting.complaint,
            step_id=meeting.step_id,
            not_before=not_before,
        ),
        uow.now,
    )
