"""The weekly summary to leadership (PROCEDURE.md section 5): one week's figures against
the week before, posted on schedule to the leadership group, and on demand (/summary,
`kesu summary`). The figures are computed by bot.procedure.summary from facts read here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Row

from bot.procedure import access
from bot.procedure import summary as rules
from bot.procedure.calendar import next_weekly
from bot.procedure.extensions import ExtensionStatus
from bot.procedure.grading import Grade
from bot.procedure.routing import Group, GroupChat
from bot.procedure.steps import ANSWER_STEP, PLAN_STEP, STEP_BY_ID
from bot.procedure.suggestions import SuggestionStatus
from bot.services import mapping, pareto
from bot.services.events import Actor, last_run, log_event
from bot.services.notices import FilePayload, Notice, post, recipients
from bot.services.uow import OPERATOR, SCHEDULER, Caller, UnitOfWork
from bot.views import cards, charts, keyboards
from bot.views.fonts import cjk_font
from bot.views.models import Message
from storage import queries
from storage.models import Method, Purpose

SUMMARY_RUN = "weekly_summary"  # the event each scheduled summary leaves
OVERDUE_LISTED = 15  # the most overdue steps named; the rest counted
MAJORS_LISTED = 15  # the newest open major problems named; the rest counted


class SummaryRefusal(StrEnum):
    NOT_ALLOWED = "not_allowed"
    BAD_WEEK = "bad_week"


@dataclass(frozen=True)
class SummaryRequest:
    caller: Caller
    week: str = ""  # "2026-W47"; "" for the week so far


@dataclass(frozen=True)
class SummaryResult:
    refusal: SummaryRefusal | None = None
    summary: rules.WeeklySummary | None = None


def _complaint_fact(row: Row[Any]) -> rules.ComplaintFact:
    (number, received_at, closed_at, grade, plant, customer_class, customer, product_name) = row[:8]
    specification, recurring, filed_major_at = row[8:]
    return rules.ComplaintFact(
        number=number,
        received_at=received_at,
        closed_at=closed_at,
        grade=grade.value,
        plant=plant.value,
        customer_class=customer_class.value,
        customer=customer,
        product=f"{product_name} {specification}",
        recurring=recurring,
        major=grade is Grade.A or filed_major_at is not None,
    )


def weekly(uow: UnitOfWork, request: SummaryRequest) -> SummaryResult:
    """Leadership and QC (and the operator at the command line) read it."""
    person = uow.person(request.caller)
    if request.caller != OPERATOR and (person is None or not access.sees_all(mapping.who(person))):
        return SummaryResult(SummaryRefusal.NOT_ALLOWED)
    tz = uow.config.tz
    week = rules.parse_week(request.week) if request.week else rules.week_of(uow.now, tz)
    if week is None:
        return SummaryResult(SummaryRefusal.BAD_WEEK)
    return SummaryResult(summary=compute(uow, *week))


def compute(uow: UnitOfWork, year: int, week: int) -> rules.WeeklySummary:
    session, config = uow.session, uow.config
    start, end = rules.week_bounds(year, week, config.tz)
    before = start - timedelta(days=7)
    complaints = [
        _complaint_fact(r) for r in queries.complaint_facts_touching(session, before, end)
    ]
    steps = [
        rules.StepFact(
            s.key,
            config.owner(s.key).value,
            s.due_at,
            s.done_at,
            s.done_by.name if s.done_by else None,
            s.outcome.value if s.outcome else None,
        )
        for s in queries.steps_done_in(session, before, end)
        if s.key != ANSWER_STEP
    ] + [
        rules.StepFact(s.key, config.owner(s.key).value, s.due_at, s.done_at, None)
        for s in queries.steps_due(session, ANSWER_STEP, before, end)
    ]
    items = [
        rules.ItemFact(i.due_at, i.accepted_at)
        for i in queries.items_touching(session, before, end)
    ]
    suggestions = [
        rules.SuggestionFact(
            g.decided_at if g.status is SuggestionStatus.ADOPTED else None,
            g.reward,
            g.benefit_recorded_at,
        )
        for g in queries.suggestions(session)
    ]

    extensions = [
        rules.ExtensionFact(
            config.owner(x.step.key).value, x.decided_at, x.status is ExtensionStatus.APPROVED
        )
        for x in queries.extensions_decided(session, before, end)
        if x.decided_at is not None
    ]

    def of(since: datetime, until: datetime) -> rules.WeekFigures:
        return rules.figures(
            since, until, complaints, steps, items, suggestions, extensions=extensions
        )

    # The most overdue, with how many there are: the list would not fit otherwise.
    overdue_count, late_rows = queries.overdue_steps(session, uow.now, OVERDUE_LISTED)
    overdue = tuple(
        rules.Overdue(
            s.complaint.number,
            STEP_BY_ID[s.key].title,
            config.owner(s.key).value,
            s.assignee.name if s.assignee else None,
            s.due_at,
        )
        for s in late_rows
        if s.due_at is not None
    )
    majors_count, majors = queries.open_majors(session, PLAN_STEP, MAJORS_LISTED)
    twelve = start - timedelta(days=7 * 11)
    received = [(at, grade.value) for at, grade in queries.grades_received(session, twelve, end)]
    return rules.WeeklySummary(
        rules.week_name(year, week),
        start,
        end,
        of(start, end),
        of(before, start),
        overdue,
        tuple((number, plan.value if plan else "") for number, plan in majors),
        tuple(rules.history(received, year, week, config.tz)),
        overdue_count,
        majors_count,
        queries.rechecks_waiting(session),
    )


def chart_payload(found: rules.WeeklySummary, language: str) -> FilePayload:
    """The summary's chart as a photo to upload, captioned with its week."""
    png = charts.weekly_chart(found.history, found.this.late_by_department, language, cjk_font())
    caption = f"📊 {found.week}"
    return FilePayload("", caption, png, f"kesu-{found.week}.png")


