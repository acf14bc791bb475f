"""The intake questions: the fields of the complaint register and the disposition
report (PROCEDURE.md section 7), their order, and how a typed answer is checked.

Reasons are message ids (English source strings) for the catalogues; `N_` only
marks them for extraction, the caller translates them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum


def N_(message: str) -> str:
    return message


class InvalidAnswer(ValueError):
    """A typed answer that does not fit the question; `reason` is a message id."""

    def __init__(self, reason: str, **params: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params = params


class Kind(StrEnum):
    TEXT = "text"
    CUSTOMER = "customer"  # free text, matched against known customers
    CHOICE = "choice"  # one inline button
    MULTI = "multi"  # several inline buttons, then Done
    YES_NO = "yes_no"
    PHONE = "phone"
    QUANTITY = "quantity"
    DATE = "date"
    FILES = "files"


@dataclass(frozen=True)
class Field:
    key: str
    label: str  # message id of the form's own term
    kind: Kind
    max_length: int = 0
    optional: bool = False
    hint: str = ""


# Natural order: who complains, what they want, which product, what happened.
FIELDS: tuple[Field, ...] = (
    Field("customer", N_("Customer name (code)"), Kind.CUSTOMER, max_length=100),
    Field("customer_class", N_("Customer class"), Kind.CHOICE),
    Field("contact_phone", N_("Contact phone"), Kind.PHONE, max_length=40),
    Field("content", N_("Complaint content and demands"), Kind.TEXT, max_length=2000),
    Field("demands", N_("What the customer demands"), Kind.MULTI),
    Field("product_name", N_("Problem product name"), Kind.TEXT, max_length=200),
    Field("specification", N_("Specification / model"), Kind.TEXT, max_length=200),
    Field("quantity", N_("Quantity delivered"), Kind.QUANTITY, max_length=60),
    Field("delivery_date", N_("Delivery date"), Kind.DATE),
    Field("occurred_on", N_("Date the customer found the problem"), Kind.DATE, optional=True),
    Field("batch", N_("Batch quality problem?"), Kind.YES_NO),
    Field("recurring", N_("Recurring problem?"), Kind.YES_NO),
    Field("plant", N_("Supply responsibility (plant of origin)"), Kind.CHOICE),
    Field("description", N_("Product quality problem description"), Kind.TEXT, max_length=3000),
    Field("attachments", N_("Customer's letter and photos"), Kind.FILES, optional=True),
)
FIELD_BY_KEY = {f.key: f for f in FIELDS}

MAX_ATTACHMENTS = 10
ATTACHMENT_MIME_TYPES = frozenset(
    {
        "application/pdf",
        "image/jpeg",
        "image/png",
        "image/heic",
        "image/webp",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "message/rfc822",
        "application/vnd.ms-outlook",
        "text/plain",
    }
)


@dataclass
class Draft:
    """What a salesperson has answered so far."""

    answers: dict[str, object] = field(default_factory=dict)
    customer_id: int | None = None

    def next_field(self) -> Field | None:
        for f in FIELDS:
            if f.key not in self.answers:
                # A known customer brings its class from the record.
                if f.key == "customer_class" and self.customer_id is not None:
                    continue
                return f
        return None


def check_text(f: Field, text: str) -> str:
    value = text.strip()
    if not value:
        raise InvalidAnswer(N_("Please type some text."))
    if f.max_length and len(value) > f.max_length:
        raise InvalidAnswer(
            N_("Too long: at most {limit} characters, you sent {length}."),
            limit=f.max_length,
            length=len(value),
        )
    return value


_PHONE_CHARS = re.compile(r"^[+\d\s\-()（）]+(?:\s*(?:转|ext\.?|x)\s*\d{1,6})?$", re.IGNORECASE)


def parse_phone(text: str) -> str:
    value = text.strip()
    digits = re.sub(r"\D", "", value)
    if not _PHONE_CHARS.match(value) or not 7 <= len(digits) <= 20:
        raise InvalidAnswer(N_("That is not a phone number: use digits, e.g. 0535-6881234."))
    return value


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def parse_date(
    text: str, *, today: date, not_before: date | None = None, not_after: date | None = None
) -> date:
    value = text.strip().replace(" ", "")
    for pattern in _DATE_PATTERNS:
        match = pattern.match(value)
        if match:
            try:
                parsed = date(*(int(g) for g in match.groups()))
            except ValueError:
                break
            if parsed > today:
                raise InvalidAnswer(N_("That date lies in the future."))
            if parsed.year < 2000:
                raise InvalidAnswer(N_("That date is too long ago."))
            if not_before is not None and parsed < not_before:
                raise InvalidAnswer(
                    N_("That date is before the delivery date {date}."),
                    date=not_before.isoformat(),
                )
            if not_after is not None and parsed > not_after:
                raise InvalidAnswer(
                    N_("That date is after the customer found the problem ({date})."),
                    date=not_after.isoformat(),
                )
            return parsed
    raise InvalidAnswer(N_("That is not a date: write it like 2026-11-03."))


_QUANTITY = re.compile(r"^(\d[\d,]*(?:\.\d+)?)\s*([^\d\s][^\d]{0,19})?$")


def parse_quantity(text: str) -> tuple[Decimal, str]:
    """A positive number with an optional unit: "500", "500 件", "12.5吨"."""
    match = _QUANTITY.match(text.strip())
    if not match:
        raise InvalidAnswer(N_("The quantity must be a positive number, e.g. 500 or 12.5 t."))
    try:
        number = Decimal(match.group(1).replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
        raise InvalidAnswer(
            N_("The quantity must be a positive number, e.g. 500 or 12.5 t.")
        ) from exc
    if number <= 0 or number >= Decimal("1e12"):
        raise InvalidAnswer(N_("The quantity must be a positive number, e.g. 500 or 12.5 t."))
    return number, (match.group(2) or "").strip()


def check_attachment(mime_type: str | None, file_size: int | None, count: int) -> None:
    if count >= MAX_ATTACHMENTS:
        raise InvalidAnswer(N_("At most {limit} files per complaint."), limit=MAX_ATTACHMENTS)
    if mime_type is not None and mime_type not in ATTACHMENT_MIME_TYPES:
        raise InvalidAnswer(
            N_("This kind of file is not accepted: send a photo, PDF, Word, Excel or e-mail file.")
        )
    # Bot API bots can download files up to 20 MB; larger ones could never be read back.
    if file_size is not None and file_size > 20 * 1024 * 1024:
        raise InvalidAnswer(N_("The file is larger than 20 MB."))


def parse_text_answer(f: Field, text: str, *, today: date, answers: dict[str, object]) -> object:
    """Check a typed answer; returns the value to keep (JSON-safe) or raises InvalidAnswer."""
    if f.kind in (Kind.CHOICE, Kind.MULTI, Kind.YES_NO):
        raise InvalidAnswer(N_("Please tap one of the buttons below."))
    if f.kind is Kind.FILES:
        raise InvalidAnswer(N_("Please send photos or files, or tap a button below."))
    value = check_text(f, text)
    if f.kind is Kind.PHONE:
        return parse_phone(value)
    if f.kind is Kind.QUANTITY:
        number, unit = parse_quantity(value)
        return [str(number), unit]
    if f.kind is Kind.DATE:
        # The goods were delivered before the customer found the problem, whichever is edited.
        not_before = not_after = None
        if f.key == "occurred_on" and isinstance(answers.get("delivery_date"), str):
            not_before = date.fromisoformat(str(answers["delivery_date"]))
        if f.key == "delivery_date" and isinstance(answers.get("occurred_on"), str):
            not_after = date.fromisoformat(str(answers["occurred_on"]))
        return parse_date(
            value, today=today, not_before=not_before, not_after=not_after
        ).isoformat()
    return value


def ready_to_file(answers: dict[str, object]) -> bool:
    required = [f.key for f in FIELDS if not f.optional]
    return all(k in answers for k in required) and bool(answers.get("demands"))


def parse_choice(f: Field, arg: str) -> object:
    """The value of a pressed button for this question; InvalidAnswer for a stale one."""
    from bot.procedure.grading import CustomerClass, Plant

    if f.key == "customer_class" and arg in {c.value for c in CustomerClass}:
        return arg
    if f.key == "plant" and arg in {p.value for p in Plant}:
        return arg
    if f.kind is Kind.YES_NO and arg in ("yes", "no"):
        return arg == "yes"
    if f.key == "occurred_on" and arg == "today":
        return None  # Tocc defaults to T0
    raise InvalidAnswer(N_("Please tap one of the buttons below."))


def toggle_demand(chosen: list[str], value: str) -> list[str]:
    """Demands picked so far, in the order of the Demand enum."""
    from bot.procedure.grading import Demand

    if value not in {d.value for d in Demand}:
        return chosen
    picked = set(chosen) ^ {value}
    return [d.value for d in Demand if d.value in picked]
