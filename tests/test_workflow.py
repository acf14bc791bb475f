"""The engine on stored complaints: rights, owners, recipients, pings (no Telegram)."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.app import prepare_database
from bot.config import KesuConfig, parse_config
from bot.delivery.scheduler import Delivery
from bot.procedure.access import may_press
from bot.procedure.causes import to_mask
from bot.procedure.clock import FakeClock
from bot.procedure.grading import CustomerClass, Demand, Grade, Plant
from bot.procedure.intake import Draft, FileKind
from bot.procedure.plans import Change, Department, ItemDraft, ItemStatus, PlanDraft
from bot.procedure.resources import ReportStatus
from bot.procedure.routing import Group
from bot.procedure.signatures import Meaning
from bot.procedure.steps import STEP_BY_ID, ComplaintStatus, Owner, StepStatus
from bot.procedure.suggestions import SuggestionStatus
from bot.services import (
    causes,
    complaints,
    major,
    mapping,
    meetings,
    plans,
    resources,
    steps,
    suggestions,
    summary,
)
from bot.services.steps import PressResult, PressStep
from bot.services.uow import Caller, Services
from bot.views import cards
from bot.views.callbacks import StepAction
from bot.views.render import render
from storage import db, queries
from storage.models import (
    Complaint,
    DeliveryStatus,
    Event,
    Meeting,
    Method,
    OutboxMessage,
    Person,
    PlanItem,
    Purpose,
    QueuedPing,
    Signature,
    SpecialReport,
    Step,
    Suggestion,
)
from tests.conftest import (
    GM,
    LEADERSHIP,
    PROD_HUANGWU,
    PROD_LAISHAN,
    PURCHASING,
    QC_HUANGWU,
    QC_HW,
    QC_LAISHAN,
    QC_LS,
    SALES,
    SALES_2,
    SALES_GROUP,
    VP_EXEC,
    VP_MKT,
    VP_PROD,
    config_data,
    migrated,
)

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


class Press:
    """The buttons of a task card, as (action, outcome code)."""

    DONE = (StepAction.FINISH, "done")
    SATISFIED = (StepAction.FINISH, "sat")
    NOT_SATISFIED = (StepAction.FINISH, "unsat")
    NOT_TODAY = (StepAction.FINISH, "nt")  # step 3: cannot be solved the same day
    NOT_QUALITY = (StepAction.FINISH, "nq")  # step 2
    ACCEPTED = (StepAction.FINISH, "acc")  # step 2a
    EFFECTIVE = (StepAction.FINISH, "eff")  # step 15's sign-off
    TAKE = (StepAction.TAKE, "")
    HELD = (StepAction.FINISH, "held")  # the recheck a month on
    RECURRED = (StepAction.FINISH, "recur")


def draft(**changes: Any) -> Draft:
    values: dict[str, Any] = {
        "customer": "海达",
        "customer_class": CustomerClass.A,
        "contact_phone": "0535-6881234",
        "content": "退货",
        "demands": [Demand.CLAIM, Demand.RETURN],
        "product_name": "轴承",
        "specification": "6204",
        "quantity": (Decimal(100), "件"),
        "delivery_date": date(2026, 11, 1),
        "received_at": NOW,
        "occurred_on": None,
        "batch": False,
        "recurring": False,
        "plant": Plant.HUANGWU,
        "description": "异响",
        "attachments": [],
    }
    values.update(changes)
    found = Draft(received_at=NOW)
    for key, value in values.items():
        found.answer(key, value)
    return found


class Company:
    def __init__(self, engine: Engine, **overrides: Any) -> None:
        self.config: KesuConfig = parse_config(config_data(str(engine.url), **overrides))
        migrated(engine)
        prepare_database(self.config, engine)
        self.sessions: sessionmaker[Session] = db.make_sessionmaker(engine)
        self.clock = FakeClock(NOW)
        self.services = Services(self.config, self.sessions, self.clock)

    def person(self, session: Session, telegram_id: int) -> Person:
        found = queries.person_by_telegram_id(session, telegram_id)
        assert found is not None
        return found

    def file(self, **changes: Any) -> int:
        filed = self.services.call(
            complaints.file_complaint,
            complaints.FileComplaint(Caller(SALES, SALES), draft(**changes)),
        )
        assert filed.complaint is not None
        return filed.complaint.id

    def step_id(self, key: str) -> int:
        with self.sessions() as session:
            return session.scalars(
                select(Step.id).where(Step.key == key, Step.status == StepStatus.OPEN)
            ).one()

    def press(
        self, who: int, key: str, button: tuple[StepAction, str], at: datetime = NOW
    ) -> PressResult:
        self.clock.set(at)
        step_id = self.step_id(key)
        if STEP_BY_ID[key].asks_causes and button[0] is StepAction.FINISH:
            self.name_causes(who, step_id, only_if_none=True)  # as QC do before Done
        command = PressStep(Caller(who, who), step_id, *button)
        return self.services.call(steps.press, command).result

    def name_causes(
        self,
        who: int,
        step_id: int,
        keys: tuple[str, ...] = ("machine",),
        plant: str = "",
        *,
        only_if_none: bool = False,
    ) -> causes.CausesResult:
        """The appraisal's cause categories (and the plant, unchanged unless given)."""
        with self.sessions() as session:
            step = session.get(Step, step_id)
            assert step is not None
            if only_if_none and step.complaint.causes:
                return causes.CausesResult.UNCHANGED
            plant = plant or step.complaint.plant.value
        mask = to_mask(keys, self.services.config.causes.listed())
        command = causes.ChooseCauses(Caller(who, who), step_id, mask, plant)
        return self.services.call(causes.choose, command).result

    def person_id(self, telegram_id: int) -> int:
        with self.sessions() as session:
            return self.person(session, telegram_id).id

    def issue_plan(
        self,
        by: int,
        items: list[tuple[str, int, int]],
        at: datetime = NOW,
        number: str | None = None,
    ) -> plans.Issued:
        """Step 10 through the plan service: (what, owner, acceptor) per item; `number`
        picks the complaint where several have a plan to fill in."""
        self.clock.set(at)
        with self.sessions() as session:
            query = select(Step).where(
                Step.key == "rectification_plan", Step.status == StepStatus.OPEN
            )
            if number is not None:
                query = query.join(Complaint).where(Complaint.number == number)
            step = session.scalars(query).one()
            step_id, complaint_id = step.id, step.complaint_id
        plan = PlanDraft(
            complaint_id=complaint_id,
            step_id=step_id,
            number="KS",
            problem="轴承异响",
            causes="装配间隙过大",
            owner_id=self.person_id(by),
            deadline=date(2026, 12, 31),
            departments=[Department.PRODUCTION, Department.QC],
        )
        for action, owner, acceptor in items:
            plan.items.append(
                ItemDraft(
                    action,
                    "复检合格",
                    self.person_id(owner),
                    date(2026, 12, 1),
                    self.person_id(acceptor),
                )
            )
        return self.services.call(plans.issue, plans.IssuePlan(Caller(by, by), plan))

    def item_step(self, key: str, number: int) -> int:
        with self.sessions() as session:
            return session.scalars(
                select(Step.id)
                .join(PlanItem, Step.plan_item_id == PlanItem.id)
                .where(Step.key == key, Step.status == StepStatus.OPEN, PlanItem.number == number)
            ).one()

    def press_item(
        self, who: int, key: str, number: int, code: str, at: datetime = NOW
    ) -> PressResult:
        self.clock.set(at)
        command = PressStep(Caller(who, who), self.item_step(key, number), StepAction.FINISH, code)
        return self.services.call(steps.press, command).result

    def carry_out(self, items: list[tuple[int, int]], at: datetime = NOW) -> None:
        """Each item done by its owner and accepted (number from 1)."""
        for number, (owner, acceptor) in enumerate(items, start=1):
            assert self.press_item(owner, "plan_item", number, "done", at) is PressResult.OK
            assert self.press_item(acceptor, "item_acceptance", number, "acc", at) is (
                PressResult.OK
            )

    def deliver(self) -> None:
        """The sender delivered every row waiting (a later reminder message replaces one
        that has not gone)."""
        with self.sessions.begin() as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.status == DeliveryStatus.PENDING)
                .values(status=DeliveryStatus.SENT, sent_at=self.clock.now())
            )

    def outbox(self, purpose: Purpose) -> list[OutboxMessage]:
        """The notifications of one purpose, in the order they were posted."""
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.purpose == purpose)
                    .order_by(OutboxMessage.id)
                )
            )

    def chats_of(self, key: str, purpose: Purpose = Purpose.TASK) -> set[int]:
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
        case = mapping.case(complaint)

        def may(person: Person, owner: Owner) -> bool:
            return may_press(mapping.who(person), owner, case)

        assert may(qc_hw, Owner.QC) and not may(qc_ls, Owner.QC)
        assert may(vp_exec, Owner.QC) and not may(vp_prod, Owner.QC)
        assert may(gm, Owner.LEADING_VP)
        assert not may(qc_hw, Owner.LEADING_VP)
        # A sales step is the filer's, not any salesperson's (issue 21: tests/test_access.py).
        filer = company.person(session, SALES)
        assert may(filer, Owner.SALES) and not may(seller, Owner.SALES)
        assert not may(seller, Owner.QC)
    assert company.press(QC_LS, "initial_assessment", Press.DONE) is PressResult.DENIED
    assert company.press(QC_HW, "initial_assessment", Press.DONE) is PressResult.OK
    with company.sessions() as session:
        refused = session.scalars(select(Event).where(Event.action == "press_refused")).one()
        assert refused.actor_telegram_id == QC_LS and refused.source == "chat"
        assert refused.detail == {"step": "initial_assessment", "button": "done"}


