"""When the timed jobs fall due: the daily tracking, the weekly meeting's agenda and
summary, the month-end register. Each is the first time strictly after the job's last
run, in the company's time zone, so a restart never posts one twice. Given the working
calendar, they fall on working days: no tracking over the Spring Festival, the weekly
meeting on the first working day from its weekday, the register on the month's last
working day."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

from bot.procedure.quiet import WEEKDAYS
from bot.procedure.workdays import WorkingCalendar


def next_daily(
    after: datetime, at: time, tz: tzinfo, calendar: WorkingCalendar | None = None
) -> datetime:
    """The first time of day `at` (in `tz`), on a working day, strictly after `after`."""
    local = after.astimezone(tz)
    day = local.date()
    if datetime.combine(day, at, tzinfo=tz) <= local:
        day += timedelta(days=1)
    if calendar is not None:
        day = calendar.next_workday(day)
    return datetime.combine(day, at, tzinfo=tz)


def next_weekly(
    after: datetime,
    weekday: str,
    at: time,
    tz: tzinfo,
    calendar: WorkingCalendar | None = None,
) -> datetime:
    """The first `weekday` ("mon" ... "sun") at `at` (in `tz`) strictly after `after`;
    when that day is off, the first working day after it."""
    local = after.astimezone(tz)
    target = WEEKDAYS.index(weekday)
    # Weeks counted from the weekday itself, so that a meeting moved to the day after a
    # holiday is not found again as next week's.
    start = local.date() - timedelta(days=7)
    for offset in range(0, 22):
        day = start + timedelta(days=offset)
        if day.weekday() != target:
            continue
        held = calendar.next_workday(day) if calendar is not None else day
        candidate = datetime.combine(held, at, tzinfo=tz)
        if candidate > local:
            return candidate
    raise AssertionError("a weekday recurs within three weeks")  # pragma: no cover


def next_month_end(
    after: datetime, at: time, tz: tzinfo, calendar: WorkingCalendar | None = None
) -> datetime:
    """The first last (working) day of a month at `at` (in `tz`) strictly after `after`."""
    local = after.astimezone(tz)
    year, month = local.year, local.month
    while True:
        first_of_next = date(year + month // 12, month % 12 + 1, 1)
        day = first_of_next - timedelta(days=1)
        while calendar is not None and not calendar.is_workday(day) and day.day > 1:
            day -= timedelta(days=1)
        candidate = datetime.combine(day, at, tzinfo=tz)
        if candidate > local:
            return candidate
        year, month = first_of_next.year, first_of_next.month
