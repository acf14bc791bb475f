"""Forged and oversized input gets a clean answer (issue 21, item 5): numbers in callback
data and commands are bounded, every forged press is answered with a short refusal, and
nothing reaches the generic error handler."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

from bot.procedure.bounds import MAX_ID, parse_id
from bot.procedure.numbering import parse_number
from bot.views import callbacks
from tests.conftest import QC_HUANGWU, QC_HW, SALES, SALES_GROUP, eventually
from tests.harness import running_kesu
from tests.test_e2e_intake import file_complaint

# Not about Telegram's pace: without its limits (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("telegram_limits_lifted")

FORTY_DIGITS = "9" * 40
FORGED = [
    f"v1:st:done:{FORTY_DIGITS}",
    f"v1:st:show:{2**31}",
    "v1:st:take:²",
    "v1:st:done:٣",
    f"v1:ho:p{FORTY_DIGITS[:10]}:1",
    f"v1:mi:p1:{FORTY_DIGITS[:20]}",
    "v1:pl:huangwu:0",
    "v1:st:done:-1",
]


@given(st.text(max_size=50))
def test_ids_are_ascii_digits_within_a_database_integer(text: str) -> None:
    found = parse_id(text)
    assert found is None or (1 <= found <= MAX_ID and text == str(found).zfill(len(text)))


def test_numbers_people_type_are_bounded() -> None:
    assert parse_number("KS-2026-" + FORTY_DIGITS) is None
    assert parse_number("KS-2026-0001") == (2026, 1)
    assert parse_id("²") is None and parse_id(str(MAX_ID + 1)) is None and parse_id("7") == 7
    for data in FORGED:
        with pytest.raises(callbacks.BadCallback):
            callbacks.StepPress.decode(data) if ":st:" in data else None
            callbacks.HandPress.decode(data) if ":ho:" in data else None
            callbacks.InvitePress.decode(data) if ":mi:" in data else None
            callbacks.PlantPress.decode(data)


async def test_forged_presses_and_commands_get_a_clean_answer(
    sqlite_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    async with running_kesu(sqlite_engine) as world:
        emu = world.emu
        await file_complaint(world)  # cards in the groups to press on
        await eventually(lambda: emu.bot_messages(QC_HUANGWU) and emu.bot_messages(SALES_GROUP))
        anchor = emu.bot_messages(SALES)[-1].message_id
        for chat, user in ((SALES, SALES), (QC_HUANGWU, QC_HW), (SALES_GROUP, SALES)):
            for data in FORGED:
                message = anchor if chat == SALES else emu.bot_messages(chat)[-1].message_id
                query = await emu.press(user, chat, message, data, forged=True)
                answer = await eventually(lambda q=query: emu.callback_answers.get(q))
                assert answer["text"] and not answer.get("show_alert")  # a short refusal
        for command, expected in (
            ("/people ² role qc", "/people"),
            (f"/people {FORTY_DIGITS} role qc", "/people"),
            (f"/list {FORTY_DIGITS}", "/list 2"),
            ("/list ²", "/list 2"),
            (f"/major {FORTY_DIGITS}", "/major 2"),
            (f"/show KS-2026-{FORTY_DIGITS}", "KS-2026-"),
        ):
            await world.say(SALES, command)
            assert expected in world.last(SALES).text, (command, world.last(SALES).text)
    failures = [r for r in caplog.records if r.getMessage() == "update failed"]
    assert not failures, failures[0].exc_info
