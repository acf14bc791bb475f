"""The forms as files (section 7): which complaints go into them, and who may have them.

The files themselves are made by bot.views.forms from the view models returned here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.procedure import access
from bot.procedure.numbering import format_number, parse_number
from bot.procedure.roles import Role
from bot.services import mapping
from bot.services.uow import OPERATOR, Caller, UnitOfWork
from bot.views.models import ComplaintView, PlanView
from storage import queries

MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


class ExportRefusal(StrEnum):
    NOT_REGISTERED = "not_registered"
    NOT_ALLOWED = "not_allowed"
    BAD_PERIOD = "bad_period"
    BAD_NUMBER = "bad_number"
    NOT_FOUND = "not_found"
    NO_PLAN = "no_plan"  # the complaint has no rectification plan (yet)


@dataclass(frozen=True)
class RegisterRequest:
    caller: Caller
    period: str  # "2026-11"; "" for the current month


@dataclass(frozen=True)
class Register:
    refusal: ExportRefusal | None = None
    period: str = ""
    complaints: tuple[ComplaintView, ...] = ()


@dataclass(frozen=True)
class ReportRequest:
    caller: Caller
    number: str


@dataclass(frozen=True)
class Report:
    refusal: ExportRefusal | None = None
    complaint: ComplaintView | None = None
    plan: PlanView | None = None  # for the rectification plan's form


def month_bounds(period: str, now: datetime) -> tuple[str, datetime, datetime] | None:
    """ "2026-11" as its name and its first moment and the next month's, in `now`'s zone."""
    tz = now.tzinfo
    if not period:
        year, month = now.year, now.month
    else:
        match = MONTH.match(period.strip())
        if match is None or not 1 <= int(match.group(2)) <= 12:
            return None
        year, month = int(match.group(1)), int(match.group(2))
    start = datetime(year, month, 1, tzinfo=tz)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
    return f"{year:04d}-{month:02d}", start, end


def register(uow: UnitOfWork, command: RegisterRequest) -> Register:
    """The complaint register of a month: the sales department keeps it (业务部建立) and
    sends it to QC and production, so sales, QC and leadership may have it."""
    person = uow.person(command.caller)
    if command.caller != OPERATOR:
        if person is None:
            return Register(ExportRefusal.NOT_REGISTERED)
        if not (person.role is Role.SALES or access.sees_all(mapping.who(person))):
            return Register(ExportRefusal.NOT_ALLOWED)
    bounds = month_bounds(command.period, uow.now.astimezone(uow.config.tz))
    if bounds is None:
        return Register(ExportRefusal.BAD_PERIOD)
    period, start, end = bounds
    rows = queries.complaints_received(uow.session, start, end)
    return Register(
        period=period,
        complaints=tuple(mapping.complaint_view(c, uow.config, steps=False) for c in rows),
    )


def report(uow: UnitOfWork, command: ReportRequest) -> Report:
    """One complaint's disposition report as filled so far, for whoever may see it."""
    person = uow.person(command.caller)
    if person is None and command.caller != OPERATOR:
        return Report(ExportRefusal.NOT_REGISTERED)
    parsed = parse_number(command.number) if command.number else None
    if parsed is None:
        return Report(ExportRefusal.BAD_NUMBER)
    complaint = queries.complaint_by_number(uow.session, format_number(*parsed))
    if complaint is None or (
        person is not None and not access.may_see(mapping.who(person), mapping.case(complaint))
    ):
        return Report(ExportRefusal.NOT_FOUND)
    return Report(complaint=mapping.complaint_view(complaint, uow.config))


def plan(uow: UnitOfWork, command: ReportRequest) -> Report:
    """One complaint's rectification plan as it stands, for whoever may see the complaint."""
    found = report(uow, command)
    if found.complaint is None:
        return found
    plan_row = queries.plan_of(uow.session, found.complaint.id)
    if plan_row is None:
        return Report(ExportRefusal.NO_PLAN)
    return Report(complaint=found.complaint, plan=mapping.plan_view(plan_row))
