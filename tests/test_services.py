"""The unit of work on both databases: one transaction, then delivery is poked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select

from bot.procedure import access
from bot.procedure.grading import Demand, Plant
from bot.procedure.steps import STEP_BY_ID, StepStatus
from bot.services import company as companies
from bot.services import complaints, mapping, steps
from bot.services.steps import PressResult, PressStep
from bot.services.uow import Caller, StepPlan, UnitOfWork
from bot.views import cards
from bot.views.callbacks import StepAction
from storage import queries
from storage.models import (
    Chat,
    Complaint,
    DeliveryStatus,
    Event,
    OutboxMessage,
    Purpose,
    Step,
)
from tests.conftest import GM, PEOPLE, QC_HW, SALES, SALES_2, SALES_GROUP
from tests.test_workflow import NOW, Company, draft


class Recorder:
    """Stands in for bot.delivery: what the unit of work asks after commit."""

    def __init__(self) -> None:
        self.pokes = 0
        self.keeper_pokes = 0
        self.plans: dict[int, StepPlan] = {}

    def poke_sender(self) -> None:
        self.pokes += 1

    def poke_keeper(self) -> None:
        self.keeper_pokes += 1

    def schedule(self, plans: dict[int, StepPlan]) -> None:
        self.plans.update(plans)


def test_after_commit_the_sender_is_poked_and_every_touched_step_rescheduled(
    engine: Engine,
) -> None:
    company = Company(engine)
    recorder = Recorder()
    company.services.after_commit = recorder
    company.file()
    assert recorder.pokes == 1
    with company.sessions() as session:
        open_steps = session.scalars(select(Step).where(Step.status == "open")).all()
        # Every opened step with a limit has its first reminder planned; step 1 is done.
        for step in open_steps:
            assert recorder.plans[step.id] == StepPlan(step.next_ping_at, 0)
        done = session.scalars(select(Step).where(Step.key == "register")).one()
        assert recorder.plans[done.id].at is None
    recorder.plans.clear()
    step_id = company.step_id("initial_assessment")
    press = PressStep(Caller(QC_HW, QC_HW), step_id, StepAction.FINISH, "done")
    assert company.services.call(steps.press, press).result is PressResult.OK
    assert recorder.pokes == 2
    assert recorder.plans[step_id].at is None  # done: its job goes
    opened = [plan for key, plan in recorder.plans.items() if key != step_id]
    assert opened and all(plan.at is not None for plan in opened)  # steps 3 and 6 open


def test_a_failing_use_case_stores_nothing_and_pokes_nothing(engine: Engine) -> None:
    company = Company(engine)
    recorder = Recorder()
    company.services.after_commit = recorder

    def file_then_fail(uow: UnitOfWork, caller: Caller) -> None:
        complaints.file_complaint(uow, complaints.FileComplaint(caller, draft()))
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        company.services.call(file_then_fail, Caller(SALES, SALES))
    assert recorder.pokes == 0 and recorder.plans == {}
    with company.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Complaint)) == 0
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


async def test_use_cases_run_off_the_event_loop_on_one_database_thread(engine: Engine) -> None:
    import threading

    company = Company(engine)
    seen: list[str] = []

    def where(uow: UnitOfWork) -> str:
        seen.append(threading.current_thread().name)
        return uow.now.isoformat()

    assert await company.services.run(where) == NOW.isoformat()
    company.clock.advance(timedelta(minutes=1))
    await company.services.run(where)
    assert len(set(seen)) == 1 and seen[0] != threading.current_thread().name
    assert seen[0].startswith("kesu-db")
    company.services.close()


def test_a_salesperson_sees_their_own_complaints_and_qc_all(engine: Engine) -> None:
    company = Company(engine)
    company.file()
    admin = company.services.call(complaints.list_open, Caller(SALES))  # an admin sees all
    assert admin.all_of_them and [c.number for c in admin.complaints] == ["KS-2026-0001"]
    other = company.services.call(complaints.list_open, Caller(100004))  # another seller
    assert not other.all_of_them and other.complaints == ()
    shown = company.services.call(
        complaints.show, complaints.ShowComplaint(Caller(100004), "KS-2026-0001")
    )
    assert shown.refusal is complaints.Refusal.NOT_FOUND and shown.number == "KS-2026-0001"
    qc = company.services.call(
        complaints.show, complaints.ShowComplaint(Caller(QC_HW), "ks-2026-0001")
    )
    assert qc.complaint is not None and qc.complaint.steps and qc.events
    nobody = company.services.call(complaints.list_open, Caller(100099))
    assert nobody.refusal is complaints.Refusal.NOT_REGISTERED


def test_my_tasks_and_the_open_list_are_counted_and_paged_in_the_database(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The query behind /mytasks gives exactly what access.is_mine gives step by step,
    for every person; /list pages the open complaints newest first."""
    company = Company(engine, owners={"containment": "production"})
    filings = [
        (SALES, Plant.HUANGWU, [Demand.CLAIM, Demand.RETURN]),
        (SALES_2, Plant.LAISHAN, [Demand.EXCHANGE]),
        (SALES, Plant.LAISHAN, [Demand.DOWNGRADE]),
        (SALES_2, Plant.HUANGWU, [Demand.CRITICISM]),
        (SALES, Plant.HUANGWU, [Demand.EXCHANGE]),
    ]
    for n, (seller, plant, demands) in enumerate(filings):
        company.clock.set(NOW + timedelta(minutes=n))
        filed = company.services.call(
            complaints.file_complaint,
            complaints.FileComplaint(Caller(seller, seller), draft(plant=plant, demands=demands)),
        )
        assert filed.complaint is not None
    with company.sessions() as session:
        taken = session.scalars(
            select(Step.id).where(Step.status == StepStatus.OPEN).order_by(Step.id)
        ).first()
    assert taken is not None
    command = PressStep(Caller(GM, GM), taken, StepAction.TAKE, "")
    assert company.services.call(steps.press, command).result is PressResult.OK
    monkeypatch.setattr(steps, "TASKS_LISTED", 2)
    with company.sessions() as session:
        open_steps = queries.open_steps(session)  # soonest due first, as /mytasks lists
        longest = 0
        counts: dict[int, int] = {}
        for entry in PEOPLE:
            person = company.person(session, entry["telegram_id"])
            me = mapping.who(person)
            expected = [
                s.id
                for s in open_steps
                if access.is_mine(
                    me,
                    company.config.owner(s.key),
                    mapping.case(s.complaint),
                    s.assignee_id,
                    STEP_BY_ID[s.key].co_owners,
                )
            ]
            found = company.services.call(steps.my_tasks, Caller(entry["telegram_id"]))
            assert found.total == len(expected), entry["name"]
            assert [s.id for s in found.steps] == expected[:2], entry["name"]
            if entry["telegram_id"] == GM:
                assert taken in expected
            if entry["telegram_id"] == QC_HW:
                assert expected and taken not in expected
            longest = max(longest, len(expected))
            counts[entry["telegram_id"]] = len(expected)
    assert longest > 2  # some lists were cut at two, and counted whole
    # Counting stops past TASKS_COUNTED: "more than" that many.
    monkeypatch.setattr(steps, "TASKS_COUNTED", longest - 1)
    for telegram_id, count in counts.items():
        found = company.services.call(steps.my_tasks, Caller(telegram_id))
        assert (found.total, found.capped) == (min(count, longest - 1), count > longest - 1)

    monkeypatch.setattr(complaints, "LIST_PAGE", 2)
    pages = [company.services.call(complaints.list_open, Caller(GM), n) for n in (1, 2, 3, 9)]
    assert [[c.number for c in p.complaints] for p in pages] == [
        ["KS-2026-0005", "KS-2026-0004"],
        ["KS-2026-0003", "KS-2026-0002"],
        ["KS-2026-0001"],
        ["KS-2026-0001"],  # past the last page: the last
    ]
    assert [(p.page, p.pages, p.total) for p in pages] == [(1, 3, 5), (2, 3, 5)] + [(3, 3, 5)] * 2
    own = company.services.call(complaints.list_open, Caller(SALES_2))  # their own, not all
    assert [c.number for c in own.complaints] == ["KS-2026-0004", "KS-2026-0002"]
    assert (own.total, own.pages, own.all_of_them) == (2, 1, False)


