"""The cost of poor quality: quantities and money recorded where each becomes known.

The quantity affected at the appraisal (step 3); returned and reworked at containment
(step 6); the claim settled and the costs of rework, scrap, freight and travel at the
verdict (step 16). Leadership and QC may record or correct any of them later with
/cost, with a reason. Each figure is an entry; a later entry of the same kind stands
for the complaint (the earlier stay in the record).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

from bot.procedure.intake import InvalidAnswer


def N_(message: str) -> str:
    """Marks a message id for extraction; the views translate it."""
    return message


class CostKind(StrEnum):
    AFFECTED = "affected"  # 受影响数量: pieces found or suspected bad
    RETURNED = "returned"  # 退货数量
    REWORKED = "reworked"  # 返工数量
    CLAIM = "claim"  # 索赔金额, yuan
    REWORK = "rework"  # 返工费用
    SCRAP = "scrap"  # 报废损失
    FREIGHT = "freight"  # 运费
    TRAVEL = "travel"  # 差旅费


QUANTITIES = (CostKind.AFFECTED, CostKind.RETURNED, CostKind.REWORKED)
MONEY = (CostKind.CLAIM, CostKind.REWORK, CostKind.SCRAP, CostKind.FREIGHT, CostKind.TRAVEL)

COST_LABELS = {
    CostKind.AFFECTED: N_("Quantity affected"),
    CostKind.RETURNED: N_("Quantity returned"),
    CostKind.REWORKED: N_("Quantity reworked"),
    CostKind.CLAIM: N_("Claim settled"),
    CostKind.REWORK: N_("Cost of rework"),
    CostKind.SCRAP: N_("Cost of scrap"),
    CostKind.FREIGHT: N_("Freight"),
    CostKind.TRAVEL: N_("Travel"),
}

# Where each becomes known: asked, one after another, when the step is done.
ASKED_AT: dict[str, tuple[CostKind, ...]] = {
    "appraisal_report": (CostKind.AFFECTED,),
    "containment": (CostKind.RETURNED, CostKind.REWORKED),
    "customer_result": MONEY,
}

# Bounds: a factory's complaint costs less than ten billion yuan and a trillion pieces.
MOST_YUAN = Decimal("1e10")
MOST_PIECES = Decimal("1e12")
CENT = Decimal("0.01")

# A unit typed after a space is one of these; typed right after the number, any short
# word is ("1200pcs"). Whatever follows after a space is the reason ("1150 复核").
UNITS = ("件", "个", "只", "套", "支", "台", "片", "根", "箱", "盒", "批", "吨", "千克", "米")
UNITS_LATIN = ("pcs", "pc", "sets", "set", "t", "kg", "m")
_FIGURE = re.compile(
    r"^[¥￥]?\s*(?P<number>\d[\d,，]*(?:\.\d+)?)(?:\s*(?P<wan>万))?"
    r"(?:(?P<attached>[^\d\s]{1,6})|\s*(?P<unit>元|"
    + "|".join(UNITS)
    + r"|(?i:"
    + "|".join(UNITS_LATIN)
    + r")\b))?"
    r"(?:\s+(?P<reason>.*))?$",
    re.DOTALL,
)


@dataclass(frozen=True)
class Figure:
    amount: Decimal
    unit: str  # a quantity's unit as typed ("件"), "" for yuan
    reason: str


def is_money(kind: CostKind) -> bool:
    return kind in MONEY


def parse_figure(kind: CostKind, text: str, *, reason_needed: bool = False) -> Figure:
    """A figure as people type it, then an optional reason: "1200", "1200 件", "1.2万",
    "¥3500 补记差旅费". Zero says there was none. Bad input: a one-line reason."""
    money = is_money(kind)
    example = (
        N_("Reply with an amount of yuan, like 12000 or 1.2万; 0 if there was none.")
        if money
        else N_("Reply with a number of pieces, like 1200 or 1200 件; 0 if there were none.")
    )
    match = _FIGURE.match(text.strip())
    if match is None:
        raise InvalidAnswer(example)
    try:
        amount = Decimal(match["number"].replace(",", "").replace("，", ""))
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
        raise InvalidAnswer(example) from exc
    if match["wan"]:
        amount *= 10000
    unit = (match["attached"] or match["unit"] or "").strip()
    if money and unit not in ("", "元"):
        raise InvalidAnswer(example)
    if amount >= (MOST_YUAN if money else MOST_PIECES):
        raise InvalidAnswer(N_("That figure is too large to be right; check it and reply again."))
    reason = (match["reason"] or "").strip()
    if reason_needed and not reason:
        raise InvalidAnswer(N_("Give the reason after the figure, like: 3500 补记差旅费"))
    if len(reason) > 500:
        raise InvalidAnswer(N_("Please keep the reason under {limit} characters."), limit=500)
    amount = amount.quantize(CENT, rounding=ROUND_HALF_UP) if money else amount
    return Figure(amount, "" if money else unit, reason)


def next_kind(asked_at: str, kind: CostKind) -> CostKind | None:
    """The figure asked after this one at the same step, if any."""
    kinds = ASKED_AT.get(asked_at, ())
    if kind not in kinds:
        return None
    index = kinds.index(kind) + 1
    return kinds[index] if index < len(kinds) else None


def total_yuan(latest: dict[CostKind, Decimal]) -> Decimal:
    """The money of a complaint: the latest figure of each kind, summed."""
    return sum((latest.get(k, Decimal(0)) for k in MONEY), Decimal(0))
