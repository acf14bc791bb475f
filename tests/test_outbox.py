"""The sender against the emulator: retries, final refusals, restarts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from telegram import Bot

from bot.app import prepare_database
from bot.config import parse_config
from bot.delivery.pacing import (
    MARGIN,
    PRIVATE_MARGIN,
    RESERVE_FOR,
    RESERVED,
    YIELD,
    Limits,
    Pacing,
)
from bot.delivery.ratelimit import FEWEST_AT_ONCE, MOST_AT_ONCE, AnswerGate
from bot.delivery.sender import OutboxSender
from bot.procedure.clock import FakeClock
from bot.sandbox.emulator.server import Emulator
from bot.services.notices import Notice, Recipient, post
from bot.services.uow import Services
from bot.views.models import Message
from storage import db
from storage.models import DeliveryStatus, Event, Method, OutboxMessage, Purpose
from tests.conftest import (
    GROUPS,
    PEOPLE,
    QC_HUANGWU,
    SALES,
    SALES_GROUP,
    VP_MKT,
    config_data,
    eventually,
)

START = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


class Rig:
    def __init__(self, emu: Emulator, engine: Engine, bot: Bot) -> None:
        self.emu = emu
        self.clock = FakeClock(START)
        self.config = parse_config(config_data(str(engine.url)))
        if engine.dialect.name != "sqlite":
            db.upgrade(engine)
        prepare_database(self.config, engine)
        self.sessions = db.make_sessionmaker(engine)
        self.bot = bot
        self.services = Services(self.config, self.sessions, self.clock)

    def sender(self, limits: Limits | None = None) -> OutboxSender:
        return OutboxSender(self.bot, self.services, Pacing(limits) if limits else None)

    def add(
        self,
        chat_id: int,
        text: str,
        method: Method = Method.MESSAGE,
        not_before: datetime | None = None,
        purpose: Purpose = Purpose.CARD,
    ) -> int:
        with self.sessions.begin() as session:
            notice = Notice(
                purpose,
                [Recipient(chat_id, "zh_CN")],
                lambda _language: [Message(text)],
                method=method,
                not_before=not_before,
            )
            (row,) = post(session, notice, self.clock.now())
            session.flush()
            return row.id

    def rows(self) -> list[OutboxMessage]:
        with self.sessions() as session:
            return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


@pytest.fixture
async def rig(engine: Engine) -> AsyncIterator[Rig]:
    emu = Emulator()
    await emu.start()
    for person in PEOPLE:
        emu.add_user(person["telegram_id"], person["name"])
    emu.started.update(p["telegram_id"] for p in PEOPLE if p["telegram_id"] != VP_MKT)
    for chat_id, title in GROUPS.items():
        emu.add_group(chat_id, title)
    bot = Bot(emu.token, base_url=emu.api_base_url, base_file_url=emu.file_base_url)
    async with bot:
        rig = Rig(emu, engine, bot)
        yield rig
        # The database thread finishes what a stopped sender left running, and gives its
        # connections back, before the database is dropped.
        rig.services.close()
    await emu.stop()


async def test_rows_committed_before_a_crash_are_sent_once_after_restart(rig: Rig) -> None:
    for n in range(3):
        rig.add(SALES_GROUP, f"<b>卡片 {n}</b>")
    # The process died before any sender ran; a new one starts.
    assert await rig.sender().deliver_due() == 3
    assert await rig.sender().deliver_due() == 0
    assert [m.text for m in rig.emu.bot_messages(SALES_GROUP)] == ["卡片 0", "卡片 1", "卡片 2"]
    assert all(r.status == DeliveryStatus.SENT and r.message_id for r in rig.rows())


async def test_a_row_left_sending_by_a_crash_is_sent_again(rig: Rig) -> None:
    row_id = rig.add(QC_HUANGWU, "仍在发送")
    with rig.sessions.begin() as session:
        session.get(OutboxMessage, row_id).status = "sending"  # type: ignore[union-attr]
    assert await rig.sender().deliver_due() == 1
    assert [m.text for m in rig.emu.bot_messages(QC_HUANGWU)] == ["仍在发送"]


class HeldBot(Bot):
    """A bot whose messages reach Telegram and wait there for their answer until let go."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._on_the_wire = asyncio.Event()
        self._answer = asyncio.Event()

    async def send_message(self, *args: Any, **kwargs: Any) -> Any:
        message = await super().send_message(*args, **kwargs)
        self._on_the_wire.set()
        await self._answer.wait()
        return message


