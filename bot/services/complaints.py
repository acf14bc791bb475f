"""Complaints: filing one from a confirmed draft, reading them by role.

Filing is one transaction: the number, the register row, the event-log entry,
the outbox rows of every notification it causes and the steps it opens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.procedure import access, engine
from bot.procedure.access import Who
from bot.procedure.grading import CustomerClass
from bot.procedure.intake import Draft, customer_key, occurrence_time, tidy_name
from bot.procedure.numbering import format_number, parse_number
from bot.procedure.recurrence import product_key, window_start
from bot.procedure.steps import ComplaintStatus
from bot.services import conversations, files, major, mapping, rechecks
from bot.services.copies import announce
from bot.services.events import Actor, log_event
from bot.services.step_cards import may_see
from bot.services.step_life import start_procedure
from bot.services.uow import Caller, Services, UnitOfWork
from bot.views.models import (
    ComplaintView,
    DeliveryView,
    EventView,
    MeetingView,
    PersonView,
    PlanView,
)
from storage import queries
from storage.models import (
    Attachment,
    Complaint,
    Customer,
    DeliveryStatus,
)


@dataclass(frozen=True)
class EarlierComplaint:
    """An earlier complaint about the same product (recurrence)."""

    number: str
    received_at: datetime
    customer_name: str


class Refusal(StrEnum):
    NOT_REGISTERED = "not_registered"  # not on the people list
    NOT_ALLOWED = "not_allowed"  # on the list, without the right
    BAD_NUMBER = "bad_number"
    NOT_FOUND = "not_found"  # does not exist, or not theirs: the same answer


@dataclass(frozen=True)
class Me:
    """The caller as Kesu knows them, for /help and the intake's first question."""

    person: PersonView | None
    may_file: bool = False
    sees_all: bool = False
    manages_people: bool = False  # an admin: /people, /invite, /bindchat, /status


@dataclass(frozen=True)
class FileComplaint:
    caller: Caller
    draft: Draft


@dataclass(frozen=True)
class Filed:
    refusal: Refusal | None = None
    complaint: ComplaintView | None = None


@dataclass(frozen=True)
class CustomerMatch:
    id: int
    name: str
    customer_class: CustomerClass


@dataclass(frozen=True)
class ComplaintList:
    refusal: Refusal | None = None
    complaints: tuple[ComplaintView, ...] = ()  # one page, newest first
    all_of_them: bool = False  # QC and leadership see all; sales their own
    total: int = 0  # open complaints in all
    page: int = 1
    pages: int = 1


# Complaints on one page of /list: what a chat message can show and a person reads.
LIST_PAGE = 30


@dataclass(frozen=True)
class ShowComplaint:
    caller: Caller
    number: str


@dataclass(frozen=True)
class Shown:
    refusal: Refusal | None = None
    number: str = ""
    complaint: ComplaintView | None = None
    events: tuple[EventView, ...] = ()
    deliveries: tuple[DeliveryView, ...] = ()  # undelivered notifications, for admins
    may_file_major: bool = False  # leadership may file it as a major problem
    plan: PlanView | None = None  # the rectification plan and its items
    meetings: tuple[MeetingView, ...] = ()


def me(uow: UnitOfWork, caller: Caller) -> Me:
    person = uow.person(caller)
    if person is None:
        return Me(None)
    who = mapping.who(person)
    return Me(
        mapping.person_view(person, uow.config),
        access.may_file(who),
        access.sees_all(who),
        access.may_manage_people(who),
    )


def whoami(services: Services, caller: Caller) -> Me:
    """As `me`, from the people the services keep in memory (changed by every commit
    that touches a person): /help needs no database round trip."""
    known = services.known(caller.telegram_id)
    if known is None:
        return Me(None)
    who = Who(known.id, known.role, known.plant, known.is_admin)
    language = known.chosen or services.config.default_language
    return Me(
        PersonView(known.id, known.name, known.role, language),
        access.may_file(who),
        access.sees_all(who),
        access.may_manage_people(who),
    )


# Filing --------------------------------------------------------------------------------


