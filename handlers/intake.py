"""/new: a salesperson files a complaint, one question at a time.

The typed `Draft` lives in user_data (stored by the persistence) until Confirm;
Confirm hands it to the complaints service, which registers the complaint and
its notifications in one transaction.
"""

from __future__ import annotations

import warnings
from datetime import datetime
from html import escape

from telegram import Message, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.procedure.intake import (
    FIELD_BY_KEY,
    FIELDS,
    AttachmentDraft,
    Draft,
    Field,
    FileKind,
    InvalidAnswer,
    Kind,
    check_attachment,
    parse_choice,
    parse_text_answer,
)
from bot.services import complaints, conversations
from bot.services.complaints import CustomerMatch
from bot.views import keyboards
from bot.views.callbacks import INTAKE, BadCallback, decode, pattern
from bot.views.i18n import N_, gettext
from bot.views.intake import display, summary_rows
from bot.views.render import render, render_messages
from handlers.common import (
    Context,
    answer_stale,
    edit_keyboard,
    edit_text,
    keep,
    reply_text,
    send_parts,
)

ASKING, SUMMARY = range(2)
DRAFT = conversations.INTAKE_DRAFT


def _draft(context: Context) -> Draft:
    assert context.user_data is not None
    draft = context.user_data.get(DRAFT)
    if not isinstance(draft, Draft):
        draft = context.user_data[DRAFT] = Draft(received_at=context.services.clock.now())
    return draft


async def start(update: Update, context: Context) -> int:
    me = await context.services.run(complaints.me, context.caller)
    if not me.may_file:
        await reply_text(
            update, gettext(context.language, "Only sales staff can file complaints. /help")
        )
        return ConversationHandler.END
    assert context.user_data is not None
    context.user_data[DRAFT] = Draft(received_at=context.services.clock.now())
    return await _ask_next(update, context, intro=True)


async def _question(
    update: Update,
    context: Context,
    field: Field,
    keyboard: keyboards.Keyboard,
    *,
    error: str = "",
    intro: bool = False,
) -> Message:
    draft = _draft(context)
    language = context.language
    parts = render_messages(
        "intake/question.html",
        language,
        field=field,
        number=FIELDS.index(field) + 1,
        total=len(FIELDS),
        error=error,
        current=display(field, draft, language, context.services.config.tz)
        if draft.editing
        else "",
        attachment_count=len(draft.attachments),
        intro=intro,
    )
    await keep(context)  # the answer and the question it leads to, before the reply
    return await send_parts(update, parts, keyboard)


async def _ask(
    update: Update, context: Context, field: Field, error: str = "", *, intro: bool = False
) -> int:
    draft = _draft(context)
    draft.asking = field.key
    if field.kind is Kind.MULTI and not draft.demands_pending:
        draft.demands_pending = list(draft.demands)  # what is ticked stays ticked on a re-ask
    keyboard = keyboards.question(context.language, field, draft)
    await _question(update, context, field, keyboard, error=error, intro=intro)
    return ASKING


async def _ask_next(update: Update, context: Context, *, intro: bool = False) -> int:
    draft = _draft(context)
    pending = draft.next_field()
    if pending is None or draft.edit_complete():
        return await _summary(update, context)
    return await _ask(update, context, pending, intro=intro)


async def _summary(update: Update, context: Context) -> int:
    draft = _draft(context)
    draft.asking = None
    draft.editing = False
    language = context.language
    # The same product complained about lately: it will be filed as recurring.
    told = await context.services.run(complaints.before_filing, draft)
    parts = render_messages(
        "intake/summary.html",
        language,
        rows=summary_rows(draft, language, context.services.config.tz),
        grade=draft.grade().value,
        serious=draft.serious() or bool(told.earlier),
        earlier=told.earlier,
        answer_late_by=told.answer_late_by,
        days=context.services.config.recurrence.days,
        tz=context.services.config.timezone,
    )
    await keep(context)
    await send_parts(update, parts, keyboards.summary(language))
    return SUMMARY


def _local_now(context: Context) -> datetime:
    """Now in the company's time zone: typed times and dates are local."""
    return context.services.clock.now().astimezone(context.services.config.tz)


def _asking(context: Context) -> Field | None:
    key = _draft(context).asking
    return FIELD_BY_KEY.get(key) if key else None


def _reason(context: Context, error: InvalidAnswer) -> str:
    return gettext(context.language, error.reason, **error.params)


async def on_text(update: Update, context: Context) -> int:
    assert update.message is not None and update.message.text is not None
    field = _asking(context)
    if field is None:
        return await _ask_next(update, context)
    draft = _draft(context)
    now = _local_now(context)
    try:
        value = parse_text_answer(
            field, update.message.text, today=now.date(), draft=draft, now=now
        )
    except InvalidAnswer as error:
        return await _ask(update, context, field, _reason(context, error))
    if field.kind is Kind.CUSTOMER:
        return await _customer_typed(update, context, str(value))
    draft.answer(field.key, value)
    return await _ask_next(update, context)


