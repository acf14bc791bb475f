"""Queries. Each takes a session and never commits: the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    case,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from bot.procedure.access import TaskScope
from bot.procedure.grading import Grade, Plant
from bot.procedure.intake import FileKind
from bot.procedure.people import invite_hash
from bot.procedure.pings import PingKind
from bot.procedure.plans import ItemStatus
from bot.procedure.roles import Role
from bot.procedure.routing import Group
from bot.procedure.steps import RECHECK, ComplaintStatus, StepStatus
from storage.models import (
    Chat,
    ChatMigration,
    ChatNotices,
    ChatState,
    Complaint,
    ComplaintCause,
    ComplaintCounter,
    CostEntry,
    Customer,
    DeliveryStatus,
    Event,
    ExtensionRequest,
    Invite,
    KeepStatus,
    KeptFile,
    Meeting,
    MeetingComplaint,
    OutboxMessage,
    Person,
    Plan,
    PlanItem,
    Purpose,
    QueuedPing,
    RecheckDue,
    Snooze,
    Step,
    Suggestion,
    utcnow,
)

UNSENT = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)


# People and chats --------------------------------------------------------------------


def sync_people(session: Session, people: Iterable[dict[str, Any]]) -> None:
    """The people of the configuration file are added or updated (the file wins for whom
    it names); those it named before and no longer does stay, inactive, for the history.
    People enrolled in Telegram are left as they are."""
    wanted = {p["telegram_id"]: p for p in people}
    existing = {p.telegram_id: p for p in session.scalars(select(Person))}
    for telegram_id, values in wanted.items():
        person = existing.get(telegram_id)
        if person is None:
            session.add(Person(active=True, from_file=True, **values))
        else:
            for key, value in values.items():
                setattr(person, key, value)
            person.active = True
            person.from_file = True
    for telegram_id, person in existing.items():
        if telegram_id not in wanted and person.from_file:
            person.active = False


def sync_chats(session: Session, chats: Iterable[tuple[Group, Plant | None, int]]) -> list[int]:
    """(group, plant or None, telegram chat id) rows of the configuration. An id of a
    group since upgraded to a supergroup means the supergroup; returns such old ids."""
    existing = {(c.purpose, c.plant): c for c in session.scalars(select(Chat))}
    moved = chat_migrations(session)
    outdated = []
    for group, plant_or_none, configured in chats:
        telegram_id = configured
        while telegram_id in moved:  # upgraded, perhaps more than once
            telegram_id = moved[telegram_id]
        if telegram_id != configured:
            outdated.append(configured)
        plant = plant_or_none.value if plant_or_none else ""
        chat = existing.pop((group, plant), None)
        if chat is None:
            session.add(Chat(purpose=group, plant=plant, telegram_id=telegram_id, from_file=True))
        else:
            chat.telegram_id = telegram_id
            chat.from_file = True
    for chat in existing.values():
        if chat.from_file:
            session.delete(chat)  # an optional group taken out of the configuration
    return outdated


def bind_chat(session: Session, group: Group, plant: Plant | None, telegram_id: int) -> int | None:
    """/bindchat: this group is the one of `group` (and plant) from now on. Returns the
    group bound before, if another."""
    key = plant.value if plant else ""
    chat = session.scalar(select(Chat).where(Chat.purpose == group, Chat.plant == key))
    if chat is None:
        session.add(Chat(purpose=group, plant=key, telegram_id=telegram_id, from_file=False))
        return None
    before = chat.telegram_id
    chat.telegram_id = telegram_id
    chat.from_file = False
    return before if before != telegram_id else None


def chats_bound_in_telegram(session: Session) -> Sequence[Chat]:
    return session.scalars(
        select(Chat).where(Chat.from_file.is_(False)).order_by(Chat.purpose, Chat.plant)
    ).all()


def people_listed(session: Session) -> Sequence[Person]:
    """/people: everyone active, by role then name."""
    return session.scalars(
        select(Person).where(Person.active.is_(True)).order_by(Person.role, Person.name, Person.id)
    ).all()


def invite_by_token(session: Session, token: str) -> Invite | None:
    return session.scalar(select(Invite).where(Invite.token_hash == invite_hash(token)))


def pending_invites(session: Session, now: datetime) -> Sequence[Invite]:
    """Links not opened, withdrawn or expired yet, oldest first."""
    return session.scalars(
        select(Invite)
        .where(Invite.used_at.is_(None), Invite.revoked_at.is_(None), Invite.expires_at > now)
        .order_by(Invite.id)
    ).all()


def claim_invite(session: Session, invite_id: int, at: datetime) -> bool:
    """Of two people opening the same link at once only one gets in."""
    claimed = session.execute(
        update(Invite).where(Invite.id == invite_id, Invite.used_at.is_(None)).values(used_at=at)
    )
    return bool(getattr(claimed, "rowcount", 0))


def open_steps_assigned_to(session: Session, person_id: int) -> Sequence[Step]:
    """The open steps named on someone (taken, handed to them, their plan items)."""
    return session.scalars(
        select(Step)
        .where(Step.assignee_id == person_id, Step.status == StepStatus.OPEN)
        .options(selectinload(Step.complaint))
        .order_by(Step.id)
    ).all()


def chat_migrations(session: Session) -> dict[int, int]:
    """Old group id -> its id as a supergroup."""
    return dict(
        session.execute(select(ChatMigration.old_telegram_id, ChatMigration.new_telegram_id))
        .tuples()
        .all()
    )


def move_chat(session: Session, old: int, new: int, at: datetime) -> bool:
    """A group became a supergroup: its bindings and its unsent rows go to the new id.
    False when this move is known already."""
    if session.get(ChatMigration, old) is not None:
        return False
    session.add(ChatMigration(old_telegram_id=old, new_telegram_id=new, at=at))
    session.execute(update(Chat).where(Chat.telegram_id == old).values(telegram_id=new))
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.chat_id == old, OutboxMessage.status.in_(UNSENT))
        .values(chat_id=new)
    )
    return True


def person_by_telegram_id(session: Session, telegram_id: int) -> Person | None:
    return session.scalar(
        select(Person).where(Person.telegram_id == telegram_id, Person.active.is_(True))
    )


def person_ever(session: Session, telegram_id: int) -> Person | None:
    """Active or not: someone who left and is enrolled again keeps their history."""
    return session.scalar(select(Person).where(Person.telegram_id == telegram_id))


def person_by_id(session: Session, person_id: int) -> Person | None:
    return session.get(Person, person_id)


def active_people(session: Session) -> Sequence[Person]:
    return session.scalars(select(Person).where(Person.active.is_(True)).order_by(Person.id)).all()


def people_with_role(session: Session, role: Role) -> Sequence[Person]:
    return session.scalars(
        select(Person).where(Person.role == role, Person.active.is_(True)).order_by(Person.id)
    ).all()


def night_ping_people(session: Session) -> set[int]:
    """Telegram ids of the people who chose to be pinged at night too (/settings)."""
    return set(
        session.scalars(
            select(Person.telegram_id).where(Person.night_pings.is_(True), Person.active.is_(True))
        )
    )


def admins(session: Session) -> Sequence[Person]:
    return session.scalars(
        select(Person).where(Person.is_admin.is_(True), Person.active.is_(True))
    ).all()


def chat_id_for(session: Session, group: Group, plant: Plant | None = None) -> int | None:
    return session.scalar(
        select(Chat.telegram_id).where(
            Chat.purpose == group, Chat.plant == (plant.value if plant else "")
        )
    )


# Customers ---------------------------------------------------------------------------


def find_customers(session: Session, text: str, limit: int = 5) -> Sequence[Customer]:
    pattern = f"%{text.strip()}%"
    return session.scalars(
        select(Customer).where(Customer.name.ilike(pattern)).order_by(Customer.name).limit(limit)
    ).all()


def all_customers(session: Session) -> Sequence[Customer]:
    """Every customer, for comparing names in Python (full-width letters and spacing
    vary). A factory has hundreds; a stored key column would serve more."""
    return session.scalars(select(Customer).order_by(Customer.id)).all()


def customer_by_id(session: Session, customer_id: int) -> Customer | None:
    return session.get(Customer, customer_id)


def customer_by_name(session: Session, name: str) -> Customer | None:
    return session.scalar(select(Customer).where(Customer.name == name))


# Complaints --------------------------------------------------------------------------


def next_sequence(session: Session, year: int) -> int:
    """The next complaint number of the year; the row lock makes it safe under concurrency."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(ComplaintCounter)
        .values(year=year, last_number=1)
        .on_conflict_do_update(
            index_elements=[ComplaintCounter.year],
            set_={"last_number": ComplaintCounter.last_number + 1},
        )
        .returning(ComplaintCounter.last_number)
    )
    return int(session.execute(statement).scalar_one())


