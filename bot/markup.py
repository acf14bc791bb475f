"""Rows of (label, data) as bot.views.keyboards makes them, as Telegram's inline
keyboard: the one place a keyboard becomes Telegram's, for replies and the outbox
alike. Data is a callback's, unless it is an address: "https://…" opens a link (the
dashboard's direct link in a group), "webapp:https://…" opens the Mini App (private
chats only, as Telegram allows)."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from bot.views.keyboards import LINK, WEB_APP


def button(label: str, data: str) -> InlineKeyboardButton:
    if data.startswith(WEB_APP):
        return InlineKeyboardButton(label, web_app=WebAppInfo(data[len(WEB_APP) :]))
    if data.startswith(LINK):
        return InlineKeyboardButton(label, url=data)
    return InlineKeyboardButton(label, callback_data=data)


def inline(rows: Sequence[Sequence[Sequence[str]]] | None) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup([[button(label, data) for label, data in row] for row in rows])
