"""Digests and boards: at most one new message per chat per escalation interval.

Pings do not fall due together (limits count from receipt, filing or discovery), so each
ping that falls due for a chat waits in the chat's queue; the chat gets one message
when its interval since the last one has passed: the ping alone if it is the only
one, else a digest of all that waited. A chat that heard nothing for an interval hears
at once. The first escalation of a grade A complaint to the GM does not wait. A chat
hears at most a number of reminder messages a day; the rest wait for the next day,
while its board shows them, except a step newly overdue for a VP or the GM.

A board is one message per chat (each leading VP's, the GM's, each department
group's), edited in place as steps move: the current picture, silent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.procedure.grading import Grade
from bot.procedure.pings import PingKind

GRADE_ORDER = {Grade.A: 0, Grade.B: 1, Grade.C: 2}
# A digest names this many steps with a button each; the rest are on the board.
DIGEST_BUTTONS = 8
# A digest's text names at most this many steps (Telegram's 4096 characters).
DIGEST_LISTED = 30
# A board names the most overdue steps, this many.
BOARD_NAMED = 5
# "Due soon" on a board: within this of its limit.
DUE_SOON = timedelta(hours=24)


def send_at(
    last_sent: datetime | None, interval: timedelta, may_go: Iterable[datetime]
) -> datetime | None:
    """When the chat's next reminder message may go: the earliest waiting ping's time,
    but not within an interval of the last one. None when nothing waits."""
    earliest = min(may_go, default=None)
    if earliest is None:
        return None
    if last_sent is None:
        return earliest
    return max(earliest, last_sent + interval)


def within_the_day(
    turn: datetime,
    sent_today: int,
    most_a_day: int | None,
    next_day: datetime,
    *,
    newly_overdue: bool = False,
) -> datetime:
    """A chat that has heard its day's most reminder messages hears the rest the next
    day (its board shows them at once), unless a step newly overdue waits for a VP or
    the GM: that is named within the hour whatever the count. `next_day`: when the
    company's next day begins. None: no most."""
    if newly_overdue or most_a_day is None or sent_today < most_a_day or turn >= next_day:
        return turn
    return next_day


@dataclass(frozen=True)
class Waiting:
    """A step named in a digest or on a board."""

    step_id: int
    grade: Grade
    due_at: datetime | None
    kind: PingKind | None = None


def lateness(item: Waiting, now: datetime) -> timedelta:
    """How late the step is now (negative: time left)."""
    if item.due_at is None:
        return timedelta.min
    return now - item.due_at


def ordered(items: Iterable[Waiting], now: datetime) -> list[Waiting]:
    """By grade (A first), then the latest first."""
    return sorted(items, key=lambda w: (GRADE_ORDER[w.grade], -_seconds(lateness(w, now))))


def _seconds(span: timedelta) -> float:
    return span.total_seconds() if span != timedelta.min else float("-inf")


def goes_alone(grade: Grade, kind: PingKind, to_gm: bool, gm_told_before: bool) -> bool:
    """The first escalation of a grade A complaint to the GM is its own message, at once;
    its repeats join the GM's digest."""
    escalated = kind in (PingKind.OVERDUE, PingKind.ESCALATION)
    return grade is Grade.A and escalated and to_gm and not gm_told_before
