"""A flood costs the flooder (issue 21, item 6): each person's pace is kept before any
database work, a refused press is recorded once per person and step an hour, and /show
lists the latest history with the count of the rest."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from bot.procedure.flood import Throttle
from bot.services import steps
from bot.services.steps import PressResult, PressStep
from bot.services.uow import Caller
from bot.views.callbacks import StepAction
from bot.views.i18n import gettext
from storage.models import Event
from tests.conftest import OUTSIDER, QC_HUANGWU, QC_HW, SALES, eventually
from tests.harness import running_kesu
from tests.test_e2e_intake import file_complaint
from tests.test_e2e_steps import card
from tests.test_workflow import NOW, Company

# Not about Telegram's pace: without its limits (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("telegram_limits_lifted")


def test_a_persons_pace_is_a_burst_then_a_few_a_second() -> None:
    now = [0.0]
    throttle = Throttle(burst=5, per_second=2, clock=lambda: now[0])
    assert [throttle.allow(1) for _ in range(7)] == [True] * 5 + [False] * 2
    assert throttle.allow(2)  # someone else is not held up
    assert throttle.first_refusal(1) and not throttle.first_refusal(1)  # told once
    now[0] += 1.0  # two more a second
    assert [throttle.allow(1) for _ in range(3)] == [True, True, False]
    now[0] += 60
    assert sum(throttle.allow(1) for _ in range(10)) == 5  # never more than the burst


def test_a_refused_press_is_recorded_once_a_person_step_and_hour(engine: Engine) -> None:
    company = Company(engine)
    company.file()
    step_id = company.step_id("initial_assessment")
    stranger = Caller(OUTSIDER, QC_HUANGWU)
    for _ in range(50):
        pressed = company.services.call(
            steps.press, PressStep(stranger, step_id, StepAction.FINISH, "done")
        )
        assert pressed.result is PressResult.DENIED

    def refusals() -> list[Event]:
        with company.sessions() as session:
            found = select(Event).where(Event.action == "press_refused")
            return list(session.scalars(found))

    assert len(refusals()) == 1
    company.clock.set(NOW + timedelta(hours=1, seconds=1))
    company.services.call(steps.press, PressStep(stranger, step_id, StepAction.TAKE))
    assert len(refusals()) == 2  # an hour on, recorded again


async def test_a_stranger_flooding_a_card_is_answered_and_costs_nobody_else(
    sqlite_engine: Engine,
) -> None:
    async with running_kesu(sqlite_engine) as world:
        emu = world.emu
        await file_complaint(world)
        world.kesu.services.throttle = Throttle()  # people's real pace: what this is about
        assessment = await eventually(lambda: _card(world), timeout=10)
        done = next(d for _, d in assessment.buttons if ":done:" in d)
        queries = await asyncio.gather(
            *(emu.press(OUTSIDER, QC_HUANGWU, assessment.message_id, done) for _ in range(300))
        )
        answers = await eventually(
            lambda: (
                [a for q in queries if (a := emu.callback_answers.get(q))]
                if all(emu.callback_answers.get(q) for q in queries)
                else None
            ),
            timeout=20,
        )
        assert len(answers) == 300  # every press answered
        too_fast = [a for a in answers if "太快" in a["text"]]
        assert len(too_fast) >= 250  # most of them without the database
        with world.sessions() as session:
            refused = session.scalars(select(Event).where(Event.action == "press_refused"))
            assert len(list(refused)) == 1
        # The others go on as before: the salesperson's /help comes back.
        await world.say(SALES, "/help")
        assert "/new" in world.last(SALES).text
        # And the complaint's /show names the refusal once.
        before = len(emu.bot_messages(SALES))
        await world.say(SALES, "/show KS-2026-0001")
        shown = await eventually(
            lambda: (
                "\n".join(m.text for m in emu.bot_messages(SALES)[before:])
                if any("处理记录" in m.text for m in emu.bot_messages(SALES)[before:])
                else None
            )
        )
        refused = gettext("zh_CN", "press refused")
        assert shown.count(refused) == 1


def _card(world):  # type: ignore[no-untyped-def]
    try:
        return card(world, QC_HUANGWU, "问题鉴定初评")
    except LookupError:
        return None


async def test_a_groups_talk_costs_no_one_their_pace(sqlite_engine: Engine) -> None:
    """The bot is an admin of the QC group (to pin its board), so it sees all the talk
    there: an inspector chatting away still has their press taken."""
    async with running_kesu(sqlite_engine) as world:
        emu = world.emu
        emu.chats[QC_HUANGWU].bot_is_admin = True
        await file_complaint(world)
        world.kesu.services.throttle = Throttle()  # people's real pace: what this is about
        assessment = await eventually(lambda: _card(world), timeout=10)
        for n in range(40):
            await emu.user_sends(QC_HW, f"看一下第 {n} 批", chat_id=QC_HUANGWU)
        done = next(d for _, d in assessment.buttons if ":done:" in d)
        query = await emu.press(QC_HW, QC_HUANGWU, assessment.message_id, done)
        answer = await eventually(lambda: emu.callback_answers.get(query))
        assert "太快" not in answer["text"]
        with world.sessions() as session:
            done_at = session.scalars(select(Event).where(Event.action == "step_done")).first()
            assert done_at is not None
