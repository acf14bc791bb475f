"""How intake answers read back to the salesperson (summary and "current answer")."""

from __future__ import annotations

from datetime import tzinfo

from bot.procedure.intake import FIELDS, Draft, Field, Kind
from bot.views import labels
from bot.views.i18n import gettext, typeset
from bot.views.render import format_number


def display(field: Field, draft: Draft, language: str, tz: tzinfo) -> str:
    t = lambda message: gettext(language, message)  # noqa: E731
    if not draft.has(field.key):
        return ""
    if field.kind is Kind.TIME:
        return draft.received_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    if field.key == "occurred_on" and draft.occurred_on is None:
        return t("same as received")
    if field.kind is Kind.FILES:
        names = [a.file_name or t("photo") for a in draft.attachments]
        return typeset(language, "、").join(names) if names else t("none")
    if field.key == "demands":
        return typeset(language, "、").join(t(labels.DEMANDS[d]) for d in draft.demands)
    if field.kind is Kind.QUANTITY:
        if draft.quantity is None:
            return ""
        return f"{format_number(draft.quantity)} {draft.quantity_unit}".strip()
    value = getattr(draft, field.key)
    if value is None:
        return ""
    if field.key == "plant":
        return t(labels.PLANTS[value])
    if field.kind is Kind.YES_NO:
        return t(labels.YES_NO[bool(value)])
    if field.kind is Kind.DATE:
        return str(value.isoformat())
    return str(value)


def summary_rows(draft: Draft, language: str, tz: tzinfo) -> list[tuple[str, str]]:
    return [(f.label, display(f, draft, language, tz)) for f in FIELDS if draft.has(f.key)]
