"""The 8D report's disciplines and the steps of the procedure that fill them.

D0 symptom and emergency response (intake, containment), D1 the team (whoever acted),
D2 the problem (intake), D3 containment (step 6), D4 root cause (the appraisal, step
3), D5 chosen corrective actions (the plan's items, step 10; else the corrective
proposal), D6 implemented and validated (acceptances, the verification and its
sign-off, step 15; else the corrective results fed back, step 7), D7 prevention (the
improvement measures, step 11), D8 closure (the verdict, step 16, and the closing).
"""

from __future__ import annotations

from bot.procedure.steps import PLAN_STEP, RECHECK

DISCIPLINES = ("D0", "D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8")

CONTAINMENT = "containment"  # D0 and D3
APPRAISAL = "appraisal_report"  # D4
PLAN = PLAN_STEP  # D5: whether a plan applies
RESULTS_TO_SALES = "feedback_to_sales"  # D6 where no plan applies
MEASURES = "improvement_measures"  # D7
RECHECK_STEP = RECHECK  # D7: whether the fix held a month on
