"""Quiet hours with the fake clock: the domain alone, then pings through the services
across a night and a Sunday, and the outbox holding nobody up."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from bot.procedure.grading import Demand, Grade
from bot.procedure.pings import PingKind
from bot.procedure.quiet import WorkingHours, can_wait
from bot.services import settings, steps
from bot.services.settings import SetNightPings
from bot.services.uow import Caller
from storage.models import Event, OutboxMessage, Purpose
from tests.conftest import QC_HUANGWU, QC_HW, SALES, SALES_GROUP, VP_EXEC
from tests.test_workflow import Company, Press

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOURS = WorkingHours(time(8), time(18), frozenset(range(6)), SHANGHAI)  # Mon-Sat


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in Shanghai in the week of Monday 2026-11-23."""
    return datetime(2026, 11, 23 + day, hour, minute, tzinfo=SHANGHAI)


MON, TUE, SAT, SUN = 0, 1, 5, 6


@pytest.mark.parametrize(
    ("at", "working", "next_start"),
    [
        (local(TUE, 9), True, local(TUE, 9)),
        (local(TUE, 7, 59), False, local(TUE, 8)),
        (local(TUE, 18), False, local(TUE + 1, 8)),
        (local(TUE, 23), False, local(TUE + 1, 8)),
        (local(SAT, 17, 59), True, local(SAT, 17, 59)),
        (local(SAT, 23), False, local(MON + 7, 8)),  # Sunday is not a working day
        (local(SUN, 12), False, local(MON + 7, 8)),
        (local(SUN, 23, 59), False, local(MON + 7, 8)),
    ],
)
def test_working_hours_across_a_night_and_a_sunday(
    at: datetime, working: bool, next_start: datetime
) -> None:
    assert HOURS.is_working(at) is working
    assert HOURS.next_start(at) == next_start
    assert HOURS.next_start(at.astimezone(UTC)) == next_start  # any zone in, same moment


@pytest.mark.parametrize(
    ("grade", "limit", "kind", "waits"),
    [
        (Grade.C, timedelta(hours=24), PingKind.REMINDER, True),
        (Grade.C, timedelta(hours=24), PingKind.ESCALATION, True),
        (Grade.C, timedelta(hours=2), PingKind.REMINDER, False),  # 1-2 h: any hour
        (Grade.C, timedelta(hours=1), PingKind.OVERDUE, False),
        (Grade.A, timedelta(hours=24), PingKind.REMINDER, True),  # a day or longer
        (Grade.A, timedelta(hours=24), PingKind.OVERDUE, False),  # A and B escalate at once
        (Grade.B, timedelta(days=7), PingKind.ESCALATION, False),
        (Grade.B, timedelta(hours=6), PingKind.REMINDER, False),
        (Grade.A, timedelta(hours=1), PingKind.REMINDER, False),
    ],
)
def test_which_pings_can_wait(grade: Grade, limit: timedelta, kind: PingKind, waits: bool) -> None:
    assert can_wait(grade, limit, kind) is waits


QUIET = {"working_hours": {"start": "08:00", "end": "18:00"}}


def _file_at(company: Company, at: datetime, **changes: object) -> None:
    company.clock.set(at)
    company.file(received_at=at, **changes)


def _pings(company: Company) -> list[OutboxMessage]:
    return company.outbox(Purpose.PING)


def _fire(company: Company, key: str, at: datetime) -> bool:
    company.clock.set(at)
    return company.services.call(steps.fire_ping, company.step_id(key))