def test_containment_goes_to_the_plants_qc_and_production_groups(engine: Engine) -> None:
    company = Company(engine)
    company.file()
    assert company.press(QC_HW, "initial_assessment", Press.DONE) is PressResult.OK
    assert company.chats_of("containment") == {QC_HUANGWU, PROD_HUANGWU}
    assert company.chats_of("appraisal_report") == {QC_HUANGWU}


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

    def fire(at: datetime) -> bool:
        company.clock.set(at)
        return company.services.call(steps.fire_ping, step_id)

    assert not fire(NOW + timedelta(minutes=59))  # not due yet: nothing
    assert fire(NOW + timedelta(hours=1))  # half of 2 h: a reminder to QC Huangwu
    company.deliver()
    assert not fire(NOW + timedelta(hours=1, minutes=1))  # sent already
    assert fire(NOW + timedelta(hours=2, minutes=1))  # overdue: QC, the executive VP, the GM
    with company.sessions() as session:
        pings = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.purpose == Purpose.PING)
            .order_by(OutboxMessage.id)
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


def test_one_deadline_job_sends_every_due_ping_oldest_first_and_sets_right_a_stale_time(
    engine: Engine,
) -> None:
    company = Company(engine)
    company.file()  # grade A: several steps open, each with its next ping
    delivery = Delivery(company.services, None)
    with company.sessions() as session:
        times = session.scalars(
            select(Step.next_ping_at).where(
                Step.status == StepStatus.OPEN, Step.next_ping_at.is_not(None)
            )
        ).all()
        # A step whose stored time is wrong (set by another ping policy): due by the
        # database, not by the rule.
        stale = session.scalars(
            select(Step).where(Step.key == "special_meeting", Step.status == StepStatus.OPEN)
        ).one()
        right = stale.next_ping_at
        assert right is not None
        stale.next_ping_at = NOW + timedelta(minutes=1)
        session.commit()
    assert len(times) > 3
    assert asyncio.run(delivery.next_due()) == NOW + timedelta(minutes=1)

    company.clock.set(sorted(times)[1])  # the two soonest are due (and the stale one)
    fired = asyncio.run(delivery.fire_due())
    assert right > company.clock.now()
    assert fired == len([t for t in times if t <= company.clock.now()]) == 2
    with company.sessions() as session:
        assert session.get(Step, stale.id).next_ping_at == right  # set right, nothing sent
        events = session.scalars(select(Event).where(Event.action == "ping")).all()
        assert "special_meeting" not in {e.detail["step"] for e in events}
        assert len(events) == fired
    # Nothing due is left before the next time, and a second pass sends nothing.
    assert asyncio.run(delivery.fire_due()) == 0
    soonest = asyncio.run(delivery.next_due())
    assert soonest is not None and soonest > company.clock.now()


def test_take_it_names_the_owner_and_brings_the_card_privately(engine: Engine) -> None:
    company = Company(engine)
    company.file()
    assert company.press(QC_HW, "initial_assessment", Press.TAKE) is PressResult.OK
    assert company.chats_of("initial_assessment") == {QC_HUANGWU, QC_HW}
    with company.sessions() as session:
        step = session.scalars(select(Step).where(Step.key == "initial_assessment")).one()
        assert step.assignee is not None and step.assignee.telegram_id == QC_HW
        edits = session.scalars(
            select(OutboxMessage).where(OutboxMessage.purpose == Purpose.TASK_EDIT)
        ).all()
        assert [e.chat_id for e in edits] == [QC_HUANGWU]
        assert "李质检" in edits[0].payload["text"]
    assert company.press(QC_HW, "initial_assessment", Press.TAKE) is PressResult.OK
    assert company.chats_of("initial_assessment") == {QC_HUANGWU, QC_HW}  # no second copy


def test_qc_name_the_plant_when_it_was_unknown(engine: Engine) -> None:
    company = Company(engine)
    company.file(plant=Plant.UNKNOWN)
    assert company.chats_of("initial_assessment") == {QC_HUANGWU, -1001000000004}
    with company.sessions() as session:
        card = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.purpose == Purpose.TASK, OutboxMessage.chat_id == QC_HUANGWU
            )
        ).one()
        plant_buttons = [
            data for row in card.payload["keyboard"] for _, data in row if data.startswith("v1:pl:")
        ]
        assert len(plant_buttons) == 3
    step_id = company.step_id("initial_assessment")

    def name(who: int, plant: Plant) -> PressResult:
        command = steps.NamePlant(Caller(who, who), step_id, plant.value)
        return company.services.call(steps.name_plant, command)

    assert name(SALES_2, Plant.LAISHAN) is PressResult.DENIED
    assert name(QC_LS, Plant.LAISHAN) is PressResult.OK
    assert name(QC_HW, Plant.HUANGWU) is PressResult.DENIED  # Huangwu's QC are out of it now
    assert name(QC_LS, Plant.HUANGWU) is PressResult.NOT_OPEN  # decided already
    with company.sessions() as session:
        assert session.scalars(select(Complaint.plant)).one() == "laishan"
        edits = session.scalars(
            select(OutboxMessage).where(OutboxMessage.purpose == Purpose.TASK_EDIT)
        ).all()
        assert {e.chat_id for e in edits} >= {QC_HUANGWU, -1001000000004}
        assert all("v1:pl:" not in str(e.payload["keyboard"]) for e in edits)
    # Now only Laishan's QC may close the assessment; the production VP leads.
    assert company.press(QC_HW, "initial_assessment", Press.DONE) is PressResult.DENIED
    assert company.press(VP_EXEC, "initial_assessment", Press.DONE) is PressResult.DENIED
    assert company.press(QC_LS, "initial_assessment", Press.DONE) is PressResult.OK


def test_a_c_complaint_walks_every_step_to_closed_with_one_rework(engine: Engine) -> None:
    company = Company(engine)
    company.file(demands=[Demand.EXCHANGE], customer_class=CustomerClass.C)
    chain = [
        (QC_HW, "initial_assessment", Press.DONE),
        (QC_HW, "containment", Press.DONE),
        # QC cannot solve it the same day: the plant's VP leads a plan.
        (QC_HW, "appraisal_report", Press.NOT_TODAY),
        (QC_HW, "feedback_to_sales", Press.DONE),
        (QC_HW, "improvement_measures", Press.DONE),
        (SALES, "customer_solution", Press.DONE),
    ]
    finish = [
        (QC_HW, "verification", Press.DONE),
        # The production VP signs it off (for Huangwu too: 生产质量副总 on the form).
        (VP_PROD, "verification_signoff", Press.EFFECTIVE),
    ]
    for who, key, button in chain:
        assert company.press(who, key, button) is PressResult.OK, key
    issued = company.issue_plan(VP_EXEC, [("调整装配间隙", QC_HW, VP_EXEC)])
    assert issued.result is plans.IssueResult.ISSUED
    company.carry_out([(QC_HW, VP_EXEC)])
    for who, key, button in finish:
        assert company.press(who, key, button) is PressResult.OK, key
    assert company.press(SALES, "customer_result", Press.NOT_SATISFIED) is PressResult.OK
    for who, key, button in chain[2:]:
        assert company.press(who, key, button) is PressResult.OK, key
    # The plan stands; its items run again, and the rest follows.
    company.carry_out([(QC_HW, VP_EXEC)])
    for who, key, button in finish:
        assert company.press(who, key, button) is PressResult.OK, key
    with company.sessions() as session:
        assert session.scalars(select(Complaint.status)).one() == ComplaintStatus.OPEN
    assert company.press(SALES, "customer_result", Press.SATISFIED) is PressResult.OK
    with company.sessions() as session:
        complaint = session.scalars(select(Complaint)).one()
        assert complaint.status == ComplaintStatus.CLOSED and complaint.closed_at == NOW
        statuses = [(s.key, s.status) for s in complaint.steps]
        assert ("appraisal_report", "superseded") in statuses
        assert not [s for s in complaint.steps if s.status == ComplaintStatus.OPEN]
        assert statuses.count(("customer_result", "done")) == 2
    closure = company.outbox(Purpose.CLOSURE)
    # Sales and the plant's QC; leadership only for A and B.
    assert {r.chat_id for r in closure} == {SALES_GROUP, QC_HUANGWU}
    assert all("客诉已结案" in r.payload["text"] for r in closure)
    assert all("所有步骤均在时限内完成" in r.payload["text"] for r in closure)


def test_someone_not_on_the_list_changes_nothing_and_is_logged(engine: Engine) -> None:
    company = Company(engine)
    company.file()
    step_id = company.step_id("initial_assessment")
    command = PressStep(Caller(100099, QC_HUANGWU), step_id, *Press.DONE)
    assert company.services.call(steps.press, command).result is PressResult.DENIED
    with company.sessions() as session:
        refused = session.scalars(select(Event).where(Event.action == "press_refused")).one()
        assert refused.actor_telegram_id == 100099 and refused.chat_id == QC_HUANGWU
    assert company.step_id("initial_assessment") == step_id  # still open


