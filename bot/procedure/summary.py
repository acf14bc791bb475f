"""The weekly summary (PROCEDURE.md section 5: every 7 days, complaints and their handling
to the GM, the VPs and QC): the figures of one week, from plain facts, so each can be
checked by hand. The service gathers the facts from the database; the views render.

A week is an ISO week (Monday to Sunday) in the company's time zone: "2026-W47".
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal

from bot.procedure.steps import ANSWER_STEP, RECHECK, Outcome

_WEEK = re.compile(r"^([0-9]{4})-?W([0-9]{1,2})$", re.I)


def parse_week(text: str) -> tuple[int, int] | None:
    """ "2026-W47" or "2026W47" as (year, week), or None."""
    match = _WEEK.match(text.strip())
    if match is None:
        return None
    year, week = int(match.group(1)), int(match.group(2))
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError:
        return None
    return year, week


def week_of(moment: datetime, tz: tzinfo) -> tuple[int, int]:
    year, week, _ = moment.astimezone(tz).isocalendar()
    return year, week


def week_bounds(year: int, week: int, tz: tzinfo) -> tuple[datetime, datetime]:
    """From Monday 00:00 to the next Monday 00:00, in the company's zone."""
    monday = date.fromisocalendar(year, week, 1)
    start = datetime.combine(monday, time(0, 0), tzinfo=tz)
    return start, start + timedelta(days=7)


def week_name(year: int, week: int) -> str:
    return f"{year:04d}-W{week:02d}"


@dataclass(frozen=True)
class ComplaintFact:
    number: str
    received_at: datetime
    closed_at: datetime | None
    grade: str
    plant: str
    customer_class: str
    customer: str
    product: str  # name and specification, as filed
    recurring: bool
    major: bool


@dataclass(frozen=True)
class StepFact:
    key: str
    department: str  # the owner as the configuration runs it (sales, qc, ...)
    due_at: datetime | None
    done_at: datetime | None
    done_by: str | None
    outcome: str | None = None  # how it ended (the recheck: held or recurred)


@dataclass(frozen=True)
class ItemFact:
    due_at: datetime
    accepted_at: datetime | None


@dataclass(frozen=True)
class SuggestionFact:
    adopted_at: datetime | None  # when leadership adopted it
    reward: Decimal | None
    reward_at: datetime | None  # when the benefit, and so the reward, was recorded


@dataclass(frozen=True)
class ExtensionFact:
    department: str  # the step's owner, as the configuration runs it
    decided_at: datetime
    approved: bool


@dataclass(frozen=True)
class WeekFigures:
    """One week's figures; `Counter`s count by their key."""

    received: int
    by_grade: Counter[str]
    by_plant: Counter[str]
    by_class: Counter[str]
    closed: int
    open_at_end: int
    steps_on_time: int
    steps_late: int
    late_by_department: Counter[str]
    late_by_person: Counter[str]
    answers_due: int  # the 48-hour answers due this week
    answers_in_time: int
    items_due: int
    items_accepted: int  # accepted this week
    items_late: int  # due this week and not accepted by their date
    recurring_by_product: Counter[str]
    top_customers: list[tuple[str, int]]
    suggestions_adopted: int
    rewards: Decimal
    majors: int  # major problems received this week
    # Extensions of a limit approved this week, by the department whose step it was.
    extensions_by_department: Counter[str] = field(default_factory=Counter)
    # Rechecks a month on answered this week: the fix held, the problem came back.
    rechecks_held: int = 0
    rechecks_recurred: int = 0

    @property
    def answer_rate(self) -> float | None:
        return self.answers_in_time / self.answers_due if self.answers_due else None


def _within(moment: datetime | None, start: datetime, end: datetime) -> bool:
    return moment is not None and start <= moment < end


