"""Quiet hours with the fake clock: the domain alone, then pings through the services
across a night and a Sunday, and the outbox holding nobody up."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from bot.procedure.calendar import next_daily, next_month_end, next_weekly
from bot.procedure.durations import Limit
from bot.procedure.grading import Demand, Grade
from bot.procedure.pings import PingKind
from bot.procedure.quiet import WorkingHours, can_wait
from bot.procedure.workdays import Day, Source, WorkingCalendar, years_to_check
from bot.services import digests, settings, steps
from bot.services.settings import SetNightPings
from bot.services.uow import Caller
from storage.models import Event, OutboxMessage, Purpose, QueuedPing
from tests.conftest import QC_HUANGWU, QC_HW, SALES, SALES_GROUP, VP_EXEC
from tests.test_workflow import Company, Press

SHANGHAI = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkingCalendar(frozenset(range(6)))  # Mon-Sat, and China's official calendar
HOURS = WorkingHours(time(8), time(18), CALENDAR, SHANGHAI)


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


def test_the_spring_festival_of_2026_waits_and_its_make_up_saturday_is_worked() -> None:
    """The State Council's 2026 schedule: 15-23 February off; Saturday 14 February a
    make-up working day (and Saturday 28 February); Kesu does not guess them."""
    friday_evening = datetime(2026, 2, 13, 19, 0, tzinfo=SHANGHAI)
    assert HOURS.next_start(friday_evening) == datetime(2026, 2, 14, 8, 0, tzinfo=SHANGHAI)
    saturday_evening = datetime(2026, 2, 14, 18, 30, tzinfo=SHANGHAI)
    # Nine days off: the first morning back is Tuesday 24 February.
    assert HOURS.next_start(saturday_evening) == datetime(2026, 2, 24, 8, 0, tzinfo=SHANGHAI)
    for day in range(15, 24):
        found = CALENDAR.day(date(2026, 2, day))
        assert not found.working and found.source is Source.HOLIDAY, day
        assert found.name == "Spring Festival"
    make_up = CALENDAR.day(date(2026, 2, 14))
    assert make_up.working and make_up.source is Source.MAKE_UP
    # An ordinary Saturday is the company's (Monday to Saturday), a Sunday is not.
    assert CALENDAR.day(date(2026, 3, 7)) == Day(date(2026, 3, 7), True, Source.WEEK)
    assert not CALENDAR.is_workday(date(2026, 3, 8))
    # A Monday-to-Friday company rests on ordinary Saturdays, but works the make-up one.
    five_days = WorkingCalendar(frozenset(range(5)))
    assert not five_days.is_workday(date(2026, 3, 7))
    assert five_days.is_workday(date(2026, 2, 14))


def test_the_companys_own_days_come_first_and_an_unknown_year_is_said() -> None:
    own = WorkingCalendar(
        frozenset(range(6)),
        days_off=frozenset({date(2026, 3, 9)}),  # a Monday off (a stocktake)
        days_on=frozenset({date(2026, 2, 16)}),  # a holiday worked (an urgent order)
    )
    assert own.day(date(2026, 3, 9)).source is Source.COMPANY_OFF
    assert own.day(date(2026, 2, 16)) == Day(date(2026, 2, 16), True, Source.COMPANY_ON)
    # 2027 is not published in the library yet: the ordinary week, and it is said.
    assert own.day(date(2027, 1, 1)).source is Source.UNKNOWN_YEAR
    assert own.unknown_years([2026, 2027]) == [2027]
    entered = WorkingCalendar(frozenset(range(6)), days_off=frozenset({date(2027, 1, 1)}))
    assert entered.unknown_years([2027]) == []  # the company entered its 2027 days
    assert years_to_check(date(2026, 12, 6)) == [2026, 2027]
    assert years_to_check(date(2026, 6, 1)) == [2026]
    # An end-of-day limit received on the eve of the holidays ends on the first day back.
    eve = datetime(2026, 2, 14, 19, 0, tzinfo=SHANGHAI)
    due = Limit(None).due(eve, workday_end=time(17, 30), tz=SHANGHAI, calendar=CALENDAR)
    assert due == datetime(2026, 2, 24, 17, 30, tzinfo=SHANGHAI)


def test_the_timed_jobs_keep_to_working_days() -> None:
    at = time(8, 30)
    # The daily tracking: none during the holidays, the next on the first day back.
    after = datetime(2026, 2, 14, 8, 30, tzinfo=SHANGHAI)
    assert next_daily(after, at, SHANGHAI, CALENDAR) == datetime(
        2026, 2, 24, 8, 30, tzinfo=SHANGHAI
    )
    # The weekly meeting on Monday: 16 and 23 February are off, so it is held on
    # Tuesday the 24th, once, and then on Monday 2 March.
    held = next_weekly(after, "mon", time(14), SHANGHAI, CALENDAR)
    assert held == datetime(2026, 2, 24, 14, 0, tzinfo=SHANGHAI)
    following = next_weekly(held, "mon", time(14), SHANGHAI, CALENDAR)
    assert following == datetime(2026, 3, 2, 14, 0, tzinfo=SHANGHAI)
    # The month-end register on the last working day: 30 September 2026, a Wednesday
    # before National Day; in May, Saturday the 30th (worked, Mon-Sat), not Sunday.
    assert next_month_end(
        datetime(2026, 9, 1, tzinfo=SHANGHAI), time(17), SHANGHAI, CALENDAR
    ) == datetime(2026, 9, 30, 17, 0, tzinfo=SHANGHAI)
    sunday_end = next_month_end(datetime(2026, 5, 1, tzinfo=SHANGHAI), time(17), SHANGHAI, CALENDAR)
    assert sunday_end == datetime(2026, 5, 30, 17, 0, tzinfo=SHANGHAI)


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


def _waiting(company: Company) -> list[QueuedPing]:
    """The pings that fell due and wait for their chat's turn (quiet hours, a snooze)."""
    with company.sessions() as session:
        return list(
            session.scalars(
                select(QueuedPing).where(QueuedPing.sent_as.is_(None)).order_by(QueuedPing.id)
            )
        )