def test_a_complaint_received_yesterday_counts_its_limits_from_then(engine: Engine) -> None:
    """T0 is when sales received it: limits already past at filing are overdue at once."""
    company = Company(engine)
    received = NOW - timedelta(hours=18)
    company.file(received_at=received)
    with company.sessions() as session:
        complaint = session.scalars(select(Complaint)).one()
        assert complaint.received_at == received
        step = session.scalars(select(Step).where(Step.key == "initial_assessment")).one()
        assert step.due_at == received + timedelta(hours=2)
        assert step.next_ping_at is not None and step.next_ping_at <= NOW
    assert company.services.call(steps.fire_ping, company.step_id("initial_assessment"))
    with company.sessions() as session:
        ping = session.scalars(select(Event).where(Event.action == "ping")).one()
        # The latest of what is due, at once, and not "late": the bot was running.
        assert ping.detail["kind"] == "escalation" and ping.detail["late"] is False


def test_the_marketing_vp_takes_over_the_lead_on_site(engine: Engine) -> None:
    company = Company(engine)
    company.file()  # an A complaint from Huangwu: the executive VP leads
    assert company.press(VP_MKT, "special_meeting", Press.TAKE) is PressResult.DENIED
    assert company.press(VP_MKT, "lead_on_site", Press.TAKE) is PressResult.OK
    assert VP_MKT in company.chats_of("lead_on_site")  # the card came to them privately
    assert company.press(VP_MKT, "lead_on_site", Press.DONE) is PressResult.OK


def test_results_go_where_the_procedure_sends_them(engine: Engine) -> None:
    """Step 7's corrective results to sales; step 9's report to the GM, the executive VP, sales."""
    company = Company(engine)
    company.file()
    for who, key in ((QC_HW, "initial_assessment"), (QC_HW, "appraisal_report")):
        assert company.press(who, key, Press.DONE) is PressResult.OK
    assert company.press(QC_HW, "feedback_to_sales", Press.DONE) is PressResult.OK

    def results() -> list[tuple[int, str]]:
        with company.sessions() as session:
            rows = session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.purpose == Purpose.RESULT)
                .order_by(OutboxMessage.id)
            ).all()
            return [(r.chat_id, r.payload["text"]) for r in rows]

    assert {chat for chat, _ in results()} == {SALES_GROUP, SALES}
    step_id = company.services.call(
        lambda uow: uow.session.scalars(
            select(Step.id).where(Step.key == "feedback_to_sales")
        ).one()
    )
    reply = steps.PromptReply(
        Caller(QC_HW, QC_HW), step_id, steps.PromptKind.NOTE, "已更换热处理工艺", None
    )
    assert company.services.call(steps.reply_to_prompt, reply) is steps.ReplyResult.NOTE_ADDED
    assert [chat for chat, text in results() if "已更换热处理工艺" in text] == [SALES_GROUP, SALES]
    assert company.press(VP_EXEC, "report_to_gm", Press.DONE) is PressResult.OK
    assert {chat for chat, text in results() if "上报总经理" in text} == {GM, VP_EXEC, SALES_GROUP}


def _set_nature(
    company: Company, who: int, grade: Grade, *, batch: bool = False, recurring: bool = False
) -> steps.NatureResult:
    command = steps.SetNature(
        Caller(who, who), company.step_id("appraisal_report"), grade, batch, recurring, "复检结论"
    )
    return company.services.call(steps.set_nature, command)


def _statuses(company: Company) -> dict[str, StepStatus]:
    with company.sessions() as session:
        return {s.key: s.status for s in session.scalars(select(Step).order_by(Step.id))}


def test_qc_regrade_b_to_a_at_step_3_opens_the_vp_steps_at_once(engine: Engine) -> None:
    company = Company(engine)
    company.file(demands=[Demand.DOWNGRADE], content="降价")
    assert company.press(QC_HW, "initial_assessment", Press.DONE) is PressResult.OK
    before = _statuses(company)
    assert "lead_on_site" not in before  # a downgrade: nothing the VPs lead yet
    company.clock.set(NOW + timedelta(hours=1))
    assert _set_nature(company, SALES_2, Grade.A) is steps.NatureResult.DENIED
    assert _set_nature(company, QC_HW, Grade.A) is steps.NatureResult.CHANGED
    assert _set_nature(company, QC_HW, Grade.A) is steps.NatureResult.UNCHANGED
    after = _statuses(company)
    # Nothing it should keep is cancelled; the VP-led steps open from this moment.
    assert {k: v for k, v in after.items() if k in before} == before
    assert {k for k in after if k not in before} == {
        "lead_on_site",
        "report_to_gm",
        "rectification_plan",
    }
    with company.sessions() as session:
        on_site = session.scalars(select(Step).where(Step.key == "lead_on_site")).one()
        assert on_site.due_at == NOW + timedelta(hours=2)  # 1 h from the change
        complaint = session.scalars(select(Complaint)).one()
        assert complaint.grade is Grade.A and complaint.is_serious
        event = session.scalars(select(Event).where(Event.action == "nature_set")).one()
        assert event.actor_telegram_id == QC_HW and event.at == NOW + timedelta(hours=1)
        assert event.detail["grade_from"] == "B" and event.detail["reason"] == "复检结论"
    assert company.chats_of("lead_on_site") == {LEADERSHIP, VP_EXEC}


def test_qc_regrade_down_cancels_the_steps_and_edits_their_cards(engine: Engine) -> None:
    company = Company(engine)
    company.file(demands=[Demand.CLAIM], content="索赔")
    assert company.press(QC_HW, "initial_assessment", Press.DONE) is PressResult.OK
    assert _set_nature(company, QC_HW, Grade.C) is steps.NatureResult.CHANGED
    after = _statuses(company)
    for key in ("lead_on_site", "report_to_gm", "rectification_plan"):
        assert after[key] is StepStatus.SKIPPED
    assert "special_meeting" not in after  # a claim alone never had one
    assert company.chats_of("lead_on_site", Purpose.TASK_EDIT) == {LEADERSHIP, VP_EXEC}
    with company.sessions() as session:
        skipped = session.scalars(select(Event).where(Event.action == "step_skipped")).all()
        assert {e.detail["step"] for e in skipped} == {
            "lead_on_site",
            "report_to_gm",
            "rectification_plan",
        }
        assert all(e.actor_telegram_id == QC_HW for e in skipped)


def test_an_ordinary_complaint_qc_flag_as_batch_gets_its_disposition_report(
    engine: Engine,
) -> None:
    company = Company(engine)
    company.file(demands=[Demand.EXCHANGE], content="换货")
    with company.sessions() as session:
        assert not session.scalars(
            select(OutboxMessage).where(OutboxMessage.purpose == Purpose.REPORT)
        ).all()
    assert company.press(QC_HW, "initial_assessment", Press.DONE) is PressResult.OK
    assert _set_nature(company, QC_HW, Grade.C, batch=True) is steps.NatureResult.CHANGED
    with company.sessions() as session:
        reports = session.scalars(
            select(OutboxMessage.chat_id).where(OutboxMessage.purpose == Purpose.REPORT)
        ).all()
        # The report goes privately to the GM and the three VPs and to leadership.
        assert set(reports) == {LEADERSHIP, GM, VP_EXEC, VP_PROD, VP_MKT}
    assert set(_statuses(company)) >= {"special_meeting", "rectification_plan"}


def test_a_c_complaint_about_a_recurring_problem_gets_the_plants_vp_plan(engine: Engine) -> None:
    company = Company(engine)
    company.file(demands=[Demand.EXCHANGE], content="换货", recurring=True, plant=Plant.LAISHAN)
    assert company.chats_of("rectification_plan") == {LEADERSHIP, VP_PROD}
    assert "special_meeting" not in _statuses(company)


def _special_rows(company: Company) -> list[OutboxMessage]:
    return company.outbox(Purpose.SPECIAL_REPORT)


def test_a_special_report_goes_to_the_gm_who_answers_back_to_the_vp_and_sales(
    engine: Engine,
) -> None:
    company = Company(engine)
    company.file()
    assert company.press(QC_HW, "initial_assessment", Press.DONE) is PressResult.OK
    step_id = company.step_id("containment")
    report = steps.PromptReply(
        Caller(QC_HW, QC_HW),
        step_id,
        steps.PromptKind.BLOCK,
        "缺少检测设备,需采购",
        "doc-1",
        FileKind.DOCUMENT,
    )
    assert company.services.call(resources.write_report, report) is steps.ReplyResult.REPORTED
    rows = _special_rows(company)
    # The GM gets it with Approve / Reply; the leading VP a copy; the document follows
    # the text.
    with_buttons = {r.chat_id for r in rows if r.payload.get("keyboard")}
    assert with_buttons == {GM}
    assert {r.chat_id for r in rows} == {GM, VP_EXEC}
    assert [r.method for r in rows if r.chat_id == GM] == [Method.MESSAGE, Method.DOCUMENT]
    with company.sessions() as session:
        stored = session.scalars(select(SpecialReport)).one()
        assert stored.status is ReportStatus.WAITING and stored.file_kind is FileKind.DOCUMENT
        report_id = stored.id

    def answer(who: int, approve: bool, text: str | None = None) -> resources.AnswerResult:
        command = resources.AnswerReport(Caller(who, who), report_id, approve, text)
        return company.services.call(resources.answer_report, command).result

    assert answer(VP_EXEC, True) is resources.AnswerResult.DENIED
    assert answer(GM, False) is resources.AnswerResult.NEEDS_TEXT  # Reply asks for words
    assert answer(GM, False, "同意采购,本周到位") is resources.AnswerResult.OK
    assert answer(GM, True) is resources.AnswerResult.ANSWERED  # the first answer stands
    answers = [r for r in _special_rows(company) if r.id > rows[-1].id]
    assert {r.chat_id for r in answers} == {QC_HW, VP_EXEC, SALES_GROUP, SALES}
    assert all("同意采购" in r.payload["text"] for r in answers)
    with company.sessions() as session:
        stored = session.scalars(select(SpecialReport)).one()
        assert stored.status is ReportStatus.ANSWERED and stored.answered_at == NOW
        event = session.scalars(
            select(Event).where(Event.action == "special_report_answered")
        ).one()
        assert event.actor_telegram_id == GM and event.detail["approved"] is False
        # The GM's answer is a signature that says what it means.
        signature = session.scalars(select(Signature)).one()
        assert (signature.meaning, signature.signed_by.telegram_id) == (
            Meaning.REPORT_ANSWERED,
            GM,
        )
        assert signature.report_id == stored.id and signature.event_id == event.id
    # The step's cards show the answer.
    edits = company.chats_of("containment", Purpose.TASK_EDIT)
    assert edits == {QC_HUANGWU, PROD_HUANGWU}


