"""Sending rendered HTML: what every handler shares once a service has answered."""

from __future__ import annotations

from telegram import (
    CallbackQuery,
    Chat,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaDocument,
    InputMediaPhoto,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler

from bot.markup import inline
from bot.procedure.intake import FileKind
from bot.services import conversations, files
from bot.services.uow import Services
from bot.views import cards
from bot.views.i18n import N_, gettext
from bot.views.keyboards import Keyboard
from bot.views.models import ComplaintView
from bot.views.models import Message as Rendered
from handlers.context import KesuContext

Context = KesuContext


async def keep(context: KesuContext) -> None:
    """The person's data (a draft and where it stands, open prompts) into the database
    now, before the reply that follows it goes out: PTB's own write comes up to a second
    later, and a crash in that second would lose an answer already acknowledged."""
    user_id = context.caller.telegram_id
    if user_id is None or context.user_data is None:
        return
    data = conversations.encode(context.user_data)
    await context.services.run(conversations.keep, conversations.Keep(user_id, data))


def markup(keyboard: Keyboard | None) -> InlineKeyboardMarkup | None:
    return inline(keyboard)


async def send_parts(update: Update, parts: list[str], keyboard: Keyboard | None = None) -> Message:
    """Send rendered parts to the update's chat; the keyboard goes on the last part."""
    chat = update.effective_chat
    assert chat is not None
    message: Message | None = None
    for index, text in enumerate(parts):
        last = index == len(parts) - 1
        message = await chat.send_message(
            text, parse_mode=ParseMode.HTML, reply_markup=markup(keyboard) if last else None
        )
    assert message is not None
    return message


async def send(update: Update, rendered: Rendered) -> Message:
    return await send_parts(update, [rendered.text], rendered.keyboard)


async def send_to(context: KesuContext, chat_id: int, rendered: Rendered) -> Message:
    """A rendered message to a chat other than the update's (the presser's private chat)."""
    return await context.bot.send_message(
        chat_id, rendered.text, parse_mode=ParseMode.HTML, reply_markup=markup(rendered.keyboard)
    )


async def reply_text(update: Update, text: str) -> Message:
    """A one-line translated text (already plain or escaped HTML)."""
    return await send_parts(update, [text])


async def edit_keyboard(query: CallbackQuery, keyboard: Keyboard | None) -> None:
    """Change the buttons of the pressed message; a second quick press changes nothing."""
    try:
        await query.edit_message_reply_markup(markup(keyboard))
    except BadRequest as error:
        if "not modified" not in str(error).lower():
            raise


async def edit_text(query: CallbackQuery, text: str, keyboard: Keyboard | None = None) -> None:
    try:
        await query.edit_message_text(
            text, parse_mode=ParseMode.HTML, reply_markup=markup(keyboard)
        )
    except BadRequest as error:
        if "not modified" not in str(error).lower():
            raise


STALE_BUTTON = N_("This button no longer works.")
START_FIRST = N_(
    "{name}: open a private chat with the bot and press Start, then press the button again."
)


async def ask_to_start(update: Update, context: KesuContext) -> None:
    """Someone pressed a button whose answer goes privately, but never started the bot:
    said in the chat they pressed in. Their name is whatever they chose in Telegram, so
    it goes through gettext's escaping like any value."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None:
        return
    name = user.first_name if user is not None else ""
    await send_parts(update, [gettext(context.language, START_FIRST, name=name)])


async def answer_stale(query: CallbackQuery, language: str) -> None:
    """A button whose data Kesu does not know (old, or not Kesu's): answered, never left spinning."""
    await query.answer(gettext(language, STALE_BUTTON))


async def stale_button(update: Update, context: KesuContext) -> None:
    """Every callback that no other handler took."""
    if update.callback_query is not None:
        await answer_stale(update.callback_query, context.language)


def stale_button_handler() -> CallbackQueryHandler[KesuContext, None]:
    return CallbackQueryHandler(stale_button)


ALBUM_LIMIT = 10  # files in one sendMediaGroup


async def send_attachments(
    update: Update, complaint: ComplaintView, language: str, services: Services
) -> None:
    """The customer's letter and photos again, then the files kept with the steps (the
    appraisal report, evidence): photos as albums, documents as others (Telegram groups
    documents only with documents), a single file on its own."""
    chat = update.effective_chat
    assert chat is not None
    captioned = [
        (a, cards.attachment_caption(complaint, a, i, language))
        for i, a in enumerate(complaint.attachments, start=1)
    ] + [(f, cards.step_file_caption(complaint, f, language)) for f in complaint.step_files]
    for kind in (FileKind.PHOTO, FileKind.DOCUMENT):
        found = [(a.file_id, caption) for a, caption in captioned if a.kind is kind]
        for start in range(0, len(found), ALBUM_LIMIT):
            batch: list[tuple[str | InputFile, str]] = list(found[start : start + ALBUM_LIMIT])
            try:
                await _send_files(chat, kind, batch)
            except BadRequest as error:
                if not files.forgotten(str(error)):
                    raise
                # Telegram forgot a file: send Kesu's own copies of those it kept.
                ids = [str(f) for f, _ in batch]
                kept = await services.run(files.kept_copies, ids)
                if not kept:
                    raise
                batch = [
                    (InputFile(kept[f].content, filename=kept[f].file_name) if f in kept else f, c)
                    for f, c in zip(ids, (c for _, c in batch), strict=True)
                ]
                await _send_files(chat, kind, batch)


async def _send_files(chat: Chat, kind: FileKind, batch: list[tuple[str | InputFile, str]]) -> None:
    """One file on its own, or an album of up to ten."""
    if len(batch) == 1:
        file, caption = batch[0]
        send = chat.send_photo if kind is FileKind.PHOTO else chat.send_document
        await send(file, caption=caption, parse_mode=ParseMode.HTML)
    else:
        media = InputMediaPhoto if kind is FileKind.PHOTO else InputMediaDocument
        await chat.send_media_group(
            [media(f, caption=c, parse_mode=ParseMode.HTML) for f, c in batch]
        )
