"""The node table of PROCEDURE.md section 4 as data.

Each step says who owns it, how long it may take and from when that counts,
when it applies, and which steps it opens when done. The engine
(bot.procedure.engine) reads this table; the configuration may override every
limit by step id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from bot.procedure.grading import Grade
from bot.procedure.roles import Role


class Anchor(StrEnum):
    """What a time limit counts from."""

    RECEIVED = "received"  # T0: sales received the complaint
    OCCURRED = "occurred"  # Tocc: the customer found the problem
    OPENED = "opened"  # the step opened (the step before was done, or the report was issued)


class Outcome(StrEnum):
    DONE = "done"
    NOT_QUALITY = "not_quality"  # step 2: not a product quality problem
    SATISFIED = "satisfied"  # step 16
    NOT_SATISFIED = "not_satisfied"  # step 16: back to step 3


# The plant's leading VP (Huangwu: executive VP; Laishan and contractors: production VP).
LEADING_VP = "leading_vp"
Owner = Role | str
# Owners a step can have: each has its group chats (per plant) or named people.
OWNER_CHOICES = (Role.SALES.value, Role.QC.value, Role.PRODUCTION.value, LEADING_VP)


@dataclass(frozen=True)
class Facts:
    """What decides which steps apply to a complaint."""

    grade: Grade
    serious: bool
    returned: bool


def _all(_: Facts) -> bool:
    return True


def _returns(facts: Facts) -> bool:
    return facts.returned


def _major(facts: Facts) -> bool:
    """Returns, claims and other major problems: grades A and B (reading)."""
    return facts.grade in (Grade.A, Grade.B)


@dataclass(frozen=True)
class StepDef:
    id: str
    number: str  # the node number of section 4
    owner: Owner
    default_limit: str | None  # None: no time limit ("on completion")
    counts_from: Anchor
    applies: Callable[[Facts], bool] = _all
    opens: tuple[str, ...] = ()  # opened when this step is done
    at_registration: bool = False  # opened when the complaint is registered
    outcomes: tuple[Outcome, ...] = (Outcome.DONE,)
    waits_for: tuple[str, ...] = ()  # opens only once all of these are done
    records: str | None = None  # complaint field a note on completion fills in


STEPS: tuple[StepDef, ...] = (
    StepDef("register", "1", Role.SALES, "1h", Anchor.RECEIVED, at_registration=True),
    StepDef(
        "initial_assessment",
        "2",
        Role.QC,
        "2h",
        Anchor.RECEIVED,
        at_registration=True,
        outcomes=(Outcome.DONE, Outcome.NOT_QUALITY),
        opens=("appraisal_report", "containment"),
    ),
    StepDef("explain_to_customer", "2a", Role.SALES, "end_of_day", Anchor.OPENED),
    StepDef(
        "appraisal_report",
        "3",
        Role.QC,
        "2h",
        Anchor.OPENED,
        opens=("feedback_to_sales", "improvement_measures"),
        records="cause_analysis",
    ),
    StepDef(
        "report_return", "4", Role.SALES, "1h", Anchor.RECEIVED, _returns, at_registration=True
    ),
    StepDef("lead_on_site", "5", LEADING_VP, "1h", Anchor.OPENED, _major, at_registration=True),
    StepDef("containment", "6", Role.QC, "1h", Anchor.OPENED),
    StepDef("feedback_to_sales", "7", Role.QC, "end_of_day", Anchor.OPENED),
    StepDef(
        "special_meeting",
        "8",
        LEADING_VP,
        "end_of_day",
        Anchor.OPENED,
        _major,
        at_registration=True,
    ),
    StepDef("report_to_gm", "9", LEADING_VP, "24h", Anchor.OPENED, _major, at_registration=True),
    StepDef(
        "rectification_plan",
        "10",
        LEADING_VP,
        "end_of_day",
        Anchor.OPENED,
        _major,
        at_registration=True,
    ),
    StepDef(
        "improvement_measures",
        "11",
        Role.QC,
        "24h",
        Anchor.OPENED,
        opens=("customer_solution", "rectification_items"),
        records="corrective_proposal",
    ),
    StepDef(
        "customer_solution", "12", Role.SALES, "24h", Anchor.OPENED, opens=("customer_result",)
    ),
    # Step 12's outer bound: a clear answer no later than Tocc + 48 h. It is done
    # when the solution (12) or the explanation (2a) reaches the customer.
    StepDef("customer_answer", "12", Role.SALES, "48h", Anchor.OCCURRED, at_registration=True),
    StepDef(
        "rectification_items", "13", Role.PRODUCTION, "7d", Anchor.OPENED, opens=("verification",)
    ),
    StepDef(
        "verification",
        "15",
        Role.QC,
        None,
        Anchor.OPENED,
        opens=("customer_result",),
        records="verification",
    ),
    StepDef(
        "customer_result",
        "16",
        Role.SALES,
        None,
        Anchor.OPENED,
        outcomes=(Outcome.SATISFIED, Outcome.NOT_SATISFIED),
        waits_for=("customer_solution", "verification"),
    ),
)

STEP_BY_ID = {s.id: s for s in STEPS}
STEP_IDS = tuple(s.id for s in STEPS)
DEFAULT_LIMITS: dict[str, str] = {s.id: s.default_limit for s in STEPS if s.default_limit}
# Steps that the answer to the customer completes.
ANSWERED_BY = ("customer_solution", "explain_to_customer")
