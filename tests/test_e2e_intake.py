"""End to end: the real Application over HTTP against the emulator."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from bot.sandbox.emulator.html import parse
from bot.sandbox.emulator.server import SentMessage
from storage.models import Complaint, Event, OutboxMessage
from tests.conftest import (
    GM,
    LEADERSHIP,
    OUTSIDER,
    PROD_HUANGWU,
    PROD_LAISHAN,
    QC_HUANGWU,
    QC_HW,
    QC_LAISHAN,
    QC_LS,
    SALES,
    SALES_2,
    SALES_GROUP,
    VP_EXEC,
    VP_MKT,
    VP_PROD,
    eventually,
)
from tests.harness import World, is_notice, make_emulator, running_kesu

# Not about Telegram's pace: without its limits (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("telegram_limits_lifted")

LEADERS = (GM, VP_EXEC, VP_MKT, VP_PROD)


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    """Through the emulator on SQLite: the use cases these runs exercise are tested on
    PostgreSQL too (test_services, test_workflow), and test_e2e_buttons and test_forms
    run through the emulator on both (the suite stays within its ten minutes)."""
    return sqlite_engine


def intake(world: World, chat: int) -> list[SentMessage]:
    """What filing sent to a chat: the card or report and attachments, not task cards."""
    return [m for m in world.emu.bot_messages(chat) if not is_notice(m)]


async def file_complaint(
    world: World,
    *,
    seller: int = SALES,
    customer: str = "青岛海达机械",
    customer_class: str = "A",
    demands: tuple[str, ...] = ("v1:in:tog:claim", "v1:in:tog:return"),
    plant: str = "huangwu",
    batch: str = "yes",
    recurring: str = "no",
    received: str | None = None,  # typed, e.g. "昨天 16:00"; None: the "just now" button
    letter: bool = True,
    letter_name: str = "客户来函.pdf",
    bad_answers: bool = False,
    confirm_twice: bool = False,
    known: bool = False,  # a customer Kesu knows: their class comes from the record
) -> None:
    await world.say(seller, "/new")
    await world.say(seller, customer)
    if not known:
        await world.tap(seller, f"v1:in:pick:{customer_class}")
    if bad_answers:
        await world.say(seller, "call me maybe")
        assert "不是电话号码" in world.last(seller).text
        assert "联系电话" in world.last(seller).text  # the same question again
    await world.say(seller, "0535-6881234")
    await world.say(seller, "客户来函:整批轴承异响,要求索赔并退货。")
    for data in demands:
        await world.tap(seller, data, new_message=False)
    await world.tap(seller, "v1:in:done")
    await world.say(seller, "深沟球轴承")
    await world.say(seller, "6204-2RS")
    if bad_answers:
        await world.say(seller, "-5")
        assert "正数" in world.last(seller).text
    await world.say(seller, "5000 件")
    if bad_answers:
        await world.say(seller, "2099-01-01")
        assert "将来" in world.last(seller).text
    await world.say(seller, "2026-11-01")
    if bad_answers:
        await world.say(seller, "23:99")
        assert "14:30" in world.last(seller).text  # the same question, with an example
    if received is None:
        await world.tap(seller, "v1:in:pick:now")
    else:
        await world.say(seller, received)
    await world.tap(seller, "v1:in:pick:today")
    await world.tap(seller, f"v1:in:pick:{batch}")
    await world.tap(seller, f"v1:in:pick:{recurring}")
    await world.tap(seller, f"v1:in:pick:{plant}")
    await world.say(seller, "客户装机后 30% 轴承异响 <温度> & 振动超标。")
    if letter:
        await world.send_file(seller, document=(letter_name, "application/pdf", 120_000))
        await world.send_file(seller, photo=True)
    await world.tap(seller, "v1:in:done")
    assert "请核对" in world.last(seller).text
    if confirm_twice:  # a double tap: both presses reach the bot before the buttons go
        summary = world.last(seller)
        queries = [
            await world.emu.press(seller, seller, summary.message_id, "v1:in:ok") for _ in range(2)
        ]
        answers = [await eventually(lambda q=q: world.emu.callback_answers[q]) for q in queries]
        assert "已关闭" in answers[1]["text"]
        await eventually(lambda: "已登记为" in world.last(seller).text)
        return
    await world.tap(seller, "v1:in:ok")


async def test_a_complaint_reaches_sales_qc_leadership_and_leaders(
    engine: Engine, transport: str
) -> None:
    async with running_kesu(transport=transport, engine=engine) as world:
        await file_complaint(world, bad_answers=True, confirm_twice=True)
        assert "KS-" in world.last(SALES).text

        def delivered() -> bool:
            with world.sessions() as session:
                rows = session.scalars(select(OutboxMessage)).all()
                return bool(rows) and all(r.status == "sent" for r in rows)

        await eventually(delivered, timeout=15)
        with world.sessions() as session:
            complaint = session.scalars(select(Complaint)).one()
            assert complaint.grade == "A"
            assert complaint.is_serious and complaint.is_return and complaint.is_batch
            assert complaint.plant == "huangwu"
            assert len(complaint.attachments) == 2
            first = select(Event.action).where(Event.complaint_id.is_not(None)).order_by(Event.id)
            assert session.scalars(first).first() == "registered"
            number = complaint.number

        card = intake(world, SALES_GROUP)
        assert number in card[0].text and "客户投诉" in card[0].text
        assert "&lt;温度&gt; &amp;" in card[0].html
        assert [m.kind for m in card] == ["text", "document", "photo"]
        assert number in intake(world, QC_HUANGWU)[0].text
        # Copies of the letter for QC and production of the plant (step 1).
        for chat in (QC_HUANGWU, PROD_HUANGWU):
            assert [m.kind for m in intake(world, chat)] == ["text", "document", "photo"], chat
        assert intake(world, QC_LAISHAN) == [] and intake(world, PROD_LAISHAN) == []
        report = intake(world, LEADERSHIP)
        assert "顾客反馈质量问题处置报告单" in report[0].text
        assert [m.kind for m in report] == ["text", "document", "photo"]
        for leader in LEADERS:
            messages = intake(world, leader)
            assert "处置报告" in messages[0].text
            assert [m.kind for m in messages] == ["text", "document", "photo"]
        for chat in (SALES_GROUP, QC_HUANGWU, LEADERSHIP, *LEADERS):
            for message in world.emu.bot_messages(chat):
                parse(message.html)  # the emulator accepted it; it must stay valid HTML
        # /show brings the letter and the photo back with the complaint.
        await world.say(QC_HW, f"/show {number}")

        def files() -> list[str]:
            return [m.kind for m in world.emu.bot_messages(QC_HW) if m.kind != "text"]

        await eventually(lambda: files() == ["photo", "document"])
        # Bursts to one private chat meet 429 and are retried; nothing else was refused.
        assert [r for r in world.emu.refusals if r[1] != 429] == []


def all_sent(world: World) -> bool:
    with world.sessions() as session:
        rows = session.scalars(select(OutboxMessage)).all()
        return bool(rows) and all(r.status == "sent" for r in rows)


async def test_b_and_c_complaints_for_other_plants(engine: Engine) -> None:
    async with running_kesu(engine) as world:
        await file_complaint(
            world,
            customer="烟台大众",
            customer_class="B",
            demands=("v1:in:tog:exchange",),
            plant="laishan",
            batch="no",
            letter=False,
            bad_answers=True,
        )
        await eventually(lambda: all_sent(world), timeout=15)
        # C: the card reaches sales, Laishan's QC and production, and the leadership
        # group (step 1's copies); no leader privately, nothing for Huangwu.
        for chat in (SALES_GROUP, QC_LAISHAN, PROD_LAISHAN, LEADERSHIP):
            assert len(intake(world, chat)) == 1, chat
        assert "客户投诉" in intake(world, LEADERSHIP)[0].text  # the card, not the report
        for chat in (QC_HUANGWU, PROD_HUANGWU, *LEADERS):
            assert world.emu.bot_messages(chat) == [], chat  # no card, no task
        c_number = intake(world, SALES_GROUP)[0].text.split()[1]

        await file_complaint(
            world,
            customer="威海重工",
            customer_class="C",
            demands=("v1:in:tog:return",),
            plant="unknown",
            batch="no",
            letter=False,
        )
        await eventually(lambda: all_sent(world), timeout=15)
        # B (a return): serious, so the report goes up; an unknown plant goes to both QC groups.
        assert len(intake(world, QC_HUANGWU)) == 1
        assert len(intake(world, QC_LAISHAN)) == 2
        assert len(intake(world, PROD_HUANGWU)) == 1 and len(intake(world, PROD_LAISHAN)) == 2
        assert "处置报告" in intake(world, LEADERSHIP)[-1].text
        assert "尚不明确" in intake(world, LEADERSHIP)[-1].text
        for leader in LEADERS:
            assert len(intake(world, leader)) == 1

        # Laishan's QC name the plant on the initial assessment: the cards lose the question.
        task = await eventually(
            lambda: [
                m
                for m in world.notices(QC_LAISHAN)
                if "问题鉴定初评" in m.text and "v1:pl:laishan" in str(m.buttons)
            ]
        )
        query = await world.emu.press(
            QC_LS,
            QC_LAISHAN,
            task[-1].message_id,
            next(d for _, d in task[-1].buttons if d.startswith("v1:pl:laishan")),
        )
        await eventually(lambda: world.emu.callback_answers[query])
        await eventually(lambda: "v1:pl:" not in str(task[-1].buttons))
        assert "莱山车间" in task[-1].text

        with world.sessions() as session:
            rows = session.scalars(select(Complaint).order_by(Complaint.id)).all()
            assert [(c.grade, c.plant, c.is_serious) for c in rows] == [
                ("C", "laishan", False),
                ("B", "laishan", True),  # unknown at intake, named by QC since
            ]
            assert rows[0].number == c_number
            assert rows[1].sequence == rows[0].sequence + 1
            assert rows[0].customer.customer_class == "B"
            assert rows[0].quantity == 5000 and rows[0].quantity_unit == "件"
            assert rows[0].contact_phone == "0535-6881234"


async def test_known_customer_brings_its_class_and_edit_keeps_the_rest(engine: Engine) -> None:
    async with running_kesu(engine) as world:
        await file_complaint(
            world,
            customer="青岛海达机械",
            customer_class="A",
            demands=("v1:in:tog:criticism",),
            batch="no",
            letter=False,
        )
        await world.say(SALES, "/new")
        await world.say(SALES, "海达")
        assert any("青岛海达机械" in label for label, _ in world.last(SALES).buttons)
        await world.tap(SALES, world.last(SALES).buttons[0][1])
        assert "联系电话" in world.last(SALES).text  # the class was not asked
        # The whole name, typed with a space and full-width letters, takes that customer.
        await world.say(SALES, "/new")
        await world.say(SALES, "青岛海达　机械")
        assert "联系电话" in world.last(SALES).text and not world.last(SALES).buttons
        await world.say(SALES, "13805351234")
        await world.say(SALES, "投诉内容")
        await world.tap(SALES, "v1:in:tog:exchange", new_message=False)
        await world.tap(SALES, "v1:in:done")
        for answer in ("产品", "型号", "10", "2026-11-02"):
            await world.say(SALES, answer)
        await world.tap(SALES, "v1:in:pick:now")
        await world.say(SALES, "2026-11-01")  # found before it was delivered
        assert "早于交货日期" in world.last(SALES).text
        await world.tap(SALES, "v1:in:pick:today")
        await world.tap(SALES, "v1:in:pick:no")
        await world.tap(SALES, "v1:in:pick:no")
        await world.tap(SALES, "v1:in:pick:contractor")
        await world.say(SALES, "描述")
        await world.send_file(SALES, document=("setup.exe", "application/x-msdownload", 100))
        assert "不接受此类文件" in world.last(SALES).text
        await world.tap(SALES, "v1:in:done")
        summary = world.last(SALES).text
        assert "13805351234" in summary and "顾客类别：A" in summary
        await world.tap(SALES, "v1:in:edit", new_message=False)
        await world.tap(SALES, "v1:in:field:contact_phone")
        assert "13805351234" in world.last(SALES).text  # the current answer is shown
        await world.say(SALES, "0535-1234567")
        summary = world.last(SALES).text
        assert "0535-1234567" in summary and "描述" in summary and "型号" in summary
        await world.tap(SALES, "v1:in:ok")
        await eventually(lambda: all_sent(world), timeout=15)
        with world.sessions() as session:
            second = session.scalars(select(Complaint).order_by(Complaint.id.desc())).first()
            assert second is not None
            assert second.customer_class == "A" and second.contact_phone == "0535-1234567"
            assert second.plant == "contractor"
        # An outside contractor's problem goes to the leading plant's QC (Laishan).
        assert len(intake(world, QC_LAISHAN)) == 1


async def test_only_sales_may_file_and_cancel_loses_nothing_else(engine: Engine) -> None:
    async with running_kesu(engine) as world:
        await world.say(QC_HW, "/new")
        assert "只有业务部人员可以登记客诉" in world.last(QC_HW).text
        await world.say(OUTSIDER, "/new")
        assert "只有业务部人员" in world.last(OUTSIDER).text
        await world.say(SALES, "/new")
        await world.say(SALES, "某客户")
        await world.say(SALES, "/cancel")
        assert "已取消" in world.last(SALES).text
        await world.say(SALES, "随便说点什么")  # outside any conversation: a hint
        assert "/new" in world.last(SALES).text
        with world.sessions() as session:
            assert session.scalars(select(Complaint)).all() == []


async def test_english_salesperson_is_asked_in_english(engine: Engine) -> None:
    async with running_kesu(engine) as world:
        await world.say(SALES_2, "/new")
        assert "Customer name (code)" in world.last(SALES_2).text
        await world.say(SALES_2, "ACME")
        await world.tap(SALES_2, "v1:in:pick:B")
        await world.say(SALES_2, "phone?")
        assert "That is not a phone number" in world.last(SALES_2).text


async def test_list_show_and_help_by_role(engine: Engine) -> None:
    async with running_kesu(engine) as world:
        await file_complaint(world, demands=("v1:in:tog:exchange",), batch="no", letter=False)
        await eventually(lambda: all_sent(world), timeout=15)
        with world.sessions() as session:
            number = session.scalars(select(Complaint.number)).one()
        await world.say(SALES, "/list")
        assert number in world.last(SALES).text
        await world.say(SALES_2, "/list")
        assert "No open complaints" in world.last(SALES_2).text
        await world.say(QC_HW, "/list")
        assert number in world.last(QC_HW).text
        await world.say(QC_HW, "/list 下一页")  # a page is a number: the reason, in one line
        assert world.last(QC_HW).text == "请这样发送：/list 2（页码）"
        await world.say(QC_HW, "/list 7")  # past the last page: the last
        assert number in world.last(QC_HW).text
        await world.say(QC_HW, f"/show {number.lower()}")
        # The card, steps and history, then the disposition report as filled so far.
        report = await eventually(
            lambda: "处置报告单" in world.last(QC_HW).text and world.texts(QC_HW)
        )
        assert any("处理记录" in t and "王业务 · 已登记" in t for t in report)
        await world.say(SALES_2, f"/show {number}")
        assert f"No complaint {number} for you" in world.last(SALES_2).text
        await world.say(SALES, "/show")
        assert "/show KS-2026-0001" in world.last(SALES).text
        await world.say(SALES, "/help")
        assert "/new" in world.last(SALES).text
        await world.say(QC_HW, "/help")
        assert "/new" not in world.last(QC_HW).text
        await world.say(OUTSIDER, "/start")
        assert str(OUTSIDER) in world.last(OUTSIDER).text
        # In a group the bot sees commands only (privacy mode) and answers them there.
        await world.emu.user_sends(SALES, "大家看一下", chat_id=SALES_GROUP)
        await world.say(SALES, "/new", chat_id=SALES_GROUP)
        assert "私聊" in world.last(SALES_GROUP).text
        await world.say(SALES, "/help", chat_id=SALES_GROUP)
        before = len(intake(world, SALES_GROUP))
        assert "客诉" in world.last(SALES_GROUP).text
        assert str(SALES_GROUP) in world.last(SALES_GROUP).text
        assert before == 3  # the card, the two answers, nothing for the chatter
        assert world.emu.commands[""][0]["command"] == "new"
        assert world.emu.commands["en"][0]["description"] == "File a new customer complaint"


async def test_a_restart_in_the_middle_of_filing_keeps_the_draft(
    engine: Engine, transport: str
) -> None:
    emu = await make_emulator()
    try:
        async with running_kesu(transport=transport, engine=engine, emulator=emu) as world:
            await world.say(SALES, "/new")
            await world.say(SALES, "重启客户")
            await world.tap(SALES, "v1:in:pick:B")
            await world.say(SALES, "0535-6881234")
            assert "投诉内容及要求" in world.last(SALES).text
        async with running_kesu(transport=transport, engine=engine, emulator=emu) as world:
            await world.say(SALES, "重启后继续填写的投诉内容")
            assert "客户要求" in world.last(SALES).text  # the next question, nothing lost
            await world.tap(SALES, "v1:in:tog:exchange", new_message=False)
            await world.tap(SALES, "v1:in:done")
            assert "问题产品名称" in world.last(SALES).text
            await world.say(SALES, "/cancel")
    finally:
        await emu.stop()
