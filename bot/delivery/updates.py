"""How updates are taken: different people's at once, one person's in order.

PTB handles one update at a time unless told otherwise; then fifty people pressing at
once wait for each other, each for a database round trip. Taken all at once, one
person's two quick answers could overtake each other, and a conversation's state is
kept per person. So updates run concurrently across people and in order for each person
(or each chat, for what has no person). The database work itself stays in order on the
database thread (bot/services/uow.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# Updates handled at once, at most: more wait their turn (PTB queues them). Fifty at
# once shared the Bot API's answers among themselves and all finished late; eight made
# answers wait for a slot during a burst; sixteen measured best (BENCHMARKS.md, issue 22).
CONCURRENT = 16


class PerPersonUpdates(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = CONCURRENT) -> None:
        super().__init__(max_concurrent_updates)
        self._turns: dict[int, asyncio.Lock] = {}
        self._queued: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _whose(update)
        if key is None:
            await coroutine
            return
        self._queued[key] = self._queued.get(key, 0) + 1
        turn = self._turns.setdefault(key, asyncio.Lock())
        try:
            async with turn:
                await coroutine
        finally:
            self._queued[key] -= 1
            if not self._queued[key]:  # nobody else waits: forget the person
                del self._queued[key], self._turns[key]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def _whose(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return None
