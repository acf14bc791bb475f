"""Bounds on the numbers people and buttons hand Kesu: an id, a page, a count.

Callback data and command arguments come from anyone's client; a number that is not
plain ASCII digits, or that no database column could hold, is refused here with the
rest of the bad input, never in the middle of a query.
"""

from __future__ import annotations

import re

MAX_ID = 2**31 - 1  # ids and pages: a 32-bit integer, PostgreSQL's integer
_DIGITS = re.compile(r"[0-9]{1,10}")


def parse_id(text: str) -> int | None:
    """A positive whole number up to MAX_ID in ASCII digits ("12"), else None ("²",
    "٣", "-1", forty digits)."""
    if not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None
