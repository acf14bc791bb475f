"""The company's working days: mainland China's official calendar and the company's own.

The State Council publishes each year's statutory holidays and the make-up working days
(调休) that pay for the long ones, late in the year before. Kesu reads them from
`chinesecalendar` (pinned), which carries them day by day and says plainly which years
it does not know yet; the `holidays` package lists the days off too, but no make-up
working day, and computes years nobody has published. Nothing is guessed: a year the
library does not know falls back to the company's ordinary week, and `kesu doctor` and
`/status` say so, until the library knows it or the company enters that year's days
in `[calendar]`.

A day is a working day by the first rule that speaks of it:

1. the company's own days off and days on (`[calendar] days_off`, `days_on`);
2. an official holiday (off), or an official make-up working day (on);
3. the company's ordinary week (`[working_hours] days`, Monday to Saturday by default).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

import chinese_calendar

CALENDAR_VERSION = chinese_calendar.__version__


class Source(StrEnum):
    """Where a day's rule comes from (`kesu calendar` prints it)."""

    COMPANY_OFF = "company_off"  # [calendar] days_off
    COMPANY_ON = "company_on"  # [calendar] days_on
    HOLIDAY = "holiday"  # an official holiday
    MAKE_UP = "make_up"  # an official make-up working day (调休)
    WEEK = "week"  # the company's ordinary week
    UNKNOWN_YEAR = "unknown_year"  # the ordinary week: the official year is not known yet


@dataclass(frozen=True)
class OfficialDay:
    holiday: bool  # an official day off (not an ordinary weekend)
    make_up: bool  # an official working day on a weekend
    name: str | None  # "Spring Festival"


# The official calendar: a day's holiday or make-up, or None for a year it does not know.
Official = Callable[[date], OfficialDay | None]


def china(day: date) -> OfficialDay | None:
    """Mainland China's published calendar, from chinesecalendar."""
    try:
        is_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:  # a year the State Council has not published (or it lacks)
        return None
    weekend = day.weekday() >= 5
    return OfficialDay(
        holiday=bool(is_holiday and name),
        make_up=bool(weekend and not is_holiday),
        name=name,
    )


def no_official(day: date) -> OfficialDay | None:
    """No official calendar (`[calendar] official = "none"`): only the company's days."""
    return OfficialDay(False, False, None)


@dataclass(frozen=True)
class Day:
    day: date
    working: bool
    source: Source
    name: str | None = None  # the holiday's name


@dataclass(frozen=True)
class WorkingCalendar:
    weekdays: frozenset[int]  # the ordinary week, Monday 0
    days_off: frozenset[date] = frozenset()
    days_on: frozenset[date] = frozenset()
    official: Official = china

    def day(self, day: date) -> Day:
        if day in self.days_off:
            return Day(day, False, Source.COMPANY_OFF)
        if day in self.days_on:
            return Day(day, True, Source.COMPANY_ON)
        official = self.official(day)
        if official is not None and official.holiday:
            return Day(day, False, Source.HOLIDAY, official.name)
        if official is not None and official.make_up:
            return Day(day, True, Source.MAKE_UP, official.name)
        source = Source.WEEK if official is not None else Source.UNKNOWN_YEAR
        return Day(day, day.weekday() in self.weekdays, source)

    def is_workday(self, day: date) -> bool:
        return self.day(day).working

    def next_workday(self, day: date) -> date:
        """`day` itself when it is a working day, else the next one."""
        for _ in range(366):
            if self.is_workday(day):
                return day
            day += timedelta(days=1)
        raise ValueError("no working day within a year: check [calendar] and [working_hours]")

    def unknown_years(self, years: Iterable[int]) -> list[int]:
        """Of these years, those the official calendar does not know and for which the
        company entered no day of its own: their holidays are not kept."""
        entered = {d.year for d in self.days_off | self.days_on}
        return [
            year
            for year in years
            if year not in entered and self.official(date(year, 6, 1)) is None
        ]

    def year(self, year: int) -> list[Day]:
        first = date(year, 1, 1)
        return [
            self.day(first + timedelta(days=n)) for n in range((date(year + 1, 1, 1) - first).days)
        ]


def years_to_check(today: date) -> list[int]:
    """The years whose calendar must be known now: this one, and from November the next
    (the State Council publishes it late in the year before)."""
    return [today.year, today.year + 1] if today.month >= 11 else [today.year]