def _turn(company: Company, at: datetime) -> list[OutboxMessage]:
    """The chats whose turn has come at `at` hear what waited: the rows posted then."""
    company.clock.set(at)
    company.services.call(digests.send_due)
    return [p for p in _pings(company) if p.created_at == at]


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
    assert _pings(company) == []
    (waiting,) = _waiting(company)
    assert waiting.chat_id == QC_HUANGWU
    assert waiting.may_go_at == local(TUE + 1, 8)  # the next working hour
    assert _turn(company, local(TUE + 1, 7, 59)) == []
    (held,) = _turn(company, local(TUE + 1, 8))
    assert held.chat_id == QC_HUANGWU
    assert "非工作时间暂缓发送" in held.payload["text"] and "23:00" in held.payload["text"]
    with company.sessions() as session:
        event = session.scalars(select(Event).where(Event.action == "ping")).one()
        assert event.detail["held_until"] == local(TUE + 1, 8).astimezone(UTC).isoformat()


@pytest.mark.parametrize(
    ("filed", "held_until"),
    [
        # Friday night's reminder goes on Saturday 14 February 2026, a make-up working day.
        (datetime(2026, 2, 13, 11, tzinfo=SHANGHAI), datetime(2026, 2, 14, 8, tzinfo=SHANGHAI)),
        # Saturday night's waits through the nine days off, until Tuesday the 24th at 8.
        (datetime(2026, 2, 14, 11, tzinfo=SHANGHAI), datetime(2026, 2, 24, 8, tzinfo=SHANGHAI)),
    ],
)
def test_over_the_spring_festival_a_c_reminder_waits_for_the_first_day_back(
    engine: Engine, filed: datetime, held_until: datetime
) -> None:
    company = Company(engine, **QUIET)
    _file_at(company, filed, demands=[Demand.EXCHANGE], content="换货")
    for key in ("initial_assessment", "appraisal_report"):
        assert company.press(QC_HW, key, Press.DONE, at=filed) is steps.PressResult.OK
    assert _fire(company, "improvement_measures", filed + timedelta(hours=12))  # 23:00
    (held,) = _waiting(company)
    assert held.may_go_at == held_until


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