def complaint_by_number(session: Session, number: str) -> Complaint | None:
    return session.scalar(
        select(Complaint)
        .where(Complaint.number == number)
        .options(selectinload(Complaint.attachments), selectinload(Complaint.filed_by))
    )


OPEN_STATUSES = [s for s in ComplaintStatus if s is not ComplaintStatus.CLOSED]


def _open_complaints(filed_by_id: int | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [Complaint.status.in_(OPEN_STATUSES)]
    if filed_by_id is not None:
        where.append(Complaint.filed_by_id == filed_by_id)
    return where


def count_open_complaints(session: Session, filed_by_id: int | None = None) -> int:
    where = _open_complaints(filed_by_id)
    return session.scalar(select(func.count()).select_from(Complaint).where(*where)) or 0


def open_complaints(
    session: Session, filed_by_id: int | None = None, offset: int = 0, limit: int | None = None
) -> Sequence[Complaint]:
    """Open complaints (those one salesperson filed, if given), newest first, from
    `offset` (index ix_complaint_status_received)."""
    return session.scalars(
        select(Complaint)
        .where(*_open_complaints(filed_by_id))
        .order_by(Complaint.received_at.desc(), Complaint.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()


def open_by_grade_and_plant(session: Session) -> list[tuple[Grade, Plant, int]]:
    """(grade, plant, how many) of the open complaints, counted in the database."""
    rows = session.execute(
        select(Complaint.grade, Complaint.plant, func.count())
        .where(Complaint.status.in_(OPEN_STATUSES))
        .group_by(Complaint.grade, Complaint.plant)
    )
    return [(grade, plant, n) for grade, plant, n in rows]


def open_by_age(
    session: Session, bands: Sequence[tuple[str, datetime | None, datetime]]
) -> dict[str, int]:
    """How many open complaints were received in each band (after, up to and with]."""
    counts = []
    for _name, after, upto in bands:
        inside = Complaint.received_at <= upto
        if after is not None:
            inside = and_(Complaint.received_at > after, inside)
        counts.append(func.coalesce(func.sum(case((inside, 1), else_=0)), 0))
    row = session.execute(select(*counts).where(Complaint.status.in_(OPEN_STATUSES))).one()
    return {name: int(n) for (name, _a, _u), n in zip(bands, row, strict=True)}


def step_done_facts(session: Session, since: datetime, until: datetime) -> list[Row[Any]]:
    """(kind, due, done) of the steps done in [since, until) (or done and later sent
    back): the dashboard's on-time share (columns: tens of thousands in twelve weeks)."""
    return list(
        session.execute(
            select(Step.key, Step.due_at, Step.done_at, Step.status).where(
                Step.done_at >= since, Step.done_at < until
            )
        )
    )


def open_recurring_newest(session: Session, limit: int) -> tuple[int, Sequence[Complaint]]:
    """How many open complaints are recurring problems, and the newest `limit`."""
    where = (Complaint.status.in_(OPEN_STATUSES), Complaint.is_recurring.is_(True))
    count = session.scalar(select(func.count()).select_from(Complaint).where(*where)) or 0
    rows = session.scalars(
        select(Complaint)
        .where(*where)
        .options(selectinload(Complaint.filed_by), selectinload(Complaint.steps))
        .order_by(Complaint.received_at.desc(), Complaint.id.desc())
        .limit(limit)
    ).all()
    return count, rows


def overdue_by_kind(session: Session, now: datetime) -> list[tuple[str, int]]:
    """(step kind, how many) of the open steps past their time (counted in the database:
    a hundred thousand open steps at the scale of years)."""
    late = (Step.status == StepStatus.OPEN, Step.due_at < now)
    rows = session.execute(select(Step.key, func.count()).where(*late).group_by(Step.key))
    return [(key, count) for key, count in rows]


def overdue_by_person(session: Session, now: datetime, limit: int) -> list[tuple[str, int]]:
    """(name, how many) of whom open steps past their time were handed to, the most first."""
    late = (Step.status == StepStatus.OPEN, Step.due_at < now)
    count = func.count().label("n")
    rows = session.execute(
        select(Person.name, count)
        .select_from(Step)
        .join(Person, Step.assignee_id == Person.id)
        .where(*late)
        .group_by(Person.name)
        .order_by(count.desc(), Person.name)
        .limit(limit)
    )
    return [(name, n) for name, n in rows]


@dataclass(frozen=True)
class ComplaintFilter:
    """The dashboard's list: each given field narrows it; `text` is searched in the
    number, customer, product, specification and content."""

    filed_by_id: int | None = None  # a salesperson's own
    plant: Plant | None = None
    grade: Grade | None = None
    open_only: bool | None = None  # True open, False closed, None both
    customer: str = ""
    product: str = ""
    since: datetime | None = None
    until: datetime | None = None
    text: str = ""


def _filtered(found: ComplaintFilter, dialect: str) -> list[ColumnElement[bool]]:
    def like(column: Any, text: str) -> ColumnElement[bool]:
        # Any case of Latin letters ("2rs" finds "2RS"). SQLite's LIKE does that by
        # itself: lower() on every row would only slow a search down.
        if dialect == "sqlite":
            return cast(ColumnElement[bool], column.contains(text, autoescape=True))
        return cast(ColumnElement[bool], column.icontains(text, autoescape=True))

    where: list[ColumnElement[bool]] = []
    if found.filed_by_id is not None:
        where.append(Complaint.filed_by_id == found.filed_by_id)
    if found.plant is not None:
        where.append(Complaint.plant == found.plant)
    if found.grade is not None:
        where.append(Complaint.grade == found.grade)
    if found.open_only is True:
        where.append(Complaint.status.in_(OPEN_STATUSES))
    elif found.open_only is False:
        where.append(Complaint.status == ComplaintStatus.CLOSED)
    if found.customer:
        where.append(like(Complaint.customer_name, found.customer))
    if found.product:
        where.append(
            or_(
                like(Complaint.product_name, found.product),
                like(Complaint.specification, found.product),
            )
        )
    if found.since is not None:
        where.append(Complaint.received_at >= found.since)
    if found.until is not None:
        where.append(Complaint.received_at < found.until)
    if found.text:
        # One text of the fields searched, one match a row (five cost PostgreSQL twice as
        # much); a space between them keeps a field's end from joining the next's start.
        searched = (
            Complaint.number
            + " "
            + Complaint.customer_name
            + " "
            + Complaint.product_name
            + " "
            + Complaint.specification
            + " "
            + Complaint.content
        )
        where.append(like(searched, found.text))
    return where


def complaints_filtered(
    session: Session, found: ComplaintFilter, offset: int, limit: int
) -> tuple[int, Sequence[Complaint]]:
    """How many complaints pass the filter, and one page of them, newest first. A search
    reads every complaint: then the count comes beside each row of the one read; the
    other filters are an index's, and counting apart is quicker."""
    where = _filtered(found, session.get_bind().dialect.name)
    page = (
        select(Complaint)
        .where(*where)
        .options(
            selectinload(Complaint.filed_by),
            selectinload(Complaint.steps),
            selectinload(Complaint.causes),
        )
        .order_by(Complaint.received_at.desc(), Complaint.id.desc())
        .offset(offset)
        .limit(limit)
    )
    if found.text:
        # The matches first, in a scan of their own (PostgreSQL would otherwise walk the
        # whole table by the date index to count them), then the page of them.
        matched = (
            select(Complaint.id, Complaint.received_at)
            .where(*where)
            .cte("matched")
            .prefix_with("MATERIALIZED", dialect="postgresql")
        )
        newest = (matched.c.received_at.desc(), matched.c.id.desc())
        picked = session.execute(
            select(matched.c.id, func.count().over()).order_by(*newest).offset(offset).limit(limit)
        ).all()
        if picked:
            ids = [row[0] for row in picked]
            loaded = {c.id: c for c in session.scalars(page.where(Complaint.id.in_(ids)).offset(0))}
            return picked[0][1], [loaded[i] for i in ids]
    else:
        found_rows = session.scalars(page).all()
        if found_rows or offset == 0:
            count = session.scalar(select(func.count()).select_from(Complaint).where(*where))
            return count or 0, found_rows
    count = session.scalar(select(func.count()).select_from(Complaint).where(*where)) or 0
    return count, []


def open_recurring(session: Session) -> Sequence[Complaint]:
    """Open complaints filed as recurring problems, newest first."""
    return session.scalars(
        select(Complaint)
        .where(Complaint.status.in_(OPEN_STATUSES), Complaint.is_recurring.is_(True))
        .order_by(Complaint.received_at.desc(), Complaint.id.desc())
    ).all()


def complaints_received(session: Session, start: datetime, end: datetime) -> Sequence[Complaint]:
    """The register of a period: complaints received from `start` up to `end`, in order."""
    return session.scalars(
        select(Complaint)
        .where(Complaint.received_at >= start, Complaint.received_at < end)
        .options(
            selectinload(Complaint.filed_by),
            selectinload(Complaint.attachments),
            selectinload(Complaint.steps),  # whether appraised, and the recheck
            selectinload(Complaint.causes),
            selectinload(Complaint.recheck_waiting),
        )
        .order_by(Complaint.received_at, Complaint.id)
    ).all()


def complaint_facts_touching(session: Session, since: datetime, until: datetime) -> list[Row[Any]]:
    """The columns a summary of [since, until) counts, of every complaint received before
    `until` and not closed before `since` (columns, not objects: thousands are open at
    the scale of years)."""
    return list(
        session.execute(
            select(
                Complaint.number,
                Complaint.received_at,
                Complaint.closed_at,
                Complaint.grade,
                Complaint.plant,
                Complaint.customer_class,
                Complaint.customer_name,
                Complaint.product_name,
                Complaint.specification,
                Complaint.is_recurring,
                Complaint.filed_major_at,
            )
            .where(
                Complaint.received_at < until,
                or_(Complaint.closed_at.is_(None), Complaint.closed_at >= since),
            )
            .order_by(Complaint.received_at, Complaint.id)
        )
    )


def grades_received(session: Session, since: datetime, until: datetime) -> list[Row[Any]]:
    """(received at, grade) of the complaints received in [since, until)."""
    return list(
        session.execute(
            select(Complaint.received_at, Complaint.grade).where(
                Complaint.received_at >= since, Complaint.received_at < until
            )
        )
    )


def open_majors(session: Session, plan_step: str, limit: int) -> tuple[int, list[Row[Any]]]:
    """How many major problems are open, and the newest `limit` as (number, the status of
    their plan step or None)."""
    major = (Complaint.status.in_(OPEN_STATUSES), _major())
    count = session.scalar(select(func.count()).select_from(Complaint).where(*major)) or 0
    plan = (
        select(Step.status)
        .where(Step.complaint_id == Complaint.id, Step.key == plan_step)
        .order_by(Step.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Complaint.number, plan)
        .where(*major)
        .order_by(Complaint.received_at.desc(), Complaint.id.desc())
        .limit(limit)
    )
    return count, list(rows)


def steps_done_in(session: Session, since: datetime, until: datetime) -> Sequence[Step]:
    """Steps done (or done and later sent back) in [since, until), with who did them."""
    rows = session.scalars(
        select(Step)
        .where(Step.done_at >= since, Step.done_at < until)
        .options(selectinload(Step.done_by))
    ).all()
    # The status is checked here, not in SQL: with it there, SQLite without statistics
    # reads every done step through the status index instead of the week's by done_at.
    return [s for s in rows if s.status in (StepStatus.DONE, StepStatus.SUPERSEDED)]


def overdue_steps(session: Session, now: datetime, limit: int) -> tuple[int, Sequence[Step]]:
    """How many open steps are past their time, and the `limit` most overdue of them."""
    late = (Step.status == StepStatus.OPEN, Step.due_at < now)
    count = session.scalar(select(func.count()).select_from(Step).where(*late)) or 0
    rows = session.scalars(
        select(Step).where(*late).options(*_LISTED_STEP).order_by(Step.due_at, Step.id).limit(limit)
    ).all()
    return count, rows


def steps_due(session: Session, key: str, since: datetime, until: datetime) -> Sequence[Step]:
    """Steps of one kind due in [since, until) (the 48-hour answers of a week)."""
    return session.scalars(
        select(Step).where(Step.key == key, Step.due_at >= since, Step.due_at < until)
    ).all()


def items_touching(session: Session, since: datetime, until: datetime) -> Sequence[PlanItem]:
    return session.scalars(
        select(PlanItem).where(
            or_(
                (PlanItem.due_at >= since) & (PlanItem.due_at < until),
                (PlanItem.accepted_at >= since) & (PlanItem.accepted_at < until),
            )
        )
    ).all()


def earlier_complaints(
    session: Session,
    product_key: str,
    since: datetime,
    until: datetime,
    customer_id: int | None = None,
    limit: int = 5,
) -> Sequence[Complaint]:
    """Complaints about the same product received in [since, until], newest first (the
    index ix_complaint_recurrence serves this); of one customer where it is given. The
    new complaint itself is not stored yet when it is asked."""
    query = select(Complaint).where(
        Complaint.product_key == product_key,
        Complaint.received_at >= since,
        Complaint.received_at <= until,
    )
    if customer_id is not None:
        query = query.where(Complaint.customer_id == customer_id)
    return session.scalars(query.order_by(Complaint.received_at.desc()).limit(limit)).all()


def _major() -> ColumnElement[bool]:
    return (Complaint.grade == Grade.A) | Complaint.filed_major_at.is_not(None)


def count_major_complaints(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Complaint).where(_major())) or 0


def major_complaints(
    session: Session, offset: int = 0, limit: int | None = None
) -> Sequence[Complaint]:
    """The register of major problems, newest first: grade A, and those leadership filed
    as major; a page of it from `offset`, with the steps and the plan's items."""
    return session.scalars(
        select(Complaint)
        .where(_major())
        .options(
            selectinload(Complaint.filed_by),
            selectinload(Complaint.steps),
        )
        .order_by(Complaint.received_at.desc(), Complaint.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()


def suggestions(session: Session, proposed_by_id: int | None = None) -> Sequence[Suggestion]:
    query = select(Suggestion).options(
        selectinload(Suggestion.proposed_by), selectinload(Suggestion.complaint)
    )
    if proposed_by_id is not None:
        query = query.where(Suggestion.proposed_by_id == proposed_by_id)
    return session.scalars(
        query.order_by(Suggestion.proposed_at.desc(), Suggestion.id.desc())
    ).all()


def meetings(
    session: Session, filed_by_id: int | None = None, complaint_id: int | None = None
) -> Sequence[Meeting]:
    query = select(Meeting).options(
        selectinload(Meeting.complaint), selectinload(Meeting.organiser)
    )
    if filed_by_id is not None:
        query = query.join(Complaint).where(Complaint.filed_by_id == filed_by_id)
    if complaint_id is not None:
        # Its own special meeting, and the weekly meetings whose minutes name it.
        named = select(MeetingComplaint.meeting_id).where(
            MeetingComplaint.complaint_id == complaint_id
        )
        query = query.where(or_(Meeting.complaint_id == complaint_id, Meeting.id.in_(named)))
    return session.scalars(query.order_by(Meeting.at.desc())).all()


def open_meeting_of_step(session: Session, step_id: int) -> Meeting | None:
    """The step's meeting whose minutes are still to come (a new time replaces its own)."""
    return session.scalar(
        select(Meeting).where(Meeting.step_id == step_id, Meeting.recorded_at.is_(None))
    )


def last_event_at(session: Session, action: str) -> datetime | None:
    """When the last event of this kind happened (a scheduled job's last run)."""
    return session.scalar(select(func.max(Event.at)).where(Event.action == action))


def events_of(session: Session, complaint_id: int) -> Sequence[Event]:
    return session.scalars(
        select(Event)
        .where(Event.complaint_id == complaint_id)
        .options(selectinload(Event.actor))
        .order_by(Event.at, Event.id)
    ).all()


def events_named(session: Session, complaint_id: int, action: str) -> Sequence[Event]:
    """The complaint's events of one kind, oldest first."""
    return session.scalars(
        select(Event)
        .where(Event.complaint_id == complaint_id, Event.action == action)
        .order_by(Event.at, Event.id)
    ).all()


# Steps -------------------------------------------------------------------------------


def step_by_id(session: Session, step_id: int) -> Step | None:
    return session.scalar(
        select(Step)
        .where(Step.id == step_id)
        .options(selectinload(Step.complaint).selectinload(Complaint.steps))
    )


def claim_step(session: Session, step_id: int) -> bool:
    """Mark an open step done; False when another press got there first."""
    result = session.execute(
        update(Step)
        .where(Step.id == step_id, Step.status == StepStatus.OPEN)
        .values(status=StepStatus.DONE)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def cards_of_step(
    session: Session, step_id: int, purpose: Purpose = Purpose.TASK
) -> Sequence[OutboxMessage]:
    """The remembered cards of a step (its task cards, or the plan's cards of step 10)."""
    return session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.step_id == step_id, OutboxMessage.purpose == purpose)
        .order_by(OutboxMessage.id)
    ).all()


def drop_held_pings(session: Session, step_id: int, purpose: Purpose = Purpose.PING) -> None:
    """Pings of a step held for quiet hours and not sent yet: a later ping replaces them,
    and a step that is no longer open needs none; the same for a meeting's reminder.
    (Held: posted for later than it was posted, and never tried.)"""
    session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.step_id == step_id,
            OutboxMessage.purpose == purpose,
            OutboxMessage.status == DeliveryStatus.PENDING,
            OutboxMessage.attempts == 0,
            OutboxMessage.next_attempt_at > OutboxMessage.created_at,
        )
    )


def steps_to_ping(session: Session) -> list[tuple[int, datetime, int]]:
    """(step id, next ping time, pings sent) of every open step with a time limit."""
    rows = session.execute(
        select(Step.id, Step.next_ping_at, Step.pings_sent).where(
            Step.status == StepStatus.OPEN, Step.next_ping_at.is_not(None)
        )
    ).all()
    return [(row[0], row[1], row[2]) for row in rows]


def next_ping_time(session: Session) -> datetime | None:
    """When the soonest reminder or escalation of any open step falls due (the index
    ix_step_open_pings answers it without reading the steps)."""
    return session.scalar(
        select(func.min(Step.next_ping_at)).where(
            Step.status == StepStatus.OPEN, Step.next_ping_at.is_not(None)
        )
    )


def steps_due_for_ping(session: Session, now: datetime, limit: int) -> list[int]:
    """The open steps whose next ping is due by now, the longest waiting first."""
    return list(
        session.scalars(
            select(Step.id)
            .where(Step.status == StepStatus.OPEN, Step.next_ping_at <= now)
            .order_by(Step.next_ping_at, Step.id)
            .limit(limit)
        )
    )


# What a listed step shows (its complaint, who has it and did it, its special report,
# its plan item), loaded with the list rather than one query per step.
_LISTED_STEP = (
    selectinload(Step.complaint).selectinload(Complaint.attachments),
    selectinload(Step.assignee),
    selectinload(Step.done_by),
    selectinload(Step.special_reports),
    selectinload(Step.plan_item),
)


def _in_scope(scope: TaskScope) -> ColumnElement[bool]:
    """Open steps that can be the scope's person's. The complaints' side is a subquery
    (the open complaints of the plants, or filed by them), so the steps are filtered
    from the index ix_step_open_due alone."""

    def open_complaints_where(*where: ColumnElement[bool]) -> Select[tuple[int]]:
        return select(Complaint.id).where(Complaint.status.in_(OPEN_STATUSES), *where)

    plants_of: dict[frozenset[str], list[Plant]] = {}
    for plant, keys in scope.by_plant.items():
        if keys:
            plants_of.setdefault(keys, []).append(plant)
    unnamed = [
        Step.key.in_(sorted(keys))
        & Step.complaint_id.in_(open_complaints_where(Complaint.plant.in_(plants)))
        for keys, plants in plants_of.items()
    ]
    if scope.filed:
        unnamed.append(
            Step.key.in_(sorted(scope.filed))
            & Step.complaint_id.in_(open_complaints_where(Complaint.filed_by_id == scope.person_id))
        )
    mine = Step.assignee_id == scope.person_id
    if unnamed:
        mine = or_(mine, Step.assignee_id.is_(None) & or_(*unnamed))
    return (Step.status == StepStatus.OPEN) & mine


def tasks_in_scope(
    session: Session, scope: TaskScope, listed: int, counted: int
) -> tuple[int, Sequence[Step]]:
    """How many open steps the scope holds, counted up to `counted` + 1 (a list in a chat
    needs no exact count of thousands), and the `listed` most urgent: soonest due first,
    those without a limit last."""
    mine = _in_scope(scope)
    ids = list(
        session.scalars(
            select(Step.id)
            .where(mine, Step.due_at.is_not(None))
            .order_by(Step.due_at, Step.id)
            .limit(counted + 1)
        )
    )
    if len(ids) <= counted:
        ids += session.scalars(
            select(Step.id)
            .where(mine, Step.due_at.is_(None))
            .order_by(Step.id)
            .limit(counted + 1 - len(ids))
        )
    shown = ids[:listed]
    rows = session.scalars(select(Step).where(Step.id.in_(shown)).options(*_LISTED_STEP)).all()
    return len(ids), sorted(rows, key=lambda step: shown.index(step.id))


def next_ping_of(session: Session, step_id: int) -> tuple[datetime | None, int] | None:
    row = session.execute(
        select(Step.next_ping_at, Step.pings_sent, Step.status).where(Step.id == step_id)
    ).first()
    if row is None or row[2] != StepStatus.OPEN:
        return None
    return row[0], row[1]


def open_steps(session: Session) -> Sequence[Step]:
    return session.scalars(
        select(Step)
        .where(Step.status == StepStatus.OPEN)
        .options(selectinload(Step.complaint), selectinload(Step.assignee))
        .order_by(Step.due_at.is_(None), Step.due_at, Step.id)
    ).all()


# Plans ------------------------------------------------------------------------------


def plan_of(session: Session, complaint_id: int) -> Plan | None:
    return session.scalar(
        select(Plan)
        .where(Plan.complaint_id == complaint_id)
        .options(selectinload(Plan.items).selectinload(PlanItem.steps))
    )


def running_plan_items(session: Session) -> Sequence[PlanItem]:
    """Items with a task open (their work, or their acceptance), soonest due first: what
    the daily tracking (step 14) lists. Items whose plan is no longer needed are not."""
    running = (
        select(Step.id)
        .where(Step.plan_item_id == PlanItem.id, Step.status == StepStatus.OPEN)
        .exists()
    )
    return session.scalars(
        select(PlanItem)
        .join(Plan)
        .join(Complaint, Plan.complaint_id == Complaint.id)
        .where(
            PlanItem.status != ItemStatus.ACCEPTED,
            Complaint.status == ComplaintStatus.OPEN,
            running,
        )
        .options(selectinload(PlanItem.plan).selectinload(Plan.complaint))
        .order_by(PlanItem.due_at, PlanItem.id)
    ).all()


# Conversation state ----------------------------------------------------------------


def load_states(session: Session, kind: str) -> dict[str, dict[str, Any]]:
    return {
        row.key: row.data
        for row in session.scalars(select(ChatState).where(ChatState.kind == kind))
    }


def events_by_since(
    session: Session,
    action: str,
    telegram_id: int | None,
    complaint_id: int | None,
    since: datetime,
) -> Sequence[Event]:
    """Someone's events of one kind on a complaint (or on none) since a time."""
    found = select(Event).where(
        Event.action == action,
        Event.actor_telegram_id == telegram_id
        if telegram_id is not None
        else Event.actor_telegram_id.is_(None),
        Event.complaint_id == complaint_id
        if complaint_id is not None
        else Event.complaint_id.is_(None),
        Event.at >= since,
    )
    return session.scalars(found).all()


def load_state(session: Session, kind: str, key: str) -> dict[str, Any] | None:
    row = session.get(ChatState, (kind, key))
    return dict(row.data) if row is not None else None


def save_state(session: Session, kind: str, key: str, data: dict[str, Any] | None) -> None:
    """Store (or with None, forget) one user's, chat's or conversation's state."""
    row = session.get(ChatState, (kind, key))
    if data is None:
        if row is not None:
            session.delete(row)
        return
    if row is None:
        session.add(ChatState(kind=kind, key=key, data=data))
    else:
        row.data = data
        row.updated_at = utcnow()


# Outbox ------------------------------------------------------------------------------


def _waiting(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """Outbox rows still to send: a row held for later and never tried (a ping waiting for
    working hours) is not waiting yet; one waiting for a retry is."""
    return (
        OutboxMessage.status.in_(UNSENT),
        or_(OutboxMessage.attempts > 0, OutboxMessage.next_attempt_at <= now),
    )


def unsent_outbox(
    session: Session, now: datetime, limit: int = 200, chat_id: int | None = None
) -> Sequence[OutboxMessage]:
    """Rows not yet delivered, oldest first; a row left "sending" by a crash is sent again.

    A row held for later that was never tried (a ping waiting for working hours)
    is left out until its time: it holds up no one. A row waiting to be tried
    again is in, so that its chat's later rows keep their order behind it.
    """
    query = select(OutboxMessage).where(*_waiting(now))
    if chat_id is not None:
        query = query.where(OutboxMessage.chat_id == chat_id)
    return session.scalars(query.order_by(OutboxMessage.id).limit(limit)).all()


def chats_with_unsent(session: Session, now: datetime) -> list[tuple[int, datetime]]:
    """Every chat with rows to send, and when its earliest such row may go: one line per
    chat however many rows wait, so that no chat's backlog hides another chat."""
    waiting = _waiting(now)
    first = (
        select(func.min(OutboxMessage.id).label("id"))
        .where(*waiting)
        .group_by(OutboxMessage.chat_id)
        .subquery()
    )
    rows = session.execute(
        select(OutboxMessage.chat_id, OutboxMessage.next_attempt_at)
        .join(first, OutboxMessage.id == first.c.id)
        .order_by(OutboxMessage.id)
    )
    return [(chat_id, at) for chat_id, at in rows]


def next_outbox_due(session: Session) -> datetime | None:
    return session.scalar(
        select(func.min(OutboxMessage.next_attempt_at)).where(OutboxMessage.status.in_(UNSENT))
    )


def claim_outbox(session: Session, outbox_id: int, now: datetime) -> bool:
    """Mark one row as being sent; False when another sender took it first."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == outbox_id,
            OutboxMessage.status.in_(UNSENT),
            OutboxMessage.next_attempt_at <= now,
        )
        .values(status=DeliveryStatus.SENDING, attempts=OutboxMessage.attempts + 1)
    )
    return bool(getattr(result, "rowcount", 0))


def outbox_for_complaint(session: Session, complaint_id: int) -> Sequence[OutboxMessage]:
    return session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.complaint_id == complaint_id)
        .order_by(OutboxMessage.id)
    ).all()


# Health -----------------------------------------------------------------------------


def outbox_health(
    session: Session, now: datetime, since: datetime
) -> tuple[int, datetime | None, int]:
    """Rows waiting to go now (held rows, such as pings waiting for working hours, are not
    waiting), when the oldest of them was written, and rows failed since `since`."""
    waiting = _waiting(now)
    backlog, oldest = session.execute(
        select(func.count(), func.min(OutboxMessage.created_at)).where(*waiting)
    ).one()
    failed = session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.status == DeliveryStatus.FAILED, OutboxMessage.created_at >= since)
    )
    return backlog or 0, oldest, failed or 0


def ping_events_since(session: Session, since: datetime) -> Sequence[Event]:
    return session.scalars(
        select(Event)
        .where(Event.action == "ping", Event.at >= since)
        .options(selectinload(Event.complaint))
        .order_by(Event.id)
    ).all()


def pings_since(session: Session, since: datetime) -> list[bool]:
    """Whether each ping sent since then went late (missed while the bot was down)."""
    details = session.scalars(
        select(Event.detail).where(Event.action == "ping", Event.at >= since)
    ).all()
    return [bool(detail.get("late")) for detail in details]


def last_action_by_a_person(session: Session) -> datetime | None:
    return session.scalar(select(func.max(Event.at)).where(Event.actor_id.is_not(None)))


# Files kept in Kesu's own store ------------------------------------------------------


def keep_file(
    session: Session,
    file_id: str,
    kind: FileKind,
    now: datetime,
    *,
    file_name: str | None = None,
    mime_type: str | None = None,
    complaint_id: int | None = None,
) -> bool:
    """Mark a file to be downloaded into the store; False when it is known already."""
    if session.scalar(select(KeptFile.id).where(KeptFile.file_id == file_id)) is not None:
        return False
    session.add(
        KeptFile(
            file_id=file_id,
            kind=kind,
            file_name=file_name,
            mime_type=mime_type,
            complaint_id=complaint_id,
            status=KeepStatus.WAITING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )
    return True


def files_to_keep(session: Session, now: datetime, limit: int) -> Sequence[int]:
    return session.scalars(
        select(KeptFile.id)
        .where(KeptFile.status == KeepStatus.WAITING, KeptFile.next_attempt_at <= now)
        .order_by(KeptFile.next_attempt_at, KeptFile.id)
        .limit(limit)
    ).all()


def next_file_to_keep(session: Session) -> datetime | None:
    return session.scalar(
        select(func.min(KeptFile.next_attempt_at)).where(KeptFile.status == KeepStatus.WAITING)
    )


def kept_file(session: Session, file_id: str) -> KeptFile | None:
    return session.scalar(select(KeptFile).where(KeptFile.file_id == file_id))


def kept_files_of(session: Session, complaint_ids: Iterable[int]) -> dict[int, list[KeptFile]]:
    """Each complaint's kept files, in the order they came."""
    found: dict[int, list[KeptFile]] = {}
    ids = list(complaint_ids)
    for start in range(0, len(ids), 500):
        for kept in session.scalars(
            select(KeptFile)
            .where(KeptFile.complaint_id.in_(ids[start : start + 500]))
            .order_by(KeptFile.id)
        ):
            assert kept.complaint_id is not None
            found.setdefault(kept.complaint_id, []).append(kept)
    return found


def next_step_due(session: Session, now: datetime) -> datetime | None:
    """When the next open step (a plan item's included) falls due after now."""
    return session.scalar(
        select(func.min(Step.due_at)).where(Step.status == StepStatus.OPEN, Step.due_at > now)
    )


def last_outbox_id(session: Session) -> int:
    return session.scalar(select(func.max(OutboxMessage.id))) or 0


def outbox_after(session: Session, after_id: int, limit: int) -> Sequence[OutboxMessage]:
    """What was posted after a row (the sandbox's jump of the clock lists it), oldest first."""
    return session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.id > after_id)
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()


def extensions_decided(
    session: Session, since: datetime, until: datetime
) -> Sequence[ExtensionRequest]:
    """Extension requests decided in [since, until), with their steps (the summary)."""
    return session.scalars(
        select(ExtensionRequest)
        .where(ExtensionRequest.decided_at >= since, ExtensionRequest.decided_at < until)
        .options(selectinload(ExtensionRequest.step))
    ).all()


def snoozed_until(session: Session, step_id: int, now: datetime) -> datetime | None:
    """Until when the step's reminders are silenced, if they are now."""
    return session.scalar(
        select(func.max(Snooze.until)).where(Snooze.step_id == step_id, Snooze.until > now)
    )


# Digests and boards -------------------------------------------------------------------


def chat_notices(session: Session, chat_id: int) -> ChatNotices:
    """The chat's reminder bookkeeping, made at first use."""
    found = session.get(ChatNotices, chat_id)
    if found is None:
        found = ChatNotices(chat_id=chat_id)
        session.add(found)
        session.flush()
    return found


def waiting_pings(session: Session, chat_id: int) -> Sequence[QueuedPing]:
    """The chat's pings not carried by a message yet, oldest first."""
    return session.scalars(
        select(QueuedPing)
        .where(QueuedPing.chat_id == chat_id, QueuedPing.sent_as.is_(None))
        .options(selectinload(QueuedPing.step).selectinload(Step.complaint))
        .order_by(QueuedPing.id)
    ).all()


def waiting_ping(session: Session, chat_id: int, step_id: int) -> QueuedPing | None:
    return session.scalar(
        select(QueuedPing).where(
            QueuedPing.chat_id == chat_id,
            QueuedPing.step_id == step_id,
            QueuedPing.sent_as.is_(None),
        )
    )


def chats_waiting(
    session: Session,
) -> list[tuple[int, bool, datetime, datetime | None, date | None, int, bool]]:
    """Each chat with pings waiting, news and repeats apart: (chat id, whether repeats,
    when the earliest may go, when the chat's last reminder message went, the day of
    that message, how many went that day, whether an overdue notice waits)."""
    overdue = func.max(case((QueuedPing.kind == PingKind.OVERDUE.value, 1), else_=0))
    rows = session.execute(
        select(
            QueuedPing.chat_id,
            QueuedPing.repeat,
            func.min(QueuedPing.may_go_at),
            ChatNotices.last_sent_at,
            ChatNotices.sent_day,
            ChatNotices.sent_that_day,
            overdue,
        )
        .outerjoin(ChatNotices, ChatNotices.chat_id == QueuedPing.chat_id)
        .where(QueuedPing.sent_as.is_(None))
        .group_by(
            QueuedPing.chat_id,
            QueuedPing.repeat,
            ChatNotices.last_sent_at,
            ChatNotices.sent_day,
            ChatNotices.sent_that_day,
        )
    ).all()
    return [
        (chat_id, repeat, earliest, last, day, sent or 0, bool(late))
        for chat_id, repeat, earliest, last, day, sent, late in rows
    ]


def pinged_before(session: Session, complaint_id: int, chat_id: int, kinds: Iterable[str]) -> bool:
    """Whether this chat was given one of these kinds of ping about the complaint."""
    return (
        session.scalar(
            select(QueuedPing.id)
            .where(
                QueuedPing.complaint_id == complaint_id,
                QueuedPing.chat_id == chat_id,
                QueuedPing.kind.in_(list(kinds)),
            )
            .limit(1)
        )
        is not None
    )


def boards(session: Session) -> Sequence[ChatNotices]:
    return session.scalars(
        select(ChatNotices)
        .where(ChatNotices.board_row_id.is_not(None))
        .order_by(ChatNotices.chat_id)
    ).all()


def drop_unsent(session: Session, chat_id: int, purposes: Iterable[Purpose]) -> list[int]:
    """Rows of these kinds for the chat not claimed yet: a newer one replaces them.
    Returns their ids."""
    ids = list(
        session.scalars(
            select(OutboxMessage.id).where(
                OutboxMessage.chat_id == chat_id,
                OutboxMessage.purpose.in_(list(purposes)),
                OutboxMessage.status == DeliveryStatus.PENDING,
            )
        )
    )
    if ids:
        session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(ids)))
    return ids


