"""The boards through the emulator: posted and pinned (where the bot may pin), edited in
place as steps move, pinned again when someone unpins one, posted again when someone
deletes one; `kesu doctor` names the groups where the bot may not pin."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from bot.delivery import doctor
from bot.delivery.scheduler import Delivery
from bot.sandbox.emulator.server import Emulator
from storage.models import ChatNotices
from tests.conftest import GM, QC_HUANGWU, QC_HW, SALES_GROUP, VP_EXEC, eventually
from tests.harness import World, make_emulator, running_kesu
from tests.test_e2e_intake import file_complaint

pytestmark = pytest.mark.usefixtures("telegram_limits_lifted")


def board(emu: Emulator, chat_id: int):  # type: ignore[no-untyped-def]
    found = [m for m in emu.bot_messages(chat_id) if m.text.startswith("📋")]
    return found[-1] if found else None


def pinned(emu: Emulator, chat_id: int) -> int | None:
    chat = emu.chats.get(chat_id)
    return chat.pinned[-1] if chat and chat.pinned else None


async def test_boards_are_pinned_kept_current_and_put_back(engine: Engine) -> None:
    emu = await make_emulator()
    emu.chats[QC_HUANGWU].bot_is_admin = True  # the QC group made the bot an admin
    async with running_kesu(engine, emulator=emu, reminders={"boards": True}) as world:
        await file_complaint(world, letter=False)
        for chat in (VP_EXEC, GM, QC_HUANGWU, SALES_GROUP):
            await eventually(lambda chat=chat: board(emu, chat))
        vp_board = board(emu, VP_EXEC)
        assert "看板" in vp_board.text and "进行中" in vp_board.text
        # Pinned in the private chats and the group where the bot is an admin; in the
        # sales group it may not pin: posted unpinned, and remembered.
        for chat in (VP_EXEC, GM, QC_HUANGWU):
            await eventually(lambda chat=chat: pinned(emu, chat) == board(emu, chat).message_id)
        assert pinned(emu, SALES_GROUP) is None
        await eventually(lambda: _pinned_state(world, SALES_GROUP) is False)
        # QC do the assessment: the group's board changes, in place, silently.
        before = board(emu, QC_HUANGWU)
        edits, text = before.edits, before.text
        assessment = next(
            m for m in world.notices(QC_HUANGWU) if "问题鉴定初评" in m.text and "第" in m.text
        )
        done = next(d for label, d in assessment.buttons if label == "完成")
        await emu.press(QC_HW, QC_HUANGWU, assessment.message_id, done)
        await eventually(lambda: before.edits > edits and before.text != text)
        assert board(emu, QC_HUANGWU) is before  # the same message, edited
        delivery = world.kesu.services.after_commit
        assert isinstance(delivery, Delivery)
        # Someone unpins the VP's board: the hourly look pins it again.
        emu.unpin(VP_EXEC)
        assert pinned(emu, VP_EXEC) is None
        await delivery._check_boards()
        assert pinned(emu, VP_EXEC) == vp_board.message_id
        # Someone deletes it: the look finds it gone, and a new one is posted and pinned.
        emu.delete_message(VP_EXEC, vp_board.message_id)
        await delivery._check_boards()
        await eventually(lambda: board(emu, VP_EXEC) is not None)
        again = board(emu, VP_EXEC)
        assert again.message_id != vp_board.message_id
        await eventually(lambda: pinned(emu, VP_EXEC) == again.message_id)
        # kesu doctor names the groups where the bot may not pin.
        checks = {c.name: c for c in await doctor.telegram(world.kesu.services.config)}
        assert checks["chats.sales"].warning and "may not pin" in checks["chats.sales"].detail
        assert not checks["chats.qc.huangwu"].warning
        assert not checks["chats.leadership"].warning  # no board there


def _pinned_state(world: World, chat_id: int) -> bool | None:
    with world.sessions() as session:
        kept = session.get(ChatNotices, chat_id)
        return kept.board_pinned if kept else None
