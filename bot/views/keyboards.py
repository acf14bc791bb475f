"""Keyboards as pure functions of the state: rows of (label, callback data).

Kept free of telegram types so they can be tested as plain data; the handlers
turn them into InlineKeyboardMarkup.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from bot.procedure.causes import Cause, toggle
from bot.procedure.costs import COST_LABELS, CostKind
from bot.procedure.grading import CustomerClass, Demand, Grade, Plant
from bot.procedure.intake import FIELDS, Draft, Field, Kind
from bot.procedure.plans import (
    CHANGE_LABELS,
    ITEM_DAYS,
    PLAN_DAYS,
    PLAN_QUESTIONS,
    Ask,
    Change,
    Department,
    PlanDraft,
    Question,
    default_due,
)
from bot.procedure.steps import Owner
from bot.views import labels
from bot.views.callbacks import (
    INTAKE,
    PLAN_FORM,
    Callback,
    CausePick,
    CostPress,
    ExtensionPress,
    FmeaPress,
    HandPress,
    InvitePress,
    MajorPress,
    MinutesPress,
    NaturePick,
    NightPingsPress,
    PlantPress,
    ReportAction,
    ReportPress,
    SnoozePress,
    StepAction,
    StepPress,
    SuggestionAction,
    SuggestionPress,
)
from bot.views.i18n import N_, gettext, gettext_plain
from bot.views.models import CostSheet, DigestLine, PersonChoice, StepView, SuggestionView

Button = tuple[str, str]
# A button's label is cut here: Telegram shows about this much on a phone.
BUTTON_TEXT = 32
Keyboard = list[list[Button]]


def _intake(action: str, arg: str = "") -> str:
    return Callback(INTAKE, action, arg).encode()


def customer_matches(
    language: str, matches: Iterable[tuple[int, str, str]], typed: str
) -> Keyboard:
    rows: Keyboard = [
        [
            (
                gettext_plain(language, "{name} (class {cls})", name=name, cls=cls),
                _intake("cust", str(cid)),
            )
        ]
        for cid, name, cls in matches
    ]
    rows.append(
        [(gettext_plain(language, "New customer: {name}", name=typed[:40]), _intake("newcust"))]
    )
    return rows


def question(language: str, field: Field, draft: Draft) -> Keyboard:
    """The buttons under an intake question (empty for free text)."""
    t = lambda message: gettext(language, message)  # noqa: E731
    if field.key == "customer_class":
        return [[(c.value, _intake("pick", c.value)) for c in CustomerClass]]
    if field.key == "plant":
        return [[(t(labels.PLANTS[p]), _intake("pick", p.value))] for p in Plant]
    if field.kind is Kind.YES_NO:
        return [[(t("Yes"), _intake("pick", "yes")), (t("No"), _intake("pick", "no"))]]
    if field.key == "demands":
        chosen = set(draft.demands_pending)
        rows = [
            [
                (
                    ("✅ " if d.value in chosen else "") + t(labels.DEMANDS[d]),
                    _intake("tog", d.value),
                )
            ]
            for d in Demand
        ]
        rows.append([(t("Done"), _intake("done"))])
        return rows
    if field.kind is Kind.TIME:
        return [[(t("Just now"), _intake("pick", "now"))]]
    if field.key == "occurred_on":
        return [[(t("Today (when the complaint came in)"), _intake("pick", "today"))]]
    if field.kind is Kind.FILES:
        row = [(t("Done"), _intake("done"))]
        if draft.attachments:
            row.append((t("Remove all files"), _intake("clearfiles")))
        else:
            row = [(t("No attachments"), _intake("done"))]
        return [row]
    return []


def summary(language: str) -> Keyboard:
    t = lambda message: gettext(language, message)  # noqa: E731
    return [
        [(t("Confirm and file"), _intake("ok"))],
        [(t("Edit"), _intake("edit")), (t("Cancel"), _intake("cancel"))],
    ]


def edit_menu(language: str, fields: Sequence[Field] = FIELDS) -> Keyboard:
    rows: Keyboard = []
    pair: list[Button] = []
    for field in fields:
        pair.append((gettext(language, field.label), _intake("field", field.key)))
        if len(pair) == 2:
            rows.append(pair)
            pair = []
    if pair:
        rows.append(pair)
    rows.append([(gettext(language, "Back to the summary"), _intake("back"))])
    return rows


def task(language: str, step: StepView) -> Keyboard:
    """The buttons of a task card: what may be done to the step in its state.

    The finishing buttons are the step's outcomes in the step table; while the
    plant of origin is unknown, a step that asks for it offers the plants too.
    """
    t = lambda message: gettext(language, message)  # noqa: E731
    show = (t("Show"), StepPress(step.id, StepAction.SHOW).encode())
    if not step.is_open:
        return [[show]]
    rows: Keyboard = []
    if step.definition.pressable:
        rows.append(
            [
                (t(o.button), StepPress(step.id, StepAction.FINISH, o.code).encode())
                for o in step.definition.outcomes
            ]
        )
    if step.definition.fills_plan:
        rows.append(
            [
                (t("Fill in the plan"), StepPress(step.id, StepAction.PLAN).encode()),
                (t("Hand it to someone"), HandPress(step.id).encode()),
            ]
        )
    if step.definition.by_items:
        rows.append([(t("Change the plan"), StepPress(step.id, StepAction.PLAN).encode())])
    if step.definition.asks_plant and step.plant is Plant.UNKNOWN:
        rows.append(
            [
                (t(labels.PLANTS[p]), PlantPress(step.id, p.value).encode())
                for p in Plant
                if p is not Plant.UNKNOWN
            ]
        )
    if step.definition.sets_nature:
        rows.append([(t("Change the nature"), StepPress(step.id, StepAction.NATURE).encode())])
    if step.definition.attaches_8d:
        rows.append(
            [
                (
                    t("Attach the 8D report (中文)"),
                    StepPress(step.id, StepAction.EIGHT_D_ZH).encode(),
                ),
                (
                    t("Attach the 8D report (English)"),
                    StepPress(step.id, StepAction.EIGHT_D_EN).encode(),
                ),
            ]
        )
    if step.definition.asks_causes:
        label = t("Causes and responsibility")
        rows.append([(label, StepPress(step.id, StepAction.CAUSES).encode())])
    if step.definition.holds_meeting:
        rows.append([(t("Schedule the meeting"), StepPress(step.id, StepAction.MEETING).encode())])
    blocked = (t("Blocked - needs resources"), StepPress(step.id, StepAction.BLOCK).encode())
    if step.definition.per_item:
        rows.append([blocked])  # an item is already one person's
    elif step.owner is Owner.SALES:
        # The filer's step: no colleague takes it, the filer hands it to one (a leave).
        rows.append([(t("Hand it to a colleague"), HandPress(step.id).encode()), blocked])
    else:
        rows.append([(t("Take it"), StepPress(step.id, StepAction.TAKE).encode()), blocked])
    last = []
    if step.due_at is not None and not step.definition.per_item and step.extension_to is None:
        # An item's date is the plan's, changed with the plan; one request at a time.
        last.append((t("Ask for more time"), StepPress(step.id, StepAction.EXTEND).encode()))
    if step.due_at is not None:
        last.append((t("Snooze reminders"), StepPress(step.id, StepAction.SNOOZE).encode()))
    rows.append([*last, show])
    return rows


def shown_only(language: str, step_id: int) -> Keyboard:
    """What is left on a reminder or a /mytasks copy once its step was pressed."""
    return [[(gettext(language, "Show"), StepPress(step_id, StepAction.SHOW).encode())]]


def nature(language: str, pick: NaturePick) -> Keyboard:
    """The appraisal's nature chooser: the grade, the two flags, then Confirm."""
    t = lambda message: gettext(language, message)  # noqa: E731

    def mark(on: bool, label: str) -> str:
        return ("✅ " if on else "") + label

    def choose(**change: object) -> str:
        fields = {"grade": pick.grade, "batch": pick.batch, "recurring": pick.recurring, **change}
        return NaturePick(pick.step_id, **fields).encode()  # type: ignore[arg-type]

    return [
        [(mark(pick.grade == g.value, g.value), choose(grade=g.value)) for g in Grade],
        [
            (mark(pick.batch, t("Batch problem")), choose(batch=not pick.batch)),
            (mark(pick.recurring, t("Recurring problem")), choose(recurring=not pick.recurring)),
        ],
        [(t("Confirm"), choose(confirm=True))],
    ]


