"""End to end: the real Application over HTTP against the emulator."""

from __future__ import annotations

from sqlalchemy import Engine, select

from bot.emulator.html import parse
from storage.models import Complaint, Event, OutboxMessage
from tests.conftest import (
    GM,
    LEADERSHIP,
    QC_HUANGWU,
    QC_LAISHAN,
    SALES,
    SALES_GROUP,
    VP_EXEC,
    VP_MKT,
    VP_PROD,
    eventually,
)
from tests.harness import World, running_kesu

LEADERS = (GM, VP_EXEC, VP_MKT, VP_PROD)


async def file_complaint(
    world: World,
    *,
    customer: str = "青岛海达机械",
    customer_class: str = "A",
    demands: tuple[str, ...] = ("v1:in:tog:claim", "v1:in:tog:return"),
    plant: str = "huangwu",
    batch: str = "yes",
    letter: bool = True,
    bad_answers: bool = False,
) -> None:
    await world.say(SALES, "/new")
    await world.say(SALES, customer)
    await world.tap(SALES, f"v1:in:pick:{customer_class}")
    if bad_answers:
        await world.say(SALES, "call me maybe")
        assert "不是电话号码" in world.last(SALES).text
        assert "联系电话" in world.last(SALES).text  # the same question again
    await world.say(SALES, "0535-6881234")
    await world.say(SALES, "客户来函:整批轴承异响,要求索赔并退货。")
    for data in demands:
        await world.tap(SALES, data, new_message=False)
    await world.tap(SALES, "v1:in:done")
    await world.say(SALES, "深沟球轴承")
    await world.say(SALES, "6204-2RS")
    if bad_answers:
        await world.say(SALES, "-5")
        assert "正数" in world.last(SALES).text
    await world.say(SALES, "5000 件")
    if bad_answers:
        await world.say(SALES, "2099-01-01")
        assert "将来" in world.last(SALES).text
    await world.say(SALES, "2026-11-01")
    await world.tap(SALES, "v1:in:pick:today")
    await world.tap(SALES, f"v1:in:pick:{batch}")
    await world.tap(SALES, "v1:in:pick:no")
    await world.tap(SALES, f"v1:in:pick:{plant}")
    await world.say(SALES, "客户装机后 30% 轴承异响 <温度> & 振动超标。")
    if letter:
        await world.send_file(SALES, document=("客户来函.pdf", "application/pdf", 120_000))
        await world.send_file(SALES, photo=True)
    await world.tap(SALES, "v1:in:done")
    assert "请核对" in world.last(SALES).text
    await world.tap(SALES, "v1:in:ok")


async def test_a_complaint_reaches_sales_qc_leadership_and_leaders(engine: Engine) -> None:
    async with running_kesu(engine) as world:
        await file_complaint(world, bad_answers=True)
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
            assert session.scalars(select(Event.action)).all() == ["registered"]
            number = complaint.number

        card = world.emu.bot_messages(SALES_GROUP)
        assert number in card[0].text and "客户投诉" in card[0].text
        assert "&lt;温度&gt; &amp;" in card[0].html
        assert [m.kind for m in card] == ["text", "document", "photo"]
        assert number in world.emu.bot_messages(QC_HUANGWU)[0].text
        assert world.emu.bot_messages(QC_LAISHAN) == []
        report = world.emu.bot_messages(LEADERSHIP)
        assert "顾客反馈质量问题处置报告单" in report[0].text
        assert [m.kind for m in report] == ["text", "document", "photo"]
        for leader in LEADERS:
            messages = world.emu.bot_messages(leader)
            assert "处置报告" in messages[0].text
            assert [m.kind for m in messages] == ["text", "document", "photo"]
        for chat in (SALES_GROUP, QC_HUANGWU, LEADERSHIP, *LEADERS):
            for message in world.emu.bot_messages(chat):
                parse(message.html)  # the emulator accepted it; it must stay valid HTML
        # Bursts to one private chat meet 429 and are retried; nothing else was refused.
        assert [r for r in world.emu.refusals if r[1] != 429] == []