def figures(
    start: datetime,
    end: datetime,
    complaints: Iterable[ComplaintFact],
    steps: Iterable[StepFact],
    items: Iterable[ItemFact],
    suggestions: Iterable[SuggestionFact],
    answer_step: str = ANSWER_STEP,
    extensions: Iterable[ExtensionFact] = (),
) -> WeekFigures:
    """The figures of [start, end) from every fact that may touch it."""
    complaints, steps = list(complaints), list(steps)
    items, suggestions = list(items), list(suggestions)
    received = [c for c in complaints if _within(c.received_at, start, end)]
    done = [s for s in steps if _within(s.done_at, start, end) and s.due_at is not None]
    late = [s for s in done if s.done_at and s.due_at and s.done_at > s.due_at]
    answers = [s for s in steps if s.key == answer_step and _within(s.due_at, start, end)]
    in_time = [s for s in answers if s.done_at is not None and s.due_at and s.done_at <= s.due_at]
    items_due = [i for i in items if _within(i.due_at, start, end)]
    items_late = [i for i in items_due if i.accepted_at is None or i.accepted_at > i.due_at]
    customers = Counter(c.customer for c in received)
    rechecked = Counter(s.outcome for s in done if s.key == RECHECK)
    return WeekFigures(
        received=len(received),
        by_grade=Counter(c.grade for c in received),
        by_plant=Counter(c.plant for c in received),
        by_class=Counter(c.customer_class for c in received),
        closed=sum(1 for c in complaints if _within(c.closed_at, start, end)),
        open_at_end=sum(
            1
            for c in complaints
            if c.received_at < end and (c.closed_at is None or c.closed_at >= end)
        ),
        steps_on_time=len(done) - len(late),
        steps_late=len(late),
        late_by_department=Counter(s.department for s in late),
        late_by_person=Counter(s.done_by or "—" for s in late),
        answers_due=len(answers),
        answers_in_time=len(in_time),
        items_due=len(items_due),
        items_accepted=sum(1 for i in items if _within(i.accepted_at, start, end)),
        items_late=len(items_late),
        recurring_by_product=Counter(c.product for c in received if c.recurring),
        top_customers=sorted(customers.items(), key=lambda kv: (-kv[1], kv[0]))[:5],
        suggestions_adopted=sum(1 for g in suggestions if _within(g.adopted_at, start, end)),
        rewards=sum(
            (g.reward or Decimal(0) for g in suggestions if _within(g.reward_at, start, end)),
            Decimal(0),
        ),
        majors=sum(1 for c in received if c.major),
        extensions_by_department=Counter(
            x.department for x in extensions if x.approved and _within(x.decided_at, start, end)
        ),
        rechecks_held=rechecked[Outcome.HELD.value],
        rechecks_recurred=rechecked[Outcome.RECURRED.value],
    )


@dataclass(frozen=True)
class Overdue:
    """A step overdue now, with whom it waits for."""

    complaint_number: str
    title: str  # message id
    department: str
    who: str | None
    due_at: datetime


@dataclass(frozen=True)
class WeeklySummary:
    week: str
    start: datetime
    end: datetime
    this: WeekFigures
    before: WeekFigures  # the week before, to compare against
    overdue: Sequence[Overdue] = ()
    majors_open: Sequence[tuple[str, str]] = field(default_factory=tuple)  # number, plan state
    # The last twelve weeks, oldest first: (week, complaints received by grade).
    history: Sequence[tuple[str, Mapping[str, int]]] = field(default_factory=tuple)
    overdue_count: int = 0  # every step overdue now (`overdue` names the most overdue)
    majors_open_count: int = 0  # every major problem open (`majors_open` names the newest)
    rechecks_waiting: int = 0  # rechecks a month on set and not answered, now


def history(
    received: Iterable[tuple[datetime, str]], year: int, week: int, tz: tzinfo, weeks: int = 12
) -> list[tuple[str, Counter[str]]]:
    """(week, complaints by grade) for the `weeks` weeks ending with this one, oldest
    first, from (received at, grade) pairs."""
    end = week_bounds(year, week, tz)[1]
    names = []
    for back in range(weeks - 1, -1, -1):
        y, w, _ = (end - timedelta(days=7 * back + 1)).astimezone(tz).isocalendar()
        names.append(week_name(y, w))
    counts: dict[str, Counter[str]] = {name: Counter() for name in names}
    for received_at, grade in received:
        y, w, _ = received_at.astimezone(tz).isocalendar()
        if week_name(y, w) in counts:
            counts[week_name(y, w)][grade] += 1
    return [(name, counts[name]) for name in names]
