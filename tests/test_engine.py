"""The procedure engine alone, with a fake clock: every grade, every branch, every limit."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.procedure import engine
from bot.procedure.clock import FakeClock
from bot.procedure.durations import parse_limit
from bot.procedure.engine import StepError, StepState, Timing
from bot.procedure.grading import Grade
from bot.procedure.pings import PingKind, PingPolicy, due_ping, next_ping_at
from bot.procedure.steps import DEFAULT_LIMITS, STEPS, Facts, Outcome, StepStatus

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
TIMING = Timing({k: parse_limit(v) for k, v in DEFAULT_LIMITS.items()}, time(17, 30), SHANGHAI)


class Case:
    """A complaint's steps, moved through the engine the way storage would."""

    def __init__(
        self,
        grade: Grade,
        *,
        returned: bool = False,
        serious: bool | None = None,
        occurred: datetime | None = None,
    ) -> None:
        self.clock = FakeClock(T0)
        self.complaint = engine.Complaint(
            Facts(grade, serious if serious is not None else grade != Grade.C, returned),
            T0,
            occurred or T0,
        )
        self.steps: list[StepState] = []
        self.due: dict[str, datetime | None] = {}
        self.closed = False
        self._store(engine.registration(self.complaint, TIMING, self.clock.now()))

    def _store(self, transition: engine.Transition) -> None:
        now = self.clock.now()
        for key in transition.done:
            state = self.open_state(key) or StepState(key, StepStatus.OPEN, now)
            if state not in self.steps:
                self.steps.append(state)
            state.status, state.done_at = StepStatus.DONE, now
        for key in transition.skipped:
            self.open_state(key).status = StepStatus.SKIPPED  # type: ignore[union-attr]
        for key in transition.superseded:
            for state in self.steps:
                if state.key == key and state.status == StepStatus.DONE:
                    state.status = StepStatus.SUPERSEDED
        for opening in transition.opened:
            self.steps.append(StepState(opening.key, StepStatus.OPEN, now))
            self.due[opening.key] = opening.due_at
        self.closed = transition.closed

    def open_state(self, key: str) -> StepState | None:
        return next((s for s in self.steps if s.key == key and s.status == StepStatus.OPEN), None)

    @property
    def open(self) -> set[str]:
        return {s.key for s in self.steps if s.status == StepStatus.OPEN}

    def do(
        self, key: str, outcome: Outcome = Outcome.DONE, after: timedelta = timedelta(0)
    ) -> engine.Transition:
        self.clock.advance(after)
        transition = engine.complete(
            self.complaint, self.steps, key, outcome, TIMING, self.clock.now()
        )
        self._store(transition)
        return transition


LEADERS_STEPS = {"lead_on_site", "special_meeting", "report_to_gm", "rectification_plan"}


def test_registration_opens_by_grade() -> None:
    a = Case(Grade.A, returned=True)
    assert a.open == {"initial_assessment", "report_return", "customer_answer"} | LEADERS_STEPS
    assert [s.key for s in a.steps if s.status == StepStatus.DONE] == ["register"]
    b = Case(Grade.B)
    assert b.open == {"initial_assessment", "customer_answer"} | LEADERS_STEPS
    c = Case(Grade.C, serious=True)  # a batch problem of grade C: no VP steps
    assert c.open == {"initial_assessment", "customer_answer"}


def test_due_times_count_from_the_right_moment() -> None:
    found = T0 - timedelta(hours=30)
    case = Case(Grade.A, returned=True, occurred=found)
    assert case.due["initial_assessment"] == T0 + timedelta(hours=2)
    assert case.due["report_return"] == T0 + timedelta(hours=1)
    assert case.due["lead_on_site"] == T0 + timedelta(hours=1)
    assert case.due["report_to_gm"] == T0 + timedelta(hours=24)
    assert case.due["customer_answer"] == found + timedelta(hours=48)
    assert case.due["special_meeting"] == datetime(2026, 11, 24, 17, 30, tzinfo=SHANGHAI)
    case.do("initial_assessment", after=timedelta(minutes=90))
    assert case.due["appraisal_report"] == T0 + timedelta(minutes=90 + 120)
    assert case.due["containment"] == T0 + timedelta(minutes=90 + 60)


def test_a_c_complaint_through_the_whole_procedure() -> None:
    case = Case(Grade.C)
    case.do("initial_assessment")
    assert case.open == {"appraisal_report", "containment", "customer_answer"}
    case.do("containment")
    case.do("appraisal_report")
    assert case.open == {"feedback_to_sales", "improvement_measures", "customer_answer"}
    case.do("feedback_to_sales")
    case.do("improvement_measures")
    assert case.open == {"customer_solution", "rectification_items", "customer_answer"}
    done = case.do("customer_solution")
    assert done.done == ["customer_solution", "customer_answer"]  # the customer got the answer
    assert "customer_result" not in case.open  # it waits for the verification
    case.do("rectification_items", after=timedelta(days=3))
    # Verification: two days from the end of the rectification; the verdict: three.
    assert case.due["verification"] == case.clock.now() + timedelta(days=2)
    case.do("verification", after=timedelta(hours=5))
    assert case.open == {"customer_result"}
    assert case.due["customer_result"] == case.clock.now() + timedelta(days=3)
    final = case.do("customer_result", Outcome.SATISFIED)
    assert final.closed and case.open == set()


