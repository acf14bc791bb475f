"""Digests and boards: at most one reminder message per chat per escalation interval,
nothing dropped, and a board per chat edited in place."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from itertools import pairwise

from sqlalchemy import Engine, select, update

from bot.procedure.grading import Demand, Plant
from bot.services import boards, digests, steps
from bot.services.uow import Caller
from storage.models import (
    ChatNotices,
    DeliveryStatus,
    Event,
    Method,
    OutboxMessage,
    Purpose,
    QueuedPing,
    Step,
)
from tests.conftest import GM, QC_HUANGWU, QC_HW, QC_LAISHAN, VP_EXEC, VP_PROD
from tests.test_workflow import NOW, Company, Press

HOUR = timedelta(hours=1)


def _live(company: Company, until: datetime, *, delivered: bool = True) -> None:
    """Walk the clock as the deadline job does: every ping due fired, then the chats whose
    turn came sent what waited, then the boards brought up to date (at most every half
    hour of the company's clock: a board is a chat's picture, and recomputing it at each
    of a day's hundreds of passes would be most of this test's time); `delivered`: the
    sender delivers each message before the next pass."""
    boards_at = None
    while True:
        pending = company.services.call(steps.pending_pings)
        turn = company.services.call(digests.next_time)
        due = min([when for _, when in pending] + ([turn] if turn else []), default=None)
        if due is None or due > until:
            break
        company.clock.set(max(due, company.clock.now()))
        now = company.clock.now()
        for step_id, when in pending:
            if when <= now:
                company.services.call(steps.fire_ping, step_id, False)
        company.services.call(digests.send_due)
        if boards_at is None or now - boards_at >= timedelta(minutes=30):
            company.services.call(boards.refresh)
            boards_at = now
        if delivered:
            _delivered(company)
    company.clock.set(until)


def _delivered(company: Company) -> None:
    """The sender delivered every row waiting."""
    with company.sessions.begin() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == DeliveryStatus.PENDING)
            .values(
                status=DeliveryStatus.SENT, sent_at=company.clock.now(), message_id=OutboxMessage.id
            )
        )


def _file(company: Company, at: datetime, **changes: object) -> None:
    company.clock.set(at)
    company.file(received_at=at, **changes)


def test_a_day_of_pings_goes_one_message_a_chat_an_hour_and_names_every_step(
    sqlite_engine: Engine,
) -> None:
    # SQLite only: a day's hundreds of passes of the digests' rules (27 s on PostgreSQL,
    # the suite's second longest); their queries run on PostgreSQL in the tests below.
    company = Company(sqlite_engine, reminders={"boards": True})
    # Six complaints come in through the morning, at odd minutes, A and C, both plants:
    # their limits run out at different times, so pings fall due one by one.
    for n in range(6):
        changes: dict[str, object] = {"plant": Plant.HUANGWU if n % 2 == 0 else Plant.LAISHAN}
        if n % 3 == 2:
            changes.update(demands=[Demand.EXCHANGE], content="换货")
        _file(company, NOW + timedelta(minutes=37 * n), **changes)
    # One is worked a while later: its waiting pings are settled, not sent.
    _live(company, NOW + timedelta(hours=3))
    with company.sessions() as session:
        first = session.scalars(
            select(Step.id).where(Step.key == "initial_assessment").order_by(Step.id)
        ).first()
    assert first is not None
    pressed = company.services.call(
        steps.press, steps.PressStep(Caller(QC_HW, QC_HW), first, *Press.DONE)
    )
    assert pressed.result is steps.PressResult.OK
    _live(company, NOW + timedelta(hours=24))
    with company.sessions() as session:
        pings = session.scalars(select(Event).where(Event.action == "ping")).all()
        queued = session.scalars(select(QueuedPing).order_by(QueuedPing.id)).all()
        rows = {
            r.id: r
            for r in session.scalars(
                select(OutboxMessage).where(OutboxMessage.purpose == Purpose.PING)
            )
        }
        open_steps = {s.id for s in session.scalars(select(Step).where(Step.status == "open"))}
        step_of = {(s.complaint_id, s.key): s.id for s in session.scalars(select(Step))}
        numbers = {q.complaint_id: q.step.complaint.number for q in queued}
        boards_shown = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.purpose.in_([Purpose.BOARD, Purpose.BOARD_EDIT])
            )
        ).all()
        # Every ping that fell due, to each of its chats, is one of the queue's pings.
        fell_due: dict[tuple[int, int], int] = defaultdict(int)
        for event in pings:
            step_id = step_of[(event.complaint_id, event.detail["step"])]
            for chat_id in event.detail["recipients"]:
                fell_due[(chat_id, step_id)] += 1
        carried: dict[tuple[int, int], int] = defaultdict(int)
        for q in queued:
            carried[(q.chat_id, q.step_id)] += q.pings
        assert carried == fell_due
        assert len(pings) > 60  # a real day: many pings to the same chats
        for q in queued:
            number = numbers[q.complaint_id]
            if q.sent_as in (digests.ALONE, digests.DIGEST):
                # Named in the message that carried it, within its interval: an hour for
                # news, three for a repeat of an escalation the chat had heard of.
                row = rows[q.message_row_id]
                assert number in row.payload["text"], (q.sent_as, number)
                assert row.created_at - q.queued_at <= (3 * HOUR if q.repeat else HOUR)
            elif q.sent_as == digests.MOVED_ON:
                assert q.step_id not in open_steps  # done before the chat's turn
            else:  # still waiting at the day's end: its turn is still to come
                assert q.sent_as is None and q.step_id in open_steps
                assert q.queued_at > NOW + timedelta(hours=21 if q.repeat else 23)
        # Each chat: at most one reminder message an interval; only a grade A complaint's
        # first escalation brings the GM's turn sooner (and the next waits an interval).
        first_to_gm: dict[int, QueuedPing] = {}  # each A complaint's first escalation
        for q in queued:
            if q.chat_id == GM and q.kind in ("overdue", "escalation"):
                first_to_gm.setdefault(q.complaint_id, q)
        forced = {q.message_row_id for q in first_to_gm.values()}
        by_chat: dict[int, list[OutboxMessage]] = defaultdict(list)
        for row in rows.values():
            by_chat[row.chat_id].append(row)
        for chat_id, sent in by_chat.items():
            sent.sort(key=lambda r: r.created_at)
            gaps = [b.created_at - a.created_at for a, b in pairwise(sent) if b.id not in forced]
            assert all(gap >= HOUR for gap in gaps), (chat_id, gaps)
        assert {GM, VP_EXEC, VP_PROD, QC_HUANGWU, QC_LAISHAN} <= set(by_chat)
        # Several pings went as digests, some alone; the GM heard each A complaint's first
        # escalation at once, whatever the interval.
        assert {q.sent_as for q in queued} >= {digests.ALONE, digests.DIGEST}
        assert {q.repeat for q in queued} == {True, False}  # news and repeats both seen
        assert first_to_gm
        for q in first_to_gm.values():
            assert rows[q.message_row_id].created_at == q.queued_at
        digest_texts = [r.payload["text"] for r in rows.values() if r.step_id is None]
        assert digest_texts and all("个步骤" in t and "/overdue" in t for t in digest_texts)
        # The boards were kept: the VP's and the QC group's, posted once, then edited.
        posted = [b for b in boards_shown if b.method is Method.MESSAGE]
        assert len(posted) == len({b.chat_id for b in posted})
        assert {VP_EXEC, GM, QC_HUANGWU} <= {b.chat_id for b in posted}
        assert any(b.method is Method.EDIT for b in boards_shown)


def test_a_ping_that_waits_for_its_chat_says_how_late_it_is_when_it_goes(engine: Engine) -> None:
    company = Company(engine)
    _file(company, NOW)
    _file(company, NOW + timedelta(minutes=20))
    # The first complaint's assessment reminder (at 1 h) goes at once; the second's, at
    # 1 h 20, waits for the QC group's turn at 2 h, with the first's overdue notice.
    _live(company, NOW + timedelta(hours=2, minutes=30))
    qc = [r for r in company.outbox(Purpose.PING) if r.chat_id == QC_HUANGWU]
    assert [r.created_at for r in qc] == [NOW + HOUR, NOW + 2 * HOUR]
    digest = qc[1].payload["text"]
    assert "2 个步骤" in digest
    # Made at its turn: the first is just overdue, the second has 20 minutes left.
    assert "剩余 20 分钟" in digest and "已超时" in digest, digest
    # Its buttons bring up each step's card.
    assert len(qc[1].payload["keyboard"]) == 2


def test_a_digest_not_sent_yet_is_replaced_by_the_newer_one(engine: Engine) -> None:
    company = Company(engine)
    _file(company, NOW)
    _file(company, NOW + timedelta(minutes=20))
    _live(company, NOW + timedelta(hours=2, minutes=30), delivered=False)
    # Nothing was sent (the sender never ran): at the next turn the newer digest replaces
    # the one still waiting, and carries its pings too.
    _live(company, NOW + timedelta(hours=3, minutes=30), delivered=False)
    qc = [r for r in company.outbox(Purpose.PING) if r.chat_id == QC_HUANGWU]
    assert [r.created_at for r in qc] == [NOW + 3 * HOUR]
    assert "KS-2026-0001" in qc[0].payload["text"] and "KS-2026-0002" in qc[0].payload["text"]
    with company.sessions() as session:
        carried = session.scalars(select(QueuedPing).where(QueuedPing.chat_id == QC_HUANGWU)).all()
        # Every ping the QC group was due by its turn, the first hour's too, is in the one
        # message; one that fell due since waits for the next turn.
        by_turn = [q for q in carried if q.queued_at <= NOW + 3 * HOUR]
        assert {q.message_row_id for q in by_turn} == {qc[0].id}
        assert {q.sent_as for q in by_turn} == {digests.DIGEST}
        assert all(q.sent_as is None for q in carried if q not in by_turn)


def test_a_board_is_posted_once_then_edited_when_it_changes(engine: Engine) -> None:
    company = Company(engine, reminders={"boards": True})
    _file(company, NOW)
    company.services.call(boards.refresh)
    posted = company.outbox(Purpose.BOARD)
    assert {b.chat_id for b in posted} >= {QC_HUANGWU, VP_EXEC, GM}
    board = next(b for b in posted if b.chat_id == QC_HUANGWU)
    assert board.payload["pin"] is True and "看板" in board.payload["text"]
    # Nothing changed: no edit.
    assert company.services.call(boards.refresh) == 0
    _delivered(company)
    # The assessment runs out: the board says it is overdue, by an edit, in place.
    company.clock.set(NOW + timedelta(hours=3))
    company.services.call(boards.refresh)
    edits = [e for e in company.outbox(Purpose.BOARD_EDIT) if e.chat_id == QC_HUANGWU]
    assert len(edits) == 1 and edits[0].payload["edit_of"] == board.id
    assert "已超时" in edits[0].payload["text"] or "超时" in edits[0].payload["text"]
    # A newer picture replaces an edit that has not gone yet.
    company.press(QC_HW, "initial_assessment", Press.DONE, at=NOW + timedelta(hours=3))
    company.services.call(boards.refresh)
    edits = [e for e in company.outbox(Purpose.BOARD_EDIT) if e.chat_id == QC_HUANGWU]
    assert len(edits) == 1 and "问题鉴定初评" not in edits[0].payload["text"]
    # Someone deleted it: the next refresh posts a new one.
    with company.sessions.begin() as session:
        boards.lost(session, QC_HUANGWU)
    company.services.call(boards.refresh)
    again = [b for b in company.outbox(Purpose.BOARD) if b.chat_id == QC_HUANGWU]
    assert len(again) == 2
    with company.sessions() as session:
        kept = session.get(ChatNotices, QC_HUANGWU)
        assert kept is not None and kept.board_row_id == again[-1].id


def test_a_message_that_waited_for_its_turn_says_how_late_it_is_when_it_goes(
    engine: Engine,
) -> None:
    company = Company(engine)
    _file(company, NOW)
    _file(company, NOW + timedelta(minutes=20))
    _live(company, NOW + timedelta(hours=2), delivered=False)
    digest = [r for r in company.outbox(Purpose.PING) if r.chat_id == QC_HUANGWU][-1]
    assert "已超时 不到 1 分钟" in digest.payload["text"]
    # The group's lane was busy: the sender claims it 25 minutes later, and says it again.
    with company.sessions.begin() as session:
        row = session.get(OutboxMessage, digest.id)
        assert row is not None
        digests.restate(session, company.config, row, NOW + timedelta(hours=2, minutes=25))
    restated = next(r for r in company.outbox(Purpose.PING) if r.id == digest.id)
    assert "已超时 25 分钟" in restated.payload["text"]
    assert "不到 1 分钟" not in restated.payload["text"]
    assert restated.payload["keyboard"] == digest.payload["keyboard"]


def test_a_chats_turn_and_a_digests_order_are_the_domains() -> None:
    from bot.procedure.digests import Waiting, goes_alone, ordered, send_at
    from bot.procedure.grading import Grade
    from bot.procedure.pings import PingKind

    # Nothing heard for an interval: at once; else an interval after the last message.
    assert send_at(None, HOUR, [NOW]) == NOW
    assert send_at(NOW, HOUR, [NOW + timedelta(minutes=5)]) == NOW + HOUR
    assert send_at(NOW, HOUR, [NOW + 2 * HOUR]) == NOW + 2 * HOUR  # held till then
    assert send_at(NOW, HOUR, []) is None
    later = NOW + 3 * HOUR
    steps_ = [
        Waiting(1, Grade.C, NOW),  # 3 h late
        Waiting(2, Grade.A, NOW + 2 * HOUR),  # 1 h late
        Waiting(3, Grade.A, NOW + HOUR),  # 2 h late
        Waiting(4, Grade.B, later + HOUR),  # not due yet
    ]
    assert [w.step_id for w in ordered(steps_, later)] == [3, 2, 4, 1]
    assert goes_alone(Grade.A, PingKind.OVERDUE, to_gm=True, gm_told_before=False)
    assert not goes_alone(Grade.A, PingKind.ESCALATION, to_gm=True, gm_told_before=True)
    assert not goes_alone(Grade.B, PingKind.OVERDUE, to_gm=True, gm_told_before=False)
    assert not goes_alone(Grade.A, PingKind.REMINDER, to_gm=True, gm_told_before=False)


def test_a_snooze_holds_what_already_waits_for_the_owners_turn(engine: Engine) -> None:
    company = Company(engine)
    _file(company, NOW)
    _live(company, NOW + timedelta(hours=1, minutes=50))  # the 90 % reminder waits for 2 h
    step_id = company.step_id("initial_assessment")
    company.clock.set(NOW + timedelta(hours=1, minutes=50))
    snoozed = company.services.call(
        steps.snooze, steps.SnoozeStep(Caller(QC_HW, QC_HW), step_id, False)
    )
    assert snoozed.until == NOW + timedelta(hours=2, minutes=50)
    _live(company, NOW + timedelta(hours=2, minutes=49))
    qc = [r for r in company.outbox(Purpose.PING) if r.chat_id == QC_HUANGWU]
    assert [r.created_at for r in qc] == [NOW + HOUR]  # nothing more while snoozed
    vp = [r for r in company.outbox(Purpose.PING) if r.chat_id == VP_EXEC]
    # The escalation went on, at the VP's next turn, though QC snoozed the step.
    assert any(
        NOW + 2 * HOUR <= r.created_at < NOW + timedelta(hours=2, minutes=50)
        and "问题鉴定初评" in r.payload["text"]
        for r in vp
    )
    _live(company, NOW + timedelta(hours=2, minutes=51))
    qc = [r for r in company.outbox(Purpose.PING) if r.chat_id == QC_HUANGWU]
    assert [r.created_at for r in qc] == [NOW + HOUR, NOW + timedelta(hours=2, minutes=50)]


def test_a_chat_hears_its_days_most_and_the_rest_the_next_day(engine: Engine) -> None:
    company = Company(engine, reminders={"most_a_day": 2})
    tz = company.services.config.tz
    for n in range(3):
        _file(company, NOW + timedelta(minutes=25 * n))
    day = NOW.astimezone(tz).date()
    midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), tz)
    _live(company, midnight + timedelta(minutes=5))
    pinged = company.outbox(Purpose.PING)
    qc = [r.created_at for r in pinged if r.chat_id == QC_HUANGWU]
    # The QC group heard two that day; what fell due after waited for the next day.
    assert len([at for at in qc if at < midnight]) == 2
    assert midnight in qc, qc
    with company.sessions() as session:
        notices = session.get(ChatNotices, QC_HUANGWU)
        assert notices is not None
        assert (notices.sent_day, notices.sent_that_day) == (midnight.date(), 1)
        vp = sorted(
            (r for r in pinged if r.chat_id == VP_EXEC and r.created_at < midnight),
            key=lambda r: r.created_at,
        )
        carried = session.scalars(select(QueuedPing).where(QueuedPing.chat_id == VP_EXEC)).all()
        # Past its two, the VP still heard each step newly overdue within the hour, and
        # only messages that named one went.
        assert len(vp) > 2
        for row in vp[2:]:
            assert any(
                q.message_row_id == row.id and q.kind == "overdue" and not q.repeat for q in carried
            ), row.payload["text"]
        for q in carried:
            # (A reminder that waited took the overdue notice's kind and time when it came.)
            if q.kind == "overdue" and not q.repeat and q.fell_due_at < midnight - HOUR:
                assert q.message_row_id is not None
                sent = next(r for r in pinged if r.id == q.message_row_id)
                assert sent.created_at - q.fell_due_at <= HOUR


def test_a_chats_turn_waits_for_the_next_day_once_it_has_heard_its_most() -> None:
    from bot.procedure.digests import within_the_day

    tomorrow = NOW + 10 * HOUR
    assert within_the_day(NOW, 11, 12, tomorrow) == NOW
    assert within_the_day(NOW, 12, 12, tomorrow) == tomorrow
    assert within_the_day(tomorrow + HOUR, 12, 12, tomorrow) == tomorrow + HOUR
    assert within_the_day(NOW, 50, None, tomorrow) == NOW
    # A step newly overdue in a person's chat is named within the hour, whatever the count.
    assert within_the_day(NOW, 12, 12, tomorrow, newly_overdue=True) == NOW
