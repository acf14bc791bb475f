"""The procedure engine alone, with a fake clock: every grade, every branch, every limit."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from itertools import product
from zoneinfo import ZoneInfo

import pytest

from bot.procedure import engine
from bot.procedure.clock import FakeClock
from bot.procedure.durations import parse_limit
from bot.procedure.engine import StepError, StepState, Timing
from bot.procedure.grading import Demand, Grade, grade_for
from bot.procedure.pings import PingKind, PingPolicy, due_ping, next_ping_at
from bot.procedure.steps import DEFAULT_LIMITS, STEP_BY_ID, STEPS, Facts, Outcome, StepStatus

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
TIMING = Timing({k: parse_limit(v) for k, v in DEFAULT_LIMITS.items()}, time(17, 30), SHANGHAI)


class Case:
    """A complaint's steps, moved through the engine the way storage would."""

    def __init__(
        self,
        *demands: Demand,
        batch: bool = False,
        recurring: bool = False,
        occurred: datetime | None = None,
    ) -> None:
        self.clock = FakeClock(T0)
        facts = Facts(
            grade=grade_for(demands),
            demands=frozenset(demands),
            batch=batch,
            recurring=recurring,
        )
        self.complaint = engine.Complaint(facts, T0, occurred or T0)
        self.steps: list[StepState] = []
        self.outcome = Outcome.DONE
        self.due: dict[str, datetime | None] = {}
        self.closed = False
        self._store(engine.registration(self.complaint, TIMING, self.clock.now()))

    def _store(self, transition: engine.Transition) -> None:
        now = self.clock.now()
        for index, key in enumerate(transition.done):
            state = self.open_state(key) or StepState(key, StepStatus.OPEN, now)
            if state not in self.steps:
                self.steps.append(state)
            state.status, state.done_at = StepStatus.DONE, now
            state.outcome = self.outcome if index == 0 else Outcome.DONE
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
        ending = STEP_BY_ID[key].outcome(outcome)
        if ending is not None and ending.solvable_today is not None:
            self.facts(solvable_today=ending.solvable_today)
        self.outcome = outcome
        self._store(transition)
        return transition

    def facts(self, **change: object) -> None:
        self.complaint = replace(self.complaint, facts=replace(self.complaint.facts, **change))

    def regrade(self, after: timedelta = timedelta(0), **change: object) -> engine.Transition:
        """QC set the nature at step 3: the engine reconciles the steps with the new facts."""
        self.clock.advance(after)
        self.facts(**change)
        transition = engine.reconcile(self.complaint, self.steps, TIMING, self.clock.now())
        self._store(transition)
        return transition


LEADERS_STEPS = {"lead_on_site", "special_meeting", "report_to_gm", "rectification_plan"}
FIRST = {"initial_assessment", "customer_answer"}
CLAIM, RETURN, DOWNGRADE, EXCHANGE, TERMINATE = (
    Demand.CLAIM,
    Demand.RETURN,
    Demand.DOWNGRADE,
    Demand.EXCHANGE,
    Demand.TERMINATE,
)


def test_registration_opens_what_happened_not_the_grade_letter() -> None:
    a = Case(CLAIM, RETURN)
    assert a.open == FIRST | {"report_return"} | LEADERS_STEPS
    assert [s.key for s in a.steps if s.status == StepStatus.DONE] == ["register"]
    # A claim without a return: the VP on site and the report to the GM, a plan, but
    # no special meeting and no return to report.
    claim = Case(CLAIM)
    assert claim.open == FIRST | {"lead_on_site", "report_to_gm", "rectification_plan"}
    # B by a downgrade: serious (a disposition report), but nothing the VPs lead yet.
    assert Case(DOWNGRADE).open == FIRST
    # A batch problem of grade C: the special meeting and a plan, no VP on site.
    assert Case(EXCHANGE, batch=True).open == FIRST | {"special_meeting", "rectification_plan"}
    # A recurring problem of grade C: a plan led by the plant's VP.
    assert Case(EXCHANGE, recurring=True).open == FIRST | {"rectification_plan"}
    assert Case(EXCHANGE).open == FIRST