def drop_unsent_reminders(session: Session, chat_id: int, carried_as: Iterable[str]) -> None:
    """The chat's reminder messages (alone or digests) not claimed by the sender yet: a
    newer one replaces them, so the pings they carried wait again."""
    carried = list(carried_as)
    rows = select(QueuedPing.message_row_id).where(
        QueuedPing.chat_id == chat_id, QueuedPing.sent_as.in_(carried)
    )
    ids = list(
        session.scalars(
            select(OutboxMessage.id).where(
                OutboxMessage.chat_id == chat_id,
                OutboxMessage.purpose == Purpose.PING,
                OutboxMessage.status == DeliveryStatus.PENDING,
                OutboxMessage.id.in_(rows),
            )
        )
    )
    if not ids:
        return
    session.execute(
        update(QueuedPing)
        .where(QueuedPing.message_row_id.in_(ids), QueuedPing.sent_as.in_(carried))
        .values(sent_as=None, message_row_id=None)
    )
    session.execute(
        update(QueuedPing).where(QueuedPing.message_row_id.in_(ids)).values(message_row_id=None)
    )
    session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(ids)))


def forget_waiting_pings(session: Session, step_id: int) -> None:
    """The step's limit moved: the pings that waited for its old limit are void."""
    session.execute(
        delete(QueuedPing).where(QueuedPing.step_id == step_id, QueuedPing.sent_as.is_(None))
    )


