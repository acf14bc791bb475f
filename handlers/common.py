"""What every handler needs: the services, who is asking, and sending rendered HTML."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session
from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.events import Actor
from bot.i18n import pick_language
from bot.keyboards import Keyboard
from bot.render import render_messages
from bot.services import Services, services
from storage import queries
from storage.models import Person

Context = ContextTypes.DEFAULT_TYPE
__all__ = ["Context", "Services", "services"]


@dataclass
class Asker:
    """The person behind an update, as the database knows them, and their language."""

    person: Person | None
    language: str
    telegram_id: int
    chat_id: int | None

    def actor(self) -> Actor:
        return Actor(self.person, self.telegram_id, "chat", self.chat_id)


def asker(update: Update, context: Context, session: Session) -> Asker:
    user = update.effective_user
    assert user is not None
    person = queries.person_by_telegram_id(session, user.id)
    config = services(context).config
    language = pick_language(
        person.language if person else None, user.language_code, config.default_language
    )
    chat_id = update.effective_chat.id if update.effective_chat else None
    return Asker(person, language, user.id, chat_id)


def markup(keyboard: Keyboard | None) -> InlineKeyboardMarkup | None:
    if not keyboard:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=data) for label, data in row]
            for row in keyboard
        ]
    )


async def reply(
    update: Update,
    template: str,
    language: str,
    keyboard: Keyboard | None = None,
    **context: Any,
) -> Message:
    """Render a template and send it to the update's chat; the keyboard goes on the last part."""
    return await send_parts(update, render_messages(template, language, **context), keyboard)


async def send_parts(update: Update, parts: list[str], keyboard: Keyboard | None = None) -> Message:
    """Send rendered parts; call it after the database session is closed."""
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


async def reply_text(update: Update, text: str) -> Message:
    """A one-line translated text (already plain or escaped HTML)."""
    chat = update.effective_chat
    assert chat is not None
    return await chat.send_message(text, parse_mode=ParseMode.HTML)


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
