"""The sandbox without a browser: the demo company, the clock, reset (over its HTTP API)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import aiohttp
import pytest
from sqlalchemy import select

from bot.procedure.steps import ComplaintStatus, StepStatus
from bot.sandbox import demo
from bot.sandbox.emulator.server import TOKEN_COOKIE, TOKEN_HEADER
from bot.sandbox.page import Sandbox
from bot.services.exports import MONTH_END
from bot.services.meetings import WEEKLY_AGENDA
from bot.services.plans import TRACKING_RUN
from bot.services.summary import SUMMARY_RUN
from bot.webapp import init_data
from storage import db
from storage.models import Complaint, Event, Person, Plan, Step
from tests.conftest import eventually


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    box = Sandbox(tmp_path / "sandbox.db")
    await box.start("127.0.0.1", 0)
    try:
        yield box
    finally:
        await box.stop()


def _client(box: Sandbox) -> aiohttp.ClientSession:
    """A client holding the sandbox's per-start token, as the page does."""
    return aiohttp.ClientSession(headers={TOKEN_HEADER: box.emulator.control_token})


async def _get(box: Sandbox, path: str) -> Any:
    async with _client(box) as http, http.get(box.emulator.base_url + path) as reply:
        assert reply.status == 200, await reply.text()
        return await reply.json()


