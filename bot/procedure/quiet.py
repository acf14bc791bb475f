"""Quiet hours: which reminders wait for the working day, and when that comes.

The company works from `start` to `end` on its working days (bot/procedure/workdays.py:
China's official calendar and the company's own days), in its time zone.
Outside them, a reminder or escalation that can wait does wait, and goes at the
next start of a working day saying so; what cannot wait goes at once:

- every ping of a limit of two hours or less (the source's 1-2 hour limits);
- A and B escalations (overdue notices and what follows them), at any hour.

Reminders and escalations of C complaints, and reminders of limits of a day or
longer, wait. A person may choose to be pinged at night for everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.procedure.grading import Grade
from bot.procedure.pings import PingKind
from bot.procedure.workdays import WorkingCalendar

SHORT_LIMIT = timedelta(hours=2)  # pings at any hour
LONG_LIMIT = timedelta(days=1)  # its reminders wait, whatever the grade

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class WorkingHours:
    start: time
    end: time
    calendar: WorkingCalendar
    tz: ZoneInfo

    def is_working(self, at: datetime) -> bool:
        local = at.astimezone(self.tz)
        return self.calendar.is_workday(local.date()) and self.start <= local.time() < self.end

    def next_start(self, at: datetime) -> datetime:
        """`at` itself within working hours, else the start of the next working day (after
        a holiday of nine days, the first day back)."""
        if self.is_working(at):
            return at
        local = at.astimezone(self.tz)
        day = local.date()
        if local.time() >= self.start:
            day += timedelta(days=1)
        return datetime.combine(self.calendar.next_workday(day), self.start, tzinfo=self.tz)

    def next_morning(self, at: datetime) -> datetime:
        """The start of the next working day after `at` (today's, if it has not begun)."""
        local = at.astimezone(self.tz)
        day = local.date()
        if local.time() >= self.start or not self.calendar.is_workday(day):
            day = self.calendar.next_workday(day + timedelta(days=1))
        return datetime.combine(day, self.start, tzinfo=self.tz)


SNOOZE_HOUR = timedelta(hours=1)


def can_wait(grade: Grade, limit: timedelta, kind: PingKind) -> bool:
    """Whether a ping of this kind, for a step with this limit, waits for working hours."""
    if limit <= SHORT_LIMIT:
        return False
    if grade is Grade.C:
        return True
    return limit >= LONG_LIMIT and kind is PingKind.REMINDER
