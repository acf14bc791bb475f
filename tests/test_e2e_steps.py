"""End to end: task cards, presses, reminders and escalations, restarts (limits of seconds)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from bot.delivery.scheduler import DEADLINE_JOB
from bot.sandbox.clock import SandboxClock
from storage.models import Complaint, Event, Step
from tests.conftest import (
    GM,
    QC_HUANGWU,
    QC_HW,
    QC_LAISHAN,
    QC_LS,
    SALES,
    SALES_2,
    VP_EXEC,
    VP_PROD,
    eventually,
)
from tests.harness import World, make_emulator, running_kesu
from tests.test_e2e_intake import all_sent, file_complaint

# Not about Telegram's pace: without its limits (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("telegram_limits_lifted")

FAST = {
    "limits": {"lead_on_site": "3s", "initial_assessment": "30s"},
    "reminders": {"at_fractions": [0.5], "escalate_every": "2s", "repeat_every": "2s"},
}


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    """Through the emulator on SQLite: the use cases these runs exercise are tested on
    PostgreSQL too (test_services, test_workflow), and test_e2e_buttons and test_forms
    run through the emulator on both (the suite stays within its ten minutes)."""
    return sqlite_engine


def card(world: World, chat: int, title: str):  # type: ignore[no-untyped-def]
    for message in world.notices(chat):
        if title in message.text and message.text.startswith("第"):
            return message
    raise LookupError(f"no task card {title!r} in {chat}")


def pings(world: World, chat: int, title: str, mark: str = "🚨") -> list[str]:
    return [m.text for m in world.notices(chat) if m.text.startswith(mark) and title in m.text]


def step(world: World, key: str) -> Step:
    with world.sessions() as session:
        return session.scalars(select(Step).where(Step.key == key)).one()


async def press(world: World, user: int, chat: int, message_id: int, data: str) -> dict:  # type: ignore[type-arg]
    query_id = await world.emu.press(user, chat, message_id, data)
    return await eventually(lambda: world.emu.callback_answers[query_id])  # type: ignore[no-any-return]


async def test_an_a_complaint_from_huangwu_runs_its_steps(engine: Engine, transport: str) -> None:
    async with running_kesu(transport=transport, engine=engine, **FAST) as world:
        await file_complaint(world, plant="huangwu", letter=False)

        # QC Huangwu get the initial assessment with its buttons; Laishan does not.
        assessment = await eventually(lambda: card(world, QC_HUANGWU, "问题鉴定初评"))
        labels = [label for label, _ in assessment.buttons]
        assert labels == [
            "完成",
            "非质量问题",
            "我来负责",
            "受阻，需要资源",
            "申请延期",
            "暂停提醒",
            "查看",
        ]
        assert all(not m.text.startswith("第") for m in world.notices(QC_LAISHAN))
        # The executive VP leads Huangwu: the on-site step comes to him privately.
        await eventually(lambda: card(world, VP_EXEC, "到现场"))
        assert all("到现场" not in m.text for m in world.notices(VP_PROD))

        # Left undone, it escalates to him every interval, and to the GM (an A complaint).
        await eventually(lambda: len(pings(world, VP_EXEC, "到现场")) >= 2, timeout=12)
        assert pings(world, GM, "到现场")
        assert pings(world, VP_EXEC, "到现场", "⏰")  # the reminder came first

        # Someone from the other plant may not press; nothing changes, the try is logged.
        done = next(d for _, d in assessment.buttons if ":done:" in d)
        answer = await press(world, QC_LS, QC_HUANGWU, assessment.message_id, done)
        assert answer["show_alert"] and "不是您的" in answer["text"]
        assert step(world, "initial_assessment").status == "open"

        # The plant's QC press Done: the card says who and when, the next steps open.
        answer = await press(world, QC_HW, QC_HUANGWU, assessment.message_id, done)
        assert not answer["show_alert"]
        await eventually(lambda: "李质检" in card(world, QC_HUANGWU, "问题鉴定初评").text)
        edited = card(world, QC_HUANGWU, "问题鉴定初评")
        assert "已完成" in edited.text and [label for label, _ in edited.buttons] == ["查看"]
        await eventually(lambda: card(world, QC_HUANGWU, "产品质量鉴定报告"))
        await eventually(lambda: card(world, QC_HUANGWU, "临时整治"))

        # QC name the causes from the card's button (the chooser comes privately).
        appraisal = card(world, QC_HUANGWU, "产品质量鉴定报告")
        causes = next(d for label, d in appraisal.buttons if label == "原因类别与责任单位")
        answer = await press(world, QC_HW, QC_HUANGWU, appraisal.message_id, causes)
        assert not answer["show_alert"]
        chooser = await eventually(
            lambda: next(
                (m for m in world.emu.bot_messages(QC_HW) if "原因类别与责任单位" in m.text), None
            )
        )
        assert "黄务" in next(label for label, _ in chooser.buttons if label.startswith("✅"))
        confirm = next(d for label, d in chooser.buttons if label == "确认")
        answer = await press(world, QC_HW, QC_HW, chooser.message_id, confirm)
        assert answer["show_alert"] and "至少选择一个" in answer["text"]  # none ticked yet
        env = next(d for label, d in chooser.buttons if label == "环")
        await press(world, QC_HW, QC_HW, chooser.message_id, env)
        await eventually(lambda: "✅ 环" in [label for label, _ in chooser.buttons])
        confirm = next(d for label, d in chooser.buttons if label == "确认")
        answer = await press(world, QC_HW, QC_HW, chooser.message_id, confirm)
        assert not answer["show_alert"]
        await eventually(lambda: "原因类别：环" in card(world, QC_HUANGWU, "产品质量鉴定报告").text)

        # Two presses at once complete a step once.
        appraisal = card(world, QC_HUANGWU, "产品质量鉴定报告")
        done = next(d for _, d in appraisal.buttons if ":done:" in d)
        first = await world.emu.press(QC_HW, QC_HUANGWU, appraisal.message_id, done)
        second = await world.emu.press(QC_HW, QC_HUANGWU, appraisal.message_id, done)
        answers = [
            await eventually(lambda q=q: world.emu.callback_answers[q]) for q in (first, second)
        ]
        assert sorted(a["show_alert"] for a in answers) == [False, True]
        with world.sessions() as session:
            actions = session.scalars(select(Event.action)).all()
            assert actions.count("press_refused") == 1
            done_events = session.scalars(select(Event).where(Event.action == "step_done")).all()
            assert [e.detail["step"] for e in done_events].count("appraisal_report") == 1

        # Pressing on the on-site step stops its escalation.
        vp_card = card(world, VP_EXEC, "到现场")
        vp_done = next(d for _, d in vp_card.buttons if ":done:" in d)
        await press(world, VP_EXEC, VP_EXEC, vp_card.message_id, vp_done)
        await eventually(lambda: all_sent(world), timeout=15)  # pings enqueued before the press
        count = len(pings(world, VP_EXEC, "到现场"))
        await asyncio.sleep(2.5)
        assert len(pings(world, VP_EXEC, "到现场")) == count


async def test_a_restart_in_the_middle_of_a_limit_loses_nothing_and_repeats_nothing(
    engine: Engine,
    transport: str,
) -> None:
    settings = {
        "limits": {"initial_assessment": "15s"},
        "reminders": {"at_fractions": [0.9], "escalate_every": "60s"},
    }
    emu = await make_emulator()
    # Kesu's clock moves on while it is down, as the wall clock would: no test waits for it.
    clock = SandboxClock()
    try:
        async with running_kesu(
            transport=transport, engine=engine, emulator=emu, clock=clock, **settings
        ) as world:
            await file_complaint(
                world, plant="laishan", letter=False, demands=("v1:in:tog:exchange",), batch="no"
            )
            await eventually(lambda: card(world, QC_LAISHAN, "问题鉴定初评"))
            due = step(world, "initial_assessment").due_at
        # Down through the reminder and the limit.
        assert due is not None
        clock.advance(due + timedelta(seconds=6) - clock.now())
        async with running_kesu(
            transport=transport, engine=engine, emulator=emu, clock=clock, **settings
        ) as world:
            await eventually(lambda: pings(world, QC_LAISHAN, "问题鉴定初评"), timeout=5)
            await asyncio.sleep(1.0)
            overdue = pings(world, QC_LAISHAN, "问题鉴定初评")
            assert len(overdue) == 1 and "延迟发送" in overdue[0]
            assert pings(world, QC_LAISHAN, "问题鉴定初评", "⏰") == []  # superseded, not sent
            cards = [
                m
                for m in world.notices(QC_LAISHAN)
                if "问题鉴定初评" in m.text and m.text.startswith("第")
            ]
            assert len(cards) == 1  # nothing sent twice
            # One job for every step's pings, set for the soonest (the next escalation).
            jobs = world.kesu.application.job_queue.jobs()
            assert [j.name for j in jobs if j.name and "deadline" in j.name] == [DEADLINE_JOB]
            with world.sessions() as session:
                assert (
                    session.scalars(
                        select(Step.pings_sent).where(Step.key == "initial_assessment")
                    ).one()
                    == 2
                )
    finally:
        await emu.stop()


async def test_not_a_quality_problem_notes_blocking_and_task_lists(engine: Engine) -> None:
    async with running_kesu(engine) as world:
        await file_complaint(
            world, plant="laishan", letter=False, demands=("v1:in:tog:criticism",), batch="no"
        )
        assessment = await eventually(lambda: card(world, QC_LAISHAN, "问题鉴定初评"))

        # /mytasks shows the QC person the step, with its buttons; /overdue is refused to sales.
        await world.say(QC_LS, "/mytasks")
        assert "问题鉴定初评" in world.last(QC_LS).text
        await eventually(lambda: card(world, QC_LS, "问题鉴定初评"))
        await world.say(SALES_2, "/overdue")  # a salesperson who is not an admin
        assert "Only leadership and QC" in world.last(SALES_2).text
        await world.say(GM, "/overdue")
        assert "没有超时的步骤" in world.last(GM).text

        # Blocked: the reason is asked privately with a reply request; the GM gets the report.
        block = next(d for _, d in assessment.buttons if ":block:" in d)
        await press(world, QC_LS, QC_LAISHAN, assessment.message_id, block)
        prompt = await eventually(
            lambda: world.last(QC_LS) if "为何受阻" in world.last(QC_LS).text else None
        )
        assert prompt.reply_markup == {"force_reply": True, "selective": True}
        await world.say(QC_LS, "缺少检测设备 <三坐标>", reply_to=prompt.message_id)
        assert "已报送总经理" in world.last(QC_LS).text
        report = await eventually(
            lambda: [m for m in world.emu.bot_messages(GM) if "书面专项报告" in m.text]
        )
        assert "缺少检测设备 &lt;三坐标&gt;" in report[0].html
        await eventually(lambda: "受阻" in card(world, QC_LAISHAN, "问题鉴定初评").text)

        # Not a quality problem: sales explain it to the customer, then the case closes.
        assessment = card(world, QC_LAISHAN, "问题鉴定初评")
        not_quality = next(d for _, d in assessment.buttons if ":nq:" in d)
        await press(world, QC_LS, QC_LAISHAN, assessment.message_id, not_quality)
        note_prompt = await eventually(
            lambda: world.last(QC_LS) if "步骤已完成" in world.last(QC_LS).text else None
        )
        await world.say(QC_LS, "客户使用不当,非产品质量问题", reply_to=note_prompt.message_id)
        assert "备注已添加" in world.last(QC_LS).text
        explain = await eventually(lambda: card(world, SALES, "阐明、解释"))
        assert [label for label, _ in explain.buttons][:2] == ["客户已接受", "客户不接受"]
        done = next(d for _, d in explain.buttons if ":acc:" in d)
        await press(world, SALES, SALES, explain.message_id, done)
        await eventually(lambda: "步骤已完成" in world.last(SALES).text)  # the optional note
        with world.sessions() as session:
            await eventually(
                lambda: (
                    session.scalars(select(Complaint.status)).one() == "closed"
                    or session.expire_all()
                )
            )
        await world.say(SALES, "/list")
        assert "没有未结客诉" in world.last(SALES).text
        with world.sessions() as session:  # /show lists every step with who did it
            number = session.scalars(select(Complaint.number)).one()
        await world.say(SALES, f"/show {number}")
        # The card, steps and history come first, then the disposition report.
        await eventually(lambda: "处置报告单" in world.last(SALES).text)
        shown = next(t for t in reversed(world.texts(SALES)) if "处理记录" in t)
        assert "✅ 问题鉴定初评" in shown and "赵质检" in shown, shown
        assert "✅ 向客户阐明、解释" in shown and "⏳" not in shown