def causes(language: str, pick: CausePick, listed: Sequence[Cause]) -> Keyboard:
    """The appraisal's cause chooser: the categories (one or more), the responsibility
    (one plant), then Confirm."""

    def mark(on: bool, label: str) -> str:
        return ("✅ " if on else "") + label

    def choose(**change: object) -> str:
        fields = {"mask": pick.mask, "plant": pick.plant, **change}
        return CausePick(pick.step_id, **fields).encode()  # type: ignore[arg-type]

    toggles = [
        (mark(bool(pick.mask >> i & 1), c.name(language)), choose(mask=toggle(pick.mask, i)))
        for i, c in enumerate(listed)
    ]
    plants = [
        (mark(pick.plant == p.value, gettext_plain(language, labels.PLANTS[p])), choose(plant=p))
        for p in Plant
        if p is not Plant.UNKNOWN
    ]
    return [
        *(toggles[i : i + 3] for i in range(0, len(toggles), 3)),
        plants,
        [(gettext_plain(language, "Confirm"), choose(confirm=True))],
    ]


# A button's data that is an address, not a callback (bot/markup.py makes the button).
LINK = "https://"
WEB_APP = "webapp:"


def dashboard(language: str, url: str, link: str, *, private: bool) -> Keyboard:
    """📊 看板 / Dashboard: the Mini App itself in a private chat; its direct link in a
    group, where Telegram allows no Mini App button. None when neither is set."""
    label = gettext_plain(language, N_("📊 Dashboard"))
    if private and url:
        return [[(label, f"{WEB_APP}{url}")]]
    if link:
        return [[(label, link)]]
    return []


