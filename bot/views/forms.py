"""The procedure's paper forms (section 7) as files, laid out like the forms.

- 《客户投诉统计表》 the complaint register of a period: XLSX;
- 《顾客反馈质量问题处置报告单》 the disposition report of one complaint: XLSX and PDF;
- 《质量问题整治方法计划表》 the rectification plan of one complaint: XLSX and PDF.

Headings are message ids, so the reader gets the form's Chinese headings (or
English where they read English). The files are made by openpyxl and fpdf2;
the PDF embeds a CJK font (bot.views.fonts), so Chinese renders on any machine.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.procedure.causes import Cause
from bot.procedure.grading import CustomerClass, Grade
from bot.procedure.pareto import Pareto
from bot.procedure.steps import REPORT_FIELD_STEPS
from bot.views import labels
from bot.views.fonts import CjkFont
from bot.views.i18n import N_, gettext, gettext_plain, typeset
from bot.views.models import ComplaintView, KeptFileView, PlanView
from bot.views.render import format_date, format_datetime, format_number

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"

REGISTER_TITLE = N_("Complaint register")
REPORT_TITLE = N_("Customer feedback quality problem disposition report")
PLAN_TITLE = N_("Quality problem rectification plan")

# The plan's item table, in the form's order; the status is Kesu's own column.
PLAN_ITEM_COLUMNS = (
    N_("No."),
    N_("Rectification item"),
    N_("Requirement"),
    N_("Item owner"),
    N_("Due date"),
    N_("Accepted by"),
    N_("Status"),
)
PLAN_ITEM_WIDTHS = (6, 30, 34, 12, 17, 12, 16)

# The register's columns, in the form's order (编号 first: Kesu's number).
REGISTER_COLUMNS = (
    N_("Number"),
    N_("Time"),
    N_("Customer name (code)"),
    N_("Complaint content and demands"),
    N_("Customer class"),
    N_("Contact phone"),
    N_("Problem nature"),
    N_("Recheck a month on"),  # Kesu's own column (IATF 16949 10.2.3)
)
REGISTER_WIDTHS = (15, 17, 22, 50, 10, 16, 16, 18)

# 填表说明 of the register.
CLASS_NOTE = N_(
    "Customer class: the A, B, C classes the company gives customers by their sales volume."
)
NATURE_NOTE = N_(
    "Problem nature: A very serious: the customer demands a claim and return, or ends the "
    "contract; B serious: a return, a downgrade or price cut, a concession; C ordinary: an "
    "exchange, or criticism."
)


@dataclass(frozen=True)
class FormFile:
    name: str
    content: bytes
    mime: str


# What a spreadsheet reads as a formula (or as the start of one when someone edits the
# cell): a customer named `=HYPERLINK(...)` must stay a name.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_row(sheet: Worksheet, values: Sequence[object]) -> None:
    """Append one row of a form. Every value people supplied reaches a cell through here:
    a text that a spreadsheet would read as a formula is written as text, marked so that
    editing the cell keeps it text."""
    cells: list[object] = []
    for value in values:
        if isinstance(value, str) and value.startswith(FORMULA_START):
            cell = Cell(sheet, value=value)
            cell.data_type = "s"  # openpyxl made it a formula; it is text
            cell.quotePrefix = True
            cells.append(cell)
        else:
            cells.append(value)
    sheet.append(cells)


def _grade(grade: Grade, language: str) -> str:
    return f"{grade.value} {gettext(language, labels.GRADES[grade])}"


def _content(c: ComplaintView, language: str) -> str:
    demands = typeset(language, "、").join(gettext(language, labels.DEMANDS[d]) for d in c.demands)
    return f"{c.content}\n{typeset(language, f'({demands})')}" if demands else c.content


def register_row(c: ComplaintView, language: str, tz: str) -> tuple[str, ...]:
    """One complaint as the register's row: the cells, in the columns' order."""
    return (
        c.number,
        format_datetime(c.received_at, tz),
        c.customer_name,
        _content(c, language),
        CustomerClass(c.customer_class).value,
        c.contact_phone,
        _grade(c.grade, language),
        recheck_text(c, language, tz),
    )


def recheck_text(c: ComplaintView, language: str, tz: str) -> str:
    """ "有效 2026-12-01", "复查待到 2027-01-05"; empty when no recheck was set."""
    if c.recheck is None:
        return ""
    state = gettext(language, labels.RECHECK_STATES[c.recheck.state])
    return f"{state} {format_date(c.recheck.at.astimezone(ZoneInfo(tz)).date())}"


def register_xlsx(
    complaints: Sequence[ComplaintView],
    period: str,
    language: str,
    tz: str,
    files: Sequence[KeptFileView] = (),
    *,
    causes: Pareto | None = None,
    listed: Sequence[Cause] = (),
) -> FormFile:
    t = lambda message: gettext(language, message)  # noqa: E731
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = period
    title = t(REGISTER_TITLE)
    safe_row(sheet, [f"《{title}》" if language.startswith("zh") else title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(REGISTER_COLUMNS))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    safe_row(sheet, [t("Period"), period])
    safe_row(sheet, [t(column) for column in REGISTER_COLUMNS])
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.border = box
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    # Cells addressed by row and column: sheet.max_row and sheet[row] look at every
    # cell of the sheet, which made a month of complaints take seconds.
    top = Alignment(vertical="top", wrap_text=True)
    for row, complaint in enumerate(complaints, start=4):
        safe_row(sheet, list(register_row(complaint, language, tz)))
        for column in range(1, len(REGISTER_COLUMNS) + 1):
            cell = sheet.cell(row, column)
            cell.border, cell.alignment = box, top
    safe_row(sheet, [])
    safe_row(sheet, [t("Notes on filling in")])
    safe_row(sheet, [t(CLASS_NOTE)])
    safe_row(sheet, [t(NATURE_NOTE)])
    for index, width in enumerate(REGISTER_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A4"
    if files:
        _files_sheet(book, files, t)
    if causes is not None:
        _cause_sheet(book, causes, listed, language)
    return FormFile(f"{t(REGISTER_TITLE)}-{period}.xlsx", saved(book), XLSX)


def _cause_sheet(book: Workbook, found: Pareto, listed: Sequence[Cause], language: str) -> None:
    """原因分析 / Cause analysis: the month's Pareto of causes and of cost, as the weekly
    summary's chart draws it (bot/procedure/pareto.py)."""
    t = lambda message: gettext_plain(language, message)  # noqa: E731
    names = {c.key: c.name(language) for c in listed}
    named = lambda key: names.get(key, key) if key else t("not categorised")  # noqa: E731
    sheet = book.create_sheet(t("Cause analysis"))
    safe_row(sheet, [t("Cause analysis"), found.period.name])
    sheet["A1"].font = Font(bold=True, size=14)
    safe_row(sheet, [t("Complaints received"), found.complaints])
    safe_row(sheet, [t("Money in all"), float(found.total_cost)])
    for title, bars, column in (
        (t("Causes by number of complaints"), found.by_count, t("Complaints")),
        (t("Causes by cost (yuan)"), found.by_cost, t("yuan")),
    ):
        safe_row(sheet, [])
        safe_row(sheet, [title])
        sheet.cell(sheet.max_row, 1).font = Font(bold=True)
        safe_row(sheet, [t("Cause categories"), column, t("Cumulative %")])
        for bar in bars:
            safe_row(sheet, [named(bar.key), float(bar.value), float(bar.cumulative)])
    for title, totals in (
        (t("Cost by customer"), found.by_customer),
        (t("Cost by product"), found.by_product),
    ):
        if totals:
            safe_row(sheet, [])
            safe_row(sheet, [title])
            sheet.cell(sheet.max_row, 1).font = Font(bold=True)
            for bar in totals:
                safe_row(sheet, [bar.key, float(bar.value)])
    safe_row(sheet, [])
    safe_row(
        sheet,
        [t("A complaint counts once in each cause named for it; its money is shared among them.")],
    )
    for letter, width in (("A", 24), ("B", 16), ("C", 14)):
        sheet.column_dimensions[letter].width = width