def test_a_group_that_became_a_supergroup_moves_its_binding_and_unsent_rows(
    engine: Engine,
) -> None:
    company = Company(engine)
    company.file()  # rows for the sales group, unsent
    new = -1001000500002
    with company.sessions() as session:
        waiting = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.chat_id == SALES_GROUP)
        )
    assert waiting
    move = companies.ChatMoved(Caller(SALES, SALES_GROUP), SALES_GROUP, new)
    assert company.services.call(companies.chat_moved, move) is True
    assert company.services.call(companies.chat_moved, move) is False  # known: nothing twice
    with company.sessions() as session:
        assert session.scalars(select(Chat.telegram_id).where(Chat.purpose == "sales")).one() == new
        moved = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.chat_id == new)
        )
        assert moved == waiting
        alerts = session.scalars(
            select(OutboxMessage).where(OutboxMessage.purpose == Purpose.ADMIN)
        ).all()
        assert [a.chat_id for a in alerts] == [SALES]  # the admin, once
        moves = session.scalars(select(Event).where(Event.action == companies.CHAT_MIGRATED)).all()
        assert [(e.detail["old"], e.detail["new"], e.source) for e in moves] == [
            (SALES_GROUP, new, "chat")
        ]
    # The configuration still names the old id: mirrored again, the new one stands.
    with UnitOfWork(company.config, company.sessions, company.clock) as uow:
        companies.mirror(uow)
    with company.sessions() as session:
        assert session.scalars(select(Chat.telegram_id).where(Chat.purpose == "sales")).one() == new


