"""The Pareto of causes: which cause categories make most complaints, and most cost.

A complaint counts once in each category QC named for it (one with two causes is in
two bars), and one with none in "not categorised". Its money (the latest figure of
each kind, bot/procedure/costs.py) is shared equally among its categories, so the cost
bars add up to what the complaints cost. Bars go from the largest down; the line is the
cumulative share, as a quality engineer draws it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

NOT_CATEGORISED = ""  # the bar of complaints with no cause named
TOP = 10  # customers and products by cost: the largest this many
CENT = Decimal("0.01")


@dataclass(frozen=True)
class CauseFact:
    """One complaint of the period, as the Pareto needs it."""

    complaint_id: int
    causes: tuple[str, ...]
    cost: Decimal  # yuan
    customer: str = ""
    product: str = ""  # product name and specification


@dataclass(frozen=True)
class Bar:
    key: str  # a cause category's key, or NOT_CATEGORISED
    value: Decimal
    cumulative: Decimal  # percent of the whole, this bar and those before it


@dataclass(frozen=True)
class Period:
    name: str  # as asked: "2026-11", "2026-Q4", "2026", or the weeks "2026-W38–W49"
    start: datetime
    end: datetime  # exclusive


@dataclass(frozen=True)
class Pareto:
    period: Period
    complaints: int
    total_cost: Decimal
    by_count: tuple[Bar, ...]
    by_cost: tuple[Bar, ...]
    # The money by customer and by product, the largest first (the cost's other totals).
    by_customer: tuple[Bar, ...] = ()
    by_product: tuple[Bar, ...] = ()


def pareto(period: Period, facts: Iterable[CauseFact], order: Sequence[str] = ()) -> Pareto:
    """The two Paretos of a period's complaints. `order`: the company's list, which
    breaks ties (so equal bars keep the list's order)."""
    counts: dict[str, Decimal] = defaultdict(Decimal)
    costs: dict[str, Decimal] = defaultdict(Decimal)
    customers: dict[str, Decimal] = defaultdict(Decimal)
    products: dict[str, Decimal] = defaultdict(Decimal)
    complaints, total = 0, Decimal(0)
    for fact in facts:
        complaints += 1
        total += fact.cost
        keys = tuple(dict.fromkeys(fact.causes)) or (NOT_CATEGORISED,)
        share = fact.cost / len(keys)
        for key in keys:
            counts[key] += 1
            costs[key] += share
        if fact.cost > 0:
            customers[fact.customer] += fact.cost
            products[fact.product] += fact.cost
    rank = {key: i for i, key in enumerate(order)}
    return Pareto(
        period,
        complaints,
        total.quantize(CENT, rounding=ROUND_HALF_UP),
        _bars(counts, rank),
        _bars({k: v for k, v in costs.items() if v > 0}, rank),
        _bars(customers, {})[:TOP],
        _bars(products, {})[:TOP],
    )


def _bars(values: dict[str, Decimal], rank: dict[str, int]) -> tuple[Bar, ...]:
    whole = sum(values.values(), Decimal(0))
    ordered = sorted(values.items(), key=lambda kv: (-kv[1], rank.get(kv[0], len(rank)), kv[0]))
    bars, running = [], Decimal(0)
    for key, value in ordered:
        running += value
        share = (running * 100 / whole) if whole else Decimal(0)
        bars.append(
            Bar(
                key,
                value.quantize(CENT, rounding=ROUND_HALF_UP),
                share.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
            )
        )
    return tuple(bars)


_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


def parse_period(text: str, tz: ZoneInfo) -> Period | None:
    """ "2026-11" a month, "2026-Q4" a quarter, "2026" a year (company time); None when
    it is none of these, or out of the years a factory keeps (2000-2100)."""
    text = text.strip()
    if match := _MONTH.match(text):
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            return None
        first, after = date(year, month, 1), _month_after(year, month)
        name = f"{year}-{month:02d}"
    elif match := _QUARTER.match(text):
        year, quarter = int(match[1]), int(match[2])
        first = date(year, 3 * quarter - 2, 1)
        after = _month_after(year, 3 * quarter)
        name = f"{year}-Q{quarter}"
    elif match := _YEAR.match(text):
        year = int(match[1])
        first, after, name = date(year, 1, 1), date(year + 1, 1, 1), str(year)
    else:
        return None
    if not 2000 <= year <= 2100:
        return None
    return Period(name, _midnight(first, tz), _midnight(after, tz))


def twelve_weeks(week_start: datetime, week_end: datetime, name: str) -> Period:
    """The twelve weeks that end with this one (the weekly summary's span)."""
    return Period(name, week_start - timedelta(days=7 * 11), week_end)


def _month_after(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1)


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)
