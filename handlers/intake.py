"""/new: a salesperson files a complaint, one question at a time.

The draft lives in user_data until Confirm; Confirm hands it to bot.filing,
which registers the complaint and its notifications in one transaction.
"""

from __future__ import annotations

import warnings
from html import escape
from typing import Any

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import deadlines, keyboards
from bot.callbacks import BadCallback, decode, pattern
from bot.filing import register_complaint
from bot.i18n import gettext
from bot.intake_view import display, preview_grade, summary_rows
from bot.procedure.grading import Demand
from bot.procedure.intake import (
    FIELD_BY_KEY,
    FIELDS,
    Draft,
    Field,
    InvalidAnswer,
    Kind,
    check_attachment,
    parse_choice,
    parse_text_answer,
    ready_to_file,
    toggle_demand,
)
from bot.procedure.roles import may_file
from bot.render import render
from handlers.common import (
    Context,
    asker,
    edit_keyboard,
    edit_text,
    reply,
    reply_text,
    services,
)
from storage import queries

ASKING, SUMMARY = range(2)
DRAFT = "intake_draft"


def _draft(context: Context) -> dict[str, Any]:
    assert context.user_data is not None
    draft = context.user_data.get(DRAFT)
    if draft is None:
        draft = context.user_data[DRAFT] = {"answers": {}, "field": None, "editing": False}
    return draft


def _today(context: Context) -> Any:
    svc = services(context)
    return svc.clock.now().astimezone(svc.config.tz).date()


def _language(update: Update, context: Context) -> str:
    with services(context).sessions() as session:
        return asker(update, context, session).language


async def start(update: Update, context: Context) -> int:
    svc = services(context)
    with svc.sessions() as session:
        who = asker(update, context, session)
    if who.person is None or not may_file(who.person.role, who.person.is_admin):
        await reply_text(
            update, gettext(who.language, "Only sales staff can file complaints. /help")
        )
        return ConversationHandler.END
    assert context.user_data is not None
    context.user_data[DRAFT] = {
        "answers": {"received_at": svc.clock.now().isoformat()},
        "field": None,
        "editing": False,
    }
    return await _ask_next(update, context, who.language, intro=True)


async def _ask(
    update: Update,
    context: Context,
    language: str,
    field: Field,
    error: str = "",
    *,
    intro: bool = False,
) -> int:
    draft = _draft(context)
    draft["field"] = field.key
    answers = draft["answers"]
    if field.key == "demands" and "demands_draft" not in answers:
        answers["demands_draft"] = list(answers.get("demands", []))
    await reply(
        update,
        "intake_question.html",
        language,
        keyboards.question(language, field, answers),
        field=field,
        number=FIELDS.index(field) + 1,
        total=len(FIELDS),
        error=error,
        current=display(field, answers, language) if draft["editing"] else "",
        attachment_count=len(answers.get("attachments", [])),
        intro=intro,
    )
    return ASKING


async def _ask_next(update: Update, context: Context, language: str, *, intro: bool = False) -> int:
    draft = _draft(context)
    answers = draft["answers"]
    pending = Draft(answers=answers, customer_id=answers.get("customer_id")).next_field()
    if pending is None or (draft["editing"] and _edit_done(draft)):
        return await _summary(update, context, language)
    return await _ask(update, context, language, pending, intro=intro)


def _edit_done(draft: dict[str, Any]) -> bool:
    answers = draft["answers"]
    return bool(answers.get("customer_class")) and ready_to_file(answers)


async def _summary(update: Update, context: Context, language: str) -> int:
    draft = _draft(context)
    draft["field"] = None
    draft["editing"] = False
    answers = draft["answers"]
    grade, serious = preview_grade(answers)
    await reply(
        update,
        "intake_summary.html",
        language,
        keyboards.summary(language),
        rows=summary_rows(answers, language),
        grade=grade.value,
        serious=serious,
    )
    return SUMMARY


def _current_field(context: Context) -> Field | None:
    key = _draft(context).get("field")
    return FIELD_BY_KEY.get(key) if key else None


def _reason(language: str, error: InvalidAnswer) -> str:
    return gettext(language, error.reason, **error.params)


async def on_text(update: Update, context: Context) -> int:
    assert update.message is not None and update.message.text is not None
    language = _language(update, context)
    field = _current_field(context)
    if field is None:
        return await _ask_next(update, context, language)
    draft = _draft(context)
    answers = draft["answers"]
    try:
        value = parse_text_answer(
            field, update.message.text, today=_today(context), answers=answers
        )
    except InvalidAnswer as error:
        return await _ask(update, context, language, field, _reason(language, error))
    if field.kind is Kind.CUSTOMER:
        return await _customer_typed(update, context, language, str(value))
    answers[field.key] = value
    return await _ask_next(update, context, language)


