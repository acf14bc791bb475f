"""The messages Kesu posts about complaints and steps, rendered from view models.

Each returns what one recipient language reads; Telegram's limits are kept by
bot.views.render (split, never cut).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.procedure.causes import Cause
from bot.procedure.costs import CostKind, is_money
from bot.procedure.digests import DIGEST_BUTTONS
from bot.procedure.pareto import Pareto
from bot.procedure.pings import Ping
from bot.procedure.summary import WeeklySummary
from bot.views import charts, keyboards, labels
from bot.views.callbacks import CausePick, NaturePick
from bot.views.models import (
    AttachmentView,
    BoardView,
    ClosureView,
    ComplaintView,
    CostSheet,
    DeliveryView,
    DigestView,
    EventView,
    ExtensionView,
    Health,
    MeetingView,
    Message,
    PlanView,
    SettingsView,
    SpecialReportView,
    StepView,
    SuggestionView,
    TrackingRow,
    WeeklyAgendaView,
)
from bot.views.render import CAPTION_LIMIT, render, render_messages, split_html


def task_card(step: StepView, complaint: ComplaintView, language: str, tz: str) -> Message:
    text = render("steps/task_card.html", language, s=step, c=complaint, tz=tz)
    # A card is one message so it can be edited in place; long notes are shortened
    # visibly by the template and shown whole by /show.
    return Message(split_html(text)[0], keyboards.task(language, step))


def ping(
    step: StepView,
    complaint: ComplaintView,
    due: Ping,
    now: datetime,
    language: str,
    tz: str,
    held: bool = False,
) -> Message:
    """A reminder or escalation; `held`: it waited for working hours, and `now` is when
    it goes out."""
    text = render(
        "notices/ping.html", language, s=step, c=complaint, ping=due, now=now, tz=tz, held=held
    )
    return Message(split_html(text)[0], keyboards.task(language, step))


def digest(view: DigestView, language: str, tz: str, now: datetime) -> Message:
    """A chat's reminders and escalations of one interval: each step with how late it is
    now, a button under the first few to bring up its card."""
    text = render("notices/digest.html", language, **_fields(view), now=now, tz=tz)
    return Message(split_html(text)[0], keyboards.digest(language, view.lines[:DIGEST_BUTTONS]))


def board(
    view: BoardView, language: str, tz: str, now: datetime, updated: datetime | None
) -> Message:
    """A chat's board; `updated` None renders what changes it (the edit's fingerprint)."""
    text = render("boards/board.html", language, **_fields(view), now=now, tz=tz, updated=updated)
    return Message(split_html(text)[0])


def _fields(view: DigestView | BoardView) -> dict[str, object]:
    return {name: getattr(view, name) for name in view.__dataclass_fields__}


def special_report(
    step: StepView,
    complaint: ComplaintView,
    report: SpecialReportView,
    language: str,
    tz: str,
    answering: bool,
) -> list[Message]:
    """The report as the GM reads it, with Approve / Reply under it (`answering`);
    the copies carry no buttons."""
    parts = render_messages(
        "notices/special_report.html", language, s=step, c=complaint, report=report, tz=tz
    )
    keyboard = keyboards.special_report(language, report.id) if answering else None
    return [
        Message(p, keyboard if index == len(parts) - 1 else None) for index, p in enumerate(parts)
    ]


def extension(
    step: StepView,
    complaint: ComplaintView,
    request: ExtensionView,
    language: str,
    tz: str,
    deciding: bool,
) -> list[Message]:
    """An extension request as whom decides it reads it, with Approve / Refuse under it
    (`deciding`); or its decision, to whom asked."""
    template = "notices/extension_request.html" if deciding else "notices/extension_decided.html"
    parts = render_messages(template, language, s=step, c=complaint, x=request, tz=tz)
    keyboard = keyboards.extension(language, request.id) if deciding else None
    return [
        Message(p, keyboard if index == len(parts) - 1 else None) for index, p in enumerate(parts)
    ]


def snooze_choice(step: StepView, language: str) -> Message:
    """How long a step's reminders wait: an hour, or until the working morning."""
    text = render("steps/snooze.html", language, s=step)
    return Message(text, keyboards.snooze(language, step.id))


def extension_prompt(step: StepView, language: str, tz: str) -> str:
    return render("steps/extension_prompt.html", language, s=step, tz=tz)


def special_answer_prompt(language: str) -> str:
    return render("notices/special_answer_prompt.html", language)


def special_report_caption(complaint: ComplaintView, language: str) -> str:
    return render("notices/special_report_caption.html", language, c=complaint)


def special_answer(
    step: StepView, complaint: ComplaintView, report: SpecialReportView, language: str, tz: str
) -> list[Message]:
    parts = render_messages(
        "notices/special_answer.html", language, s=step, c=complaint, report=report, tz=tz
    )
    return [Message(p) for p in parts]


