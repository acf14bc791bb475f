"""The 8D report (issue 25, item 3): a B complaint whose appraisal names 机 and 料 and
records 1,200 pieces affected, through its plan to verification; the report in English
and in Chinese carries each discipline from the record (checked field by field against
the database, the PDF's text extracted), and says which disciplines are still open."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import Engine, select

from bot.procedure.grading import Demand, Plant
from bot.services import costs, exports, steps
from bot.services.uow import Caller
from bot.views import eightd
from bot.views.fonts import cjk_font
from storage.models import Complaint, Person, Step
from tests.conftest import PURCHASING, QC_LS, SALES, SALES_2, VP_PROD
from tests.test_forms import _pdf_text
from tests.test_workflow import NOW, Company, Press


def _report(company: Company, who: int = VP_PROD) -> exports.Report:
    request = exports.ReportRequest(Caller(who, who), "KS-2026-0001")
    return company.services.call(exports.eight_d, request)


def _texts(found: exports.Report, language: str) -> tuple[str, dict[str, str], str]:
    assert found.complaint is not None
    tz = "Asia/Shanghai"
    made = eightd.eightd_xlsx(found.complaint, found.plan, found.team, language, tz, found.fmea)
    sheet = load_workbook(io.BytesIO(made.content)).active
    assert sheet is not None
    cells = {str(r[0].value): str(r[1].value) for r in sheet.iter_rows() if r[1].value}
    lines = "\n".join(str(r[0].value) for r in sheet.iter_rows() if r[0].value)
    pdf = eightd.eightd_pdf(
        found.complaint, found.plan, found.team, language, tz, cjk_font(), found.fmea
    )
    return lines, cells, _pdf_text(pdf.content)


def test_the_8d_report_carries_every_discipline_from_the_record(engine: Engine) -> None:
    company = Company(engine)
    company.file(demands=[Demand.DOWNGRADE], content="降价处理", plant=Plant.LAISHAN)  # B
    assert company.press(QC_LS, "initial_assessment", Press.DONE).value == "ok"
    # Early on, most disciplines are still open, and the report says which.
    early, _cells, _pdf = _texts(_report(company), "en")
    assert "Still open: D0, D3, D4, D5, D6, D7, D8" in early
    step = company.step_id("appraisal_report")
    company.name_causes(QC_LS, step, ("machine", "material"))
    assert company.press(QC_LS, "appraisal_report", Press.NOT_TODAY).value == "ok"
    record = costs.RecordCost(Caller(QC_LS, QC_LS), step, "affected", "1200", at_step=True)
    assert company.services.call(costs.record, record).ok
    for key in ("containment", "improvement_measures", "feedback_to_sales"):
        assert company.press(QC_LS, key, Press.DONE).value == "ok", key
    company.issue_plan(VP_PROD, [("更换轴承座", QC_LS, VP_PROD), ("校准设备", PURCHASING, QC_LS)])
    later = NOW + timedelta(days=2)
    company.carry_out([(QC_LS, VP_PROD), (PURCHASING, QC_LS)], at=later)
    verification = company.step_id("verification")
    pressed = company.services.call(
        steps.press,
        steps.PressStep(Caller(QC_LS, QC_LS), verification, steps.StepAction.FINISH, "done"),
    )
    # Done, the FMEA / control plan question is asked; only who may act answers it.
    assert pressed.asks_fmea
    answer = steps.AnswerFmea(Caller(SALES_2, SALES_2), verification, True)
    assert company.services.call(steps.answer_fmea, answer) is steps.PressResult.DENIED
    answer = steps.AnswerFmea(Caller(QC_LS, QC_LS), verification, True)
    assert company.services.call(steps.answer_fmea, answer) is steps.PressResult.OK
    assert company.press(VP_PROD, "verification_signoff", Press.EFFECTIVE, later).value == "ok"

    found = _report(company)
    lines, cells, pdf = _texts(found, "en")
    with company.sessions() as session:
        complaint = session.scalars(select(Complaint)).one()
        # D0/D2 from intake, field by field.
        assert cells["Symptom (the customer's words)"] == complaint.content
        assert cells["What"] == (
            f"{complaint.product_name} {complaint.specification}: {complaint.description}"
        )
        assert cells["Quantity affected"] == "1200 件"
        # D1: everyone who acted, with their role.
        actors = {p.name for p in session.scalars(select(Person))} & set(cells)
        assert {"王业务", "赵质检", "陈生产"} <= actors
        assert cells["陈生产"] == "Production VP" and cells["赵质检"] == "Quality control"
        # D3: containment with its time; D4: the appraisal's causes and responsibility.
        containment = session.scalars(select(Step).where(Step.key == "containment")).one()
        assert cells["Done by"].startswith(containment.done_by.name)  # type: ignore[union-attr]
        assert cells["Cause categories"] == "Machine, Material"
        assert cells["Supply responsibility"] == "Laishan workshop/warehouse"
        # D5: the plan's items; D6: their acceptances and the sign-off, with meaning.
        assert cells["Item 1"].startswith("更换轴承座") and cells["Item 2"].startswith("校准设备")
        assert cells["Signed off"].startswith("rectification effective · 陈生产")
        # D7: the improvement measures and the FMEA / control plan answer.
        assert cells["FMEA and control plan updated"].startswith("Yes · 赵质检")
    # Verified but not yet answered and closed: only D8 is still open.
    assert "Still open: D8" in lines
    for title in ("D0 Symptom", "D4 Root cause", "D6 Implemented and validated", "D8 Closure"):
        assert title in lines and title in pdf
    assert "1200" in pdf and "rectification effective" in pdf
    # The customer's language: Chinese, with the same record.
    zh_lines, zh_cells, zh_pdf = _texts(found, "zh_CN")
    assert zh_cells["原因类别"] == "机、料" and zh_cells["受影响数量"] == "1200 件"
    assert "尚未完成：D8" in zh_lines and "D4 根本原因" in zh_pdf and "整治有效" in zh_pdf
    # Sales who did not file it may not have it.
    assert _report(company, SALES_2).complaint is None
    assert _report(company, SALES).complaint is not None
