"""The sender: delivers outbox rows committed by state changes.

Network errors, 5xx and 429 are retried (429 after retry_after) with backoff;
400 and 403 are final: the row is marked failed and the admins are told. A row
claimed but not confirmed when the process died is sent again at start-up
(at-least-once: the window is one HTTP round trip).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)

from bot.services.events import Actor, log_event
from bot.services.notices import alert_admins
from bot.services.uow import SENDER, Services
from storage import queries
from storage.models import DeliveryStatus, Method, OutboxMessage

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(minutes=30)
SENDER_ACTOR = Actor.of(SENDER, None)


def markup(payload: dict[str, Any]) -> InlineKeyboardMarkup | None:
    rows = payload.get("keyboard")
    if not rows:
        return None
    # Rows of [label, callback data], as bot.views.keyboards makes them.
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


async def send_row(bot: Bot, row: OutboxMessage, target: int | None = None) -> int:
    """Send one row; returns Telegram's message id. `target`: the message an edit changes."""
    payload = row.payload
    if row.method is Method.EDIT:
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
    if row.method is Method.MESSAGE:
        message = await bot.send_message(
            row.chat_id,
            payload["text"],
            parse_mode=ParseMode.HTML,
            reply_markup=markup(payload),
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )
    elif row.method in (Method.PHOTO, Method.DOCUMENT):
        send = bot.send_photo if row.method is Method.PHOTO else bot.send_document
        file: str | InputFile = payload.get("file_id", "")
        if "upload" in payload:  # a file Kesu made: uploaded from the row
            content = base64.b64decode(payload["upload"])
            file = InputFile(content, filename=payload.get("file_name"))
        message = await send(
            row.chat_id,
            file,
            caption=payload.get("caption"),
            parse_mode=ParseMode.HTML,
        )
    else:
        raise ValueError(f"unknown outbox method {row.method!r}")
    return message.message_id


class OutboxSender:
    """Delivers the outbox; its database work runs on Kesu's database thread."""

    def __init__(self, bot: Bot, services: Services) -> None:
        self.bot = bot
        self.services = services
        self.config = services.config
        self.clock = services.clock
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

    def _next_due(self) -> Any:
        with self.services.sessions() as session:
            return queries.next_outbox_due(session)

    async def _sleep_until_next(self) -> None:
        timeout = self.config.outbox.poll_seconds
        due = await self.services.db(self._next_due)
        if due is not None:
            timeout = max(0.05, min(timeout, (due - self.clock.now()).total_seconds()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)
        self._wake.clear()

    def _unsent(self) -> list[tuple[int, int, Any]]:
        with self.services.sessions() as session:
            rows = queries.unsent_outbox(session, self.clock.now())
            return [(r.id, r.chat_id, r.next_attempt_at) for r in rows]

    async def deliver_due(self) -> int:
        """One pass over the unsent rows; keeps each chat's order. Returns rows sent."""
        now = self.clock.now()
        rows = await self.services.db(self._unsent)
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

    def _claim(self, row_id: int) -> tuple[str, OutboxMessage | None, int | None]:
        """Claim a row to send: ("send", row, edit target) or ("skipped"|"failed"|"retry", ...)."""
        with self.services.sessions.begin() as session:
            if not queries.claim_outbox(session, row_id, self.clock.now()):
                return "skipped", None, None
            claimed = session.get(OutboxMessage, row_id)
            assert claimed is not None
            target: int | None = None
            if claimed.method is Method.EDIT:
                card = session.get(OutboxMessage, claimed.payload["edit_of"])
                if card is None or card.status == DeliveryStatus.FAILED:
                    claimed.status = DeliveryStatus.FAILED  # the card never arrived
                    claimed.last_error = "card was not delivered"
                    return "failed", None, None
                if card.message_id is None:  # the card is still on its way
                    self._retry(claimed, "card not sent yet", timedelta(seconds=1))
                    return "retry", None, None
                target = card.message_id
            return "send", claimed, target

    def _record(self, row_id: int, message_id: int | None, error: Exception | None) -> str:
        with self.services.sessions.begin() as session:
            row = session.get(OutboxMessage, row_id)
            assert row is not None
            if error is None:
                row.status = DeliveryStatus.SENT
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
            return "failed" if row.status == DeliveryStatus.FAILED else "retry"

    async def _deliver(self, row_id: int) -> str:
        # No transaction stays open across the network call: claim, send, record.
        state, claimed, target = await self.services.db(self._claim, row_id)
        if state != "send":
            return state
        assert claimed is not None
        error: Exception | None = None
        message_id = None
        try:
            message_id = await send_row(self.bot, claimed, target)
        except (NetworkError, Forbidden, ChatMigrated, InvalidToken, RetryAfter) as exc:
            error = exc
        except Exception as exc:  # a row that can never be sent must not block the others
            log.exception("outbox %s cannot be sent", row_id)
            error = BadRequest(f"unsendable row: {exc}")
        outcome = await self.services.db(self._record, row_id, message_id, error)
        if outcome == "failed":
            self.poke()  # the admins' alert
        return outcome

    def _backoff(self, attempts: int) -> timedelta:
        first = self.config.outbox.first_backoff_seconds
        return min(MAX_BACKOFF, timedelta(seconds=first * 2 ** max(0, attempts - 1)))

    def _retry(self, row: OutboxMessage, error: str, delay: timedelta) -> None:
        row.status = DeliveryStatus.PENDING
        row.last_error = error[:500]
        row.next_attempt_at = self.clock.now() + delay
        log.warning("outbox %s to %s: %s; retrying", row.id, row.chat_id, error)

    def _fail(self, session: Session, row: OutboxMessage, exc: Exception) -> None:
        row.status = DeliveryStatus.FAILED
        row.last_error = f"{type(exc).__name__}: {exc}"[:500]
        log.error("outbox %s to %s failed: %s", row.id, row.chat_id, row.last_error)
        log_event(
            session,
            SENDER_ACTOR,
            "delivery_failed",
            self.clock.now(),
            row.complaint,
            chat=row.chat_id,
            purpose=row.purpose.value,
            error=row.last_error,
        )
        alert_admins(session, self.config, row, self.clock.now())