def test_an_outside_contractors_problem_is_led_by_the_production_vp_with_purchasing(
    engine: Engine,
) -> None:
    company = Company(engine)
    company.file(plant=Plant.CONTRACTOR)
    assert company.chats_of("lead_on_site") == {LEADERSHIP, VP_PROD, PURCHASING}
    assert company.chats_of("initial_assessment") == {QC_LAISHAN}
    assert company.press(PURCHASING, "report_to_gm", Press.DONE) is PressResult.OK
    assert company.press(PURCHASING, "initial_assessment", Press.DONE) is PressResult.DENIED
    # Escalations go to the VP who leads, not to purchasing.
    company.clock.set(NOW + timedelta(hours=2))
    assert company.services.call(steps.fire_ping, company.step_id("lead_on_site"))
    with company.sessions() as session:
        pings = session.scalars(
            select(OutboxMessage.chat_id).where(OutboxMessage.purpose == Purpose.PING)
        ).all()
        assert VP_PROD in pings and GM in pings


def test_the_closure_card_names_every_limit_missed_and_by_whom(engine: Engine) -> None:
    company = Company(engine)
    company.file(demands=[Demand.DOWNGRADE], content="降价")  # B
    late = NOW + timedelta(hours=5)  # the 2-hour initial assessment, 3 hours late
    assert company.press(QC_HW, "initial_assessment", Press.NOT_QUALITY, at=late) is (
        PressResult.OK
    )
    assert company.press(SALES, "explain_to_customer", Press.ACCEPTED, at=late) is PressResult.OK
    closure = company.outbox(Purpose.CLOSURE)
    assert {r.chat_id for r in closure} == {SALES_GROUP, QC_HUANGWU, LEADERSHIP}
    text = closure[0].payload["text"]
    assert "超出时限" in text and "问题鉴定初评" in text and "李质检" in text
    assert "超时 3 小时" in text and "总用时:5 小时" in text.replace("：", ":")


def test_the_register_of_major_problems(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    company = Company(engine)
    company.file()  # A: major by its grade
    company.file(customer="烟台新材料", demands=[Demand.DOWNGRADE], content="降价")  # B
    with company.sessions() as session:
        b_id = session.scalars(
            select(Complaint.id).where(Complaint.customer_name == "烟台新材料")
        ).one()

    def register(who: int) -> major.MajorRegister:
        return company.services.call(major.major_register, Caller(who))

    assert [e.complaint.grade for e in register(QC_HW).entries] == [Grade.A]
    assert register(QC_HW).entries[0].plan is StepStatus.OPEN  # a claim: the VP's plan
    # Issued, the register shows the plan's items and where each stands.
    company.issue_plan(VP_EXEC, [("更换热处理供应商", PURCHASING, VP_EXEC)])
    entry = register(QC_HW).entries[0]
    assert entry.plan is StepStatus.DONE
    assert [(i.action, i.owner, i.accepted) for i in entry.items] == [
        ("更换热处理供应商", "钱采购", False)
    ]
    assert not register(SALES_2).allowed
    # QC may read it but not file into it; a VP files the B complaint.
    command = major.FileMajor(Caller(QC_HW), b_id)
    assert company.services.call(major.file_major, command) is major.MajorResult.DENIED
    command = major.FileMajor(Caller(VP_PROD), b_id)
    assert company.services.call(major.file_major, command) is major.MajorResult.FILED
    assert company.services.call(major.file_major, command) is major.MajorResult.ALREADY
    entries = register(GM).entries
    assert {e.complaint.customer_name for e in entries} == {"海达", "烟台新材料"}
    filed = next(e for e in entries if e.complaint.id == b_id)
    assert filed.filed_at == NOW and filed.plan is None
    # A page at a time, newest first; past the last page, the last.
    monkeypatch.setattr(major, "REGISTER_PAGE", 1)
    pages = [company.services.call(major.major_register, Caller(GM), n) for n in (1, 2, 5)]
    assert [[e.complaint.customer_name for e in p.entries] for p in pages] == [
        ["烟台新材料"],
        ["海达"],
        ["海达"],
    ]
    assert [(p.page, p.pages, p.total) for p in pages] == [(1, 2, 2), (2, 2, 2), (2, 2, 2)]
    with company.sessions() as session:
        event = session.scalars(select(Event).where(Event.action == "filed_major")).one()
        assert event.actor_telegram_id == VP_PROD and event.complaint_id == b_id


def test_a_suggestion_adopted_and_its_reward_kept(engine: Engine) -> None:
    company = Company(engine)
    complaint_id = company.file()
    with company.sessions() as session:
        number = session.get(Complaint, complaint_id).number  # type: ignore[union-attr]

    def call(function: Any, command: Any) -> Any:
        return company.services.call(function, command)

    made = call(suggestions.propose, suggestions.Propose(Caller(QC_HW), f"{number} 改进热处理工艺"))
    assert made.result is suggestions.SuggestionResult.OK
    assert made.suggestion.complaint_number == number and made.suggestion.text == "改进热处理工艺"
    cards = company.outbox(Purpose.SUGGESTION)
    assert [c.chat_id for c in cards] == [LEADERSHIP]
    assert [b[0] for row in cards[0].payload["keyboard"] for b in row] == ["采纳", "不采纳"]
    empty = call(suggestions.propose, suggestions.Propose(Caller(QC_HW), "  "))
    assert empty.result is suggestions.SuggestionResult.EMPTY
    sid = made.suggestion.id
    decide = suggestions.Decide
    assert call(suggestions.decide, decide(Caller(QC_HW), sid, True)).result is (
        suggestions.SuggestionResult.DENIED
    )
    benefit = suggestions.RecordBenefit(Caller(GM), sid, Decimal("12000"))
    assert call(suggestions.record_benefit, benefit).result is (
        suggestions.SuggestionResult.NOT_ADOPTED
    )
    assert call(suggestions.decide, decide(Caller(VP_EXEC), sid, True)).result is (
        suggestions.SuggestionResult.OK
    )
    assert call(suggestions.decide, decide(Caller(GM), sid, False)).result is (
        suggestions.SuggestionResult.DECIDED
    )
    recorded = call(suggestions.record_benefit, benefit)
    assert recorded.suggestion.reward == Decimal("1200.00")
    # The proposer hears of the decision and of the reward.
    told = [c for c in company.outbox(Purpose.SUGGESTION) if c.chat_id == QC_HW]
    assert len(told) == 2 and "奖励(10%):1200 元" in told[-1].payload["text"].replace(
        "（", "("
    ).replace("）", ")").replace("：", ":")
    listed = company.services.call(suggestions.list_suggestions, Caller(GM))
    assert listed.all_of_them and listed.total_reward == Decimal("1200.00")
    mine = company.services.call(suggestions.list_suggestions, Caller(SALES_2))
    assert mine.allowed and mine.suggestions == ()
    with company.sessions() as session:
        stored = session.scalars(select(Suggestion)).one()
        assert stored.status is SuggestionStatus.ADOPTED and stored.decided_by_id is not None
        actions = session.scalars(
            select(Event.action).where(Event.action.like("suggestion%")).order_by(Event.id)
        ).all()
        assert actions == ["suggestion_made", "suggestion_decided", "suggestion_benefit"]


def test_the_special_meeting_invites_reminds_and_its_minutes_complete_step_8(
    engine: Engine,
) -> None:
    company = Company(engine)
    company.file()  # a claim and a return: the special meeting applies
    step_id = company.step_id("special_meeting")
    pressed = company.services.call(
        steps.press, PressStep(Caller(VP_EXEC), step_id, StepAction.MEETING)
    )
    assert pressed.result is PressResult.OK and pressed.asks_meeting

    def reply(who: int, kind: steps.PromptKind, target: int, text: str) -> steps.ReplyResult:
        command = steps.PromptReply(Caller(who, who), target, kind, text, None)
        service = (
            meetings.plan_meeting if kind is steps.PromptKind.MEETING else (meetings.record_minutes)
        )
        return company.services.call(service, command)

    meeting_kind = steps.PromptKind.MEETING
    assert reply(VP_EXEC, meeting_kind, step_id, "明天下午") is steps.ReplyResult.NEEDS_TEXT
    assert reply(QC_HW, meeting_kind, step_id, "明天 14:00 三楼会议室") is (
        steps.ReplyResult.NOT_ALLOWED
    )
    assert reply(VP_EXEC, meeting_kind, step_id, "明天 14:00 三楼会议室") is (
        steps.ReplyResult.MEETING_PLANNED
    )
    at = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)  # 14:00 in Shanghai
    rows = company.outbox(Purpose.MEETING)
    invited = {r.chat_id for r in rows if r.next_attempt_at == NOW and "keyboard" not in r.payload}
    assert invited == {GM, VP_EXEC, VP_PROD, VP_MKT, QC_HUANGWU, PROD_HUANGWU, SALES}
    reminders = [r for r in rows if r.next_attempt_at > NOW]
    assert {r.next_attempt_at for r in reminders} == {at - timedelta(minutes=30)}
    confirmation = [r for r in rows if "keyboard" in r.payload]
    assert [r.chat_id for r in confirmation] == [VP_EXEC]
    # Moved to 15:00: one meeting, the old reminders gone, new ones for the new time.
    assert reply(VP_EXEC, meeting_kind, step_id, "明天 15:00 三楼会议室") is (
        steps.ReplyResult.MEETING_PLANNED
    )
    reminders = [r for r in company.outbox(Purpose.MEETING) if r.next_attempt_at > NOW]
    assert {r.next_attempt_at for r in reminders} == {at + timedelta(minutes=30)}
    with company.sessions() as session:
        meeting = session.scalars(select(Meeting)).one()
        meeting_id = meeting.id
    # The organiser invites purchasing too, from the people list; QC may not invite.
    invite = meetings.Invite
    purchasing = company.person_id(PURCHASING)
    refused = company.services.call(meetings.invite, invite(Caller(QC_HW), meeting_id, purchasing))
    assert refused.result is meetings.InviteResult.NOT_ALLOWED
    listed = company.services.call(meetings.invite, invite(Caller(VP_EXEC), meeting_id))
    assert purchasing not in listed.invited and company.person_id(GM) in listed.invited
    invited = company.services.call(
        meetings.invite, invite(Caller(VP_EXEC), meeting_id, purchasing)
    )
    assert invited.result is meetings.InviteResult.INVITED and purchasing in invited.invited
    to_purchasing = [r for r in company.outbox(Purpose.MEETING) if r.chat_id == PURCHASING]
    assert len(to_purchasing) == 2  # the invitation now, the reminder 30 minutes before
    minutes = steps.PromptKind.MINUTES
    assert reply(VP_EXEC, minutes, meeting_id, "决定:更换热处理供应商") is (
        steps.ReplyResult.MINUTES_RECORDED
    )
    with company.sessions() as session:
        meeting = session.scalars(select(Meeting)).one()
        assert meeting.minutes == "决定:更换热处理供应商" and meeting.recorded_at == NOW
        step = session.get(Step, step_id)
        assert step is not None and step.status is StepStatus.DONE
        assert step.done_by_id == company.person(session, VP_EXEC).id
        actions = session.scalars(
            select(Event.action).where(Event.action.like("meeting%")).order_by(Event.id)
        ).all()
        assert actions == [
            "meeting_planned",
            "meeting_planned",
            "meeting_invited",
            "meeting_minutes",
        ]
    # The reminders are no longer needed; the minutes went to everyone invited.
    assert not [r for r in company.outbox(Purpose.MEETING) if r.next_attempt_at > NOW]
    sent_minutes = [r for r in company.outbox(Purpose.MEETING) if "会议纪要" in r.payload["text"]]
    assert {r.chat_id for r in sent_minutes} >= {GM, QC_HUANGWU, SALES, PURCHASING}
    # /show lists the complaint's meetings with their minutes.
    with company.sessions() as session:
        number = session.scalars(select(Complaint.number)).one()
    shown = company.services.call(complaints.show, complaints.ShowComplaint(Caller(GM, GM), number))
    assert [(m.place, m.minutes) for m in shown.meetings] == [
        (meeting.place, "决定:更换热处理供应商")
    ]
    assert shown.plan is None