async def _customer_typed(update: Update, context: Context, name: str) -> int:
    found = await context.services.run(complaints.find_customers, name)
    draft = _draft(context)
    draft.typed_customer = name
    if found.exact is not None:  # typed as the register has it: that customer
        return await _customer_picked(update, context, found.exact)
    if not found.matches:
        draft.new_customer(name)
        return await _ask_next(update, context)
    offered = [(m.id, m.name, m.customer_class.value) for m in found.matches]
    keyboard = keyboards.customer_matches(context.language, offered, name)
    await _question(update, context, FIELD_BY_KEY["customer"], keyboard)
    return ASKING


def _attachment(message: Message) -> tuple[AttachmentDraft, int | None]:
    if message.photo:
        photo = message.photo[-1]  # the largest size
        item = AttachmentDraft(
            FileKind.PHOTO, photo.file_id, photo.file_unique_id, None, "image/jpeg"
        )
        return item, photo.file_size
    document = message.document
    assert document is not None
    item = AttachmentDraft(
        FileKind.DOCUMENT,
        document.file_id,
        document.file_unique_id,
        document.file_name,
        document.mime_type,
    )
    return item, document.file_size


async def on_file(update: Update, context: Context) -> int:
    message = update.message
    assert message is not None
    field = _asking(context)
    draft = _draft(context)
    if field is None:
        return await _ask_next(update, context)
    if field.kind is not Kind.FILES:
        reason = gettext(context.language, "A file is not an answer to this question.")
        return await _ask(update, context, field, reason)
    item, size = _attachment(message)
    try:
        check_attachment(item.mime_type, size, len(draft.attachments))
    except InvalidAnswer as error:
        return await _ask(update, context, field, _reason(context, error))
    draft.attachments.append(item)
    album = message.media_group_id
    if album is not None and draft.last_album == album:
        await keep(context)
        return ASKING  # one acknowledgement per album, not one per photo
    draft.last_album = album
    await keep(context)
    text = N_("Received {count} file(s). Send more, or tap Done.")
    text = gettext(context.language, text, count=len(draft.attachments))
    # Done (and Remove all files) come with the acknowledgement, under the newest message.
    await send_parts(update, [text], keyboards.question(context.language, field, draft))
    return ASKING


async def on_other(update: Update, context: Context) -> int:
    field = _asking(context)
    reason = gettext(context.language, "Kesu cannot use this kind of message here.")
    if field is None:
        await reply_text(update, reason)
        return SUMMARY
    return await _ask(update, context, field, reason)


async def on_button(update: Update, context: Context) -> int:
    query = update.callback_query
    assert query is not None
    try:
        callback = decode(query.data)
    except BadCallback:
        await answer_stale(query, context.language)
        return ASKING
    await query.answer()
    draft = _draft(context)
    if callback.action == "cust":
        found = await context.services.run(complaints.customer, callback.int_arg)
        return await _customer_picked(update, context, found)
    if callback.action == "newcust":
        draft.new_customer(draft.typed_customer or draft.customer or "")
        return await _ask_next(update, context)
    field = _asking(context)
    if field is None:
        return SUMMARY if draft.asking is None else ASKING
    return await _answer_button(update, context, field, callback.action, callback.arg)


async def _customer_picked(update: Update, context: Context, found: CustomerMatch | None) -> int:
    if found is None:
        return ASKING
    draft = _draft(context)
    draft.pick_customer(found.id, found.name, found.customer_class)
    await _mark_answered(update, context, FIELD_BY_KEY["customer"])
    return await _ask_next(update, context)


async def _answer_button(
    update: Update, context: Context, field: Field, action: str, arg: str
) -> int:
    """A button under the question being asked: a choice, a demand ticked, Done, clear files."""
    draft = _draft(context)
    query = update.callback_query
    assert query is not None
    if action == "pick":
        try:
            draft.answer(field.key, parse_choice(field, arg, now=_local_now(context)))
        except InvalidAnswer:
            return ASKING  # a button of an older question
    elif action == "tog" and field.kind is Kind.MULTI:
        draft.toggle_demand(arg)
        await keep(context)
        await edit_keyboard(query, keyboards.question(context.language, field, draft))
        return ASKING
    elif action == "done" and field.kind is Kind.MULTI:
        if not draft.demands_pending:
            reason = gettext(context.language, "Tap at least one demand, then Done.")
            return await _ask(update, context, field, reason)
        draft.answer(field.key, list(draft.demands_pending))
        draft.demands_pending = []
    elif action == "done" and field.kind is Kind.FILES:
        draft.answer(field.key, draft.attachments)
    elif action == "clearfiles" and field.kind is Kind.FILES:
        draft.attachments = []
        return await _ask(update, context, field)
    else:
        return ASKING
    await _mark_answered(update, context, field)
    return await _ask_next(update, context)


