"""The dashboard's overview (docs/dashboard.md): figures from plain facts, so that each
can be checked by hand, as the weekly summary's are. The service reads the facts."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum

from bot.procedure.summary import StepFact, week_bounds, week_name

# How long complaints have been open, in days: the overview's age bands.
AGE_BANDS: tuple[tuple[str, int | None], ...] = (
    ("0-2", 2),
    ("3-7", 7),
    ("8-30", 30),
    ("31+", None),
)


class StatusFilter(StrEnum):
    """The list's status filter: open (any state but closed), or closed."""

    OPEN = "open"
    CLOSED = "closed"


WEEKS = 12  # the on-time share's weeks, as the weekly summary's chart
MONTHS = 6  # the cost of poor quality: this month and the five before


@dataclass(frozen=True)
class OnTime:
    week: str
    on_time: int
    late: int

    @property
    def share(self) -> float | None:
        done = self.on_time + self.late
        return round(100 * self.on_time / done, 1) if done else None


def age_bounds(now: datetime) -> list[tuple[str, datetime | None, datetime]]:
    """Each age band as the received times it takes: (name, after, up to and with);
    `after` None for the oldest. A complaint open for 2 days and 23 hours is in 0-2."""
    found: list[tuple[str, datetime | None, datetime]] = []
    newest = now
    for name, most in AGE_BANDS:
        after = None if most is None else now - timedelta(days=most + 1)
        found.append((name, after, newest))
        if after is not None:
            newest = after
    return found


def age_band(received_at: datetime, now: datetime) -> str:
    """The band of a complaint open since then, by its whole days open as people count
    them: what `age_bounds` has the database count."""
    days = (now - received_at).days
    for name, most in AGE_BANDS:
        if most is None or days <= most:
            return name
    raise AssertionError("the last band has no end")


def weeks_back(
    now: datetime, tz: tzinfo, weeks: int = WEEKS
) -> list[tuple[str, datetime, datetime]]:
    """The `weeks` ISO weeks ending with this one, oldest first: (name, start, end)."""
    year, week, _ = now.astimezone(tz).isocalendar()
    start = week_bounds(year, week, tz)[0]
    found = []
    for back in range(weeks - 1, -1, -1):
        monday = start - timedelta(days=7 * back)
        y, w, _ = monday.astimezone(tz).isocalendar()
        found.append((week_name(y, w), *week_bounds(y, w, tz)))
    return found


def on_time_by_week(
    steps: Iterable[StepFact], weeks: Sequence[tuple[str, datetime, datetime]]
) -> list[OnTime]:
    """Of the steps with a limit done each week, how many in time and how many late."""
    starts = [start for _name, start, _end in weeks]
    on_time, late = [0] * len(weeks), [0] * len(weeks)
    for step in steps:
        if step.due_at is None or step.done_at is None:
            continue
        index = bisect_right(starts, step.done_at) - 1
        if index < 0 or step.done_at >= weeks[index][2]:
            continue
        if step.done_at > step.due_at:
            late[index] += 1
        else:
            on_time[index] += 1
    return [OnTime(name, on_time[i], late[i]) for i, (name, _s, _e) in enumerate(weeks)]


def months_back(today: date, months: int = MONTHS) -> list[str]:
    """ "2026-07" … "2026-12": this month and those before it, oldest first."""
    year, month = today.year, today.month
    names = []
    for _ in range(months):
        names.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return names[::-1]