async def test_a_stop_lets_a_send_on_the_wire_end_so_the_next_start_does_not_repeat_it(
    rig: Rig,
) -> None:
    rig.add(QC_HUANGWU, "停机时在途")
    emu = rig.emu
    async with HeldBot(emu.token, base_url=emu.api_base_url) as bot:
        sender = OutboxSender(bot, rig.services)
        sender.start()
        sender.poke()
        await asyncio.wait_for(bot._on_the_wire.wait(), 10)
        stopping = asyncio.ensure_future(sender.stop())
        await asyncio.sleep(0)  # the stop has begun: lanes cancelled, the send still waits
        assert not stopping.done()
        bot._answer.set()
        await stopping
    (row,) = rig.rows()
    assert row.status == DeliveryStatus.SENT and row.message_id
    assert await rig.sender().deliver_due() == 0
    assert [m.text for m in emu.bot_messages(QC_HUANGWU)] == ["停机时在途"]


async def test_429_waits_retry_after_and_keeps_the_chats_order(rig: Rig) -> None:
    rig.add(SALES_GROUP, "第一")
    rig.add(SALES_GROUP, "第二")
    rig.add(QC_HUANGWU, "别的群")
    rig.emu.fail_next.append(("sendMessage", 429, "Too Many Requests: retry after 1"))
    sender = rig.sender()
    assert await sender.deliver_due() == 1  # the other chat is not held up
    first = rig.rows()[0]
    assert first.status == "pending" and first.attempts == 1
    assert first.next_attempt_at == START + timedelta(seconds=1)
    assert await sender.deliver_due() == 0  # not before retry_after
    rig.clock.advance(timedelta(seconds=1))
    assert await sender.deliver_due() == 2
    assert [m.text for m in rig.emu.bot_messages(SALES_GROUP)] == ["第一", "第二"]


async def test_a_row_held_for_working_hours_holds_up_no_one_and_goes_at_its_time(
    rig: Rig,
) -> None:
    morning = START + timedelta(hours=9)
    rig.add(SALES_GROUP, "早上再发", not_before=morning)
    rig.add(SALES_GROUP, "现在就发")
    sender = rig.sender()
    assert await sender.deliver_due() == 1  # the later row of the same chat is not held up
    assert [m.text for m in rig.emu.bot_messages(SALES_GROUP)] == ["现在就发"]
    rig.clock.set(morning - timedelta(seconds=1))
    assert await sender.deliver_due() == 0
    rig.clock.set(morning)
    assert await sender.deliver_due() == 1
    assert [m.text for m in rig.emu.bot_messages(SALES_GROUP)] == ["现在就发", "早上再发"]


async def test_server_errors_back_off_then_give_up_and_tell_the_admins(rig: Rig) -> None:
    rig.add(SALES_GROUP, "服务器错误")
    sender = rig.sender()
    for attempt in range(1, rig.config.outbox.max_attempts + 1):
        rig.emu.fail_next.append(("sendMessage", 500, "Internal Server Error"))
        await sender.deliver_due()
        row = rig.rows()[0]
        assert row.attempts == attempt
        rig.clock.advance(timedelta(hours=1))
    row = rig.rows()[0]
    assert row.status == "failed"
    await sender.deliver_due()
    alert = rig.emu.bot_messages(SALES)  # the admin of the test company
    assert len(alert) == 1 and "未能送达" in alert[0].text


async def test_400_and_403_are_final_and_the_admins_are_told(rig: Rig) -> None:
    rig.add(SALES_GROUP, "<foo>坏的 HTML</foo>")
    rig.add(VP_MKT, "没有点过开始的人")
    sender = rig.sender()
    await sender.deliver_due()
    await sender.deliver_due()
    statuses = {r.chat_id: (r.status, r.attempts, r.last_error or "") for r in rig.rows()}
    assert statuses[SALES_GROUP][0:2] == ("failed", 1)
    assert "can't parse entities" in statuses[SALES_GROUP][2].lower()
    assert statuses[VP_MKT][0:2] == ("failed", 1)
    assert "Forbidden" in statuses[VP_MKT][2]
    alerts = rig.emu.bot_messages(SALES)
    assert len(alerts) == 2
    assert str(VP_MKT) in alerts[1].text
    with rig.sessions() as session:
        failures = session.scalars(select(Event).where(Event.action == "delivery_failed")).all()
        assert {(e.source, e.detail["chat"]) for e in failures} == {
            ("sender", SALES_GROUP),
            ("sender", VP_MKT),
        }
    # An alert about an alert is never made: nothing loops.
    assert statuses[SALES][0] == "sent"


