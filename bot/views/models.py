"""View models: what the services hand to the views and the handlers.

Plain frozen data, built inside the unit of work from the stored rows, so
nothing of the database crosses into rendering or into Telegram.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum

from bot.procedure.causes import Cause
from bot.procedure.costs import CostKind, is_money
from bot.procedure.extensions import ExtensionStatus
from bot.procedure.grading import CustomerClass, Demand, Grade, Plant
from bot.procedure.intake import FileKind
from bot.procedure.meetings import MeetingKind
from bot.procedure.pings import PingKind
from bot.procedure.plans import Department, ItemStatus
from bot.procedure.rechecks import Recheck
from bot.procedure.resources import ReportStatus
from bot.procedure.roles import Role
from bot.procedure.routing import Group
from bot.procedure.signatures import Meaning
from bot.procedure.steps import STEP_BY_ID, ComplaintStatus, Outcome, Owner, StepDef, StepStatus
from bot.procedure.suggestions import SuggestionStatus


@dataclass(frozen=True)
class PersonView:
    id: int
    name: str
    role: Role
    language: str  # the language they read in


@dataclass(frozen=True)
class AttachmentView:
    kind: FileKind
    file_id: str
    file_name: str | None
    step_title: str | None = None  # a step's file (the appraisal report, evidence): its title


@dataclass(frozen=True)
class ExtensionView:
    """申请延期: more time asked for a step's limit, and the decision."""

    id: int
    asked_by: str
    asked_at: datetime
    old_due: datetime
    new_due: datetime
    reason: str
    status: ExtensionStatus
    decided_by: str | None = None


@dataclass(frozen=True)
class SpecialReportView:
    """书面专项报告 and the GM's answer."""

    id: int
    status: ReportStatus
    text: str
    file_id: str | None
    file_kind: FileKind | None
    written_by: str
    written_at: datetime
    answer: str | None = None
    answered_by: str | None = None
    answered_at: datetime | None = None

    @property
    def waiting(self) -> bool:
        return self.status is ReportStatus.WAITING


@dataclass(frozen=True)
class StepView:
    id: int
    key: str
    status: StepStatus
    owner: Owner  # as the configuration runs it
    complaint_number: str
    plant: Plant  # the complaint's plant of origin
    opened_at: datetime
    due_at: datetime | None = None
    done_at: datetime | None = None
    done_by: str | None = None
    outcome: Outcome | None = None
    assignee: str | None = None
    note: str | None = None
    blocked_reason: str | None = None
    report: SpecialReportView | None = None  # the latest special report, for the card
    item: PlanItemView | None = None  # a plan item's task: the item
    extension_to: datetime | None = None  # more time asked for, to this, not yet decided

    @property
    def definition(self) -> StepDef:
        return STEP_BY_ID[self.key]

    @property
    def number(self) -> str:
        return self.definition.number

    @property
    def title(self) -> str:
        return self.definition.title

    @property
    def is_open(self) -> bool:
        return self.status is StepStatus.OPEN

    @property
    def is_done(self) -> bool:
        return self.status is StepStatus.DONE

    @property
    def outcome_record(self) -> str | None:
        """How the card says the step ended (a message id); nothing for plain Done,
        which the status already says."""
        if self.outcome is None or self.outcome == Outcome.DONE:
            return None
        ending = self.definition.outcome(self.outcome)
        return ending.record if ending else None


@dataclass(frozen=True)
class PlanItemView:
    """One rectification item (整改项目) as the plan card and the item's tasks show it."""

    id: int
    number: int
    action: str
    requirement: str
    owner: str
    acceptor: str
    due_at: datetime
    status: ItemStatus
    times_sent_back: int = 0
    submitted_at: datetime | None = None
    accepted_at: datetime | None = None

    @property
    def accepted(self) -> bool:
        return self.status is ItemStatus.ACCEPTED


@dataclass(frozen=True)
class PlanView:
    """《质量问题整治方法计划表》 of one complaint."""

    id: int
    complaint_number: str
    problem: str
    causes: str
    owner: str
    deadline: date
    departments: tuple[Department, ...]
    issued_by: str
    issued_at: datetime
    items: tuple[PlanItemView, ...]

    @property
    def accepted(self) -> int:
        return sum(1 for i in self.items if i.accepted)


@dataclass(frozen=True)
class PersonChoice:
    """Someone on the people list, offered by a button (a plan item's owner)."""

    id: int
    name: str
    role: Role


