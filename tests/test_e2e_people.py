"""People and groups managed from Telegram, through the emulator, without a restart: an
admin invites a new QC inspector by link, who opens it and works at once; an admin binds
a new group with /bindchat and it gets its notices; a salesperson moved to another role
has that role's rights at once; someone removed can do nothing more."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine

from bot.procedure.routing import Group
from tests.conftest import OUTSIDER, QC_HUANGWU, QC_HW, SALES, SALES_2, SALES_GROUP, eventually
from tests.harness import make_emulator, running_kesu
from tests.test_e2e_chats import bound
from tests.test_e2e_intake import file_complaint
from tests.test_e2e_steps import card, press

# Not about Telegram's pace: without its limits (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("telegram_limits_lifted")

NEW_QC = 100300
EQUIPMENT_GROUP = -1001000000070


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    """The rules run on both databases in test_people."""
    return sqlite_engine


async def test_an_admin_manages_people_and_groups_from_telegram(
    engine: Engine, transport: str
) -> None:
    emu = await make_emulator()
    emu.add_user(NEW_QC, "吴", language_code="zh-hans")
    emu.add_group(EQUIPMENT_GROUP, "设备部")
    try:
        async with running_kesu(engine, emulator=emu, transport=transport) as world:
            # Not an admin: refused in one line. A bad role: the usage, with the roles.
            await world.say(QC_HW, "/invite qc huangwu")
            assert world.last(QC_HW).text == "只有管理员可以管理人员和群。"
            await world.say(SALES, "/invite boss")
            assert "用法：/invite" in world.last(SALES).text
            assert "qc" in world.last(SALES).text

            # The admin invites a QC inspector for Huangwu; the link is Telegram's deep link.
            await world.say(SALES, "/invite 质检 黄务")
            answer = world.last(SALES).text
            link = re.search(r"https://t\.me/kesu_test_bot\?start=([A-Za-z0-9_-]+)", answer)
            assert link and "邀请链接" in answer and len(link.group(1)) <= 64

            # Opening it sends /start <token>: the newcomer is in, with the role.
            await world.say(NEW_QC, f"/start {link.group(1)}")
            assert "欢迎加入 Kesu" in world.last(NEW_QC).text
            assert "质检" in world.last(NEW_QC).text
            await eventually(lambda: "有人通过邀请加入" in world.last(SALES).text)
            # The link works once.
            emu.started.add(OUTSIDER)
            await world.say(OUTSIDER, f"/start {link.group(1)}")
            assert "已被使用" in world.last(OUTSIDER).text

            # They work at once: Done on Huangwu QC's card is theirs to press.
            await file_complaint(world, plant="huangwu", letter=False)
            assessment = await eventually(lambda: card(world, QC_HUANGWU, "问题鉴定初评"))
            done = next(d for _, d in assessment.buttons if ":done:" in d)
            answer_ = await press(world, NEW_QC, QC_HUANGWU, assessment.message_id, done)
            assert not answer_["show_alert"]
            await eventually(lambda: "吴" in card(world, QC_HUANGWU, "问题鉴定初评").text)

            # /bindchat in a new group: the equipment group gets its notices from now on.
            await world.say(SALES, "/bindchat 设备", chat_id=EQUIPMENT_GROUP)
            assert "本群现在接收" in world.last(EQUIPMENT_GROUP).text
            assert bound(world, Group.EQUIPMENT) == EQUIPMENT_GROUP
            await world.say(SALES, "/bindchat qc", chat_id=EQUIPMENT_GROUP)
            assert "需要厂区" in world.last(EQUIPMENT_GROUP).text  # qc needs the plant

            # The salesperson 周业务 (reads English) becomes QC for Huangwu.
            await world.say(SALES, "/people")
            listing = world.last(SALES).text
            number = re.search(r"(\d+) 周业务", listing)
            assert number and "吴" in listing and "在 Telegram 中添加" in listing
            await world.say(SALES, f"/people {number.group(1)} role qc huangwu")
            changed = world.last(SALES).text
            assert "周业务" in changed and "质检" in changed and "配置文件" in changed
            told = await eventually(
                lambda: [m for m in emu.bot_messages(SALES_2) if "changed how Kesu" in m.text]
            )
            assert "Quality control" in told[0].text  # in their own language
            # A salesperson may file; QC may not.
            await world.say(SALES_2, "/new")
            assert world.last(SALES_2).text.startswith("Only sales staff can file")

            # Removed: the newcomer can do nothing more.
            number = re.search(r"(\d+) 吴", listing)
            assert number
            await world.say(SALES, f"/people {number.group(1)} remove")
            assert "已移除" in world.last(SALES).text
            appraisal = await eventually(lambda: card(world, QC_HUANGWU, "产品质量鉴定报告"))
            done = next(d for _, d in appraisal.buttons if ":done:" in d)
            refused = await press(world, NEW_QC, QC_HUANGWU, appraisal.message_id, done)
            assert refused["show_alert"]
            await world.say(NEW_QC, "/mytasks")
            assert world.last(NEW_QC).text == "您没有待办步骤。"
    finally:
        await emu.stop()


async def test_an_invitation_asked_for_in_a_group_is_refused_there(sqlite_engine: Engine) -> None:
    """/invite gm in the sales group would post a link that makes whoever opens it first
    the GM: refused, with the reason, and no link; in the private chat it works."""
    async with running_kesu(sqlite_engine, transport="polling") as world:
        await world.say(SALES, "/invite gm", chat_id=SALES_GROUP)
        answer = world.last(SALES_GROUP)
        assert "私聊" in answer.text and "t.me" not in answer.text
        await world.say(SALES, "/invite gm")
        assert "t.me/" in world.last(SALES).text
        await world.say(SALES, "/invite list")
        assert "尚未被打开的邀请链接" in world.last(SALES).text
        await world.say(SALES, "/invite revoke 1")
        assert "已撤回" in world.last(SALES).text
