"""One rule for every path (issue 21, item 2): every person of the test company presses
every button of every step, for a complaint of every plant, and the service answers as
the domain's rule says; Show reveals a complaint exactly when /show would.

The presses run in units of work that are rolled back, so each meets the same state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine, select

from bot.procedure import access
from bot.procedure.grading import Plant
from bot.procedure.steps import STEP_BY_ID, Owner, StepStatus
from bot.services import complaints, mapping, steps
from bot.services.steps import HandOver, PressResult, PressStep
from bot.services.uow import Caller, UnitOfWork
from bot.views.callbacks import StepAction
from storage import db
from storage.models import Complaint, Event, Step
from tests.conftest import GM, PEOPLE, QC_HW, SALES, SALES_2, VP_EXEC, VP_MKT
from tests.test_workflow import NOW, Company

R = TypeVar("R")


class Rollback(Exception):
    pass


def attempt(company: Company, use_case: Callable[[UnitOfWork, Any], R], arg: Any) -> R:
    """The use case's answer, with nothing it did kept."""
    found: list[R] = []
    try:
        with UnitOfWork(company.config, company.sessions, company.clock) as uow:
            found.append(use_case(uow, arg))
            raise Rollback
    except Rollback:
        pass
    return found[0]


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    return sqlite_engine


def every_step_open(company: Company) -> list[tuple[int, str, int]]:
    """A complaint per plant (filed by SALES), with every step of the table open on it:
    (complaint id, step key, step id)."""
    found = []
    for plant in (Plant.HUANGWU, Plant.LAISHAN, Plant.CONTRACTOR):
        complaint_id = company.file(plant=plant)
        with company.sessions.begin() as session:
            complaint = session.get(Complaint, complaint_id)
            assert complaint is not None
            have = {s.key: s for s in complaint.steps}
            for key, definition in STEP_BY_ID.items():
                if definition.per_item:
                    continue  # a plan item's steps are one named person's (tested with plans)
                step = have.get(key)
                if step is None:
                    step = Step(complaint=complaint, key=key, opened_at=NOW, pings_sent=0)
                    session.add(step)
                step.status = StepStatus.OPEN
            session.flush()
            found += [(complaint_id, s.key, s.id) for s in complaint.steps if s.key in STEP_BY_ID]
    return found


def buttons(key: str) -> list[tuple[StepAction, str]]:
    definition = STEP_BY_ID[key]
    found = [(StepAction.FINISH, o.code) for o in definition.outcomes]
    return found + [(a, "") for a in StepAction if a is not StepAction.FINISH]


@pytest.fixture(scope="module")
def every_step(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Company, list[Any]]]:
    """One company with every step open, for every person's presses (each is rolled
    back, so none sees another's)."""
    engine = db.make_engine(f"sqlite:///{tmp_path_factory.mktemp('access') / 'kesu.db'}")
    company = Company(engine)
    yield company, every_step_open(company)
    engine.dispose()


@pytest.mark.parametrize("person", PEOPLE, ids=lambda p: str(p["telegram_id"]))
def test_every_press_of_every_person_obeys_the_domains_rule(
    every_step: tuple[Company, list[tuple[int, str, int]]], person: dict[str, Any]
) -> None:
    """One person at a time, so that the two workers share the thousand presses."""
    company, opened = every_step
    checked = 0
    caller = Caller(person["telegram_id"], person["telegram_id"])
    allowed: dict[int, bool] = {}
    shown: dict[int, bool] = {}
    with company.sessions() as session:
        who = mapping.who(company.person(session, person["telegram_id"]))
        for _complaint_id, key, step_id in opened:
            step = session.get(Step, step_id)
            assert step is not None
            definition = STEP_BY_ID[key]
            allowed[step_id] = access.may_press(
                who,
                company.config.owner(key),
                mapping.case(step.complaint),
                any_vp=definition.any_vp,
                co_owners=definition.co_owners,
                assignee_id=step.assignee_id,
            )
        filed_by = {c.id: c.filed_by_id for c in session.scalars(select(Complaint))}
    for complaint_id, key, step_id in opened:
        # What /show would give them: all, their own, or one they act on.
        sees = (
            access.sees_all(who)
            or filed_by[complaint_id] == who.id
            or any(allowed[s] for c, _k, s in opened if c == complaint_id)
        )
        for action, code in buttons(key):
            pressed = attempt(company, steps.press, PressStep(caller, step_id, action, code))
            refused = pressed.result is PressResult.DENIED
            if action in (StepAction.SHOW, StepAction.CARD):  # both show, so both see
                if complaint_id not in shown:  # /show's answer is the complaint's
                    request = complaints.ShowComplaint(caller, number_of(company, complaint_id))
                    found = attempt(company, complaints.show, request)
                    shown[complaint_id] = found.complaint is not None
                assert (not refused) == sees == shown[complaint_id], (person["name"], key)
            else:
                assert refused == (not allowed[step_id]), (person["name"], key, action, code)
            checked += 1
        handed = attempt(company, steps.hand_over, HandOver(caller, step_id))
        if STEP_BY_ID[key].fills_plan or company.config.owner(key) is Owner.SALES:
            assert (handed.result is PressResult.DENIED) == (not allowed[step_id])
        else:
            assert handed.result is PressResult.WRONG_BUTTON
    assert checked > 50


