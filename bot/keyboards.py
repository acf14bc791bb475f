"""Keyboards as pure functions of the state: rows of (label, callback data).

Kept free of telegram types so they can be tested as plain data; the handlers
turn them into InlineKeyboardMarkup.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from bot import labels
from bot.callbacks import Callback
from bot.i18n import gettext
from bot.procedure.grading import CustomerClass, Demand, Plant
from bot.procedure.intake import FIELDS, Field, Kind

Button = tuple[str, str]
Keyboard = list[list[Button]]


def _intake(action: str, arg: str = "") -> str:
    return Callback("in", action, arg).encode()


def customer_matches(
    language: str, matches: Iterable[tuple[int, str, str]], typed: str
) -> Keyboard:
    rows: Keyboard = [
        [(gettext(language, "{name} (class {cls})", name=name, cls=cls), _intake("cust", str(cid)))]
        for cid, name, cls in matches
    ]
    rows.append([(gettext(language, "New customer: {name}", name=typed[:40]), _intake("newcust"))])
    return rows


def question(language: str, field: Field, answers: dict[str, Any]) -> Keyboard:
    """The buttons under an intake question (empty for free text)."""
    t = lambda message: gettext(language, message)  # noqa: E731
    if field.key == "customer_class":
        return [[(c.value, _intake("pick", c.value)) for c in CustomerClass]]
    if field.key == "plant":
        return [[(t(labels.PLANTS[p.value]), _intake("pick", p.value))] for p in Plant]
    if field.kind is Kind.YES_NO:
        return [[(t("Yes"), _intake("pick", "yes")), (t("No"), _intake("pick", "no"))]]
    if field.key == "demands":
        chosen = set(answers.get("demands_draft", answers.get("demands", [])))
        rows = [
            [
                (
                    ("✅ " if d.value in chosen else "") + t(labels.DEMANDS[d.value]),
                    _intake("tog", d.value),
                )
            ]
            for d in Demand
        ]
        rows.append([(t("Done"), _intake("done"))])
        return rows
    if field.key == "occurred_on":
        return [[(t("Today (when the complaint came in)"), _intake("pick", "today"))]]
    if field.kind is Kind.FILES:
        row = [(t("Done"), _intake("done"))]
        if answers.get("attachments"):
            row.append((t("Remove all files"), _intake("clearfiles")))
        else:
            row = [(t("No attachments"), _intake("done"))]
        return [row]
    return []


def summary(language: str) -> Keyboard:
    t = lambda message: gettext(language, message)  # noqa: E731
    return [
        [(t("Confirm and file"), _intake("ok"))],
        [(t("Edit"), _intake("edit")), (t("Cancel"), _intake("cancel"))],
    ]


def edit_menu(language: str, fields: Sequence[Field] = FIELDS) -> Keyboard:
    rows: Keyboard = []
    pair: list[Button] = []
    for field in fields:
        pair.append((gettext(language, field.label), _intake("field", field.key)))
        if len(pair) == 2:
            rows.append(pair)
            pair = []
    if pair:
        rows.append(pair)
    rows.append([(gettext(language, "Back to the summary"), _intake("back"))])
    return rows


def _step(action: str, step_id: int) -> str:
    return Callback("st", action, str(step_id)).encode()


def task(language: str, step_key: str, step_id: int, status: str, plant: str = "") -> Keyboard:
    """The buttons of a task card: what may be done to the step in its state.

    While the plant of origin is unknown, the initial assessment also asks QC for it.
    """
    t = lambda message: gettext(language, message)  # noqa: E731
    show = (t("Show"), _step("show", step_id))
    if status != "open":
        return [[show]]
    if step_key == "customer_result":
        first = [
            (t("Customer satisfied"), _step("sat", step_id)),
            (t("Not satisfied"), _step("unsat", step_id)),
        ]
    else:
        first = [(t("Done"), _step("done", step_id))]
        if step_key == "initial_assessment":
            first.append((t("Not a quality problem"), _step("nq", step_id)))
    rows = [first]
    if step_key == "initial_assessment" and plant == Plant.UNKNOWN.value:
        rows.append(
            [
                (t(labels.PLANTS[p.value]), Callback("pl", p.value, str(step_id)).encode())
                for p in Plant
                if p is not Plant.UNKNOWN
            ]
        )
    rows += [
        [
            (t("Take it"), _step("take", step_id)),
            (t("Blocked - needs resources"), _step("block", step_id)),
        ],
        [show],
    ]
    return rows
