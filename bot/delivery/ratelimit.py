"""The bot's rate limiter: the handlers' answers go at once, the outbox keeps the pace.

PTB's AIORateLimiter makes every call wait its turn in one queue, and a 429 in one chat
halts every request for its retry_after. Here:

- the outbox's calls (marked OUTBOX) pass straight through: each chat's lane has already
  waited for its turn (bot.delivery.pacing);
- an answer to a person's own action (the next intake question, a button's answer) takes
  the next place Telegram's limits give, before any notification (the lanes let it
  pass), and is counted in the pacing; a 429 makes only that call wait and try again;
- answers go out in the order they were made, only as many at once as keep Telegram's
  pace (AnswerGate): fifty sent together share the Bot API's answers and all arrive late,
  where in order the first arrive first.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.delivery.pacing import Pacing

OUTBOX = "outbox"  # rate_limit_args of the sender's calls

Result = bool | dict[str, Any] | list[dict[str, Any]]


# Answers on their way at once: at least two (one waits for its reply while the next is
# sent), at most sixteen, as many as the updates handled at once.
FEWEST_AT_ONCE = 2
MOST_AT_ONCE = 16
ROUND_TRIPS_KEPT = 32  # the quickest of the last 32 answers is the network's own time


class AnswerGate:
    """Answers to people leave in the order they were made, as many at once as Telegram's
    30 a second needs over the network's round trip (Little's law: in flight = rate × round
    trip), twice that for its jitter. More at once only share the Bot API's time: each
    arrives later, none sooner. The round trip is the quickest of the last few answers,
    the network's own time rather than a queue's; until one is known, MOST_AT_ONCE."""

    def __init__(self, per_second: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_second = per_second
        self.clock = clock
        self._round_trips: deque[float] = deque(maxlen=ROUND_TRIPS_KEPT)
        self._on_their_way = 0
        self._waiting: deque[asyncio.Future[None]] = deque()

    def at_once(self) -> int:
        if not self._round_trips:
            return MOST_AT_ONCE
        needed = math.ceil(self.per_second * min(self._round_trips) * 2)
        return max(FEWEST_AT_ONCE, min(MOST_AT_ONCE, needed))

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        if self._waiting or self._on_their_way >= self.at_once():
            place = asyncio.get_running_loop().create_future()
            self._waiting.append(place)
            try:
                await place
            except asyncio.CancelledError:
                if place.done() and not place.cancelled():
                    self._next()  # given the turn as it was cancelled: pass it on
                else:
                    self._waiting.remove(place)
                raise
        else:
            self._on_their_way += 1
        began = self.clock()
        try:
            yield
            self._round_trips.append(self.clock() - began)
        finally:
            self._next()

    def _next(self) -> None:
        self._on_their_way -= 1
        while self._waiting and self._on_their_way < self.at_once():
            place = self._waiting.popleft()
            if not place.done():  # not cancelled meanwhile
                self._on_their_way += 1
                place.set_result(None)


class KesuRateLimiter(BaseRateLimiter[str]):
    def __init__(self, pacing: Pacing, max_retries: int = 3) -> None:
        self.pacing = pacing
        self.max_retries = max_retries
        seconds, count = pacing.limits.overall
        self.gate = AnswerGate(count / seconds)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: str | None,
    ) -> Result:
        chat_id = data.get("chat_id")
        edit = endpoint.startswith("edit")
        # An answer's chat is paced here; the outbox's calls were paced by their lane.
        paced = chat_id if rate_limit_args != OUTBOX and isinstance(chat_id, int) else None
        place: float | None = None
        if paced is not None:
            # The next place in all is the answer's, before any lane's; at 30 a second in
            # all it comes within 35 ms.
            self.pacing.answers_waiting += 1
            try:
                while (turn := self.pacing.answer_wait(paced, edit=edit)) > 0:
                    await asyncio.sleep(turn)
            finally:
                self.pacing.answers_waiting -= 1
            place = self.pacing.take(paced, edit=edit)
        for attempt in range(self.max_retries + 1):
            try:
                if paced is None:
                    return await callback(*args, **kwargs)
                async with self.gate.turn():
                    return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if paced is not None and place is not None:
                    self.pacing.give_back(paced, place, edit=edit)  # not counted there
                    place = None
                if rate_limit_args == OUTBOX or attempt == self.max_retries:
                    raise  # the outbox records it and retries the row itself
                wait = exc.retry_after
                seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
                await asyncio.sleep(seconds + 0.1)
                if paced is not None:
                    place = self.pacing.take(paced, edit=edit)  # the try again counts
        raise AssertionError("unreachable")  # the loop returns or raises
