"""The rectification plan's conversation (step 10), in the leading VP's private chat.

"Fill in the plan" on step 10's card (or "Add an item" on step 13's) starts it.
The questions come one at a time from `bot.procedure.plans`; a bad answer gets
a one-line reason and the same question; the summary offers Edit before the
plan is issued. The typed `PlanDraft` lives in user_data (kept by the
persistence), so a restart loses nothing typed.
"""

from __future__ import annotations

import warnings
from datetime import date

from telegram import CallbackQuery, Update
from telegram.error import Forbidden
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.procedure.bounds import parse_id
from bot.procedure.intake import InvalidAnswer
from bot.procedure.plans import (
    CHANGE_LABELS,
    ITEM_DAYS,
    PLAN_DAYS,
    Ask,
    Change,
    Department,
    PlanDraft,
    default_due,
    parse_typed,
)
from bot.services import conversations, plans, steps
from bot.services.plans import IssueResult, PlanStart
from bot.services.steps import PressResult
from bot.views import keyboards, labels
from bot.views.callbacks import (
    HAND_OVER,
    PLAN_FORM,
    STEP,
    BadCallback,
    Callback,
    HandPress,
    StepAction,
    StepPress,
    decode,
    pattern,
)
from bot.views.i18n import N_, gettext, gettext_plain, typeset
from bot.views.models import Message
from bot.views.render import render, render_messages
from handlers.common import (
    Context,
    answer_stale,
    ask_to_start,
    edit_keyboard,
    keep,
    reply_text,
    send_to,
)

ASKING, SUMMARY = range(2)
DRAFT = conversations.PLAN_DRAFT

REFUSED = {
    PlanStart.DENIED: N_("Only the leading VP (or the GM, or an admin) fills in this plan."),
    PlanStart.NOT_OPEN: N_("The plan cannot be changed from this step now."),
}
OUTCOMES = {
    IssueResult.ISSUED: N_("The plan is issued: every item's owner has their task."),
    IssueResult.AMENDED: N_("The plan is changed; the plan card and the item's owners show it."),
    IssueResult.DENIED: REFUSED[PlanStart.DENIED],
    IssueResult.NOT_OPEN: REFUSED[PlanStart.NOT_OPEN],
    IssueResult.INCOMPLETE: N_("Some answers are missing."),
    IssueResult.UNKNOWN_PERSON: N_(
        "Someone picked is no longer on the people list: edit the plan."
    ),
}


def _draft(context: Context) -> PlanDraft | None:
    assert context.user_data is not None
    data = context.user_data.get(DRAFT)
    return PlanDraft.from_dict(data) if isinstance(data, dict) else None


async def _keep(context: Context, draft: PlanDraft | None) -> None:
    """The draft (and so where the conversation stands) in the database, before the reply."""
    assert context.user_data is not None
    if draft is None:
        context.user_data.pop(DRAFT, None)
    else:
        context.user_data[DRAFT] = draft.to_dict()
    await keep(context)


def _user(update: Update) -> int:
    assert update.effective_user is not None
    return update.effective_user.id


def _today(context: Context) -> date:
    return context.services.clock.now().astimezone(context.services.config.tz).date()


async def start(update: Update, context: Context) -> int:
    query = update.callback_query
    assert query is not None
    try:
        pressed = StepPress.decode(query.data)
    except BadCallback:
        await answer_stale(query, context.language)
        return ConversationHandler.END
    opening = await context.services.run(
        plans.begin, plans.BeginPlan(context.caller, pressed.step_id)
    )
    if opening.result is not PlanStart.OK or opening.draft is None:
        await query.answer(gettext(context.language, REFUSED[opening.result]), show_alert=True)
        return ConversationHandler.END
    await query.answer(gettext(context.language, "The plan's questions are in your private chat."))
    draft = opening.draft
    try:
        return await _ask_next(update, context, draft, intro=True)
    except Forbidden:
        await _keep(context, None)
        await ask_to_start(update, context)
        return ConversationHandler.END


