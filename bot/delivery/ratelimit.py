"""The bot's rate limiter: the handlers' answers go at once, the outbox keeps the pace.

PTB's AIORateLimiter makes every call wait its turn in one queue, and a 429 in one chat
halts every request for its retry_after. Here:

- the outbox's calls (marked OUTBOX) pass straight through: each chat's lane has already
  waited for its turn (bot.delivery.pacing);
- an answer to a person's own action (the next intake question, a button's answer) takes
  the next place Telegram's limits give, before any notification (the lanes let it
  pass), and is counted in the pacing; a 429 makes only that call wait and try again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.delivery.pacing import Pacing

OUTBOX = "outbox"  # rate_limit_args of the sender's calls

Result = bool | dict[str, Any] | list[dict[str, Any]]


class KesuRateLimiter(BaseRateLimiter[str]):
    def __init__(self, pacing: Pacing, max_retries: int = 3) -> None:
        self.pacing = pacing
        self.max_retries = max_retries

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
