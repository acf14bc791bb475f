"""The cost of poor quality (issue 25, item 2): figures asked where each becomes known,
with intake's bad-input rules; leadership and QC record or correct one later with a
reason; /show, /cost and the disposition report show them and their money in all."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import Engine, select

from bot.procedure.costs import CostKind, next_kind, parse_figure, total_yuan
from bot.procedure.intake import InvalidAnswer
from bot.services import complaints, costs, steps
from bot.services.uow import Caller
from bot.views import cards, forms
from storage.models import CostEntry, Event
from tests.conftest import GM, QC_HW, QC_LS, SALES, SALES_2
from tests.test_workflow import Company, Press


def test_a_figure_is_read_as_people_type_it() -> None:
    assert parse_figure(CostKind.AFFECTED, "1200").amount == Decimal(1200)
    assert parse_figure(CostKind.AFFECTED, "1,200 件").unit == "件"
    assert parse_figure(CostKind.CLAIM, "1.2万").amount == Decimal("12000.00")
    assert parse_figure(CostKind.TRAVEL, "¥3500 补记差旅费").reason == "补记差旅费"
    assert parse_figure(CostKind.SCRAP, "0").amount == Decimal("0.00")  # none
    for kind, text in (
        (CostKind.CLAIM, "很多"),
        (CostKind.CLAIM, "-5"),
        (CostKind.CLAIM, "500 件"),  # yuan have no pieces
        (CostKind.AFFECTED, ""),
        (CostKind.CLAIM, "99999999999"),  # over ten billion yuan
    ):
        with pytest.raises(InvalidAnswer):
            parse_figure(kind, text)
    with pytest.raises(InvalidAnswer, match="reason"):
        parse_figure(CostKind.TRAVEL, "3500", reason_needed=True)
    assert next_kind("containment", CostKind.RETURNED) is CostKind.REWORKED
    assert next_kind("containment", CostKind.REWORKED) is None
    assert total_yuan({CostKind.CLAIM: Decimal(100), CostKind.AFFECTED: Decimal(7)}) == 100


def _record(
    company: Company, who: int, target: int, kind: CostKind, text: str, at_step: bool
) -> costs.CostRecorded:
    command = costs.RecordCost(Caller(who, who), target, kind.value, text, at_step=at_step)
    return company.services.call(costs.record, command)


def test_figures_are_asked_at_their_steps_and_corrected_later_with_a_reason(
    engine: Engine,
) -> None:
    company = Company(engine)
    company.file()  # an A complaint of Huangwu: a claim and a return
    assert company.press(QC_HW, "initial_assessment", Press.DONE) is steps.PressResult.OK
    appraisal = company.step_id("appraisal_report")
    company.name_causes(QC_HW, appraisal)
    pressed = company.services.call(
        steps.press,
        steps.PressStep(Caller(QC_HW, QC_HW), appraisal, steps.StepAction.FINISH, "done"),
    )
    # Done: the quantity affected is asked; a bad answer gets its reason, nothing stored.
    assert pressed.asks_cost is CostKind.AFFECTED
    bad = _record(company, QC_HW, appraisal, CostKind.AFFECTED, "一千多", True)
    assert not bad.ok and "number of pieces" in bad.reason
    done = _record(company, QC_HW, appraisal, CostKind.AFFECTED, "1200", True)
    assert done.ok and done.next_kind is None and done.sheet is not None
    assert done.sheet.lines[0].unit == "件"  # the complaint's own unit
    # Containment asks two figures, one after the other.
    containment = company.step_id("containment")
    first = _record(company, QC_HW, containment, CostKind.RETURNED, "300 件", True)
    assert first.ok and first.next_kind is CostKind.REWORKED
    assert _record(company, QC_HW, containment, CostKind.REWORKED, "0", True).ok
    # Another plant's QC, not the step's: a correction like /cost's, with its reason.
    other = _record(company, QC_LS, containment, CostKind.RETURNED, "1", True)
    assert not other.ok and "reason" in other.reason
    # Sales from /cost: refused, logged.
    complaint_id = first.sheet.complaint_id if first.sheet else 0
    assert not _record(company, SALES_2, complaint_id, CostKind.CLAIM, "1 x", False).ok
    # Later, leadership with a reason; without one, the reason is asked for.
    no_reason = _record(company, GM, complaint_id, CostKind.CLAIM, "12000", False)
    assert not no_reason.ok and "reason" in no_reason.reason
    assert _record(company, GM, complaint_id, CostKind.CLAIM, "1.2万 与客户协商定额", False).ok
    assert _record(company, GM, complaint_id, CostKind.TRAVEL, "3500 两次赴现场", False).ok
    corrected = _record(company, QC_HW, complaint_id, CostKind.AFFECTED, "1150 复核", False)
    assert corrected.ok and corrected.sheet is not None
    assert corrected.sheet.total_yuan == Decimal("15500.00")
    standing = {line.kind: line.amount for line in corrected.sheet.lines}
    assert standing[CostKind.AFFECTED] == Decimal(1150)  # the latest stands
    with company.sessions() as session:
        entries = session.scalars(select(CostEntry).order_by(CostEntry.id)).all()
        assert [e.kind for e in entries].count(CostKind.AFFECTED) == 2  # both kept
        assert entries[0].step_id == appraisal and entries[-1].reason == "复核"
        events = session.scalars(select(Event).where(Event.action == "cost_recorded")).all()
        assert len(events) == len(entries)
        refused = session.scalars(select(Event).where(Event.action == "press_refused")).all()
        assert {e.actor.telegram_id for e in refused if e.actor} == {SALES_2}

    shown = company.services.call(
        complaints.show, complaints.ShowComplaint(Caller(SALES, SALES), "KS-2026-0001")
    )
    assert shown.complaint is not None
    tz = company.config.timezone
    text = "\n".join(cards.complaint_show(shown.complaint, list(shown.events), [], "zh_CN", tz))
    assert "<b>质量损失</b>" in text and "受影响数量：<b>1150</b> 件" in text
    assert "索赔金额：<b>12000</b> 元" in text and "金额合计：<b>15500</b> 元" in text
    rows = dict(forms.report_rows(shown.complaint, "en", tz))
    assert "Money in all: 15500 yuan" in rows["Cost of poor quality"]
    sheet = company.services.call(costs.show, costs.ShowCosts(Caller(GM, GM), "KS-2026-0001"))
    assert sheet is not None and sheet.may_record
    message = cards.cost_sheet(sheet, "zh_CN", tz)
    assert message.keyboard and len([b for row in message.keyboard for b in row]) == 8
    for_sales = company.services.call(
        costs.show, costs.ShowCosts(Caller(SALES_2, SALES_2), "KS-2026-0001")
    )
    assert for_sales is None  # not theirs to see
