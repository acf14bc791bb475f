"""Quality meetings. The special meeting of a complaint (step 8): the leading VP sets
when and where; leadership, the plant's QC and production and the filer are invited
with the agenda and reminded before it; the minutes recorded afterwards complete the
step. The weekly quality analysis meeting (section 5): its agenda goes out the day
before on a schedule kept in the event log; its minutes are linked to the complaints
they name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial

from bot.procedure import access
from bot.procedure.calendar import next_weekly
from bot.procedure.meetings import (
    AGENDA_BEFORE,
    REMIND_BEFORE,
    MeetingError,
    MeetingKind,
    named_complaints,
    parse_when_where,
)
from bot.procedure.routing import meeting_audience, weekly_meeting_audience
from bot.procedure.steps import STEP_BY_ID, StepStatus
from bot.procedure.suggestions import SuggestionStatus
from bot.services import files, mapping
from bot.services.events import Actor, last_run, log_event
from bot.services.notices import (
    Notice,
    Recipient,
    file_notice,
    language_of,
    language_of_chat,
    post,
    recipients,
)
from bot.services.step_cards import may_press
from bot.services.step_life import finish_step
from bot.services.steps import PromptReply, ReplyResult
from bot.services.uow import SCHEDULER, Caller, UnitOfWork
from bot.views import cards
from bot.views.models import MeetingView, Message, PersonChoice, WeeklyAgendaView
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
    if meeting is not None:  # moved: whoever the organiser invited besides stays invited
        known = {r.chat_id for r in to}
        to += [
            Recipient(chat_id, language_of_chat(session, uow.config, chat_id))
            for chat_id in meeting.invited
            if chat_id not in known
        ]
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


class InviteResult(StrEnum):
    OK = "ok"
    INVITED = "invited"
    NOT_ALLOWED = "not_allowed"
    GONE = "gone"  # the meeting was held, or is not one the organiser invites to


@dataclass(frozen=True)
class Invite:
    """The organiser invites someone else from the people list (person None: who may be
    invited, and who is)."""

    caller: Caller
    meeting_id: int
    person_id: int | None = None


@dataclass(frozen=True)
class Invitations:
    result: InviteResult
    meeting_id: int = 0
    people: tuple[PersonChoice, ...] = ()
    invited: frozenset[int] = frozenset()  # person ids invited in person


def invite(uow: UnitOfWork, command: Invite) -> Invitations:
    """Anyone on the people list, invited to a special meeting still to be held: the
    invitation with the agenda now, the reminder 30 minutes before."""
    session, now = uow.session, uow.now
    meeting = session.get(Meeting, command.meeting_id)
    person = uow.person(command.caller)
    if meeting is None or meeting.step is None or meeting.recorded_at is not None:
        return Invitations(InviteResult.GONE)
    step, complaint = meeting.step, meeting.complaint
    assert complaint is not None
    if person is None or not may_press(uow, person, step):
        return Invitations(InviteResult.NOT_ALLOWED)
    people = queries.active_people(session)
    result = InviteResult.OK
    guest = next((p for p in people if p.id == command.person_id), None)
    if guest is not None and guest.telegram_id not in meeting.invited:
        meeting.invited = [*meeting.invited, guest.telegram_id]
        to = [Recipient(guest.telegram_id, language_of(guest, uow.config))]
        view = mapping.meeting_view(meeting)
        complaint_view = mapping.complaint_view(complaint, uow.config)
        tz = uow.config.timezone
        _post(
            uow, meeting, to, lambda lang: cards.meeting_invitation(view, complaint_view, lang, tz)
        )
        if meeting.at - REMIND_BEFORE > now:
            _post(
                uow,
                meeting,
                to,
                lambda lang: cards.meeting_invitation(
                    view, complaint_view, lang, tz, reminder=True
                ),
                not_before=meeting.at - REMIND_BEFORE,
            )
        log_event(
            session,
            Actor.of(command.caller, person),
            "meeting_invited",
            now,
            complaint,
            step=step.key,
            guest=guest.name,
        )
        result = InviteResult.INVITED
    invited = frozenset(p.id for p in people if p.telegram_id in meeting.invited)
    choices = tuple(PersonChoice(p.id, p.name, p.role) for p in people)
    return Invitations(result, meeting.id, choices, invited)


def record_minutes(uow: UnitOfWork, command: PromptReply) -> ReplyResult:
    """The minutes (会议纪要) as text or a document, to everyone invited. A special
    meeting's complete step 8; a weekly meeting's are linked to the complaints they name."""
    session, now = uow.session, uow.now
    meeting = session.get(Meeting, command.target_id)
    person = uow.person(command.caller)
    if meeting is None or person is None:
        return ReplyResult.IGNORED
    step = meeting.step
    if step is not None and not may_press(uow, person, step):
        return ReplyResult.NOT_ALLOWED
    if step is None and not access.may_record_weekly_minutes(mapping.who(person)):
        return ReplyResult.NOT_ALLOWED
    if not command.text and not command.file_id:
        return ReplyResult.NEEDS_TEXT
    meeting.minutes = command.text
    meeting.minutes_file_id = command.file_id
    meeting.minutes_file_kind = command.file_kind if command.file_id else None
    meeting.recorded_at = now
    complaint_id = meeting.complaint.id if meeting.complaint else None
    files.keep(session, now, command.file_id, command.file_kind, complaint_id=complaint_id)
    actor = Actor.of(command.caller, person)
    if step is not None:
        log_event(session, actor, "meeting_minutes", now, meeting.complaint, step=step.key)
        queries.drop_held_pings(session, step.id, Purpose.MEETING)
    else:
        _link_decisions(uow, meeting, command.text or "", actor)
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
    if step is not None and step.status == StepStatus.OPEN:
        finish_step(uow, step, actor)
    return ReplyResult.MINUTES_RECORDED


def _link_decisions(uow: UnitOfWork, meeting: Meeting, text: str, actor: Actor) -> None:
    """A weekly meeting's decisions concern the complaints its minutes name: each gets
    the meeting in its history (and /show lists it)."""
    for number in named_complaints(text):
        complaint = queries.complaint_by_number(uow.session, number)
        if complaint is None or complaint in meeting.concerns:
            continue
        meeting.concerns.append(complaint)
        log_event(uow.session, actor, "meeting_minutes", uow.now, complaint, weekly=meeting.id)
    log_event(
        uow.session,
        actor,
        "meeting_minutes",
        uow.now,
        weekly=meeting.id,
        concerns=[c.number for c in meeting.concerns],
    )


# The weekly quality analysis meeting (section 5) -----------------------------------------

# The agenda names the most overdue steps and the newest recurring problems, and counts
# the rest: a meeting goes through tens, not thousands.
AGENDA_LISTED = 30
WEEKLY_AGENDA = "weekly_agenda"  # the event each agenda leaves: the schedule's memory


def next_weekly_agenda(uow: UnitOfWork) -> datetime | None:
    """When the next weekly meeting's agenda is due (the day before the meeting), after
    the last one posted (after now, before the first)."""
    weekly = uow.config.weekly_meeting
    if not weekly.enabled:
        return None
    # The first meeting whose agenda (the day before) is still to come after the last.
    last = last_run(uow, WEEKLY_AGENDA)
    meeting_at = next_weekly(
        last + AGENDA_BEFORE,
        weekly.weekday,
        weekly.at,
        uow.config.tz,
        uow.config.working_calendar(),
    )
    return meeting_at - AGENDA_BEFORE


def post_weekly_agenda(uow: UnitOfWork, due: datetime | None = None) -> int:
    """The meeting of the week after `due` (its agenda's time): the meeting is kept, and
    its agenda goes to the production groups and the leadership group, with the button
    for its minutes, and a reminder 30 minutes before. Returns the meeting's id."""
    session, now, config = uow.session, uow.now, uow.config
    weekly = config.weekly_meeting
    at = (due or now) + AGENDA_BEFORE
    to = recipients(session, config, weekly_meeting_audience())
    meeting = Meeting(
        kind=MeetingKind.WEEKLY,
        at=at,
        place=weekly.place,
        created_at=now,
        invited=[r.chat_id for r in to],
        concerns=[],
    )
    session.add(meeting)
    session.flush()
    agenda = _agenda(uow, mapping.meeting_view(meeting))
    tz = config.timezone
    _post(uow, meeting, to, lambda lang: cards.weekly_agenda(agenda, lang, tz))
    if at - REMIND_BEFORE > now:
        view = agenda.meeting
        _post(
            uow,
            meeting,
            to,
            lambda lang: cards.weekly_reminder(view, lang, tz),
            not_before=at - REMIND_BEFORE,
        )
    log_event(
        session,
        Actor.of(SCHEDULER, None),
        WEEKLY_AGENDA,
        now,
        meeting=meeting.id,
        due=due.isoformat() if due else None,
    )
    return meeting.id


def _agenda(uow: UnitOfWork, meeting: MeetingView) -> WeeklyAgendaView:
    """The week's complaints, the steps overdue now, the plan items late, the recurring
    problems still open, and the suggestions waiting for a decision."""
    session, now, config = uow.session, uow.now, uow.config
    since = now - timedelta(days=7)
    late_items = [i for i in queries.running_plan_items(session) if i.due_at < now]
    overdue_count, overdue = queries.overdue_steps(session, now, AGENDA_LISTED)
    recurring = queries.open_recurring(session)
    return WeeklyAgendaView(
        meeting=meeting,
        since=since,
        received=tuple(
            mapping.complaint_view(c, config, steps=False)
            for c in queries.complaints_received(session, since, now)
        ),
        overdue=tuple(mapping.step_view(s, config) for s in overdue),
        overdue_count=overdue_count,
        late_items=tuple(mapping.tracking_row(i) for i in late_items),
        recurring=tuple(
            mapping.complaint_view(c, config, steps=False) for c in recurring[:AGENDA_LISTED]
        ),
        recurring_count=len(recurring),
        suggestions=tuple(
            mapping.suggestion_view(s)
            for s in queries.suggestions(session)
            if s.status is SuggestionStatus.PROPOSED
        ),
    )


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
