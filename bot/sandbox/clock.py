"""The sandbox's clock: the wall clock plus an offset that only the page moves.

Kesu reads it like any `Clock`; the scheduler plans its jobs as delays from it,
so a jump forward is followed by `Delivery.fire_due` and `Delivery.rebuild`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class SandboxClock:
    def __init__(self) -> None:
        self._offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def set(self, when: datetime) -> None:
        """Put the clock at `when` (the demo data is written in the past this way)."""
        if when.tzinfo is None:
            raise ValueError("the sandbox clock needs an aware datetime")
        self._offset = when - datetime.now(UTC)

    def advance(self, delta: timedelta) -> None:
        if delta < timedelta(0):
            raise ValueError("time only moves forward")
        self._offset += delta

    @property
    def ahead_by(self) -> timedelta:
        return self._offset
