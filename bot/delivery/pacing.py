"""Telegram's sending limits, kept by the sender itself so that no chat waits for another.

Telegram allows a bot about 30 messages a second in all, 20 a minute in one group and
about one a second in one private chat, with short bursts; past them it answers 429.
Editing a message sent before (a task card brought up to date) is not a new message in
the chat: it counts in all, not in the chat's 20 a minute. PTB's AIORateLimiter
keeps the first two by making the call wait, which stops a sender that delivers one row
at a time: a group at its 20 a minute held up every other chat, escalations included.
Here each chat's lane asks `wait` before it sends and sleeps only itself.

The answers to people's own actions (sent by the handlers, outside the outbox) go at
once and are counted here too, so that the lanes make room for them
(bot.delivery.ratelimit). Each window is kept with a small margin: Telegram counts a
message when it arrives, a moment after it is counted here.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Sends allowed per window: (seconds, count)."""

    overall: tuple[float, int] = (1.0, 30)
    group: tuple[float, int] = (60.0, 20)
    # One a second, as Telegram documents, with the short bursts it tolerates: three
    # at once, then one a second (three in any three seconds). A reply and its card go
    # together; a flood of notices to one person goes at one a second, not three.
    private: tuple[float, int] = (3.0, 3)


TELEGRAM = Limits()


def is_group(chat_id: int) -> bool:
    """Groups, supergroups and channels have negative ids; people positive ones."""
    return chat_id < 0


class Pacing:
    """Sliding windows of the sends made: overall, and per chat."""

    def __init__(
        self, limits: Limits = TELEGRAM, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits
        self.clock = clock
        self._overall: deque[float] = deque()
        self._chats: dict[int, deque[float]] = {}
        self.answers_waiting = 0  # answers to people waiting for a place in all
        self._last_answer = -RESERVE_FOR  # when an answer to a person last went

    def wait(self, chat_id: int, *, edit: bool = False) -> float:
        """Seconds until a message to this chat keeps every limit (0: now). An edit of a
        message sent before counts in all, not in the chat's own messages. While an answer
        to a person waits, the lanes let it have the next place."""
        now = self.clock()
        seconds, count = self.limits.overall
        if now - self._last_answer < RESERVE_FOR:
            count = max(1, count - RESERVED)  # people are answering: keep places for them
        overall = _wait(self._overall, (seconds, count), now)
        if self.answers_waiting:
            overall = max(overall, YIELD)
        if edit:
            return overall
        window = self.limits.group if is_group(chat_id) else self.limits.private
        margin = MARGIN if is_group(chat_id) else PRIVATE_MARGIN
        return max(overall, _wait(self._chats.get(chat_id, deque()), window, now, margin))

    def answer_wait(self, chat_id: int, *, edit: bool = False) -> float:
        """An answer to a person's own action: the next place in all (before any lane),
        and its private chat's window. In a group only the place in all: a group's 20 a
        minute may be taken by notices for a minute, too long for an answer to wait."""
        now = self.clock()
        self._last_answer = now
        overall = _wait(self._overall, self.limits.overall, now)
        if edit or is_group(chat_id):
            return overall
        private = self._chats.get(chat_id, deque())
        return max(overall, _wait(private, self.limits.private, now, PRIVATE_MARGIN))

    def take(self, chat_id: int, *, edit: bool = False) -> float:
        """A message (or an edit) goes to this chat now; returns its place (a stamp)."""
        now = self.clock()
        self._overall.append(now)
        if not edit:
            self._chats.setdefault(chat_id, deque()).append(now)
        return now

    def give_back(self, chat_id: int, stamp: float, *, edit: bool = False) -> None:
        """Telegram refused the message with a 429: it did not count there, so it does
        not count here. Kept, it would hold the chat a whole window longer (a group's
        retry waited a minute for its own refused try)."""
        with contextlib.suppress(ValueError):
            self._overall.remove(stamp)
        if not edit:
            with contextlib.suppress(ValueError, KeyError):
                self._chats[chat_id].remove(stamp)

    def forget(self) -> None:
        """Forget every send counted (the sandbox's past, delivered with the limits lifted)."""
        self._overall.clear()
        self._chats.clear()

    def forget_idle(self) -> None:
        """Drop the windows of chats with nothing in them (a long run sees many chats)."""
        now = self.clock()
        for chat_id in list(self._chats):
            window = self.limits.group if is_group(chat_id) else self.limits.private
            sends = self._chats[chat_id]
            _expire(sends, window[0] + PRIVATE_MARGIN, now)
            if not sends:
                del self._chats[chat_id]


def _expire(sends: deque[float], seconds: float, now: float) -> None:
    while sends and sends[0] <= now - seconds:
        sends.popleft()


MARGIN = 0.03  # seconds added to each window: the network's jitter (0.02 met 429s, bench/burst.py)
# A private chat's window is three seconds, and a refused send there costs a whole
# second's retry: a wider margin (0.03 met a 429 in bench/burst.py; 3 % slower).
PRIVATE_MARGIN = 0.1
YIELD = 0.005  # a lane's look-again while an answer to a person takes the next place
# While people are answering (an answer went in the last RESERVE_FOR seconds), the
# lanes leave RESERVED places of the 30 a second to them: at full pace the lanes take
# their places in clumps, and an answer that found the window full would wait for the
# next clump to age, up to a second. A burst with nobody answering keeps all 30.
RESERVED = 6
RESERVE_FOR = 10.0


def _wait(
    sends: deque[float], limit: tuple[float, int], now: float, margin: float = MARGIN
) -> float:
    seconds, count = limit
    _expire(sends, seconds + margin, now)
    if len(sends) < count:
        return 0.0
    return sends[-count] + seconds + margin - now


async def nap(wake: asyncio.Event, seconds: float) -> None:
    """Sleep until poked or `seconds` have passed, whichever comes first (the sender's and
    the keeper's loops). asyncio.timeout, not wait_for: wait_for's inner task could miss
    a cancel that came as a poke woke it (Python 3.11), and stop() would wait for ever."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await wake.wait()
    wake.clear()