def test_a_meeting_no_longer_needed_sends_no_reminder(engine: Engine) -> None:
    company = Company(engine)
    company.file()
    step_id = company.step_id("special_meeting")
    command = steps.PromptReply(
        Caller(VP_EXEC, VP_EXEC), step_id, steps.PromptKind.MEETING, "明天 14:00 会议室", None
    )
    assert company.services.call(meetings.plan_meeting, command) is (
        steps.ReplyResult.MEETING_PLANNED
    )
    assert [r for r in company.outbox(Purpose.MEETING) if r.next_attempt_at > NOW]
    # Not a quality problem, and the customer accepted the explanation: the case ends.
    assert company.press(QC_HW, "initial_assessment", Press.NOT_QUALITY) is PressResult.OK
    assert company.press(SALES, "explain_to_customer", Press.ACCEPTED) is PressResult.OK
    assert not [r for r in company.outbox(Purpose.MEETING) if r.next_attempt_at > NOW]


def test_a_plan_with_three_items_of_three_departments_one_sent_back(engine: Engine) -> None:
    """Issue 10: the plan issued completes step 10; each item is its owner's task with its
    own limit; sent back reopens it a week on; all accepted opens the verification."""
    company = Company(engine)
    company.file(demands=[Demand.DOWNGRADE], content="降价", plant=Plant.LAISHAN)  # B
    # QC cannot solve it the same day: the plant's VP leads a plan.
    for key, button in [
        ("initial_assessment", Press.DONE),
        ("appraisal_report", Press.NOT_TODAY),
        ("improvement_measures", Press.DONE),
    ]:
        assert company.press(QC_LS, key, button) is PressResult.OK, key
    assert company.press(VP_PROD, "rectification_plan", Press.DONE) is PressResult.WRONG_BUTTON
    items = [
        ("更换轴承座", QC_LS, VP_PROD),
        ("校准设备", PURCHASING, QC_LS),
        ("培训", SALES_2, VP_PROD),
    ]
    issued = company.issue_plan(VP_PROD, items)
    assert issued.result is plans.IssueResult.ISSUED and issued.plan is not None
    assert [i.number for i in issued.plan.items] == [1, 2, 3]
    statuses = _statuses(company)
    assert statuses["rectification_plan"] is StepStatus.DONE
    assert statuses["rectification_items"] is StepStatus.OPEN
    # Each item's card goes to its owner privately and to their department's group (none
    # configured for purchasing here); the plan card to production, the VP and (B) leadership.
    assert company.chats_of("plan_item") == {QC_LS, QC_LAISHAN, PURCHASING, SALES_2, SALES_GROUP}
    plan_cards = company.outbox(Purpose.PLAN)
    assert {r.chat_id for r in plan_cards} >= {PROD_LAISHAN, VP_PROD, LEADERSHIP}
    assert "质量问题整治方法计划表" in plan_cards[0].payload["text"]
    # Only the item's owner (or the leading VP, GM, admin) may press it.
    assert company.press_item(QC_HW, "plan_item", 1, "done") is PressResult.DENIED
    assert company.press_item(QC_LS, "plan_item", 1, "done") is PressResult.OK
    later = NOW + timedelta(days=2)
    assert company.press_item(VP_PROD, "item_acceptance", 1, "back", later) is PressResult.OK
    with company.sessions() as session:
        first = session.scalars(select(PlanItem).where(PlanItem.number == 1)).one()
        assert first.status is ItemStatus.OPEN and first.times_sent_back == 1
        # Due a week from the day it was sent back, at the end of that working day.
        local_due = first.due_at.astimezone(company.config.tz)
        assert local_due.date() == (later.astimezone(company.config.tz) + timedelta(days=7)).date()
    company.carry_out([(QC_LS, VP_PROD), (PURCHASING, QC_LS), (SALES_2, VP_PROD)])
    statuses = _statuses(company)
    assert statuses["rectification_items"] is StepStatus.DONE
    assert statuses["verification"] is StepStatus.OPEN
    # The plan card was edited in place as the items moved.
    edits = company.outbox(Purpose.PLAN_EDIT)
    assert edits and "3/3" in edits[-1].payload["text"]
    with company.sessions() as session:
        actions = [e.action for e in session.scalars(select(Event).order_by(Event.id))]
    assert "plan_issued" in actions and "item_sent_back" in actions
    assert actions.count("item_accepted") == 3


