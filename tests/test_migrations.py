"""Schema changes keep what is stored: a filled database goes down to revision 0003 and
up again in place."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import IntegrityError

from bot.config import parse_config
from bot.procedure.clock import FakeClock
from bot.procedure.grading import Grade, Plant
from bot.procedure.roles import Role
from bot.procedure.steps import ComplaintStatus, StepStatus
from bot.services import company, complaints, steps
from bot.services.steps import PressStep
from bot.services.uow import Caller, Services
from bot.views.callbacks import StepAction
from storage import db, queries
from storage.models import (
    Complaint,
    ComplaintCause,
    Event,
    ExtensionRequest,
    OutboxMessage,
    Person,
    Purpose,
    RecheckDue,
    Step,
)
from tests.conftest import QC_HW, SALES, config_data
from tests.test_workflow import NOW, draft


def _fill(engine: Engine) -> None:
    """A company with one complaint, one step done, written at revision 0003."""
    config = parse_config(config_data(str(engine.url)))
    sessions = db.make_sessionmaker(engine)
    services = Services(config, sessions, FakeClock(NOW))
    services.call(company.mirror)
    services.call(complaints.file_complaint, complaints.FileComplaint(Caller(SALES), draft()))
    with sessions() as session:
        step_id = session.scalars(select(Step.id).where(Step.key == "initial_assessment")).one()
    done = services.call(steps.press, PressStep(Caller(QC_HW), step_id, StepAction.FINISH, "done"))
    assert done.result is steps.PressResult.OK


def _counts(engine: Engine) -> dict[str, int]:
    sessions = db.make_sessionmaker(engine)
    with sessions() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Person, Complaint, Step, Event, OutboxMessage)
        }


def test_typed_columns_keep_the_data_and_refuse_what_is_not_a_value(engine: Engine) -> None:
    # Filled by today's code, taken back to revision 0003 and brought up again: each
    # revision's way up and down keeps every row.
    db.upgrade(engine)
    _fill(engine)
    before = _counts(engine)
    db.downgrade(engine, "0003")
    assert db.current_revision(engine) == "0003" and _counts(engine) == before
    db.upgrade(engine)
    assert db.current_revision(engine) == db.head_revision(engine)
    assert _counts(engine) == before
    sessions = db.make_sessionmaker(engine)
    with sessions() as session:
        complaint = session.scalars(select(Complaint)).one()
        assert complaint.grade is Grade.A and complaint.plant is Plant.HUANGWU
        assert complaint.status is ComplaintStatus.OPEN
        assert {s.status for s in complaint.steps} == {StepStatus.OPEN, StepStatus.DONE}
        assert queries.people_with_role(session, Role.QC)
        assert {r.purpose for r in session.scalars(select(OutboxMessage))} >= {
            Purpose.TASK,
            Purpose.REPORT,
        }
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(text("UPDATE step SET status = 'finished'"))
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(text("UPDATE person SET role = 'janitor'"))
    db.downgrade(engine, "0003")  # and back, for a release that must be undone
    assert _counts(engine) == before


def test_foreign_keys_are_checked_again_after_a_sqlite_migration(tmp_path: object) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path}/fk.db")
    db.upgrade(engine)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_the_checked_values_match_the_enums_of_the_models() -> None:
    """A value added to a settled enum needs a migration that widens its CHECK."""
    import importlib.util

    from sqlalchemy import Enum

    from storage.models import Base

    migrated: dict[tuple[str, str], set[str]] = {}
    for name in (
        "0004_typed_columns",
        "0005_nature_and_resources",
        "0006_rectification_plans",
        "0009_people_from_telegram",
        "0012_extensions_and_snoozes",
        "0016_signatures",
        "0017_cost_of_poor_quality",
    ):
        path = db.MIGRATIONS / "versions" / f"{name}.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        migrated |= {
            (table, column): set(values)
            for table, checks in migration.CHECKS.items()
            for column, _name, values in checks
        }
    modelled = {
        (table.name, column.name): set(column.type.enums)
        for table in Base.metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, Enum) and column.type.create_constraint
    }
    assert migrated == modelled


def test_files_sent_before_the_store_are_kept_from_the_upgrade_on(engine: Engine) -> None:
    """0010 marks every file already recorded (letters, a step's report) to be kept."""
    db.upgrade(engine, "0009")
    # Today's code, on the old schema: no file is marked. It reads a step's extension
    # requests (0012) and a complaint's causes (0015) as it draws the cards, and the
    # rechecks waiting (0018) as it files: those tables alone are made for it, and
    # dropped again before the upgrade creates them.
    made = [ExtensionRequest, ComplaintCause, RecheckDue]
    for model in made:
        model.__table__.create(engine)  # type: ignore[attr-defined]
    _fill(engine)
    for model in reversed(made):
        model.__table__.drop(engine)  # type: ignore[attr-defined]
    with engine.begin() as connection:
        complaint_id = connection.execute(text("SELECT id FROM complaint")).scalar_one()
        connection.execute(
            text(
                "INSERT INTO attachment (complaint_id, kind, file_id, file_unique_id, file_name) "
                "VALUES (:c, 'document', 'DOC-1', 'u1', '来函.pdf'), (:c, 'photo', 'PHO-1', 'u2', NULL)"
            ),
            {"c": complaint_id},
        )
        connection.execute(text("UPDATE step SET file_id = 'DOC-1', file_kind = 'document'"))
    db.upgrade(engine)
    with engine.connect() as connection:
        kept = connection.execute(
            text(
                "SELECT file_id, kind, file_name, complaint_id, status FROM kept_file ORDER BY file_id"
            )
        ).all()
    assert [tuple(row) for row in kept] == [
        ("DOC-1", "document", "来函.pdf", complaint_id, "waiting"),
        ("PHO-1", "photo", None, complaint_id, "waiting"),
    ]