def test_status_tells_the_admins_the_outbox_failures_and_pings(engine: Engine) -> None:
    from bot.services import health

    company = Company(engine)
    company.file()  # grade A: its notices wait in the outbox
    assert not company.services.call(health.status, Caller(QC_HW)).allowed  # not an admin
    found = company.services.call(health.status, Caller(SALES))  # an admin
    with company.sessions() as session:
        rows = session.scalar(select(func.count()).select_from(OutboxMessage))
        soonest = session.scalar(
            select(func.min(Step.next_ping_at)).where(Step.status == StepStatus.OPEN)
        )
        failed = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).first()
        assert failed is not None
        failed.status = DeliveryStatus.FAILED
        session.commit()
    assert found.allowed and found.backlog == rows and found.oldest_waiting == NOW
    assert found.last_action == NOW  # the salesperson's filing
    assert found.next_ping == soonest and (found.pings_today, found.late_today) == (0, 0)
    # Hours on, the step's pings fell due while nothing ran: the latest goes, marked late.
    company.clock.set(NOW + timedelta(hours=3, minutes=30))
    assert company.services.call(steps.fire_ping, company.step_id("initial_assessment"))
    later = company.services.call(health.status, Caller(SALES))
    assert (later.failed_today, later.pings_today, later.late_today) == (1, 1, 1)
    assert later.backlog > rows - 1
    # More than five minutes late: the admins hear of it, once for the pass.
    assert company.services.call(health.report_late_pings, NOW + timedelta(hours=3)) == 1
    with company.sessions() as session:
        alert = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.purpose == Purpose.ADMIN)
            .order_by(OutboxMessage.id.desc())
        ).first()
        assert alert is not None and alert.chat_id == SALES
        assert "30 分钟" in alert.payload["text"] and "KS-2026-0001" in alert.payload["text"]
    assert company.services.call(health.report_late_pings, NOW + timedelta(hours=4)) == 0
    text = "".join(cards.status(later, "zh_CN", "Asia/Shanghai"))
    assert "待发送的消息：<b>" in text and "最近一天发送失败：<b>1</b>" in text
    assert "最近一天的提醒：1 · 逾期：<b>1</b>" in text
    # In November the next year's holidays matter: 2027's are not published in the
    # calendar library yet, and the admins are told the ordinary week is kept meanwhile.
    assert later.unknown_years == (2027,)
    assert "2027 年的法定节假日和调休安排尚未收录" in text
