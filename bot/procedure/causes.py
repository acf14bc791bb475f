"""Cause categories: what QC name at the appraisal (step 3) beside the free-text analysis.

By default the 5M1E of Chinese quality practice (人机料法环测): people, machine,
material, method, environment, measurement. The list is the company's (`[causes]` in
the configuration); each category has a short key, kept in the database and in
callback data, and a name in each language. A complaint appraised before categories
existed, or not yet appraised, is "not categorised".

The chooser rides its choice in the callback data as a bit mask over the list's order,
so the keyboard is a pure function of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Kept in a column and in callback data (64 bytes): short ASCII.
KEY = re.compile(r"[a-z][a-z0-9_]{0,15}")
# A keyboard of toggles a phone shows whole; also the mask's width.
MOST_CATEGORIES = 12


@dataclass(frozen=True)
class Cause:
    key: str
    zh_CN: str
    en: str

    def name(self, language: str) -> str:
        return self.zh_CN if language.startswith("zh") else self.en


FIVE_M_ONE_E: tuple[Cause, ...] = (
    Cause("man", "人", "People"),
    Cause("machine", "机", "Machine"),
    Cause("material", "料", "Material"),
    Cause("method", "法", "Method"),
    Cause("environment", "环", "Environment"),
    Cause("measurement", "测", "Measurement"),
)


def check(causes: Sequence[Cause]) -> None:
    """The company's list: 1 to 12 categories, keys unique and short, names given."""
    if not 1 <= len(causes) <= MOST_CATEGORIES:
        raise ValueError(f"must list 1 to {MOST_CATEGORIES} categories")
    keys = [c.key for c in causes]
    bad = [k for k in keys if not KEY.fullmatch(k)]
    if bad:
        raise ValueError(f"a key is lowercase letters, digits, _ (at most 16): {bad[0]!r}")
    if len(set(keys)) != len(keys):
        raise ValueError("keys must be unique")
    if any(not c.zh_CN.strip() or not c.en.strip() for c in causes):
        raise ValueError("every category needs a name in zh_CN and en")


def to_mask(keys: Iterable[str], causes: Sequence[Cause]) -> int:
    """The chosen keys as bits over the list's order (unknown keys are left out)."""
    chosen = set(keys)
    return sum(1 << i for i, c in enumerate(causes) if c.key in chosen)


def from_mask(mask: int, causes: Sequence[Cause]) -> tuple[str, ...]:
    """The keys a mask chooses, in the list's order; bits past the list choose nothing."""
    return tuple(c.key for i, c in enumerate(causes) if mask >> i & 1)


def toggle(mask: int, index: int) -> int:
    return mask ^ (1 << index)


def lookup(keys: Iterable[str], causes: Sequence[Cause]) -> tuple[Cause, ...]:
    """The chosen categories in the list's order; a key the list no longer has (the
    company changed its list) shows as itself rather than vanish."""
    by_key = {c.key: c for c in causes}
    order = {c.key: i for i, c in enumerate(causes)}
    ordered = sorted(set(keys), key=lambda k: (order.get(k, len(order)), k))
    return tuple(by_key.get(k) or Cause(k, k, k) for k in ordered)


def named(keys: Iterable[str], causes: Sequence[Cause], language: str) -> list[str]:
    """The names of chosen keys in the list's order, in the reader's language."""
    return [c.name(language) for c in lookup(keys, causes)]