async def test_network_error_is_retried(rig: Rig) -> None:
    rig.add(SALES_GROUP, "网络")
    await rig.emu.stop()  # Telegram unreachable
    sender = rig.sender()
    await sender.deliver_due()
    row = rig.rows()[0]
    assert row.status == "pending" and row.attempts == 1 and row.last_error


async def test_a_group_at_its_limit_holds_up_no_other_chat(rig: Rig) -> None:
    """Each chat has its lane: the group waits for its window, the others do not."""
    limits = Limits(overall=(1.0, 28), group=(2.0, 2), private=(1.0, 1))
    for n in range(3):
        rig.add(QC_HUANGWU, f"质检群 {n}")
    rig.add(SALES, "业务员")
    rig.add(SALES_GROUP, "业务群")
    sender = rig.sender(limits)
    sender.start()
    try:
        loop = asyncio.get_running_loop()
        began = loop.time()
        await eventually(lambda: rig.emu.bot_messages(SALES) and rig.emu.bot_messages(SALES_GROUP))
        assert loop.time() - began < 1.0  # not behind the group's third message
        await eventually(lambda: len(rig.emu.bot_messages(QC_HUANGWU)) == 2)
        await asyncio.sleep(0.5)
        assert len(rig.emu.bot_messages(QC_HUANGWU)) == 2  # its window is full: it waits
        third = await eventually(lambda: len(rig.emu.bot_messages(QC_HUANGWU)) == 3, timeout=5)
        assert third and loop.time() - began >= 1.9
    finally:
        await sender.stop()


async def test_a_chat_with_hundreds_waiting_hides_no_other_chat(rig: Rig) -> None:
    limits = Limits(overall=(1.0, 28), group=(60.0, 1), private=(1.0, 1))
    with rig.sessions.begin() as session:
        for n in range(250):  # more than one read of the outbox holds
            notice = Notice(
                Purpose.CARD,
                [Recipient(QC_HUANGWU, "zh_CN")],
                lambda _language, n=n: [Message(f"积压 {n}")],
            )
            post(session, notice, rig.clock.now())
    rig.add(SALES, "在后面的另一个聊天")
    sender = rig.sender(limits)
    sender.start()
    try:
        await eventually(lambda: rig.emu.bot_messages(SALES), timeout=3)
        assert len(rig.emu.bot_messages(QC_HUANGWU)) == 1  # the group waits for its minute
    finally:
        await sender.stop()


async def test_at_its_limit_a_chat_gets_escalations_and_tasks_before_copies(rig: Rig) -> None:
    limits = Limits(overall=(1.0, 28), group=(0.5, 1), private=(1.0, 1))
    rig.add(QC_HUANGWU, "卡片一")
    rig.add(QC_HUANGWU, "卡片二")
    rig.add(QC_HUANGWU, "结果")
    rig.add(QC_HUANGWU, "超时升级", purpose=Purpose.PING)
    rig.add(QC_HUANGWU, "任务", purpose=Purpose.TASK)
    assert await rig.sender(limits).deliver_due() == 5
    # The first goes at once; then the chat is at its limit, and what asks someone to
    # act goes first, each kind in its own order.
    assert [m.text for m in rig.emu.bot_messages(QC_HUANGWU)] == [
        "卡片一",
        "超时升级",
        "任务",
        "卡片二",
        "结果",
    ]


def test_pacing_keeps_each_window() -> None:
    now = [100.0]
    pacing = Pacing(Limits(overall=(1.0, 3), group=(60.0, 2), private=(1.0, 1)), lambda: now[0])
    assert pacing.wait(-1) == 0 and pacing.wait(7) == 0
    pacing.take(-1)
    pacing.take(-1)
    assert pacing.wait(-1) == pytest.approx(60.0 + MARGIN)  # a group: two a minute here
    assert pacing.wait(7) == 0  # another chat is not held up
    pacing.take(7)
    assert pacing.wait(7) == pytest.approx(1.0 + PRIVATE_MARGIN)  # a person: one a second
    assert pacing.wait(8) == pytest.approx(1.0 + MARGIN)  # three a second in all, taken
    now[0] = 101.0 + PRIVATE_MARGIN
    assert pacing.wait(8) == 0 and pacing.wait(7) == 0
    assert pacing.wait(-1) == pytest.approx(59.0 + MARGIN - PRIVATE_MARGIN)
    now[0] = 160.0 + MARGIN
    pacing.forget_idle()
    assert pacing.wait(-1) == 0


