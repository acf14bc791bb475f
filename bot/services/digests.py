"""Reminders and escalations, at most one new message per chat per escalation interval.

`queue` puts a ping that fell due in each recipient chat's queue (a later ping of the
same step replaces the one waiting); a chat whose turn has come hears at once. `send_due`
sends each chat whose turn came: the ping alone when it is the only one, else a digest,
each saying how late things are when it is made. A message of a chat's that has not left
yet is replaced by the newer one, so nothing stale is sent. The rows stay, with the
message that carried each (the test of a day's pings reads them).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from sqlalchemy.orm import Session

from bot.config import KesuConfig
from bot.procedure.digests import (
    DIGEST_LISTED,
    Waiting,
    goes_alone,
    ordered,
    send_at,
    within_the_day,
)
from bot.procedure.pings import Ping, PingKind
from bot.procedure.roles import Role
from bot.procedure.steps import StepStatus
from bot.services import mapping
from bot.services.notices import Notice, Recipient, language_of_chat, post
from bot.services.uow import UnitOfWork
from bot.views import cards
from bot.views.models import DigestLine, DigestView, Message
from storage import queries
from storage.models import OutboxMessage, Purpose, QueuedPing, Step

ALONE = "alone"  # carried by a message of its own
DIGEST = "digest"  # named in a digest
# The step moved on before the chat's turn: the digest says so, the board showed it.
MOVED_ON = "moved_on"
ESCALATED = (PingKind.OVERDUE.value, PingKind.ESCALATION.value)


def queue(
    uow: UnitOfWork,
    step: Step,
    due: Ping,
    to: list[tuple[Recipient, datetime]],
    *,
    heard: set[int],
    send: bool,
) -> None:
    """A ping fell due for these chats (each with when it may go: now, after quiet hours
    or a snooze). `heard`: the chats that have heard the step is late (a repeat for
    them waits the longer interval). `send`: the chats whose turn has come hear now; the deadline job says
    False and sends once it has queued every ping of its pass, so pings that fall due
    together go together."""
    session, now = uow.session, uow.now
    complaint = step.complaint
    gm_chats = {p.telegram_id for p in queries.people_with_role(session, Role.GM)}
    chats, at_once = [], []
    for recipient, may_go in to:
        chat_id = recipient.chat_id
        told = queries.pinged_before(session, complaint.id, chat_id, ESCALATED)
        if may_go <= now and goes_alone(complaint.grade, due.kind, chat_id in gm_chats, told):
            # The GM's turn comes now, whatever the interval: this first (and what waited
            # for the GM's next turn, which comes with it, the A complaint first).
            at_once.append(chat_id)
        waiting = queries.waiting_ping(session, chat_id, step.id)
        repeat = chat_id in heard
        if waiting is None:
            session.add(_queued(step, due, chat_id, now, may_go, repeat))
        else:  # the later ping stands for both
            waiting.repeat = waiting.repeat and repeat  # news stays news
            waiting.kind, waiting.ping_index = due.kind.value, due.index
            waiting.fell_due_at, waiting.late = due.at, due.late
            # It may go as soon as either may (a reminder held for the night, then an
            # escalation that may not wait: the escalation's time).
            waiting.may_go_at = min(waiting.may_go_at, may_go)
            waiting.pings += 1
        chats.append(chat_id)
    for chat_id in at_once:
        # Its turn comes now, whatever the interval (with the rest of the pass's pings
        # when the deadline job sends once it has queued them all).
        queries.chat_notices(session, chat_id).last_sent_at = None
    session.flush()
    if not send:
        return
    turns = _turns(uow)
    for chat_id in chats:
        turn = turns.get(chat_id)
        if turn is not None and turn <= now:
            send_chat(uow, chat_id)


def _queued(
    step: Step, due: Ping, chat_id: int, now: datetime, may_go: datetime, repeat: bool
) -> QueuedPing:
    return QueuedPing(
        chat_id=chat_id,
        step_id=step.id,
        complaint_id=step.complaint_id,
        kind=due.kind.value,
        ping_index=due.index,
        fell_due_at=due.at,
        queued_at=now,
        may_go_at=may_go,
        late=due.late,
        pings=1,
        repeat=repeat,
    )


def _turns(uow: UnitOfWork) -> dict[int, datetime]:
    """When each chat with pings waiting has its turn: news an escalation interval after
    its last reminder message, repeats the longer interval after it; a chat that has
    heard its day's most, the next day, unless a person's step is newly overdue."""
    interval, repeat_every = uow.config.ping_policy().repeat, uow.config.repeat_every()
    most = uow.config.reminders.most_a_day or None
    today = _company_day(uow)
    next_day = datetime.combine(today + timedelta(days=1), time(0), uow.config.tz)
    turns: dict[int, datetime] = {}
    for chat_id, repeat, earliest, last, day, sent, overdue in queries.chats_waiting(uow.session):
        turn = send_at(last, repeat_every if repeat else interval, [earliest])
        if turn is None:
            continue
        # A step newly overdue reaches a person (a VP, the GM, an item's owner) within
        # the hour; a group sees it on its board. Telegram's groups have negative ids.
        newly_overdue = overdue and not repeat and chat_id > 0
        sent_today = sent if day == today else 0
        turn = within_the_day(turn, sent_today, most, next_day, newly_overdue=newly_overdue)
        if chat_id not in turns or turn < turns[chat_id]:
            turns[chat_id] = turn
    return turns


def _company_day(uow: UnitOfWork) -> date:
    return uow.now.astimezone(uow.config.tz).date()


def next_time(uow: UnitOfWork) -> datetime | None:
    """When the next chat's turn comes (the deadline job wakes for it too)."""
    return min(_turns(uow).values(), default=None)


