"""The special report to the GM (书面专项报告, PROCEDURE.md section 4).

When technology, equipment or materials block a fix, the one leading it writes
to the GM asking for resources; the GM approves or answers in words, and the
answer goes back to the writer, the leading VP and sales.
"""

from __future__ import annotations

from enum import StrEnum


def N_(message: str) -> str:
    return message


class ReportStatus(StrEnum):
    WAITING = "waiting"  # with the GM
    APPROVED = "approved"
    ANSWERED = "answered"  # the GM answered in words


REPORT_STATUS_LABELS = {
    ReportStatus.WAITING: N_("waiting for the GM"),
    ReportStatus.APPROVED: N_("approved by the GM"),
    ReportStatus.ANSWERED: N_("answered by the GM"),
}
