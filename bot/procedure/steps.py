"""The node table of PROCEDURE.md section 4 as data: step ids and default time limits.

The engine that opens, reminds and closes steps builds on this table; the
configuration may override every limit by step id.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.procedure.roles import Role


@dataclass(frozen=True)
class StepDef:
    id: str
    number: str  # the node number of section 4
    owner: Role
    default_limit: str | None  # None: no time limit ("while executing", "on completion")


STEPS: tuple[StepDef, ...] = (
    StepDef("register", "1", Role.SALES, "1h"),
    StepDef("initial_assessment", "2", Role.QC, "2h"),
    StepDef("explain_to_customer", "2a", Role.SALES, "end_of_day"),
    StepDef("appraisal_report", "3", Role.QC, "2h"),
    StepDef("report_return", "4", Role.SALES, "1h"),
    StepDef("lead_on_site", "5", Role.VP_EXEC, "1h"),  # the plant's leading VP
    StepDef("containment", "6", Role.QC, "1h"),
    StepDef("feedback_to_sales", "7", Role.QC, "end_of_day"),
    StepDef("special_meeting", "8", Role.VP_EXEC, "end_of_day"),
    StepDef("report_to_gm", "9", Role.VP_EXEC, "24h"),
    StepDef("rectification_plan", "10", Role.VP_EXEC, "end_of_day"),
    StepDef("improvement_measures", "11", Role.QC, "24h"),
    StepDef("customer_solution", "12", Role.SALES, "24h"),
    # Step 12's outer bound: a clear answer no later than Tocc + 48 h.
    StepDef("customer_answer", "12", Role.SALES, "48h"),
    StepDef("rectification_items", "13", Role.PRODUCTION, "7d"),
    StepDef("tracking", "14", Role.QC, None),
    StepDef("verification", "15", Role.QC, None),
    StepDef("customer_result", "16", Role.SALES, None),
)

STEP_IDS = tuple(s.id for s in STEPS)
DEFAULT_LIMITS: dict[str, str] = {s.id: s.default_limit for s in STEPS if s.default_limit}
