"""Message ids for the names of closed choices (demands, plants, grades, statuses).

The catalogues translate them; templates and keyboards look them up here.
"""

from __future__ import annotations


def N_(message: str) -> str:
    return message


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