@dataclass(frozen=True)
class ComplaintView:
    id: int
    number: str
    received_at: datetime
    occurred_at: datetime
    customer_name: str
    customer_class: CustomerClass
    contact_phone: str
    content: str
    demands: tuple[Demand, ...]
    grade: Grade
    is_batch: bool
    is_recurring: bool
    is_return: bool
    is_serious: bool
    plant: Plant
    product_name: str
    specification: str
    quantity: Decimal
    quantity_unit: str
    delivery_date: date
    description: str
    cause_analysis: str | None
    corrective_proposal: str | None
    verification: str | None
    status: ComplaintStatus
    filed_by: str
    filed_by_id: int
    attachments: tuple[AttachmentView, ...] = ()
    steps: tuple[StepView, ...] = ()
    step_files: tuple[AttachmentView, ...] = ()  # files kept with the steps, in order
    recurs_after: tuple[str, ...] = ()  # earlier complaints about the same product
    causes: tuple[Cause, ...] = ()  # the cause categories QC named at the appraisal
    appraised: bool = False  # the appraisal was done (no causes then: not categorised)
    signatures: tuple[SignatureView, ...] = ()  # acceptances and sign-offs, in order
    costs: tuple[CostLine, ...] = ()  # the cost of poor quality, kind by kind
    closed_at: datetime | None = None
    cost_total: Decimal = Decimal(0)  # its money, in yuan
    recheck: Recheck | None = None  # the recheck a month on: waiting, open or answered


@dataclass(frozen=True)
class CostLine:
    """The figure of one kind that stands for a complaint (its latest entry)."""

    kind: CostKind
    amount: Decimal
    unit: str
    by: str
    at: datetime
    reason: str | None = None

    @property
    def money(self) -> bool:
        return is_money(self.kind)


@dataclass(frozen=True)
class CostSheet:
    """/cost: a complaint's figures, and whether the reader may record one."""

    complaint_id: int
    number: str
    lines: tuple[CostLine, ...]
    total_yuan: Decimal
    may_record: bool


@dataclass(frozen=True)
class SignatureView:
    """A signature line: what it means, who signed and when, and what was signed."""

    meaning: Meaning
    by: str
    at: datetime
    step_title: str | None  # message id
    step_key: str | None
    item: str | None = None  # a plan item: "2. 更换供应商"


@dataclass(frozen=True)
class EventView:
    at: datetime
    actor: str | None
    action: str
    step_title: str | None  # message id
    change: str | None = None  # a new nature: "B → A"
    reason: str | None = None  # why, as the person typed it
    item: str | None = None  # a plan item's event: "2. 更换供应商"
    causes: tuple[Cause, ...] = ()  # the cause categories named
    plant: Plant | None = None  # the supply responsibility it was changed to


@dataclass(frozen=True)
class DeliveryView:
    chat_id: int
    purpose: str
    status: str
    last_error: str | None


@dataclass(frozen=True)
class Message:
    """A rendered message: HTML text and its buttons (rows of label, callback data)."""

    text: str
    keyboard: list[list[tuple[str, str]]] | None = None


@dataclass(frozen=True)
class SettingsView:
    """/settings: the person's choice, and the company's working day it bends."""

    known: bool  # on the people list
    night_pings: bool
    quiet_hours: bool  # the company holds pings outside working hours at all
    start: time
    end: time
    days: tuple[str, ...]  # mon ... sun


@dataclass(frozen=True)
class MissedLimit:
    """A step done after its time limit: who did it, and how late."""

    step_title: str  # message id
    owner: Owner
    due_at: datetime
    done_at: datetime | None
    done_by: str | None


@dataclass(frozen=True)
class ClosureView:
    complaint: ComplaintView
    closed_at: datetime
    missed: tuple[MissedLimit, ...]


@dataclass(frozen=True)
class SuggestionView:
    id: int
    text: str
    complaint_number: str | None
    proposed_by: str
    proposed_at: datetime
    status: SuggestionStatus
    decided_by: str | None = None
    decided_at: datetime | None = None
    benefit: Decimal | None = None
    reward: Decimal | None = None

    @property
    def waiting(self) -> bool:
        return self.status is SuggestionStatus.PROPOSED

    @property
    def adopted(self) -> bool:
        return self.status is SuggestionStatus.ADOPTED


@dataclass(frozen=True)
class MeetingView:
    id: int
    complaint_number: str | None  # None: the weekly quality analysis meeting
    at: datetime
    place: str
    organiser: str | None  # None: production organises it (the weekly meeting)
    minutes: str | None = None
    has_file: bool = False
    recorded_at: datetime | None = None
    kind: MeetingKind = MeetingKind.SPECIAL
    concerns: tuple[str, ...] = ()  # the complaints its minutes name (weekly)

    @property
    def weekly(self) -> bool:
        return self.kind is MeetingKind.WEEKLY


@dataclass(frozen=True)
class TrackingRow:
    """One running plan item in the daily tracking (step 14)."""

    complaint_number: str
    number: int
    action: str
    owner: str
    acceptor: str
    due_at: datetime
    status: ItemStatus


@dataclass(frozen=True)
class WeeklyAgendaView:
    """What the weekly quality analysis meeting goes through (PROCEDURE.md section 5)."""

    meeting: MeetingView
    since: datetime  # the week: received since then
    received: tuple[ComplaintView, ...]
    overdue: tuple[StepView, ...]  # the most overdue
    late_items: tuple[TrackingRow, ...]
    recurring: tuple[ComplaintView, ...]  # open complaints about recurring problems, newest
    suggestions: tuple[SuggestionView, ...]  # waiting for leadership's decision
    overdue_count: int = 0  # all steps overdue now
    recurring_count: int = 0  # all recurring problems open