def test_an_answer_to_a_person_takes_the_next_place_before_any_notice() -> None:
    now = [100.0]
    pacing = Pacing(Limits(overall=(1.0, 10), group=(60.0, 20), private=(1.0, 2)), lambda: now[0])
    for chat in range(-10, 0):
        pacing.take(chat)  # notices took every place in all
    assert pacing.answer_wait(7) == pytest.approx(1.0 + MARGIN)  # the next place in all
    now[0] = 101.0 + MARGIN
    pacing.answers_waiting = 1  # an answer waits for it: the lanes let it pass
    assert pacing.wait(-11) == pytest.approx(YIELD)
    assert pacing.answer_wait(7) == 0
    pacing.answers_waiting = 0
    pacing.take(7)
    pacing.take(7)
    # A person's own window holds for answers too (Telegram's limit is the chat's)...
    assert pacing.answer_wait(7) == pytest.approx(1.0 + PRIVATE_MARGIN)
    # ...but an edit of the pressed message, or an answer in a group, waits only for a
    # place in all.
    assert pacing.answer_wait(7, edit=True) == 0 and pacing.answer_wait(-1) == 0
    # While people answer, the lanes leave places for them: of ten, the lanes may fill
    # ten less the reserve; the answers the rest.
    assert RESERVED == 6
    for chat in (-11, -12):
        assert pacing.wait(chat) == 0
        pacing.take(chat)
    assert pacing.wait(-13) == pytest.approx(1.0 + MARGIN)
    assert pacing.answer_wait(8) == 0  # the answers still have theirs
    now[0] = 101.0 + MARGIN + RESERVE_FOR  # nobody answered for a while: all ten again
    for chat in range(-20, -10):
        assert pacing.wait(chat) == 0
        pacing.take(chat)


def test_a_send_telegram_refused_gives_its_place_back() -> None:
    """A 429'd message did not count at Telegram: kept in the windows, a group's retry
    would wait for its own refused try, a whole minute."""
    now = [100.0]
    pacing = Pacing(Limits(overall=(1.0, 30), group=(60.0, 2), private=(1.0, 1)), lambda: now[0])
    pacing.take(-1)
    refused = pacing.take(-1)
    assert pacing.wait(-1) == pytest.approx(60.0 + MARGIN)
    pacing.give_back(-1, refused)
    assert pacing.wait(-1) == 0  # the retry goes as soon as retry_after allows
    pacing.give_back(-1, refused)  # twice, or a stamp it never had: nothing happens


def test_answers_leave_in_order_as_many_at_once_as_the_pace_needs() -> None:
    now = [0.0]
    gate = AnswerGate(30.0, lambda: now[0])
    assert gate.at_once() == MOST_AT_ONCE  # no round trip known yet: no holding back
    gate._round_trips.extend([0.2, 0.005])  # the quickest is the network's own time
    assert gate.at_once() == FEWEST_AT_ONCE  # 30 a second over 5 ms needs one at most
    gate._round_trips.clear()
    gate._round_trips.append(0.2)
    assert gate.at_once() == 12  # 30 a second × 0.2 s, twice for the jitter
    gate._round_trips.append(0.05)
    assert gate.at_once() == 3
    gate._round_trips.clear()
    gate._round_trips.append(1.5)  # a slow proxy: never more than the updates at once
    assert gate.at_once() == MOST_AT_ONCE


async def test_the_gate_lets_answers_through_first_come_first_served() -> None:
    gate = AnswerGate(30.0)
    gate._round_trips.append(0.001)  # two at once
    entered: list[int] = []
    inside = [0, 0]  # now, most
    release = asyncio.Event()

    async def answer(n: int) -> None:
        async with gate.turn():
            entered.append(n)
            inside[0] += 1
            inside[1] = max(inside[1], inside[0])
            await release.wait()
            inside[0] -= 1

    tasks = [asyncio.create_task(answer(n)) for n in range(6)]
    await eventually(lambda: len(entered) == 2)
    tasks[3].cancel()  # a waiting answer whose update was cancelled: the others go on
    release.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert entered == [0, 1, 2, 4, 5] and inside[1] == 2
    assert gate._on_their_way == 0 and not gate._waiting
