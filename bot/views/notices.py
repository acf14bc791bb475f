"""Notices to the admins."""

from __future__ import annotations

from bot.views.i18n import gettext
from bot.views.render import render, split_html


def delivery_failed(number: str, purpose: str, chat_id: int, error: str, language: str) -> str:
    text = render(
        "notices/delivery_failed.html",
        language,
        number=number,
        purpose=gettext(language, purpose),
        chat_id=chat_id,
        error=error,
    )
    return split_html(text)[0]


def chat_moved(old: int, new: int, language: str) -> str:
    return split_html(render("notices/chat_moved.html", language, old=old, new=new))[0]


def late_pings(count: int, minutes: int, number: str, step: str, language: str) -> str:
    text = render(
        "notices/late_pings.html",
        language,
        count=count,
        minutes=minutes,
        number=number,
        step=gettext(language, step),
    )
    return split_html(text)[0]


def file_not_kept(number: str, file_name: str, error: str, language: str) -> str:
    text = render(
        "notices/file_not_kept.html", language, number=number, file_name=file_name, error=error
    )
    return split_html(text)[0]
