"""The rectification plan (《质量问题整治方法计划表》, step 10) and its items (step 13).

The leading VP fills the plan in a private conversation: the problem and its
causes (prefilled from the complaint and the appraisal), the overall owner, the
deadline, the departments taking part, then the items one by one. Each item is
a task of its own owner with a due date (one week by default, PROCEDURE.md step
13) and a person who accepts it. The questions are a table, like intake's; the
typed `PlanDraft` is kept as JSON in the conversation store so a restart loses
nothing typed.

An item's life: its owner's Done (with evidence) opens the acceptance; Accept
ends it, Send back (with a reason) opens it again with a new due date. When
every item is accepted, the rectification (step 13) is done and verification
(step 15) may open.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from bot.procedure.intake import DATE_PATTERNS, InvalidAnswer, check_text


def N_(message: str) -> str:
    return message


# PROCEDURE.md step 13: 整改项目按计划时间完成, 一般为1周.
ITEM_DAYS = 7
# The plan's own deadline when the VP takes the offer: a month for the whole plan.
PLAN_DAYS = 30
MAX_ITEMS = 20


class Department(StrEnum):
    """The departments that take part in a plan (参与部门)."""

    PRODUCTION = "production"
    QC = "qc"
    TECH = "tech"
    EQUIPMENT = "equipment"
    PURCHASING = "purchasing"
    HR = "hr"
    SALES = "sales"


DEPARTMENT_LABELS = {
    Department.PRODUCTION: N_("Production"),
    Department.QC: N_("QC"),
    Department.TECH: N_("Technical"),
    Department.EQUIPMENT: N_("Equipment"),
    Department.PURCHASING: N_("Purchasing"),
    Department.HR: N_("HR"),
    Department.SALES: N_("Sales"),
}


class Ask(StrEnum):
    """How a question is answered."""

    TEXT = "text"
    PERSON = "person"  # one of the people list, by button
    DUE = "due"  # a date still to come; a button offers the default
    DEPARTMENTS = "departments"  # several buttons, then Done
    CHANGE = "change"  # what an amendment changes, by button
    ITEM = "item"  # one of the plan's items still running, by button


class Change(StrEnum):
    """What an amendment of an issued plan does (each with its reason)."""

    ADD = "add"  # items added
    DUE = "due"  # an item's due date moved
    OWNER = "owner"  # an item given to someone else


CHANGE_LABELS = {
    Change.ADD: N_("Add items"),
    Change.DUE: N_("Move an item's due date"),
    Change.OWNER: N_("Give an item to someone else"),
}


@dataclass(frozen=True)
class Question:
    key: str
    label: str  # message id: the form's own column heading
    ask: Ask
    max_length: int = 0
    prefilled: bool = False  # offered from the complaint: Keep takes it


PLAN_QUESTIONS: tuple[Question, ...] = (
    Question("problem", N_("Quality problem"), Ask.TEXT, 2000, prefilled=True),
    Question("causes", N_("Causes"), Ask.TEXT, 3000, prefilled=True),
    Question("owner_id", N_("Overall owner"), Ask.PERSON),
    Question("deadline", N_("Plan deadline"), Ask.DUE),
    Question("departments", N_("Departments taking part"), Ask.DEPARTMENTS),
)
ITEM_QUESTIONS: tuple[Question, ...] = (
    Question("action", N_("Rectification item"), Ask.TEXT, 500),
    Question("requirement", N_("Requirement"), Ask.TEXT, 500),
    Question("owner_id", N_("Item owner"), Ask.PERSON),
    Question("due", N_("Due date"), Ask.DUE),
    Question("acceptor_id", N_("Accepted by"), Ask.PERSON),
)
# Asked when an issued plan is amended: what changes, and every change's reason.
AMEND_QUESTIONS: tuple[Question, ...] = (
    Question("change", N_("What changes"), Ask.CHANGE),
    Question("reason", N_("Reason for the change"), Ask.TEXT, 500),
)
MOVE_QUESTIONS: dict[Change, tuple[Question, ...]] = {
    Change.DUE: (
        Question("item_number", N_("Which item"), Ask.ITEM),
        Question("new_due", N_("New due date"), Ask.DUE),
    ),
    Change.OWNER: (
        Question("item_number", N_("Which item"), Ask.ITEM),
        Question("new_owner_id", N_("New item owner"), Ask.PERSON),
    ),
}
PLAN_QUESTION = {
    q.key: q for q in (*PLAN_QUESTIONS, *AMEND_QUESTIONS, *MOVE_QUESTIONS[Change.DUE])
} | {q.key: q for q in MOVE_QUESTIONS[Change.OWNER]}
ITEM_QUESTION = {q.key: q for q in ITEM_QUESTIONS}


@dataclass
class ItemDraft:
    action: str | None = None
    requirement: str | None = None
    owner_id: int | None = None
    due: date | None = None
    acceptor_id: int | None = None

    def next_question(self) -> Question | None:
        return next((q for q in ITEM_QUESTIONS if getattr(self, q.key) is None), None)

    @property
    def complete(self) -> bool:
        return self.next_question() is None


@dataclass
class PlanDraft:
    """A plan being filled in, and where its conversation stands."""

    complaint_id: int
    step_id: int  # the open step 10 it completes (or the plan step, when amending)
    number: str  # the complaint's number, for the questions' heading
    problem: str | None = None
    causes: str | None = None
    owner_id: int | None = None
    deadline: date | None = None
    departments: list[Department] | None = None
    items: list[ItemDraft] = field(default_factory=list)
    # Offered from the complaint, taken with Keep.
    problem_offer: str = ""
    causes_offer: str = ""
    # Where the conversation stands.
    asking: str | None = None  # "plan:<key>" or "item:<key>"
    editing: bool = False  # asked from the summary's Edit
    departments_pending: list[Department] = field(default_factory=list)
    amending: int | None = None  # the plan's id when an issued plan is amended
    change: Change | None = None
    reason: str | None = None  # why it is amended
    item_number: int | None = None  # the item whose date or owner changes
    new_due: date | None = None
    new_owner_id: int | None = None
    running: list[tuple[int, str]] = field(default_factory=list)  # items not yet accepted

    def next_question(self) -> tuple[str, Question] | None:
        """The next unanswered question: the plan's, then the item being filled in."""
        if self.amending is None:
            for q in PLAN_QUESTIONS:
                if getattr(self, q.key) is None:
                    return "plan", q
        else:
            for q in AMEND_QUESTIONS:
                if getattr(self, q.key) is None:
                    return "plan", q
            if self.change is not Change.ADD:  # a date moved or an owner changed: no items
                assert self.change is not None
                pending = (q for q in MOVE_QUESTIONS[self.change] if getattr(self, q.key) is None)
                return next((("plan", q) for q in pending), None)
        if self.items and not self.items[-1].complete:
            item_question = self.items[-1].next_question()
            assert item_question is not None
            return "item", item_question
        if not self.items:
            self.items.append(ItemDraft())
            return "item", ITEM_QUESTIONS[0]
        return None

    def question(self, where: str) -> Question:
        scope, _, key = where.partition(":")
        return (PLAN_QUESTION if scope == "plan" else ITEM_QUESTION)[key]

    def answer(self, where: str, value: object) -> None:
        scope, _, key = where.partition(":")
        target: PlanDraft | ItemDraft = self if scope == "plan" else self.items[-1]
        setattr(target, key, value)

    def add_item(self) -> None:
        if len(self.items) >= MAX_ITEMS:
            raise InvalidAnswer(N_("At most {limit} items in one plan."), limit=MAX_ITEMS)
        self.items.append(ItemDraft())

    def drop_last_item(self) -> None:
        if self.items:
            self.items.pop()

    @property
    def ready(self) -> bool:
        if self.amending is None:
            header = all(getattr(self, q.key) is not None for q in PLAN_QUESTIONS)
        else:
            header = all(getattr(self, q.key) is not None for q in AMEND_QUESTIONS)
            if header and self.change is not Change.ADD:
                assert self.change is not None
                return all(getattr(self, q.key) is not None for q in MOVE_QUESTIONS[self.change])
        return header and bool(self.items) and all(i.complete for i in self.items)

    def toggle_department(self, value: str) -> None:
        if value not in {d.value for d in Department}:
            return
        picked = {d.value for d in self.departments_pending} ^ {value}
        self.departments_pending = [d for d in Department if d.value in picked]

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["deadline"] = self.deadline.isoformat() if self.deadline else None
        data["new_due"] = _iso(self.new_due)
        data["running"] = [list(r) for r in self.running]
        data["items"] = [
            {**{f.name: getattr(i, f.name) for f in fields(i)}, "due": _iso(i.due)}
            for i in self.items
        ]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlanDraft:
        values = dict(data)
        values["deadline"] = _date(values.get("deadline"))
        values["new_due"] = _date(values.get("new_due"))
        values["change"] = _opt_change(values.get("change"))
        values["running"] = [(int(n), str(a)) for n, a in values.get("running") or []]
        departments = values.get("departments")
        values["departments"] = (
            None if departments is None else [Department(d) for d in departments]
        )
        values["departments_pending"] = [
            Department(d) for d in values.get("departments_pending") or []
        ]
        values["items"] = [
            ItemDraft(**{**item, "due": _date(item.get("due"))})
            for item in values.get("items") or []
        ]
        return cls(**values)