def file_complaint(uow: UnitOfWork, command: FileComplaint) -> Filed:
    """Register a confirmed draft; the right to file is checked again here."""
    person = uow.person(command.caller)
    if person is None:
        return Filed(Refusal.NOT_REGISTERED)
    if not access.may_file(mapping.who(person)):
        return Filed(Refusal.NOT_ALLOWED)
    complaint = register(uow, command.draft, Actor.of(command.caller, person))
    # Filed and its draft gone in one commit: a crash never offers it to file again.
    conversations.forget(uow.session, command.caller.telegram_id, conversations.INTAKE_DRAFT)
    uow.session.flush()
    return Filed(complaint=mapping.complaint_view(complaint, uow.config, steps=False))


def register(uow: UnitOfWork, draft: Draft, actor: Actor) -> Complaint:
    """Create the complaint from a complete draft."""
    assert actor.person is not None and draft.ready_to_file()
    session, config, now = uow.session, uow.config, uow.now
    year = draft.received_at.astimezone(config.tz).year
    sequence = queries.next_sequence(session, year)
    customer = _customer(uow, draft)
    assert draft.quantity is not None and draft.delivery_date is not None
    assert draft.plant is not None
    assert draft.product_name is not None and draft.specification is not None
    key = product_key(draft.product_name, draft.specification)
    earlier = _earlier(uow, key, draft.received_at, customer.id if draft.customer_id else None)
    # The same product again lately: a recurring problem, and so a serious one.
    recurring = bool(draft.recurring) or bool(earlier)
    complaint = Complaint(
        number=format_number(year, sequence),
        year=year,
        sequence=sequence,
        received_at=draft.received_at,
        occurred_at=occurrence_time(draft.occurred_on, draft.received_at, config.tz),
        customer=customer,
        customer_name=customer.name,
        customer_class=customer.customer_class,
        contact_phone=draft.contact_phone,
        content=draft.content,
        demands=list(draft.demands),
        grade=draft.grade(),
        is_batch=bool(draft.batch),
        is_recurring=recurring,
        is_return=draft.returned,
        is_serious=draft.serious() or recurring,
        plant=draft.plant,
        product_name=draft.product_name,
        specification=draft.specification,
        product_key=key,
        recurs_after=[c.number for c in earlier],
        quantity=draft.quantity,
        quantity_unit=draft.quantity_unit,
        delivery_date=draft.delivery_date,
        description=draft.description,
        status=ComplaintStatus.OPEN,
        filed_by=actor.person,
        created_at=now,
    )
    session.add(complaint)
    for item in draft.attachments:
        complaint.attachments.append(
            Attachment(
                kind=item.kind,
                file_id=item.file_id,
                file_unique_id=item.file_unique_id,
                file_name=item.file_name,
                mime_type=item.mime_type,
            )
        )
    session.flush()
    for item in draft.attachments:
        files.keep(
            session,
            now,
            item.file_id,
            item.kind,
            complaint_id=complaint.id,
            file_name=item.file_name,
            mime_type=item.mime_type,
        )
    # The same customer's product again while an earlier fix waits for its recheck.
    rechecks.link_new(uow, complaint, actor)
    log_event(
        session,
        actor,
        "registered",
        now,
        complaint,
        number=complaint.number,
        grade=complaint.grade.value,
        serious=complaint.is_serious,
        plant=complaint.plant.value,
        recurs_after=complaint.recurs_after,
    )
    announce(uow, complaint)
    start_procedure(uow, complaint, actor)
    return complaint


def _customer(uow: UnitOfWork, draft: Draft) -> Customer:
    session = uow.session
    if draft.customer_id is not None:
        customer = session.get(Customer, draft.customer_id)
        if customer is not None:
            return customer
    assert draft.customer is not None and draft.customer_class is not None
    existing = queries.customer_by_name(session, draft.customer)
    if existing is not None:
        return existing
    customer = Customer(
        name=draft.customer,
        customer_class=draft.customer_class,
        contact_phone=draft.contact_phone,
        created_at=uow.now,
    )
    session.add(customer)
    return customer


@dataclass(frozen=True)
class CustomerSearch:
    exact: CustomerMatch | None  # the name typed is a known customer's
    matches: tuple[CustomerMatch, ...] = ()  # names that contain what was typed


