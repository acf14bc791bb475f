"""The Pareto of causes and of cost, for a period: the weekly summary's second chart
(its last twelve weeks), the month-end register's sheet 原因分析, and /pareto on demand
for leadership and QC."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from bot.procedure import access
from bot.procedure.costs import CostKind, total_yuan
from bot.procedure.pareto import CauseFact, Pareto, Period, pareto, parse_period, twelve_weeks
from bot.procedure.summary import parse_week, week_bounds, week_name, week_of
from bot.services import mapping
from bot.services.notices import FilePayload, Payload
from bot.services.uow import Caller, UnitOfWork
from bot.views import cards, charts
from bot.views.fonts import cjk_font
from bot.views.models import Message
from storage import queries


class ParetoRefusal(StrEnum):
    NOT_ALLOWED = "not_allowed"
    BAD_PERIOD = "bad_period"


@dataclass(frozen=True)
class ParetoRequest:
    caller: Caller
    period: str  # "2026-11", "2026-Q4", "2026"; "" for the last twelve weeks
    language: str = "zh_CN"


@dataclass(frozen=True)
class ParetoResult:
    refusal: ParetoRefusal | None = None
    pareto: Pareto | None = None
    names: dict[str, str] = field(default_factory=dict)  # the categories, as asked


def ask(uow: UnitOfWork, request: ParetoRequest) -> ParetoResult:
    """/pareto: leadership and QC read it, as they read the weekly summary."""
    person = uow.person(request.caller)
    if person is None or not access.sees_all(mapping.who(person)):
        return ParetoResult(ParetoRefusal.NOT_ALLOWED)
    week = parse_week(request.period) if request.period else None
    if week is not None:  # the twelve weeks up to this one (/summary 2026-W47's chart)
        period = last_twelve_weeks(uow, week_bounds(*week, uow.config.tz)[0])
    elif request.period:
        found = parse_period(request.period, uow.config.tz)
        if found is None:
            return ParetoResult(ParetoRefusal.BAD_PERIOD)
        period = found
    else:
        period = last_twelve_weeks(uow, uow.now)
    return ParetoResult(pareto=of_period(uow, period), names=names(uow, request.language))


def last_twelve_weeks(uow: UnitOfWork, moment: datetime) -> Period:
    """The twelve weeks up to the end of the week of `moment` (company time)."""
    year, week = week_of(moment, uow.config.tz)
    start, end = week_bounds(year, week, uow.config.tz)
    span = twelve_weeks(start, end, "")
    first = week_of(span.start, uow.config.tz)
    return Period(f"{week_name(*first)}–{week_name(year, week)}", span.start, span.end)


def of_period(uow: UnitOfWork, period: Period) -> Pareto:
    """Counted from the complaints received in the period: their causes, and their money
    (the latest figure of each kind)."""
    session = uow.session
    ids = queries.complaint_ids_received(session, period.start, period.end)
    causes: dict[int, list[str]] = defaultdict(list)
    for complaint_id, cause in queries.causes_received(session, period.start, period.end):
        causes[complaint_id].append(cause)
    latest: dict[int, dict[CostKind, Decimal]] = defaultdict(dict)
    for complaint_id, kind, amount in queries.costs_received(session, period.start, period.end):
        latest[complaint_id][CostKind(kind)] = Decimal(amount)
    listed = [c.key for c in uow.config.causes.listed()]
    order = {key: i for i, key in enumerate(listed)}
    facts = [
        CauseFact(
            i,
            tuple(sorted(causes.get(i, ()), key=lambda k: order.get(k, len(order)))),
            total_yuan(latest.get(i, {})),
            customer,
            product,
        )
        for i, customer, product in ids
    ]
    return pareto(period, facts, listed)


def money_by_month(uow: UnitOfWork, months: list[Period]) -> list[tuple[str, Decimal]]:
    """The cost of poor quality of each month's complaints (the latest figure of each
    kind, as `of_period` counts it), in one read over the months."""
    if not months:
        return []
    latest: dict[int, dict[CostKind, Decimal]] = defaultdict(dict)
    received: dict[int, datetime] = {}
    start, end = months[0].start, months[-1].end
    for complaint_id, at, kind, amount in queries.costs_received_when(uow.session, start, end):
        latest[complaint_id][CostKind(kind)] = Decimal(amount)
        received[complaint_id] = at
    totals: dict[str, Decimal] = {m.name: Decimal(0) for m in months}
    for complaint_id, kinds in latest.items():
        at = received[complaint_id]
        month = next(m.name for m in months if m.start <= at < m.end)
        totals[month] += total_yuan(kinds)
    return [(m.name, totals[m.name]) for m in months]


def names(uow: UnitOfWork, language: str) -> dict[str, str]:
    """The company's cause categories by key, in the reader's language."""
    return {c.key: c.name(language) for c in uow.config.causes.listed()}


def chart_payload(found: Pareto, language: str, named: dict[str, str]) -> FilePayload:
    """The Pareto chart as a photo to upload, captioned with its period and counts."""
    png = charts.pareto_chart(found, named, language, cjk_font())
    caption = cards.pareto_caption(found, named, language)
    return FilePayload("", caption, png, f"kesu-pareto-{found.period.name}.png")


def notices(uow: UnitOfWork, found: Pareto) -> tuple[Callable[[str], list[Payload]], ...]:
    """Renderers of the Pareto's text and its chart, each language as asked."""
    return (
        lambda lang: [Message(t) for t in cards.pareto(found, names(uow, lang), lang)],
        lambda lang: [chart_payload(found, lang, names(uow, lang))],
    )