def test_a_sales_step_is_the_filers_until_handed_to_a_colleague(engine: Engine) -> None:
    company = Company(engine)
    complaint_id = company.file()
    with company.sessions() as session:
        complaint = session.get(Complaint, complaint_id)
        assert complaint is not None
        sales_steps = [
            s.id
            for s in complaint.steps
            if company.config.owner(s.key) is Owner.SALES and s.status == StepStatus.OPEN
        ]
        colleague = company.person(session, SALES_2).id
    assert sales_steps, "step 1 (the customer's copies) is sales'"
    step_id = sales_steps[0]
    colleague_caller = Caller(SALES_2, SALES_2)
    for action in (StepAction.FINISH, StepAction.TAKE, StepAction.SHOW):
        code = "done" if action is StepAction.FINISH else ""
        pressed = attempt(company, steps.press, PressStep(colleague_caller, step_id, action, code))
        assert pressed.result is PressResult.DENIED
    shown = company.services.call(
        complaints.show, complaints.ShowComplaint(colleague_caller, "KS-2026-0001")
    )
    assert shown.complaint is None  # the same answer as Show's
    # A colleague cannot hand it to themselves; the filer (or an admin) hands it on.
    refused = company.services.call(steps.hand_over, HandOver(colleague_caller, step_id, colleague))
    assert refused.result is PressResult.DENIED
    picker = company.services.call(steps.hand_over, HandOver(Caller(SALES, SALES), step_id))
    assert picker.result is PressResult.OK, picker
    assert {p.id for p in picker.people} == {colleague, picker_self(company)}  # sales only
    handed = company.services.call(
        steps.hand_over, HandOver(Caller(SALES, SALES), step_id, colleague)
    )
    assert handed.result is PressResult.OK and handed.named == colleague and not handed.plan
    shown = company.services.call(
        complaints.show, complaints.ShowComplaint(colleague_caller, "KS-2026-0001")
    )
    assert shown.complaint is not None  # now theirs to do, so theirs to read
    done = company.services.call(
        steps.press, PressStep(colleague_caller, step_id, StepAction.FINISH, "done")
    )
    assert done.result is PressResult.OK
    with company.sessions() as session:
        refusals = session.scalars(select(Event).where(Event.action == "press_refused")).all()
        assert refusals  # the colleague's presses before the hand-over are on the record
    for leader in (GM, VP_EXEC):  # leadership as before (the plant's leading VP, the GM)
        pressed = attempt(
            company, steps.press, PressStep(Caller(leader, leader), step_id, StepAction.SHOW)
        )
        assert pressed.result is PressResult.OK
    outsider = attempt(
        company, steps.press, PressStep(Caller(VP_MKT, VP_MKT), step_id, StepAction.SHOW)
    )
    assert outsider.result is PressResult.OK  # leadership see every complaint
    qc = attempt(company, steps.press, PressStep(Caller(QC_HW, QC_HW), step_id, StepAction.TAKE))
    assert qc.result is PressResult.DENIED  # QC do not take sales' steps


def picker_self(company: Company) -> int:
    with company.sessions() as session:
        return company.person(session, SALES).id


def number_of(company: Company, complaint_id: int) -> str:
    with company.sessions() as session:
        complaint = session.get(Complaint, complaint_id)
        assert complaint is not None
        return complaint.number
