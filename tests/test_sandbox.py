"""The sandbox without a browser: the demo company, the clock, reset (over its HTTP API)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.procedure.steps import ComplaintStatus, StepStatus
from bot.sandbox import demo
from bot.sandbox.page import Sandbox
from bot.services.exports import MONTH_END
from bot.services.meetings import WEEKLY_AGENDA
from bot.services.plans import TRACKING_RUN
from bot.services.summary import SUMMARY_RUN
from storage import db
from storage.models import Complaint, Event, Plan, Step
from tests.conftest import eventually


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    box = Sandbox(tmp_path / "sandbox.db")
    await box.start("127.0.0.1", 0)
    try:
        yield box
    finally:
        await box.stop()


async def _get(box: Sandbox, path: str) -> Any:
    async with aiohttp.ClientSession() as http, http.get(box.emulator.base_url + path) as reply:
        assert reply.status == 200, await reply.text()
        return await reply.json()


async def _post(box: Sandbox, path: str, body: dict[str, Any]) -> Any:
    async with (
        aiohttp.ClientSession() as http,
        http.post(box.emulator.base_url + path, json=body) as reply,
    ):
        assert reply.status == 200, await reply.text()
        return await reply.json()


def _sessions(box: Sandbox) -> Any:
    assert box.engine is not None
    return db.make_sessionmaker(box.engine)


async def test_the_demo_company_opens_on_complaints_in_different_stages(sandbox: Sandbox) -> None:
    world = await _get(sandbox, "/sandbox/world")
    roles = {p["role"]["en"] for p in world["people"]}
    assert len(roles) == 11  # every role of section 2
    assert {g["title"] for g in world["groups"]} >= {"公司领导层", "业务部", "黄务质检", "莱山生产"}
    with _sessions(sandbox)() as session:
        complaints = session.scalars(select(Complaint).order_by(Complaint.id)).all()
        assert [c.status for c in complaints].count(ComplaintStatus.CLOSED) == 1
        assert {c.grade.value for c in complaints} == {"A", "B", "C"}
        assert any(c.plant.value == "unknown" for c in complaints)
        plan = session.scalars(select(Plan)).one()  # a plan running, one item accepted
        assert [i.status.value for i in plan.items] == ["accepted", "open"]
    # The cards reach the groups once the sender has delivered them.
    qc = await eventually(
        lambda: [m for m in sandbox.emulator.bot_messages(demo.QC_HUANGWU) if "第 3 步" in m.text],
        timeout=15,
    )
    assert qc
    chat = await _get(sandbox, f"/sandbox/chats/{demo.QC_HUANGWU}")
    assert any(row for m in chat["messages"] for row in m["rows"])


async def test_the_clock_sends_every_reminder_on_the_way_at_its_own_time(sandbox: Sandbox) -> None:
    before = sandbox.clock.now()
    world = await _get(sandbox, "/sandbox/world")
    assert world["next_due"] is not None
    due = datetime.fromisoformat(world["next_due"])
    first = await _post(sandbox, "/sandbox/clock", {})  # to the next due time
    assert sandbox.clock.now() >= due - timedelta(seconds=1)
    with _sessions(sandbox)() as session:
        # Sent by the jump, or by its own job if it fell due in the wall-clock seconds
        # before (the demo's times follow the time of day).
        assert session.scalars(select(Event).where(Event.action == "ping")).first()
    result = await _post(sandbox, "/sandbox/clock", {"seconds": 3 * 3600})
    assert sandbox.clock.now() - before >= timedelta(hours=3)
    with _sessions(sandbox)() as session:
        pings = session.scalars(select(Event).where(Event.action == "ping")).all()
        # The jumps count the timed jobs they ran too (the daily tracking at 08:30 may
        # fall in the three hours, by the time of day of the run).
        timed = (TRACKING_RUN, WEEKLY_AGENDA, SUMMARY_RUN, MONTH_END)
        runs = session.scalars(select(Event).where(Event.action.in_(timed))).all()
        # Each went out when it fell due in sandbox time (by the jump, or by its job
        # when it fell due in the seconds between): none is marked late.
        assert len(pings) + len(runs) >= first["pings"] + result["pings"]
        assert pings and not any(p.detail["late"] for p in pings)
        kinds = {p.detail["kind"] for p in pings}
        assert {"reminder", "overdue", "escalation"} <= kinds
        open_steps = session.scalars(select(Step).where(Step.status == StepStatus.OPEN)).all()
        assert all(
            s.next_ping_at is None or s.next_ping_at > sandbox.clock.now() for s in open_steps
        )
    with pytest.raises(AssertionError):
        await _post(sandbox, "/sandbox/clock", {"seconds": -5})


async def test_reset_brings_fresh_demo_data_and_a_saved_file_is_started_from(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    await _post(sandbox, "/sandbox/clock", {"seconds": 3600})
    await _post(sandbox, "/sandbox/reset", {})
    assert abs(sandbox.clock.ahead_by) < timedelta(seconds=5)
    with _sessions(sandbox)() as session:
        # Only what fell due in the demo's own past, each at its time.
        pings = session.scalars(select(Event).where(Event.action == "ping")).all()
        assert all(p.at <= sandbox.clock.now() and not p.detail["late"] for p in pings)
        assert len(session.scalars(select(Complaint)).all()) == 5
    async with (
        aiohttp.ClientSession() as http,
        http.get(sandbox.emulator.base_url + "/sandbox/database") as reply,
    ):
        saved = tmp_path / "saved.db"
        saved.write_bytes(await reply.read())
    again = Sandbox(saved)
    await again.start("127.0.0.1", 0)
    try:
        world = await _get(again, "/sandbox/world")
        assert world["restored"] is True
        with _sessions(again)() as session:
            assert len(session.scalars(select(Complaint)).all()) == 5
    finally:
        await again.stop()


async def test_people_write_only_in_their_own_chats(sandbox: Sandbox) -> None:
    async with aiohttp.ClientSession() as http:
        body = {"user_id": 100001, "chat_id": demo.QC_HUANGWU, "text": "/help"}
        async with http.post(sandbox.emulator.base_url + "/sandbox/send", json=body) as reply:
            assert reply.status == 403
    sent = await _post(
        sandbox, "/sandbox/send", {"user_id": 100001, "chat_id": 100001, "text": "/help"}
    )
    assert sent["message_id"]
    # Task cards of the demo reach this chat too: look for the answer among its messages.
    reply = await eventually(
        lambda: next(
            (m.text for m in sandbox.emulator.bot_messages(100001) if "/mytasks" in m.text),
            None,
        ),
        timeout=10,
    )
    assert "王业务" in reply
