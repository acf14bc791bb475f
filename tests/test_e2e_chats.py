"""Groups that change under Kesu, through the emulator: a group upgraded to a supergroup
keeps getting its notices, whether Telegram's notice of it comes first or the first send
to the old id learns it; the admins are told; a restart with the old id in the file
still sends to the new one."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from bot.procedure.routing import Group
from bot.services.company import CHAT_MIGRATED
from storage.models import Chat, Event
from tests.conftest import QC_HUANGWU, QC_HW, SALES, SALES_GROUP, eventually
from tests.harness import World, make_emulator, running_kesu
from tests.test_e2e_intake import file_complaint

# Not about Telegram's pace: without its limits (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("telegram_limits_lifted")


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    """The move itself runs on both backends in test_services."""
    return sqlite_engine


def bound(world: World, group: Group, plant: str = "") -> int:
    with world.sessions() as session:
        return session.scalars(
            select(Chat.telegram_id).where(Chat.purpose == group, Chat.plant == plant)
        ).one()


def cards(world: World, chat: int, text: str) -> list[str]:
    return [m.text for m in world.emu.bot_messages(chat) if text in m.text]


async def test_a_group_upgraded_to_a_supergroup_keeps_getting_its_notices(
    engine: Engine, transport: str
) -> None:
    emu = await make_emulator()
    try:
        async with running_kesu(transport=transport, engine=engine, emulator=emu) as world:
            # Telegram's notice comes first: the binding moves, the admins are told.
            new_sales = await emu.upgrade_group(SALES_GROUP, by_user=SALES)
            await eventually(lambda: bound(world, Group.SALES) == new_sales)
            alert = await eventually(lambda: cards(world, SALES, "升级为超级群组"))
            assert str(new_sales) in alert[0] and str(SALES_GROUP) in alert[0]

            # No notice at all: the first send to the old id learns the new one.
            new_qc = await emu.upgrade_group(QC_HUANGWU, by_user=QC_HW, announce=False)
            await file_complaint(world, demands=("v1:in:tog:exchange",), batch="no", letter=False)
            await eventually(lambda: cards(world, new_sales, "客户投诉"), timeout=15)
            await eventually(lambda: cards(world, new_qc, "客户投诉"), timeout=15)
            assert bound(world, Group.QC, "huangwu") == new_qc
            assert emu.bot_messages(SALES_GROUP) == [] and emu.bot_messages(QC_HUANGWU) == []
            with world.sessions() as session:
                moves = session.scalars(select(Event).where(Event.action == CHAT_MIGRATED)).all()
                assert sorted((e.detail["old"], e.detail["new"]) for e in moves) == sorted(
                    [(SALES_GROUP, new_sales), (QC_HUANGWU, new_qc)]
                )
                assert {e.source for e in moves} == {"chat", "sender"}
        # The file still names the old ids: the new ones stand.
        async with running_kesu(transport=transport, engine=engine, emulator=emu) as world:
            assert bound(world, Group.SALES) == new_sales
            assert bound(world, Group.QC, "huangwu") == new_qc
            # The admin asks how Kesu is doing; others may not.
            await world.say(SALES, "/status")
            status = await eventually(lambda: cards(world, SALES, "Kesu 运行状态"))
            assert "待发送的消息" in status[-1] and "最近一次人员操作" in status[-1]
            await world.say(QC_HW, "/status")
            assert world.last(QC_HW).text == "/status 仅供管理员使用。"
    finally:
        await emu.stop()
