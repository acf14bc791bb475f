"""SQLAlchemy 2 typed models. Every timestamp is time-zone aware."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.procedure.costs import CostKind
from bot.procedure.extensions import ExtensionStatus
from bot.procedure.grading import CustomerClass, Demand, Grade, Plant
from bot.procedure.intake import FileKind
from bot.procedure.meetings import MeetingKind
from bot.procedure.plans import ItemStatus
from bot.procedure.resources import ReportStatus
from bot.procedure.roles import Role
from bot.procedure.routing import Group
from bot.procedure.signatures import Meaning
from bot.procedure.steps import ComplaintStatus, Outcome, StepStatus
from bot.procedure.suggestions import SuggestionStatus

# Named constraints so Alembic migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class AwareDateTime(TypeDecorator[datetime]):
    """Stores UTC; SQLite keeps no zone, so it is put back on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to an aware column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Method(StrEnum):
    """What the sender does with an outbox row."""

    MESSAGE = "message"
    PHOTO = "photo"
    DOCUMENT = "document"
    EDIT = "edit"  # edit a remembered card in place


class Purpose(StrEnum):
    """Why an outbox row exists: the admins' alert names it, edits are never alerted."""

    CARD = "card"  # the complaint card
    REPORT = "report"  # the disposition report
    ATTACHMENT = "attachment"
    TASK = "task"  # a step's task card, remembered
    TASK_EDIT = "task_edit"
    PING = "ping"  # reminder, overdue notice, escalation
    SPECIAL_REPORT = "special_report"
    RESULT = "result"  # a step's result for those the procedure sends it to
    CLOSURE = "closure"  # the closure card: total time, limits missed
    SUGGESTION = "suggestion"  # 合理化建议 to leadership, their answer to the proposer
    MEETING = "meeting"  # a meeting's invitation, reminder and minutes
    PLAN = "plan"  # the plan card (remembered by the plan step's id), edited in place
    PLAN_EDIT = "plan_edit"
    DIGEST = "digest"  # the daily tracking of plan items (step 14)
    REGISTER = "register"  # the month-end complaint register
    SUMMARY = "summary"  # the weekly summary to leadership
    ADMIN = "admin"  # a delivery failed
    PEOPLE = "people"  # someone enrolled, or their role changed
    EXTENSION = "extension"  # an extension request to whom decides it, and its decision
    BOARD = "board"  # a chat's board of open and overdue steps, pinned
    BOARD_EDIT = "board_edit"  # the board brought up to date, in place


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by the sender; sent again if the process died
    SENT = "sent"
    FAILED = "failed"


def enum_column(kind: type[StrEnum], length: int, *, checked: bool = True) -> Enum:
    """A StrEnum stored as its value in a VARCHAR, with a CHECK constraint where
    the vocabulary is settled. Vocabularies that grow with features (a step's
    outcomes, the kinds of notification) are checked by the ORM only, so a new
    outcome needs no migration."""
    return Enum(
        kind,
        name=kind.__name__.lower(),
        native_enum=False,
        create_constraint=checked,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class DemandList(TypeDecorator[list[Demand]]):
    """The customer's demands, stored comma separated as they always were."""

    impl = String(120)
    cache_ok = True

    def process_bind_param(self, value: list[Demand] | None, dialect: Dialect) -> str | None:
        return None if value is None else ",".join(Demand(d).value for d in value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> list[Demand] | None:
        return None if value is None else [Demand(d) for d in value.split(",") if d]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: AwareDateTime(), dict[str, Any]: JSON()}  # noqa: RUF012


class Person(Base):
    """Everyone Kesu knows: the people of the configuration file (mirrored at each
    start, the file winning for whom it names) and those enrolled in Telegram by an
    admin's invitation, who stay whatever the file says. Nobody is deleted: who left
    is inactive, so the history still names them."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[Role] = mapped_column(enum_column(Role, 32))
    plant: Mapped[Plant | None] = mapped_column(enum_column(Plant, 16))
    language: Mapped[str | None] = mapped_column(String(8))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # /settings: pinged at night too, for everything (quiet hours do not hold theirs).
    night_pings: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Named in the configuration file (which wins at the next start) or enrolled in Telegram.
    from_file: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class Chat(Base):
    """The group chat of each purpose (sales, qc, ...) and plant: named in the
    configuration file, or bound in Telegram by an admin's /bindchat."""

    __tablename__ = "chat"
    __table_args__ = (UniqueConstraint("purpose", "plant"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger)
    purpose: Mapped[Group] = mapped_column(enum_column(Group, 16))
    plant: Mapped[str] = mapped_column(String(16), default="")  # "" for company-wide groups
    from_file: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class Invite(Base):
    """An admin's one-time link (/invite): whoever opens it first, before it expires,
    is enrolled with its role and plant."""

    __tablename__ = "invite"

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the link's token: whoever reads the database cannot enrol with it.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, 32))
    plant: Mapped[Plant | None] = mapped_column(enum_column(Plant, 16))
    made_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    made_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]  # withdrawn by an admin (/invite revoke N)

    made_by: Mapped[Person] = relationship(foreign_keys=[made_by_id])


class ChatMigration(Base):
    """A group Telegram upgraded to a supergroup: its old id and its new one. Kesu sends
    to the new id from then on, and maps the old id in the configuration to it."""

    __tablename__ = "chat_migration"

    old_telegram_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    new_telegram_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(AwareDateTime())


class Customer(Base):
    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)  # 客户名称(代号)
    customer_class: Mapped[CustomerClass] = mapped_column(enum_column(CustomerClass, 1))  # 顾客类别
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ComplaintCounter(Base):
    """Last number given out per year: numbers are never reused."""

    __tablename__ = "complaint_counter"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer)