def complaint_card(complaint: ComplaintView, language: str, tz: str) -> list[Message]:
    return [
        Message(p) for p in render_messages("complaints/card.html", language, c=complaint, tz=tz)
    ]


def disposition_report(complaint: ComplaintView, language: str, tz: str) -> list[Message]:
    return [
        Message(p)
        for p in render_messages("complaints/disposition_report.html", language, c=complaint, tz=tz)
    ]


def step_file_caption(complaint: ComplaintView, attached: AttachmentView, language: str) -> str:
    return render("complaints/step_file_caption.html", language, c=complaint, a=attached)


def attachment_caption(
    complaint: ComplaintView, attachment: AttachmentView, index: int, language: str
) -> str:
    caption = render(
        "complaints/attachment_caption.html",
        language,
        c=complaint,
        index=index,
        total=len(complaint.attachments),
        a=attachment,
    )
    return split_html(caption, CAPTION_LIMIT)[0]


# /show lists the latest entries of a complaint's history, and how many came before.
HISTORY_SHOWN = 150  # a whole procedure with its plan fits; a flood is recorded once an hour


def complaint_show(
    complaint: ComplaintView,
    events: list[EventView],
    deliveries: Sequence[DeliveryView],
    language: str,
    tz: str,
    plan: PlanView | None = None,
    meetings: Sequence[MeetingView] = (),
) -> list[str]:
    shown = events[-HISTORY_SHOWN:]
    return render_messages(
        "complaints/show.html",
        language,
        c=complaint,
        events=shown,
        earlier=len(events) - len(shown),
        deliveries=deliveries,
        tz=tz,
        plan=plan,
        meetings=meetings,
    )


def step_prompt(step: StepView, blocking: bool, language: str) -> str:
    return render("steps/prompt.html", language, s=step, kind="block" if blocking else "note")


def nature_chooser(complaint: ComplaintView, pick: NaturePick, language: str) -> Message:
    """The appraisal's nature, as filed, with the chooser under it."""
    text = render("steps/nature.html", language, c=complaint, pick=pick)
    return Message(text, keyboards.nature(language, pick))


def cause_chooser(
    complaint: ComplaintView, pick: CausePick, listed: Sequence[Cause], language: str
) -> Message:
    """The appraisal's causes and responsibility, as they stand, with the chooser under it."""
    text = render("steps/causes.html", language, c=complaint)
    return Message(text, keyboards.causes(language, pick, listed))


def cost_prompt(kind: CostKind, number: str, language: str, *, reason_needed: bool) -> str:
    """The question for one figure of the cost of poor quality, answered by a reply."""
    return render(
        "costs/prompt.html",
        language,
        kind=kind,
        number=number,
        money=is_money(kind),
        reason_needed=reason_needed,
    )


def cost_sheet(sheet: CostSheet, language: str, tz: str) -> Message:
    """/cost: the figures that stand, the money in all, a button per figure to record."""
    text = render("costs/sheet.html", language, sheet=sheet, tz=tz)
    return Message(text, keyboards.costs(language, sheet) or None)


def pareto(found: Pareto, names: Mapping[str, str], language: str) -> list[str]:
    """The Pareto's figures as text: each bar with its value and the cumulative share."""
    named = lambda key: charts.cause_name(key, names, language)  # noqa: E731
    return render_messages("reports/pareto.html", language, p=found, named=named)


def pareto_caption(found: Pareto, names: Mapping[str, str], language: str) -> str:
    """The Pareto chart's caption: its period, the count of each cause (what the bars
    draw, readable where the picture is not), and the money."""
    named = lambda key: charts.cause_name(key, names, language)  # noqa: E731
    text = render("reports/pareto_caption.html", language, p=found, named=named)
    return split_html(text, CAPTION_LIMIT)[0]


def recheck_link(
    new: ComplaintView, earlier: ComplaintView, language: str, *, reopened: bool
) -> Message:
    """A new complaint within an earlier one's recheck window: the problem back (the
    earlier plan reopened), or possibly back (QC recheck now)."""
    text = render("notices/recheck_link.html", language, c=new, e=earlier, reopened=reopened)
    return Message(text)


def fmea_question(step: StepView, language: str) -> Message:
    """Asked of whoever recorded the verification (the 8D's D7)."""
    text = render("steps/fmea.html", language, s=step)
    return Message(text, keyboards.fmea(language, step.id))


def nature_prompt(pick: NaturePick, language: str) -> str:
    return render("steps/nature_reason.html", language, pick=pick)


def step_result(
    step: StepView, complaint: ComplaintView, text: str | None, by: str | None, language: str
) -> list[Message]:
    parts = render_messages(
        "notices/step_result.html", language, s=step, c=complaint, text=text, by=by
    )
    return [Message(p) for p in parts]


