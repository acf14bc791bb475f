"""The engine on stored complaints: rights, owners, recipients, pings (no Telegram)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.app import prepare_database
from bot.config import KesuConfig, parse_config
from bot.events import Actor
from bot.filing import register_complaint
from bot.procedure.grading import Plant
from bot.workflow import Press, PressResult, fire_ping, may_press, press, set_plant
from storage import db, queries
from storage.models import Complaint, Event, OutboxMessage, Person, Step
from tests.conftest import (
    GM,
    LEADERSHIP,
    PROD_HUANGWU,
    QC_HUANGWU,
    QC_HW,
    QC_LS,
    SALES,
    SALES_2,
    VP_EXEC,
    VP_PROD,
    config_data,
)

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


def answers(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "received_at": NOW.isoformat(),
        "customer": "海达",
        "customer_class": "A",
        "contact_phone": "0535-6881234",
        "content": "退货",
        "demands": ["claim", "return"],
        "product_name": "轴承",
        "specification": "6204",
        "quantity": ["100", "件"],
        "delivery_date": "2026-11-01",
        "occurred_on": None,
        "batch": False,
        "recurring": False,
        "plant": "huangwu",
        "description": "异响",
        "attachments": [],
    }
    base.update(changes)
    return base


class Company:
    def __init__(self, engine: Engine, **overrides: Any) -> None:
        self.config: KesuConfig = parse_config(config_data(str(engine.url), **overrides))
        if engine.dialect.name != "sqlite":
            db.upgrade(engine)
        prepare_database(self.config, engine)
        self.sessions: sessionmaker[Session] = db.make_sessionmaker(engine)

    def person(self, session: Session, telegram_id: int) -> Person:
        found = queries.person_by_telegram_id(session, telegram_id)
        assert found is not None
        return found

    def file(self, **changes: Any) -> int:
        with self.sessions.begin() as session:
            seller = self.person(session, SALES)
            complaint = register_complaint(
                session, self.config, answers(**changes), Actor(seller, SALES, "chat"), NOW
            )
            session.flush()
            return complaint.id

    def step_id(self, key: str) -> int:
        with self.sessions() as session:
            return session.scalars(
                select(Step.id).where(Step.key == key, Step.status == "open")
            ).one()

    def press(self, who: int, key: str, action: Press, at: datetime = NOW) -> PressResult:
        with self.sessions.begin() as session:
            person = self.person(session, who)
            result, _ = press(
                session,
                self.config,
                self.step_id(key),
                action,
                person,
                Actor(person, who, "chat", who),
                at,
            )
            return result

    def chats_of(self, key: str, purpose: str = "task") -> set[int]:
        with self.sessions() as session:
            return set(
                session.scalars(
                    select(OutboxMessage.chat_id)
                    .join(Step, OutboxMessage.step_id == Step.id)
                    .where(Step.key == key, OutboxMessage.purpose == purpose)
                )
            )


def test_task_cards_go_to_the_plants_department_and_the_named_people(engine: Engine) -> None:
    company = Company(engine)
    company.file()
    assert company.chats_of("initial_assessment") == {QC_HUANGWU}
    assert company.chats_of("lead_on_site") == {LEADERSHIP, VP_EXEC}
    assert company.chats_of("customer_answer") == {-1001000000002, SALES}
    assert company.chats_of("report_return") == {-1001000000002, SALES}


def test_rights_to_press(engine: Engine) -> None:
    company = Company(engine)
    company.file()
    with company.sessions() as session:
        complaint = session.scalars(select(Complaint)).one()
        qc_hw, qc_ls = company.person(session, QC_HW), company.person(session, QC_LS)
        vp_exec, vp_prod = company.person(session, VP_EXEC), company.person(session, VP_PROD)
        gm, seller = company.person(session, GM), company.person(session, SALES_2)
        assert may_press(qc_hw, "qc", complaint) and not may_press(qc_ls, "qc", complaint)
        assert may_press(vp_exec, "qc", complaint) and not may_press(vp_prod, "qc", complaint)
        assert may_press(gm, "leading_vp", complaint)
        assert not may_press(qc_hw, "leading_vp", complaint)
        assert may_press(seller, "sales", complaint) and not may_press(seller, "qc", complaint)
    assert company.press(QC_LS, "initial_assessment", Press.DONE) is PressResult.DENIED
    assert company.press(QC_HW, "initial_assessment", Press.DONE) is PressResult.OK
    with company.sessions() as session:
        refused = session.scalars(select(Event).where(Event.action == "press_refused")).one()
        assert refused.actor_telegram_id == QC_LS and refused.source == "chat"
        assert refused.detail == {"step": "initial_assessment", "button": "done"}


def test_a_configured_owner_takes_the_step(engine: Engine) -> None:
    company = Company(engine, owners={"containment": "production"})
    company.file()
    assert company.press(QC_HW, "initial_assessment", Press.DONE) is PressResult.OK
    assert company.chats_of("containment") == {PROD_HUANGWU}
    assert company.press(QC_HW, "containment", Press.DONE) is PressResult.DENIED


def test_pings_go_to_the_owner_then_the_leading_vp_and_the_gm(engine: Engine) -> None:
    company = Company(engine)
    company.file()
    step_id = company.step_id("initial_assessment")
    scheduler = Actor(None, None, "scheduler")

    def fire(at: datetime) -> bool:
        with company.sessions.begin() as session:
            return fire_ping(session, company.config, step_id, at, scheduler)

    assert not fire(NOW + timedelta(minutes=59))  # not due yet: nothing
    assert fire(NOW + timedelta(hours=1))  # half of 2 h: a reminder to QC Huangwu
    assert not fire(NOW + timedelta(hours=1, minutes=1))  # sent already
    assert fire(NOW + timedelta(hours=2, minutes=1))  # overdue: QC, the executive VP, the GM
    with company.sessions() as session:
        pings = session.scalars(
            select(OutboxMessage).where(OutboxMessage.purpose == "ping").order_by(OutboxMessage.id)
        ).all()
        assert [p.chat_id for p in pings] == [QC_HUANGWU, QC_HUANGWU, VP_EXEC, GM]
        assert LEADERSHIP not in {p.chat_id for p in pings}
        events = session.scalars(select(Event).where(Event.action == "ping")).all()
        assert [(e.source, e.detail["kind"]) for e in events] == [
            ("scheduler", "reminder"),
            ("scheduler", "overdue"),
        ]
    assert company.press(QC_HW, "initial_assessment", Press.DONE) is PressResult.OK
    assert not fire(NOW + timedelta(hours=5))  # done: the job is stale and does nothing


def test_take_it_names_the_owner_and_brings_the_card_privately(engine: Engine) -> None:
    company = Company(engine)
    company.file()
    assert company.press(QC_HW, "initial_assessment", Press.TAKE) is PressResult.OK
    assert company.chats_of("initial_assessment") == {QC_HUANGWU, QC_HW}
    with company.sessions() as session:
        step = session.scalars(select(Step).where(Step.key == "initial_assessment")).one()
        assert step.assignee is not None and step.assignee.telegram_id == QC_HW
        edits = session.scalars(
            select(OutboxMessage).where(OutboxMessage.purpose == "task_edit")
        ).all()
        assert [e.chat_id for e in edits] == [QC_HUANGWU]
        assert "李质检" in edits[0].payload["text"]
    assert company.press(QC_HW, "initial_assessment", Press.TAKE) is PressResult.OK
    assert company.chats_of("initial_assessment") == {QC_HUANGWU, QC_HW}  # no second copy


def test_qc_name_the_plant_when_it_was_unknown(engine: Engine) -> None:
    company = Company(engine)
    company.file(plant="unknown")
    assert company.chats_of("initial_assessment") == {QC_HUANGWU, -1001000000004}
    with company.sessions() as session:
        card = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.purpose == "task", OutboxMessage.chat_id == QC_HUANGWU
            )
        ).one()
        plant_buttons = [
            data for row in card.payload["keyboard"] for _, data in row if data.startswith("v1:pl:")
        ]
        assert len(plant_buttons) == 3
    step_id = company.step_id("initial_assessment")

    def name(who: int, plant: Plant) -> PressResult:
        with company.sessions.begin() as session:
            person = company.person(session, who)
            return set_plant(
                session,
                company.config,
                step_id,
                plant,
                person,
                Actor(person, who, "chat", who),
                NOW,
            )[0]

    assert name(SALES_2, Plant.LAISHAN) is PressResult.DENIED
    assert name(QC_LS, Plant.LAISHAN) is PressResult.OK
    assert name(QC_HW, Plant.HUANGWU) is PressResult.DENIED  # Huangwu's QC are out of it now
    assert name(QC_LS, Plant.HUANGWU) is PressResult.NOT_OPEN  # decided already
    with company.sessions() as session:
        assert session.scalars(select(Complaint.plant)).one() == "laishan"
        edits = session.scalars(
            select(OutboxMessage).where(OutboxMessage.purpose == "task_edit")
        ).all()
        assert {e.chat_id for e in edits} >= {QC_HUANGWU, -1001000000004}
        assert all("v1:pl:" not in str(e.payload["keyboard"]) for e in edits)
    # Now only Laishan's QC may close the assessment; the production VP leads.
    assert company.press(QC_HW, "initial_assessment", Press.DONE) is PressResult.DENIED
    assert company.press(VP_EXEC, "initial_assessment", Press.DONE) is PressResult.DENIED
    assert company.press(QC_LS, "initial_assessment", Press.DONE) is PressResult.OK


def test_a_c_complaint_walks_every_step_to_closed_with_one_rework(engine: Engine) -> None:
    company = Company(engine)
    company.file(demands=["exchange"], customer_class="C", plant="huangwu")
    chain = [
        (QC_HW, "initial_assessment"),
        (QC_HW, "containment"),
        (QC_HW, "appraisal_report"),
        (QC_HW, "feedback_to_sales"),
        (QC_HW, "improvement_measures"),
        (SALES, "customer_solution"),
        (VP_EXEC, "rectification_items"),
        (QC_HW, "verification"),
    ]
    for who, key in chain:
        assert company.press(who, key, Press.DONE) is PressResult.OK, key
    assert company.press(SALES, "customer_result", Press.NOT_SATISFIED) is PressResult.OK
    for who, key in chain[2:]:
        if key != "containment":
            assert company.press(who, key, Press.DONE) is PressResult.OK, key
    with company.sessions() as session:
        assert session.scalars(select(Complaint.status)).one() == "open"
    assert company.press(SALES, "customer_result", Press.SATISFIED) is PressResult.OK
    with company.sessions() as session:
        complaint = session.scalars(select(Complaint)).one()
        assert complaint.status == "closed" and complaint.closed_at == NOW
        statuses = [(s.key, s.status) for s in complaint.steps]
        assert ("appraisal_report", "superseded") in statuses
        assert not [s for s in complaint.steps if s.status == "open"]
        assert statuses.count(("customer_result", "done")) == 2


def test_someone_not_on_the_list_changes_nothing_and_is_logged(engine: Engine) -> None:
    company = Company(engine)
    company.file()
    step_id = company.step_id("initial_assessment")
    with company.sessions.begin() as session:
        result, _ = press(
            session,
            company.config,
            step_id,
            Press.DONE,
            None,
            Actor(None, 100099, "chat", QC_HUANGWU),
            NOW,
        )
        assert result is PressResult.DENIED
    with company.sessions() as session:
        refused = session.scalars(select(Event).where(Event.action == "press_refused")).one()
        assert refused.actor_telegram_id == 100099 and refused.chat_id == QC_HUANGWU
    assert company.step_id("initial_assessment") == step_id  # still open
