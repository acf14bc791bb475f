"""The sender: delivers outbox rows committed by state changes.

Each chat has a lane of its own: its rows go in order, one at a time, while other
chats' lanes go at their own pace (bot.delivery.pacing keeps Telegram's limits), so a
group at its 20 messages a minute holds up no one else. When a chat is at its limit,
escalations and task cards go before information copies.

Network errors, 5xx and 429 are retried (429 after retry_after) with backoff, and the
chat's later rows wait behind the row retried; 400 and 403 are final: the row is marked
failed and the admins are told. A row claimed but not confirmed when the process died
is sent again at start-up (at-least-once: the window is one HTTP round trip).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session
from telegram import (
    Bot,
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
    TelegramError,
)
from telegram.ext import ExtBot

from bot.delivery.pacing import Pacing, nap
from bot.delivery.ratelimit import OUTBOX
from bot.markup import inline
from bot.services import boards, company, digests, files
from bot.services.events import Actor, log_event
from bot.services.files import KeptContent
from bot.services.notices import alert_admins
from bot.services.uow import SENDER, Services
from storage import queries
from storage.files import FileStore
from storage.models import DeliveryStatus, Method, OutboxMessage, Purpose

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(minutes=30)
SENDER_ACTOR = Actor.of(SENDER, None)
# What goes first when a chat is at its limit: what asks someone to act now (reminders,
# escalations, task cards and their edits, reports to the GM, the admins' alerts);
# copies for information (cards, results, digests, summaries) after.
# A lane waiting for its chat's window looks again after this at most.
RELOOK_SECONDS = 5.0
# A row whose turn comes within this is claimed now and waits claimed: the database's
# round trip is made while waiting, not after the turn came (at 30 messages a second the
# turns come every 33 ms). Longer waits (a group's 20 a minute) look again instead, so an
# escalation that comes meanwhile still goes first.
CLAIM_AHEAD = 0.5
# How long a stop waits for sends already on the wire to be answered and recorded.
STOP_GRACE = 10.0
BOARDS = frozenset({Purpose.BOARD, Purpose.BOARD_EDIT})
# A reminder message that waited longer than this for its chat's turn is said again as
# it goes: "overdue by less than a minute" must not arrive minutes late.
RESTATE_AFTER = timedelta(seconds=30)
URGENT = frozenset(
    {Purpose.PING, Purpose.TASK, Purpose.TASK_EDIT, Purpose.SPECIAL_REPORT, Purpose.ADMIN}
)


def gone(error: Exception) -> bool:
    """Telegram no longer has the message (someone deleted it)."""
    return isinstance(error, BadRequest) and "not found" in str(error).lower()


def markup(payload: dict[str, Any]) -> InlineKeyboardMarkup | None:
    # Rows of [label, data], as bot.views.keyboards makes them.
    return inline(payload.get("keyboard"))


async def send_row(
    bot: Bot, row: OutboxMessage, target: int | None = None, kept: KeptContent | None = None
) -> int:
    """Send one row; returns Telegram's message id. `target`: the message an edit changes;
    `kept`: the file from Kesu's store, for a file id Telegram no longer knows."""
    payload = row.payload
    # Through the application's bot, the rate limiter lets the lane's call pass at once.
    limited = isinstance(bot, ExtBot) and bot.rate_limiter is not None
    paced: dict[str, Any] = {"rate_limit_args": OUTBOX} if limited else {}
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
                **paced,
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
            **paced,
        )
    elif row.method in (Method.PHOTO, Method.DOCUMENT):
        send = bot.send_photo if row.method is Method.PHOTO else bot.send_document
        file: str | InputFile = payload.get("file_id", "")
        if "upload" in payload:  # a file Kesu made: uploaded from the row
            content = base64.b64decode(payload["upload"])
            file = InputFile(content, filename=payload.get("file_name"))
        elif kept is not None:
            file = InputFile(kept.content, filename=kept.file_name)
        message = await send(
            row.chat_id,
            file,
            caption=payload.get("caption"),
            parse_mode=ParseMode.HTML,
            **paced,
        )
    else:
        raise ValueError(f"unknown outbox method {row.method!r}")
    return message.message_id