FILES_COLUMNS = (
    N_("Number"),
    N_("File"),
    N_("Kind"),
    N_("Kept in Kesu's store as"),
    N_("Size (bytes)"),
    N_("SHA-256"),
)
FILES_WIDTHS = (15, 30, 10, 44, 12, 66)


def _files_sheet(book: Workbook, files: Sequence[KeptFileView], t: Callable[[str], str]) -> None:
    """The letters, photos and reports of the month's complaints and where Kesu keeps them
    (`[files] store`; `kesu export register --with-files` copies them beside the sheet)."""
    sheet = book.create_sheet(t("Files"))
    safe_row(sheet, [t(column) for column in FILES_COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for kept in files:
        safe_row(
            sheet,
            [
                kept.complaint_number,
                kept.file_name or "",
                t(labels.FILE_KINDS[kept.kind]),
                kept.path or t("not kept"),
                kept.size,
                kept.sha256 or "",
            ],
        )
    for index, width in enumerate(FILES_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"


def report_rows(c: ComplaintView, language: str, tz: str) -> list[tuple[str, str]]:
    """The disposition report as (heading, what is filled in), in the form's order; the
    signatures are whoever did the step that fills the field, and when."""
    t = lambda message: gettext(language, message)  # noqa: E731
    done = {s.key: s for s in c.steps if s.is_done}

    def signed(key: str) -> str:
        step = done.get(key)
        if step is None or step.done_by is None:
            return ""
        line = f"{step.done_by}  {format_datetime(step.done_at, tz)}"
        # A sign-off says what it means, as its latest signature on the step records it.
        meaning = next((g.meaning for g in reversed(c.signatures) if g.step_key == key), None)
        return f"{line}  {t(labels.MEANINGS[meaning])}" if meaning else line

    # ■ and □, not ☑ and ☐: the PDF's embedded CJK font draws these (it lacks the others).
    boxes = "   ".join(
        f"{'■' if c.plant == plant else '□'} {index} {t(labels.PLANTS[plant])}"
        for index, plant in enumerate(labels.PLANTS_OF_ORIGIN, start=1)
    )
    quantity = format_number(c.quantity) + (f" {c.quantity_unit}" if c.quantity_unit else "")
    rows = [
        (t("Number"), c.number),
        (t("Date"), format_datetime(c.received_at, tz)),
        (t("Customer name (code)"), c.customer_name),
        (t("Customer class"), CustomerClass(c.customer_class).value),
        (t("Quantity delivered"), quantity),
        (t("Problem product name"), c.product_name),
        (t("Specification / model"), c.specification),
        (t("Delivery date"), format_date(c.delivery_date)),
        (t("Problem nature"), _grade(c.grade, language)),
        (t("Product quality problem description"), c.description),
        (t("Head of sales"), f"{c.filed_by}  {format_datetime(c.received_at, tz)}"),
        (t("Supply responsibility"), boxes),
    ]
    # The lower half: each field as the step that fills it records it, and its signature.
    for step in REPORT_FIELD_STEPS:
        assert step.record_heading and step.signed_by and step.records
        value = getattr(c, step.records) or t(N_("(to be filled)"))
        signer = step.signature_step or step.id
        rows += [(t(step.record_heading), value), (t(step.signed_by), signed(signer))]
    if c.causes:
        rows.append((t("Cause categories"), _cause_names(c, language)))
    if c.costs:
        rows.append((t("Cost of poor quality"), cost_summary(c, language)))
    return rows


def _cause_names(c: ComplaintView, language: str) -> str:
    return typeset(language, "、").join(cause.name(language) for cause in c.causes)


def cost_summary(c: ComplaintView, language: str) -> str:
    """The figures that stand, one a line, and the money in all."""
    t = lambda message: gettext_plain(language, message)  # noqa: E731
    lines = [
        f"{t(labels.COSTS[line.kind])}: {format_number(line.amount)} "
        + (t("yuan") if line.money else line.unit)
        for line in c.costs
    ]
    return "\n".join([*lines, f"{t('Money in all')}: {format_number(c.cost_total)} {t('yuan')}"])


def report_xlsx(c: ComplaintView, language: str, tz: str) -> FormFile:
    t = lambda message: gettext(language, message)  # noqa: E731
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = c.number
    safe_row(sheet, [t(REPORT_TITLE)])
    sheet.merge_cells("A1:B1")
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    for heading, value in report_rows(c, language, tz):
        safe_row(sheet, [heading, value])
        row = sheet[sheet.max_row]
        row[0].font = Font(bold=True)
        for cell in row:
            cell.border = box
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 70
    return FormFile(f"{t(REPORT_TITLE)}-{c.number}.xlsx", saved(book), XLSX)


def report_pdf(c: ComplaintView, language: str, tz: str, font: CjkFont) -> FormFile:
    t = lambda message: gettext(language, message)  # noqa: E731
    pdf = FPDF(format="A4")
    pdf.set_title(f"{t(REPORT_TITLE)} {c.number}")
    pdf.add_font("cjk", fname=font.path, collection_font_number=font.index)
    pdf.add_page()
    pdf.set_font("cjk", size=15)
    pdf.cell(0, 10, t(REPORT_TITLE), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("cjk", size=10)
    with pdf.table(col_widths=(30, 70), text_align="LEFT", first_row_as_headings=False) as table:
        for heading, value in report_rows(c, language, tz):
            row = table.row()
            row.cell(heading)
            row.cell(value)
    return FormFile(f"{t(REPORT_TITLE)}-{c.number}.pdf", bytes(pdf.output()), PDF)


def plan_rows(plan: PlanView, c: ComplaintView, language: str, tz: str) -> list[tuple[str, str]]:
    """The plan's upper half as (heading, what is filled in), in the form's order."""
    t = lambda message: gettext(language, message)  # noqa: E731
    departments = typeset(language, "、").join(t(labels.DEPARTMENTS[d]) for d in plan.departments)
    issued = format_datetime(plan.issued_at, tz)
    return [
        (t("Number"), f"{c.number}  {c.customer_name}  {c.product_name} {c.specification}"),
        (t("Quality problem"), plan.problem),
        (t("Causes"), plan.causes),
        (t("Overall owner"), plan.owner),
        (t("Plan deadline"), format_date(plan.deadline)),
        (t("Departments taking part"), departments),
        # The template's message, formatted the way the templates format it.
        (t("Issued by %(name)s at %(at)s") % {"name": plan.issued_by, "at": issued}, ""),
    ]


def plan_item_rows(plan: PlanView, language: str, tz: str) -> list[tuple[str, ...]]:
    """The item table: one row per item, in the columns' order."""
    return [
        (
            str(i.number),
            i.action,
            i.requirement,
            i.owner,
            format_datetime(i.due_at, tz),
            i.acceptor,
            gettext(language, labels.ITEM_STATUSES[i.status]),
        )
        for i in plan.items
    ]


def _title(title: str, language: str) -> str:
    return f"《{title}》" if language.startswith("zh") else title


def plan_xlsx(plan: PlanView, c: ComplaintView, language: str, tz: str) -> FormFile:
    t = lambda message: gettext(language, message)  # noqa: E731
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = c.number
    width = len(PLAN_ITEM_COLUMNS)
    safe_row(sheet, [_title(t(PLAN_TITLE), language)])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    for heading, value in plan_rows(plan, c, language, tz):
        safe_row(sheet, [heading, value])
        row = sheet.max_row
        sheet.merge_cells(start_row=row, start_column=2, end_row=row, end_column=width)
        sheet.cell(row, 1).font = Font(bold=True)
        for cell in sheet[row]:
            cell.border = box
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    safe_row(sheet, [t(column) for column in PLAN_ITEM_COLUMNS])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
        cell.border = box
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for values in plan_item_rows(plan, language, tz):
        safe_row(sheet, list(values))
        for cell in sheet[sheet.max_row]:
            cell.border = box
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    for index, column_width in enumerate(PLAN_ITEM_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column_width
    return FormFile(f"{t(PLAN_TITLE)}-{c.number}.xlsx", saved(book), XLSX)


def plan_pdf(plan: PlanView, c: ComplaintView, language: str, tz: str, font: CjkFont) -> FormFile:
    t = lambda message: gettext(language, message)  # noqa: E731
    pdf = FPDF(format="A4", orientation="landscape")
    pdf.set_title(f"{t(PLAN_TITLE)} {c.number}")
    pdf.add_font("cjk", fname=font.path, collection_font_number=font.index)
    pdf.add_page()
    pdf.set_font("cjk", size=15)
    pdf.cell(0, 10, _title(t(PLAN_TITLE), language), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("cjk", size=10)
    with pdf.table(col_widths=(30, 100), text_align="LEFT", first_row_as_headings=False) as table:
        for heading, value in plan_rows(plan, c, language, tz):
            row = table.row()
            row.cell(heading)
            row.cell(value)
    pdf.ln(4)
    # The embedded font has no bold face: headings are shaded instead.
    headings = FontFace(fill_color=(230, 230, 230))
    with pdf.table(
        col_widths=PLAN_ITEM_WIDTHS, text_align="LEFT", headings_style=headings
    ) as table:
        heading_row = table.row()
        for column in PLAN_ITEM_COLUMNS:
            heading_row.cell(t(column))
        for values in plan_item_rows(plan, language, tz):
            row = table.row()
            for value in values:
                row.cell(value)
    return FormFile(f"{t(PLAN_TITLE)}-{c.number}.pdf", bytes(pdf.output()), PDF)


def saved(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