async def _customer_typed(update: Update, context: Context, language: str, name: str) -> int:
    svc = services(context)
    with svc.sessions() as session:
        matches = [(c.id, c.name, c.customer_class) for c in queries.find_customers(session, name)]
    draft = _draft(context)
    draft["typed_customer"] = name
    if not matches:
        _set_new_customer(draft["answers"], name)
        return await _ask_next(update, context, language)
    await reply(
        update,
        "intake_question.html",
        language,
        keyboards.customer_matches(language, matches, name),
        field=FIELD_BY_KEY["customer"],
        number=1,
        total=len(FIELDS),
        error="",
        current="",
        attachment_count=0,
        intro=False,
    )
    return ASKING


def _set_new_customer(answers: dict[str, Any], name: str) -> None:
    answers["customer"] = name
    if answers.pop("customer_id", None) is not None:
        # A known customer's class came from the record; a new one must be asked.
        answers.pop("customer_class", None)


async def on_file(update: Update, context: Context) -> int:
    message = update.message
    assert message is not None
    language = _language(update, context)
    field = _current_field(context)
    answers = _draft(context)["answers"]
    if field is None or field.kind is not Kind.FILES:
        if field is None:
            return await _ask_next(update, context, language)
        reason = gettext(language, "A file is not an answer to this question.")
        return await _ask(update, context, language, field, reason)
    files = answers.setdefault("attachments", [])
    if message.photo:
        photo = message.photo[-1]  # the largest size
        item = {
            "kind": "photo",
            "file_id": photo.file_id,
            "file_unique_id": photo.file_unique_id,
            "file_name": None,
            "mime_type": "image/jpeg",
        }
        size = photo.file_size
    else:
        document = message.document
        assert document is not None
        item = {
            "kind": "document",
            "file_id": document.file_id,
            "file_unique_id": document.file_unique_id,
            "file_name": document.file_name,
            "mime_type": document.mime_type,
        }
        size = document.file_size
    try:
        check_attachment(item["mime_type"], size, len(files))
    except InvalidAnswer as error:
        return await _ask(update, context, language, field, _reason(language, error))
    files.append(item)
    group = message.media_group_id
    if group is not None and _draft(context).get("last_album") == group:
        return ASKING  # one acknowledgement per album, not one per photo
    _draft(context)["last_album"] = group
    await reply_text(
        update,
        gettext(language, "Received {count} file(s). Send more, or tap Done.", count=len(files)),
    )
    return ASKING


async def on_other(update: Update, context: Context) -> int:
    language = _language(update, context)
    field = _current_field(context)
    reason = gettext(language, "Kesu cannot use this kind of message here.")
    if field is None:
        await reply_text(update, reason)
        return SUMMARY
    return await _ask(update, context, language, field, reason)


async def on_button(update: Update, context: Context) -> int:
    query = update.callback_query
    assert query is not None
    language = _language(update, context)
    try:
        callback = decode(query.data)
    except BadCallback:
        await query.answer()
        return ASKING
    draft = _draft(context)
    answers = draft["answers"]
    field = _current_field(context)
    await query.answer()
    action, arg = callback.action, callback.arg

    if action == "cust":
        with services(context).sessions() as session:
            customer = queries.customer_by_id(session, callback.int_arg)
            if customer is None:
                return ASKING
            answers["customer"] = customer.name
            answers["customer_id"] = customer.id
            answers["customer_class"] = customer.customer_class
        await _mark_answered(update, language, FIELD_BY_KEY["customer"], answers)
        return await _ask_next(update, context, language)
    if action == "newcust":
        _set_new_customer(answers, draft.get("typed_customer") or answers.get("customer", ""))
        return await _ask_next(update, context, language)
    if field is None:
        return SUMMARY if draft.get("field") is None else ASKING

    if action == "pick":
        try:
            answers[field.key] = parse_choice(field, arg)
        except InvalidAnswer:
            return ASKING  # a button of an older question
    elif action == "tog" and field.key == "demands":
        answers["demands_draft"] = toggle_demand(answers.get("demands_draft", []), arg)
        await edit_keyboard(query, keyboards.question(language, field, answers))
        return ASKING
    elif action == "done" and field.key == "demands":
        chosen = answers.get("demands_draft", [])
        if not chosen:
            reason = gettext(language, "Tap at least one demand, then Done.")
            return await _ask(update, context, language, field, reason)
        answers["demands"] = [d.value for d in Demand if d.value in chosen]
        answers.pop("demands_draft", None)
    elif action == "done" and field.kind is Kind.FILES:
        answers.setdefault("attachments", [])
    elif action == "clearfiles" and field.kind is Kind.FILES:
        answers["attachments"] = []
        return await _ask(update, context, language, field)
    else:
        return ASKING
    await _mark_answered(update, language, field, answers)
    return await _ask_next(update, context, language)