class Complaint(Base):
    """One row of 《客户投诉统计表》 with the fields of the disposition report."""

    __tablename__ = "complaint"
    __table_args__ = (
        UniqueConstraint("year", "sequence"),
        # Recurrence: the same product received lately (bot/procedure/recurrence.py).
        Index("ix_complaint_recurrence", "product_key", "received_at"),
        # The register of a month, the summary's weeks.
        Index("ix_complaint_received_at", "received_at"),
        # /list: the open complaints newest first, and how many.
        Index("ix_complaint_status_received", "status", "received_at"),
        # /mytasks: the open complaints of a plant, or of a salesperson.
        Index("ix_complaint_status_plant", "status", "plant", "filed_by_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)  # 编号
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime]  # T0 时间
    occurred_at: Mapped[datetime]  # Tocc, defaults to T0
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    customer_name: Mapped[str] = mapped_column(String(100))  # as filed
    customer_class: Mapped[CustomerClass] = mapped_column(enum_column(CustomerClass, 1))
    contact_phone: Mapped[str] = mapped_column(String(40))
    content: Mapped[str] = mapped_column(Text)  # 投诉内容及要求
    demands: Mapped[list[Demand]] = mapped_column(DemandList())
    grade: Mapped[Grade] = mapped_column(enum_column(Grade, 1))  # 问题性质
    is_batch: Mapped[bool] = mapped_column(Boolean)
    is_recurring: Mapped[bool] = mapped_column(Boolean)
    is_return: Mapped[bool] = mapped_column(Boolean)
    is_serious: Mapped[bool] = mapped_column(Boolean)
    # QC's answer at the appraisal (step 3): can it be solved the same day? None until then.
    solvable_today: Mapped[bool | None] = mapped_column(Boolean)
    # 重大质量问题备案: when leadership filed it as a major problem (grade A ones are).
    filed_major_at: Mapped[datetime | None]
    plant: Mapped[Plant] = mapped_column(enum_column(Plant, 16))  # 产品生产供货责任
    product_name: Mapped[str] = mapped_column(String(200))
    specification: Mapped[str] = mapped_column(String(200))
    product_key: Mapped[str] = mapped_column(String(420), default="", server_default="")
    # The earlier complaints about the same product that made it recurring (numbers).
    recurs_after: Mapped[list[str]] = mapped_column(JSON, default=list)
    quantity: Mapped[Decimal] = mapped_column(Numeric(18, 3))
    quantity_unit: Mapped[str] = mapped_column(String(20), default="")
    delivery_date: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text)  # 产品质量问题描述
    cause_analysis: Mapped[str | None] = mapped_column(Text)  # 质量问题因素分析
    corrective_proposal: Mapped[str | None] = mapped_column(Text)  # 整治纠正方法建议
    verification: Mapped[str | None] = mapped_column(Text)  # 整治效果的验证
    status: Mapped[ComplaintStatus] = mapped_column(
        enum_column(ComplaintStatus, 16), default=ComplaintStatus.OPEN
    )
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]

    customer: Mapped[Customer] = relationship()
    filed_by: Mapped[Person] = relationship()
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="complaint", order_by="Attachment.id"
    )
    steps: Mapped[list[Step]] = relationship(back_populates="complaint", order_by="Step.id")
    causes: Mapped[list[ComplaintCause]] = relationship(
        back_populates="complaint", order_by="ComplaintCause.id", cascade="all, delete-orphan"
    )
    signatures: Mapped[list[Signature]] = relationship(
        back_populates="complaint", order_by="Signature.id"
    )
    costs: Mapped[list[CostEntry]] = relationship(
        back_populates="complaint", order_by="CostEntry.id"
    )
    # The recheck a month on waiting to fall due, if one is (bot/services/rechecks.py).
    recheck_waiting: Mapped[RecheckDue | None] = relationship(viewonly=True)