def outbox_message_id(session: Session, row_id: int) -> int | None:
    """Telegram's id of the message an outbox row became (None: not sent yet)."""
    return session.scalar(select(OutboxMessage.message_id).where(OutboxMessage.id == row_id))


def told_late(session: Session, step_id: int) -> set[int]:
    """The chats that have heard that the step is late (its overdue notice or an
    escalation went to them)."""
    return set(
        session.scalars(
            select(QueuedPing.chat_id).where(
                QueuedPing.step_id == step_id,
                QueuedPing.kind.in_([PingKind.OVERDUE.value, PingKind.ESCALATION.value]),
                QueuedPing.message_row_id.is_not(None),
            )
        )
    )


def carried_by(session: Session, row_id: int) -> Sequence[QueuedPing]:
    """The pings an outbox row carries (a reminder alone, or a digest)."""
    return session.scalars(
        select(QueuedPing)
        .where(QueuedPing.message_row_id == row_id)
        .options(selectinload(QueuedPing.step).selectinload(Step.complaint))
        .order_by(QueuedPing.id)
    ).all()


def open_step_groups(session: Session, now: datetime, soon: datetime) -> list[Row[Any]]:
    """Open steps counted by what decides their chats (kind, plant, filer, assignee):
    how many, how many fall due by `soon`, how many are past their time."""
    return list(
        session.execute(
            select(
                Step.key.label("key"),
                Complaint.plant.label("plant"),
                Complaint.filed_by_id.label("filed_by_id"),
                Step.assignee_id.label("assignee_id"),
                func.count().label("open_steps"),
                func.count().filter((Step.due_at > now) & (Step.due_at <= soon)).label("due_soon"),
                func.count().filter(Step.due_at <= now).label("overdue"),
            )
            .join(Complaint, Step.complaint_id == Complaint.id)
            .where(Step.status == StepStatus.OPEN)
            .group_by(Step.key, Complaint.plant, Complaint.filed_by_id, Step.assignee_id)
        )
    )


