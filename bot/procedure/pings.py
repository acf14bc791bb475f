"""Reminders before a time limit runs out, and escalation after it.

A step's pings form one sequence: reminders at fractions of the limit (half
and 90 percent by default), then the overdue notice at the limit, then an
escalation every interval until the step is done. The database keeps how many
were sent; whatever fell due while the bot was down is sent once, the latest
only, marked late.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class PingKind(StrEnum):
    REMINDER = "reminder"
    OVERDUE = "overdue"  # at the limit: owner told, leading VP escalated to
    ESCALATION = "escalation"  # every interval after the limit


@dataclass(frozen=True)
class PingPolicy:
    fractions: tuple[float, ...] = (0.5, 0.9)
    repeat: timedelta = timedelta(hours=1)
    # A ping this much after its time was held up (the bot was down), not just busy.
    late_after: timedelta = timedelta(seconds=5)


@dataclass(frozen=True)
class Ping:
    index: int
    kind: PingKind
    at: datetime  # when it was meant to go out
    late: bool


def ping_time(opened_at: datetime, due_at: datetime, index: int, policy: PingPolicy) -> datetime:
    reminders = len(policy.fractions)
    if index < reminders:
        return opened_at + (due_at - opened_at) * policy.fractions[index]
    return due_at + policy.repeat * (index - reminders)


def kind_of(index: int, policy: PingPolicy) -> PingKind:
    reminders = len(policy.fractions)
    if index < reminders:
        return PingKind.REMINDER
    return PingKind.OVERDUE if index == reminders else PingKind.ESCALATION


def due_ping(
    opened_at: datetime, due_at: datetime, sent: int, now: datetime, policy: PingPolicy
) -> Ping | None:
    """The ping to send now, if one is due: the latest one, earlier missed ones dropped."""
    if ping_time(opened_at, due_at, sent, policy) > now:
        return None
    index = sent
    while ping_time(opened_at, due_at, index + 1, policy) <= now:
        index += 1
    at = ping_time(opened_at, due_at, index, policy)
    # Late means held up while the bot was down. A step that opened already past
    # its time (a complaint filed two days after the customer found the problem)
    # is told at once, and that is not late.
    late = now - max(at, opened_at) > policy.late_after
    return Ping(index, kind_of(index, policy), at, late=late)


def next_ping_at(opened_at: datetime, due_at: datetime, sent: int, policy: PingPolicy) -> datetime:
    return ping_time(opened_at, due_at, sent, policy)
