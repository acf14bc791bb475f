"""Engine and session set-up, and bringing a database to the current schema."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _sqlite_pragmas(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, emit BEGIN (see "begin" below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # The driver's own transaction handling is off (above), so every
        # transaction, reads included, begins here. Reads never block writers in
        # WAL mode; the bot keeps write transactions short and never awaits
        # network I/O inside one (one event-loop thread then serialises them).
        connection.exec_driver_sql("BEGIN")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(engine: Engine) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


class NotSqlite(Exception):
    """Backups of PostgreSQL are pg_dump's (the README gives the line)."""


def sqlite_path(url: str) -> Path:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        raise NotSqlite(url)
    return Path(parsed.database)


def backup(url: str, target: Path) -> None:
    """A consistent copy of the SQLite database, while the bot runs (SQLite's online
    backup), written beside the target and renamed into place when whole."""
    source = sqlite_path(url)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    # Every complaint and person is in it: readable by the owner only, from the start.
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(partial)) as dst:
        src.backup(dst)
    partial.replace(target)


def restore(url: str, source: Path) -> None:
    """The database becomes the backup's content (stop the bot first). The backup must be
    a Kesu database: one with the schema's version table."""
    target = sqlite_path(url)
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src:
        try:
            src.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.DatabaseError as exc:
            raise ValueError(f"{source} is not a Kesu database ({exc})") from None
        with closing(sqlite3.connect(target)) as dst:
            src.backup(dst)