def most_overdue_steps(session: Session, now: datetime, limit: int) -> Sequence[Step]:
    """The open steps longest past their time, the latest first (the boards name them)."""
    return session.scalars(
        select(Step)
        .where(Step.status == StepStatus.OPEN, Step.due_at <= now)
        .options(*_LISTED_STEP)
        .order_by(Step.due_at, Step.id)
        .limit(limit)
    ).all()


def hold_waiting_pings(
    session: Session, step_id: int, chat_ids: Iterable[int], until: datetime
) -> None:
    """The step's pings waiting for these chats go no sooner than `until` (a snooze)."""
    session.execute(
        update(QueuedPing)
        .where(
            QueuedPing.step_id == step_id,
            QueuedPing.chat_id.in_(list(chat_ids)),
            QueuedPing.sent_as.is_(None),
            QueuedPing.may_go_at < until,
        )
        .values(may_go_at=until)
    )


# Causes and costs --------------------------------------------------------------------


def complaint_ids_received(
    session: Session, since: datetime, until: datetime
) -> list[tuple[int, str, str]]:
    """(id, customer, "product specification") of the complaints received in [since, until)."""
    rows = session.execute(
        select(
            Complaint.id,
            Complaint.customer_name,
            Complaint.product_name,
            Complaint.specification,
        ).where(Complaint.received_at >= since, Complaint.received_at < until)
    ).all()
    return [(i, customer, f"{name} {spec}") for i, customer, name, spec in rows]


