"""`kesu backup` and `kesu restore` on SQLite: a database with complaints in every state
(the sandbox's demo company: closed, running a plan, waiting for steps) copied while it
is open, changed, and brought back exactly; PostgreSQL is pg_dump's, said in one line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import prepare_database
from bot.cli import main
from bot.config import parse_config
from bot.procedure.steps import ComplaintStatus, StepStatus
from bot.sandbox import demo
from bot.sandbox.clock import SandboxClock
from bot.services.uow import Services
from storage import db
from storage.models import Complaint, Event, OutboxMessage, Plan, PlanItem, Signature, Step

ROOT = Path(__file__).resolve().parent.parent


def fingerprint(url: str) -> dict[str, Any]:
    engine = db.make_engine(url)
    try:
        with db.make_sessionmaker(engine)() as session:
            return {
                "complaints": session.execute(
                    select(Complaint.number, Complaint.status, Complaint.grade).order_by(
                        Complaint.id
                    )
                ).all(),
                "steps": session.execute(
                    select(Step.complaint_id, Step.key, Step.status, Step.due_at).order_by(Step.id)
                ).all(),
                "items": session.execute(
                    select(PlanItem.action, PlanItem.status).order_by(PlanItem.id)
                ).all(),
                "plans": session.scalar(select(func.count()).select_from(Plan)),
                "events": session.scalar(select(func.count()).select_from(Event)),
                "outbox": session.scalar(select(func.count()).select_from(OutboxMessage)),
            }
    finally:
        engine.dispose()


def config_file(tmp_path: Path, url: str) -> str:
    path = tmp_path / "kesu.toml"
    example = (ROOT / "config.example.toml").read_text()
    path.write_text(example.replace('url = "sqlite:///kesu.db"', f'url = "{url}"'))
    return str(path)


def test_backup_and_restore_round_trip_complaints_in_every_state(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'kesu.db'}"
    config = parse_config(demo.config_data(url, "http://127.0.0.1:9/", "1:demo"))
    engine = db.make_engine(url)
    prepare_database(config, engine)
    services = Services(config, db.make_sessionmaker(engine), SandboxClock())
    demo.seed(services, SandboxClock())
    before = fingerprint(url)
    statuses = {row[1] for row in before["complaints"]}
    assert statuses == {ComplaintStatus.OPEN, ComplaintStatus.CLOSED}
    assert {row[2] for row in before["steps"]} >= {StepStatus.OPEN, StepStatus.DONE}
    assert before["plans"] and before["items"]
    settings = config_file(tmp_path, url)

    # Backed up while the database is open and in use.
    backup = tmp_path / "backups" / "kesu-2026-11-25.db"
    backup.parent.mkdir()
    with services.sessions() as session:
        session.execute(select(Complaint.id)).all()
        assert main(["backup", str(backup), "--config", settings]) == 0
    assert capsys.readouterr().out.strip() == f"5 complaints backed up to {backup}"

    # Then the database changes (a complaint taken back, every event and signature
    # lost) ...
    with services.sessions.begin() as session:
        session.query(Signature).delete()
        session.query(Event).delete()
        session.query(Complaint).filter(Complaint.status == ComplaintStatus.CLOSED).update(
            {"status": ComplaintStatus.OPEN}
        )
    assert fingerprint(url) != before
    services.close()
    engine.dispose()
    # ... and the backup brings it back as it was.
    assert main(["restore", str(backup), "--config", settings]) == 0
    assert capsys.readouterr().out.strip() == f"5 complaints restored from {backup}"
    assert fingerprint(url) == before
    # `kesu status` reads the restored database too.
    assert main(["status", "--config", settings, "--language", "en"]) == 0
    out = capsys.readouterr().out
    assert "Kesu's status" in out and "Outbox waiting to go:" in out


def test_restore_refuses_what_is_not_a_kesu_backup_and_postgresql_is_pg_dumps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = config_file(tmp_path, f"sqlite:///{tmp_path / 'kesu.db'}")
    stranger = tmp_path / "notes.txt"
    stranger.write_text("不是数据库")
    assert main(["restore", str(stranger), "--config", settings]) == 2
    assert "is not a Kesu database" in capsys.readouterr().err
    assert main(["restore", str(tmp_path / "missing.db"), "--config", settings]) == 2
    assert "no such backup" in capsys.readouterr().err
    postgres = config_file(tmp_path, "postgresql+psycopg://kesu@127.0.0.1/kesu")
    assert main(["backup", str(tmp_path / "x.dump"), "--config", postgres]) == 2
    assert "pg_dump --format=custom" in capsys.readouterr().err
