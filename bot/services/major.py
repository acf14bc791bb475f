"""The register of major problems (重大质量问题备案): every grade A complaint, and any
that leadership files as major with a button; /major lists them with their plan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.procedure import access
from bot.procedure.grading import is_major
from bot.procedure.steps import PLAN_STEP, StepStatus
from bot.services import mapping
from bot.services.events import Actor, log_event, log_refusal
from bot.services.uow import Caller, UnitOfWork
from bot.views.models import ComplaintView, PlanItemView
from storage import queries
from storage.models import Complaint


class MajorResult(StrEnum):
    FILED = "filed"
    ALREADY = "already"  # grade A, or filed before
    DENIED = "denied"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class FileMajor:
    caller: Caller
    complaint_id: int


@dataclass(frozen=True)
class MajorEntry:
    complaint: ComplaintView
    filed_at: datetime | None  # None: major by its grade (A)
    plan: StepStatus | None  # the rectification plan's step; None: none yet
    plan_due: datetime | None = None
    items: tuple[PlanItemView, ...] = ()  # the issued plan's items, with their state

    @property
    def plan_open(self) -> bool:
        return self.plan is StepStatus.OPEN


@dataclass(frozen=True)
class MajorRegister:
    allowed: bool
    entries: tuple[MajorEntry, ...] = ()  # one page, newest first
    total: int = 0
    page: int = 1
    pages: int = 1


# Problems on one page of /major: each comes with its plan and running items.
REGISTER_PAGE = 15


def may_file(uow: UnitOfWork, caller: Caller, complaint: Complaint) -> bool:
    """Whether the caller could file this complaint as major now (for the button)."""
    person = uow.person(caller)
    return (
        person is not None
        and access.may_file_major(mapping.who(person))
        and not is_major(complaint.grade, filed=complaint.filed_major_at is not None)
    )


def file_major(uow: UnitOfWork, command: FileMajor) -> MajorResult:
    complaint = uow.session.get(Complaint, command.complaint_id)
    if complaint is None:
        return MajorResult.NOT_FOUND
    person = uow.person(command.caller)
    actor = Actor.of(command.caller, person)
    if person is None or not access.may_file_major(mapping.who(person)):
        log_refusal(uow.session, actor, uow.now, complaint, button="major")
        return MajorResult.DENIED
    if is_major(complaint.grade, filed=complaint.filed_major_at is not None):
        return MajorResult.ALREADY
    complaint.filed_major_at = uow.now
    log_event(uow.session, actor, "filed_major", uow.now, complaint)
    return MajorResult.FILED


def major_register(uow: UnitOfWork, caller: Caller, page: int = 1) -> MajorRegister:
    """Leadership and QC read the register, a page at a time (past the last: the last)."""
    person = uow.person(caller)
    if person is None or not access.sees_all(mapping.who(person)):
        return MajorRegister(allowed=False)
    total = queries.count_major_complaints(uow.session)
    pages = max(1, -(-total // REGISTER_PAGE))
    page = min(max(page, 1), pages)
    rows = queries.major_complaints(uow.session, (page - 1) * REGISTER_PAGE, REGISTER_PAGE)
    entries = []
    for complaint in rows:
        plans = [s for s in complaint.steps if s.key == PLAN_STEP]
        latest = plans[-1] if plans else None
        entries.append(
            MajorEntry(
                mapping.complaint_view(complaint, uow.config, steps=False),
                complaint.filed_major_at,
                latest.status if latest else None,
                latest.due_at if latest else None,
                tuple(mapping.plan_item_view(i) for i in plan.items)
                if (plan := queries.plan_of(uow.session, complaint.id))
                else (),
            )
        )
    return MajorRegister(True, tuple(entries), total, page, pages)
