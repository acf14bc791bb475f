"""Signatures that say what they mean: who signed, when, and the meaning of the act, as
the paper's signature lines would (in the spirit of 21 CFR 11.50; no PKI).

Every acceptance and sign-off is one: an item accepted or sent back, the verification
signed off (effective or not), the customer's verdict recorded, the GM's answer to a
special report. A step's outcome names the meaning it signs in the step table
(`OutcomeDef.signs`); the GM's answer signs one of its own.
"""

from __future__ import annotations

from enum import StrEnum


def N_(message: str) -> str:
    """Marks a message id for extraction; the views translate it."""
    return message


class Meaning(StrEnum):
    ACCEPTED = "accepted"  # 验收合格: a plan item
    SENT_BACK = "sent_back"  # 验收不合格: a plan item done again
    EFFECTIVE = "effective"  # 整治有效: the verification signed off
    NOT_EFFECTIVE = "not_effective"  # 整治无效: the rectification runs again
    SATISFIED = "satisfied"  # 客户满意: the customer's verdict
    NOT_SATISFIED = "not_satisfied"  # 客户不满意: back to the appraisal
    REPORT_APPROVED = "report_approved"  # 同意: the GM on a special report
    REPORT_ANSWERED = "report_answered"  # 已批复: the GM answered in words


MEANING_LABELS = {
    Meaning.ACCEPTED: N_("accepted as done"),
    Meaning.SENT_BACK: N_("not accepted: to be done again"),
    Meaning.EFFECTIVE: N_("rectification effective"),
    Meaning.NOT_EFFECTIVE: N_("rectification not effective"),
    Meaning.SATISFIED: N_("customer satisfied, as the customer said"),
    Meaning.NOT_SATISFIED: N_("customer not satisfied, as the customer said"),
    Meaning.REPORT_APPROVED: N_("special report approved"),
    Meaning.REPORT_ANSWERED: N_("special report answered"),
}


def report_answer(approved: bool) -> Meaning:
    return Meaning.REPORT_APPROVED if approved else Meaning.REPORT_ANSWERED
