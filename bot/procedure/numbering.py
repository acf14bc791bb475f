"""Complaint numbers: KS-YYYY-NNNN, counted per year, never reused."""

from __future__ import annotations

import re

_PATTERN = re.compile(r"^KS-([0-9]{4})-([0-9]{4,9})$")  # bounded: a database integer


def format_number(year: int, sequence: int) -> str:
    if sequence < 1:
        raise ValueError("sequence starts at 1")
    return f"KS-{year:04d}-{sequence:04d}"


def parse_number(text: str) -> tuple[int, int] | None:
    """(year, sequence) of a number as people type it, or None."""
    match = _PATTERN.match(text.strip().upper())
    if not match:
        return None
    return int(match.group(1)), int(match.group(2))