def fmea(language: str, step_id: int) -> Keyboard:
    """Was the FMEA / control plan updated? Yes or No."""
    return [
        [
            (gettext_plain(language, "Yes"), FmeaPress(step_id, updated=True).encode()),
            (gettext_plain(language, "No"), FmeaPress(step_id, updated=False).encode()),
        ]
    ]


def costs(language: str, sheet: CostSheet) -> Keyboard:
    """/cost: one button per figure, for leadership and QC (two to a row)."""
    if not sheet.may_record:
        return []
    buttons = [
        (gettext_plain(language, COST_LABELS[k]), CostPress(sheet.complaint_id, k.value).encode())
        for k in CostKind
    ]
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


def special_report(language: str, report_id: int) -> Keyboard:
    """Under a special report, for the GM: approve it, or answer in words."""
    return [
        [
            (gettext(language, "Approve"), ReportPress(report_id, ReportAction.APPROVE).encode()),
            (gettext(language, "Reply"), ReportPress(report_id, ReportAction.REPLY).encode()),
        ]
    ]


def extension(language: str, request_id: int) -> Keyboard:
    """Under an extension request, for whom decides it."""
    return [
        [
            (gettext(language, "Approve"), ExtensionPress(request_id, approve=True).encode()),
            (gettext(language, "Refuse"), ExtensionPress(request_id, approve=False).encode()),
        ]
    ]


def snooze(language: str, step_id: int) -> Keyboard:
    """How long the step's reminders are silenced (its escalations go on)."""
    return [
        [
            (gettext(language, "For an hour"), SnoozePress(step_id, until_morning=False).encode()),
            (
                gettext(language, "Until the working morning"),
                SnoozePress(step_id, until_morning=True).encode(),
            ),
        ]
    ]


def settings(language: str, night_pings: bool) -> Keyboard:
    """/settings: one button that turns night pings the other way."""
    label = (
        N_("Ping me at night only for urgent things") if night_pings else N_("Ping me at night too")
    )
    return [[(gettext(language, label), NightPingsPress(not night_pings).encode())]]


def file_major(language: str, complaint_id: int) -> Keyboard:
    """Under /show, for leadership: file the complaint as a major problem."""
    label = gettext(language, "File as a major quality problem")
    return [[(label, MajorPress(complaint_id).encode())]]


def suggestion(language: str, view: SuggestionView, deciding: bool) -> Keyboard:
    """Under a suggestion in the leadership group: Adopt / Decline while it waits, then
    (adopted) Record the benefit."""
    t = lambda message: gettext(language, message)  # noqa: E731
    if deciding and view.waiting:
        return [
            [
                (t("Adopt"), SuggestionPress(view.id, SuggestionAction.ADOPT).encode()),
                (t("Decline"), SuggestionPress(view.id, SuggestionAction.DECLINE).encode()),
            ]
        ]
    if deciding and view.adopted:
        label = t("Record the realised benefit")
        return [[(label, SuggestionPress(view.id, SuggestionAction.BENEFIT).encode())]]
    return []


def record_minutes(language: str, meeting_id: int, *, invite: bool = False) -> Keyboard:
    """Under the organiser's confirmation: invite someone else; the minutes, once the
    meeting was held."""
    rows = [[(gettext(language, "Record the minutes"), MinutesPress(meeting_id).encode())]]
    if invite:
        rows.insert(
            0, [(gettext(language, "Invite someone else"), InvitePress(meeting_id).encode())]
        )
    return rows


