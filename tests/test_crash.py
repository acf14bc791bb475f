"""kill -9 of a real `kesu run` process at the worst moments, then a restart, through the
emulator: mid-intake (the draft is kept: nothing typed is lost), right after a press
(the step is done once, the steps it opens are announced once), and mid-delivery (what
had not gone yet goes after the restart, once; what had gone is not sent again)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.sandbox.emulator.server import Emulator
from storage import db
from storage.models import Complaint, Event, OutboxMessage, Step
from tests.conftest import (
    LEADERSHIP,
    QC_HUANGWU,
    QC_HW,
    SALES,
    SALES_GROUP,
    config_data,
    eventually,
)
from tests.harness import World, make_emulator
from tests.test_e2e_steps import card, press

ROOT = Path(__file__).resolve().parent.parent


def toml(data: dict[str, Any]) -> str:
    """The configuration as TOML (only the shapes Kesu's configuration has)."""
    lines: list[str] = []

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return json.dumps(str(v), ensure_ascii=False)

    def table(prefix: str, node: dict[str, Any]) -> None:
        scalars = {
            k: v
            for k, v in node.items()
            if not isinstance(v, dict | list)
            or (isinstance(v, list) and not (v and isinstance(v[0], dict)))
        }
        if prefix:
            lines.append(f"[{prefix}]")
        lines.extend(f"{k} = {value(v)}" for k, v in scalars.items())
        for key, child in node.items():
            name = f"{prefix}.{key}" if prefix else key
            if isinstance(child, dict):
                table(name, child)
            elif isinstance(child, list) and child and isinstance(child[0], dict):
                for item in child:
                    lines.append(f"[[{name}]]")
                    lines.extend(f"{k} = {value(v)}" for k, v in item.items())

    table("", data)
    return "\n".join(lines) + "\n"


class KesuProcess:
    """`kesu run --config FILE` as a process of its own."""

    def __init__(self, config: Path, emu: Emulator) -> None:
        self.config, self.emu = config, emu
        self.process: asyncio.subprocess.Process | None = None
        self.log = config.with_name("kesu.log")  # what each run said, for a failure's sake
        self.starts = 0

    async def start(self) -> None:
        polls = sum(1 for method, _ in self.emu.calls if method == "getUpdates")
        self.starts += 1
        with self.log.open("a", encoding="utf-8") as log:
            log.write(f"--- start {self.starts}\n")
            log.flush()
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.cli",
                "run",
                "--config",
                str(self.config),
                cwd=ROOT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
                stdout=asyncio.subprocess.DEVNULL,
                stderr=log,
            )

        # Ready when it polls Telegram; a run that ended instead says why.
        def ready() -> bool:
            assert self.process is not None
            if self.process.returncode is not None:
                raise RuntimeError(f"kesu run ended at start:\n{self.log.read_text()[-3000:]}")
            return sum(1 for method, _ in self.emu.calls if method == "getUpdates") > polls

        try:
            await eventually(ready, timeout=60)
        except AssertionError as exc:
            log = self.log.read_text()[-3000:]
            raise AssertionError(f"kesu run did not poll:\n{log}") from exc

    async def kill(self) -> None:
        """kill -9: no shutdown, no flush, nothing."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):  # it may have ended by itself
            self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        self.process = None


@asynccontextmanager
async def crashable(tmp_path: Path) -> AsyncIterator[tuple[World, KesuProcess, str]]:
    emu = await make_emulator()
    url = f"sqlite:///{tmp_path / 'kesu.db'}"
    data = config_data(
        url,
        telegram={
            "token": emu.token,
            "api_base_url": emu.api_base_url,
            "file_base_url": emu.file_base_url,
        },
    )
    path = tmp_path / "config.toml"
    path.write_text(toml(data), encoding="utf-8")
    kesu = KesuProcess(path, emu)
    try:
        await kesu.start()
        yield World(emu, None), kesu, url  # type: ignore[arg-type]
    finally:
        if kesu.process is not None:
            await kesu.kill()
        await emu.stop()


def read(url: str, query: Any) -> list[Any]:
    engine = db.make_engine(url)
    try:
        with db.make_sessionmaker(engine)() as session:
            return list(session.scalars(query))
    finally:
        engine.dispose()


async def answer_up_to_the_letter(world: World) -> None:
    await world.say(SALES, "/new")
    await world.say(SALES, "青岛海达机械")
    await world.tap(SALES, "v1:in:pick:A")
    await world.say(SALES, "0535-6881234")


async def answer_the_rest(world: World) -> None:
    await world.say(SALES, "客户来函:整批轴承异响,要求索赔。")
    await world.tap(SALES, "v1:in:tog:claim", new_message=False)
    await world.tap(SALES, "v1:in:done")
    await world.say(SALES, "深沟球轴承")
    await world.say(SALES, "6204-2RS")
    await world.say(SALES, "5000 件")
    await world.say(SALES, "2026-11-01")
    await world.tap(SALES, "v1:in:pick:now")
    await world.tap(SALES, "v1:in:pick:today")
    await world.tap(SALES, "v1:in:pick:no")
    await world.tap(SALES, "v1:in:pick:no")
    await world.tap(SALES, "v1:in:pick:huangwu")
    await world.say(SALES, "客户装机后轴承异响。")
    await world.tap(SALES, "v1:in:done")
    assert "请核对" in world.last(SALES).text


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
async def test_kill_9_mid_intake_after_a_press_and_mid_delivery(tmp_path: Path) -> None:
    async with crashable(tmp_path) as (world, kesu, url):
        emu = world.emu
        # 1. Mid-intake: killed after the phone number was taken; nothing typed is lost.
        await answer_up_to_the_letter(world)
        await kesu.kill()
        await kesu.start()
        await answer_the_rest(world)

        # 3. Mid-delivery: the QC group cannot be reached when the complaint is filed.
        emu.outages.add(QC_HUANGWU)
        await world.tap(SALES, "v1:in:ok")
        await eventually(lambda: "已登记为" in world.last(SALES).text)
        (complaint,) = read(url, select(Complaint))
        assert complaint.customer_name == "青岛海达机械"  # typed before the first kill
        assert complaint.contact_phone == "0535-6881234"
        await eventually(lambda: card_count(emu, SALES_GROUP, "客户投诉") == 1, timeout=15)
        await eventually(
            lambda: card_count(emu, LEADERSHIP, "顾客反馈质量问题处置报告单") == 1, timeout=15
        )
        # What went is recorded as sent before the kill. (A row in flight at the kill,
        # sent but not yet recorded, would go again: Telegram has no way to ask. That
        # window is one round trip: docs/architecture.md, "Crashes".)
        await eventually(lambda: all_but_qc_sent(url), timeout=20)
        waiting = read(url, select(OutboxMessage).where(OutboxMessage.chat_id == QC_HUANGWU))
        # Not one of them got through; one may be in the middle of its (failing) try.
        assert waiting and all(row.status in ("pending", "sending") for row in waiting)
        await kesu.kill()
        emu.outages.clear()
        await kesu.start()
        await eventually(lambda: card(world, QC_HUANGWU, "问题鉴定初评"), timeout=20)
        await asyncio.sleep(1.5)  # anything sent twice would be here by now
        assert card_count(emu, SALES_GROUP, "客户投诉") == 1
        assert card_count(emu, LEADERSHIP, "顾客反馈质量问题处置报告单") == 1
        assert card_count(emu, QC_HUANGWU, "问题鉴定初评") == 1

        # 2. Right after a press: killed as soon as the button was answered. The group
        # is out of reach meanwhile, so the next card cannot be in flight at the kill
        # (one sent but not yet recorded would go again: the at-least-once window of
        # docs/architecture.md, "Crashes", which made this part fail one run in ten).
        assessment = card(world, QC_HUANGWU, "问题鉴定初评")
        done = next(d for _, d in assessment.buttons if ":done:" in d)
        emu.outages.add(QC_HUANGWU)
        answer = await press(world, QC_HW, QC_HUANGWU, assessment.message_id, done)
        assert not answer["show_alert"]
        await kesu.kill()
        emu.outages.clear()
        await kesu.start()
        await eventually(lambda: card(world, QC_HUANGWU, "产品质量鉴定报告"), timeout=20)
        await eventually(lambda: "李质检" in card(world, QC_HUANGWU, "问题鉴定初评").text)
        await asyncio.sleep(1.5)
        assert card_count(emu, QC_HUANGWU, "产品质量鉴定报告") == 1
        steps = read(url, select(Step).where(Step.key == "initial_assessment"))
        assert [s.status for s in steps] == ["done"]
        done_events = read(url, select(Event).where(Event.action == "step_done"))
        assert len([e for e in done_events if e.detail.get("step") == "initial_assessment"]) == 1


def card_count(emu: Emulator, chat: int, title: str) -> int:
    return len([m for m in emu.bot_messages(chat) if title in m.text])


def all_but_qc_sent(url: str) -> bool:
    rows = read(url, select(OutboxMessage).where(OutboxMessage.chat_id != QC_HUANGWU))
    return bool(rows) and all(row.status == "sent" for row in rows)