def test_an_a_escalation_the_vp_heard_at_23_repeats_in_the_morning_not_every_hour(
    engine: Engine,
) -> None:
    company = Company(engine, **QUIET)
    _file_at(company, local(TUE, 21))  # a claim and return: A
    assert _fire(company, "initial_assessment", local(TUE, 23))  # overdue: at once
    heard = {p.chat_id for p in _pings(company) if p.created_at == local(TUE, 23)}
    assert {QC_HUANGWU, VP_EXEC} <= heard
    company.deliver()
    # Midnight to seven: the hourly escalations of a step they heard of already wait for
    # the working day (the board shows it), one standing for all the night's.
    for hour in range(0, 8):
        assert _fire(company, "initial_assessment", local(TUE + 1, hour))
    assert [p for p in _pings(company) if p.created_at > local(TUE, 23)] == []
    waiting = {q.chat_id: q for q in _waiting(company)}
    assert {QC_HUANGWU, VP_EXEC} <= set(waiting)
    assert {q.may_go_at for q in waiting.values()} == {local(TUE + 1, 8)}
    assert waiting[VP_EXEC].pings == 8
    morning = {p.chat_id for p in _turn(company, local(TUE + 1, 8))}
    assert {QC_HUANGWU, VP_EXEC} <= morning


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
    assert _pings(company) == []
    held = _waiting(company)
    # One ping per chat waits for Monday 08:00: the latest, standing for the three.
    assert len(held) == len({p.chat_id for p in held}) >= 1
    assert {p.may_go_at for p in held} == {local(MON + 7, 8)}
    assert {(p.kind, p.pings) for p in held} == {("escalation", 3)}
    # Done on Sunday: nothing is left to tell on Monday.
    assert company.press(QC_HW, "feedback_to_sales", Press.DONE, at=local(SUN, 12)) is (
        steps.PressResult.OK
    )
    assert _turn(company, local(MON + 7, 8)) == []
    assert _pings(company) == [] and _waiting(company) == []


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
    at_once = {p.chat_id for p in _pings(company) if p.created_at == local(TUE + 2, 6, 12)}
    assert at_once == {SALES}
    assert {p.chat_id for p in _turn(company, local(TUE + 2, 8))} == {SALES_GROUP}
    with company.sessions() as session:
        event = session.scalars(select(Event).where(Event.action == "settings_changed")).one()
        assert event.actor_telegram_id == SALES and event.detail == {"night_pings": True}


def test_kesu_calendar_prints_a_year_and_doctor_names_an_unknown_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main
    from bot.config import ConfigError, parse_config
    from bot.delivery import doctor
    from tests.conftest import config_data
    from tests.test_crash import toml

    path = tmp_path / "kesu.toml"
    data = config_data(
        "sqlite://", calendar={"days_off": ["2026-03-09"], "days_on": ["2026-02-16"]}
    )
    path.write_text(toml(data), encoding="utf-8")
    assert main(["calendar", "2026", "--config", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 365 + 1
    assert "2026-02-14 Sat work official make-up working day (Spring Festival)" in lines
    assert "2026-02-16 Mon work working day ([calendar] days_on)" in lines
    assert "2026-02-17 Tue off  official holiday (Spring Festival)" in lines
    assert "2026-03-09 Mon off  day off ([calendar] days_off)" in lines
    assert main(["calendar", "2027", "--config", str(path)]) == 0
    assert "not known to chinesecalendar" in capsys.readouterr().out
    config = parse_config(config_data("sqlite://"))
    december = doctor.calendar(config, date(2026, 12, 6))
    assert december.ok and december.warning and "2027" in december.line()
    assert december.line().startswith("! calendar:")
    assert not doctor.calendar(config, date(2026, 6, 1)).warning
    # A day both off and on is refused, naming the key.
    with pytest.raises(ConfigError, match=r"^calendar: 2027-01-01 is both"):
        parse_config(
            config_data(
                "sqlite://", calendar={"days_off": ["2027-01-01"], "days_on": ["2027-01-01"]}
            )
        )