def test_not_effective_runs_every_item_again_and_the_plan_takes_an_added_item(
    engine: Engine,
) -> None:
    company = Company(engine)
    company.file(demands=[Demand.DOWNGRADE], content="降价", plant=Plant.LAISHAN)
    for key, button in [
        ("initial_assessment", Press.DONE),
        ("appraisal_report", Press.NOT_TODAY),
        ("improvement_measures", Press.DONE),
    ]:
        assert company.press(QC_LS, key, button) is PressResult.OK, key
    company.issue_plan(VP_PROD, [("更换轴承座", QC_LS, VP_PROD)])
    company.carry_out([(QC_LS, VP_PROD)])
    assert company.press(QC_LS, "verification", Press.DONE) is PressResult.OK
    not_effective = (StepAction.FINISH, "neff")
    assert company.press(VP_PROD, "verification_signoff", not_effective) is PressResult.OK
    assert _statuses(company)["rectification_items"] is StepStatus.OPEN
    assert company.item_step("plan_item", 1)  # running again
    # The VP adds an item, with a reason.
    opening = company.services.call(
        plans.begin,
        plans.BeginPlan(Caller(VP_PROD, VP_PROD), company.step_id("rectification_items")),
    )
    assert opening.result is plans.PlanStart.OK and opening.draft is not None
    added = opening.draft
    added.change, added.reason = Change.ADD, "验证无效,增加设备整改"
    added.items.append(
        ItemDraft(
            "检修设备",
            "振动达标",
            company.person_id(PURCHASING),
            date(2026, 12, 5),
            company.person_id(VP_PROD),
        )
    )
    amended = company.services.call(plans.issue, plans.IssuePlan(Caller(VP_PROD, VP_PROD), added))
    assert amended.result is plans.IssueResult.AMENDED and amended.plan is not None
    assert [i.number for i in amended.plan.items] == [1, 2]
    with company.sessions() as session:
        event = session.scalars(select(Event).where(Event.action == "plan_amended")).one()
        assert event.detail["reason"] == "验证无效,增加设备整改"
    company.carry_out([(QC_LS, VP_PROD), (PURCHASING, VP_PROD)])
    assert _statuses(company)["verification"] is StepStatus.OPEN


def test_the_daily_tracking_lists_running_items_and_is_silent_when_none(engine: Engine) -> None:
    company = Company(engine)
    assert company.services.call(plans.post_tracking) == 0
    assert company.outbox(Purpose.DIGEST) == []
    company.file(plant=Plant.LAISHAN)  # a return and a claim: a plan from the start
    company.issue_plan(VP_PROD, [("更换轴承座", QC_LS, VP_PROD), ("校准", PURCHASING, QC_LS)])
    shanghai = ZoneInfo("Asia/Shanghai")
    # Due at the configured 08:30 after its last run (the empty one at NOW, 09:00 there).
    assert company.services.call(plans.next_tracking) == datetime(
        2026, 11, 25, 8, 30, tzinfo=shanghai
    )
    company.clock.set(datetime(2026, 12, 2, 1, 0, tzinfo=UTC))  # item due 12-01: overdue
    # The bot was down at 08:30: it is posted on start, half an hour late, and says so.
    due = datetime(2026, 12, 2, 8, 30, tzinfo=shanghai)
    assert company.services.call(plans.post_tracking, due) == 2
    digest = company.outbox(Purpose.DIGEST)
    assert {r.chat_id for r in digest} == {QC_LAISHAN, VP_PROD}
    text = digest[0].payload["text"]
    assert "更换轴承座" in text and "校准" in text and "已超时" in text
    assert "2026-12-02 08:30" in text  # when it was due
    assert company.services.call(plans.next_tracking) == datetime(
        2026, 12, 3, 8, 30, tzinfo=shanghai
    )


def test_an_items_card_goes_to_its_owners_department_group_where_there_is_one(
    engine: Engine,
) -> None:
    purchasing_group = -1001000000008
    chats = {**config_data()["chats"], "purchasing": purchasing_group}
    company = Company(engine, chats=chats)
    company.file(plant=Plant.LAISHAN)  # a return and a claim: a plan from the start
    company.issue_plan(
        VP_PROD, [("更换毛坯供应商", PURCHASING, QC_LS), ("校准量具", QC_LS, VP_PROD)]
    )
    with company.sessions() as session:
        cards = {
            (number, chat)
            for number, chat in session.execute(
                select(PlanItem.number, OutboxMessage.chat_id)
                .join(Step, Step.plan_item_id == PlanItem.id)
                .join(OutboxMessage, OutboxMessage.step_id == Step.id)
                .where(OutboxMessage.purpose == Purpose.TASK)
            )
        }
    # Purchasing's item to its owner and the purchasing group; QC's to the plant's QC group.
    assert cards == {
        (1, PURCHASING),
        (1, purchasing_group),
        (2, QC_LS),
        (2, QC_LAISHAN),
    }
    # Taken out of the configuration, the group gets nothing more.
    Company(engine)
    with company.sessions() as session:
        assert queries.chat_id_for(session, Group.PURCHASING) is None


def test_the_plan_changes_with_a_reason_a_date_moved_and_an_item_given_to_another(
    engine: Engine,
) -> None:
    company = Company(engine)
    company.file(plant=Plant.LAISHAN)  # a return and a claim: a plan from the start
    company.issue_plan(VP_PROD, [("更换轴承座", QC_LS, VP_PROD)])
    for key in ("initial_assessment", "appraisal_report", "improvement_measures"):
        assert company.press(QC_LS, key, Press.DONE) is PressResult.OK, key
    vp = Caller(VP_PROD, VP_PROD)

    def amend(**answers: Any) -> plans.Issued:
        opening = company.services.call(
            plans.begin, plans.BeginPlan(vp, company.step_id("rectification_items"))
        )
        assert opening.draft is not None and opening.draft.running == [(1, "更换轴承座")]
        draft = opening.draft
        for key, value in answers.items():
            setattr(draft, key, value)
        assert draft.ready
        return company.services.call(plans.issue, plans.IssuePlan(vp, draft))

    later = date(2026, 12, 20)
    moved = amend(change=Change.DUE, reason="等待新刀具到货", item_number=1, new_due=later)
    assert moved.result is plans.IssueResult.AMENDED and moved.plan is not None
    with company.sessions() as session:
        task = session.get_one(Step, company.item_step("plan_item", 1))
        assert task.due_at is not None
        assert task.due_at.astimezone(company.config.tz).date() == later
        assert task.next_ping_at is not None and task.next_ping_at > NOW
    given = amend(
        change=Change.OWNER,
        reason="由采购负责",
        item_number=1,
        new_owner_id=company.person_id(PURCHASING),
    )
    assert given.result is plans.IssueResult.AMENDED and given.plan is not None
    assert given.plan.items[0].owner == "钱采购"
    assert PURCHASING in company.chats_of("plan_item")
    assert company.press_item(QC_LS, "plan_item", 1, "done") is PressResult.DENIED
    assert company.press_item(PURCHASING, "plan_item", 1, "done") is PressResult.OK
    with company.sessions() as session:
        changes = [
            e.detail for e in session.scalars(select(Event).where(Event.action == "plan_amended"))
        ]
    assert [(c["change"], c["reason"]) for c in changes] == [
        ("due", "等待新刀具到货"),
        ("owner", "由采购负责"),
    ]
    assert changes[1]["owner_from"] == "赵质检" and changes[1]["owner"] == "钱采购"