def causes_received(session: Session, since: datetime, until: datetime) -> list[tuple[int, str]]:
    """(complaint id, cause key) of the complaints received in [since, until)."""
    rows = session.execute(
        select(ComplaintCause.complaint_id, ComplaintCause.cause)
        .join(Complaint, Complaint.id == ComplaintCause.complaint_id)
        .where(Complaint.received_at >= since, Complaint.received_at < until)
    ).all()
    return [(complaint_id, cause) for complaint_id, cause in rows]


def costs_received_when(
    session: Session, since: datetime, until: datetime
) -> list[tuple[int, datetime, str, Any]]:
    """(complaint id, received at, kind, amount) of every cost entry of the complaints
    received in [since, until), oldest first (a later entry of a kind stands)."""
    rows = session.execute(
        select(CostEntry.complaint_id, Complaint.received_at, CostEntry.kind, CostEntry.amount)
        .join(Complaint, Complaint.id == CostEntry.complaint_id)
        .where(Complaint.received_at >= since, Complaint.received_at < until)
        .order_by(CostEntry.id)
    ).all()
    return [(i, received_at, kind, amount) for i, received_at, kind, amount in rows]


def costs_received(
    session: Session, since: datetime, until: datetime
) -> list[tuple[int, str, Any]]:
    """(complaint id, kind, amount) of every cost entry of the complaints received in
    [since, until), oldest first (a later entry of a kind stands)."""
    rows = session.execute(
        select(CostEntry.complaint_id, CostEntry.kind, CostEntry.amount)
        .join(Complaint, Complaint.id == CostEntry.complaint_id)
        .where(Complaint.received_at >= since, Complaint.received_at < until)
        .order_by(CostEntry.id)
    ).all()
    return [(complaint_id, kind, amount) for complaint_id, kind, amount in rows]


