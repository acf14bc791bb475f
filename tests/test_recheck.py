"""The recheck a month on (issue 25, item 4): the verification signed off effective sets
it 30 days later; that working morning QC get "did it recur?"; Held leaves the closed
complaint closed, Recurred runs the plan again, reopens the complaint and marks it
recurring; /show and the 8D report say what the recheck found."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, select

from bot.procedure.grading import Demand, Plant
from bot.procedure.steps import ComplaintStatus, StepStatus
from bot.services import exports, rechecks
from bot.services.uow import Caller
from bot.views import eightd
from storage.models import Complaint, Event, RecheckDue, Step
from tests.conftest import PURCHASING, QC_HW, QC_LAISHAN, QC_LS, SALES, VP_PROD
from tests.test_workflow import NOW, Company, Press


def _through_to_the_verdict(company: Company) -> None:
    company.file(demands=[Demand.DOWNGRADE], content="降价", plant=Plant.LAISHAN)  # B
    for key, button in [
        ("initial_assessment", Press.DONE),
        ("containment", Press.DONE),
        ("appraisal_report", Press.NOT_TODAY),
        ("feedback_to_sales", Press.DONE),
        ("improvement_measures", Press.DONE),
    ]:
        assert company.press(QC_LS, key, button).value == "ok", key
    company.issue_plan(VP_PROD, [("更换轴承座", QC_LS, VP_PROD), ("校准设备", PURCHASING, QC_LS)])
    company.carry_out([(QC_LS, VP_PROD), (PURCHASING, QC_LS)])
    assert company.press(QC_LS, "verification", Press.DONE).value == "ok"
    assert company.press(VP_PROD, "verification_signoff", Press.EFFECTIVE).value == "ok"
    assert company.press(SALES, "customer_solution", Press.DONE).value == "ok"
    assert company.press(SALES, "customer_result", Press.SATISFIED).value == "ok"


def _recheck_opens(company: Company) -> int:
    """The timed job runs each working morning; 30 days on, it opens the recheck."""
    with company.sessions() as session:
        complaint = session.scalars(select(Complaint)).one()
        assert complaint.status is ComplaintStatus.CLOSED
        due = session.scalars(select(RecheckDue)).one()
        assert (due.complaint_id, due.due_at) == (complaint.id, NOW + timedelta(days=30))
    company.clock.set(NOW + timedelta(days=29))
    assert company.services.call(rechecks.open_due) == 0  # not yet
    company.clock.set(NOW + timedelta(days=30, hours=1))
    assert company.services.call(rechecks.open_due) == 1
    assert company.services.call(rechecks.open_due) == 0  # once
    # QC of the plant get the task, with Held and Recurred.
    assert company.chats_of("recheck") == {QC_LAISHAN}
    return company.step_id("recheck")


def test_held_leaves_it_closed_and_the_8d_says_so(engine: Engine) -> None:
    company = Company(engine)
    _through_to_the_verdict(company)
    _recheck_opens(company)
    later = NOW + timedelta(days=30, hours=2)
    assert company.press(QC_HW, "recheck", Press.HELD, later).value == "denied"  # not theirs
    assert company.press(QC_LS, "recheck", Press.HELD, later).value == "ok"
    with company.sessions() as session:
        complaint = session.scalars(select(Complaint)).one()
        assert complaint.status is ComplaintStatus.CLOSED and not complaint.is_recurring
    found = company.services.call(
        exports.eight_d, exports.ReportRequest(Caller(VP_PROD, VP_PROD), "KS-2026-0001")
    )
    assert found.complaint is not None
    rows = {
        k: v
        for d in eightd.disciplines(found.complaint, found.plan, found.team, "en", "UTC")
        for k, v in d.rows
    }
    assert rows["Recheck a month on"].startswith("the fix held · 赵质检")


def test_recurred_runs_the_plan_again_and_reopens_the_complaint(engine: Engine) -> None:
    company = Company(engine)
    _through_to_the_verdict(company)
    _recheck_opens(company)
    later = NOW + timedelta(days=30, hours=2)
    assert company.press(QC_LS, "recheck", Press.RECURRED, later).value == "ok"
    with company.sessions() as session:
        complaint = session.scalars(select(Complaint)).one()
        assert complaint.status is ComplaintStatus.OPEN and complaint.closed_at is None
        assert complaint.is_recurring
        statuses = {s.key: s.status for s in session.scalars(select(Step).order_by(Step.id)).all()}
        # Step 13 runs again (its items with it); the verification will follow.
        assert statuses["rectification_items"] is StepStatus.OPEN
        actions = [e.action for e in session.scalars(select(Event).order_by(Event.id))]
        assert "reopened" in actions and actions.count("item_reopened") == 2
