"""Message ids for the names of closed choices (demands, plants, grades, statuses).

The catalogues translate them; templates and keyboards look them up here.
"""

from __future__ import annotations

from bot.i18n import N_

DEMANDS = {
    "claim": N_("Claim for damages"),
    "terminate": N_("Terminate the contract"),
    "return": N_("Return"),
    "downgrade": N_("Downgrade or price cut"),
    "concession": N_("Concession acceptance"),
    "exchange": N_("Exchange"),
    "criticism": N_("Criticism or grumbling"),
}

PLANTS = {
    "huangwu": N_("Huangwu workshop/warehouse"),
    "laishan": N_("Laishan workshop/warehouse"),
    "contractor": N_("Outside contractor"),
    "unknown": N_("Unknown yet"),
}

GRADES = {
    "A": N_("very serious"),
    "B": N_("serious"),
    "C": N_("ordinary"),
}

STATUSES = {
    "open": N_("open"),
    "closed": N_("closed"),
}

ROLES = {
    "sales": N_("Sales"),
    "qc": N_("Quality control"),
    "tech": N_("Technical"),
    "production": N_("Production"),
    "equipment": N_("Equipment"),
    "purchasing": N_("Purchasing"),
    "hr": N_("Human resources"),
    "vp_exec": N_("Executive VP"),
    "vp_production": N_("Production VP"),
    "vp_marketing": N_("Marketing VP"),
    "gm": N_("General manager"),
}

EVENTS = {
    "registered": N_("registered"),
    "delivery_failed": N_("delivery failed"),
}

YES_NO = {True: N_("yes"), False: N_("no")}

STEPS = {
    "register": N_("Register the complaint"),
    "initial_assessment": N_("Initial assessment: a product quality problem?"),
    "explain_to_customer": N_("Explain to the customer (not a quality problem)"),
    "appraisal_report": N_("Product quality appraisal report with cause analysis"),
    "report_return": N_("Report the return to leadership with a recommendation"),
    "lead_on_site": N_("Lead staff to the site, analyse causes, propose measures"),
    "containment": N_("Temporary on-site containment measures"),
    "feedback_to_sales": N_("Feed the corrective results back to sales"),
    "special_meeting": N_("Special quality meeting on corrective measures"),
    "report_to_gm": N_("Report analysis and solution to the GM and executive VP"),
    "rectification_plan": N_("Fill in and submit the rectification plan"),
    "improvement_measures": N_("Formulate the quality improvement measures"),
    "customer_solution": N_("Issue the complaint solution to the customer"),
    "customer_answer": N_("Clear answer to the customer (48 h after the problem was found)"),
    "rectification_items": N_("Carry out the rectification items"),
    "verification": N_("Verify the effect on site"),
    "customer_result": N_("Tell the customer the result: satisfied?"),
}

STEP_STATUSES = {
    "open": N_("open"),
    "done": N_("done"),
    "skipped": N_("not needed"),
    "superseded": N_("sent back"),
}

OUTCOMES = {
    "done": N_("done"),
    "not_quality": N_("not a quality problem"),
    "satisfied": N_("customer satisfied"),
    "not_satisfied": N_("customer not satisfied: back to step 3"),
}

OWNERS = {
    "sales": N_("Sales"),
    "qc": N_("QC/technical"),
    "production": N_("Production"),
    "leading_vp": N_("Leading VP"),
}

PINGS = {
    "reminder": N_("Reminder"),
    "overdue": N_("Overdue"),
    "escalation": N_("Escalation"),
}
EVENTS.update(
    {
        "step_opened": N_("step opened"),
        "step_done": N_("step done"),
        "step_taken": N_("step taken"),
        "step_blocked": N_("blocked, needs resources"),
        "step_note": N_("note added"),
        "press_refused": N_("press refused"),
        "ping": N_("reminder sent"),
        "closed": N_("closed"),
        "plant_set": N_("plant of origin set"),
    }
)