def rechecks_due(session: Session, now: datetime) -> list[RecheckDue]:
    """The rechecks that have fallen due and are not open yet, the oldest first."""
    return list(
        session.scalars(
            select(RecheckDue).where(RecheckDue.due_at <= now).order_by(RecheckDue.due_at)
        )
    )


def set_recheck(session: Session, complaint: Complaint, due_at: datetime) -> None:
    """The complaint's recheck falls due then (a later sign-off moves it)."""
    found = session.scalars(select(RecheckDue).where(RecheckDue.complaint_id == complaint.id))
    row = found.first()
    if row is None:
        session.add(RecheckDue(complaint=complaint, due_at=due_at))
    else:
        row.due_at = due_at


def rechecks_waiting(session: Session) -> int:
    """Rechecks a month on set and not answered: waiting to fall due, or open with QC."""
    waiting = session.scalar(select(func.count()).select_from(RecheckDue)) or 0
    open_now = select(func.count()).select_from(Step)
    open_now = open_now.where(Step.key == RECHECK, Step.status == StepStatus.OPEN)
    return waiting + (session.scalar(open_now) or 0)


def recheck_due_of(session: Session, complaint_id: int) -> RecheckDue | None:
    """The complaint's recheck waiting to fall due, if one is."""
    return session.scalar(select(RecheckDue).where(RecheckDue.complaint_id == complaint_id))


