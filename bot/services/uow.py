"""The unit of work: one transaction per update, and what follows its commit.

A use case is a plain function `f(uow, input) -> view model`. `Services.run` runs it
in a unit of work on the database thread, commits, and then, on the event loop,
pokes the sender (when the transaction added outbox rows) and hands the new
ping times of the steps it touched to the scheduler. No handler does that by hand.

Database work stays off the event loop: it runs on one worker thread
(`DatabaseThread`), people's use cases before the outbox's bookkeeping. One thread
keeps each person's writes in the order their updates came and keeps SQLite free of
lock upgrades between our own transactions. SQLAlchemy's asyncio extension was
measured against it (bench/database.py, BENCHMARKS.md): on SQLite the thread does three
times the use cases a second of aiosqlite; on PostgreSQL asyncpg does a quarter more
but holds the event loop four times longer. So: the thread, one shape for both.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import multiprocessing
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, ParamSpec, Protocol, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from bot.config import KesuConfig
from bot.procedure.clock import Clock
from bot.procedure.flood import Throttle
from bot.procedure.grading import Plant
from bot.procedure.roles import Role
from bot.procedure.steps import StepStatus
from storage import queries
from storage.models import KeptFile, OutboxMessage, Person, Step

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Caller:
    """Who sent an update and from where; the person is looked up in the unit of work."""

    telegram_id: int | None
    chat_id: int | None = None
    client_language: str | None = None  # the Telegram client's language_code
    source: str = "chat"  # chat | scheduler | sender | cli


SCHEDULER = Caller(None, None, None, "scheduler")
SENDER = Caller(None, None, None, "sender")
# The operator at the server's command line (`kesu export`): they hold the database
# itself, so what they ask for is not refused by role.
OPERATOR = Caller(None, None, None, "cli")


@dataclass(frozen=True)
class StepPlan:
    """When a step's next ping falls due; None when it needs no job."""

    at: datetime | None
    pings_sent: int