def _opt_change(value: str | None) -> Change | None:
    return Change(value) if value else None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def default_due(today: date, days: int = ITEM_DAYS) -> date:
    return today + timedelta(days=days)


def parse_due(text: str, *, today: date) -> date:
    """A due date still to come: "2026-12-02", "2026年12月2日", "12-02", or a number of days."""
    value = text.strip().replace(" ", "")
    if value.isascii() and value.isdigit() and len(value) <= 3:
        days = int(value)
        if not 1 <= days <= 365:
            raise InvalidAnswer(
                N_("Give a date within a year, like 2026-12-02, or a number of days.")
            )
        return today + timedelta(days=days)
    candidates = [value]
    if value.count("-") == 1 or value.count("/") == 1:
        candidates.append(f"{today.year}-{value.replace('/', '-')}")
    for candidate in candidates:
        for pattern in DATE_PATTERNS:  # the same date forms as intake
            match = pattern.match(candidate)
            if not match:
                continue
            try:
                parsed = date(*(int(g) for g in match.groups()))
            except ValueError:
                continue
            if parsed <= today:
                raise InvalidAnswer(N_("That date is not in the future: give a later one."))
            if parsed > today + timedelta(days=365):
                raise InvalidAnswer(
                    N_("Give a date within a year, like 2026-12-02, or a number of days.")
                )
            return parsed
    raise InvalidAnswer(N_("That is not a date: write it like 2026-12-02, or a number of days."))