def _rechecking() -> ColumnElement[bool]:
    """The complaints whose recheck waits or is open: the window of a recurrence."""
    open_now = select(Step.complaint_id).where(Step.key == RECHECK, Step.status == StepStatus.OPEN)
    return or_(Complaint.id.in_(select(RecheckDue.complaint_id)), Complaint.id.in_(open_now))


def _under_recheck(
    session: Session, customer_id: int, besides: int, matching: ColumnElement[bool]
) -> list[Complaint]:
    """The customer's other complaints that match and whose fix waits for its recheck
    (or is being rechecked), the oldest first."""
    return list(
        session.scalars(
            select(Complaint)
            .where(
                Complaint.customer_id == customer_id,
                Complaint.id != besides,
                matching,
                _rechecking(),
            )
            .order_by(Complaint.received_at)
        )
    )


def under_recheck_by_cause(
    session: Session, customer_id: int, causes: Sequence[str], besides: int
) -> list[Complaint]:
    """Those of `_under_recheck` with one of these cause categories."""
    if not causes:
        return []
    shared = select(ComplaintCause.complaint_id).where(ComplaintCause.cause.in_(causes))
    return _under_recheck(session, customer_id, besides, Complaint.id.in_(shared))


def under_recheck(
    session: Session, customer_id: int, product_name: str, specification: str, besides: int
) -> list[Complaint]:
    """Those of `_under_recheck` on the same product or specification."""
    same = or_(Complaint.product_name == product_name, Complaint.specification == specification)
    return _under_recheck(session, customer_id, besides, same)
