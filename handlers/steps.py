"""Task-card buttons (the step's outcomes, Take it, Blocked, Show), the replies that
add a note or a blocking reason, /mytasks and /overdue."""

from __future__ import annotations

import contextlib
from typing import Any

from telegram import ForceReply, InputFile, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.procedure.costs import CostKind
from bot.procedure.intake import FileKind
from bot.services import (
    conversations,
    costs,
    exports,
    extensions,
    meetings,
    resources,
    steps,
    suggestions,
)
from bot.services.extensions import AskResult
from bot.services.steps import PressResult, PromptKind, ReplyResult
from bot.views import cards, eightd, keyboards
from bot.views.callbacks import (
    FMEA,
    NATURE,
    PLANT,
    SNOOZE,
    STEP,
    BadCallback,
    CausePick,
    FmeaPress,
    NaturePick,
    PlantPress,
    SnoozePress,
    StepAction,
    StepPress,
    pattern,
)
from bot.views.fonts import cjk_font
from bot.views.i18n import N_, gettext, gettext_plain
from bot.views.models import StepView
from bot.views.render import format_datetime, render_messages
from handlers.common import (
    Context,
    answer_stale,
    ask_to_start,
    edit_keyboard,
    keep,
    markup,
    send,
    send_parts,
    send_to,
)

# user_data: str(prompt message id) -> [step id, "note" | "block" | "nature", nature choice]
PROMPTS = conversations.PROMPTS

# Each kind of prompt is answered by one service.
PROMPT_SERVICES = {
    PromptKind.NOTE: steps.reply_to_prompt,
    PromptKind.NATURE: steps.reply_to_prompt,
    PromptKind.BLOCK: resources.write_report,
    PromptKind.ANSWER: resources.reply_to_report,
    PromptKind.BENEFIT: suggestions.reply_benefit,
    PromptKind.MEETING: meetings.plan_meeting,
    PromptKind.MINUTES: meetings.record_minutes,
}
NEEDS_TEXT = {
    PromptKind.NOTE: N_("Please reply with text, a photo or a document."),
    PromptKind.NATURE: N_("Please reply with the reason as text."),
    PromptKind.BLOCK: N_("Please reply with the report: text, a photo or a document."),
    PromptKind.ANSWER: N_("Please reply with your answer as text."),
    PromptKind.BENEFIT: N_("That is not an amount of yuan: reply like 12000 or 1.2万."),
    PromptKind.MEETING: N_("Give a time still to come and the place, like: 明天 14:00 三楼会议室"),
    PromptKind.MINUTES: N_("Please reply with the minutes: text or a document."),
}


REPLIES = {
    ReplyResult.REPORTED: N_("The special report has been sent to the GM."),
    ReplyResult.NOTE_ADDED: N_("Note added."),
    ReplyResult.IGNORED: N_("Note added."),
    ReplyResult.NATURE_SET: N_("The nature is changed; the steps that depend on it follow."),
    ReplyResult.NATURE_UNCHANGED: N_("That is the nature it has already; nothing changed."),
    ReplyResult.NOT_ALLOWED: N_("This step is no longer open, or not yours; nothing changed."),
    ReplyResult.ANSWER_SENT: N_("Your answer went to the writer, the leading VP and sales."),
    ReplyResult.BENEFIT_RECORDED: N_("Recorded: the reward is 10% of the benefit."),
    ReplyResult.MEETING_PLANNED: N_("The meeting is scheduled and the invitations are sent."),
    ReplyResult.MINUTES_RECORDED: N_("The minutes are recorded and sent; the step is done."),
}

REFUSALS = {
    PressResult.DENIED: N_(
        "This step is not yours: only its owner, the leading VP, the GM or an admin may change it."
    ),
    PressResult.NOT_OPEN: N_("This step is no longer open; nothing changed."),
    PressResult.WRONG_BUTTON: N_("That button does not fit this step."),
    PressResult.CAUSES_FIRST: N_(
        "Name the cause categories first: the chooser is in your private chat with the bot."
    ),
}


