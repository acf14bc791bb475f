"""The intake questions: the fields of the complaint register and the disposition
report (PROCEDURE.md section 7), their order, and how a typed answer is checked.

Reasons are message ids (English source strings) for the catalogues; `N_` only
marks them for extraction, the caller translates them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from bot.procedure.grading import (
    CustomerClass,
    Demand,
    Grade,
    Plant,
    grade_for,
    is_return,
    is_serious,
)


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
    TIME = "time"  # a time of day, today or yesterday
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
    # T0: when sales received the complaint; the limits of steps 1, 2 and 4 count from it.
    Field("received_at", N_("When sales received the complaint"), Kind.TIME),
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


class FileKind(StrEnum):
    PHOTO = "photo"
    DOCUMENT = "document"


@dataclass(frozen=True)
class AttachmentDraft:
    """A file the salesperson sent, kept as Telegram's file id."""

    kind: FileKind
    file_id: str
    file_unique_id: str
    file_name: str | None = None
    mime_type: str | None = None


@dataclass
class Draft:
    """A complaint being filed: the answers so far and where the conversation stands.

    Typed values throughout; `to_dict`/`from_dict` keep it as JSON in the
    conversation store so a restart loses nothing typed.
    """

    received_at: datetime  # T0: when the salesperson started /new
    customer: str | None = None
    customer_id: int | None = None  # a known customer picked from the list
    customer_class: CustomerClass | None = None
    contact_phone: str | None = None
    content: str | None = None
    demands: list[Demand] = field(default_factory=list)
    product_name: str | None = None
    specification: str | None = None
    quantity: Decimal | None = None
    quantity_unit: str = ""
    delivery_date: date | None = None
    occurred_on: date | None = None  # None once answered: the same day as received
    batch: bool | None = None
    recurring: bool | None = None
    plant: Plant | None = None
    description: str | None = None
    attachments: list[AttachmentDraft] = field(default_factory=list)
    answered: list[str] = field(default_factory=list)  # field keys, in the order answered
    # Where the conversation stands.
    asking: str | None = None  # the field being asked
    editing: bool = False  # asked from the summary's Edit
    demands_pending: list[Demand] = field(default_factory=list)  # ticked, Done not pressed
    typed_customer: str | None = None  # a name typed, matches offered
    last_album: str | None = None  # media group of the last file acknowledged

    def has(self, key: str) -> bool:
        return key in self.answered

    def answer(self, key: str, value: object) -> None:
        """Keep a checked answer (as parse_text_answer or parse_choice returned it)."""
        if key == "quantity":
            assert isinstance(value, tuple)
            self.quantity, self.quantity_unit = value
        else:
            setattr(self, key, value)
        if key not in self.answered:
            self.answered.append(key)

    def forget(self, key: str) -> None:
        if key in self.answered:
            self.answered.remove(key)
        setattr(self, key, _EMPTY.get(key))

    def pick_customer(self, customer_id: int, name: str, customer_class: CustomerClass) -> None:
        """A known customer brings its class from the record."""
        self.customer_id = customer_id
        self.answer("customer", name)
        self.answer("customer_class", customer_class)

    def new_customer(self, name: str) -> None:
        self.answer("customer", name)
        if self.customer_id is not None:
            # A known customer's class came from the record; a new one must be asked.
            self.customer_id = None
            self.forget("customer_class")

    def next_field(self) -> Field | None:
        for f in FIELDS:
            if not self.has(f.key):
                if f.key == "customer_class" and self.customer_id is not None:
                    continue
                return f
        return None

    def edit_complete(self) -> bool:
        """An edit from the summary goes back to it once everything needed is there."""
        return self.editing and self.has("customer_class") and self.ready_to_file()

    def ready_to_file(self) -> bool:
        required = [f.key for f in FIELDS if not f.optional]
        return all(self.has(k) for k in required) and bool(self.demands)

    def grade(self) -> Grade:
        return grade_for(self.demands)

    @property
    def returned(self) -> bool:
        return is_return(self.demands)

    def serious(self) -> bool:
        return is_serious(
            self.grade(),
            batch=bool(self.batch),
            recurring=bool(self.recurring),
            returned=self.returned,
        )

    def toggle_demand(self, value: str) -> None:
        """Tick or untick a demand; kept in the order of the Demand enum."""
        if value not in {d.value for d in Demand}:
            return
        picked = {d.value for d in self.demands_pending} ^ {value}
        self.demands_pending = [d for d in Demand if d.value in picked]

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            data[f.name] = _to_json(value)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Draft:
        def get(key: str) -> Any:
            return data.get(key)

        return cls(
            received_at=datetime.fromisoformat(data["received_at"]),
            customer=get("customer"),
            customer_id=get("customer_id"),
            customer_class=_opt(CustomerClass, get("customer_class")),
            contact_phone=get("contact_phone"),
            content=get("content"),
            demands=[Demand(d) for d in get("demands") or []],
            product_name=get("product_name"),
            specification=get("specification"),
            quantity=_opt(Decimal, get("quantity")),
            quantity_unit=get("quantity_unit") or "",
            delivery_date=_opt(date.fromisoformat, get("delivery_date")),
            occurred_on=_opt(date.fromisoformat, get("occurred_on")),
            batch=get("batch"),
            recurring=get("recurring"),
            plant=_opt(Plant, get("plant")),
            description=get("description"),
            attachments=[
                AttachmentDraft(
                    kind=FileKind(a["kind"]),
                    file_id=a["file_id"],
                    file_unique_id=a["file_unique_id"],
                    file_name=a.get("file_name"),
                    mime_type=a.get("mime_type"),
                )
                for a in get("attachments") or []
            ],
            answered=list(get("answered") or []),
            asking=get("asking"),
            editing=bool(get("editing")),
            demands_pending=[Demand(d) for d in get("demands_pending") or []],
            typed_customer=get("typed_customer"),
            last_album=get("last_album"),
        )


