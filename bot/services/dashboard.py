"""The dashboard's use cases (docs/dashboard.md): who opened the Mini App, the overview,
the Pareto of a period, the complaints list with its filters, one complaint's
timeline. The rights are the bot's own: QC and leadership see everything; others see
the complaints they may see in chat (sales their own); a stranger, nothing."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.procedure import access
from bot.procedure import dashboard as rules
from bot.procedure.bounds import MAX_ID
from bot.procedure.grading import Grade, Plant
from bot.procedure.pareto import Pareto, parse_period
from bot.procedure.steps import ANSWER_STEP, PLAN_STEP, StepStatus
from bot.procedure.summary import StepFact
from bot.services import complaints, files, mapping, pareto
from bot.services.complaints import Shown
from bot.services.files import KeptContent
from bot.services.step_cards import may_press
from bot.services.uow import Caller, UnitOfWork
from bot.views.models import ComplaintView
from storage import queries
from storage.queries import ComplaintFilter

LIST_PAGE = 20  # rows of the list a page
SEARCH_LONGEST = 60  # characters of a filter or a search
MAJORS_LISTED = 10
RECURRING_LISTED = 10
PEOPLE_LISTED = 10  # overdue by person: the ten with the most


class DashboardRefusal(StrEnum):
    NOT_REGISTERED = "not_registered"  # a stranger, or someone removed
    NOT_ALLOWED = "not_allowed"  # the overview and the Pareto: leadership and QC
    NOT_FOUND = "not_found"  # no such complaint, or not theirs: the same answer
    BAD_FILTER = "bad_filter"


@dataclass(frozen=True)
class Viewer:
    """Who opened the dashboard, and what it shows them."""

    name: str
    language: str
    sees_all: bool  # the overview, the Pareto, every complaint


@dataclass(frozen=True)
class Major:
    number: str
    plan_status: str  # the plan step's status, "" when it has not opened
    items: int
    accepted: int


@dataclass(frozen=True)
class Overview:
    at: datetime
    open_by: dict[str, Counter[str]]  # "grade", "plant", "age" -> counts
    open_total: int
    overdue_by_department: Counter[str]
    overdue_by_person: Counter[str]
    overdue_total: int
    on_time: tuple[rules.OnTime, ...]
    cost_by_month: tuple[tuple[str, str], ...]  # ("2026-11", yuan as text)
    recurring: tuple[ComplaintView, ...]
    recurring_total: int
    majors: tuple[Major, ...]
    majors_total: int


@dataclass(frozen=True)
class Answer:
    """What one request of the dashboard gets: a refusal, or what it asked for."""

    refusal: DashboardRefusal | None = None
    viewer: Viewer | None = None
    overview: Overview | None = None
    pareto: Pareto | None = None
    names: dict[str, str] = field(default_factory=dict)
    complaints: tuple[ComplaintView, ...] = ()
    total: int = 0
    page: int = 1
    pages: int = 1
    shown: Shown | None = None
    may_plan: bool = False  # the timeline's complaint waits for a plan this person fills


@dataclass(frozen=True)
class ListRequest:
    caller: Caller
    plant: str = ""
    grade: str = ""
    status: str = ""  # a StatusFilter, or "" for both
    customer: str = ""
    product: str = ""
    period: str = ""  # "2026-11", "2026-Q4", "2026" or ""
    text: str = ""
    page: int = 1


def _viewer(uow: UnitOfWork, caller: Caller) -> tuple[Viewer, int, bool] | None:
    person = uow.person(caller)
    if person is None:
        return None
    sees_all = access.sees_all(mapping.who(person))
    language = person.language or uow.config.default_language
    return Viewer(person.name, language, sees_all), person.id, sees_all


def who(uow: UnitOfWork, caller: Caller) -> Answer:
    found = _viewer(uow, caller)
    if found is None:
        return Answer(DashboardRefusal.NOT_REGISTERED)
    return Answer(viewer=found[0])


def overview(uow: UnitOfWork, caller: Caller) -> Answer:
    found = _viewer(uow, caller)
    if found is None:
        return Answer(DashboardRefusal.NOT_REGISTERED)
    viewer, _id, sees_all = found
    if not sees_all:
        return Answer(DashboardRefusal.NOT_ALLOWED, viewer)
    session, config, now = uow.session, uow.config, uow.now
    grades: Counter[str] = Counter()
    plants: Counter[str] = Counter()
    for grade, plant, count in queries.open_by_grade_and_plant(session):
        grades[grade.value] += count
        plants[plant.value] += count
    ages = Counter(queries.open_by_age(session, rules.age_bounds(now)))
    late_kinds = queries.overdue_by_kind(session, now)
    weeks = rules.weeks_back(now, config.tz)
    done = [
        StepFact(key, config.owner(key).value, due_at, done_at, None)
        for key, due_at, done_at, status in queries.step_done_facts(
            session, weeks[0][1], weeks[-1][2]
        )
        if key != ANSWER_STEP and status in (StepStatus.DONE, StepStatus.SUPERSEDED)
    ]
    months = [
        parse_period(m, config.tz) for m in rules.months_back(now.astimezone(config.tz).date())
    ]
    cost = [(m, str(v)) for m, v in pareto.money_by_month(uow, [m for m in months if m])]
    by_department: Counter[str] = Counter()
    for key, count in late_kinds:
        by_department[config.owner(key).value] += count
    recurring_total, recurring = queries.open_recurring_newest(session, RECURRING_LISTED)
    majors_total, majors = queries.open_majors(session, PLAN_STEP, MAJORS_LISTED)
    return Answer(
        viewer=viewer,
        overview=Overview(
            at=now,
            open_by={"grade": grades, "plant": plants, "age": ages},
            open_total=sum(grades.values()),
            overdue_by_department=by_department,
            overdue_by_person=Counter(dict(queries.overdue_by_person(session, now, PEOPLE_LISTED))),
            overdue_total=sum(by_department.values()),
            on_time=tuple(rules.on_time_by_week(done, weeks)),
            cost_by_month=tuple(cost),
            recurring=tuple(mapping.complaint_view(c, config, steps=False) for c in recurring),
            recurring_total=recurring_total,
            majors=tuple(_major(uow, number, plan) for number, plan in majors),
            majors_total=majors_total,
        ),
    )


def _major(uow: UnitOfWork, number: str, plan_status: object) -> Major:
    complaint = queries.complaint_by_number(uow.session, number)
    plan = queries.plan_of(uow.session, complaint.id) if complaint is not None else None
    items = plan.items if plan is not None else []
    accepted = sum(1 for i in items if i.accepted_at is not None)
    status = getattr(plan_status, "value", "")
    return Major(number, str(status), len(items), accepted)


def causes(uow: UnitOfWork, caller: Caller, period: str, language: str | None = None) -> Answer:
    """The Pareto of a period, as /pareto gives it; the categories named in `language`
    (the person's own when None)."""
    found = _viewer(uow, caller)
    if found is None:
        return Answer(DashboardRefusal.NOT_REGISTERED)
    if len(period) > SEARCH_LONGEST:
        return Answer(DashboardRefusal.BAD_FILTER, found[0])
    asked = pareto.ParetoRequest(caller, period, language or found[0].language)
    result = pareto.ask(uow, asked)
    if result.refusal is pareto.ParetoRefusal.NOT_ALLOWED:
        return Answer(DashboardRefusal.NOT_ALLOWED, found[0])
    if result.refusal is not None:
        return Answer(DashboardRefusal.BAD_FILTER, found[0])
    return Answer(viewer=found[0], pareto=result.pareto, names=result.names)


def _filter(uow: UnitOfWork, request: ListRequest, own: int | None) -> ComplaintFilter | None:
    texts = (request.customer, request.product, request.text, request.period)
    if any(len(t) > SEARCH_LONGEST for t in texts):
        return None
    plants, grades = {p.value: p for p in Plant}, {g.value: g for g in Grade}
    if (request.plant and request.plant not in plants) or (
        request.grade and request.grade not in grades
    ):
        return None
    if request.status and request.status not in {s.value for s in rules.StatusFilter}:
        return None
    since = until = None
    if request.period:
        period = parse_period(request.period, uow.config.tz)
        if period is None:
            return None
        since, until = period.start, period.end
    return ComplaintFilter(
        filed_by_id=own,
        plant=plants.get(request.plant),
        grade=grades.get(request.grade),
        open_only=None if not request.status else request.status == rules.StatusFilter.OPEN,
        customer=request.customer.strip(),
        product=request.product.strip(),
        since=since,
        until=until,
        text=request.text.strip(),
    )


def listed(uow: UnitOfWork, request: ListRequest) -> Answer:
    """One page of the complaints the person may see that pass the filters, newest
    first (a page past the last gives the last)."""
    found = _viewer(uow, request.caller)
    if found is None:
        return Answer(DashboardRefusal.NOT_REGISTERED)
    viewer, person_id, sees_all = found
    # Those who do not see all see what they filed (sales: their own complaints).
    where = _filter(uow, request, None if sees_all else person_id)
    if where is None or not 1 <= request.page <= MAX_ID:
        return Answer(DashboardRefusal.BAD_FILTER, viewer)
    offset = (request.page - 1) * LIST_PAGE
    total, rows = queries.complaints_filtered(uow.session, where, offset, LIST_PAGE)
    pages = max(1, -(-total // LIST_PAGE))
    page = min(request.page, pages)
    if page != request.page:  # past the last page: the last
        total, rows = queries.complaints_filtered(
            uow.session, where, (page - 1) * LIST_PAGE, LIST_PAGE
        )
    return Answer(
        viewer=viewer,
        complaints=tuple(mapping.complaint_view(c, uow.config, steps=False) for c in rows),
        total=total,
        page=page,
        pages=pages,
    )


def timeline(uow: UnitOfWork, caller: Caller, number: str) -> Answer:
    """One complaint as /show gives it: its steps, plan, meetings, signatures, files and
    history; not found when the person may not see it, as in chat."""
    found = _viewer(uow, caller)
    if found is None:
        return Answer(DashboardRefusal.NOT_REGISTERED)
    shown = complaints.show(uow, complaints.ShowComplaint(caller, number[:SEARCH_LONGEST]))
    if shown.refusal is not None or shown.complaint is None:
        return Answer(DashboardRefusal.NOT_FOUND, found[0])
    person = uow.person(caller)
    complaint = queries.complaint_by_number(uow.session, shown.number)
    waiting = [
        s
        for s in (complaint.steps if complaint is not None else [])
        if s.key == PLAN_STEP and s.status == StepStatus.OPEN
    ]
    may_plan = any(may_press(uow, person, s) for s in waiting)
    return Answer(viewer=found[0], shown=shown, may_plan=may_plan)


def menu_people(uow: UnitOfWork) -> list[tuple[int, str]]:
    """(Telegram id, language) of whom the dashboard is the menu button for: leadership
    and QC, who read every complaint."""
    return [
        (p.telegram_id, p.language or uow.config.default_language)
        for p in queries.active_people(uow.session)
        if access.sees_all(mapping.who(p))
    ]


@dataclass(frozen=True)
class FileAnswer:
    refusal: DashboardRefusal | None = None
    file: KeptContent | None = None


def complaint_file(uow: UnitOfWork, caller: Caller, number: str, file_id: str) -> FileAnswer:
    """One of the complaint's files (the letter, photos, a step's report), from Kesu's
    own store, for whoever may see the complaint; not found when it is not one of its
    files, or was not kept (yet)."""
    found = timeline(uow, caller, number)
    if found.refusal is not None:
        return FileAnswer(found.refusal)
    assert found.shown is not None and found.shown.complaint is not None
    c = found.shown.complaint
    if file_id not in {a.file_id for a in (*c.attachments, *c.step_files)}:
        return FileAnswer(DashboardRefusal.NOT_FOUND)
    kept = files.kept_copies(uow, [file_id]).get(file_id)
    return FileAnswer(DashboardRefusal.NOT_FOUND) if kept is None else FileAnswer(file=kept)