async def on_press(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    language = context.language
    try:
        pressed = StepPress.decode(query.data)
    except BadCallback:
        await answer_stale(query, language)
        return
    done = await context.services.run(
        steps.press, steps.PressStep(context.caller, pressed.step_id, pressed.action, pressed.code)
    )
    if done.result is not PressResult.OK:
        await query.answer(gettext(language, REFUSALS[done.result]), show_alert=True)
        if done.asks_causes:  # the appraisal names its causes before Done
            try:
                await offer_causes(context, update.effective_user.id, pressed.step_id, done)
            except Forbidden:
                await ask_to_start(update, context)
        return
    # Nothing is recorded by these yet: they show, or ask for more.
    asks = pressed.action in (
        StepAction.SHOW,
        StepAction.CARD,
        StepAction.EXTEND,
        StepAction.SNOOZE,
        StepAction.CAUSES,
        StepAction.EIGHT_D_ZH,
        StepAction.EIGHT_D_EN,
    )
    await query.answer(None if asks else gettext(language, "Recorded."))
    if done.finished and query.message is not None:
        # A reminder or a /mytasks copy is not a remembered card: take its buttons away here.
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(
                markup(keyboards.shown_only(language, pressed.step_id))
            )
    try:
        await _after_press(context, update.effective_user.id, pressed, done)
    except Forbidden:
        # Never started a private chat with the bot: the press stands, the extras cannot go.
        await ask_to_start(update, context)


async def _after_press(
    context: Context, user_id: int, pressed: StepPress, done: steps.Pressed
) -> None:
    """What a press asks for next, in the presser's private chat: the nature chooser,
    the complaint (Show), a note or the blocking reason, the meeting, more time."""
    language = context.language
    tz = context.services.config.timezone
    if done.card and done.step is not None and done.complaint is not None:
        await send_to(context, user_id, cards.task_card(done.step, done.complaint, language, tz))
    elif done.asks_causes:
        await offer_causes(context, user_id, pressed.step_id, done)
    elif done.asks_nature and done.complaint is not None:
        c = done.complaint
        pick = NaturePick(pressed.step_id, c.grade.value, c.is_batch, c.is_recurring)
        await send_to(context, user_id, cards.nature_chooser(c, pick, language))
    elif done.complaint is not None:
        for part in cards.complaint_show(done.complaint, list(done.events), [], language, tz):
            await context.bot.send_message(user_id, part, parse_mode=ParseMode.HTML)
    if done.step is not None and (done.finished or done.asks_reason):
        await _prompt(context, user_id, done.step, done.asks_reason, language)
    if done.asks_fmea and done.step is not None:
        await send_to(context, user_id, cards.fmea_question(done.step, language))
    if done.attach_8d is not None and done.step is not None:
        await attach_eight_d(context, user_id, done.step, done.attach_8d)
    if done.asks_cost is not None and done.step is not None:
        await ask_cost(context, user_id, done.step.id, done.step.complaint_number, done.asks_cost)
    if done.asks_meeting:
        prompt = cards.meeting_prompt(language)
        await ask(context, user_id, prompt, [pressed.step_id, PromptKind.MEETING.value])
    if done.asks_extension and done.step is not None:
        prompt = cards.extension_prompt(done.step, language, tz)
        await ask(context, user_id, prompt, [pressed.step_id, PromptKind.EXTEND.value])
    if done.asks_snooze and done.step is not None:
        await send_to(context, user_id, cards.snooze_choice(done.step, language))


async def offer_causes(context: Context, user_id: int, step_id: int, done: steps.Pressed) -> None:
    """The cause chooser in the presser's private chat, drawn from the choice so far."""
    if done.complaint is None:
        return
    c = done.complaint
    pick = CausePick(step_id, done.cause_mask, c.plant.value)
    listed = context.services.config.causes.listed()
    await send_to(context, user_id, cards.cause_chooser(c, pick, listed, context.language))


async def on_fmea(update: Update, context: Context) -> None:
    """Yes or No: the FMEA / control plan updated; the buttons go once answered."""
    query = update.callback_query
    assert query is not None
    try:
        pressed = FmeaPress.decode(query.data)
    except BadCallback:
        await answer_stale(query, context.language)
        return
    command = steps.AnswerFmea(context.caller, pressed.step_id, pressed.updated)
    result = await context.services.run(steps.answer_fmea, command)
    if result is not PressResult.OK:
        await query.answer(gettext(context.language, REFUSALS[result]), show_alert=True)
        return
    await query.answer(gettext_plain(context.language, "Recorded."))
    await edit_keyboard(query, None)


async def on_snooze(update: Update, context: Context) -> None:
    """An hour, or until the working morning: the step's reminders wait that long."""
    query = update.callback_query
    assert query is not None
    language = context.language
    try:
        pressed = SnoozePress.decode(query.data)
    except BadCallback:
        await answer_stale(query, language)
        return
    done = await context.services.run(
        steps.snooze, steps.SnoozeStep(context.caller, pressed.step_id, pressed.until_morning)
    )
    if done.result is not PressResult.OK or done.until is None:
        await query.answer(gettext(language, REFUSALS[done.result]), show_alert=True)
        return
    until = format_datetime(done.until, context.services.config.timezone)
    text = gettext_plain(
        language, "Its reminders wait until {until}; escalations go on.", until=until
    )
    await query.answer(text)
    await edit_keyboard(query, None)


async def _prompt(
    context: Context, user_id: int, step: StepView, blocking: bool, language: str
) -> None:
    """Ask for the blocking reason, or offer a note, by a reply in the private chat."""
    kind = PromptKind.BLOCK if blocking else PromptKind.NOTE
    await ask(context, user_id, cards.step_prompt(step, blocking, language), [step.id, kind.value])


def remember_prompt(context: Context, message_id: int, prompt: list[Any]) -> None:
    assert context.user_data is not None
    context.user_data.setdefault(PROMPTS, {})[str(message_id)] = prompt


async def ask(context: Context, user_id: int, text: str, prompt: list[Any]) -> None:
    """A question answered by a reply in the private chat (the reply handler takes it)."""
    sent = await context.bot.send_message(
        user_id, text, parse_mode=ParseMode.HTML, reply_markup=ForceReply(selective=True)
    )
    remember_prompt(context, sent.message_id, prompt)
    await keep(context)  # its message id is known only now: kept at once, not in a second


async def on_nature(update: Update, context: Context) -> None:
    """The appraisal's nature chooser: a pick redraws it; Confirm asks for the reason.

    Nothing changes until the reason comes (set_nature checks the right then)."""
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    language = context.language
    try:
        pick = NaturePick.decode(query.data)
    except BadCallback:
        await answer_stale(query, language)
        return
    await query.answer()
    if not pick.confirm:
        await edit_keyboard(query, keyboards.nature(language, pick))
        return
    prompt = [pick.step_id, PromptKind.NATURE.value, pick.choice]
    await ask(context, update.effective_user.id, cards.nature_prompt(pick, language), prompt)


async def on_plant(update: Update, context: Context) -> None:
    """QC name the plant of origin on an initial assessment whose plant was unknown."""
    query = update.callback_query
    assert query is not None
    try:
        pressed = PlantPress.decode(query.data)
    except BadCallback:
        await answer_stale(query, context.language)
        return
    result = await context.services.run(
        steps.name_plant, steps.NamePlant(context.caller, pressed.step_id, pressed.plant)
    )
    if result is not PressResult.OK:
        await query.answer(gettext(context.language, REFUSALS[result]), show_alert=True)
        return
    await query.answer(gettext(context.language, "Recorded."))


async def on_prompt_reply(update: Update, context: Context) -> None:
    """A reply to a prompt in the private chat: a note, a special report, the reason for
    a new nature, the GM's answer."""
    message = update.message
    if message is None or message.reply_to_message is None or context.user_data is None:
        return
    key = str(message.reply_to_message.message_id)
    prompt = context.user_data.get(PROMPTS, {}).get(key)
    if prompt is None:
        return
    attached = message.photo[-1] if message.photo else message.document
    kind = PromptKind(prompt[1])
    if kind is PromptKind.EXTEND:
        await _extension_reply(update, context, key, prompt[0])
        raise ApplicationHandlerStop
    if kind is PromptKind.COST:
        await _cost_reply(update, context, key, prompt)
        raise ApplicationHandlerStop
    result = await context.services.run(
        PROMPT_SERVICES[kind],
        steps.PromptReply(
            context.caller,
            prompt[0],
            kind,
            message.text or message.caption,
            attached.file_id if attached else None,
            FileKind.PHOTO if message.photo else FileKind.DOCUMENT if attached else None,
            prompt[2] if len(prompt) > 2 else "",
        ),
    )
    language = context.language
    if result is ReplyResult.NEEDS_TEXT:
        await message.reply_text(gettext(language, NEEDS_TEXT[kind]))
        raise ApplicationHandlerStop
    context.user_data[PROMPTS].pop(key, None)
    await keep(context)
    await message.reply_text(gettext(language, REPLIES[result]))
    raise ApplicationHandlerStop  # the intake conversation must not see this reply


EXTENSION_REPLIES = {
    AskResult.ASKED: N_(
        "Asked: the leading VP (the GM for a VP's own step) decides, and you will be told."
    ),
    AskResult.WAITING: N_("More time was asked for this step already; it waits for a decision."),
    AskResult.NOT_ALLOWED: N_("This step is no longer open, or not yours; nothing changed."),
    AskResult.IGNORED: N_("This step is no longer open, or not yours; nothing changed."),
}


async def _extension_reply(update: Update, context: Context, key: str, step_id: int) -> None:
    """The new date and the reason: a one-line reason and the same prompt when they do
    not fit (the person replies to it again), else the request goes to whom decides."""
    message = update.message
    assert message is not None and context.user_data is not None
    reply = steps.PromptReply(
        context.caller, step_id, PromptKind.EXTEND, message.text or message.caption, None
    )
    asked = await context.services.run(extensions.ask, reply)
    language = context.language
    if asked.result is AskResult.INVALID:
        await message.reply_text(gettext(language, asked.reason, **(asked.params or {})))
        return
    context.user_data[PROMPTS].pop(key, None)
    await keep(context)
    await message.reply_text(gettext(language, EXTENSION_REPLIES[asked.result]))


async def ask_cost(
    context: Context, user_id: int, target: int, number: str, kind: CostKind, *, later: bool = False
) -> None:
    """One figure of the cost of poor quality, asked by a reply: at its step (the step is
    the target), or later from /cost (the complaint is, and a reason is needed)."""
    text = cards.cost_prompt(kind, number, context.language, reason_needed=later)
    await ask(context, user_id, text, [target, PromptKind.COST.value, kind.value, number, later])


async def _cost_reply(update: Update, context: Context, key: str, prompt: list[Any]) -> None:
    """The figure: a one-line reason and the same question when it does not fit; else
    it is recorded and the step's next figure, if any, is asked."""
    message = update.message
    assert message is not None and context.user_data is not None
    target, _kind, kind, number, later = prompt
    text = message.text or message.caption or ""
    command = costs.RecordCost(context.caller, target, kind, text, at_step=not later)
    done = await context.services.run(costs.record, command)
    language = context.language
    if not done.ok and done.kind is not None:
        await message.reply_text(gettext(language, done.reason, **done.params))
        return
    context.user_data[PROMPTS].pop(key, None)
    await keep(context)
    await message.reply_text(gettext(language, "Recorded." if done.ok else done.reason))
    if done.next_kind is not None and update.effective_user is not None:
        await ask_cost(context, update.effective_user.id, target, number, done.next_kind)


async def attach_eight_d(context: Context, user_id: int, step: StepView, language: str) -> None:
    """The 8D report built from the record, sent to the salesperson to pass on, and kept
    with step 12 as its answer (the PDF, with a note saying so)."""
    request = exports.ReportRequest(context.caller, step.complaint_number)
    found = await context.services.run(exports.eight_d, request)
    c = found.complaint
    if c is None:
        return
    tz, build = context.services.config.timezone, context.services.build
    sheet = await build(
        eightd.eightd_xlsx, c, found.plan, found.team, language, tz, fmea=found.fmea
    )
    pdf = await build(
        eightd.eightd_pdf, c, found.plan, found.team, language, tz, cjk_font(), fmea=found.fmea
    )
    await context.bot.send_document(user_id, InputFile(sheet.content, filename=sheet.name))
    sent = await context.bot.send_document(user_id, InputFile(pdf.content, filename=pdf.name))
    assert sent.document is not None
    note = N_("The 8D report ({name}) is attached as the solution.")
    reply = steps.PromptReply(
        context.caller,
        step.id,
        PromptKind.NOTE,
        gettext_plain(context.language, note, name=pdf.name),
        sent.document.file_id,
        FileKind.DOCUMENT,
    )
    await context.services.run(steps.reply_to_prompt, reply)


def _task_list(context: Context, found: steps.TaskList, title: str, empty: str) -> list[str]:
    language = context.language
    return render_messages(
        "steps/task_list.html",
        language,
        steps=found.steps,
        total=found.total,
        capped=found.capped,
        now=context.services.clock.now(),
        tz=context.services.config.timezone,
        title=gettext(language, title),
        empty=gettext(language, empty),
    )


async def mytasks(update: Update, context: Context) -> None:
    found = await context.services.run(steps.my_tasks, context.caller)
    title, empty = N_("Your open steps, most urgent first"), N_("You have no open steps.")
    await send_parts(update, _task_list(context, found, title, empty))
    tz = context.services.config.timezone
    for step, complaint in found.cards:
        await send(update, cards.task_card(step, complaint, context.language, tz))


async def overdue(update: Update, context: Context) -> None:
    found = await context.services.run(steps.overdue, context.caller)
    if not found.allowed:
        text = N_("Only leadership and QC see all overdue steps; /mytasks shows yours.")
        await send_parts(update, [gettext(context.language, text)])
        return
    parts = _task_list(context, found, N_("Overdue steps"), N_("No step is overdue."))
    await send_parts(update, parts)


def handlers() -> list[BaseHandler[Update, Context, None]]:
    return [
        CallbackQueryHandler(on_press, pattern=pattern(STEP)),
        CallbackQueryHandler(on_plant, pattern=pattern(PLANT)),
        CallbackQueryHandler(on_nature, pattern=pattern(NATURE)),
        CallbackQueryHandler(on_snooze, pattern=pattern(SNOOZE)),
        CallbackQueryHandler(on_fmea, pattern=pattern(FMEA)),
        CommandHandler("mytasks", mytasks),
        CommandHandler("overdue", overdue),
    ]


def reply_handler() -> BaseHandler[Update, Context, None]:
    """Runs before the conversations (group -1) and stops them when it takes a reply."""
    return MessageHandler(filters.ChatType.PRIVATE & filters.REPLY, on_prompt_reply)
