"""How intake answers read back to the salesperson (summary and "current answer")."""

from __future__ import annotations

from typing import Any

from bot import labels
from bot.i18n import gettext
from bot.procedure.grading import Demand, Grade, grade_for, is_return, is_serious
from bot.procedure.intake import FIELDS, Field, Kind


def display(field: Field, answers: dict[str, Any], language: str) -> str:
    t = lambda message: gettext(language, message)  # noqa: E731
    value = answers.get(field.key)
    if field.key == "occurred_on" and field.key in answers and value is None:
        return t("same as received")
    if value is None:
        return ""
    if field.key == "demands":
        return "、".join(t(labels.DEMANDS[d]) for d in value)
    if field.key == "plant":
        return t(labels.PLANTS[value])
    if field.kind is Kind.YES_NO:
        return t(labels.YES_NO[bool(value)])
    if field.kind is Kind.QUANTITY:
        number, unit = value
        return f"{number} {unit}".strip()
    if field.kind is Kind.FILES:
        names = [a.get("file_name") or t("photo") for a in value]
        return "、".join(names) if names else t("none")
    return str(value)


def summary_rows(answers: dict[str, Any], language: str) -> list[tuple[str, str]]:
    return [(f.label, display(f, answers, language)) for f in FIELDS if f.key in answers]


def preview_grade(answers: dict[str, Any]) -> tuple[Grade, bool]:
    demands = [Demand(d) for d in answers.get("demands", [])]
    grade = grade_for(demands)
    serious = is_serious(
        grade,
        batch=bool(answers.get("batch")),
        recurring=bool(answers.get("recurring")),
        returned=is_return(demands),
    )
    return grade, serious
