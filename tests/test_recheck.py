"""The recheck a month on (issue 25, item 4): the verification signed off effective sets
it 30 days later; that working morning QC get "did it recur?"; Held leaves the closed
complaint closed, Recurred runs the plan again, reopens the complaint and marks it
recurring; /show and the 8D report say what the recheck found."""

from __future__ import annotations

from datetime import UTC, timedelta

from sqlalchemy import Engine, select

from bot.procedure import summary
from bot.procedure.grading import Demand, Plant
from bot.procedure.rechecks import RecheckState
from bot.procedure.steps import ComplaintStatus, Outcome, StepStatus
from bot.services import complaints as complaints_service
from bot.services import exports, rechecks
from bot.services import summary as summary_service
from bot.services.uow import Caller
from bot.views import cards, eightd, forms
from storage.models import Complaint, Event, Purpose, RecheckDue, Step
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


def test_the_same_product_again_within_the_window_reopens_the_earlier_plan(
    engine: Engine,
) -> None:
    company = Company(engine)
    _through_to_the_verdict(company)  # Laishan's fix waits for its recheck
    company.clock.set(NOW + timedelta(days=10))
    # The same customer, another specification of the same product: the fix did not hold.
    company.file(received_at=NOW + timedelta(days=10), specification="6205", plant=Plant.HUANGWU)
    with company.sessions() as session:
        new = session.scalars(select(Complaint).order_by(Complaint.id.desc())).first()
        assert new is not None and new.number == "KS-2026-0002"
        assert new.recurs_after == ["KS-2026-0001"] and new.is_recurring and new.is_serious
        linked = session.scalars(select(Event).where(Event.action == "linked_in_recheck")).one()
        assert linked.detail["earlier"] == "KS-2026-0001"
        # The earlier one: its recheck recorded as Recurred by Kesu itself, the complaint
        # open again and recurring, its plan's items running again; no recheck waits.
        earlier = session.scalars(select(Complaint).where(Complaint.number == "KS-2026-0001")).one()
        assert earlier.status is ComplaintStatus.OPEN and earlier.is_recurring
        recheck = session.scalars(select(Step).where(Step.key == "recheck")).one()
        assert recheck.status is StepStatus.DONE and recheck.outcome is Outcome.RECURRED
        assert recheck.done_by is None  # no person decided it: the link did
        back = session.scalars(select(Event).where(Event.action == "recheck_found_back")).one()
        assert (back.complaint_id, back.detail["new"], back.source) == (
            earlier.id,
            "KS-2026-0002",
            "link",
        )
        assert session.scalars(select(RecheckDue)).all() == []
        items = session.scalars(
            select(Step).where(Step.key == "rectification_items", Step.complaint_id == earlier.id)
        ).all()
        assert [s.status for s in items][-1] is StepStatus.OPEN
    told = [
        r for r in company.outbox(Purpose.RESULT) if "KS-2026-0002" in r.payload.get("text", "")
    ]
    assert {r.chat_id for r in told} == {QC_LAISHAN, VP_PROD}
    assert "整治未见效" in told[0].payload["text"] and "KS-2026-0001" in told[0].payload["text"]
    # No card of a recheck already answered went to QC.
    assert company.chats_of("recheck") == set()
    # Another customer's complaint on the same product is not linked.
    company.file(received_at=NOW + timedelta(days=10), customer="威海精工")
    with company.sessions() as session:
        other = session.scalars(select(Complaint).order_by(Complaint.id.desc())).first()
        assert other is not None and other.recurs_after == []


def test_a_shared_cause_links_at_the_appraisal_and_opens_the_recheck_now(engine: Engine) -> None:
    company = Company(engine)
    _through_to_the_verdict(company)  # its appraisal named 机 (machine)
    later = NOW + timedelta(days=12)
    company.clock.set(later)
    company.file(received_at=later, product_name="电机", specification="Y2-90", content="过热")
    with company.sessions() as session:
        new = session.scalars(select(Complaint).order_by(Complaint.id.desc())).first()
        assert new is not None and new.recurs_after == []  # another product: not at filing
    assert company.press(QC_HW, "initial_assessment", Press.DONE, later).value == "ok"
    step = company.step_id("appraisal_report")
    # 料 only: nothing in common yet.
    assert company.name_causes(QC_HW, step, ("material",)).value == "set"
    assert company.chats_of("recheck") == set()
    # 机 too: the same customer's kind of cause while the earlier fix waits.
    assert company.name_causes(QC_HW, step, ("material", "machine")).value == "set"
    with company.sessions() as session:
        new = session.scalars(select(Complaint).where(Complaint.number == "KS-2026-0002")).one()
        assert new.recurs_after == ["KS-2026-0001"] and new.is_recurring
        earlier = session.scalars(select(Complaint).where(Complaint.number == "KS-2026-0001")).one()
        # Not decided for QC: the earlier stays closed, its recheck open now.
        assert earlier.status is ComplaintStatus.CLOSED
        assert session.scalars(select(RecheckDue)).all() == []
        recheck = session.scalars(select(Step).where(Step.key == "recheck")).one()
        assert recheck.status is StepStatus.OPEN and recheck.complaint_id == earlier.id
    assert company.chats_of("recheck") == {QC_LAISHAN}
    told = [
        r for r in company.outbox(Purpose.RESULT) if "KS-2026-0002" in r.payload.get("text", "")
    ]
    assert {r.chat_id for r in told} == {QC_LAISHAN, VP_PROD}
    assert "原因类别相同（机、料）" in told[0].payload["text"]
    # Naming the causes again links nothing twice.
    assert company.name_causes(QC_HW, step, ("machine",)).value == "set"
    with company.sessions() as session:
        links = session.scalars(select(Event).where(Event.action == "linked_in_recheck")).all()
        assert len(links) == 1


def test_the_register_and_the_summary_carry_the_recheck(engine: Engine) -> None:
    company = Company(engine)
    _through_to_the_verdict(company)
    month = exports.RegisterRequest(Caller(QC_LS, QC_LS), "2026-11")
    register = company.services.call(exports.register, month)
    row = forms.register_row(register.complaints[0], "zh_CN", "Asia/Shanghai")
    assert row[-1] == "待复查 2026-12-24"  # 30 days after the sign-off
    week = summary.week_of(NOW + timedelta(days=30), UTC)
    found = company.services.call(summary_service.compute, *week)
    assert found.rechecks_waiting == 1 and found.this.rechecks_held == 0
    _recheck_opens(company)
    answered = NOW + timedelta(days=30, hours=2)
    assert company.press(QC_LS, "recheck", Press.HELD, answered).value == "ok"
    found = company.services.call(summary_service.compute, *week)
    assert (found.this.rechecks_held, found.this.rechecks_recurred) == (1, 0)
    assert found.rechecks_waiting == 0
    text = "".join(m.text for m in cards.weekly_summary(found, "zh_CN", "Asia/Shanghai"))
    assert "整治效果保持：1（0） · 问题再发生：0（0） · 目前待复查：0" in text
    register = company.services.call(exports.register, month)
    row = forms.register_row(register.complaints[0], "zh_CN", "Asia/Shanghai")
    assert row[-1] == "效果保持 2026-12-24"
    # /show says it too.
    shown = company.services.call(
        complaints_service.show,
        complaints_service.ShowComplaint(Caller(QC_LS, QC_LS), "KS-2026-0001"),
    )
    assert shown.complaint is not None and shown.complaint.recheck is not None
    assert shown.complaint.recheck.state is RecheckState.HELD
