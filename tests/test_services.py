"""The unit of work on both databases: one transaction, then delivery is poked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select

from bot.services import complaints, steps
from bot.services.steps import PressResult, PressStep
from bot.services.uow import Caller, StepPlan, UnitOfWork
from bot.views.callbacks import StepAction
from storage.models import Complaint, OutboxMessage, Step
from tests.conftest import QC_HW, SALES
from tests.test_workflow import NOW, Company, draft


class Recorder:
    """Stands in for bot.delivery: what the unit of work asks after commit."""

    def __init__(self) -> None:
        self.pokes = 0
        self.plans: dict[int, StepPlan] = {}

    def poke_sender(self) -> None:
        self.pokes += 1

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
