"""Time limits as people write them in the configuration: "90s", "2h", "7d", "end_of_day"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.procedure.workdays import WorkingCalendar

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")

END_OF_DAY = "end_of_day"


@dataclass(frozen=True)
class Limit:
    """A duration, or the end of the work day in the company's time zone."""

    duration: timedelta | None = None  # None means end of the work day

    @property
    def is_end_of_day(self) -> bool:
        return self.duration is None

    def due(
        self,
        start: datetime,
        *,
        workday_end: time,
        tz: ZoneInfo,
        calendar: WorkingCalendar | None = None,
    ) -> datetime:
        if start.tzinfo is None:
            raise ValueError("limits count from aware datetimes")
        if self.duration is not None:
            # Wall-clock time: aware UTC arithmetic ignores DST jumps on purpose.
            return start + self.duration
        local = start.astimezone(tz)
        day = local.date()
        if local >= datetime.combine(day, workday_end, tzinfo=tz):
            # Received after hours: the same-day limit is the next work-day end.
            day += timedelta(days=1)
        if calendar is not None:  # on a day off (a holiday, a Sunday): the next working day
            day = calendar.next_workday(day)
        return datetime.combine(day, workday_end, tzinfo=tz)

    def __str__(self) -> str:
        return END_OF_DAY if self.duration is None else format_duration(self.duration)


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text.strip().lower())
    if not match:
        raise ValueError(f"{text!r} is not a duration like 90s, 30m, 2h, 7d")
    value = float(match.group(1))
    delta = timedelta(**{_UNITS[match.group(2)]: value})
    if delta <= timedelta(0):
        raise ValueError(f"{text!r} must be longer than zero")
    return delta


def parse_limit(text: str) -> Limit:
    if text.strip().lower() == END_OF_DAY:
        return Limit(None)
    return Limit(parse_duration(text))


def format_duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