async def _ask(
    update: Update,
    context: Context,
    draft: PlanDraft,
    where: str,
    *,
    error: str = "",
    intro: bool = False,
) -> int:
    question = draft.question(where)
    scope = where.partition(":")[0]
    draft.asking = where
    people = await context.services.run(plans.choices) if question.ask is Ask.PERSON else ()
    if question.ask is Ask.DEPARTMENTS and not draft.departments_pending:
        draft.departments_pending = list(draft.departments or [])
    offer = ""
    if question.prefilled:
        offer = draft.problem_offer if question.key == "problem" else draft.causes_offer
    language = context.language
    text = render(
        "plans/question.html",
        language,
        q=question,
        scope=scope,
        item_number=len(draft.items),
        error=error,
        offer=offer,
        current=_current(draft, where, language) if draft.editing else "",
        intro=intro,
        amending=draft.amending is not None,
        number=draft.number,
    )
    keyboard = keyboards.plan_question(language, question, draft, people, _today(context), scope)
    await _keep(context, draft)
    await send_to(context, _user(update), Message(text, keyboard))
    return ASKING


def _current(draft: PlanDraft, where: str, language: str) -> str:
    scope, _, key = where.partition(":")
    value = getattr(draft if scope == "plan" else draft.items[-1], key)
    if key == "departments":
        return typeset(language, "、").join(
            gettext(language, labels.DEPARTMENTS[d]) for d in value or []
        )
    return "" if value is None or key.endswith("_id") else str(value)


async def _ask_next(
    update: Update, context: Context, draft: PlanDraft, *, intro: bool = False
) -> int:
    pending = draft.next_question()
    if pending is None or (draft.editing and draft.ready):
        return await _summary(update, context, draft)
    scope, question = pending
    return await _ask(update, context, draft, f"{scope}:{question.key}", intro=intro)


async def _summary(update: Update, context: Context, draft: PlanDraft) -> int:
    draft.asking, draft.editing = None, False
    people = await context.services.run(plans.choices)
    language = context.language
    parts = render_messages(
        "plans/summary.html",
        language,
        d=draft,
        names={p.id: p.name for p in people},
        number=draft.number,
        amending=draft.amending is not None,
        change_label=CHANGE_LABELS[draft.change] if draft.change else "",
    )
    await _keep(context, draft)
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        keyboard = keyboards.plan_summary(language, draft) if last else None
        await send_to(context, _user(update), Message(part, keyboard))
    return SUMMARY


def _reason(context: Context, error: InvalidAnswer) -> str:
    return gettext(context.language, error.reason, **error.params)


async def on_text(update: Update, context: Context) -> int:
    assert update.message is not None and update.message.text is not None
    draft = _draft(context)
    if draft is None:
        return ConversationHandler.END
    if draft.asking is None:
        return await _ask_next(update, context, draft)
    question = draft.question(draft.asking)
    try:
        value = parse_typed(question, update.message.text, today=_today(context))
    except InvalidAnswer as error:
        return await _ask(update, context, draft, draft.asking, error=_reason(context, error))
    return await _answered(update, context, draft, value)


async def _answered(update: Update, context: Context, draft: PlanDraft, value: object) -> int:
    assert draft.asking is not None
    draft.answer(draft.asking, value)
    if draft.editing:
        return await _summary(update, context, draft)
    return await _ask_next(update, context, draft)


async def on_other(update: Update, context: Context) -> int:
    draft = _draft(context)
    if draft is None or draft.asking is None:
        return ConversationHandler.END
    reason = gettext(context.language, "Kesu cannot use this kind of message here.")
    return await _ask(update, context, draft, draft.asking, error=reason)


async def _pressed(update: Update, context: Context) -> tuple[CallbackQuery, Callback | None]:
    """The pressed button of the plan's form, answered; None for data Kesu does not know."""
    query = update.callback_query
    assert query is not None
    try:
        callback = decode(query.data)
    except BadCallback:
        await answer_stale(query, context.language)
        return query, None
    await query.answer()
    return query, callback


