"""Message ids for the names of closed choices (demands, plants, grades, statuses).

The catalogues translate them; templates and keyboards look them up here.
"""

from __future__ import annotations

from bot.procedure.costs import COST_LABELS
from bot.procedure.grading import Demand, Grade, Plant
from bot.procedure.intake import FileKind
from bot.procedure.plans import DEPARTMENT_LABELS, ITEM_STATUS_LABELS
from bot.procedure.rechecks import RECHECK_STATES as RECHECK_STATE_LABELS
from bot.procedure.resources import REPORT_STATUS_LABELS
from bot.procedure.roles import Role
from bot.procedure.routing import Group
from bot.procedure.signatures import MEANING_LABELS
from bot.procedure.steps import (
    COMPLAINT_STATUS_LABELS,
    OWNER_LABELS,
    STEP_STATUS_LABELS,
)
from bot.procedure.suggestions import SUGGESTION_STATUS_LABELS
from bot.views.i18n import N_

DEMANDS = {
    Demand.CLAIM: N_("Claim for damages"),
    Demand.TERMINATE: N_("Terminate the contract"),
    Demand.RETURN: N_("Return"),
    Demand.DOWNGRADE: N_("Downgrade or price cut"),
    Demand.CONCESSION: N_("Concession acceptance"),
    Demand.EXCHANGE: N_("Exchange"),
    Demand.CRITICISM: N_("Criticism or grumbling"),
}

PLANTS = {
    Plant.HUANGWU: N_("Huangwu workshop/warehouse"),
    Plant.LAISHAN: N_("Laishan workshop/warehouse"),
    Plant.CONTRACTOR: N_("Outside contractor"),
    Plant.UNKNOWN: N_("Unknown yet"),
}

# A plant in a few characters, beside a person's role ("质检部门 · 黄务").
PLANT_SHORT = {
    Plant.HUANGWU: N_("Huangwu"),
    Plant.LAISHAN: N_("Laishan"),
}

GRADES = {
    Grade.A: N_("very serious"),
    Grade.B: N_("serious"),
    Grade.C: N_("ordinary"),
}

# Steps, their outcomes and their owners are named in the step table itself.
STATUSES = COMPLAINT_STATUS_LABELS
STEP_STATUSES = STEP_STATUS_LABELS
RECHECK_STATES = RECHECK_STATE_LABELS
OWNERS = OWNER_LABELS

ROLES = {
    Role.SALES: N_("Sales"),
    Role.QC: N_("Quality control"),
    Role.TECH: N_("Technical"),
    Role.PRODUCTION: N_("Production"),
    Role.EQUIPMENT: N_("Equipment"),
    Role.PURCHASING: N_("Purchasing"),
    Role.HR: N_("Human resources"),
    Role.VP_EXEC: N_("Executive VP"),
    Role.VP_PRODUCTION: N_("Production VP"),
    Role.VP_MARKETING: N_("Marketing VP"),
    Role.GM: N_("General manager"),
}

GROUPS = {
    Group.LEADERSHIP: N_("Leadership group"),
    Group.SALES: N_("Sales group"),
    Group.QC: N_("QC group"),
    Group.PRODUCTION: N_("Production group"),
    Group.EQUIPMENT: N_("Equipment group"),
    Group.PURCHASING: N_("Purchasing group"),
    Group.HR: N_("HR group"),
}

EVENTS = {
    "registered": N_("registered"),
    "delivery_failed": N_("delivery failed"),
}

FILE_KINDS = {FileKind.PHOTO: N_("photo"), FileKind.DOCUMENT: N_("document")}

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
        "reopened": N_("reopened"),
        "plant_set": N_("plant of origin set"),
        "plant_changed": N_("supply responsibility changed"),
        "linked_in_recheck": N_("linked to a complaint waiting for its recheck"),
        "fmea_answered": N_("FMEA and control plan answered"),
        "causes_set": N_("cause categories named"),
        "cost_recorded": N_("cost of poor quality recorded"),
        "nature_set": N_("nature changed"),
        "meeting_planned": N_("meeting scheduled"),
        "meeting_minutes": N_("meeting minutes recorded"),
        "suggestion_made": N_("suggestion made"),
        "suggestion_decided": N_("suggestion decided"),
        "suggestion_benefit": N_("benefit of a suggestion recorded"),
        "filed_major": N_("filed as a major quality problem"),
        "settings_changed": N_("settings changed"),
        "special_report_answered": N_("the GM answered the special report"),
        "step_skipped": N_("step no longer needed"),
        "plan_issued": N_("rectification plan issued"),
        "step_handed": N_("handed to someone else"),
        "meeting_invited": N_("invited to the meeting"),
        "weekly_agenda": N_("weekly meeting's agenda posted"),
        "plan_amended": N_("rectification plan amended"),
        "item_accepted": N_("rectification item accepted"),
        "item_sent_back": N_("rectification item sent back"),
        "item_reopened": N_("rectification item runs again"),
        "tracking_run": N_("tracking of plan items posted"),
        "extension_asked": N_("more time asked for"),
        "extension_approved": N_("extension approved"),
        "extension_refused": N_("extension refused"),
        "step_snoozed": N_("reminders snoozed"),
    }
)

# The form's "supply responsibility" boxes, in the form's order.
PLANTS_OF_ORIGIN = (Plant.HUANGWU, Plant.LAISHAN, Plant.CONTRACTOR)
UNKNOWN_PLANT = Plant.UNKNOWN

REPORT_STATUSES = REPORT_STATUS_LABELS
MEANINGS = MEANING_LABELS
COSTS = COST_LABELS

WEEKDAYS = {
    "mon": N_("Mon"),
    "tue": N_("Tue"),
    "wed": N_("Wed"),
    "thu": N_("Thu"),
    "fri": N_("Fri"),
    "sat": N_("Sat"),
    "sun": N_("Sun"),
}
SUGGESTION_STATUSES = SUGGESTION_STATUS_LABELS
DEPARTMENTS = DEPARTMENT_LABELS
ITEM_STATUSES = ITEM_STATUS_LABELS