def test_due_times_count_from_the_right_moment() -> None:
    found = T0 - timedelta(hours=30)
    case = Case(CLAIM, RETURN, occurred=found)
    assert case.due["initial_assessment"] == T0 + timedelta(hours=2)
    assert case.due["report_return"] == T0 + timedelta(hours=1)
    assert case.due["lead_on_site"] == T0 + timedelta(hours=1)
    assert case.due["report_to_gm"] == T0 + timedelta(hours=24)
    assert case.due["customer_answer"] == found + timedelta(hours=48)
    assert case.due["special_meeting"] == datetime(2026, 11, 24, 17, 30, tzinfo=SHANGHAI)
    case.do("initial_assessment", after=timedelta(minutes=90))
    assert case.due["appraisal_report"] == T0 + timedelta(minutes=90 + 120)
    assert case.due["containment"] == T0 + timedelta(minutes=90 + 60)


def test_a_c_complaint_solved_the_same_day_has_no_plan() -> None:
    case = Case(EXCHANGE)
    case.do("initial_assessment")
    assert case.open == {"appraisal_report", "containment", "customer_answer"}
    case.do("containment")
    case.do("appraisal_report")  # Done: solvable today
    assert case.open == {"feedback_to_sales", "improvement_measures", "customer_answer"}
    case.do("feedback_to_sales")
    case.do("improvement_measures")
    assert case.open == {"customer_solution", "customer_answer"}  # no plan, no items
    done = case.do("customer_solution")
    assert done.done == ["customer_solution", "customer_answer"]  # the customer got the answer
    # No verification applies, so the verdict does not wait for one.
    assert case.open == {"customer_result"}
    assert case.due["customer_result"] == case.clock.now() + timedelta(days=3)
    final = case.do("customer_result", Outcome.SATISFIED)
    assert final.closed and case.open == set()


def test_a_c_complaint_qc_cannot_solve_today_gets_the_vps_plan() -> None:
    case = Case(EXCHANGE)
    case.do("initial_assessment")
    case.do("containment")
    opened = case.do("appraisal_report", Outcome.NOT_TODAY)
    assert {o.key for o in opened.opened} == {
        "feedback_to_sales",
        "improvement_measures",
        "rectification_plan",
    }
    case.do("feedback_to_sales")
    case.do("improvement_measures")
    # The items wait for the plan they carry out.
    assert case.open == {"customer_solution", "rectification_plan", "customer_answer"}
    case.do("customer_solution")
    assert "customer_result" not in case.open  # it waits for the verification
    assert [o.key for o in case.do("rectification_plan").opened] == ["rectification_items"]
    case.do("rectification_items", after=timedelta(days=3))
    # Verification: two days from the end of the rectification; the VP's sign-off one;
    # the verdict three.
    assert case.due["verification"] == case.clock.now() + timedelta(days=2)
    case.do("verification", after=timedelta(hours=5))
    assert case.open == {"verification_signoff"}
    assert case.due["verification_signoff"] == case.clock.now() + timedelta(days=1)
    # Not effective: the rectification and its verification run again.
    again = case.do("verification_signoff", Outcome.NOT_EFFECTIVE)
    assert [o.key for o in again.opened] == ["rectification_items"]
    assert set(again.superseded) == {"rectification_items", "verification"}
    case.do("rectification_items")
    case.do("verification")
    case.do("verification_signoff", Outcome.EFFECTIVE)
    assert case.open == {"customer_result"}
    assert case.due["customer_result"] == case.clock.now() + timedelta(days=3)
    assert case.do("customer_result", Outcome.SATISFIED).closed


def test_an_a_complaint_closes_only_when_the_leaders_steps_are_done_too() -> None:
    case = Case(CLAIM, RETURN)
    for key in (
        "report_return",
        "initial_assessment",
        "containment",
        "appraisal_report",
        "feedback_to_sales",
        "improvement_measures",
        "customer_solution",
    ):
        case.do(key)
    assert "rectification_items" not in case.open  # it waits for the plan
    for key in ("rectification_plan", "rectification_items", "verification"):
        case.do(key)
    case.do("verification_signoff", Outcome.EFFECTIVE)
    assert not case.do("customer_result", Outcome.SATISFIED).closed
    rest = LEADERS_STEPS - {"rectification_plan"}
    assert case.open == rest
    for key in sorted(rest)[:-1]:
        assert not case.do(key).closed
    assert case.do(sorted(rest)[-1]).closed