class ComplaintCause(Base):
    """A cause category QC named at the appraisal (bot/procedure/causes.py): one row
    each, so causes are counted with one GROUP BY (the Pareto, the register)."""

    __tablename__ = "complaint_cause"
    __table_args__ = (UniqueConstraint("complaint_id", "cause"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), index=True)
    cause: Mapped[str] = mapped_column(String(16))
    chosen_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    chosen_at: Mapped[datetime]

    complaint: Mapped[Complaint] = relationship(back_populates="causes")
    chosen_by: Mapped[Person] = relationship()


class CostEntry(Base):
    """A figure of the cost of poor quality (bot/procedure/costs.py): a quantity or an
    amount of yuan, who recorded it, when, at which step or with which reason. The
    latest of a kind stands for the complaint; the earlier stay as the record."""

    __tablename__ = "cost_entry"
    __table_args__ = (Index("ix_cost_entry_complaint_kind", "complaint_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"))
    kind: Mapped[CostKind] = mapped_column(enum_column(CostKind, 16))
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 3))
    unit: Mapped[str] = mapped_column(String(16), default="")
    entered_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    entered_at: Mapped[datetime]
    step_id: Mapped[int | None] = mapped_column(ForeignKey("step.id"))
    reason: Mapped[str | None] = mapped_column(Text)

    complaint: Mapped[Complaint] = relationship(back_populates="costs")
    entered_by: Mapped[Person] = relationship()


class RecheckDue(Base):
    """The verification signed off effective: QC recheck that the fix held when this
    falls due (bot/services/rechecks.py opens the task, and the row goes)."""

    __tablename__ = "recheck_due"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), unique=True)
    due_at: Mapped[datetime] = mapped_column(index=True)

    complaint: Mapped[Complaint] = relationship()


