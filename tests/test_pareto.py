"""The Pareto of causes and of cost (issue 25, item 5): counted by hand over a fixture of
complaints and compared with /pareto's figures, for a month, a quarter and a year; the
chart draws every label in the CJK font."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from bot.procedure.pareto import CauseFact, Period, pareto, parse_period
from bot.services import costs, steps, summary
from bot.services import pareto as service
from bot.services.uow import Caller
from bot.views import cards, charts
from bot.views.fonts import cjk_font
from storage.models import Method, Purpose
from tests.conftest import GM, QC_HW, SALES_2
from tests.test_workflow import NOW, Company, Press

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_bars_go_from_the_largest_with_the_cumulative_share() -> None:
    period = Period("x", NOW, NOW + timedelta(days=1))
    facts = [
        CauseFact(1, ("machine", "material"), Decimal(1000)),
        CauseFact(2, ("machine",), Decimal(300)),
        CauseFact(3, (), Decimal(0)),
        CauseFact(4, ("method",), Decimal(0)),
    ]
    found = pareto(period, facts, ["man", "machine", "material", "method"])
    assert found.complaints == 4 and found.total_cost == Decimal("1300.00")
    assert [(b.key, b.value, b.cumulative) for b in found.by_count] == [
        ("machine", 2, Decimal("40.0")),
        ("material", 1, Decimal("60.0")),  # ties keep the company's order
        ("method", 1, Decimal("80.0")),
        ("", 1, Decimal("100.0")),  # not categorised, last of the ties
    ]
    # The cost of a complaint with two causes is shared between them.
    assert [(b.key, b.value) for b in found.by_cost] == [
        ("machine", Decimal("800.00")),
        ("material", Decimal("500.00")),
    ]
    assert found.by_cost[-1].cumulative == 100


def test_periods_are_months_quarters_and_years_in_company_time() -> None:
    month = parse_period("2026-11", SHANGHAI)
    assert month is not None and month.start == datetime(2026, 11, 1, tzinfo=SHANGHAI)
    assert month.end == datetime(2026, 12, 1, tzinfo=SHANGHAI)
    quarter = parse_period("2026-q4", SHANGHAI)
    assert quarter is not None and quarter.name == "2026-Q4"
    assert quarter.end == datetime(2027, 1, 1, tzinfo=SHANGHAI)
    year = parse_period("2026", SHANGHAI)
    assert year is not None and (year.start.month, year.end.year) == (1, 2027)
    for bad in ("2026-13", "2026-Q5", "1850", "W47", "2026-11-01", ""):
        assert parse_period(bad, SHANGHAI) is None


def _complaint(
    company: Company, at: datetime, causes: tuple[str, ...], claim: str, customer: str = "海达"
) -> None:
    """A complaint received at `at`, appraised with these causes, its claim recorded."""
    company.clock.set(at)
    complaint_id = company.file(received_at=at, customer=customer)
    company.press(QC_HW, "initial_assessment", Press.DONE, at)
    step_id = company.step_id("appraisal_report")
    if causes:
        company.name_causes(QC_HW, step_id, causes)
    if claim:
        command = costs.RecordCost(Caller(GM, GM), complaint_id, "claim", claim, at_step=False)
        assert company.services.call(costs.record, command).ok
    # Done (as it is, without causes where none were named), so the next complaint's
    # appraisal is the one open.
    press = steps.PressStep(Caller(QC_HW, QC_HW), step_id, *Press.DONE)
    assert company.services.call(steps.press, press).result is steps.PressResult.OK


def test_pareto_agrees_with_a_hand_count(engine: Engine) -> None:
    company = Company(engine, causes={"required": False})
    nov = datetime(2026, 11, 3, 2, tzinfo=UTC)
    fixture = [
        (nov, ("machine",), "5000 协商"),
        (nov + timedelta(days=1), ("machine", "material"), "1.2万 协商"),
        (nov + timedelta(days=2), ("method",), ""),
        (nov + timedelta(days=3), (), "800 补记", "威海精工"),
        (datetime(2026, 10, 20, 2, tzinfo=UTC), ("material",), "3000 补记"),
        (datetime(2026, 3, 5, 2, tzinfo=UTC), ("environment",), ""),
    ]
    for at, causes_, claim, *customer in fixture:
        _complaint(company, at, causes_, claim, *customer)

    def asked(period: str, who: int = GM) -> service.ParetoResult:
        request = service.ParetoRequest(Caller(who, who), period, "zh_CN")
        return company.services.call(service.ask, request)

    # By hand, November: machine 2, material 1, method 1, not categorised 1; cost:
    # machine 5000 + 6000, material 6000, none 800.
    nov_found = asked("2026-11").pareto
    assert nov_found is not None and nov_found.complaints == 4
    assert {b.key: b.value for b in nov_found.by_count} == {
        "machine": 2,
        "material": 1,
        "method": 1,
        "": 1,
    }
    assert {b.key: b.value for b in nov_found.by_cost} == {
        "machine": Decimal("11000.00"),
        "material": Decimal("6000.00"),
        "": Decimal("800.00"),
    }
    assert nov_found.total_cost == Decimal("17800.00")
    # The money by customer and by product, the largest first.
    assert [(b.key, b.value) for b in nov_found.by_customer] == [
        ("海达", Decimal("17000.00")),
        ("威海精工", Decimal("800.00")),
    ]
    assert [(b.key, b.value) for b in nov_found.by_product] == [("轴承 6204", Decimal("17800.00"))]
    # Q4 adds October's material complaint; the year adds March's environment.
    q4 = asked("2026-Q4").pareto
    assert q4 is not None and {b.key: b.value for b in q4.by_count}["material"] == 2
    year = asked("2026").pareto
    assert year is not None and year.complaints == 6
    assert year.by_count[0].key == "machine" and year.by_count[-1].cumulative == 100
    # Leadership and QC only; a bad period gets the usage.
    assert asked("2026", SALES_2).refusal is service.ParetoRefusal.NOT_ALLOWED
    assert asked("2026-13").refusal is service.ParetoRefusal.BAD_PERIOD
    # The text says what the chart draws.
    found = asked("2026-11")
    assert found.pareto is not None
    text = "\n".join(cards.pareto(found.pareto, found.names, "zh_CN"))
    assert "机：2 · 累计 40%" in text and "未分类：800 元" in text
    # The weekly summary of 2026-W45 (posted Monday 9 November) draws the twelve weeks
    # to its end: November's four and October's one, not March's. By hand: 机 2, 料 2,
    # 法 1, not categorised 1; 5000 + 12000 + 800 + 3000 yuan.
    monday = datetime(2026, 11, 9, 8, 30, tzinfo=SHANGHAI)
    company.clock.set(monday)
    company.services.call(summary.post_weekly_summary, monday)
    photos = [r for r in company.outbox(Purpose.SUMMARY) if r.method is Method.PHOTO]
    caption = photos[-1].payload["caption"]
    assert "2026-W34–2026-W45" in caption
    assert "机 2 · 料 2 · 法 1 · 未分类 1" in caption and "20800" in caption
    assert "金额合计：<b>17800</b> 元" in text
    # The month-end register's sheet 原因分析 has the same figures.
    from openpyxl import load_workbook

    from bot.services import exports
    from bot.views import forms

    register = company.services.call(
        exports.register, exports.RegisterRequest(Caller(GM, GM), "2026-11")
    )
    assert register.causes is not None and register.causes.complaints == 4
    made = forms.register_xlsx(
        register.complaints,
        register.period,
        "zh_CN",
        "Asia/Shanghai",
        causes=register.causes,
        listed=register.listed,
    )
    sheet = load_workbook(io.BytesIO(made.content))["原因分析"]
    rows = [tuple(c.value for c in row) for row in sheet.iter_rows()]
    assert ("机", 2, 40) in rows and ("未分类", 1, 100) in rows
    assert ("机", 11000, 61.8) in rows and ("料", 6000, 95.5) in rows
    assert ("威海精工", 800, None) in rows


def test_the_pareto_chart_draws_its_labels_in_the_cjk_font(engine: Engine) -> None:
    from matplotlib.ft2font import FT2Font
    from PIL import Image

    period = Period("2026-11", NOW, NOW + timedelta(days=30))
    found = pareto(
        period,
        [CauseFact(1, ("machine",), Decimal(100)), CauseFact(2, (), Decimal(0))],
        ["machine"],
    )
    names = {"machine": "机"}
    image = Image.open(io.BytesIO(charts.pareto_chart(found, names, "zh_CN", cjk_font())))
    assert image.format == "PNG" and image.size == (1000, 420)
    font = FT2Font(cjk_font().path)
    drawn = "".join(charts.pareto_texts(found, names, "zh_CN"))
    assert "各原因的客诉数" in drawn and "未分类" in drawn
    assert {ch for ch in drawn if not ch.isspace() and font.get_char_index(ord(ch)) == 0} == set()
    empty = pareto(period, [], [])
    assert Image.open(io.BytesIO(charts.pareto_chart(empty, {}, "en", cjk_font()))).size == (
        1000,
        420,
    )