def settings(view: SettingsView, language: str) -> Message:
    text = render("settings.html", language, v=view)
    return Message(text, keyboards.settings(language, view.night_pings) if view.known else None)


def closure(view: ClosureView, language: str, tz: str) -> list[Message]:
    """The closure card: how long it took, and every limit missed and by whom."""
    return [Message(p) for p in render_messages("notices/closure.html", language, v=view, tz=tz)]


def suggestion(view: SuggestionView, language: str, tz: str, deciding: bool) -> Message:
    """A suggestion as leadership decide it (with buttons) or as its proposer hears back."""
    text = render("notices/suggestion.html", language, g=view, tz=tz)
    return Message(split_html(text)[0], keyboards.suggestion(language, view, deciding))


def benefit_prompt(language: str) -> str:
    return render("notices/benefit_prompt.html", language)


def meeting_invitation(
    meeting: MeetingView, complaint: ComplaintView, language: str, tz: str, reminder: bool = False
) -> list[Message]:
    """The invitation with its agenda (the complaint and its steps so far), or the
    reminder before the meeting."""
    parts = render_messages(
        "meetings/invitation.html", language, m=meeting, c=complaint, tz=tz, reminder=reminder
    )
    return [Message(p) for p in parts]


def meeting_confirmation(meeting: MeetingView, language: str, tz: str) -> list[Message]:
    text = render("meetings/confirmation.html", language, m=meeting, tz=tz)
    keyboard = keyboards.record_minutes(language, meeting.id, invite=True)
    return [Message(split_html(text)[0], keyboard)]


def meeting_minutes(meeting: MeetingView, language: str, tz: str) -> list[Message]:
    return [
        Message(p) for p in render_messages("meetings/minutes.html", language, m=meeting, tz=tz)
    ]


def minutes_caption(meeting: MeetingView, language: str) -> str:
    return render("meetings/minutes_caption.html", language, m=meeting)


def meeting_prompt(language: str) -> str:
    return render("meetings/prompt.html", language, kind="when")


def minutes_prompt(language: str) -> str:
    return render("meetings/prompt.html", language, kind="minutes")


def plan_card(plan: PlanView, complaint: ComplaintView, language: str, tz: str) -> Message:
    """The plan laid out like 《质量问题整治方法计划表》; one message, edited in place."""
    text = render("plans/card.html", language, p=plan, c=complaint, tz=tz)
    return Message(split_html(text)[0])


def tracking(
    rows: tuple[TrackingRow, ...],
    now: datetime,
    language: str,
    tz: str,
    late: datetime | None = None,
) -> list[Message]:
    """The daily tracking of running plan items (step 14), split within Telegram's limit;
    `late`: when it was due, if the bot was not running then."""
    parts = render_messages("plans/tracking.html", language, rows=rows, now=now, tz=tz, late=late)
    return [Message(p) for p in parts]


def weekly_agenda(agenda: WeeklyAgendaView, language: str, tz: str) -> list[Message]:
    """The weekly meeting's agenda, split within Telegram's limit; the last part carries
    the button for its minutes."""
    parts = render_messages("meetings/weekly_agenda.html", language, a=agenda, tz=tz)
    keyboard = keyboards.record_minutes(language, agenda.meeting.id)
    return [Message(p, keyboard if i == len(parts) - 1 else None) for i, p in enumerate(parts)]


def weekly_reminder(meeting: MeetingView, language: str, tz: str) -> list[Message]:
    text = render("meetings/weekly_reminder.html", language, m=meeting, tz=tz)
    return [Message(text, keyboards.record_minutes(language, meeting.id))]


def register_caption(period: str, count: int, late: datetime | None, language: str, tz: str) -> str:
    """The month-end register's caption: the month, how many, and whether it waited."""
    text = render(
        "notices/register_caption.html", language, period=period, count=count, late=late, tz=tz
    )
    return split_html(text, CAPTION_LIMIT)[0]


def weekly_summary(
    summary: WeeklySummary,
    language: str,
    tz: str,
    late: datetime | None = None,
    keyboard: keyboards.Keyboard | None = None,
) -> list[Message]:
    """The weekly summary, split within Telegram's limit (never cut); the keyboard (the
    dashboard's link) under its last part."""
    parts = render_messages(
        "reports/weekly_summary.html",
        language,
        s=summary,
        t=summary.this,
        b=summary.before,
        plants=[(p, labels.PLANTS[p]) for p in labels.PLANTS_OF_ORIGIN],
        late=late,
        tz=tz,
    )
    return [Message(p, keyboard if i == len(parts) - 1 else None) for i, p in enumerate(parts)]


def status(health: Health, language: str, tz: str) -> list[str]:
    """`/status` and `kesu status`: Kesu's health in a few lines."""
    return render_messages("reports/status.html", language, s=health, tz=tz)