def test_a_c_reminder_due_at_23_arrives_at_8_the_next_working_day(engine: Engine) -> None:
    company = Company(engine, **QUIET)
    # Filed on Tuesday at 11:00; QC done at 11:00: feedback to sales (7) is due by the
    # end of the day, improvement measures (11) in 24 h, that is 11:00 on Wednesday.
    _file_at(company, local(TUE, 11), demands=[Demand.EXCHANGE], content="换货")
    for key in ("initial_assessment", "appraisal_report"):
        assert company.press(QC_HW, key, Press.DONE, at=local(TUE, 11)) is steps.PressResult.OK
    # Half of 24 h: 23:00 on Tuesday, at night.
    assert _fire(company, "improvement_measures", local(TUE, 23))
    (held,) = _pings(company)
    assert held.chat_id == QC_HUANGWU
    assert held.next_attempt_at == local(TUE + 1, 8)  # the next working hour
    assert "非工作时间暂缓发送" in held.payload["text"] and "23:00" in held.payload["text"]
    with company.sessions() as session:
        event = session.scalars(select(Event).where(Event.action == "ping")).one()
        assert event.detail["held_until"] == local(TUE + 1, 8).astimezone(UTC).isoformat()


def test_an_a_escalation_at_23_goes_at_23(engine: Engine) -> None:
    company = Company(engine, **QUIET)
    _file_at(company, local(TUE, 21))  # a claim and return: A
    # The initial assessment (2 h) runs out at 23:00: the overdue notice goes at once.
    assert _fire(company, "initial_assessment", local(TUE, 23))
    overdue = [
        p for p in _pings(company) if "超时" in p.payload["text"] or "逾期" in p.payload["text"]
    ]
    assert overdue
    assert all(p.next_attempt_at == p.created_at == local(TUE, 23) for p in _pings(company))
    assert {p.chat_id for p in _pings(company)} >= {QC_HUANGWU, VP_EXEC}


def test_a_saturday_night_c_escalation_waits_for_monday_and_a_later_one_replaces_it(
    engine: Engine,
) -> None:
    company = Company(engine, **QUIET, limits={"feedback_to_sales": "4h"})
    _file_at(company, local(SAT, 14), demands=[Demand.EXCHANGE], content="换货")
    for key in ("initial_assessment", "appraisal_report"):
        assert company.press(QC_HW, key, Press.DONE, at=local(SAT, 14)) is steps.PressResult.OK
    # Step 7 (4 h) ran out at 18:00 on Saturday; escalations every hour after.
    assert _fire(company, "feedback_to_sales", local(SAT, 19))
    assert _fire(company, "feedback_to_sales", local(SAT, 20))
    assert _fire(company, "feedback_to_sales", local(SUN, 11))
    held = _pings(company)
    # One ping per chat waits for Monday 08:00: the latest, not every hour of the night.
    assert len(held) == len({p.chat_id for p in held})
    assert {p.next_attempt_at for p in held} == {local(MON + 7, 8)}
    # Done on Sunday: nothing is left to tell on Monday.
    assert company.press(QC_HW, "feedback_to_sales", Press.DONE, at=local(SUN, 12)) is (
        steps.PressResult.OK
    )
    assert _pings(company) == []


def test_a_person_who_chose_night_pings_gets_them_at_once(engine: Engine) -> None:
    company = Company(engine, **QUIET)
    chosen = company.services.call(
        settings.set_night_pings, SetNightPings(Caller(SALES, SALES), True)
    )
    assert chosen.night_pings and chosen.quiet_hours
    _file_at(company, local(TUE, 11), demands=[Demand.EXCHANGE], content="换货")
    # The 48-hour answer (sales) is reminded at half: Wednesday 11:00, and at 90 %:
    # Thursday 06:12, before working hours.
    assert _fire(company, "customer_answer", local(TUE + 1, 11))
    assert _fire(company, "customer_answer", local(TUE + 2, 6, 12))
    night = [p for p in _pings(company) if p.created_at == local(TUE + 2, 6, 12)]
    at_once = {p.chat_id for p in night if p.next_attempt_at == p.created_at}
    later = {p.chat_id for p in night if p.next_attempt_at == local(TUE + 2, 8)}
    assert at_once == {SALES} and later == {SALES_GROUP}
    with company.sessions() as session:
        event = session.scalars(select(Event).where(Event.action == "settings_changed")).one()
        assert event.actor_telegram_id == SALES and event.detail == {"night_pings": True}