async def on_button(update: Update, context: Context) -> int:
    """A button under the question being asked."""
    query, callback = await _pressed(update, context)
    draft = _draft(context)
    if callback is None:
        return ASKING
    if draft is None or draft.asking is None:
        return ConversationHandler.END
    question = draft.question(draft.asking)
    scope = draft.asking.partition(":")[0]
    wrong = gettext(context.language, "Please tap one of the buttons below.")
    if callback.action == "dep" and question.ask is Ask.DEPARTMENTS:
        draft.toggle_department(callback.arg)
        await _keep(context, draft)
        keyboard = keyboards.plan_question(
            context.language, question, draft, (), _today(context), scope
        )
        await edit_keyboard(query, keyboard)
        return ASKING
    value: object
    if callback.action == "deps" and question.ask is Ask.DEPARTMENTS:
        if not draft.departments_pending:
            reason = gettext(context.language, "Pick at least one department.")
            return await _ask(update, context, draft, draft.asking, error=reason)
        value = [Department(d) for d in draft.departments_pending]
        draft.departments_pending = []
    elif callback.action == "keep" and question.prefilled:
        value = draft.problem_offer if question.key == "problem" else draft.causes_offer
    elif callback.action == "who" and question.ask is Ask.PERSON and parse_id(callback.arg):
        value = parse_id(callback.arg)
    elif callback.action == "due" and question.ask is Ask.DUE:
        value = default_due(_today(context), PLAN_DAYS if question.key == "deadline" else ITEM_DAYS)
    elif callback.action == "chg" and question.ask is Ask.CHANGE and callback.arg in set(Change):
        value = Change(callback.arg)
    elif callback.action == "item" and question.ask is Ask.ITEM and _running(draft, callback.arg):
        value = int(callback.arg)
    else:
        return await _ask(update, context, draft, draft.asking, error=wrong)
    await edit_keyboard(query, None)
    return await _answered(update, context, draft, value)


def _running(draft: PlanDraft, arg: str) -> bool:
    return parse_id(arg) in {number for number, _ in draft.running}


async def on_summary_button(update: Update, context: Context) -> int:
    query, callback = await _pressed(update, context)
    draft = _draft(context)
    if callback is None:
        return SUMMARY
    if draft is None:
        return ConversationHandler.END
    language = context.language
    amending = draft.amending is not None
    if callback.action == "ok":
        await edit_keyboard(query, None)
        return await _issue(update, context, draft)
    if callback.action == "cancel":
        return await _cancelled(update, context)
    if callback.action == "more":
        try:
            draft.add_item()
        except InvalidAnswer as error:
            await reply_text(update, _reason(context, error))
            return SUMMARY
        await edit_keyboard(query, None)
        return await _ask_next(update, context, draft)
    if callback.action in ("edit", "back"):
        menu = keyboards.plan_edit_menu if callback.action == "edit" else keyboards.plan_summary
        await edit_keyboard(query, menu(language, draft))
        return SUMMARY
    if callback.action == "drop":
        await edit_keyboard(query, None)
        draft.drop_last_item()
        return (
            await _ask_next(update, context, draft)
            if not draft.items
            else await _summary(update, context, draft)
        )
    if callback.action == "field" and not amending:
        await edit_keyboard(query, None)
        draft.editing = True
        return await _ask(update, context, draft, f"plan:{callback.arg}")
    return SUMMARY


async def _issue(update: Update, context: Context, draft: PlanDraft) -> int:
    assert context.user_data is not None
    # Out of memory first: PTB's timed write must not put back what issuing forgets.
    kept = context.user_data.pop(DRAFT, None)
    try:
        issued = await context.services.run(plans.issue, plans.IssuePlan(context.caller, draft))
    except BaseException:
        context.user_data[DRAFT] = kept
        raise
    if issued.result in (IssueResult.INCOMPLETE, IssueResult.UNKNOWN_PERSON):
        await reply_text(update, gettext(context.language, OUTCOMES[issued.result]))
        return await _summary(update, context, draft)
    await _keep(context, None)
    await reply_text(update, gettext(context.language, OUTCOMES[issued.result]))
    return ConversationHandler.END


async def _cancelled(update: Update, context: Context) -> int:
    await _keep(context, None)
    if update.callback_query is not None:
        await edit_keyboard(update.callback_query, None)
    await reply_text(update, gettext(context.language, "Cancelled. Nothing was changed."))
    return ConversationHandler.END