class Signature(Base):
    """A signature that says what it means (bot/procedure/signatures.py): who, when, the
    meaning, and what was signed (a step, a plan item, a special report); its event
    says from where. Never changed: a later act signs anew."""

    __tablename__ = "signature"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), index=True)
    meaning: Mapped[Meaning] = mapped_column(enum_column(Meaning, 24))
    signed_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    signed_at: Mapped[datetime]
    step_id: Mapped[int | None] = mapped_column(ForeignKey("step.id"))
    plan_item_id: Mapped[int | None] = mapped_column(ForeignKey("plan_item.id"))
    report_id: Mapped[int | None] = mapped_column(ForeignKey("special_report.id"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"))

    complaint: Mapped[Complaint] = relationship(back_populates="signatures")
    signed_by: Mapped[Person] = relationship()
    step: Mapped[Step | None] = relationship()
    plan_item: Mapped[PlanItem | None] = relationship()


class Attachment(Base):
    """The customer's letter and photos, kept as Telegram file ids."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), index=True)
    kind: Mapped[FileKind] = mapped_column(enum_column(FileKind, 16))
    file_id: Mapped[str] = mapped_column(String(255))
    file_unique_id: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str | None] = mapped_column(String(255))
    mime_type: Mapped[str | None] = mapped_column(String(128))

    complaint: Mapped[Complaint] = relationship(back_populates="attachments")


class KeepStatus(StrEnum):
    """A file's copy in Kesu's own store (`[files] store`)."""

    WAITING = "waiting"  # to be downloaded from Telegram
    KEPT = "kept"
    FAILED = "failed"  # Telegram would not give it (too big, gone): the admins were told


class KeptFile(Base):
    """A file people sent (the customer's letter and photos, a step's report, a special
    report, a meeting's minutes), downloaded into Kesu's own store so that the register,
    /show and the outbox still have it after Telegram forgets the file id."""

    __tablename__ = "kept_file"
    __table_args__ = (Index("ix_kept_file_waiting", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[FileKind] = mapped_column(enum_column(FileKind, 16, checked=False))
    file_name: Mapped[str | None] = mapped_column(String(255))
    mime_type: Mapped[str | None] = mapped_column(String(128))
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id"), index=True)
    status: Mapped[KeepStatus] = mapped_column(enum_column(KeepStatus, 16, checked=False))
    path: Mapped[str | None] = mapped_column(String(512))  # relative to the store
    size: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    kept_at: Mapped[datetime | None]

    complaint: Mapped[Complaint | None] = relationship()


class Step(Base):
    """One step of the procedure for one complaint (PROCEDURE.md section 4).

    Due times and the reminder sequence live here: the scheduler only pokes.
    """

    __tablename__ = "step"
    __table_args__ = (
        Index("ix_step_open_pings", "status", "next_ping_at"),
        # The weekly summary: steps done in a week, and the answers due in it.
        Index("ix_step_done_at", "done_at"),
        Index("ix_step_key_due", "key", "due_at"),
        # /mytasks and /overdue: open steps soonest due first, with all that decides
        # whose they are (and the id, which PostgreSQL does not keep in an index by
        # itself), so the list is read from the index alone.
        Index("ix_step_open_due", "status", "due_at", "key", "assignee_id", "complaint_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), index=True)
    key: Mapped[str] = mapped_column(String(32))  # step id of the table
    status: Mapped[StepStatus] = mapped_column(enum_column(StepStatus, 16))
    opened_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    outcome: Mapped[Outcome | None] = mapped_column(enum_column(Outcome, 16, checked=False))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    note: Mapped[str | None] = mapped_column(Text)
    file_id: Mapped[str | None] = mapped_column(String(255))
    # Photo or document (None for files kept before it was recorded): /show resends it.
    file_kind: Mapped[FileKind | None] = mapped_column(enum_column(FileKind, 16, checked=False))
    blocked_reason: Mapped[str | None] = mapped_column(Text)
    pings_sent: Mapped[int] = mapped_column(Integer, default=0)
    next_ping_at: Mapped[datetime | None]
    # A plan item's task (its work, or its acceptance): which item.
    plan_item_id: Mapped[int | None] = mapped_column(ForeignKey("plan_item.id"), index=True)

    complaint: Mapped[Complaint] = relationship(back_populates="steps")
    plan_item: Mapped[PlanItem | None] = relationship(back_populates="steps")
    done_by: Mapped[Person | None] = relationship(foreign_keys=[done_by_id])
    assignee: Mapped[Person | None] = relationship(foreign_keys=[assignee_id])
    special_reports: Mapped[list[SpecialReport]] = relationship(
        back_populates="step", order_by="SpecialReport.id"
    )
    extension_requests: Mapped[list[ExtensionRequest]] = relationship(
        back_populates="step", order_by="ExtensionRequest.id"
    )


class SpecialReport(Base):
    """书面专项报告: a fix blocked by technology, equipment or materials; the leader asks
    the GM for resources, and the GM's answer goes back to them and to sales."""

    __tablename__ = "special_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), index=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("step.id"))
    written_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    written_at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text)  # "" when the report is a document alone
    file_id: Mapped[str | None] = mapped_column(String(255))
    file_kind: Mapped[FileKind | None] = mapped_column(enum_column(FileKind, 16))
    status: Mapped[ReportStatus] = mapped_column(enum_column(ReportStatus, 16))
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    answered_at: Mapped[datetime | None]

    complaint: Mapped[Complaint] = relationship()
    step: Mapped[Step] = relationship(back_populates="special_reports")
    written_by: Mapped[Person] = relationship(foreign_keys=[written_by_id])
    answered_by: Mapped[Person | None] = relationship(foreign_keys=[answered_by_id])


class ExtensionRequest(Base):
    """申请延期: the owner of a step asks for a later limit; the leading VP (the GM for a
    VP's own step) approves or refuses it."""

    __tablename__ = "extension_request"
    __table_args__ = (Index("ix_extension_step_status", "step_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), index=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("step.id"))
    asked_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    asked_at: Mapped[datetime]
    old_due: Mapped[datetime]
    new_due: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[ExtensionStatus] = mapped_column(enum_column(ExtensionStatus, 16))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    decided_at: Mapped[datetime | None]

    complaint: Mapped[Complaint] = relationship()
    step: Mapped[Step] = relationship(back_populates="extension_requests")
    asked_by: Mapped[Person] = relationship(foreign_keys=[asked_by_id])
    decided_by: Mapped[Person | None] = relationship(foreign_keys=[decided_by_id])


class Snooze(Base):
    """A step's reminders silenced for a while by someone who may act on it (an hour, or
    until the next working morning); its escalations to the VP go on regardless."""

    __tablename__ = "snooze"
    __table_args__ = (Index("ix_snooze_step_until", "step_id", "until"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("step.id"))
    by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    at: Mapped[datetime]
    until: Mapped[datetime]

    step: Mapped[Step] = relationship()
    by: Mapped[Person] = relationship()


class QueuedPing(Base):
    """A reminder or escalation that fell due for a chat: waiting for the chat's next
    message (a digest, or alone), then kept with the message that carried it."""

    __tablename__ = "queued_ping"
    __table_args__ = (
        # The waiting ones (sent_as NULL) of a chat, or of all chats: few among years of rows.
        Index("ix_queued_ping_waiting", "sent_as", "chat_id"),
        Index("ix_queued_ping_complaint_chat", "complaint_id", "chat_id"),
        Index("ix_queued_ping_message", "message_row_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    step_id: Mapped[int] = mapped_column(ForeignKey("step.id"), index=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"))
    kind: Mapped[str] = mapped_column(String(16))  # bot.procedure.pings.PingKind
    ping_index: Mapped[int] = mapped_column(Integer)
    fell_due_at: Mapped[datetime]  # when the ping was meant to go
    queued_at: Mapped[datetime]
    may_go_at: Mapped[datetime]  # quiet hours or a snooze hold it until then
    late: Mapped[bool] = mapped_column(default=False)
    pings: Mapped[int] = mapped_column(Integer, default=1)  # pings of the step it stands for
    # A repeat of an escalation the chat has heard of: it waits the longer interval.
    repeat: Mapped[bool] = mapped_column(default=False)
    # The outbox row that carried it (None: still waiting), and how: alone | digest |
    # done (the step moved on before the chat's turn: the digest says so).
    message_row_id: Mapped[int | None] = mapped_column(BigInteger)
    sent_as: Mapped[str | None] = mapped_column(String(16))

    step: Mapped[Step] = relationship()


class ChatNotices(Base):
    """What Kesu keeps about one chat's reminders: when its last reminder message went
    (the next waits an interval), and its board: the message, edited in place."""

    __tablename__ = "chat_notices"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    last_sent_at: Mapped[datetime | None]
    last_digest_at: Mapped[datetime | None]
    board_row_id: Mapped[int | None] = mapped_column(BigInteger)  # the board's outbox row
    board_hash: Mapped[str | None] = mapped_column(String(64))
    # True: pinned; False: Telegram refused (no right to pin there); None: not tried yet.
    board_pinned: Mapped[bool | None]
    board_checked_at: Mapped[datetime | None]
    # The company's day of the last reminder message, and how many went that day.
    sent_day: Mapped[date | None]
    sent_that_day: Mapped[int] = mapped_column(default=0, server_default="0")


class Suggestion(Base):
    """合理化建议: proposed by anyone, adopted or declined by leadership; an adopted one
    earns 10 % of its realised benefit."""

    __tablename__ = "suggestion"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id"), index=True)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    proposed_at: Mapped[datetime]
    status: Mapped[SuggestionStatus] = mapped_column(enum_column(SuggestionStatus, 16))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    decided_at: Mapped[datetime | None]
    benefit: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))  # realised, in yuan
    reward: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))  # 10 % of it
    benefit_recorded_at: Mapped[datetime | None]

    complaint: Mapped[Complaint | None] = relationship()
    proposed_by: Mapped[Person] = relationship(foreign_keys=[proposed_by_id])
    decided_by: Mapped[Person | None] = relationship(foreign_keys=[decided_by_id])


class Meeting(Base):
    """A quality meeting: 《质量问题专项会议》 of one complaint (step 8), or the weekly
    quality analysis meeting (no complaint, no step, organised by production): when,
    where, who was invited, and the minutes (会议纪要) recorded afterwards."""

    __tablename__ = "meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id"), index=True)
    step_id: Mapped[int | None] = mapped_column(ForeignKey("step.id"))
    kind: Mapped[MeetingKind] = mapped_column(enum_column(MeetingKind, 16, checked=False))
    at: Mapped[datetime]
    place: Mapped[str] = mapped_column(String(200))
    organiser_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    invited: Mapped[list[int]] = mapped_column(JSON)  # chat ids the invitation went to
    minutes: Mapped[str | None] = mapped_column(Text)
    minutes_file_id: Mapped[str | None] = mapped_column(String(255))
    minutes_file_kind: Mapped[FileKind | None] = mapped_column(enum_column(FileKind, 16))
    recorded_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    complaint: Mapped[Complaint | None] = relationship()
    step: Mapped[Step | None] = relationship()
    organiser: Mapped[Person | None] = relationship()
    # The complaints a weekly meeting's minutes name: its decisions concern them.
    concerns: Mapped[list[Complaint]] = relationship(secondary="meeting_complaint")