async def _post(box: Sandbox, path: str, body: dict[str, Any]) -> Any:
    async with (
        _client(box) as http,
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


async def test_one_press_reaches_the_next_limit_and_says_what_went_out(sandbox: Sandbox) -> None:
    world = await _get(sandbox, "/sandbox/world")
    limit = datetime.fromisoformat(world["next_limit"])
    with _sessions(sandbox)() as session:
        open_steps = session.scalars(select(Step).where(Step.status == StepStatus.OPEN)).all()
        now = sandbox.clock.now()
        assert limit == min(s.due_at for s in open_steps if s.due_at and s.due_at > now)
        # The next ping of any kind comes sooner than the next limit (a reminder before it).
        assert datetime.fromisoformat(world["next_due"]) < limit
    jumped = await _post(sandbox, "/sandbox/clock", {"to": "limit"})
    # One press, at the limit itself (the company's clock runs on during the jump).
    assert timedelta(0) <= datetime.fromisoformat(jumped["now"]) - limit < timedelta(seconds=5)
    posted = jumped["posted"]
    # Pings that fall due together for a chat go as one digest: fewer messages than pings.
    assert jumped["pings"] > 0 and len(posted) > 0
    for item in posted:
        # Each names its chat, someone who may open it on the page, and how it opens.
        chat, person = item["chat"], item["person"]
        assert person == chat or person in demo.GROUPS[chat][1]
        assert item["title"] and item["text"]
    assert any(re.search(r"KS-\d{4}-\d{4}", item["text"]) for item in posted)
    # A second control steps through the pings one by one.
    following = await _get(sandbox, "/sandbox/world")
    step = await _post(sandbox, "/sandbox/clock", {"to": "ping"})
    # (The company's clock runs meanwhile: the ping may have fallen due a moment before.)
    stepped_to = datetime.fromisoformat(step["now"]) - datetime.fromisoformat(following["next_due"])
    assert timedelta(0) <= stepped_to < timedelta(seconds=5)
    with pytest.raises(AssertionError):
        await _post(sandbox, "/sandbox/clock", {"to": "tomorrow"})


async def test_the_people_read_as_the_procedures_cast(sandbox: Sandbox) -> None:
    people = (await _get(sandbox, "/sandbox/world"))["people"]
    sections = [p["section"] for p in people]
    # Department by department, in the procedure's order, each section in one piece.
    assert list(dict.fromkeys(sections)) == [
        "sales",
        "quality",
        "production",
        "support",
        "leadership",
    ]
    by_name = {p["name"]: p for p in people}
    assert by_name["李质检"]["plant_note"] == {"zh_CN": "黄务", "en": "Huangwu"}
    assert by_name["周质检"]["plant_note"]["zh_CN"] == "莱山"
    assert by_name["刘常务"]["plant_note"] == {"zh_CN": "主管黄务", "en": "leads Huangwu"}
    assert by_name["蒋副总"]["plant_note"]["zh_CN"] == "主管莱山"
    assert by_name["王业务"]["plant_note"] == {"zh_CN": "", "en": ""}


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
        _client(sandbox) as http,
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
    async with _client(sandbox) as http:
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


async def test_only_the_page_drives_the_sandbox(tmp_path: Path) -> None:
    """What a web page elsewhere, or a DNS-rebound name, could try: each is refused and
    changes nothing; the page itself (its cookie, its origin, JSON) works."""
    saved = tmp_path / "saved.db"
    box = Sandbox(saved, named=True)
    await box.start("127.0.0.1", 0)
    base = box.emulator.base_url
    try:
        send = {"user_id": 100001, "chat_id": 100001, "text": "/invite gm"}
        async with aiohttp.ClientSession() as http:
            # A cross-site form or fetch: no token, text/plain.
            async with http.post(
                base + "/sandbox/send",
                data=json.dumps(send),
                headers={"Content-Type": "text/plain", "Origin": "https://evil.example"},
            ) as reply:
                assert reply.status == 403
            async with http.post(base + "/sandbox/reset", json={}) as reply:
                assert reply.status == 403
            async with http.post(base + "/_emulator/send", json=send) as reply:
                assert reply.status == 403
            # DNS rebinding: the right address under another name gets neither the page
            # (and so no cookie) nor the database, even with the token.
            rebound = {"Host": "attacker.example:8080"}
            async with http.get(base + "/", headers=rebound) as reply:
                assert reply.status == 403 and TOKEN_COOKIE not in reply.cookies
            token = {TOKEN_HEADER: box.emulator.control_token}
            async with http.get(base + "/sandbox/database", headers={**rebound, **token}) as reply:
                assert reply.status == 403
            # The page: loaded first, it holds the same-site cookie.
            async with http.get(base + "/") as reply:
                assert reply.status == 200
                cookie = reply.cookies[TOKEN_COOKIE]
                assert cookie["samesite"] == "Strict" and cookie["httponly"]
        jar = aiohttp.CookieJar(unsafe=True)  # cookies for an IP address, as a browser keeps
        async with aiohttp.ClientSession(cookie_jar=jar) as page:
            async with page.get(base + "/") as reply:
                assert reply.status == 200
            origin = {"Origin": base}
            async with page.post(base + "/sandbox/send", json=send) as reply:
                assert reply.status == 403  # a browser's POST always says where it is from
            async with page.post(
                base + "/sandbox/send", json=send, headers={"Origin": "https://evil.example"}
            ) as reply:
                assert reply.status == 403
            async with page.post(
                base + "/sandbox/send", data="x=1", headers={**origin, "Content-Type": "text/plain"}
            ) as reply:
                assert reply.status == 415
            # A named database is not wiped without the page's confirmation naming it.
            async with page.post(base + "/sandbox/reset", json={}, headers=origin) as reply:
                assert reply.status == 409
            assert not Path(f"{saved}.before-reset").exists()
            hello = {"user_id": 100001, "chat_id": 100001, "text": "/help"}
            async with page.post(base + "/sandbox/send", json=hello, headers=origin) as reply:
                assert reply.status == 200
            confirm = {"confirm": "saved.db"}
            async with page.post(base + "/sandbox/reset", json=confirm, headers=origin) as reply:
                assert reply.status == 200
            assert Path(f"{saved}.before-reset").exists()  # kept beside, not deleted
        assert not any("t.me" in m.text for m in box.emulator.bot_messages(100001))
    finally:
        await box.stop()


def test_a_sandbox_on_a_public_address_needs_to_be_forced(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bot.cli import main

    assert main(["sandbox", "--host", "0.0.0.0"]) == 2
    assert "--allow-remote" in capsys.readouterr().err
    assert main(["emulator", "--host", "192.0.2.1"]) == 2


async def test_the_dashboard_through_the_emulator_gives_a_forgery_nothing(
    sandbox: Sandbox,
) -> None:
    """The Mini App as Telegram (the emulator) opens it: its initData is signed with the
    sandbox bot's token; forged or expired, it gets nothing; sales see their own."""
    base = sandbox.emulator.base_url + "/app/api/"

    async def opened(user: int) -> str:
        found = await _get(sandbox, f"/sandbox/webapp?user={user}")
        assert found["url"] == "/app/"
        return str(found["init_data"])

    async def status_of(path: str, init_data: str) -> tuple[int, Any]:
        headers = {"Authorization": f"tma {init_data}"}
        async with aiohttp.ClientSession() as http, http.get(base + path, headers=headers) as reply:
            return reply.status, await reply.json()

    gm, seller = 100044, 100001
    signed = await opened(gm)
    assert (await status_of("overview", signed))[0] == 200
    # Forged: a field changed after signing (another user), a hash of another token.
    fields = dict(parse_qsl(signed))
    forged = urlencode({**fields, "user": fields["user"].replace(str(gm), str(seller))})
    other = init_data.for_user(gm, "987654321:NOT-the-sandbox-token", sandbox.clock.now())
    for bad in (forged, other, ""):
        for path in ("overview", "complaints", "complaints/KS-2026-0001"):
            assert (await status_of(path, bad))[0] == 401, (path, bad[:20])
    # Expired: the clock an hour and more past its signing.
    await sandbox.advance(timedelta(hours=1, minutes=1))
    assert (await status_of("overview", signed))[0] == 401
    # A salesperson: their own complaints only, no overview.
    own = await opened(seller)
    assert (await status_of("overview", own))[0] == 403
    status, listed = await status_of("complaints", own)
    with _sessions(sandbox)() as session:
        theirs = session.scalars(
            select(Complaint.number)
            .join(Person, Complaint.filed_by_id == Person.id)
            .where(Person.telegram_id == seller)
        ).all()
    assert status == 200 and sorted(r["number"] for r in listed["rows"]) == sorted(theirs)
    assert 0 < len(theirs) < 5
