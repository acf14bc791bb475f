"""End to end, issue 11's weekly summary: /summary in the leadership group, on a database
with complaints of a few weeks, answers with the figures and the chart as a photo."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.procedure.grading import Demand
from bot.services import complaints
from bot.services.uow import Caller
from tests.conftest import GM, LEADERSHIP, SALES, SALES_2, eventually
from tests.harness import running_kesu
from tests.test_workflow import draft

# Not about Telegram's pace: without its limits (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("telegram_limits_lifted")


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    """Through the emulator on SQLite; test_workflow runs the summary on PostgreSQL too."""
    return sqlite_engine


async def test_summary_in_the_leadership_group_gives_figures_and_a_chart(engine: Engine) -> None:
    async with running_kesu(engine) as world:
        now = world.kesu.services.clock.now()
        # Complaints of this week and of the three before it, filed as sales would.
        for days, demands in ((0, [Demand.CLAIM]), (1, [Demand.EXCHANGE]), (8, [Demand.RETURN])):
            for weeks in (0, 2):
                received = now - timedelta(days=days + 7 * weeks, minutes=5)
                filing = complaints.FileComplaint(
                    Caller(SALES, SALES), draft(received_at=received, demands=demands)
                )
                filed: Any = world.kesu.services.call(complaints.file_complaint, filing)
                assert filed.complaint is not None
        await world.say(GM, "/summary", chat_id=LEADERSHIP)

        def found() -> tuple[str, Any] | None:
            messages = world.emu.bot_messages(LEADERSHIP)
            text = next((m.text for m in messages if "客户投诉每周汇总" in m.text), None)
            photo = next((m for m in messages if m.kind == "photo"), None)
            return (text, photo) if text and photo else None

        text, photo = await eventually(found, timeout=15)
        assert "受理" in text and "按问题性质" in text and "48 小时内明确答复" in text
        assert "📊" in photo.text  # the chart's caption: its week
        # Sales may not read it.
        await world.say(SALES_2, "/summary")
        assert "leadership and QC" in world.last(SALES_2).text
