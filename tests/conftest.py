"""Fixtures: databases (SQLite always, PostgreSQL when KESU_TEST_POSTGRES_URL is set),
a configuration, and a running Kesu against the Bot API emulator."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, text

from bot.config import KesuConfig, parse_config
from storage import db
from storage.models import Base

POSTGRES_URL = os.environ.get("KESU_TEST_POSTGRES_URL", "")

# Telegram ids of the test company.
SALES = 100001
SALES_2 = 100004
QC_HW = 100002
QC_LS = 100003
GM = 100010
VP_EXEC = 100011
VP_PROD = 100012
VP_MKT = 100013
PURCHASING = 100020
OUTSIDER = 100099
LEADERSHIP = -1001000000001
SALES_GROUP = -1001000000002
QC_HUANGWU = -1001000000003
QC_LAISHAN = -1001000000004
PROD_HUANGWU = -1001000000005
PROD_LAISHAN = -1001000000006

PEOPLE = [
    {"telegram_id": SALES, "name": "王业务", "role": "sales", "admin": True},
    {"telegram_id": SALES_2, "name": "周业务", "role": "sales", "language": "en"},
    {"telegram_id": QC_HW, "name": "李质检", "role": "qc", "plant": "huangwu"},
    {"telegram_id": QC_LS, "name": "赵质检", "role": "qc", "plant": "laishan"},
    {"telegram_id": GM, "name": "张总", "role": "gm"},
    {"telegram_id": VP_EXEC, "name": "刘常务", "role": "vp_exec", "plant": "huangwu"},
    {"telegram_id": VP_PROD, "name": "陈生产", "role": "vp_production", "plant": "laishan"},
    {"telegram_id": VP_MKT, "name": "孙营销", "role": "vp_marketing"},
    {"telegram_id": PURCHASING, "name": "钱采购", "role": "purchasing"},
]
GROUPS = {
    LEADERSHIP: "公司领导层",
    SALES_GROUP: "业务部",
    QC_HUANGWU: "黄务质检",
    QC_LAISHAN: "莱山质检",
    PROD_HUANGWU: "黄务生产",
    PROD_LAISHAN: "莱山生产",
}


def config_data(database_url: str = "sqlite://", **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "telegram": {"token": "123456789:TEST-kesu-token"},
        "database": {"url": database_url},
        "people": [dict(p) for p in PEOPLE],
        "chats": {
            "leadership": LEADERSHIP,
            "sales": SALES_GROUP,
            "qc": {"huangwu": QC_HUANGWU, "laishan": QC_LAISHAN},
            "production": {"huangwu": PROD_HUANGWU, "laishan": PROD_LAISHAN},
        },
        "outbox": {"poll_seconds": 0.5, "first_backoff_seconds": 0.2},
        # Tests run at any hour of the real clock: quiet hours only where a test asks.
        "working_hours": {"enabled": False},
        # Tests file the same product again and again: recurrence only where a test asks.
        "recurrence": {"enabled": False},
        # Boards post a message of their own in many chats: only where a test asks.
        "reminders": {"boards": False},
        # Each test's own store of kept files, never the working directory.
        "files": {"store": tempfile.mkdtemp(prefix="kesu-files-")},
    }
    data.update(overrides)
    return data


def _postgres_engine() -> Iterator[Engine]:
    schema = f"kesu_test_{secrets.token_hex(4)}"
    admin = db.make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = db.make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
_TEMPLATE: list[Path] = []  # this worker's SQLite file at the newest revision


def migrated(engine: Engine) -> None:
    """The schema at the newest revision, as `kesu db upgrade` (or, on SQLite, Kesu at
    start) makes it. A fresh SQLite file is a copy of one this worker migrated once:
    Alembic's eighteen steps cost 0.3 s a test otherwise, a minute of the suite. The
    migrations themselves run in tests/test_storage.py and tests/test_migrations.py."""
    if engine.dialect.name != "sqlite":
        # The models' tables, stamped at the newest revision: what the migrations build
        # (tests/test_storage.py holds it on both backends), in 0.25 s instead of 0.42.
        Base.metadata.create_all(engine)
        command.stamp(db.alembic_config(engine), "head")
        return
    target = Path(str(engine.url.database))
    if target.exists() and target.stat().st_size:
        return  # a database with something in it goes the way Kesu takes it
    if not _TEMPLATE:
        template = Path(tempfile.mkdtemp(prefix="kesu-schema-")) / "kesu.db"
        fresh = db.make_engine(f"sqlite:///{template}")
        db.upgrade(fresh)
        fresh.dispose()
        _TEMPLATE.append(template)
    shutil.copyfile(_TEMPLATE[0], target)


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Engine]:
    """An empty database of each backend; tests bring it to the schema they need."""
    if request.param == "sqlite":
        engine = db.make_engine(f"sqlite:///{tmp_path / 'kesu.db'}")
        yield engine
        engine.dispose()
    else:
        if not POSTGRES_URL:
            pytest.skip("KESU_TEST_POSTGRES_URL is not set")
        yield from _postgres_engine()


@pytest.fixture
def sqlite_engine(tmp_path: Any) -> Iterator[Engine]:
    """SQLite only: for end-to-end runs whose use cases test_workflow runs on both backends."""
    engine = db.make_engine(f"sqlite:///{tmp_path / 'kesu.db'}")
    yield engine
    engine.dispose()


@pytest.fixture
def config() -> KesuConfig:
    return parse_config(config_data())


@pytest.fixture
def telegram_limits_lifted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Kesu and the emulator without Telegram's sending limits (30 a second, 20 a minute
    in a group, about one a second to a person): for the tests that are not about the
    pace, which otherwise spend most of their time waiting at it."""
    from tests import harness

    monkeypatch.setattr(harness, "lifted", True)


async def eventually(
    check: Callable[[], Any], timeout: float = 15.0, interval: float = 0.02
) -> Any:
    """Wait until check() returns something truthy (or stops raising); return it. The
    default wait is long enough for a machine busy with the other workers: a condition
    met at once costs nothing more, and none of these waits is a measure of speed."""
    deadline = asyncio.get_running_loop().time() + timeout
    last_error: Exception | None = None
    while True:
        try:
            result = check()
            if result:
                return result
        except (AssertionError, LookupError) as exc:
            last_error = exc
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met in {timeout}s: {last_error}")
        await asyncio.sleep(interval)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """An end-to-end test that takes `transport` runs with polling and with a webhook."""
    if "transport" in metafunc.fixturenames:
        metafunc.parametrize("transport", ["polling", "webhook"])