def test_the_weekly_quality_analysis_meeting_agenda_minutes_and_linked_decisions(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    company = Company(engine)
    complaint_id = company.file(recurring=True)
    with company.sessions() as session:
        number = session.get_one(Complaint, complaint_id).number
    company.services.call(suggestions.propose, suggestions.Propose(Caller(QC_HW), "改进热处理工艺"))
    # NOW is Tuesday 09:00 in Shanghai: Friday's 15:00 meeting has its agenda on Thursday.
    due = company.services.call(meetings.next_weekly_agenda)
    assert due == datetime(2026, 11, 26, 15, 0, tzinfo=shanghai)
    company.clock.set(due)
    monkeypatch.setattr(meetings, "AGENDA_LISTED", 1)  # the most overdue named, the rest counted
    meeting_id = company.services.call(meetings.post_weekly_agenda, due)
    rows = company.outbox(Purpose.MEETING)
    agenda = [r for r in rows if r.next_attempt_at == due]
    assert {r.chat_id for r in agenda} == {PROD_HUANGWU, PROD_LAISHAN, LEADERSHIP}
    text = agenda[0].payload["text"]
    assert "质量分析会议" in text and "2026-11-27 15:00" in text
    # The week's complaint, its steps overdue now, the recurring problem, the suggestion.
    assert text.count(number) >= 3 and "改进热处理工艺" in text
    overdue = [line for line in text.splitlines() if line.startswith(f"· {number} · ")]
    assert len(overdue) == 3  # received, one overdue step, recurring
    more = re.search(r"超时的步骤</b>（(\d+)）", text)
    assert more and f"另有 {int(more.group(1)) - 1} 项：/overdue" in text
    assert agenda[0].payload["keyboard"][0][0][0] == "记录会议纪要"
    reminders = [r for r in rows if r.next_attempt_at > due]
    assert {r.next_attempt_at for r in reminders} == {
        datetime(2026, 11, 27, 14, 30, tzinfo=shanghai)
    }
    # The next agenda is a week later; this one is never posted twice.
    assert company.services.call(meetings.next_weekly_agenda) == due + timedelta(days=7)

    def minutes(who: int, text: str) -> steps.ReplyResult:
        command = steps.PromptReply(
            Caller(who, who), meeting_id, steps.PromptKind.MINUTES, text, None
        )
        return company.services.call(meetings.record_minutes, command)

    assert minutes(SALES_2, "无") is steps.ReplyResult.NOT_ALLOWED  # production and leadership
    decided = f"决定:{number.lower()} 更换热处理供应商;KS-2099-0001 不存在"
    assert minutes(VP_PROD, decided) is steps.ReplyResult.MINUTES_RECORDED
    shown = company.services.call(complaints.show, complaints.ShowComplaint(Caller(GM, GM), number))
    assert [(m.weekly, m.concerns) for m in shown.meetings] == [(True, (number,))]
    assert any(e.action == "meeting_minutes" for e in shown.events)
    listed = company.services.call(meetings.list_meetings, Caller(GM, GM))
    assert [m.minutes for m in listed.meetings] == [decided]
    sent = [r for r in company.outbox(Purpose.MEETING) if "会议纪要" in r.payload["text"]]
    assert {r.chat_id for r in sent} == {PROD_HUANGWU, PROD_LAISHAN, LEADERSHIP}


def test_a_plan_no_longer_needed_takes_its_items_tasks_with_it(engine: Engine) -> None:
    company = Company(engine)
    company.file(plant=Plant.LAISHAN, batch=False)  # a claim and a return: a plan at once
    company.issue_plan(VP_PROD, [("更换轴承座", QC_LS, VP_PROD)])
    assert company.press(QC_LS, "initial_assessment", Press.DONE) is PressResult.OK
    # QC judge it an ordinary problem after all: no plan is needed any more.
    assert _set_nature(company, QC_LS, Grade.C) is steps.NatureResult.CHANGED
    with company.sessions() as session:
        tasks = session.scalars(select(Step).where(Step.key == "plan_item")).all()
        assert [t.status for t in tasks] == [StepStatus.SKIPPED]
    assert company.services.call(plans.post_tracking) == 0


def test_the_leading_vp_hands_the_plan_to_someone_who_fills_it_in(engine: Engine) -> None:
    company = Company(engine)
    company.file(plant=Plant.LAISHAN)  # a return and a claim: Laishan's VP has a plan to fill
    plan_step = company.step_id("rectification_plan")
    purchasing = company.person_id(PURCHASING)

    def hand(who: int, person: int | None) -> steps.HandedOver:
        return company.services.call(
            steps.hand_over, steps.HandOver(Caller(who, who), plan_step, person)
        )

    assert hand(QC_LS, purchasing).result is PressResult.DENIED
    before = plans.BeginPlan(Caller(PURCHASING, PURCHASING), plan_step)
    assert company.services.call(plans.begin, before).result is plans.PlanStart.DENIED
    listed = hand(VP_PROD, None)
    assert listed.named is None and purchasing in {p.id for p in listed.people}
    handed = hand(VP_PROD, purchasing)
    assert handed.result is PressResult.OK and handed.named == purchasing
    assert PURCHASING in company.chats_of("rectification_plan")  # their card, privately
    # Purchasing fill it in and issue it as the VP would.
    assert company.services.call(plans.begin, before).result is plans.PlanStart.OK
    issued = company.issue_plan(PURCHASING, [("更换毛坯供应商", PURCHASING, VP_PROD)])
    assert issued.result is plans.IssueResult.ISSUED
    with company.sessions() as session:
        event = session.scalars(select(Event).where(Event.action == "step_handed")).one()
        assert event.detail["to"] == "钱采购" and event.actor_telegram_id == VP_PROD


def test_the_same_product_again_within_90_days_is_recurring_and_serious(engine: Engine) -> None:
    company = Company(engine, recurrence={"enabled": True})
    days = company.config.recurrence.days
    first = company.file(demands=[Demand.EXCHANGE], received_at=NOW - timedelta(days=days))
    too_old = company.file(
        demands=[Demand.EXCHANGE],
        specification="6205",
        received_at=NOW - timedelta(days=days, minutes=1),
    )
    with company.sessions() as session:
        numbers = {c.id: c.number for c in session.scalars(select(Complaint))}
        customer_id = session.get_one(Complaint, first).customer_id

    def filed(**changes: Any) -> Complaint:
        with company.sessions() as session:
            return session.get_one(Complaint, company.file(**changes))

    # A new customer's complaint is compared by product alone: full-width or spaced, the
    # same 轴承 6204 as the one received exactly 90 days ago.
    again = filed(demands=[Demand.EXCHANGE], product_name="轴 承", specification="６２０４")
    assert again.is_recurring and again.is_serious and again.recurs_after == [numbers[first]]
    # 90 days and a minute ago is outside the window.
    other = filed(demands=[Demand.EXCHANGE], specification="6205")
    assert not other.is_recurring and other.recurs_after == []
    assert numbers[too_old] not in other.recurs_after
    # For a customer the register knows, the earlier complaint must be theirs.
    known = draft(demands=[Demand.EXCHANGE], specification="6204")
    known.pick_customer(customer_id, "海达", CustomerClass.A)
    preview = company.services.call(complaints.before_filing, known).earlier
    assert [e.number for e in preview] == [again.number, numbers[first]]
    stranger = draft(demands=[Demand.EXCHANGE], specification="6204", customer="威海精工")
    stranger.customer_id = customer_id + 1000  # a known customer of no earlier complaint
    assert company.services.call(complaints.before_filing, stranger).earlier == ()
    # Recurring, it gets the plan the plant's VP leads (routed as serious).
    assert "rectification_plan" in _statuses(company)


def test_a_late_filing_says_so_before_confirm(engine: Engine) -> None:
    """Found by the customer two days before it was received: the 48 hours of the clear
    answer ran out before it was filed, and the summary says by how much."""
    company = Company(engine)
    # NOW is 09:00 in Shanghai on 24 November; found on the 21st counts from 00:00 there.
    late = draft(occurred_on=date(2026, 11, 21))
    told = company.services.call(complaints.before_filing, late)
    assert told.answer_late_by == timedelta(hours=33)  # due 23 Nov 00:00, now 24 Nov 09:00
    summary = render(
        "intake/summary.html",
        "zh_CN",
        rows=[],
        grade="A",
        serious=True,
        earlier=(),
        answer_late_by=told.answer_late_by,
        days=90,
        tz="Asia/Shanghai",
    )
    assert "已超过给客户明确答复的 48 小时时限 1 天 9 小时" in summary
    # Found yesterday: still within its 48 hours, nothing is said.
    in_time = company.services.call(complaints.before_filing, draft(occurred_on=date(2026, 11, 23)))
    assert in_time.answer_late_by is None


def test_the_weekly_summary_on_demand_and_on_schedule(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    company = Company(engine)
    company.file()  # A, Tuesday 2026-11-24 (week 48)
    late = NOW + timedelta(hours=5)  # the 2-hour assessment, 3 hours late
    assert company.press(QC_HW, "initial_assessment", Press.DONE, at=late) is PressResult.OK
    company.file(demands=[Demand.EXCHANGE], content="换货", plant=Plant.LAISHAN)  # C

    def weekly(who: int, week: str = "") -> summary.SummaryResult:
        return company.services.call(summary.weekly, summary.SummaryRequest(Caller(who), week))

    assert weekly(SALES_2).refusal is summary.SummaryRefusal.NOT_ALLOWED
    assert weekly(GM, "2026-W99").refusal is summary.SummaryRefusal.BAD_WEEK
    found = weekly(QC_HW)
    assert found.summary is not None and found.summary.week == "2026-W48"
    this = found.summary.this
    assert (this.received, this.by_grade["A"], this.by_grade["C"]) == (2, 1, 1)
    # Late: QC's assessment (3 hours), and the C complaint registered 5 hours after receipt.
    assert (this.steps_late, dict(this.late_by_person)) == (2, {"李质检": 1, "王业务": 1})
    assert found.summary.before.received == 0
    assert weekly(GM, "2026-W47").summary.this.received == 0  # type: ignore[union-attr]
    # The chart's twelve weeks end with this one; the overdue steps are counted.
    history = found.summary.history
    assert len(history) == 12 and history[-1][0] == "2026-W48" and history[0][0] == "2026-W37"
    assert dict(history[-1][1]) == {"A": 1, "C": 1}
    assert found.summary.overdue_count == len(found.summary.overdue) > 0
    assert found.summary.majors_open == (("KS-2026-0001", "open"),)  # A: major, plan open
    assert found.summary.majors_open_count == 1
    # Past the few it names, the summary counts the rest and says where they are.
    monkeypatch.setattr(summary, "OVERDUE_LISTED", 1)
    monkeypatch.setattr(summary, "MAJORS_LISTED", 0)
    short = weekly(GM).summary
    assert short is not None and len(short.overdue) == 1 and short.majors_open == ()
    text = "".join(m.text for m in cards.weekly_summary(short, "zh_CN", "Asia/Shanghai"))
    extra = short.overdue_count - 1
    assert f"当前超时：<b>{short.overdue_count}</b>" in text
    assert f"另有 {extra} 项：/overdue 列出最超时的" in text and "另有 1 项：/major" in text
    monkeypatch.undo()
    # Monday 08:30: last week's summary to the leadership group.
    due = company.services.call(summary.next_weekly_summary)
    assert due == datetime(2026, 11, 30, 8, 30, tzinfo=shanghai)
    company.clock.set(due)
    assert company.services.call(summary.post_weekly_summary, due) == 2
    rows = company.outbox(Purpose.SUMMARY)
    assert {r.chat_id for r in rows} == {LEADERSHIP}
    photos = [r for r in rows if r.method is Method.PHOTO]
    assert [p.payload["file_name"] for p in photos] == [
        "kesu-2026-W48.png",
        "kesu-pareto-2026-W37–2026-W48.png",  # the second chart: causes and cost
    ]
    rows = [r for r in rows if r.method is Method.MESSAGE]
    text = "".join(r.payload["text"] for r in rows)
    assert "客户投诉每周汇总" in text and "2026-W48" in text and "李质检 1" in text
    assert company.services.call(summary.next_weekly_summary) == due + timedelta(days=7)


def test_more_time_is_asked_with_a_reason_and_decided_by_the_leading_vp(engine: Engine) -> None:
    """申请延期: QC cannot make the initial assessment's two hours; the executive VP (who
    leads Huangwu) approves two more days; the limit moves, reminders and escalations
    count to it, and the history says who asked, why, and who decided."""
    from bot.services import extensions
    from bot.services.extensions import AskResult, Decide, DecideResult
    from bot.services.steps import PromptKind, PromptReply
    from storage.models import ExtensionRequest

    company = Company(engine)
    company.file()  # a claim and a return at Huangwu
    step_id = company.step_id("initial_assessment")
    with company.sessions() as session:
        due = session.get_one(Step, step_id).due_at
    assert due is not None
    cards_of_step = [m for m in company.outbox(Purpose.TASK) if m.step_id == step_id]
    assert all("申请延期" in str(m.payload["keyboard"]) for m in cards_of_step)
    pressed = company.services.call(
        steps.press, PressStep(Caller(QC_HW, QC_HW), step_id, StepAction.EXTEND)
    )
    assert pressed.result is PressResult.OK and pressed.asks_extension

    def ask(who: int, text: str) -> extensions.Asking:
        reply = PromptReply(Caller(who, who), step_id, PromptKind.EXTEND, text, None)
        return company.services.call(extensions.ask, reply)

    # What does not fit gets a one-line reason, and nothing is asked yet.
    for text, reason in (
        ("2026-11-30", "Say why, after the date: 2026-12-10 等检测报告"),
        ("2026-11-01 等检测", "That date is not in the future: give a later one."),
        ("120 等检测", "Ask for 1 to 90 days more."),
        ("下周 等检测", "That is not a date: write it like 2026-12-02, or a number of days."),
    ):
        found = ask(QC_HW, text)
        assert (found.result, found.reason) == (AskResult.INVALID, reason), text
    assert ask(SALES_2, "2 等检测").result is AskResult.NOT_ALLOWED  # not sales' step
    assert ask(QC_HW, "2 等第三方检测报告").result is AskResult.ASKED
    assert ask(QC_HW, "3 再等等").result is AskResult.WAITING  # one request at a time
    with company.sessions() as session:
        request = session.scalars(select(ExtensionRequest)).one()
        assert request.new_due == due + timedelta(days=2) and request.reason == "等第三方检测报告"
    (asked,) = company.outbox(Purpose.EXTENSION)
    assert asked.chat_id == VP_EXEC and "等第三方检测报告" in asked.payload["text"]
    assert "v1:ex:ok:" in str(asked.payload["keyboard"])
    # The card says more time is asked for, and offers no second request.
    edited = [m for m in company.outbox(Purpose.TASK_EDIT) if "已申请延期至" in m.payload["text"]]
    assert edited and "申请延期" not in str(edited[-1].payload.get("keyboard"))

    def decide(who: int, approve: bool, request_id: int) -> DecideResult:
        return company.services.call(
            extensions.decide, Decide(Caller(who, who), request_id, approve)
        )

    # The production VP leads Laishan, not Huangwu; sales never decide.
    assert decide(VP_PROD, True, request.id) is DecideResult.DENIED
    assert decide(SALES_2, True, request.id) is DecideResult.DENIED
    company.clock.set(NOW + timedelta(minutes=30))
    assert decide(VP_EXEC, True, request.id) is DecideResult.APPROVED
    assert decide(VP_EXEC, False, request.id) is DecideResult.DECIDED  # once
    with company.sessions() as session:
        step = session.get_one(Step, step_id)
        assert step.due_at == due + timedelta(days=2)
        # Its reminders count to the new limit: none before half of it.
        assert step.next_ping_at is not None and step.next_ping_at > NOW + timedelta(hours=12)
        events = [e.action for e in session.scalars(select(Event).order_by(Event.id))]
        assert "extension_asked" in events and "extension_approved" in events
    told = company.outbox(Purpose.EXTENSION)[-1]
    assert told.chat_id == QC_HW and "延期已批准" in told.payload["text"]
    shown = [
        e for e in company.services.call(mapping_history, step_id) if e.action.startswith("ext")
    ]
    assert [e.action for e in shown] == ["extension_asked", "extension_approved"]
    assert shown[0].reason == "等第三方检测报告" and shown[0].change and "→" in shown[0].change

    # Asked again and refused: the limit stays.
    assert ask(QC_HW, "1 仍在等").result is AskResult.ASKED
    with company.sessions() as session:
        second = session.scalars(
            select(ExtensionRequest).order_by(ExtensionRequest.id.desc())
        ).first()
        assert second is not None
    assert decide(VP_EXEC, False, second.id) is DecideResult.REFUSED
    with company.sessions() as session:
        assert session.get_one(Step, step_id).due_at == due + timedelta(days=2)
    assert "延期未批准" in company.outbox(Purpose.EXTENSION)[-1].payload["text"]
    # The weekly summary counts the approved one, by the department whose step it was.
    found = company.services.call(summary.weekly, summary.SummaryRequest(Caller(GM), ""))
    assert found.summary is not None
    assert dict(found.summary.this.extensions_by_department) == {"qc": 1}
    text = "".join(m.text for m in cards.weekly_summary(found.summary, "zh_CN", "Asia/Shanghai"))
    assert "批准延期（按部门）：质检、技术部门 1" in text


def test_a_vps_own_step_is_extended_by_the_gm(engine: Engine) -> None:
    from bot.services import extensions
    from bot.services.extensions import AskResult, Decide, DecideResult
    from bot.services.steps import PromptKind, PromptReply
    from storage.models import ExtensionRequest

    company = Company(engine)
    company.file()
    step_id = company.step_id("report_to_gm")  # the leading VP's own step
    reply = PromptReply(Caller(VP_EXEC, VP_EXEC), step_id, PromptKind.EXTEND, "2 等数据", None)
    assert company.services.call(extensions.ask, reply).result is AskResult.ASKED
    assert company.outbox(Purpose.EXTENSION)[-1].chat_id == GM
    with company.sessions() as session:
        request_id = session.scalars(select(ExtensionRequest.id)).one()
    own = Decide(Caller(VP_EXEC, VP_EXEC), request_id, True)
    assert company.services.call(extensions.decide, own) is DecideResult.DENIED
    by_gm = Decide(Caller(GM, GM), request_id, True)
    assert company.services.call(extensions.decide, by_gm) is DecideResult.APPROVED


def mapping_history(uow: Any, step_id: int) -> Any:
    step = uow.session.get(Step, step_id)
    return mapping.history(uow.session, step.complaint, uow.config)


def test_a_snooze_silences_the_owners_reminders_but_never_the_vps_escalation(
    engine: Engine,
) -> None:
    """QC snooze the initial assessment until the working morning: its reminder and
    overdue notice to QC wait until 08:00 the next day, while the executive VP's
    escalation goes at the limit. Who snoozed, and until when, is in the event log."""
    company = Company(engine)
    company.file()  # A at Huangwu, 09:00 in Shanghai on Tuesday 24 November
    step_id = company.step_id("initial_assessment")
    morning = datetime(2026, 11, 25, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    pressed = company.services.call(
        steps.press, PressStep(Caller(QC_HW, QC_HW), step_id, StepAction.SNOOZE)
    )
    assert pressed.result is PressResult.OK and pressed.asks_snooze
    # Sales may not silence QC's step.
    refused = company.services.call(steps.snooze, steps.SnoozeStep(Caller(SALES_2), step_id, True))
    assert refused.result is PressResult.DENIED
    done = company.services.call(steps.snooze, steps.SnoozeStep(Caller(QC_HW), step_id, True))
    assert done.result is PressResult.OK and done.until == morning

    def fire(at: datetime) -> tuple[set[int], dict[int, datetime]]:
        """Fire the step's ping: the chats that hear now, and those whose ping waits
        (with until when)."""
        company.clock.set(at)
        assert company.services.call(steps.fire_ping, step_id)
        now = {r.chat_id for r in company.outbox(Purpose.PING) if r.created_at == at}
        with company.sessions() as session:
            waiting = session.scalars(select(QueuedPing).where(QueuedPing.sent_as.is_(None)))
            return now, {q.chat_id: q.may_go_at for q in waiting}

    heard, waiting = fire(NOW + timedelta(hours=1))  # half of the two hours
    assert heard == set() and waiting == {QC_HUANGWU: morning}
    heard, waiting = fire(NOW + timedelta(hours=2))  # the limit: QC's notice waits, the VP's not
    assert VP_EXEC in heard and GM in heard and waiting == {QC_HUANGWU: morning}
    with company.sessions() as session:
        event = session.scalars(select(Event).where(Event.action == "step_snoozed")).one()
        assert event.actor is not None and event.actor.telegram_id == QC_HW
        assert event.detail["until"] == morning.astimezone(UTC).isoformat()
    # An hour's snooze at 10:00 ends at 11:00.
    company.clock.set(NOW + timedelta(hours=1))
    hour = company.services.call(steps.snooze, steps.SnoozeStep(Caller(QC_HW), step_id, False))
    assert hour.until == NOW + timedelta(hours=2)
