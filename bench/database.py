"""Database work off the event loop, two ways (issue 12, item 2): Kesu's unit of work on
its one database thread (sync SQLAlchemy, bot/services/uow.py), against SQLAlchemy's
asyncio extension (AsyncSession with aiosqlite on SQLite, asyncpg on PostgreSQL).

The same small use case both ways, the shape of most of Kesu's: read the person by their
Telegram id, write an event-log row, commit. Measured: the time per use case, one at a
time and fifty at once, and how late a 1 ms ticker on the event loop runs meanwhile (how
much the database work holds the loop up).

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/database.py                      # SQLite
    .venv/bin/python bench/database.py postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, select, text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from bot.app import prepare_database
from bot.config import parse_config
from bot.procedure.clock import SystemClock
from bot.services.uow import Services, UnitOfWork
from storage import db
from storage.models import Event, Person
from tests.conftest import SALES, config_data

ROUNDS = 400
AT_ONCE = 50


def use_case(uow: UnitOfWork, telegram_id: int) -> int:
    person = uow.session.scalar(select(Person).where(Person.telegram_id == telegram_id))
    assert person is not None
    uow.session.add(Event(at=uow.now, actor=person, source="bench", action="bench", detail={}))
    return person.id


def async_url(url: str) -> str:
    if url.startswith("sqlite"):
        return url.replace("sqlite://", "sqlite+aiosqlite://", 1)
    return url.replace("postgresql+psycopg://", "postgresql+asyncpg://", 1)


async def measure(call: Callable[[], Awaitable[int]]) -> dict[str, float]:
    lag: list[float] = []
    running = True

    async def ticker() -> None:
        while running:
            began = time.perf_counter()
            await asyncio.sleep(0.001)
            lag.append(time.perf_counter() - began - 0.001)

    ticking = asyncio.create_task(ticker())
    one: list[float] = []
    for _ in range(ROUNDS):
        began = time.perf_counter()
        await call()
        one.append(time.perf_counter() - began)
    many: list[float] = []

    async def timed() -> None:
        began = time.perf_counter()
        await call()
        many.append(time.perf_counter() - began)

    wall = time.perf_counter()
    for _ in range(ROUNDS // AT_ONCE):
        await asyncio.gather(*(timed() for _ in range(AT_ONCE)))
    wall = time.perf_counter() - wall
    running = False
    await ticking
    ordered = sorted(lag)
    return {
        "one p50": statistics.median(one) * 1000,
        "one p99": sorted(one)[int(0.99 * (len(one) - 1))] * 1000,
        "50 p50": statistics.median(many) * 1000,
        "50 p99": sorted(many)[int(0.99 * (len(many) - 1))] * 1000,
        "per second at 50": len(many) / wall,
        "loop lag p99": ordered[int(0.99 * (len(ordered) - 1))] * 1000,
        "loop lag max": ordered[-1] * 1000,
    }


async def main(url: str) -> None:
    if url.startswith("sqlite"):
        await compare(url, db.make_engine(url), {})
        return
    # PostgreSQL: a schema of its own, dropped after.
    schema = f"kesu_bench_{int(time.time())}"
    admin = db.make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        engine = db.make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
        db.upgrade(engine)
        await compare(url, engine, {"server_settings": {"search_path": schema}})
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


async def compare(url: str, engine: Engine, async_connect: dict[str, object]) -> None:
    config = parse_config(config_data(url))
    prepare_database(config, engine)
    services = Services(config, db.make_sessionmaker(engine), SystemClock())
    thread = await measure(lambda: services.run(use_case, SALES))
    services.close()

    async_engine = create_async_engine(async_url(url), connect_args=async_connect)
    sessions = async_sessionmaker(async_engine, expire_on_commit=False)
    if url.startswith("sqlite"):
        async with async_engine.begin() as connection:  # as storage.db sets SQLite up
            await connection.execute(text("PRAGMA journal_mode=WAL"))

    async def with_asyncio() -> int:
        async with sessions() as session, session.begin():
            person = await session.scalar(select(Person).where(Person.telegram_id == SALES))
            assert person is not None
            now = datetime.now(UTC)
            session.add(Event(at=now, actor=person, source="bench", action="bench", detail={}))
            return person.id

    extension = await measure(with_asyncio)
    await async_engine.dispose()
    engine.dispose()
    print(f"{url.split('://')[0]}: ms, and use cases a second")
    print(f"  {'':<22}{'database thread':>18}{'asyncio extension':>20}")
    for key in thread:
        print(f"  {key:<22}{thread[key]:>18.1f}{extension[key]:>20.1f}")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        asyncio.run(main(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as folder:
            asyncio.run(main(f"sqlite:///{folder}/bench.db"))
