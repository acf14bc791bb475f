"""Extension requests (申请延期): an owner who cannot make a limit asks for more time.

The owner gives the new date (or a number of days) and the reason in one reply; the
plant's leading VP decides (the GM for a VP's own step). Approved, the due time moves
and the reminders and escalations count to it; refused, it stays. An extension is about
time; a blocked step needing resources is the special report's (bot/procedure/resources).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum

from bot.procedure.intake import InvalidAnswer
from bot.procedure.plans import parse_due


def N_(message: str) -> str:
    return message


class ExtensionStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


REASON_LIMIT = 500  # characters of the reason, as a note's


@dataclass(frozen=True)
class Asked:
    new_due: datetime
    reason: str


def parse_request(text: str, *, due: datetime, now: datetime, tz: tzinfo) -> Asked:
    """ "2026-12-10 等第三方检测报告" or "3 等检测" (days after the current limit): the new
    due time (the limit's own time of day, on the new date) and the reason. A one-line
    reason (a message id) for anything else."""
    head, _, rest = text.strip().partition(" ")
    if not head:
        raise InvalidAnswer(N_("Give the new date and the reason, like: 2026-12-10 等检测报告"))
    local_due = due.astimezone(tz)
    days = re.fullmatch(r"\+?(\d{1,3})(?:天|d|days?)?", head)
    if days:
        count = int(days.group(1))
        if not 1 <= count <= 90:
            raise InvalidAnswer(N_("Ask for 1 to 90 days more."))
        new_due = due + timedelta(days=count)
    else:
        day = parse_due(head, today=now.astimezone(tz).date())
        new_due = datetime.combine(day, local_due.time(), tzinfo=tz)
    if new_due <= due:
        raise InvalidAnswer(N_("That is not later than the present limit: give a later date."))
    if new_due - due > timedelta(days=90):
        raise InvalidAnswer(N_("Ask for 1 to 90 days more."))
    reason = rest.strip()
    if not reason:
        raise InvalidAnswer(N_("Say why, after the date: 2026-12-10 等检测报告"))
    if len(reason) > REASON_LIMIT:
        raise InvalidAnswer(
            N_("Please keep the reason under {limit} characters."), limit=REASON_LIMIT
        )
    return Asked(new_due, reason)
