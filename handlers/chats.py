"""Group chats that change under Kesu: Telegram's notice that a group became a
supergroup with a new id (sent in the old chat and in the new one)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, MessageHandler, filters

from bot.services import company
from handlers.common import Context


async def on_migrate(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        old, new = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat.id
    else:
        return
    await context.services.run(company.chat_moved, company.ChatMoved(context.caller, old, new))


def migration_handler() -> BaseHandler[Update, Context, None]:
    return MessageHandler(filters.StatusUpdate.MIGRATE, on_migrate)
