"""Every press is answered: a button whose data Kesu does not know never spins."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from bot.sandbox.emulator.server import SentMessage
from tests.conftest import QC_HUANGWU, QC_HW, eventually
from tests.harness import running_kesu

# Not about Telegram's pace: without its limits (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("telegram_limits_lifted")


async def test_old_and_forged_buttons_are_answered_as_stale(engine: Engine, transport: str) -> None:
    async with running_kesu(transport=transport, engine=engine) as world:
        chat = world.emu.chats[QC_HUANGWU]
        # A message of the bot's with buttons of another version, and data no version made.
        message = SentMessage(
            chat.next_id(),
            chat.id,
            world.emu.bot_id,
            text="旧卡片",
            reply_markup={
                "inline_keyboard": [
                    [
                        {"text": "完成", "callback_data": "v0:st:done:1"},
                        {"text": "?", "callback_data": "v1:st:done:not-a-number"},
                        {"text": "x", "callback_data": "v1:zz:what:1"},
                    ]
                ]
            },
        )
        chat.messages[message.message_id] = message
        for data in ("v0:st:done:1", "v1:st:done:not-a-number", "v1:zz:what:1"):
            query = await world.emu.press(QC_HW, QC_HUANGWU, message.message_id, data)
            answer = await eventually(lambda q=query: world.emu.callback_answers[q])
            assert answer["text"] == "这个按钮已失效。", data
