"""The unit of work: one transaction per update, and what follows its commit.

A use case is a plain function `f(uow, input) -> view model`. `Services.run` runs it
in a unit of work on the database thread, commits, and then, on the event loop,
pokes the sender (when the transaction added outbox rows) and hands the new
ping times of the steps it touched to the scheduler. No handler does that by hand.

Database work stays off the event loop: it runs on one worker thread. One
thread keeps the writes in the order the updates came (as PTB hands them over
one at a time) and keeps SQLite free of lock upgrades between our own
transactions; PostgreSQL could take more workers, which the operations issue
measures. The services have the same shape either way.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, ParamSpec, Protocol, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from bot.config import KesuConfig
from bot.procedure.clock import Clock
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
    # People added or changed: telegram id -> their chosen language, None once inactive
    # (the per-update context reads languages from memory, without a round trip).
    people: dict[int, Language | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Language:
    chosen: str | None  # None: their Telegram client's


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
                    people={
                        p.telegram_id: Language(p.language) if p.active else None
                        for p in self._people
                    },
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


class Services:
    """What the handlers, jobs and the sender share: configuration, database, clock, after-commit."""

    def __init__(self, config: KesuConfig, sessions: sessionmaker[Session], clock: Clock) -> None:
        self.config = config
        self.sessions = sessions
        self.clock = clock
        self.after_commit: AfterCommit | None = None
        # Active people's chosen languages by Telegram id, kept with every commit.
        self.languages: dict[int, Language] = {}
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kesu-db")
        self._lock = threading.Lock()

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
        loop = asyncio.get_running_loop()
        result, effects = await loop.run_in_executor(self._executor, self._in_unit, use_case, args)
        self._after(effects)
        return result

    async def db(self, work: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Plain database work (the sender's, the persistence's) on the database thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: work(*args, **kwargs))

    def load_people(self) -> None:
        """At start: every active person's language, before the first update."""
        self.languages = self.call(_languages)

    def language_of(self, telegram_id: int) -> Language | None:
        """None for someone Kesu does not know (or who left)."""
        return self.languages.get(telegram_id)

    def _after(self, effects: Effects) -> None:
        for telegram_id, language in effects.people.items():
            if language is None:
                self.languages.pop(telegram_id, None)
            else:
                self.languages[telegram_id] = language
        if self.after_commit is None:
            return
        if effects.deliver:
            self.after_commit.poke_sender()
        if effects.keep:
            self.after_commit.poke_keeper()
        if effects.plans:
            self.after_commit.schedule(effects.plans)

    def close(self) -> None:
        self._executor.shutdown(wait=True)


def _languages(uow: UnitOfWork) -> dict[int, Language]:
    return {p.telegram_id: Language(p.language) for p in queries.active_people(uow.session)}