def test_an_a_complaint_closes_only_when_the_leaders_steps_are_done_too() -> None:
    case = Case(Grade.A, returned=True)
    for key in (
        "report_return",
        "initial_assessment",
        "containment",
        "appraisal_report",
        "feedback_to_sales",
        "improvement_measures",
        "customer_solution",
        "rectification_items",
        "verification",
    ):
        case.do(key)
    assert not case.do("customer_result", Outcome.SATISFIED).closed
    assert case.open == LEADERS_STEPS
    for key in sorted(LEADERS_STEPS)[:-1]:
        assert not case.do(key).closed
    assert case.do(sorted(LEADERS_STEPS)[-1]).closed


def test_not_a_quality_problem_is_explained_and_closed() -> None:
    case = Case(Grade.B)
    transition = case.do("initial_assessment", Outcome.NOT_QUALITY)
    assert [o.key for o in transition.opened] == ["explain_to_customer"]
    assert case.due["explain_to_customer"] == datetime(2026, 11, 24, 17, 30, tzinfo=SHANGHAI)
    final = case.do("explain_to_customer", Outcome.ACCEPTED)
    assert final.done == ["explain_to_customer", "customer_answer"]
    assert set(final.skipped) == LEADERS_STEPS
    assert final.closed


def test_an_explanation_the_customer_does_not_accept_goes_to_step_3() -> None:
    case = Case(Grade.C)
    case.do("initial_assessment", Outcome.NOT_QUALITY)
    back = case.do("explain_to_customer", Outcome.NOT_ACCEPTED)
    assert back.done == ["explain_to_customer", "customer_answer"]  # the customer was answered
    assert {o.key for o in back.opened} == {"appraisal_report", "containment"}
    assert not back.closed and back.skipped == []
    with pytest.raises(StepError):
        case.do("explain_to_customer", Outcome.DONE)  # 2a has no plain Done


def test_not_satisfied_goes_back_to_step_3_and_waits_again() -> None:
    case = Case(Grade.C)
    for key in (
        "initial_assessment",
        "containment",
        "appraisal_report",
        "feedback_to_sales",
        "improvement_measures",
        "customer_solution",
        "rectification_items",
        "verification",
    ):
        case.do(key)
    back = case.do("customer_result", Outcome.NOT_SATISFIED)
    assert [o.key for o in back.opened] == ["appraisal_report"]
    assert "verification" in back.superseded and not back.closed
    case.do("appraisal_report")
    case.do("improvement_measures")
    case.do("customer_solution")
    assert "customer_result" not in case.open  # the old verification no longer counts
    case.do("feedback_to_sales")
    case.do("rectification_items")
    case.do("verification")
    assert case.open == {"customer_result"}
    assert case.do("customer_result", Outcome.SATISFIED).closed


def test_a_step_completes_once_and_only_with_its_outcomes() -> None:
    case = Case(Grade.C)
    case.do("initial_assessment")
    with pytest.raises(StepError, match="not open"):
        case.do("initial_assessment")
    with pytest.raises(StepError):
        case.do("appraisal_report", Outcome.NOT_QUALITY)
    with pytest.raises(StepError):
        case.do("no_such_step")


def test_every_step_is_reachable_and_every_opened_step_exists() -> None:
    known = {s.id for s in STEPS}
    for step in STEPS:
        assert set(step.opens) <= known and set(step.waits_for) <= known
        assert step.default_limit is None or step.id in DEFAULT_LIMITS


POLICY = PingPolicy(fractions=(0.5, 0.9), repeat=timedelta(hours=1))
OPENED = T0
DUE = T0 + timedelta(hours=2)


def test_reminders_at_half_and_ninety_percent_then_overdue_and_hourly_escalation() -> None:
    times = [next_ping_at(OPENED, DUE, i, POLICY) for i in range(5)]
    assert times == [
        T0 + timedelta(hours=1),
        T0 + timedelta(minutes=108),
        DUE,
        DUE + timedelta(hours=1),
        DUE + timedelta(hours=2),
    ]
    assert due_ping(OPENED, DUE, 0, T0 + timedelta(minutes=59), POLICY) is None
    ping = due_ping(OPENED, DUE, 0, T0 + timedelta(hours=1), POLICY)
    assert ping is not None and ping.kind is PingKind.REMINDER and not ping.late
    ping = due_ping(OPENED, DUE, 2, DUE, POLICY)
    assert ping is not None and ping.kind is PingKind.OVERDUE
    ping = due_ping(OPENED, DUE, 3, DUE + timedelta(hours=1, seconds=5), POLICY)
    assert ping is not None and ping.kind is PingKind.ESCALATION and not ping.late


def test_pings_missed_while_down_are_sent_once_the_latest_marked_late() -> None:
    back_up = DUE + timedelta(minutes=20)  # down through both reminders and the limit
    ping = due_ping(OPENED, DUE, 0, back_up, POLICY)
    assert ping is not None
    assert ping.index == 2 and ping.kind is PingKind.OVERDUE and ping.late
    assert due_ping(OPENED, DUE, ping.index + 1, back_up, POLICY) is None


def test_a_step_that_opens_past_its_time_is_told_at_once_and_not_as_late() -> None:
    """Filed two days after the customer found the problem: step 12's 48 h are gone."""
    opened = T0
    due = T0 - timedelta(hours=1)  # Tocc + 48 h, before the step opened
    ping = due_ping(opened, due, 0, T0 + timedelta(seconds=1), POLICY)
    assert ping is not None and ping.kind is PingKind.ESCALATION and not ping.late
    # Held up while the bot was down is still late.
    later = due_ping(opened, due, ping.index + 1, T0 + timedelta(hours=3, minutes=30), POLICY)
    assert later is not None and later.late