class MeetingComplaint(Base):
    __tablename__ = "meeting_complaint"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), primary_key=True)


class Plan(Base):
    """《质量问题整治方法计划表》 of one complaint (step 10), issued by the leading VP."""

    __tablename__ = "plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), unique=True)
    # Step 10's row; created apart from the table: its items' tasks are steps too.
    step_id: Mapped[int] = mapped_column(ForeignKey("step.id", use_alter=True))
    problem: Mapped[str] = mapped_column(Text)  # 质量问题
    causes: Mapped[str] = mapped_column(Text)  # 原因分析
    owner_id: Mapped[int] = mapped_column(ForeignKey("person.id"))  # 总负责人
    deadline: Mapped[date] = mapped_column(Date)  # 完成期限
    departments: Mapped[list[str]] = mapped_column(JSON)  # 参与部门
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    issued_at: Mapped[datetime]

    complaint: Mapped[Complaint] = relationship()
    owner: Mapped[Person] = relationship(foreign_keys=[owner_id])
    issued_by: Mapped[Person] = relationship(foreign_keys=[issued_by_id])
    items: Mapped[list[PlanItem]] = relationship(back_populates="plan", order_by="PlanItem.number")


class PlanItem(Base):
    """One rectification item (整改项目) of a plan: its owner, due date and acceptance."""

    __tablename__ = "plan_item"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 序号, from 1
    action: Mapped[str] = mapped_column(Text)  # 整改项目
    requirement: Mapped[str] = mapped_column(Text)  # 整改要求
    owner_id: Mapped[int] = mapped_column(ForeignKey("person.id"))  # 责任人
    acceptor_id: Mapped[int] = mapped_column(ForeignKey("person.id"))  # 验收人
    due_at: Mapped[datetime]  # 完成时间: the end of the working day of its date
    status: Mapped[ItemStatus] = mapped_column(enum_column(ItemStatus, 16))
    submitted_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    times_sent_back: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]

    plan: Mapped[Plan] = relationship(back_populates="items")
    owner: Mapped[Person] = relationship(foreign_keys=[owner_id])
    acceptor: Mapped[Person] = relationship(foreign_keys=[acceptor_id])
    steps: Mapped[list[Step]] = relationship(back_populates="plan_item", order_by="Step.id")


class Event(Base):
    """Append-only log: who did what, when, from where, to which complaint."""

    __tablename__ = "event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    actor_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(16))  # chat | scheduler | cli
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)

    actor: Mapped[Person | None] = relationship()
    complaint: Mapped[Complaint | None] = relationship()


class OutboxMessage(Base):
    """A notification committed with the change that caused it; the sender delivers it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id"), index=True)
    # A task card of this step: remembered so a change edits it in place.
    step_id: Mapped[int | None] = mapped_column(ForeignKey("step.id"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[Method] = mapped_column(enum_column(Method, 16))
    payload: Mapped[dict[str, Any]]
    purpose: Mapped[Purpose] = mapped_column(enum_column(Purpose, 32, checked=False))
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_column(DeliveryStatus, 16), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    message_id: Mapped[int | None] = mapped_column(BigInteger)

    complaint: Mapped[Complaint | None] = relationship()


class ChatState(Base):
    """What a conversation has so far (a salesperson's draft, open prompts), kept
    so a restart loses nothing typed."""

    __tablename__ = "chat_state"

    kind: Mapped[str] = mapped_column(String(40), primary_key=True)  # user | chat | conv:<name>
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
