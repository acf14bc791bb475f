"""When the timed jobs fall due: the daily tracking, the weekly meeting's agenda and
summary, the month-end register. Each is the first time strictly after the job's last
run, in the company's time zone, so a restart never posts one twice."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

from bot.procedure.quiet import WEEKDAYS


def next_daily(after: datetime, at: time, tz: tzinfo) -> datetime:
    """The first time of day `at` (in `tz`) strictly after `after`."""
    local = after.astimezone(tz)
    candidate = datetime.combine(local.date(), at, tzinfo=tz)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), at, tzinfo=tz)
    return candidate


def next_weekly(after: datetime, weekday: str, at: time, tz: tzinfo) -> datetime:
    """The first `weekday` ("mon" ... "sun") at `at` (in `tz`) strictly after `after`."""
    local = after.astimezone(tz)
    target = WEEKDAYS.index(weekday)
    for offset in range(0, 8):
        candidate = datetime.combine(local.date() + timedelta(days=offset), at, tzinfo=tz)
        if candidate.weekday() == target and candidate > local:
            return candidate
    raise AssertionError("a weekday recurs within eight days")  # pragma: no cover


def next_month_end(after: datetime, at: time, tz: tzinfo) -> datetime:
    """The first last-day-of-a-month at `at` (in `tz`) strictly after `after`."""
    local = after.astimezone(tz)
    year, month = local.year, local.month
    while True:
        first_of_next = date(year + month // 12, month % 12 + 1, 1)
        candidate = datetime.combine(first_of_next - timedelta(days=1), at, tzinfo=tz)
        if candidate > local:
            return candidate
        year, month = first_of_next.year, first_of_next.month
