"""The 8D report of one complaint, from what Kesu recorded, with no retyping: D0 to D8
as the customer's quality engineers read them, in Chinese or in English (the customer's
language, chosen at export), as XLSX and as PDF with the embedded CJK font. A discipline
the record cannot fill yet says so, and the report lists those still open at its top.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side

from bot.procedure import eightd as rules
from bot.procedure.costs import CostKind
from bot.procedure.roles import Role
from bot.procedure.signatures import Meaning
from bot.procedure.steps import StepStatus
from bot.views import labels
from bot.views.fonts import CjkFont
from bot.views.forms import PDF, XLSX, FormFile, cost_summary, safe_row, saved
from bot.views.i18n import N_, gettext_plain, typeset
from bot.views.models import ComplaintView, PlanView, StepView
from bot.views.render import format_datetime, format_number

TITLE = N_("8D report")
NOT_YET = N_("(not recorded yet)")


@dataclass(frozen=True)
class Discipline:
    code: str  # "D0" … "D8"
    title: str  # in the report's language
    rows: tuple[tuple[str, str], ...]
    open: bool  # the record cannot fill it yet


def disciplines(
    c: ComplaintView,
    plan: PlanView | None,
    team: Sequence[tuple[str, Role]],
    language: str,
    tz: str,
    fmea: tuple[bool, str, datetime] | None = None,
) -> list[Discipline]:
    t = lambda message: gettext_plain(language, message)  # noqa: E731
    steps = {s.key: s for s in c.steps if s.status is StepStatus.DONE}
    when = lambda at: format_datetime(at, tz) if at else ""  # noqa: E731
    costs = {line.kind: line for line in c.costs}

    def done(key: str) -> StepView | None:
        return steps.get(key)

    def by(key: str) -> str:
        step = done(key)
        return f"{step.done_by or ''}  {when(step.done_at)}".strip() if step else t(NOT_YET)

    def figure(kind: CostKind) -> str:
        line = costs.get(kind)
        if line is None:
            return t(NOT_YET)
        unit = t("yuan") if line.money else line.unit
        return f"{format_number(line.amount)} {unit}".strip()

    def signed(meanings: tuple[Meaning, ...]) -> list[str]:
        return [
            f"{t(labels.MEANINGS[g.meaning])} · {g.by} · {when(g.at)}"
            + (f" · {t('item')} {g.item}" if g.item else "")
            for g in c.signatures
            if g.meaning in meanings
        ]

    containment = done(rules.CONTAINMENT)
    d0 = (
        (t("Symptom (the customer's words)"), c.content),
        (
            t("Emergency response"),
            (containment.note or t(labels.STEP_STATUSES[StepStatus.DONE]))
            if containment
            else t(NOT_YET),
        ),
        (t("Responded by"), by(rules.CONTAINMENT)),
    )
    d1 = tuple((name, t(labels.ROLES[role])) for name, role in team)
    d2 = (
        (t("What"), f"{c.product_name} {c.specification}: {c.description}"),
        (t("Where"), f"{c.customer_name} · {t(labels.PLANTS[c.plant])}"),
        (t("When found"), when(c.occurred_at)),
        (t("When received"), when(c.received_at)),
        (t("How many"), f"{t('Quantity delivered')} {format_number(c.quantity)} {c.quantity_unit}"),
        (t("Quantity affected"), figure(CostKind.AFFECTED)),
        (t("How found"), c.content),
    )
    d3 = (
        (
            t("Containment"),
            (containment.note or t(labels.STEP_STATUSES[StepStatus.DONE]))
            if containment
            else t(NOT_YET),
        ),
        (t("Done by"), by(rules.CONTAINMENT)),
        (t("Quantity returned"), figure(CostKind.RETURNED)),
        (t("Quantity reworked"), figure(CostKind.REWORKED)),
    )
    causes = typeset(language, "、").join(cause.name(language) for cause in c.causes)
    d4 = (
        (t("Root cause analysis"), c.cause_analysis or t(NOT_YET)),
        (t("Cause categories"), causes or t("not categorised")),
        (t("Supply responsibility"), t(labels.PLANTS[c.plant])),
        (t("Appraised by"), by(rules.APPRAISAL)),
    )
    if plan is not None:
        d5 = tuple(
            (
                f"{t('Item')} {i.number}",
                f"{i.action} · {i.requirement} · {i.owner} · {t('due')} {when(i.due_at)}",
            )
            for i in plan.items
        )
    else:
        d5 = ((t("Corrective proposal"), c.corrective_proposal or t(NOT_YET)),)
    accepted = signed((Meaning.ACCEPTED, Meaning.SENT_BACK))
    effective = signed((Meaning.EFFECTIVE, Meaning.NOT_EFFECTIVE))
    d6 = (
        *((t("Acceptance"), line) for line in accepted),
        (t("Verification of effect"), c.verification or t(NOT_YET)),
        *((t("Signed off"), line) for line in effective),
        (t("Corrective results to sales"), by(rules.RESULTS_TO_SALES)),
    )
    recheck = done(rules.RECHECK_STEP)
    recheck_line = (
        f"{t(recheck.outcome_record) if recheck.outcome_record else ''} · {by(rules.RECHECK_STEP)}"
        if recheck
        else t(NOT_YET)
    )
    d7 = (
        (t("Improvement measures"), c.corrective_proposal or t(NOT_YET)),
        (t("Formulated by"), by(rules.MEASURES)),
        (t("FMEA and control plan updated"), _fmea_line(fmea, language, tz)),
        (t("Recheck a month on"), recheck_line),
    )
    verdict = signed((Meaning.SATISFIED, Meaning.NOT_SATISFIED))
    d8 = (
        *((t("Customer's verdict"), line) for line in verdict),
        (t("Closed"), when(c.closed_at) if c.closed_at else t(NOT_YET)),
        (t("Cost of poor quality"), cost_summary(c, language) if c.costs else t(NOT_YET)),
    )
    planned = plan is not None or done(rules.PLAN) is not None
    return [
        Discipline("D0", t("Symptom and emergency response"), d0, containment is None),
        Discipline("D1", t("The team"), d1, not d1),
        Discipline("D2", t("The problem"), d2, False),
        Discipline("D3", t("Containment"), d3, containment is None),
        Discipline("D4", t("Root cause"), d4, done(rules.APPRAISAL) is None),
        Discipline(
            "D5",
            t("Chosen corrective actions"),
            d5,
            plan is None and not c.corrective_proposal,
        ),
        Discipline(
            "D6",
            t("Implemented and validated"),
            d6,
            (not effective) if planned else done(rules.RESULTS_TO_SALES) is None,
        ),
        Discipline("D7", t("Prevention"), d7, done(rules.MEASURES) is None),
        Discipline("D8", t("Closure"), d8, c.closed_at is None),
    ]


def _fmea_line(fmea: tuple[bool, str, datetime] | None, language: str, tz: str) -> str:
    if fmea is None:
        return gettext_plain(language, NOT_YET)
    updated, name, at = fmea
    answer = gettext_plain(language, "Yes") if updated else gettext_plain(language, "No")
    return f"{answer} · {name} · {format_datetime(at, tz)}"


def _heading(c: ComplaintView, language: str) -> list[tuple[str, str]]:
    t = lambda message: gettext_plain(language, message)  # noqa: E731
    return [
        (t("Number"), c.number),
        (t("Customer name (code)"), c.customer_name),
        (t("Problem product name"), f"{c.product_name} {c.specification}"),
    ]


def _open_line(found: list[Discipline], language: str) -> str | None:
    still = [d.code for d in found if d.open]
    if not still:
        return None
    return gettext_plain(language, "Still open: {codes}", codes=typeset(language, "、").join(still))


def eightd_xlsx(
    c: ComplaintView,
    plan: PlanView | None,
    team: Sequence[tuple[str, Role]],
    language: str,
    tz: str,
    fmea: tuple[bool, str, datetime] | None = None,
) -> FormFile:
    t = lambda message: gettext_plain(language, message)  # noqa: E731
    found = disciplines(c, plan, team, language, tz, fmea)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = c.number
    safe_row(sheet, [t(TITLE)])
    sheet["A1"].font = Font(bold=True, size=14)
    for heading, value in _heading(c, language):
        safe_row(sheet, [heading, value])
    if (line := _open_line(found, language)) is not None:
        safe_row(sheet, [line])
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    top = Alignment(vertical="top", wrap_text=True)
    for discipline in found:
        safe_row(sheet, [])
        mark = f"  ({t(labels.STEP_STATUSES[StepStatus.OPEN])})" if discipline.open else ""
        safe_row(sheet, [f"{discipline.code} {discipline.title}{mark}"])
        sheet.cell(sheet.max_row, 1).font = Font(bold=True)
        for heading, value in discipline.rows:
            safe_row(sheet, [heading, value])
            for column in (1, 2):
                cell = sheet.cell(sheet.max_row, column)
                cell.border, cell.alignment = box, top
    sheet.column_dimensions["A"].width = 26
    sheet.column_dimensions["B"].width = 80
    return FormFile(f"8D-{c.number}-{language}.xlsx", saved(book), XLSX)


def eightd_pdf(
    c: ComplaintView,
    plan: PlanView | None,
    team: Sequence[tuple[str, Role]],
    language: str,
    tz: str,
    font: CjkFont,
    fmea: tuple[bool, str, datetime] | None = None,
) -> FormFile:
    t = lambda message: gettext_plain(language, message)  # noqa: E731
    found = disciplines(c, plan, team, language, tz, fmea)
    pdf = FPDF(format="A4")
    pdf.set_title(f"{t(TITLE)} {c.number}")
    pdf.add_font("cjk", fname=font.path, collection_font_number=font.index)
    pdf.add_page()
    pdf.set_font("cjk", size=15)
    pdf.cell(0, 10, f"{t(TITLE)} · {c.number}", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("cjk", size=10)
    for heading, value in _heading(c, language):
        pdf.multi_cell(0, 6, f"{heading}: {value}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if (line := _open_line(found, language)) is not None:
        pdf.multi_cell(0, 6, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for discipline in found:
        pdf.ln(3)
        pdf.set_font("cjk", size=12)
        mark = f"  ({t(labels.STEP_STATUSES[StepStatus.OPEN])})" if discipline.open else ""
        pdf.multi_cell(
            0, 7, f"{discipline.code} {discipline.title}{mark}", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        pdf.set_font("cjk", size=10)
        if not discipline.rows:
            continue
        with pdf.table(
            col_widths=(30, 70), text_align="LEFT", first_row_as_headings=False
        ) as table:
            for heading, value in discipline.rows:
                row = table.row()
                row.cell(heading)
                row.cell(value)
    return FormFile(f"8D-{c.number}-{language}.pdf", bytes(pdf.output()), PDF)
