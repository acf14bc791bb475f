"""End to end, the first half as the source has it: tried through the emulator the way
issue 9's "done when" reads. Times are set on a sandbox clock (the wall clock plus an
offset), so a night and a morning are seconds apart."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from bot.delivery.scheduler import Delivery
from bot.procedure.steps import StepStatus
from bot.sandbox.clock import SandboxClock
from storage.models import Complaint, Person, Step
from tests.conftest import (
    GM,
    LEADERSHIP,
    PURCHASING,
    QC_HUANGWU,
    QC_HW,
    SALES,
    SALES_2,
    SALES_GROUP,
    VP_EXEC,
    VP_PROD,
    eventually,
)
from tests.harness import World, running_kesu
from tests.test_e2e_intake import file_complaint
from tests.test_e2e_steps import card, press, step

# Not about Telegram's pace: without its limits (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("telegram_limits_lifted")

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    """Through the emulator on SQLite; test_workflow and test_quiet run the same use cases
    on PostgreSQL too (the suite stays within its ten minutes)."""
    return sqlite_engine


TUESDAY = datetime(2026, 11, 24, tzinfo=SHANGHAI)


def clock_at(hour: int, minute: int = 0, day: int = 0) -> SandboxClock:
    clock = SandboxClock()
    clock.set(TUESDAY + timedelta(days=day, hours=hour, minutes=minute))
    return clock


async def walk(delivery: Delivery, clock: SandboxClock, target: datetime) -> None:
    """Move the clock to `target`, firing each reminder at its own time on the way."""
    while (due := await delivery.next_due()) is not None and due <= target:
        clock.set(max(due, clock.now()))
        await delivery.fire_due()
    clock.set(target)


def statuses(world: World) -> dict[str, StepStatus]:
    with world.sessions() as session:
        return {s.key: s.status for s in session.scalars(select(Step).order_by(Step.id))}


def said(world: World, chat: int, text: str):  # type: ignore[no-untyped-def]
    return next((m for m in reversed(world.emu.bot_messages(chat)) if text in m.text), None)


def titles(world: World, chat: int) -> list[str]:
    return [m.text.split("\n")[0] for m in world.notices(chat)]


async def test_a_c_complaint_about_a_recurring_problem_gets_a_plan_led_by_its_plants_vp(
    engine: Engine,
) -> None:
    async with running_kesu(engine) as world:
        await file_complaint(
            world,
            plant="laishan",
            letter=False,
            demands=("v1:in:tog:exchange",),
            batch="no",
            recurring="yes",
        )
        # Laishan's VP (production) leads the plan; the leadership group sees it.
        for chat in (VP_PROD, LEADERSHIP):
            await eventually(lambda chat=chat: card(world, chat, "整治方法计划表"))
        assert not any("整治方法计划表" in t for t in titles(world, VP_EXEC))
        assert "special_meeting" not in statuses(world)  # recurring alone: no meeting


async def test_a_claim_without_a_return_reaches_the_vp_on_site_but_no_special_meeting(
    engine: Engine,
) -> None:
    async with running_kesu(engine) as world:
        await file_complaint(world, letter=False, demands=("v1:in:tog:claim",), batch="no")
        await eventually(lambda: card(world, VP_EXEC, "现场"))
        await eventually(lambda: card(world, VP_EXEC, "总经理"))  # step 9 too
        found = statuses(world)
        assert "lead_on_site" in found and "report_to_gm" in found
        assert "special_meeting" not in found and "report_return" not in found
        assert not any("专项会议" in t for t in titles(world, LEADERSHIP))

        # QC keep their assessment report with the step; /show sends it again.
        assessment = await eventually(lambda: card(world, QC_HUANGWU, "问题鉴定初评"))
        done = next(d for _, d in assessment.buttons if d.startswith("v1:st:done:"))
        await press(world, QC_HW, QC_HUANGWU, assessment.message_id, done)
        note = await eventually(
            lambda: world.last(QC_HW) if "步骤已完成" in world.last(QC_HW).text else None
        )
        await world.emu.user_sends(
            QC_HW, reply_to=note.message_id, document=("初评报告.pdf", "application/pdf", 9000)
        )
        await eventually(lambda: "备注已添加" in world.last(QC_HW).text)
        with world.sessions() as session:
            number = session.scalars(select(Complaint.number)).one()
        await world.say(QC_HW, f"/show {number}")
        shown = await eventually(
            lambda: [m for m in world.emu.bot_messages(QC_HW) if m.kind == "document"]
        )
        assert "问题鉴定初评" in shown[-1].text and shown[-1].file_name == "初评报告.pdf"


async def test_qc_regrade_a_b_complaint_to_a_opens_the_vp_steps_at_once(engine: Engine) -> None:
    async with running_kesu(engine) as world:
        await file_complaint(world, letter=False, demands=("v1:in:tog:downgrade",), batch="no")
        assessment = await eventually(lambda: card(world, QC_HUANGWU, "问题鉴定初评"))
        done = next(d for _, d in assessment.buttons if d.startswith("v1:st:done:"))
        await press(world, QC_HW, QC_HUANGWU, assessment.message_id, done)
        appraisal = await eventually(lambda: card(world, QC_HUANGWU, "鉴定报告"))
        assert [label for label, _ in appraisal.buttons][:3] == [
            "完成：当天可解决",
            "完成：当天不能解决",
            "更改问题性质",
        ]
        before = statuses(world)
        assert "lead_on_site" not in before

        # The chooser comes privately; a pick redraws it; Confirm asks why.
        change = next(d for label, d in appraisal.buttons if label == "更改问题性质")
        await press(world, QC_HW, QC_HUANGWU, appraisal.message_id, change)
        chooser = await eventually(
            lambda: world.last(QC_HW) if "问题性质" in world.last(QC_HW).text else None
        )
        assert [label for label, _ in chooser.buttons][:3] == ["A", "✅ B", "C"]
        await world.tap(QC_HW, "A", new_message=False)
        assert [label for label, _ in world.last(QC_HW).buttons][:3] == ["✅ A", "B", "C"]
        await world.tap(QC_HW, "确认")
        prompt = world.last(QC_HW)
        assert "为什么更改问题性质" in prompt.text
        assert prompt.reply_markup == {"force_reply": True, "selective": True}
        await world.say(QC_HW, "复检:整批硬度不合格,客户将索赔", reply_to=prompt.message_id)
        assert "问题性质已更改" in world.last(QC_HW).text

        # The VP-led steps open at once for the executive VP; nothing is cancelled.
        await eventually(lambda: card(world, VP_EXEC, "现场"))
        after = statuses(world)
        assert {k: v for k, v in after.items() if k in before} == before
        assert {"lead_on_site", "report_to_gm", "rectification_plan"} <= set(after)
        assert StepStatus.SKIPPED not in after.values()
        # The appraisal card now shows grade A.
        await eventually(lambda: "<b>A</b>" in card(world, QC_HUANGWU, "鉴定报告").html)
        with world.sessions() as session:
            number = session.scalars(select(Complaint.number)).one()
        await world.say(QC_HW, f"/show {number}")
        shown = await eventually(
            lambda: next((t for t in reversed(world.texts(QC_HW)) if "处理记录" in t), None)
        )
        assert "问题性质已更改" in shown and "B → A" in shown and "客户将索赔" in shown

        # And back: judged B again, the VP-led steps are no longer needed, and their
        # cards say so where the VP reads them.
        appraisal = card(world, QC_HUANGWU, "鉴定报告")
        change = next(d for label, d in appraisal.buttons if label == "更改问题性质")
        await press(world, QC_HW, QC_HUANGWU, appraisal.message_id, change)
        await eventually(
            lambda: [lb for lb, _ in world.last(QC_HW).buttons][:3] == ["✅ A", "B", "C"]
        )
        await world.tap(QC_HW, "B", new_message=False)
        await world.tap(QC_HW, "确认")
        await world.say(QC_HW, "客户撤回索赔", reply_to=world.last(QC_HW).message_id)
        assert "问题性质已更改" in world.last(QC_HW).text
        await eventually(lambda: "无需办理" in card(world, VP_EXEC, "现场").text)
        back = statuses(world)
        assert back["lead_on_site"] is StepStatus.SKIPPED
        assert back["report_to_gm"] is StepStatus.SKIPPED
        assert back["appraisal_report"] is StepStatus.OPEN


async def test_a_complaint_received_yesterday_at_16_counts_its_limits_from_then(
    engine: Engine,
) -> None:
    async with running_kesu(engine, clock=clock_at(10)) as world:
        await file_complaint(world, letter=False, received="昨天 16:00")
        assessment = await eventually(lambda: card(world, QC_HUANGWU, "问题鉴定初评"))
        # Received Monday 16:00: the 2-hour initial assessment was due Monday 18:00 ...
        assert "2026-11-23 18:00" in assessment.text
        # ... so it is overdue at once: the owner and the executive VP (and the GM: A) hear.
        for chat in (QC_HUANGWU, VP_EXEC, GM):
            await eventually(
                lambda chat=chat: [
                    m
                    for m in world.notices(chat)
                    if m.text.startswith("🚨") and "问题鉴定初评" in m.text
                ]
            )
        answer = await eventually(lambda: card(world, SALES, "48"))
        # Found the day it came in: Tocc is T0, and the clear answer is due 48 h later.
        assert "2026-11-25 16:00" in answer.text


async def test_a_c_reminder_due_at_23_waits_for_8_and_an_a_escalation_at_23_goes_at_23(
    engine: Engine,
) -> None:
    clock = clock_at(19)
    async with running_kesu(
        engine,
        clock=clock,
        working_hours={"enabled": True},
        limits={"initial_assessment": "4h"},
    ) as world:
        await file_complaint(world, letter=False)  # A: a claim and a return, at 19:00
        clock.set(TUESDAY + timedelta(hours=21))
        await file_complaint(
            world,
            customer="烟台新材料",
            letter=False,
            demands=("v1:in:tog:exchange",),
            batch="no",
        )
        with world.sessions() as session:
            a_number, c_number = session.scalars(
                select(Complaint.number).order_by(Complaint.id)
            ).all()
        delivery = world.kesu.services.after_commit
        assert isinstance(delivery, Delivery)

        # To 23:01, every ping at its own time (as the sandbox's clock walks): the A
        # complaint's 4-hour assessment runs out at 23:00, and the C complaint's
        # reminder falls due at half of its 4 hours, 23:00 too.
        await walk(delivery, clock, TUESDAY + timedelta(hours=23, minutes=1))
        await eventually(lambda: [m for m in world.notices(VP_EXEC) if a_number in m.text])
        # The QC group heard the A complaint's second reminder at 22:36: its overdue
        # notice waits for the group's next turn, an hour later (the board shows it).
        await walk(delivery, clock, TUESDAY + timedelta(hours=23, minutes=37))

        def qc_pings(number: str) -> list[str]:
            return [
                m.text
                for m in world.notices(QC_HUANGWU)
                if m.text.startswith(("🚨", "⏰")) and number in m.text
            ]

        await eventually(lambda: [t for t in qc_pings(a_number) if t.startswith("🚨")])
        assert qc_pings(c_number) == []  # the C reminder waits

        # 08:00 on Wednesday: it goes, saying it waited, in one digest with the A
        # complaint's escalations of the night (repeats of what the group heard at 23:36
        # wait for the working day too).
        await walk(delivery, clock, TUESDAY + timedelta(days=1, hours=7, minutes=59))
        assert qc_pings(c_number) == []
        await walk(delivery, clock, TUESDAY + timedelta(days=1, hours=8))
        (held,) = await eventually(lambda: qc_pings(c_number))
        assert "非工作时间暂缓发送" in held and "23:00" in held
        assert a_number in held
        assert not any("未运行" in t for t in qc_pings(a_number))  # on time, not "late"


async def test_a_blocked_step_sends_a_special_report_the_gm_answers_back_to_vp_and_sales(
    engine: Engine,
) -> None:
    async with running_kesu(engine) as world:
        await file_complaint(world, letter=False)
        assessment = await eventually(lambda: card(world, QC_HUANGWU, "问题鉴定初评"))
        block = next(d for _, d in assessment.buttons if ":block:" in d)
        await press(world, QC_HW, QC_HUANGWU, assessment.message_id, block)
        prompt = await eventually(
            lambda: world.last(QC_HW) if "书面专项报告" in world.last(QC_HW).text else None
        )
        # The report is a document with a caption.
        before = len(world.emu.bot_messages(QC_HW))
        await world.emu.user_sends(
            QC_HW,
            reply_to=prompt.message_id,
            document=("专项报告.pdf", "application/pdf", 80_000),
            caption="三坐标测量机故障,申请外送检测",
        )
        # The reply (looked for among the new messages: notices may come in between).
        await eventually(
            lambda: any("已报送总经理" in m.text for m in world.emu.bot_messages(QC_HW)[before:])
        )

        # The GM gets it privately with Approve / Reply, then the document.
        report = await eventually(
            lambda: next((m for m in world.emu.bot_messages(GM) if "书面专项报告" in m.text), None)
        )
        assert [label for label, _ in report.buttons] == ["批准", "答复"]
        assert "申请外送检测" in report.text
        await eventually(lambda: [m for m in world.emu.bot_messages(GM) if m.kind == "document"])
        # A VP may not answer it; the GM replies in words.
        reply = next(d for label, d in report.buttons if label == "答复")
        refused = await press(world, VP_EXEC, GM, report.message_id, reply)
        assert refused["show_alert"] and "总经理" in refused["text"]
        await press(world, GM, GM, report.message_id, reply)
        answer_prompt = await eventually(
            lambda: world.last(GM) if "您对专项报告的答复" in world.last(GM).text else None
        )
        await world.say(GM, "同意外送检测,费用由质检部列支", reply_to=answer_prompt.message_id)
        assert "答复已发给" in world.last(GM).text

        # The answer goes back to the writer, the leading VP and sales.
        for chat in (QC_HW, VP_EXEC, SALES, SALES_GROUP):
            await eventually(
                lambda chat=chat: [
                    m for m in world.emu.bot_messages(chat) if "费用由质检部列支" in m.text
                ]
            )
        # The step's card shows it, and a second answer changes nothing.
        await eventually(lambda: "总经理已答复" in card(world, QC_HUANGWU, "问题鉴定初评").text)
        approve = next(d for label, d in report.buttons if label == "批准")
        again = await press(world, GM, GM, report.message_id, approve)
        assert "已经答复" in again["text"]


async def test_qc_ask_for_two_more_days_and_the_vp_approves_from_the_button(
    engine: Engine,
) -> None:
    async with running_kesu(engine) as world:
        await file_complaint(world, letter=False)
        assessment = await eventually(lambda: card(world, QC_HUANGWU, "问题鉴定初评"))
        due = step(world, "initial_assessment").due_at
        assert due is not None
        extend = next(d for label, d in assessment.buttons if label == "申请延期")
        answered = await press(world, QC_HW, QC_HUANGWU, assessment.message_id, extend)
        assert not answered["text"]  # nothing is recorded by the press itself
        prompt = await eventually(
            lambda: world.last(QC_HW) if "申请延期" in world.last(QC_HW).text else None
        )
        assert (prompt.reply_markup or {}).get("force_reply")
        # No reason: one line says so, and the same prompt still takes the answer.
        await world.say(QC_HW, "2", reply_to=prompt.message_id)
        assert world.last(QC_HW).text == "请在日期后写明原因：2026-12-10 等检测报告"
        await world.say(QC_HW, "2 等第三方检测报告", reply_to=prompt.message_id)
        assert "已提交" in world.last(QC_HW).text
        # The card says so at once; the executive VP (who leads Huangwu) gets the request.
        await eventually(lambda: "已申请延期至" in card(world, QC_HUANGWU, "问题鉴定初评").text)
        request = await eventually(
            lambda: next((m for m in world.emu.bot_messages(VP_EXEC) if "申请人" in m.text), None)
        )
        assert "等第三方检测报告" in request.text
        assert [label for label, _ in request.buttons] == ["批准", "拒绝"]
        approve = next(d for label, d in request.buttons if label == "批准")
        # A salesperson who is not the plant's VP may not decide it, forged or not.
        refused = await press(world, SALES_2, VP_EXEC, request.message_id, approve)
        assert refused["show_alert"]
        done = await press(world, VP_EXEC, VP_EXEC, request.message_id, approve)
        assert "已批准" in done["text"]
        assert step(world, "initial_assessment").due_at == due + timedelta(days=2)
        await eventually(
            lambda: [m for m in world.emu.bot_messages(QC_HW) if "延期已批准" in m.text]
        )
        # The card shows the new limit, and may ask again.
        shown = await eventually(
            lambda: (
                card(world, QC_HUANGWU, "问题鉴定初评")
                if "已申请延期至" not in card(world, QC_HUANGWU, "问题鉴定初评").text
                else None
            )
        )
        assert "申请延期" in [label for label, _ in shown.buttons]
        # Its buttons are gone; an old client's press of them changes nothing.
        assert not world.emu.chats[VP_EXEC].messages[request.message_id].buttons
        query_id = await world.emu.press(VP_EXEC, VP_EXEC, request.message_id, approve, forged=True)
        again = await eventually(lambda: world.emu.callback_answers[query_id])
        assert "已审批" in again["text"]


async def test_settings_turn_night_pings_on_and_off(engine: Engine) -> None:
    async with running_kesu(engine, working_hours={"enabled": True}) as world:
        await world.say(QC_HW, "/settings")
        shown = world.last(QC_HW)
        assert "08:00–18:00" in shown.text and "周一" in shown.text and "周日" not in shown.text
        assert "关闭" in shown.text
        await world.tap(QC_HW, "夜间也提醒我", new_message=False)
        shown = world.last(QC_HW)
        assert "开启" in shown.text
        assert [label for label, _ in shown.buttons] == ["夜间只提醒紧急事项"]
        with world.sessions() as session:
            person = session.scalars(select(Person).where(Person.telegram_id == QC_HW)).one()
            assert person.night_pings


async def test_leadership_file_a_major_problem_from_show_and_read_the_register(
    engine: Engine,
) -> None:
    async with running_kesu(engine) as world:
        await file_complaint(world, letter=False, demands=("v1:in:tog:downgrade",), batch="no")
        with world.sessions() as session:
            number = session.scalars(select(Complaint.number)).one()
        # The GM's private chat also gets the disposition report of this B complaint, in
        # its own time: look for the answer among the messages, not only the last one.
        await world.say(GM, "/major")
        await eventually(lambda: any("没有备案的重大质量问题" in t for t in world.texts(GM)))
        await world.say(GM, f"/show {number}")
        # The button comes under the last part of /show (the disposition report).
        await eventually(lambda: world._find_button(GM, "列为重大质量问题备案"))
        await world.tap(GM, "列为重大质量问题备案", new_message=False)
        await world.say(GM, "/major")
        listed = await eventually(lambda: next((t for t in world.texts(GM) if "备案：" in t), None))
        assert number in listed and "整治方法计划：尚无" in listed
        await world.say(SALES_2, "/major")  # a salesperson (who reads English)
        assert "Only leadership and QC" in world.last(SALES_2).text


async def test_a_suggestion_adopted_in_the_leadership_group_and_its_reward(
    engine: Engine,
) -> None:
    async with running_kesu(engine) as world:
        await world.say(QC_HW, "/suggest 热处理炉加装温度记录仪 <每批>")
        assert "已提交公司领导" in world.last(QC_HW).text
        card_ = await eventually(
            lambda: next(
                (m for m in world.emu.bot_messages(LEADERSHIP) if "合理化建议" in m.text), None
            )
        )
        assert "温度记录仪 <每批>" in card_.text  # as typed, escaped on the way
        adopt = next(d for label, d in card_.buttons if label == "采纳")
        refused = await press(world, QC_HW, LEADERSHIP, card_.message_id, adopt)
        assert refused["show_alert"]
        await press(world, GM, LEADERSHIP, card_.message_id, adopt)
        await eventually(lambda: "已采纳" in world.emu.bot_messages(LEADERSHIP)[-1].text)
        card_ = world.emu.bot_messages(LEADERSHIP)[-1]
        benefit = next(d for label, d in card_.buttons if label == "登记实际效果")
        await press(world, GM, LEADERSHIP, card_.message_id, benefit)
        prompt = await eventually(
            lambda: world.last(GM) if "实际获得效果" in world.last(GM).text else None
        )
        await world.say(GM, "很多", reply_to=prompt.message_id)
        assert "这不是金额" in world.last(GM).text  # the same prompt still stands
        await world.say(GM, "1.2万", reply_to=prompt.message_id)
        assert "已登记" in world.last(GM).text
        await eventually(lambda: [m for m in world.emu.bot_messages(QC_HW) if "1200 元" in m.text])
        await world.say(GM, "/suggestions")
        assert "奖励合计:1200 元" in world.last(GM).text.replace("：", ":")


async def test_the_vp_schedules_the_special_meeting_and_its_minutes_complete_step_8(
    engine: Engine,
) -> None:
    async with running_kesu(engine) as world:
        await file_complaint(world, letter=False)  # a claim and a return: step 8 applies
        meeting_card = await eventually(lambda: card(world, VP_EXEC, "专项会议"))
        schedule = next(d for label, d in meeting_card.buttons if label == "安排会议")
        await press(world, VP_EXEC, VP_EXEC, meeting_card.message_id, schedule)
        prompt = await eventually(
            lambda: next(
                (m for m in world.emu.bot_messages(VP_EXEC) if "会议的时间和地点" in m.text), None
            )
        )
        await world.say(VP_EXEC, "昨天 14:00 会议室", reply_to=prompt.message_id)
        assert "尚未到来" in world.last(VP_EXEC).text  # the same prompt still stands
        await world.say(VP_EXEC, "明天 10:00 三楼会议室 <A>", reply_to=prompt.message_id)
        # The plant's QC group is invited with the agenda; the VP gets the minutes button.
        invitation = await eventually(
            lambda: next(
                (m for m in world.emu.bot_messages(QC_HUANGWU) if "会议通知" in m.text), None
            )
        )
        assert "三楼会议室 <A>" in invitation.text and "议题" in invitation.text
        confirmation = await eventually(
            lambda: next(
                (
                    m
                    for m in world.emu.bot_messages(VP_EXEC)
                    if "会议已安排" in m.text and m.buttons
                ),
                None,
            )
        )
        # The organiser invites purchasing too, from the people list.
        others = next(d for label, d in confirmation.buttons if label == "邀请其他人")
        await press(world, VP_EXEC, VP_EXEC, confirmation.message_id, others)
        picker = await eventually(lambda: said(world, VP_EXEC, "还要邀请谁"))
        pick = next(d for label, d in picker.buttons if label.startswith("钱采购"))
        answer = await press(world, VP_EXEC, VP_EXEC, picker.message_id, pick)
        assert "已邀请" in answer["text"]
        await eventually(lambda: any(label == "✅ 钱采购" for label, _ in picker.buttons))
        await eventually(lambda: said(world, PURCHASING, "三楼会议室"))
        record = next(d for label, d in confirmation.buttons if label == "记录会议纪要")
        await press(world, VP_EXEC, VP_EXEC, confirmation.message_id, record)
        minutes_prompt = await eventually(
            lambda: next(
                (
                    m
                    for m in world.emu.bot_messages(VP_EXEC)
                    if "请回复本消息，写明会议纪要" in m.text
                ),
                None,
            )
        )
        await world.say(VP_EXEC, "决定:更换热处理供应商", reply_to=minutes_prompt.message_id)
        await eventually(
            lambda: [m for m in world.emu.bot_messages(QC_HUANGWU) if "更换热处理供应商" in m.text]
        )
        await eventually(lambda: statuses(world)["special_meeting"] is StepStatus.DONE)
        await world.say(GM, "/meetings")
        await eventually(lambda: any("会议纪要已记录" in t for t in world.texts(GM)))