def parse_typed(question: Question, text: str, *, today: date) -> object:
    """A typed answer checked for its question; InvalidAnswer with a one-line reason."""
    if question.ask is Ask.TEXT:
        return check_text(question, text)
    if question.ask is Ask.DUE:
        return parse_due(text, today=today)
    raise InvalidAnswer(N_("Please tap one of the buttons below."))


def from_form(
    draft: PlanDraft, form: Mapping[str, Any], people: Set[int], *, today: date
) -> dict[str, InvalidAnswer]:
    """The dashboard's form (docs/dashboard.md) into the same draft the chat fills: each
    answer checked as the chat checks it. Returns the reasons by field ("deadline",
    "items.2.due"); the draft takes every answer that passed, so nothing is lost."""
    errors: dict[str, InvalidAnswer] = {}

    def text(where: str, question: Question, value: Any) -> str | None:
        try:
            return check_text(question, str(value or ""))
        except InvalidAnswer as error:
            errors[where] = error
            return None

    def due(where: str, value: Any) -> date | None:
        try:
            return parse_due(str(value or ""), today=today)
        except InvalidAnswer as error:
            errors[where] = error
            return None

    def person(where: str, value: Any) -> int | None:
        if isinstance(value, int) and not isinstance(value, bool) and value in people:
            return value
        errors[where] = InvalidAnswer(N_("Pick someone from the people list."))
        return None

    asked = {q.key: q for q in PLAN_QUESTIONS}
    draft.problem = text("problem", asked["problem"], form.get("problem"))
    draft.causes = text("causes", asked["causes"], form.get("causes"))
    draft.owner_id = person("owner_id", form.get("owner_id"))
    draft.deadline = due("deadline", form.get("deadline"))
    picked = form.get("departments")
    known = {d.value: d for d in Department}
    if not isinstance(picked, list) or not picked or not all(p in known for p in picked):
        errors["departments"] = InvalidAnswer(N_("Pick at least one department."))
        draft.departments = None
    else:
        draft.departments = [d for d in Department if d.value in picked]
    rows = form.get("items")
    if not isinstance(rows, list) or not rows:
        errors["items"] = InvalidAnswer(N_("Add at least one item."))
        rows = []
    if len(rows) > MAX_ITEMS:
        errors["items"] = InvalidAnswer(N_("At most {limit} items in one plan."), limit=MAX_ITEMS)
        rows = rows[:MAX_ITEMS]
    item_asked = {q.key: q for q in ITEM_QUESTIONS}
    draft.items = []
    for number, row in enumerate(rows, start=1):
        row = row if isinstance(row, Mapping) else {}
        where = f"items.{number}"
        draft.items.append(
            ItemDraft(
                action=text(f"{where}.action", item_asked["action"], row.get("action")),
                requirement=text(
                    f"{where}.requirement", item_asked["requirement"], row.get("requirement")
                ),
                owner_id=person(f"{where}.owner_id", row.get("owner_id")),
                due=due(f"{where}.due", row.get("due")),
                acceptor_id=person(f"{where}.acceptor_id", row.get("acceptor_id")),
            )
        )
    draft.asking, draft.editing = None, False  # the chat goes on from its summary
    return errors


