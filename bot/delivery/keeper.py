"""The keeper: downloads each file people sent into Kesu's own store.

Rows of `kept_file` are written by the use cases in the same transaction as the file
itself; after the commit the keeper is poked. It downloads one file at a time (getFile,
then the file), writes it into the store on the database thread (never the event loop)
and records its path, size and SHA-256. A network failure or a 5xx is tried again later,
with backoff; what Telegram will not give (over the 20 MB a bot may download, or an id
it no longer knows) is marked failed at once, and the admins are told.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Any

from telegram import Bot
from telegram.error import BadRequest, Forbidden, RetryAfter

from bot.delivery.pacing import nap
from bot.services.events import Actor, log_event
from bot.services.notices import alert_file_not_kept
from bot.services.uow import SENDER, Services
from storage import queries
from storage.files import FileStore
from storage.models import KeepStatus, KeptFile

log = logging.getLogger(__name__)

BATCH = 20
MAX_BACKOFF = timedelta(minutes=30)
POLL_SECONDS = 60.0  # without a poke: files whose retry fell due
FAILED_PASS_PAUSE = 5.0


class FileKeeper:
    def __init__(self, bot: Bot, services: Services, store: FileStore | None = None) -> None:
        self.bot = bot
        self.services = services
        self.config = services.config
        self.clock = services.clock
        self.store = store or FileStore(services.config.files.store)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def poke(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="kesu-files")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self.keep_due()
            except asyncio.CancelledError:
                raise
            except Exception:  # keep the keeper alive; the rows stay in the database
                log.exception("files pass failed")
                # The database itself failed: wait before the next pass, never spin.
                await nap(self._wake, FAILED_PASS_PAUSE)
                self._wake.clear()
            await self._sleep_until_next()

    async def _sleep_until_next(self) -> None:
        timeout = POLL_SECONDS
        due = await self.services.background(self._next_due)
        if due is not None:
            timeout = max(0.05, min(timeout, (due - self.clock.now()).total_seconds()))
        await nap(self._wake, timeout)

    def _next_due(self) -> Any:
        with self.services.sessions() as session:
            return queries.next_file_to_keep(session)

    def _due(self) -> list[tuple[int, str]]:
        with self.services.sessions() as session:
            ids = queries.files_to_keep(session, self.clock.now(), BATCH)
            return [(i, f.file_id) for i in ids if (f := session.get(KeptFile, i)) is not None]

    async def keep_due(self) -> int:
        """One pass over the files due; returns how many were kept."""
        kept = 0
        for row_id, file_id in await self.services.background(self._due):
            content: bytes | None = None
            error: Exception | None = None
            try:
                found = await self.bot.get_file(file_id)
                content = bytes(await found.download_as_bytearray())
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # one file's fault never stops the files after it
                error = exc
            kept += await self.services.background(self._record, row_id, content, error)
        return kept

    def _record(self, row_id: int, content: bytes | None, error: Exception | None) -> int:
        now = self.clock.now()
        with self.services.sessions() as session, session.begin():
            row = session.get(KeptFile, row_id)
            if row is None or row.status is not KeepStatus.WAITING:
                return 0
            row.attempts += 1
            if content is not None:
                folder = row.complaint.number if row.complaint is not None else "other"
                name = row.file_name or f"{row.id}{'.jpg' if row.kind == 'photo' else ''}"
                try:
                    stored = self.store.put(folder, f"{row.id}-{name}", content)
                except OSError as exc:  # a full disk, a store not writable: tried again
                    error = exc
                else:
                    row.path, row.size, row.sha256 = stored.path, stored.size, stored.sha256
                    row.status, row.kept_at, row.last_error = KeepStatus.KEPT, now, None
                    return 1
            assert error is not None
            row.last_error = f"{type(error).__name__}: {error}"[:500]
            final = isinstance(error, BadRequest | Forbidden)
            if final or row.attempts >= self.config.files.max_attempts:
                row.status = KeepStatus.FAILED
                log.error("file %s cannot be kept: %s", row.file_id, row.last_error)
                actor = Actor.of(SENDER, None)
                log_event(session, actor, "file_not_kept", now, row.complaint, error=row.last_error)
                name = row.file_name or row.kind.value
                alert_file_not_kept(session, self.config, row.complaint, name, row.last_error, now)
            else:
                delay = (
                    timedelta(seconds=error.retry_after)
                    if isinstance(error, RetryAfter) and isinstance(error.retry_after, int)
                    else min(MAX_BACKOFF, timedelta(seconds=2**row.attempts))
                )
                row.next_attempt_at = now + delay
                log.warning("file %s: %s; trying again", row.file_id, row.last_error)
            return 0