async def _mark_answered(
    update: Update, language: str, field: Field, answers: dict[str, Any]
) -> None:
    """Turn the question into a record of its answer, without buttons."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    text = render(
        "intake_answered.html", language, field=field, value=display(field, answers, language)
    )
    await edit_text(query, text)


async def on_summary_button(update: Update, context: Context) -> int:
    query = update.callback_query
    assert query is not None
    language = _language(update, context)
    try:
        callback = decode(query.data)
    except BadCallback:
        await query.answer()
        return SUMMARY
    draft = _draft(context)
    answers = draft["answers"]
    if callback.action == "ok":
        return await _confirm(update, context, language)
    await query.answer()
    if callback.action == "cancel":
        return await _cancelled(update, context, language)
    if callback.action == "edit":
        await edit_keyboard(query, keyboards.edit_menu(language))
        return SUMMARY
    if callback.action == "back":
        await edit_keyboard(query, keyboards.summary(language))
        return SUMMARY
    if callback.action == "field" and callback.arg in FIELD_BY_KEY:
        await edit_keyboard(query, None)
        draft["editing"] = True
        field = FIELD_BY_KEY[callback.arg]
        if field.key == "demands":
            answers["demands_draft"] = list(answers.get("demands", []))
        if field.key == "customer_class" and answers.get("customer_id"):
            reason = gettext(language, "A known customer's class comes from the customer record.")
            draft["editing"] = False
            await reply_text(update, escape(reason))
            return await _summary(update, context, language)
        return await _ask(update, context, language, field)
    return SUMMARY


async def _confirm(update: Update, context: Context, language: str) -> int:
    query = update.callback_query
    assert query is not None
    svc = services(context)
    answers = _draft(context)["answers"]
    if not ready_to_file(answers):
        await query.answer(gettext(language, "Some answers are missing."), show_alert=True)
        return await _ask_next(update, context, language)
    with svc.sessions.begin() as session:
        who = asker(update, context, session)
        allowed = who.person is not None and may_file(who.person.role, who.person.is_admin)
        if allowed:
            complaint = register_complaint(
                session, svc.config, answers, who.actor(), svc.clock.now()
            )
            number, grade = complaint.number, complaint.grade
            session.flush()
            step_ids = [s.id for s in complaint.steps]
    if not allowed:
        await query.answer(
            gettext(language, "Only sales staff can file complaints."), show_alert=True
        )
        return ConversationHandler.END
    svc.poke_sender()
    deadlines.reschedule(context.job_queue, svc, step_ids)
    await query.answer(gettext(language, "Filed as {number}", number=number))
    await edit_keyboard(query, None)
    await reply_text(
        update,
        gettext(
            language,
            "Filed as <b>{number}</b> (problem nature {grade}). "
            "It has been sent to the departments concerned. /show {number}",
            number=number,
            grade=grade,
        ),
    )
    assert context.user_data is not None
    context.user_data.pop(DRAFT, None)
    return ConversationHandler.END


async def _cancelled(update: Update, context: Context, language: str) -> int:
    assert context.user_data is not None
    context.user_data.pop(DRAFT, None)
    if update.callback_query is not None:
        await edit_keyboard(update.callback_query, None)
    await reply_text(update, gettext(language, "Cancelled. Nothing was filed. /new starts again."))
    return ConversationHandler.END


async def cancel(update: Update, context: Context) -> int:
    return await _cancelled(update, context, _language(update, context))


async def summary_text(update: Update, context: Context) -> int:
    language = _language(update, context)
    await reply_text(update, gettext(language, "Please use the buttons under the summary."))
    return SUMMARY


async def closed_form(update: Update, context: Context) -> None:
    """A button of a filing that has ended (confirmed, cancelled, or pressed twice)."""
    query = update.callback_query
    assert query is not None
    await query.answer(
        gettext(_language(update, context), "This form is closed. /new starts a new one.")
    )


def closed_form_handler() -> CallbackQueryHandler[Context, None]:
    return CallbackQueryHandler(closed_form, pattern=pattern("in"))


def conversation() -> ConversationHandler[Context]:
    private = filters.ChatType.PRIVATE
    files = filters.PHOTO | filters.Document.ALL
    with warnings.catch_warnings():
        # PTB warns that button presses are tracked per chat, not per message:
        # intake keeps one draft per salesperson on purpose.
        warnings.filterwarnings("ignore", message="If 'per_message=False'")
        return _conversation(private, files)


def _conversation(
    private: filters.BaseFilter, files: filters.BaseFilter
) -> ConversationHandler[Context]:
    return ConversationHandler(
        entry_points=[CommandHandler("new", start, filters=private)],
        states={
            ASKING: [
                MessageHandler(private & filters.TEXT & ~filters.COMMAND, on_text),
                MessageHandler(private & files, on_file),
                CallbackQueryHandler(on_button, pattern=pattern("in")),
                MessageHandler(private & ~filters.COMMAND, on_other),
            ],
            SUMMARY: [
                CallbackQueryHandler(on_summary_button, pattern=pattern("in")),
                MessageHandler(private & ~filters.COMMAND, summary_text),
            ],
        },
        fallbacks=[CommandHandler("cancel", cancel, filters=private)],
        allow_reentry=True,
        name="intake",
        persistent=True,  # a restart keeps each salesperson's draft and question
    )
