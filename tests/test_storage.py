"""Storage on SQLite and PostgreSQL: migrations, numbering under concurrency, aware times."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, select

from bot.app import prepare_database
from bot.config import parse_config
from bot.procedure.grading import Plant
from bot.procedure.routing import Group
from storage import db, queries
from storage.models import Base, Customer, Person
from tests.conftest import config_data


def test_migrations_build_exactly_the_models(engine: Engine) -> None:
    db.upgrade(engine)
    assert db.current_revision(engine) == db.head_revision(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
    names = {c["name"] for c in inspect(engine).get_unique_constraints("complaint")}
    assert "uq_complaint_number" in names  # constraints are named by the convention


def test_numbers_are_unique_when_salespeople_confirm_at_once(engine: Engine) -> None:
    db.upgrade(engine)
    sessions = db.make_sessionmaker(engine)

    def take() -> int:
        with sessions.begin() as session:
            return queries.next_sequence(session, 2026)

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(lambda _: take(), range(40)))
    assert sorted(numbers) == list(range(1, 41))
    with sessions.begin() as session:
        assert queries.next_sequence(session, 2027) == 1


def test_a_rolled_back_number_is_not_reused_by_a_later_one(engine: Engine) -> None:
    db.upgrade(engine)
    sessions = db.make_sessionmaker(engine)
    with sessions.begin() as session:
        assert queries.next_sequence(session, 2026) == 1
    with sessions() as session:
        queries.next_sequence(session, 2026)
        session.rollback()  # a complaint that was never confirmed
    with sessions.begin() as session:
        assert queries.next_sequence(session, 2026) == 2


def test_timestamps_come_back_aware(engine: Engine) -> None:
    db.upgrade(engine)
    sessions = db.make_sessionmaker(engine)
    shanghai = timezone(timedelta(hours=8))
    when = datetime(2026, 11, 24, 9, 30, tzinfo=shanghai)
    with sessions.begin() as session:
        session.add(Customer(name="海达", customer_class="A", created_at=when))
    with sessions() as session:
        customer = session.scalars(select(Customer)).one()
        assert customer.created_at == when
        assert customer.created_at.tzinfo is not None
        assert customer.created_at.utcoffset() == timedelta(0)
        assert customer.created_at == when.astimezone(UTC)


def test_first_start_on_an_empty_sqlite_file_migrates_and_mirrors_people(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = db.make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    config = parse_config(config_data())
    prepare_database(config, engine)
    assert db.current_revision(engine) == db.head_revision(engine)
    sessions = db.make_sessionmaker(engine)
    with sessions() as session:
        assert len(session.scalars(select(Person)).all()) == len(config.people)
        assert queries.chat_id_for(session, Group.QC, Plant.LAISHAN) == config.chats.qc.laishan
    # Someone leaves the people list: kept for the history, no longer active.
    data = config_data()
    data["people"] = data["people"][1:]
    prepare_database(parse_config(data), engine)
    with sessions() as session:
        assert queries.person_by_telegram_id(session, config.people[0].telegram_id) is None
        assert len(session.scalars(select(Person)).all()) == len(config.people)
    engine.dispose()
