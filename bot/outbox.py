"""The sender: delivers outbox rows committed by state changes.

Network errors, 5xx and 429 are retried (429 after retry_after) with backoff;
400 and 403 are final: the row is marked failed and the admins are told. A row
claimed but not confirmed when the process died is sent again at start-up
(at-least-once: the window is one HTTP round trip).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)

from bot.config import KesuConfig
from bot.events import Actor, log_event
from bot.notify import enqueue_admin_alert
from bot.procedure.clock import Clock
from storage import queries
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(minutes=30)
SENDER = Actor(None, None, "sender")


def markup(payload: dict[str, Any]) -> InlineKeyboardMarkup | None:
    rows = payload.get("keyboard")
    if not rows:
        return None
    # Rows of [label, callback data], as bot.keyboards makes them.
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


async def send_row(bot: Bot, row: OutboxMessage, target: int | None = None) -> int:
    """Send one row; returns Telegram's message id. `target`: the message an edit changes."""
    payload = row.payload
    if row.method == "edit":
        assert target is not None
        try:
            await bot.edit_message_text(
                payload["text"],
                chat_id=row.chat_id,
                message_id=target,
                parse_mode=ParseMode.HTML,
                reply_markup=markup(payload),
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                raise
        return target
    if row.method == "message":
        message = await bot.send_message(
            row.chat_id,
            payload["text"],
            parse_mode=ParseMode.HTML,
            reply_markup=markup(payload),
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )
    elif row.method == "photo":
        message = await bot.send_photo(
            row.chat_id,
            payload["file_id"],
            caption=payload.get("caption"),
            parse_mode=ParseMode.HTML,
        )
    elif row.method == "document":
        message = await bot.send_document(
            row.chat_id,
            payload["file_id"],
            caption=payload.get("caption"),
            parse_mode=ParseMode.HTML,
        )
    else:
        raise ValueError(f"unknown outbox method {row.method!r}")
    return message.message_id


class OutboxSender:
    def __init__(
        self, bot: Bot, sessions: sessionmaker[Session], config: KesuConfig, clock: Clock
    ) -> None:
        self.bot = bot
        self.sessions = sessions
        self.config = config
        self.clock = clock
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def poke(self) -> None:
        """Called after a commit that added rows: send now rather than at the next poll."""
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="kesu-outbox")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self.deliver_due()
            except asyncio.CancelledError:
                raise
            except Exception:  # keep the sender alive; the rows stay in the database
                log.exception("outbox pass failed")
            await self._sleep_until_next()

    async def _sleep_until_next(self) -> None:
        timeout = self.config.outbox.poll_seconds
        with self.sessions() as session:
            due = queries.next_outbox_due(session)
        if due is not None:
            timeout = max(0.05, min(timeout, (due - self.clock.now()).total_seconds()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)
        self._wake.clear()

    async def deliver_due(self) -> int:
        """One pass over the unsent rows; keeps each chat's order. Returns rows sent."""
        now = self.clock.now()
        with self.sessions() as session:
            rows = [(r.id, r.chat_id, r.next_attempt_at) for r in queries.unsent_outbox(session)]
        held: set[int] = set()  # chats with an earlier row still waiting
        sent = 0
        for row_id, chat_id, next_attempt_at in rows:
            if chat_id in held:
                continue
            if next_attempt_at > now:
                held.add(chat_id)
                continue
            outcome = await self._deliver(row_id)
            if outcome == "sent":
                sent += 1
            elif outcome == "retry":
                held.add(chat_id)
        return sent

    async def _deliver(self, row_id: int) -> str:
        # No transaction stays open across the network call: claim, send, record.
        with self.sessions.begin() as session:
            if not queries.claim_outbox(session, row_id, self.clock.now()):
                return "skipped"
            claimed = session.get(OutboxMessage, row_id)
            assert claimed is not None
            target: int | None = None
            if claimed.method == "edit":
                card = session.get(OutboxMessage, claimed.payload["edit_of"])
                if card is None or card.status == queries.FAILED:
                    claimed.status = queries.FAILED  # the card never arrived: nothing to edit
                    claimed.last_error = "card was not delivered"
                    return "failed"
                if card.message_id is None:  # the card is still on its way
                    self._retry(claimed, "card not sent yet", timedelta(seconds=1))
                    return "retry"
                target = card.message_id
        error: Exception | None = None
        message_id = None
        try:
            message_id = await send_row(self.bot, claimed, target)
        except (NetworkError, Forbidden, ChatMigrated, InvalidToken, RetryAfter) as exc:
            error = exc
        except Exception as exc:  # a row that can never be sent must not block the others
            log.exception("outbox %s cannot be sent", row_id)
            error = BadRequest(f"unsendable row: {exc}")
        with self.sessions.begin() as session:
            row = session.get(OutboxMessage, row_id)
            assert row is not None
            if error is None:
                row.status = queries.SENT
                row.sent_at = self.clock.now()
                row.message_id = message_id
                row.last_error = None
                return "sent"
            if isinstance(error, RetryAfter):
                wait = error.retry_after
                seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
                self._retry(row, f"429 retry after {seconds}s", timedelta(seconds=seconds))
            elif isinstance(error, BadRequest | Forbidden | ChatMigrated | InvalidToken):
                self._fail(session, row, error)
            elif row.attempts >= self.config.outbox.max_attempts:
                self._fail(session, row, error)  # timeouts, 5xx, connection errors
            else:
                self._retry(row, str(error), self._backoff(row.attempts))
            return "failed" if row.status == queries.FAILED else "retry"

    def _backoff(self, attempts: int) -> timedelta:
        first = self.config.outbox.first_backoff_seconds
        return min(MAX_BACKOFF, timedelta(seconds=first * 2 ** max(0, attempts - 1)))

    def _retry(self, row: OutboxMessage, error: str, delay: timedelta) -> None:
        row.status = queries.PENDING
        row.last_error = error[:500]
        row.next_attempt_at = self.clock.now() + delay
        log.warning("outbox %s to %s: %s; retrying", row.id, row.chat_id, error)

    def _fail(self, session: Session, row: OutboxMessage, exc: Exception) -> None:
        row.status = queries.FAILED
        row.last_error = f"{type(exc).__name__}: {exc}"[:500]
        log.error("outbox %s to %s failed: %s", row.id, row.chat_id, row.last_error)
        log_event(
            session,
            SENDER,
            "delivery_failed",
            self.clock.now(),
            row.complaint,
            chat=row.chat_id,
            purpose=row.purpose,
            error=row.last_error,
        )
        enqueue_admin_alert(session, self.config, row, self.clock.now())
        self.poke()