_EMPTY: dict[str, object] = {"demands": [], "attachments": [], "quantity_unit": ""}
T = TypeVar("T")


def _opt(kind: Callable[[Any], T], value: Any) -> T | None:
    return None if value is None else kind(value)


def _to_json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list):
        return [_to_json(v) for v in value]
    if isinstance(value, AttachmentDraft):
        return {f.name: _to_json(getattr(value, f.name)) for f in fields(value)}
    return value  # str, int, bool, None; StrEnums are str


def occurrence_time(occurred_on: date | None, received_at: datetime, tz: tzinfo) -> datetime:
    """Tocc: the start of the day the customer found the problem, never after T0."""
    if occurred_on is None:
        return received_at
    start = datetime.combine(occurred_on, time(0, 0), tzinfo=tz)
    return min(start, received_at)


def customer_key(name: str) -> str:
    """A customer's name as it is compared: full-width letters and digits as half-width,
    no spaces, no case ("海达 机械", "海达机械" and "ＨＤ" vs "hd" are the same)."""
    return "".join(unicodedata.normalize("NFKC", name).split()).casefold()


def tidy_name(name: str) -> str:
    """How a typed name is searched and kept: NFKC, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", name).split())


class _Limited(Protocol):
    @property
    def max_length(self) -> int: ...


def check_text(f: _Limited, text: str) -> str:
    """Some text, within the question's length (an intake field's or a plan question's)."""
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


DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def parse_date(
    text: str, *, today: date, not_before: date | None = None, not_after: date | None = None
) -> date:
    value = text.strip().replace(" ", "")
    for pattern in DATE_PATTERNS:
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


_TIME = re.compile(
    r"^(?:(?P<day>今天|今日|today|昨天|昨日|yesterday)|(?P<date>\d{4}[-/.]\d{1,2}[-/.]\d{1,2}))?"
    r"\s*(?P<hour>\d{1,2})\s*[:：点时]\s*(?P<minute>\d{1,2})?\s*分?$",
    re.IGNORECASE,
)


def parse_received(text: str, *, now: datetime, not_before: date | None = None) -> datetime:
    """When sales received the complaint: "14:30", "昨天 16:00", "2026-11-24 16:00".

    Today or yesterday, in the company's time zone (the zone of `now`), not in
    the future and not before the goods were delivered.
    """
    match = _TIME.match(text.strip())
    if not match:
        raise InvalidAnswer(N_("Write a time like 14:30, 昨天 16:00 or 2026-11-24 16:00."))
    today = now.date()
    day = today
    if match.group("day") and match.group("day").lower() in ("昨天", "昨日", "yesterday"):
        day = today - timedelta(days=1)
    elif match.group("date"):
        try:
            day = parse_date(match.group("date"), today=today)
        except InvalidAnswer:
            raise InvalidAnswer(
                N_("Write a time like 14:30, 昨天 16:00 or 2026-11-24 16:00.")
            ) from None
    hour, minute = int(match.group("hour")), int(match.group("minute") or 0)
    if hour > 23 or minute > 59:
        raise InvalidAnswer(N_("Write a time like 14:30, 昨天 16:00 or 2026-11-24 16:00."))
    when = datetime.combine(day, time(hour, minute), tzinfo=now.tzinfo)
    if when > now:
        raise InvalidAnswer(N_("That time lies in the future."))
    if day < today - timedelta(days=1):
        raise InvalidAnswer(
            N_(
                "Only a time today or yesterday: for an older complaint tap Just now and write when it came in the complaint content."
            )
        )
    if not_before is not None and day < not_before:
        raise InvalidAnswer(
            N_("That date is before the delivery date {date}."), date=not_before.isoformat()
        )
    return when


def parse_text_answer(
    f: Field, text: str, *, today: date, draft: Draft, now: datetime | None = None
) -> object:
    """Check a typed answer; returns the value to keep or raises InvalidAnswer.

    `now` is the company's local time (needed for the time of receipt)."""
    if f.kind in (Kind.CHOICE, Kind.MULTI, Kind.YES_NO):
        raise InvalidAnswer(N_("Please tap one of the buttons below."))
    if f.kind is Kind.FILES:
        raise InvalidAnswer(N_("Please send photos or files, or tap a button below."))
    value = check_text(f, text)
    if f.kind is Kind.PHONE:
        return parse_phone(value)
    if f.kind is Kind.QUANTITY:
        return parse_quantity(value)
    if f.kind is Kind.TIME:
        assert now is not None
        return parse_received(value, now=now, not_before=draft.delivery_date)
    if f.kind is Kind.DATE:
        # The goods were delivered before the customer found the problem, whichever is edited.
        not_before = draft.delivery_date if f.key == "occurred_on" else None
        not_after = draft.occurred_on if f.key == "delivery_date" else None
        return parse_date(value, today=today, not_before=not_before, not_after=not_after)
    return value


def parse_choice(f: Field, arg: str, *, now: datetime | None = None) -> object:
    """The value of a pressed button for this question; InvalidAnswer for a stale one."""
    if f.kind is Kind.TIME and arg == "now" and now is not None:
        return now
    if f.key == "customer_class" and arg in {c.value for c in CustomerClass}:
        return CustomerClass(arg)
    if f.key == "plant" and arg in {p.value for p in Plant}:
        return Plant(arg)
    if f.kind is Kind.YES_NO and arg in ("yes", "no"):
        return arg == "yes"
    if f.key == "occurred_on" and arg == "today":
        return None  # Tocc defaults to T0
    raise InvalidAnswer(N_("Please tap one of the buttons below."))