def test_not_a_quality_problem_is_explained_and_closed() -> None:
    case = Case(RETURN)
    transition = case.do("initial_assessment", Outcome.NOT_QUALITY)
    assert [o.key for o in transition.opened] == ["explain_to_customer"]
    assert case.due["explain_to_customer"] == datetime(2026, 11, 24, 17, 30, tzinfo=SHANGHAI)
    final = case.do("explain_to_customer", Outcome.ACCEPTED)
    assert final.done == ["explain_to_customer", "customer_answer"]
    assert set(final.skipped) == LEADERS_STEPS | {"report_return"}
    assert final.closed


def test_an_explanation_the_customer_does_not_accept_goes_to_step_3() -> None:
    case = Case(EXCHANGE)
    case.do("initial_assessment", Outcome.NOT_QUALITY)
    back = case.do("explain_to_customer", Outcome.NOT_ACCEPTED)
    assert back.done == ["explain_to_customer", "customer_answer"]  # the customer was answered
    assert {o.key for o in back.opened} == {"appraisal_report", "containment"}
    assert not back.closed and back.skipped == []
    with pytest.raises(StepError):
        case.do("explain_to_customer", Outcome.DONE)  # 2a has no plain Done


def test_not_satisfied_goes_back_to_step_3_and_waits_again() -> None:
    case = Case(EXCHANGE, recurring=True)
    for key in (
        "initial_assessment",
        "containment",
        "appraisal_report",
        "feedback_to_sales",
        "improvement_measures",
        "rectification_plan",
        "customer_solution",
        "rectification_items",
        "verification",
    ):
        case.do(key)
    case.do("verification_signoff", Outcome.EFFECTIVE)
    back = case.do("customer_result", Outcome.NOT_SATISFIED)
    assert [o.key for o in back.opened] == ["appraisal_report"]
    assert "verification" in back.superseded and not back.closed
    # The plan stands (it is not sent back): step 3 does not open it twice.
    assert "rectification_plan" not in {o.key for o in case.do("appraisal_report").opened}
    case.do("improvement_measures")
    case.do("customer_solution")
    assert "customer_result" not in case.open  # the old verification no longer counts
    case.do("feedback_to_sales")
    case.do("rectification_items")
    case.do("verification")
    assert "customer_result" not in case.open  # the old sign-off no longer counts
    case.do("verification_signoff", Outcome.EFFECTIVE)
    assert case.open == {"customer_result"}
    assert case.do("customer_result", Outcome.SATISFIED).closed


def test_qc_regrade_b_to_a_opens_the_vp_steps_from_that_moment_and_keeps_the_rest() -> None:
    case = Case(DOWNGRADE)
    case.do("initial_assessment", after=timedelta(hours=1))
    before = set(case.open)
    change = case.regrade(after=timedelta(minutes=30), grade=Grade.A)
    now = case.clock.now()
    assert change.skipped == []
    assert {o.key for o in change.opened} == {"lead_on_site", "report_to_gm", "rectification_plan"}
    assert case.due["lead_on_site"] == now + timedelta(hours=1)  # from the change, not T0
    assert case.due["report_to_gm"] == now + timedelta(hours=24)
    assert before < case.open


def test_qc_regrade_a_claim_to_c_cancels_the_vp_steps_and_back_again() -> None:
    case = Case(CLAIM)
    case.do("initial_assessment")
    lighter = case.regrade(grade=Grade.C)
    assert set(lighter.skipped) == {"lead_on_site", "report_to_gm", "rectification_plan"}
    assert lighter.opened == [] and not lighter.closed
    assert case.open == {"appraisal_report", "containment", "customer_answer"}
    # Judged heavier again: the steps open anew, their limits from now.
    heavier = case.regrade(after=timedelta(minutes=10), grade=Grade.A)
    assert {o.key for o in heavier.opened} == {"lead_on_site", "report_to_gm", "rectification_plan"}
    assert case.due["lead_on_site"] == case.clock.now() + timedelta(hours=1)


def test_qc_flag_a_batch_problem_opens_the_special_meeting_and_a_return_its_report() -> None:
    case = Case(EXCHANGE)
    case.do("initial_assessment")
    change = case.regrade(batch=True)
    assert {o.key for o in change.opened} == {"special_meeting", "rectification_plan"}
    # Once step 11 is done, a plan that applies only now still gates the items.
    case.do("appraisal_report")
    case.do("improvement_measures")
    assert "rectification_items" not in case.open
    case.do("rectification_plan")
    assert "rectification_items" in case.open