@dataclass(frozen=True)
class Health:
    """How Kesu is doing (`/status`, `kesu status`)."""

    allowed: bool = True
    now: datetime | None = None
    last_action: datetime | None = None  # the last thing a person did, in the event log
    backlog: int = 0  # outbox rows waiting to go now
    oldest_waiting: datetime | None = None  # when the oldest of them was written
    failed_today: int = 0  # rows that could not be delivered, in the last day
    next_ping: datetime | None = None
    pings_today: int = 0
    late_today: int = 0  # sent late: missed while the bot was down
    # Years whose official holidays are not known (the ordinary week is kept meanwhile).
    unknown_years: tuple[int, ...] = ()


class PeopleOutcome(StrEnum):
    """How an admin's change to the people or the groups went."""

    OK = "ok"
    NOT_ALLOWED = "not_allowed"  # not an admin
    UNKNOWN = "unknown"  # no such person (or not active)
    YOURSELF = "yourself"  # an admin may not remove themselves
    NOT_A_GROUP = "not_a_group"  # /bindchat in a private chat
    NEEDS_PLANT = "needs_plant"  # /bindchat qc or production without the plant
    UNCHANGED = "unchanged"
    NOT_PRIVATE = "not_private"  # /invite anywhere but the admin's private chat


@dataclass(frozen=True)
class MemberView:
    """Someone as /people lists them."""

    id: int
    name: str
    role: Role
    plant: Plant | None
    language: str | None  # chosen; None: their Telegram client's
    is_admin: bool
    from_file: bool  # named in the configuration file, which wins at the next start


@dataclass(frozen=True)
class PeopleView:
    allowed: bool
    people: tuple[MemberView, ...] = ()


@dataclass(frozen=True)
class Invited:
    """An invitation link made by an admin (/invite)."""

    outcome: PeopleOutcome
    token: str = ""  # shown once, in the admin's private chat; the database keeps its hash
    role: Role | None = None
    plant: Plant | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True)
class PendingInvite:
    number: int
    role: Role
    plant: Plant | None
    made_by: str
    made_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class InviteList:
    """/invite list, /invite revoke N."""

    outcome: PeopleOutcome
    pending: tuple[PendingInvite, ...] = ()
    revoked: int | None = None  # the number withdrawn


class EnrolOutcome(StrEnum):
    ENROLLED = "enrolled"
    UNKNOWN = "unknown"  # no such link (mistyped, or made by another Kesu)
    USED = "used"  # someone opened it first
    EXPIRED = "expired"
    REVOKED = "revoked"  # an admin withdrew it
    ALREADY = "already"  # the person is in the list already; the link is left unused


@dataclass(frozen=True)
class Enrolled:
    outcome: EnrolOutcome
    member: MemberView | None = None


@dataclass(frozen=True)
class PersonChanged:
    """/people N role|plant|language|remove: what it did."""

    outcome: PeopleOutcome
    member: MemberView | None = None
    removed: bool = False
    handed_back: int = 0  # open tasks that went back to their department's group


@dataclass(frozen=True)
class ChatBound:
    """/bindchat: this group now gets the notices of a purpose (and plant)."""

    outcome: PeopleOutcome
    group: Group | None = None
    plant: Plant | None = None
    replaced: int | None = None  # the group bound before, if another
    file_names: int | None = None  # the configuration file names another group for it


@dataclass(frozen=True)
class KeptFileView:
    """A file people sent as Kesu keeps it in its own store (the register's file sheet)."""

    complaint_number: str
    kind: FileKind
    file_name: str | None
    path: str | None  # in the store, e.g. "KS-2026-0001/3-letter.pdf"; None: not kept
    size: int | None
    sha256: str | None


@dataclass(frozen=True)
class DigestLine:
    """One step in a digest or on a board: its complaint, grade, owner and limit."""

    step: StepView
    grade: Grade
    kind: PingKind | None = None  # the latest ping that fell due (a digest's lines)
    pings: int = 1  # how many of the step's pings it stands for
    held_from: datetime | None = None  # it fell due then and waited for working hours


@dataclass(frozen=True)
class DigestView:
    """A chat's reminders and escalations of one interval, in one message."""

    lines: tuple[DigestLine, ...]
    more: int  # steps not listed (on the board)
    done: tuple[str, ...]  # complaint numbers of steps done since they fell due
    new_since: int  # steps that fell due since the last digest
    since: datetime | None  # when the last digest went
    board: bool  # the chat has a board


@dataclass(frozen=True)
class BoardView:
    """A chat's open and overdue steps, as its pinned board shows them."""

    scope: str  # gm | vp | group
    open: int
    due_soon: int
    overdue: int
    named: tuple[DigestLine, ...]  # the most overdue
