"""Task-card buttons (Done, Not a quality problem, Take it, Blocked, Show),
the replies that add a note or a blocking reason, /mytasks and /overdue."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any, TypeVar

from telegram import CallbackQuery, ForceReply, Update
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

from bot import deadlines, keyboards
from bot.callbacks import BadCallback, decode, pattern
from bot.i18n import N_, gettext
from bot.procedure.grading import Plant
from bot.procedure.roles import sees_all
from bot.render import render, render_messages
from bot.workflow import (
    OUTCOME_OF,
    Press,
    PressResult,
    add_note,
    block,
    card_for,
    is_mine,
    press,
    set_plant,
)
from handlers.common import Context, asker, markup, send_parts, services
from storage import queries

T = TypeVar("T")
PROMPTS = "step_prompts"  # user_data: str(prompt message id) -> [step id, "note" | "block"]


REFUSALS = {
    PressResult.DENIED: N_(
        "This step is not yours: only its owner, the leading VP, the GM or an admin may change it."
    ),
    PressResult.NOT_OPEN: N_("This step is no longer open; nothing changed."),
    PressResult.WRONG_BUTTON: N_("That button does not fit this step."),
}


async def _parse(query: CallbackQuery, kind: Callable[[str], T]) -> tuple[T, int] | None:
    """(action, step id) of a step button; a button Kesu did not make is only answered."""
    try:
        callback = decode(query.data)
        return kind(callback.action), callback.int_arg
    except (BadCallback, ValueError):
        await query.answer()
        return None


async def on_press(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    svc = services(context)
    parsed = await _parse(query, Press)
    if parsed is None:
        return
    action, step_id = parsed
    with svc.sessions.begin() as session:
        who = asker(update, context, session)
        language = who.language
        result, step = press(
            session, svc.config, step_id, action, who.person, who.actor(), svc.clock.now()
        )
        complaint_steps = [s.id for s in step.complaint.steps] if step else []
        prompt = (
            render(
                "step_prompt.html",
                language,
                s=step,
                c=step.complaint,
                kind="block" if action is Press.BLOCK else "note",
            )
            if step is not None
            and result is PressResult.OK
            and (action is Press.BLOCK or action in OUTCOME_OF)
            else None
        )
        shown = (
            render_messages(
                "complaint_show.html",
                language,
                c=step.complaint,
                events=queries.events_of(session, step.complaint_id),
                deliveries=[],
                owners=svc.config.owner_map(),
                tz=svc.config.timezone,
            )
            if step is not None and result is PressResult.OK and action is Press.SHOW
            else None
        )
    if result is not PressResult.OK:
        await query.answer(gettext(language, REFUSALS[result]), show_alert=True)
        return
    svc.poke_sender()
    deadlines.reschedule(context.job_queue, svc, complaint_steps)
    await query.answer(gettext(language, "Recorded.") if action is not Press.SHOW else None)
    if action in OUTCOME_OF and query.message is not None:
        # A reminder or a /mytasks copy is not a remembered card: take its buttons away here.
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(
                markup(keyboards.task(language, "", step_id, "done"))
            )
    user = update.effective_user
    assert user is not None
    try:
        if shown is not None:
            for part in shown:
                await context.bot.send_message(user.id, part, parse_mode=ParseMode.HTML)
        if prompt is not None:
            sent = await context.bot.send_message(
                user.id,
                prompt,
                parse_mode=ParseMode.HTML,
                reply_markup=ForceReply(selective=True),
            )
            assert context.user_data is not None
            prompts: dict[str, Any] = context.user_data.setdefault(PROMPTS, {})
            prompts[str(sent.message_id)] = [step_id, "block" if action is Press.BLOCK else "note"]
    except Forbidden:
        # Never started a private chat with the bot: the press stands, the extras cannot go.
        await context.bot.send_message(
            query.message.chat.id if query.message else user.id,
            gettext(
                language,
                "{name}: open a private chat with the bot and press Start, then press the button again.",
                name=user.first_name,
            ),
        )


async def on_plant(update: Update, context: Context) -> None:
    """QC name the plant of origin on an initial assessment whose plant was unknown."""
    query = update.callback_query
    assert query is not None
    svc = services(context)
    parsed = await _parse(query, Plant)
    if parsed is None:
        return
    plant, step_id = parsed
    with svc.sessions.begin() as session:
        who = asker(update, context, session)
        result, _ = set_plant(
            session, svc.config, step_id, plant, who.person, who.actor(), svc.clock.now()
        )
    if result is not PressResult.OK:
        await query.answer(gettext(who.language, REFUSALS[result]), show_alert=True)
        return
    svc.poke_sender()
    await query.answer(gettext(who.language, "Recorded."))


async def on_prompt_reply(update: Update, context: Context) -> None:
    """A reply to a note or blocking prompt in the private chat."""
    message = update.message
    if message is None or message.reply_to_message is None or context.user_data is None:
        return
    prompt = context.user_data.get(PROMPTS, {}).get(str(message.reply_to_message.message_id))
    if prompt is None:
        return
    step_id, kind = prompt
    svc = services(context)
    text = message.text or message.caption
    file_id = (
        message.photo[-1].file_id
        if message.photo
        else message.document.file_id
        if message.document
        else None
    )
    with svc.sessions.begin() as session:
        who = asker(update, context, session)
        step = queries.step_by_id(session, step_id)
        if step is not None and who.person is not None:
            if kind == "block" and text:
                block(session, svc.config, step, text, who.actor(), svc.clock.now())
            elif kind == "note":
                add_note(session, svc.config, step, text, file_id, who.actor(), svc.clock.now())
        language = who.language
    if kind == "block" and not text:
        await message.reply_text(gettext(language, "Please reply with the reason as text."))
        raise ApplicationHandlerStop
    context.user_data[PROMPTS].pop(str(message.reply_to_message.message_id), None)
    svc.poke_sender()
    if kind == "block":
        await message.reply_text(gettext(language, "The special report has been sent to the GM."))
    else:
        await message.reply_text(gettext(language, "Note added."))
    raise ApplicationHandlerStop  # the intake conversation must not see this reply


def _task_list(
    context: Context, steps: list[Any], language: str, title: str, empty: str
) -> list[str]:
    svc = services(context)
    return render_messages(
        "task_list.html",
        language,
        steps=steps,
        now=svc.clock.now(),
        tz=svc.config.timezone,
        title=title,
        empty=empty,
    )


async def mytasks(update: Update, context: Context) -> None:
    svc = services(context)
    cards: list[tuple[str, Any]] = []
    with svc.sessions() as session:
        who = asker(update, context, session)
        language = who.language
        steps = [
            s
            for s in queries.open_steps(session)
            if who.person is not None and is_mine(who.person, s, svc.config.owner(s.key))
        ]
        parts = _task_list(
            context,
            steps,
            language,
            gettext(language, "Your open steps, most urgent first"),
            gettext(language, "You have no open steps."),
        )
        for step in steps[:10]:
            card = card_for(step, svc.config, language)
            cards.append((card["text"], card["keyboard"]))
    await send_parts(update, parts)
    chat = update.effective_chat
    assert chat is not None
    for text, keyboard in cards:
        await chat.send_message(text, parse_mode=ParseMode.HTML, reply_markup=markup(keyboard))


async def overdue(update: Update, context: Context) -> None:
    svc = services(context)
    now = svc.clock.now()
    with svc.sessions() as session:
        who = asker(update, context, session)
        language = who.language
        if who.person is None or not sees_all(who.person.role, who.person.is_admin):
            parts = [
                gettext(
                    language, "Only leadership and QC see all overdue steps; /mytasks shows yours."
                )
            ]
        else:
            steps = [s for s in queries.open_steps(session) if s.due_at and s.due_at < now]
            parts = _task_list(
                context,
                steps,
                language,
                gettext(language, "Overdue steps"),
                gettext(language, "No step is overdue."),
            )
    await send_parts(update, parts)


def handlers() -> list[BaseHandler[Update, Context, None]]:
    return [
        CallbackQueryHandler(on_press, pattern=pattern("st")),
        CallbackQueryHandler(on_plant, pattern=pattern("pl")),
        CommandHandler("mytasks", mytasks),
        CommandHandler("overdue", overdue),
    ]


def reply_handler() -> BaseHandler[Update, Context, None]:
    """Runs before the conversations (group -1) and stops them when it takes a reply."""
    return MessageHandler(filters.ChatType.PRIVATE & filters.REPLY, on_prompt_reply)