def find_customers(uow: UnitOfWork, text: str) -> CustomerSearch:
    key = customer_key(text)
    exact = next(
        (
            CustomerMatch(c.id, c.name, c.customer_class)
            for c in queries.all_customers(uow.session)
            if key and customer_key(c.name) == key
        ),
        None,
    )
    matches = tuple(
        CustomerMatch(c.id, c.name, c.customer_class)
        for c in queries.find_customers(uow.session, tidy_name(text))
    )
    return CustomerSearch(exact, matches)


def customer(uow: UnitOfWork, customer_id: int) -> CustomerMatch | None:
    found = queries.customer_by_id(uow.session, customer_id)
    return CustomerMatch(found.id, found.name, found.customer_class) if found else None


# Reading -------------------------------------------------------------------------------


def list_open(uow: UnitOfWork, caller: Caller, page: int = 1) -> ComplaintList:
    """One page of the open complaints the person may see, newest first (a page past the
    last gives the last)."""
    person = uow.person(caller)
    if person is None:
        return ComplaintList(Refusal.NOT_REGISTERED)
    all_of_them = access.sees_all(mapping.who(person))
    filed_by_id = None if all_of_them else person.id
    total = queries.count_open_complaints(uow.session, filed_by_id)
    pages = max(1, -(-total // LIST_PAGE))
    page = min(max(page, 1), pages)
    rows = queries.open_complaints(
        uow.session, filed_by_id, offset=(page - 1) * LIST_PAGE, limit=LIST_PAGE
    )
    return ComplaintList(
        complaints=tuple(mapping.complaint_view(c, uow.config, steps=False) for c in rows),
        all_of_them=all_of_them,
        total=total,
        page=page,
        pages=pages,
    )


def show(uow: UnitOfWork, command: ShowComplaint) -> Shown:
    person = uow.person(command.caller)
    if person is None:
        return Shown(Refusal.NOT_REGISTERED)
    parsed = parse_number(command.number) if command.number else None
    if parsed is None:
        return Shown(Refusal.BAD_NUMBER)
    number = format_number(*parsed)
    complaint = queries.complaint_by_number(uow.session, number)
    if complaint is None or not may_see(uow, person, complaint):
        # The same answer for "does not exist" and "not yours": numbers are not secrets,
        # but their contents are.
        return Shown(Refusal.NOT_FOUND, number)
    deliveries = queries.outbox_for_complaint(uow.session, complaint.id) if person.is_admin else []
    return Shown(
        number=number,
        complaint=mapping.complaint_view(complaint, uow.config, recheck=True),
        events=mapping.history(uow.session, complaint, uow.config),
        deliveries=tuple(
            mapping.delivery_view(d) for d in deliveries if d.status == DeliveryStatus.FAILED
        ),
        may_file_major=major.may_file(uow, command.caller, complaint),
        plan=mapping.plan_view(plan)
        if (plan := queries.plan_of(uow.session, complaint.id))
        else None,
        meetings=tuple(
            mapping.meeting_view(m)
            for m in queries.meetings(uow.session, complaint_id=complaint.id)
        ),
    )


def _earlier(
    uow: UnitOfWork, key: str, received_at: datetime, customer_id: int | None
) -> Sequence[Complaint]:
    recurrence = uow.config.recurrence
    if not recurrence.enabled:
        return ()
    since = window_start(received_at, recurrence.days)
    return queries.earlier_complaints(uow.session, key, since, received_at, customer_id)


@dataclass(frozen=True)
class BeforeFiling:
    """What the salesperson is told with the summary, before Confirm."""

    # The complaints about the same product (and the same known customer) in the last N
    # days, which will make this one recurring.
    earlier: tuple[EarlierComplaint, ...]
    # Already past the 48 hours of the clear answer to the customer, by this much.
    answer_late_by: timedelta | None


def before_filing(uow: UnitOfWork, draft: Draft) -> BeforeFiling:
    occurred_at = occurrence_time(draft.occurred_on, draft.received_at, uow.config.tz)
    late = engine.late_at_filing(
        uow.config.timing(), received_at=draft.received_at, occurred_at=occurred_at, now=uow.now
    )
    if not draft.product_name or not draft.specification:
        return BeforeFiling((), late)
    key = product_key(draft.product_name, draft.specification)
    found = _earlier(uow, key, draft.received_at, draft.customer_id)
    earlier = tuple(EarlierComplaint(c.number, c.received_at, c.customer_name) for c in found)
    return BeforeFiling(earlier, late)
