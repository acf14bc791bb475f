"""Recurrence (重复再发生的质量问题, PROCEDURE.md section 3): a complaint about the same
product and specification as one received in the last N days (90 by default) is a
recurring problem, and so a serious one. For a customer the register knows, the
earlier complaint must be theirs too; a new customer's is compared by product alone.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta

DEFAULT_DAYS = 90


def _tidy(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def product_key(product_name: str, specification: str) -> str:
    """How a product is compared: full-width as half-width, no spaces, no case
    ("深沟球轴承 6204-2RS" and "深沟球轴承 ６２０４－２ｒｓ" are the same)."""
    return f"{_tidy(product_name)}|{_tidy(specification)}"[:420]


def window_start(received_at: datetime, days: int) -> datetime:
    """The earliest receipt that still makes a new complaint recurring (inclusive)."""
    return received_at - timedelta(days=days)