@dataclass
class Effects:
    """What a committed unit of work asks of delivery."""

    deliver: bool = False  # outbox rows were added
    keep: bool = False  # files to download into the store were marked
    plans: dict[int, StepPlan] = field(default_factory=dict)  # step id -> next ping
    # People added or changed: telegram id -> as Kesu knows them, None once inactive (the
    # per-update context and /help read them from memory, without a round trip).
    people: dict[int, Known | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Known:
    """An active person as the last commit left them."""

    id: int
    name: str
    role: Role
    plant: Plant | None
    is_admin: bool
    chosen: str | None  # their language; None: their Telegram client's

    @classmethod
    def of(cls, person: Person) -> Known:
        return cls(
            person.id, person.name, person.role, person.plant, person.is_admin, person.language
        )


class AfterCommit(Protocol):
    """Delivery's side: the sender and the scheduler (bot.delivery)."""

    def poke_sender(self) -> None: ...

    def poke_keeper(self) -> None: ...

    def schedule(self, plans: dict[int, StepPlan]) -> None: ...


class UnitOfWork:
    """One transaction; `now` is fixed at its start so every row of a change agrees."""

    def __init__(self, config: KesuConfig, sessions: sessionmaker[Session], clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.session = sessions()
        self.now = clock.now()
        self._steps: set[Step] = set()
        self._people: set[Person] = set()
        self._outbox = False
        self._files = False
        event.listen(self.session, "before_flush", self._collect)

    def _collect(self, session: Session, *_: Any) -> None:
        for item in (*session.new, *session.dirty):
            if isinstance(item, Step):
                self._steps.add(item)
            elif isinstance(item, Person):
                self._people.add(item)
            elif isinstance(item, OutboxMessage):
                self._outbox = True
            elif isinstance(item, KeptFile):
                self._files = True

    def touch(self, step: Step) -> None:
        """A step changed outside the ORM's sight (a conditional UPDATE)."""
        self._steps.add(step)

    def __enter__(self) -> UnitOfWork:
        self.session.begin()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if kind is None:
                self.session.flush()
                self.effects = Effects(
                    deliver=self._outbox,
                    keep=self._files,
                    plans={
                        s.id: StepPlan(
                            s.next_ping_at if s.status == StepStatus.OPEN else None, s.pings_sent
                        )
                        for s in self._steps
                        if s.id is not None
                    },
                    people={p.telegram_id: Known.of(p) if p.active else None for p in self._people},
                )
                self.session.commit()
            else:
                self.session.rollback()
        finally:
            self.session.close()

    def person(self, caller: Caller) -> Person | None:
        if caller.telegram_id is None:
            return None
        return queries.person_by_telegram_id(self.session, caller.telegram_id)


FIRST, LATER, LAST = 0, 1, 2


class DatabaseThread(Executor):
    """The one thread that talks to the database, taking work by priority, then in the
    order it came: people's use cases first, the outbox's bookkeeping after. With a
    burst of notifications going out, a person's answer waits for at most the one piece
    of bookkeeping running, not for all that was queued before it."""

    def __init__(self) -> None:
        self._queue: queue.PriorityQueue[tuple[int, int, Any]] = queue.PriorityQueue()
        self._order = itertools.count()
        self._thread = threading.Thread(target=self._work, name="kesu-db", daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> Future[R]:
        return self._put(LATER, fn, args, kwargs)

    def submit_first(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> Future[R]:
        return self._put(FIRST, fn, args, kwargs)

    def _put(self, priority: int, fn: Callable[..., R], args: Any, kwargs: Any) -> Future[R]:
        future: Future[R] = Future()
        self._queue.put((priority, next(self._order), (future, fn, args, kwargs)))
        return future

    def _work(self) -> None:
        while True:
            _priority, _order, work = self._queue.get()
            if work is None:
                return
            future, fn, args, kwargs = work
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:  # handed to the awaiting caller
                future.set_exception(exc)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """After all the work already queued."""
        if self._thread.is_alive():
            self._queue.put((LAST, next(self._order), None))
            if wait:
                self._thread.join()


class Services:
    """What the handlers, jobs and the sender share: configuration, database, clock, after-commit."""

    def __init__(self, config: KesuConfig, sessions: sessionmaker[Session], clock: Clock) -> None:
        self.config = config
        self.sessions = sessions
        self.clock = clock
        self.after_commit: AfterCommit | None = None
        # Active people by Telegram id, kept with every commit.
        self.people: dict[int, Known] = {}
        self._executor = DatabaseThread()
        self._lock = threading.Lock()
        # Each person's pace (bot/procedure/flood.py): checked before any database work.
        self.throttle = Throttle()
        # Files people ask for (the forms as XLSX and PDF, the weekly chart) are built in
        # a process of their own, made at the first: one /export is a second of Python
        # that, on the event loop or a thread (the GIL), would stall every chat.
        self._builder: ProcessPoolExecutor | None = None

    def call(self, use_case: Callable[..., R], *args: Any) -> R:
        """Run a use case in a unit of work here and now (CLI, tests, the database thread)."""
        with self._lock, UnitOfWork(self.config, self.sessions, self.clock) as uow:
            result = use_case(uow, *args)
        self._after(uow.effects)
        return result

    def _in_unit(self, use_case: Callable[..., R], args: tuple[Any, ...]) -> tuple[R, Effects]:
        with self._lock, UnitOfWork(self.config, self.sessions, self.clock) as uow:
            result = use_case(uow, *args)
        return result, uow.effects

    async def run(self, use_case: Callable[..., R], *args: Any) -> R:
        """Run a use case on the database thread; after commit, poke delivery."""
        done = self._executor.submit_first(self._in_unit, use_case, args)
        result, effects = await asyncio.wrap_future(done)
        self._after(effects)
        return result

    async def db(self, work: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Plain database work (the conversations' persistence) on the database thread."""
        return await asyncio.wrap_future(self._executor.submit_first(work, *args, **kwargs))

    async def build(self, work: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """A file's heavy building (openpyxl, fpdf2, matplotlib) in the builder process:
        `work` is a module-level function, its arguments view models (they pickle)."""
        if self._builder is None:
            # Spawned, not forked: this process runs threads (the database's, asyncio's).
            context = multiprocessing.get_context("spawn")
            self._builder = ProcessPoolExecutor(max_workers=1, mp_context=context)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._builder, functools.partial(work, *args, **kwargs))

    async def run_later(self, use_case: Callable[..., R], *args: Any) -> R:
        """A use case nobody waits for (the boards' refresh): after what people wait for,
        like the sender's bookkeeping."""
        done = self._executor.submit(self._in_unit, use_case, args)
        result, effects = await asyncio.wrap_future(done)
        self._after(effects)
        return result

    async def background(self, work: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """The sender's and the keeper's bookkeeping: on the database thread, after what
        people wait for (a use case goes before any of it that has not started)."""
        return await asyncio.wrap_future(self._executor.submit(work, *args, **kwargs))

    def load_people(self) -> None:
        """At start: every active person, before the first update."""
        self.people = self.call(_known)

    def known(self, telegram_id: int | None) -> Known | None:
        """None for someone Kesu does not know (or who left)."""
        return self.people.get(telegram_id) if telegram_id is not None else None

    def _after(self, effects: Effects) -> None:
        for telegram_id, known in effects.people.items():
            if known is None:
                self.people.pop(telegram_id, None)
            else:
                self.people[telegram_id] = known
        if self.after_commit is None:
            return
        if effects.deliver:
            self.after_commit.poke_sender()
        if effects.keep:
            self.after_commit.poke_keeper()
        if effects.plans:
            self.after_commit.schedule(effects.plans)

    def close(self) -> None:
        if self._builder is not None:
            self._builder.shutdown(wait=True, cancel_futures=True)
            self._builder = None
        self._executor.shutdown(wait=True)


def _known(uow: UnitOfWork) -> dict[int, Known]:
    return {p.telegram_id: Known.of(p) for p in queries.active_people(uow.session)}
