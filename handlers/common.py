"""Sending rendered HTML: what every handler shares once a service has answered."""

from __future__ import annotations

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler

from bot.views.i18n import N_, gettext
from bot.views.keyboards import Keyboard
from bot.views.models import Message as Rendered
from handlers.context import KesuContext

Context = KesuContext


def markup(keyboard: Keyboard | None) -> InlineKeyboardMarkup | None:
    if not keyboard:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=data) for label, data in row]
            for row in keyboard
        ]
    )


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


async def edit_text(query: CallbackQuery, text: str) -> None:
    try:
        await query.edit_message_text(text, parse_mode=ParseMode.HTML)
    except BadRequest as error:
        if "not modified" not in str(error).lower():
            raise


STALE_BUTTON = N_("This button no longer works.")


async def answer_stale(query: CallbackQuery, language: str) -> None:
    """A button whose data Kesu does not know (old, or not Kesu's): answered, never left spinning."""
    await query.answer(gettext(language, STALE_BUTTON))


async def stale_button(update: Update, context: KesuContext) -> None:
    """Every callback that no other handler took."""
    if update.callback_query is not None:
        await answer_stale(update.callback_query, context.language)


def stale_button_handler() -> CallbackQueryHandler[KesuContext, None]:
    return CallbackQueryHandler(stale_button)
