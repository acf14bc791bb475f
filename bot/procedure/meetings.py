"""The quality meetings: the special meeting of one complaint (《质量问题专项会议》,
step 8: when and where, the reminder before it, the minutes (会议纪要) that complete
the step), and the weekly quality analysis meeting (质量分析会议, section 5: every
seven days at a set time, its agenda the day before, its minutes linked to the
complaints they name)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from enum import StrEnum


def N_(message: str) -> str:
    return message


class MeetingKind(StrEnum):
    SPECIAL = "special"  # step 8, for one complaint
    WEEKLY = "weekly"  # the quality analysis meeting every seven days, organised by production


AGENDA_BEFORE = timedelta(days=1)  # the agenda goes out the day before
_NUMBER = re.compile(r"KS-[0-9]{4}-[0-9]{4,9}", re.I)


REMIND_BEFORE = timedelta(minutes=30)

_DAYS = {"今天": 0, "today": 0, "明天": 1, "tomorrow": 1, "后天": 2}
_WHEN_WHERE = re.compile(
    r"^\s*(?:(?P<day>今天|明天|后天|today|tomorrow)\s*)?"
    r"(?:(?:(?P<year>\d{4})-)?(?P<month>\d{1,2})-(?P<dom>\d{1,2})\s*)?"
    r"(?P<hour>\d{1,2})[:：](?P<minute>\d{2})\s*(?P<place>.*?)\s*$",
    re.S | re.I,
)

WHEN_WHERE_EXAMPLE = N_("Give the time and the place, like: 明天 14:00 三楼会议室")
IN_THE_PAST = N_("That time has passed: give a time still to come.")


class MeetingError(ValueError):
    """Why a time and place cannot be taken; the message id of a one-line reason."""


def parse_when_where(text: str, now: datetime) -> tuple[datetime, str]:
    """ "明天 14:00 三楼会议室", "14:00 会议室", "2026-11-27 9:30 厂部" in `now`'s zone.

    A time without a day is today's; the place is what follows the time.
    """
    found = _WHEN_WHERE.match(text or "")
    if found is None or not found["place"]:
        raise MeetingError(WHEN_WHERE_EXAMPLE)
    day = now.date() + timedelta(days=_DAYS.get((found["day"] or "").lower(), 0))
    try:
        if found["month"]:
            day = date(int(found["year"] or now.year), int(found["month"]), int(found["dom"]))
        at = datetime.combine(day, time(int(found["hour"]), int(found["minute"])), now.tzinfo)
    except ValueError as exc:
        raise MeetingError(WHEN_WHERE_EXAMPLE) from exc
    if at <= now:
        raise MeetingError(IN_THE_PAST)
    return at, found["place"][:200]


def named_complaints(text: str) -> list[str]:
    """The complaint numbers a text names ("KS-2026-0001"), once each, in order: the
    decisions of a weekly meeting are linked to the complaints they concern."""
    seen: dict[str, None] = {}
    for found in _NUMBER.findall(text or ""):
        seen.setdefault(found.upper(), None)
    return list(seen)