def send_due(uow: UnitOfWork) -> int:
    """Send every chat whose turn has come; returns how many messages were posted."""
    sent = 0
    for chat_id, turn in _turns(uow).items():
        if turn <= uow.now:
            sent += send_chat(uow, chat_id)
    return sent


def send_chat(uow: UnitOfWork, chat_id: int) -> int:
    """The chat's turn: what waited goes, alone or as a digest. Returns messages posted."""
    session, now = uow.session, uow.now
    # A message of the chat's still waiting for its lane: this one replaces it.
    queries.drop_unsent_reminders(session, chat_id, (ALONE, DIGEST))
    waiting = [q for q in queries.waiting_pings(session, chat_id) if q.may_go_at <= now]
    if not waiting:
        return 0
    still = [q for q in waiting if q.step.status == StepStatus.OPEN]
    moved = [q for q in waiting if q.step.status != StepStatus.OPEN]
    notices = queries.chat_notices(session, chat_id)
    recipient = Recipient(chat_id, language_of_chat(session, uow.config, chat_id))
    row: OutboxMessage | None = None
    if len(still) == 1 and not moved:
        only = still[0]
        held = _held_from(only) is not None
        row = _post_alone(uow, only.step, _ping_of(only), recipient, now, held=held)
        only.sent_as = ALONE
    elif still:
        row = _post_digest(uow, recipient, still, moved, notices.last_digest_at)
        for q in still:
            q.sent_as = DIGEST
        notices.last_digest_at = now
    for q in moved:
        q.sent_as = MOVED_ON
        q.message_row_id = row.id if row is not None else None
    if row is None:
        return 0
    for q in still:
        q.message_row_id = row.id
    notices.last_sent_at = now
    today = _company_day(uow)
    notices.sent_that_day = (notices.sent_that_day or 0) + 1 if notices.sent_day == today else 1
    notices.sent_day = today
    return 1


def _held_from(queued: QueuedPing) -> datetime | None:
    """When the first of its pings fell due, if they waited for working hours or a snooze."""
    return queued.queued_at if queued.may_go_at > queued.queued_at else None


def _ping_of(queued: QueuedPing) -> Ping:
    return Ping(queued.ping_index, PingKind(queued.kind), queued.fell_due_at, queued.late)


def _alone_message(
    config: KesuConfig, step: Step, due: Ping, language: str, now: datetime, held: bool
) -> Message:
    view = mapping.step_view(step, config)
    complaint_view = mapping.complaint_view(step.complaint, config, steps=False)
    return cards.ping(view, complaint_view, due, now, language, config.timezone, held)


def _post_alone(
    uow: UnitOfWork,
    step: Step,
    due: Ping,
    recipient: Recipient,
    now: datetime,
    *,
    held: bool = False,
) -> OutboxMessage:
    config = uow.config
    [row] = post(
        uow.session,
        Notice(
            Purpose.PING,
            [recipient],
            lambda language: [_alone_message(config, step, due, language, now, held)],
            complaint=step.complaint,
            step_id=step.id,
        ),
        now,
    )
    uow.session.flush()
    return row


def _digest_message(
    session: Session,
    config: KesuConfig,
    chat_id: int,
    still: Sequence[QueuedPing],
    moved: Sequence[QueuedPing],
    since: datetime | None,
    language: str,
    now: datetime,
) -> Message:
    by_step = {q.step_id: q for q in still}
    order = ordered(
        (
            Waiting(q.step_id, q.step.complaint.grade, q.step.due_at, PingKind(q.kind))
            for q in still
        ),
        now,
    )
    lines = tuple(
        DigestLine(
            mapping.step_view(by_step[w.step_id].step, config),
            w.grade,
            w.kind,
            by_step[w.step_id].pings,
            _held_from(by_step[w.step_id]),
        )
        for w in order[:DIGEST_LISTED]
    )
    view = DigestView(
        lines,
        more=max(0, len(order) - DIGEST_LISTED),
        done=tuple(sorted({q.step.complaint.number for q in moved})),
        new_since=sum(1 for q in still if since is None or q.queued_at > since),
        since=since,
        board=queries.chat_notices(session, chat_id).board_row_id is not None,
    )
    return cards.digest(view, language, config.timezone, now)


def _post_digest(
    uow: UnitOfWork,
    recipient: Recipient,
    still: list[QueuedPing],
    moved: list[QueuedPing],
    since: datetime | None,
) -> OutboxMessage:
    session, config, now = uow.session, uow.config, uow.now
    chat_id = recipient.chat_id

    def render(language: str) -> list[Message]:
        return [_digest_message(session, config, chat_id, still, moved, since, language, now)]

    [row] = post(session, Notice(Purpose.PING, [recipient], render), now)
    if since is not None:
        row.payload = {**row.payload, "since": since.isoformat()}
    session.flush()
    return row


def restate(session: Session, config: KesuConfig, row: OutboxMessage, now: datetime) -> None:
    """A reminder message that waited for its chat's turn says how late things are now,
    when it goes, not when it was made (the sender asks, as it claims the row)."""
    carried = queries.carried_by(session, row.id)
    still = [q for q in carried if q.sent_as in (ALONE, DIGEST)]
    if not still:
        return
    language = language_of_chat(session, config, row.chat_id)
    if len(still) == 1 and still[0].sent_as == ALONE:
        only = still[0]
        message = _alone_message(
            config, only.step, _ping_of(only), language, now, _held_from(only) is not None
        )
    else:
        moved = [q for q in carried if q.sent_as == MOVED_ON]
        since = row.payload.get("since")
        when = datetime.fromisoformat(since) if since else None
        message = _digest_message(session, config, row.chat_id, still, moved, when, language, now)
    row.payload = {**row.payload, "text": message.text}