def hand_to(
    language: str, step_id: int, people: Sequence[PersonChoice], named: int | None
) -> Keyboard:
    """The people list to hand the plan to; whom it was handed to is ticked."""
    return _pairs(
        [
            (
                ("✅ " + p.name)
                if p.id == named
                else f"{p.name} · {gettext(language, labels.ROLES[p.role])}",
                HandPress(step_id, p.id).encode(),
            )
            for p in people
        ]
    )


def invitees(
    language: str, meeting_id: int, people: Sequence[PersonChoice], invited: frozenset[int]
) -> Keyboard:
    """The people list to invite from; those invited already are ticked."""
    return _pairs(
        [
            (
                ("✅ " + p.name)
                if p.id in invited
                else f"{p.name} · {gettext(language, labels.ROLES[p.role])}",
                InvitePress(meeting_id, p.id).encode(),
            )
            for p in people
        ]
    )


def _plan(action: str, arg: str = "") -> str:
    return Callback(PLAN_FORM, action, arg).encode()


def _pairs(buttons: Sequence[Button]) -> Keyboard:
    return [list(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]


def plan_question(
    language: str,
    question: Question,
    draft: PlanDraft,
    people: Sequence[PersonChoice],
    today: date,
    scope: str,
) -> Keyboard:
    """The buttons under a plan question: Keep an offer, a person, the default date, the
    departments."""
    t = lambda message: gettext(language, message)  # noqa: E731
    rows: Keyboard = []
    if question.ask is Ask.TEXT and question.prefilled:
        offer = draft.problem_offer if question.key == "problem" else draft.causes_offer
        if offer:
            rows.append([(t("Keep"), _plan("keep"))])
    elif question.ask is Ask.PERSON:
        rows += _pairs(
            [(f"{p.name} · {t(labels.ROLES[p.role])}", _plan("who", str(p.id))) for p in people]
        )
    elif question.ask is Ask.DUE:
        days = PLAN_DAYS if scope == "plan" else ITEM_DAYS
        label = gettext(
            language,
            "In {days} days ({date})",
            days=days,
            date=default_due(today, days).isoformat(),
        )
        rows.append([(label, _plan("due"))])
    elif question.ask is Ask.CHANGE:
        # A date or an owner can change only while some item still runs.
        changes = [Change.ADD, *((Change.DUE, Change.OWNER) if draft.running else ())]
        rows += [[(t(CHANGE_LABELS[c]), _plan("chg", c.value))] for c in changes]
    elif question.ask is Ask.ITEM:
        rows += [
            [(f"{number}. {action}", _plan("item", str(number)))]
            for number, action in draft.running
        ]
    elif question.ask is Ask.DEPARTMENTS:
        chosen = set(draft.departments_pending)
        rows += _pairs(
            [
                (("✅ " if d in chosen else "") + t(labels.DEPARTMENTS[d]), _plan("dep", d.value))
                for d in Department
            ]
        )
        rows.append([(t("Done"), _plan("deps"))])
    return rows


def plan_summary(language: str, draft: PlanDraft) -> Keyboard:
    t = lambda message: gettext(language, message)  # noqa: E731
    if draft.amending is None:
        issue = t("Issue the plan")
    else:
        issue = t("Add the items") if draft.change is Change.ADD else t("Change the plan")
    rows: Keyboard = [[(issue, _plan("ok"))]]
    if draft.amending is None or draft.change is Change.ADD:
        rows.append([(t("Add another item"), _plan("more"))])
        rows.append([(t("Edit"), _plan("edit")), (t("Cancel"), _plan("cancel"))])
    else:
        rows.append([(t("Cancel"), _plan("cancel"))])
    return rows


def plan_edit_menu(language: str, draft: PlanDraft) -> Keyboard:
    t = lambda message: gettext(language, message)  # noqa: E731
    buttons: list[Button] = []
    if draft.amending is None:
        buttons += [(t(q.label), _plan("field", q.key)) for q in PLAN_QUESTIONS]
    buttons.append((t("Remove the last item"), _plan("drop")))
    rows = _pairs(buttons)
    rows.append([(t("Back to the summary"), _plan("back"))])
    return rows


def digest(language: str, lines: Sequence[DigestLine]) -> Keyboard:
    """A button per step of a digest: its card, with what may be done to it."""
    rows: Keyboard = []
    for line in lines:
        label = f"{line.grade} {line.step.complaint_number} · {gettext(language, line.step.title)}"
        rows.append([(label[:BUTTON_TEXT], StepPress(line.step.id, StepAction.CARD).encode())])
    return rows