def next_weekly_summary(uow: UnitOfWork) -> datetime | None:
    """When the next scheduled summary is due (Monday 08:30 by default), after the last."""
    summary = uow.config.weekly_summary
    if not summary.enabled:
        return None
    last = last_run(uow, SUMMARY_RUN)
    return next_weekly(last, summary.weekday, summary.at, uow.config.tz)


def post_weekly_summary(uow: UnitOfWork, due: datetime | None = None) -> int:
    """The summary of the week that ended before `due`, to the leadership group."""
    moment = (due or uow.now) - timedelta(days=1)  # Monday morning: last week's
    year, week = rules.week_of(moment, uow.config.tz)
    found = compute(uow, year, week)
    late = due if due is not None and uow.now - due > timedelta(minutes=5) else None
    to = recipients(uow.session, uow.config, [GroupChat(Group.LEADERSHIP)])
    tz, webapp = uow.config.timezone, uow.config.webapp

    def text(language: str) -> list[Message]:
        # The leadership group: the dashboard's direct link (no Mini App button in groups).
        link = keyboards.dashboard(language, "", webapp.link, private=False)
        return cards.weekly_summary(found, language, tz, late, link if webapp.enabled else None)

    post(uow.session, Notice(Purpose.SUMMARY, to, text), uow.now)
    # The chart after the text, as a photo uploaded from the outbox row; then the Pareto
    # of causes and of cost over the summary's twelve weeks.
    post(
        uow.session,
        Notice(Purpose.SUMMARY, to, lambda lang: [chart_payload(found, lang)], method=Method.PHOTO),
        uow.now,
    )
    causes = pareto.of_period(uow, pareto.last_twelve_weeks(uow, found.start))
    _text, chart = pareto.notices(uow, causes)
    post(uow.session, Notice(Purpose.SUMMARY, to, chart, method=Method.PHOTO), uow.now)
    log_event(
        uow.session,
        Actor.of(SCHEDULER, None),
        SUMMARY_RUN,
        uow.now,
        week=found.week,
        due=due.isoformat() if due else None,
    )
    return found.this.received
