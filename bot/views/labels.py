"""Message ids for the names of closed choices (demands, plants, grades, statuses).

The catalogues translate them; templates and keyboards look them up here.
"""

from __future__ import annotations

from bot.procedure.grading import Plant
from bot.procedure.steps import (
    COMPLAINT_STATUS_LABELS,
    OWNER_LABELS,
    STEP_STATUS_LABELS,
)
from bot.views.i18n import N_

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

# Steps, their outcomes and their owners are named in the step table itself.
STATUSES = COMPLAINT_STATUS_LABELS
STEP_STATUSES = STEP_STATUS_LABELS
OWNERS = OWNER_LABELS

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

# The form's "supply responsibility" boxes, in the form's order.
PLANTS_OF_ORIGIN = (Plant.HUANGWU, Plant.LAISHAN, Plant.CONTRACTOR)
UNKNOWN_PLANT = Plant.UNKNOWN