# An item's life ------------------------------------------------------------------------


class ItemStatus(StrEnum):
    OPEN = "open"  # its owner is at work on it
    SUBMITTED = "submitted"  # done, waiting for acceptance
    ACCEPTED = "accepted"


ITEM_STATUS_LABELS = {
    ItemStatus.OPEN: N_("in progress"),
    ItemStatus.SUBMITTED: N_("waiting for acceptance"),
    ItemStatus.ACCEPTED: N_("accepted"),
}


class ItemError(ValueError):
    """The item cannot take this change now."""


def submit(status: ItemStatus) -> ItemStatus:
    if status is not ItemStatus.OPEN:
        raise ItemError(f"an item {status} cannot be submitted")
    return ItemStatus.SUBMITTED


def accept(status: ItemStatus) -> ItemStatus:
    if status is not ItemStatus.SUBMITTED:
        raise ItemError(f"an item {status} cannot be accepted")
    return ItemStatus.ACCEPTED


def send_back(
    status: ItemStatus, *, today: date, due: date | None = None
) -> tuple[ItemStatus, date]:
    """Sent back with a reason: open again, due a week on unless a date is given."""
    if status is not ItemStatus.SUBMITTED:
        raise ItemError(f"an item {status} cannot be sent back")
    return ItemStatus.OPEN, due or default_due(today)


def reopen(status: ItemStatus, *, today: date) -> tuple[ItemStatus, date]:
    """Not effective at verification: an accepted item is run again."""
    if status is not ItemStatus.ACCEPTED:
        raise ItemError(f"an item {status} cannot be reopened")
    return ItemStatus.OPEN, default_due(today)


def all_accepted(statuses: list[ItemStatus]) -> bool:
    return bool(statuses) and all(s is ItemStatus.ACCEPTED for s in statuses)
