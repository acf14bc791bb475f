"""A flood costs the flooder: each person's presses and messages are paced.

A token bucket per person: BURST actions at once (an album of ten photos, a few quick
taps), then PER_SECOND more each second. What comes faster is answered at once without
touching the database, so a stranger pressing a card six hundred times in three seconds
takes nothing from the others. Plain Python with an injected clock, for the tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

BURST = 20
PER_SECOND = 4.0
FORGET_AFTER = 10_000  # people remembered before the idle ones are let go


@dataclass
class _Bucket:
    tokens: float
    at: float
    warned: bool = False


class Throttle:
    def __init__(
        self,
        burst: int = BURST,
        per_second: float = PER_SECOND,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.burst, self.per_second, self.clock = burst, per_second, clock
        self._buckets: dict[int, _Bucket] = {}

    def allow(self, who: int) -> bool:
        """Whether this person's next action is taken now."""
        now = self.clock()
        bucket = self._buckets.get(who)
        if bucket is None:
            if len(self._buckets) >= FORGET_AFTER:
                self._forget_idle(now)
            bucket = self._buckets[who] = _Bucket(float(self.burst), now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.per_second)
        bucket.at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            bucket.warned = False
            return True
        return False

    def first_refusal(self, who: int) -> bool:
        """True once per run of refusals: the person is told once, not at every press."""
        bucket = self._buckets.get(who)
        if bucket is None or bucket.warned:
            return False
        bucket.warned = True
        return True

    def _forget_idle(self, now: float) -> None:
        full = self.burst / self.per_second
        for who in [w for w, b in self._buckets.items() if now - b.at >= full]:
            del self._buckets[who]