class OutboxSender:
    """Delivers the outbox; its database work runs on Kesu's database thread."""

    def __init__(self, bot: Bot, services: Services, pacing: Pacing | None = None) -> None:
        self.bot = bot
        self.services = services
        self.config = services.config
        self.clock = services.clock
        self.pacing = pacing or Pacing()
        self.store = FileStore(services.config.files.store)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._lanes: dict[int, asyncio.Task[int]] = {}  # chat id -> its lane, while it runs
        self._sending: set[asyncio.Task[str]] = set()  # rows claimed and on their way
        # Told when a board is gone from its chat (bot.delivery.scheduler re-posts it).
        self.on_board_lost: Callable[[], None] | None = None

    def poke(self) -> None:
        """Called after a commit that added rows: send now rather than at the next poll."""
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="kesu-outbox")

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._lanes.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._sending:
            # A send cut off half-way would go again at the next start: let it end.
            done, late = await asyncio.wait(set(self._sending), timeout=STOP_GRACE)
            for send in late:
                send.cancel()
            for send in done:
                if not send.cancelled() and send.exception() is not None:
                    log.error("outbox send failed as Kesu stopped", exc_info=send.exception())
        self._task = None
        self._lanes.clear()

    async def _run(self) -> None:
        while True:
            try:
                await self._dispatch()
                self.pacing.forget_idle()
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
        due = await self.services.background(self._next_due)
        if due is not None:
            timeout = max(0.05, min(timeout, (due - self.clock.now()).total_seconds()))
        await nap(self._wake, timeout)

    def _chats(self) -> list[tuple[int, Any]]:
        with self.services.sessions() as session:
            return queries.chats_with_unsent(session, self.clock.now())

    async def deliver_due(self) -> int:
        """One pass over the unsent rows, each chat in its lane; waits for the lanes it
        started (the run loop does not). Returns rows sent."""
        return sum(await asyncio.gather(*await self._dispatch()))

    async def _dispatch(self) -> list[asyncio.Task[int]]:
        """Start a lane for every chat with a row due and no lane running."""
        now = self.clock.now()
        # The chat's earliest row decides: due, or waiting for a retry (the rest behind it).
        due = [
            chat_id
            for chat_id, next_attempt_at in await self.services.background(self._chats)
            if next_attempt_at <= now and chat_id not in self._lanes
        ]
        started = []
        for chat_id in due:
            lane = asyncio.get_running_loop().create_task(
                self._lane(chat_id), name=f"kesu-outbox-{chat_id}"
            )
            self._lanes[chat_id] = lane
            lane.add_done_callback(functools.partial(self._lane_done, chat_id))
            started.append(lane)
        return started

    def _lane_done(self, chat_id: int, _lane: asyncio.Task[int]) -> None:
        self._lanes.pop(chat_id, None)
        self.poke()  # rows may have come for the chat as its lane ended

    def _due_in(self, chat_id: int) -> list[tuple[int, Purpose, bool]]:
        """The chat's rows due now, in order, up to one waiting for a retry: (id, purpose,
        whether it edits a message Telegram has already)."""
        now = self.clock.now()
        with self.services.sessions() as session:
            rows = queries.unsent_outbox(session, now, chat_id=chat_id)
            due = []
            for row in rows:
                if row.next_attempt_at > now:
                    break  # the later rows wait behind it
                edit = row.method is Method.EDIT
                if edit:
                    # An edit of a card still on its way waits like a new message.
                    edit = queries.outbox_message_id(session, row.payload["edit_of"]) is not None
                due.append((row.id, row.purpose, edit))
            return due

    async def _lane(self, chat_id: int) -> int:
        """The chat's rows in order, each when the limits allow; rows that come while it
        runs join it. Returns rows sent."""
        try:
            return await self._lane_rows(chat_id)
        except Exception:  # the rows stay in the database; the next pass takes them
            log.exception("outbox lane of %s failed", chat_id)
            return 0

    async def _lane_rows(self, chat_id: int) -> int:
        sent = 0
        at_limit = False
        rows: list[tuple[int, Purpose, bool]] = []
        while rows or (rows := await self.services.background(self._due_in, chat_id)):
            # At its limit, what asks someone to act goes first (each kind in its
            # order, so an edit still follows its card); copies for information after.
            urgent = [row for row in rows if row[1] in URGENT] if at_limit else []
            row = (urgent or rows)[0]
            wait = self.pacing.wait(chat_id, edit=row[2])
            if wait > CLAIM_AHEAD and at_limit:
                # The chat's window is full, but an edit of a card already there takes
                # no place in it (a card marked done must not wait a group's minute).
                edit = next((r for r in urgent or rows if r[2]), None)
                if edit is not None and self.pacing.wait(chat_id, edit=True) <= CLAIM_AHEAD:
                    row, wait = edit, 0.0
            if wait > CLAIM_AHEAD:
                at_limit = True
                # Look again after a while at most, and read the chat's rows again: an
                # escalation may have come meanwhile.
                await asyncio.sleep(min(wait, RELOOK_SECONDS))
                rows = []
                continue
            rows.remove(row)
            outcome = await self._deliver_whole(row[0])
            if outcome == "sent":
                sent += 1
            elif outcome in ("retry", "moved"):
                break  # the chat's later rows wait behind this one, or went with it
        return sent

    def _claim(self, row_id: int) -> tuple[str, OutboxMessage | None, int | None]:
        """Claim a row to send: ("send", row, edit target) or ("skipped"|"failed"|"retry", ...)."""
        with self.services.sessions.begin() as session:
            if not queries.claim_outbox(session, row_id, self.clock.now()):
                return "skipped", None, None
            claimed = session.get(OutboxMessage, row_id)
            assert claimed is not None
            now = self.clock.now()
            if claimed.purpose is Purpose.PING and now - claimed.created_at > RESTATE_AFTER:
                # It waited for its chat's turn: it says how late things are now.
                digests.restate(session, self.config, claimed, now)
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
            if isinstance(error, ChatMigrated):
                # The group became a supergroup: this row and the chat's others go there.
                company.move_chat(
                    session,
                    self.config,
                    row.chat_id,
                    error.new_chat_id,
                    self.clock.now(),
                    SENDER_ACTOR,
                )
                row.chat_id = error.new_chat_id  # moved already if the move was known
                row.status = DeliveryStatus.PENDING
                row.next_attempt_at = self.clock.now()
                return "moved"
            if isinstance(error, RetryAfter):
                wait = error.retry_after
                seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
                self._retry(row, f"429 retry after {seconds}s", timedelta(seconds=seconds))
            elif isinstance(error, BadRequest | Forbidden | InvalidToken):
                self._fail(session, row, error)
                if row.purpose in BOARDS and gone(error):
                    boards.lost(session, row.chat_id)  # deleted: the next refresh posts it anew
            elif row.attempts >= self.config.outbox.max_attempts:
                self._fail(session, row, error)  # timeouts, 5xx, connection errors
            else:
                self._retry(row, str(error), self._backoff(row.attempts))
            return "failed" if row.status == DeliveryStatus.FAILED else "retry"

    async def _deliver_whole(self, row_id: int) -> str:
        """Claim, send and record one row; a stop lets it end (see stop)."""
        task = asyncio.get_running_loop().create_task(self._deliver(row_id))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)
        return await asyncio.shield(task)

    async def _deliver(self, row_id: int) -> str:
        # No transaction stays open across the network call: claim, send, record.
        state, claimed, target = await self.services.background(self._claim, row_id)
        if state != "send":
            return state
        assert claimed is not None
        # Counted as it leaves, not before the claim: Telegram counts it as it arrives.
        edit = claimed.method is Method.EDIT
        while (wait := self.pacing.wait(claimed.chat_id, edit=edit)) > 0:
            await asyncio.sleep(wait)  # another lane took the last place meanwhile
        place = self.pacing.take(claimed.chat_id, edit=edit)
        error: Exception | None = None
        message_id = None
        try:
            try:
                message_id = await send_row(self.bot, claimed, target)
            except BadRequest as exc:
                # Telegram forgot the file: send Kesu's own copy, if it kept one.
                kept = await self._kept_copy(claimed, exc)
                if kept is None:
                    raise
                message_id = await send_row(self.bot, claimed, target, kept)
        except RetryAfter as exc:
            self.pacing.give_back(claimed.chat_id, place, edit=edit)  # Telegram did not count it
            error = exc
        except (NetworkError, Forbidden, ChatMigrated, InvalidToken) as exc:
            error = exc
        except Exception as exc:  # a row that can never be sent must not block the others
            log.exception("outbox %s cannot be sent", row_id)
            error = BadRequest(f"unsendable row: {exc}")
        outcome = await self.services.background(self._record, row_id, message_id, error)
        if outcome == "failed":
            self.poke()  # the admins' alert
        if outcome == "sent" and message_id is not None and claimed.payload.get("pin"):
            await self.pin(claimed.chat_id, message_id)
        lost = claimed.purpose in BOARDS and error is not None and gone(error)
        if outcome == "failed" and lost and self.on_board_lost:
            self.on_board_lost()
        return outcome

    async def pin(self, chat_id: int, message_id: int) -> None:
        """Pin a board, silently. Where the bot may not pin (not an admin of the group) the
        board stays unpinned and `kesu doctor` says so; a board someone deleted is posted
        again."""
        while (wait := self.pacing.wait(chat_id, edit=True)) > 0:
            await asyncio.sleep(wait)
        self.pacing.take(chat_id, edit=True)
        lost = False
        try:
            await self.bot.pin_chat_message(
                chat_id, message_id, disable_notification=True, **self._paced()
            )
            ok = True
        except (BadRequest, Forbidden) as exc:  # no right to pin there, the message gone
            ok, lost = False, gone(exc)
            log.warning("board in %s not pinned: %s", chat_id, exc)
        except (NetworkError, RetryAfter) as exc:  # the hourly look tries again
            log.warning("board in %s not pinned: %s", chat_id, exc)
            return
        except TelegramError as exc:  # anything else Telegram says: not pinned
            ok = False
            log.warning("board in %s not pinned: %s", chat_id, exc)
        await self.services.background(self._pinned, chat_id, ok, lost)
        if lost and self.on_board_lost:
            self.on_board_lost()

    def _paced(self) -> dict[str, Any]:
        """Paced here already: the rate limiter lets the call pass (as in send_row)."""
        limited = isinstance(self.bot, ExtBot) and self.bot.rate_limiter is not None
        return {"rate_limit_args": OUTBOX} if limited else {}

    def _pinned(self, chat_id: int, ok: bool, gone: bool) -> None:
        with self.services.sessions.begin() as session:
            if gone:
                boards.lost(session, chat_id)
            else:
                boards.pinned(session, chat_id, ok, self.clock.now())

    async def check_boards(self, shown: list[tuple[int, int]]) -> None:
        """The hourly look: each board (chat, message id) still pinned, pinned again if
        someone unpinned it, posted again if someone deleted it."""
        for chat_id, message_id in shown:
            while (wait := self.pacing.wait(chat_id, edit=True)) > 0:
                await asyncio.sleep(wait)
            self.pacing.take(chat_id, edit=True)
            try:
                chat = await self.bot.get_chat(chat_id, **self._paced())
            except TelegramError as exc:
                log.warning("board of %s not checked: %s", chat_id, exc)
                continue
            pinned = chat.pinned_message.message_id if chat.pinned_message else None
            if pinned != message_id:
                await self.pin(chat_id, message_id)

    async def _kept_copy(self, row: OutboxMessage, error: BadRequest) -> KeptContent | None:
        file_id = row.payload.get("file_id")
        if not file_id or not files.forgotten(str(error)):
            return None
        return await self.services.background(self._read_kept, file_id)

    def _read_kept(self, file_id: str) -> KeptContent | None:
        with self.services.sessions() as session:
            return files.read_kept(session, self.store, file_id)

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