def test_a_step_completes_once_and_only_with_its_outcomes() -> None:
    case = Case(EXCHANGE)
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


def _applying(facts: Facts) -> frozenset[str]:
    return frozenset(s.id for s in STEPS if s.applies(facts))


def _every_facts() -> list[Facts]:
    """Every combination of demands and flags, with the grade intake gives and every
    grade QC may set, and every answer to "solvable today"."""
    found = []
    for mask in range(1 << len(Demand)):
        demands = frozenset(d for i, d in enumerate(Demand) if mask >> i & 1)
        for grade in Grade:
            for batch, recurring in product((False, True), repeat=2):
                for today in (None, True, False):
                    found.append(
                        Facts(
                            grade=grade,
                            demands=demands,
                            batch=batch,
                            recurring=recurring,
                            solvable_today=today,
                        )
                    )
    return found


# The readings of PROCEDURE.md section 4 as a table: facts -> the conditional steps.
PLAN = {"rectification_plan", "rectification_items", "verification", "verification_signoff"}
VP_ON_SITE = {"lead_on_site", "report_to_gm"}
APPLICABILITY = [
    (
        Facts(grade=Grade.A, demands=frozenset({CLAIM, RETURN})),
        {"report_return", "special_meeting"} | VP_ON_SITE | PLAN,
    ),
    (Facts(grade=Grade.A, demands=frozenset({CLAIM})), VP_ON_SITE | PLAN),
    (Facts(grade=Grade.A, demands=frozenset({TERMINATE})), {"special_meeting"} | VP_ON_SITE | PLAN),
    (
        Facts(grade=Grade.B, demands=frozenset({RETURN})),
        {"report_return", "special_meeting"} | VP_ON_SITE | PLAN,
    ),
    (Facts(grade=Grade.B, demands=frozenset({DOWNGRADE})), set()),
    (Facts(grade=Grade.B, demands=frozenset({DOWNGRADE}), solvable_today=False), PLAN),
    (Facts(grade=Grade.C, demands=frozenset({EXCHANGE})), set()),
    (Facts(grade=Grade.C, demands=frozenset({EXCHANGE}), solvable_today=True), set()),
    (Facts(grade=Grade.C, demands=frozenset({EXCHANGE}), recurring=True), PLAN),
    (Facts(grade=Grade.C, demands=frozenset({EXCHANGE}), batch=True), {"special_meeting"} | PLAN),
    # QC judged a claim and return ordinary: neither is borne out.
    (Facts(grade=Grade.C, demands=frozenset({CLAIM, RETURN})), set()),
    # QC judged a downgrade very serious: a claim-level problem.
    (Facts(grade=Grade.A, demands=frozenset({DOWNGRADE})), VP_ON_SITE | PLAN),
]
CONDITIONAL = {s.id for s in STEPS if s.applies_to != "all"}


@pytest.mark.parametrize(("facts", "expected"), APPLICABILITY)
def test_which_steps_apply(facts: Facts, expected: set[str]) -> None:
    assert _applying(facts) & CONDITIONAL == expected


def test_applicability_over_every_combination_of_demands_and_flags() -> None:
    everything = _every_facts()
    assert len(everything) == 128 * 3 * 4 * 3
    for facts in everything:
        steps = _applying(facts)
        assert steps >= {s.id for s in STEPS if s.applies_to == "all"}
        assert ("lead_on_site" in steps) == ("report_to_gm" in steps)  # 5 and 9 go together
        # The plan's steps go together, and everything the VPs lead comes with a plan.
        assert len(steps & PLAN) in (0, len(PLAN))
        if steps & ({"special_meeting", "report_return"} | VP_ON_SITE):
            assert steps >= PLAN, facts
        if facts.recurring or facts.solvable_today is False:
            assert steps >= PLAN, facts
        assert ("report_return" in steps) == (RETURN in facts.demands and facts.grade != Grade.C)
        if facts.grade is Grade.A:
            assert steps >= VP_ON_SITE
        # More demands, or a flag raised, never takes a step away.
        for more in (
            replace(facts, batch=True),
            replace(facts, recurring=True),
            replace(facts, demands=facts.demands | {EXCHANGE}),
        ):
            assert _applying(more) >= steps