async def _mark_answered(update: Update, context: Context, field: Field) -> None:
    """Turn the question into a record of its answer, without buttons."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    value = display(field, _draft(context), context.language, context.services.config.tz)
    await edit_text(
        query, render("intake/answered.html", context.language, field=field, value=value)
    )


async def on_summary_button(update: Update, context: Context) -> int:
    query = update.callback_query
    assert query is not None
    try:
        callback = decode(query.data)
    except BadCallback:
        await answer_stale(query, context.language)
        return SUMMARY
    if callback.action == "ok":
        return await _confirm(update, context)
    await query.answer()
    language = context.language
    if callback.action == "cancel":
        return await _cancelled(update, context)
    if callback.action in ("edit", "back"):
        menu = keyboards.edit_menu(language) if callback.action == "edit" else None
        await edit_keyboard(query, menu or keyboards.summary(language))
        return SUMMARY
    if callback.action == "field" and callback.arg in FIELD_BY_KEY:
        return await _edit_field(update, context, FIELD_BY_KEY[callback.arg])
    return SUMMARY


async def _edit_field(update: Update, context: Context, field: Field) -> int:
    assert update.callback_query is not None
    await edit_keyboard(update.callback_query, None)
    draft = _draft(context)
    if field.key == "customer_class" and draft.customer_id is not None:
        reason = gettext(
            context.language, "A known customer's class comes from the customer record."
        )
        await reply_text(update, escape(reason))
        return await _summary(update, context)
    draft.editing = True
    return await _ask(update, context, field)


async def _confirm(update: Update, context: Context) -> int:
    query = update.callback_query
    assert query is not None
    language = context.language
    draft = _draft(context)
    if not draft.ready_to_file():
        await query.answer(gettext(language, "Some answers are missing."), show_alert=True)
        return await _ask_next(update, context)
    assert context.user_data is not None
    # Out of memory first: PTB's timed write must not put back what the filing forgets.
    context.user_data.pop(DRAFT, None)
    try:
        filed = await context.services.run(
            complaints.file_complaint, complaints.FileComplaint(context.caller, draft)
        )
    except BaseException:
        context.user_data[DRAFT] = draft
        raise
    if filed.complaint is None:
        await keep(context)
        text = gettext(language, "Only sales staff can file complaints.")
        await query.answer(text, show_alert=True)
        return ConversationHandler.END
    number, grade = filed.complaint.number, filed.complaint.grade.value
    await query.answer(gettext(language, "Filed as {number}", number=number))
    await edit_keyboard(query, None)
    text = gettext(
        language,
        "Filed as <b>{number}</b> (problem nature {grade}). "
        "It has been sent to the departments concerned. /show {number}",
        number=number,
        grade=grade,
    )
    await reply_text(update, text)
    return ConversationHandler.END


async def _cancelled(update: Update, context: Context) -> int:
    assert context.user_data is not None
    context.user_data.pop(DRAFT, None)
    await keep(context)
    if update.callback_query is not None:
        await edit_keyboard(update.callback_query, None)
    text = gettext(context.language, "Cancelled. Nothing was filed. /new starts again.")
    await reply_text(update, text)
    return ConversationHandler.END


async def cancel(update: Update, context: Context) -> int:
    return await _cancelled(update, context)


async def summary_text(update: Update, context: Context) -> int:
    await reply_text(update, gettext(context.language, "Please use the buttons under the summary."))
    return SUMMARY


async def closed_form(update: Update, context: Context) -> None:
    """A button of a filing that has ended (confirmed, cancelled, or pressed twice)."""
    query = update.callback_query
    assert query is not None
    await query.answer(gettext(context.language, "This form is closed. /new starts a new one."))


def closed_form_handler() -> CallbackQueryHandler[Context, None]:
    return CallbackQueryHandler(closed_form, pattern=pattern(INTAKE))


def conversation() -> ConversationHandler[Context]:
    private = filters.ChatType.PRIVATE
    files = filters.PHOTO | filters.Document.ALL
    with warnings.catch_warnings():
        # PTB warns that button presses are tracked per chat, not per message:
        # intake keeps one draft per salesperson on purpose.
        warnings.filterwarnings("ignore", message="If 'per_message=False'")
        return ConversationHandler(
            entry_points=[CommandHandler("new", start, filters=private)],
            states={
                ASKING: [
                    MessageHandler(private & filters.TEXT & ~filters.COMMAND, on_text),
                    MessageHandler(private & files, on_file),
                    CallbackQueryHandler(on_button, pattern=pattern(INTAKE)),
                    MessageHandler(private & ~filters.COMMAND, on_other),
                ],
                SUMMARY: [
                    CallbackQueryHandler(on_summary_button, pattern=pattern(INTAKE)),
                    MessageHandler(private & ~filters.COMMAND, summary_text),
                ],
            },
            fallbacks=[CommandHandler("cancel", cancel, filters=private)],
            allow_reentry=True,
            name="intake",
            persistent=True,  # a restart keeps each salesperson's draft and question
        )


def position(user_id: int, user_data: dict[object, object]) -> tuple[tuple[int, ...], int] | None:
    """Where a salesperson's filing stands, read from their kept draft (the persistence
    asks at start): the draft is kept before every reply, so the two never disagree."""
    draft = user_data.get(DRAFT)
    if not isinstance(draft, Draft):
        return None
    return (user_id, user_id), ASKING if draft.asking else SUMMARY
