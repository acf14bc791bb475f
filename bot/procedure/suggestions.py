"""Improvement suggestions (合理化建议, PROCEDURE.md section 6).

Anyone may suggest how to improve the process, the quality or the losses;
leadership adopt or decline it. For an adopted suggestion, once its realised
benefit is known, the company rewards 10 % of it (按实际获得效果的10%予以奖励).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum


def N_(message: str) -> str:
    return message


class SuggestionStatus(StrEnum):
    PROPOSED = "proposed"
    ADOPTED = "adopted"
    DECLINED = "declined"


SUGGESTION_STATUS_LABELS = {
    SuggestionStatus.PROPOSED: N_("waiting for leadership"),
    SuggestionStatus.ADOPTED: N_("adopted"),
    SuggestionStatus.DECLINED: N_("declined"),
}

REWARD_RATE = Decimal("0.10")
CENT = Decimal("0.01")


def reward_for(benefit: Decimal) -> Decimal:
    """10 % of the realised benefit, in yuan to the fen."""
    if benefit < 0:
        raise ValueError("a benefit is not negative")
    return (benefit * REWARD_RATE).quantize(CENT, rounding=ROUND_HALF_UP)


def parse_yuan(text: str) -> Decimal:
    """An amount of yuan as people type it: "12000", "12,000.50", "1.2万", "¥3000"."""
    cleaned = text.strip().replace(",", "").replace("，", "").replace("¥", "").replace("￥", "")
    cleaned = cleaned.removesuffix("元").strip()
    factor = Decimal(1)
    if cleaned.endswith("万"):
        factor, cleaned = Decimal(10000), cleaned[:-1].strip()
    try:
        amount = Decimal(cleaned) * factor
        if not amount.is_finite() or amount < 0:
            raise ValueError("not an amount of yuan")
        return amount.quantize(CENT, rounding=ROUND_HALF_UP)
    except ArithmeticError as exc:  # not a number, or too large to keep to the fen
        raise ValueError("not an amount of yuan") from exc