async def cancel(update: Update, context: Context) -> int:
    return await _cancelled(update, context)


async def summary_text(update: Update, context: Context) -> int:
    await reply_text(update, gettext(context.language, "Please use the buttons under the summary."))
    return SUMMARY


HANDED = {
    PressResult.DENIED: N_("Only the leading VP (or the GM, or an admin) hands the plan on."),
    PressResult.NOT_OPEN: N_("The plan is issued already; nothing changed."),
    PressResult.WRONG_BUTTON: N_("That button does not fit this step."),
}
WHOM_PLAN = N_("Whom do you hand the plan to? They fill it in as you would.")
WHOM_SALES = N_("Which colleague covers this step? It becomes theirs, card and reminders.")
# A sales step, handed by its filer to a colleague covering a leave.
HANDED_SALES = {
    PressResult.DENIED: N_("Only whoever filed the complaint (or an admin) hands this step on."),
    PressResult.NOT_OPEN: N_("This step is done already; nothing changed."),
    PressResult.WRONG_BUTTON: N_("That button does not fit this step."),
}


async def on_hand_button(update: Update, context: Context) -> None:
    """ "Hand it to someone" sends the people picker privately; a name in it hands step 10
    to that person, who then fills the plan in as the VP would."""
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    language = context.language
    try:
        pressed = HandPress.decode(query.data)
    except BadCallback:
        await answer_stale(query, language)
        return
    handed = await context.services.run(
        steps.hand_over, steps.HandOver(context.caller, pressed.step_id, pressed.person_id)
    )
    if handed.result is not PressResult.OK:
        refusals = HANDED if handed.plan else HANDED_SALES
        await query.answer(gettext(language, refusals[handed.result]), show_alert=True)
        return
    keyboard = keyboards.hand_to(language, handed.step_id, handed.people, handed.named)
    if pressed.person_id is not None:
        await query.answer(gettext_plain(language, "Handed to {name}.", name=handed.name or ""))
        await edit_keyboard(query, keyboard)
        return
    await query.answer()
    text = gettext(language, WHOM_PLAN if handed.plan else WHOM_SALES)
    try:
        await send_to(context, update.effective_user.id, Message(text, keyboard))
    except Forbidden:
        await ask_to_start(update, context)


def hand_over_handler() -> CallbackQueryHandler[Context, None]:
    return CallbackQueryHandler(on_hand_button, pattern=pattern(HAND_OVER))


def conversation() -> ConversationHandler[Context]:
    private = filters.ChatType.PRIVATE
    with warnings.catch_warnings():
        # Tracked per person, not per chat: the card is pressed in a group, the questions
        # are answered in the private chat.
        warnings.filterwarnings("ignore", message="If 'per_message=False'")
        return ConversationHandler(
            entry_points=[
                CallbackQueryHandler(start, pattern=rf"^v1:{STEP}:{StepAction.PLAN.value}:")
            ],
            states={
                ASKING: [
                    MessageHandler(private & filters.TEXT & ~filters.COMMAND, on_text),
                    CallbackQueryHandler(on_button, pattern=rf"^v1:{PLAN_FORM}:"),
                    MessageHandler(private & ~filters.COMMAND, on_other),
                ],
                SUMMARY: [
                    CallbackQueryHandler(on_summary_button, pattern=rf"^v1:{PLAN_FORM}:"),
                    MessageHandler(private & ~filters.COMMAND, summary_text),
                ],
            },
            fallbacks=[CommandHandler("cancel", cancel, filters=private)],
            allow_reentry=True,
            per_chat=False,
            name="plan",
            persistent=True,  # a restart keeps the VP's plan and question
        )


def position(user_id: int, user_data: dict[object, object]) -> tuple[tuple[int, ...], int] | None:
    """Where a plan being filled in stands, read from its kept draft (the persistence asks
    at start): the draft is kept before every reply, so the two never disagree."""
    data = user_data.get(DRAFT)
    if not isinstance(data, dict):
        return None
    return (user_id,), ASKING if PlanDraft.from_dict(data).asking else SUMMARY
