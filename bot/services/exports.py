"""The forms as files (section 7): which complaints go into them, and who may have them.

The files themselves are made by bot.views.forms from the view models returned here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.orm import Session

from bot.procedure import access, calendar
from bot.procedure.causes import Cause
from bot.procedure.numbering import format_number, parse_number
from bot.procedure.pareto import Pareto, Period
from bot.procedure.roles import Role
from bot.procedure.routing import month_end_audience
from bot.services import mapping, pareto
from bot.services.events import FMEA_ANSWERED, Actor, last_run, log_event
from bot.services.notices import FilePayload, Notice, post, recipients
from bot.services.uow import OPERATOR, SCHEDULER, Caller, UnitOfWork
from bot.views import cards, forms
from bot.views.models import ComplaintView, KeptFileView, PlanView
from storage import queries
from storage.models import Complaint, Method, Purpose

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
    files: tuple[KeptFileView, ...] = ()  # the files kept for them, in the register's order
    causes: Pareto | None = None  # the month's Pareto: the sheet 原因分析
    listed: tuple[Cause, ...] = ()  # the company's cause categories, for their names


@dataclass(frozen=True)
class ReportRequest:
    caller: Caller
    number: str


@dataclass(frozen=True)
class Report:
    refusal: ExportRefusal | None = None
    complaint: ComplaintView | None = None
    plan: PlanView | None = None  # for the rectification plan's form
    files: tuple[KeptFileView, ...] = ()  # the files kept for the complaint
    team: tuple[tuple[str, Role], ...] = ()  # the 8D's D1: everyone who acted, first to last
    # The 8D's D7: the FMEA / control plan updated? (answer, who, when), the latest.
    fmea: tuple[bool, str, datetime] | None = None


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
        complaints=tuple(
            mapping.complaint_view(c, uow.config, steps=False, recheck=True) for c in rows
        ),
        files=kept_files(uow.session, rows),
        causes=pareto.of_period(uow, Period(period, start, end)),
        listed=uow.config.causes.listed(),
    )


def kept_files(session: Session, complaints: Sequence[Complaint]) -> tuple[KeptFileView, ...]:
    """The files kept for these complaints, complaint by complaint."""
    kept = queries.kept_files_of(session, [c.id for c in complaints])
    return tuple(
        KeptFileView(c.number, f.kind, f.file_name, f.path, f.size, f.sha256)
        for c in complaints
        for f in kept.get(c.id, [])
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
    return Report(
        complaint=mapping.complaint_view(complaint, uow.config, recheck=True),
        files=kept_files(uow.session, [complaint]),
    )


def plan(uow: UnitOfWork, command: ReportRequest) -> Report:
    """One complaint's rectification plan as it stands, for whoever may see the complaint."""
    found = report(uow, command)
    if found.complaint is None:
        return found
    plan_row = queries.plan_of(uow.session, found.complaint.id)
    if plan_row is None:
        return Report(ExportRefusal.NO_PLAN)
    return Report(complaint=found.complaint, plan=mapping.plan_view(plan_row))


def eight_d(uow: UnitOfWork, command: ReportRequest) -> Report:
    """One complaint's 8D report as the record stands: the complaint with its steps,
    signatures, causes and costs, its plan if any, and the team (whoever acted)."""
    found = report(uow, command)
    if found.complaint is None:
        return found
    plan_row = queries.plan_of(uow.session, found.complaint.id)
    team: dict[str, Role] = {}
    fmea: tuple[bool, str, datetime] | None = None
    for event in queries.events_of(uow.session, found.complaint.id):
        if event.actor is not None and event.actor.name not in team:
            team[event.actor.name] = event.actor.role
        if event.action == FMEA_ANSWERED and event.actor is not None:
            fmea = (bool(event.detail.get("updated")), event.actor.name, event.at)
    return Report(
        complaint=found.complaint,
        plan=mapping.plan_view(plan_row) if plan_row is not None else None,
        files=found.files,
        team=tuple(team.items()),
        fmea=fmea,
    )


# The month-end register (section 5) ------------------------------------------------------

MONTH_END = "month_end_register"  # the event each month's posting leaves


def next_month_end(uow: UnitOfWork) -> datetime | None:
    """When the next month-end register is due: the last day of the month at the set time,
    after the last one posted (after now, before the first)."""
    month_end = uow.config.month_end
    if not month_end.enabled:
        return None
    return calendar.next_month_end(
        last_run(uow, MONTH_END), month_end.at, uow.config.tz, uow.config.working_calendar()
    )


def post_month_end(uow: UnitOfWork, due: datetime | None = None) -> int:
    """The register of the month that ends at `due`, as XLSX, to the QC and production
    groups; a posting after a restart says when it was due. Returns the complaints."""
    config = uow.config
    local = (due or uow.now).astimezone(config.tz)
    bounds = month_bounds(f"{local.year:04d}-{local.month:02d}", local)
    assert bounds is not None
    period, start, end = bounds
    rows = queries.complaints_received(uow.session, start, end)
    views = tuple(mapping.complaint_view(c, config, steps=False, recheck=True) for c in rows)
    kept = kept_files(uow.session, rows)
    causes, listed = pareto.of_period(uow, Period(period, start, end)), config.causes.listed()
    late = due is not None and uow.now - due > timedelta(minutes=5)
    to = recipients(uow.session, config, month_end_audience())

    def render(language: str) -> list[FilePayload]:
        form = forms.register_xlsx(
            views, period, language, config.timezone, kept, causes=causes, listed=listed
        )
        caption = cards.register_caption(
            period, len(views), due if late else None, language, config.timezone
        )
        return [FilePayload("", caption, form.content, form.name)]

    post(uow.session, Notice(Purpose.REGISTER, to, render, method=Method.DOCUMENT), uow.now)
    log_event(
        uow.session,
        Actor.of(SCHEDULER, None),
        MONTH_END,
        uow.now,
        period=period,
        complaints=len(views),
        due=due.isoformat() if due else None,
    )
    return len(views)
