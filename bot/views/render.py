"""One Jinja2 environment for every text a person sees, and Telegram's text limits.

Templates are HTML (Telegram's parse mode): autoescaped, trimmed, translated
through the catalogues of bot.views.i18n. Everything that must fit Telegram's limits
passes `split_html`, the one place those limits are enforced.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from html import escape
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from markupsafe import Markup

import templates as _templates_package
from bot.procedure.causes import Cause
from bot.views import i18n, labels

MESSAGE_LIMIT = 4096  # characters of a message after entity parsing
CAPTION_LIMIT = 1024  # characters of a photo or document caption
CALLBACK_DATA_LIMIT = 64  # bytes of callback_data

TEMPLATE_DIR = Path(_templates_package.__file__).parent


def _gettext(message: str, **params: object) -> str:
    return i18n.gettext(i18n.current_language.get(), message, **params)


def _ngettext(singular: str, plural: str, n: int, **params: object) -> str:
    return i18n.ngettext(i18n.current_language.get(), singular, plural, n, **params)


class Typesetting(Extension):
    """A template's own text between values ("label: ", " (", ", ") is punctuated as the
    reader's language sets it (i18n.typeset): each literal piece with punctuation in it
    becomes a call made at render time, when the language is known. Values (people's
    words, numbers, codes) are never touched."""

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        for token in stream:
            if token.type != "data" or not _PUNCTUATION.search(token.value):
                yield token
                continue
            line = token.lineno
            yield Token(line, "variable_begin", "{{")
            yield Token(line, "name", "_typeset")
            yield Token(line, "lparen", "(")
            yield Token(line, "string", token.value)
            yield Token(line, "rparen", ")")
            yield Token(line, "variable_end", "}}")


_PUNCTUATION = re.compile(r"[,:;?!()、]")


def _typeset(text: str) -> Markup:
    # The template's own literal text, markup included, as the template author wrote it.
    return Markup(i18n.typeset(i18n.current_language.get(), text))


def _paper(title: str, name: str) -> Markup:
    """The paper form's Chinese name beside a title: in English always ("Register of
    major quality problems (重大质量问题备案)"); in Chinese only where the title does not
    already say it, so that no reader sees it twice."""
    language = i18n.current_language.get()
    if language.startswith("zh"):
        return Markup("") if name in title else Markup("（{}）").format(name)
    return Markup(" ({})").format(name)


def _cause_names(causes: Iterable[Cause]) -> str:
    """Cause categories in the reader's language: "机、料", "Machine, Material"."""
    language = i18n.current_language.get()
    separator = "、" if language.startswith("zh") else ", "
    return separator.join(c.name(language) for c in causes)


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n", Typesetting],
    )
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["when"] = format_datetime
    env.filters["day"] = format_date
    env.filters["number"] = format_number
    env.filters["span"] = _format_span
    env.filters["causes"] = _cause_names
    env.globals["labels"] = labels
    env.globals["_typeset"] = _typeset
    env.globals["paper"] = _paper
    return env


def format_datetime(value: datetime | None, tz: str = "Asia/Shanghai") -> str:
    if value is None:
        return "—"
    return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def format_date(value: date | None) -> str:
    return "—" if value is None else value.isoformat()


def _format_span(delta: timedelta) -> str:
    """A time span as people read it: "2 天 3 小时", "1 小时 5 分钟", "不到 1 分钟"."""
    minutes = int(abs(delta.total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(_ngettext("%(num)d day", "%(num)d days", days) % {"num": days})
    if hours:
        parts.append(_ngettext("%(num)d hour", "%(num)d hours", hours) % {"num": hours})
    if minutes and not days:
        parts.append(_ngettext("%(num)d minute", "%(num)d minutes", minutes) % {"num": minutes})
    return " ".join(parts) or _gettext("less than a minute")


def format_number(value: Decimal | int | float) -> str:
    if isinstance(value, Decimal):
        value = value.normalize()
        text = format(value, "f")
        return text
    return str(value)


def render(template: str, language: str, **context: object) -> str:
    """Render a template in one language; the result is HTML for Telegram."""
    token = i18n.current_language.set(language)
    try:
        text = environment().get_template(template).render(**context)
    finally:
        i18n.current_language.reset(token)
    # Collapse the blank runs that optional blocks leave behind.
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def render_messages(template: str, language: str, **context: object) -> list[str]:
    return split_html(render(template, language, **context), MESSAGE_LIMIT)


def plain(text: str) -> str:
    """User text for a place outside templates (e.g. a button label is not HTML)."""
    return escape(text, quote=False)


# Splitting ----------------------------------------------------------------------------

_TOKEN = re.compile(r"(<[^>]+>|&[#a-zA-Z0-9]+;)")
_TAG = re.compile(r"^<(/?)([a-zA-Z-]+)")


def visible_length(text: str) -> int:
    """Length as Telegram counts it: after entity parsing, in UTF-16 code units."""
    total = 0
    for token in _TOKEN.split(text):
        if not token:
            continue
        if token.startswith("<"):
            continue
        if token.startswith("&"):
            total += 1
        else:
            total += len(token.encode("utf-16-le")) // 2
    return total


def split_html(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split HTML into parts of at most `limit` visible characters, never losing text.

    Cuts at line ends where it can, else inside a line; tags open at a cut are
    closed at the end of one part and opened again at the start of the next.
    """
    if visible_length(text) <= limit:
        return [text]
    parts: list[str] = []
    lines = text.split("\n")
    current: list[str] = []
    current_length = 0
    for line in lines:
        line_length = visible_length(line)
        extra = line_length + (1 if current else 0)
        if current and current_length + extra <= limit:
            current.append(line)
            current_length += extra
            continue
        if current:
            parts.append("\n".join(current))
            current, current_length = [], 0
        if line_length <= limit:
            current, current_length = [line], line_length
        else:
            pieces = _split_line(line, limit)
            parts.extend(pieces[:-1])
            current, current_length = [pieces[-1]], visible_length(pieces[-1])
    if current:
        parts.append("\n".join(current))
    return [p for p in parts if p.strip()]


def _split_line(line: str, limit: int) -> list[str]:
    pieces: list[str] = []
    open_tags: list[tuple[str, str]] = []  # (name, full opening tag)
    buffer = ""
    length = 0
    for token in _TOKEN.split(line):
        if not token:
            continue
        if token.startswith("<"):
            match = _TAG.match(token)
            if match and match.group(1):
                if open_tags:
                    open_tags.pop()
            elif match:
                open_tags.append((match.group(2), token))
            buffer += token
            continue
        units = [token] if token.startswith("&") else list(token)
        for unit in units:
            size = 1 if unit.startswith("&") else len(unit.encode("utf-16-le")) // 2
            if length + size > limit:
                closing = "".join(f"</{name}>" for name, _ in reversed(open_tags))
                pieces.append(buffer + closing)
                buffer = "".join(tag for _, tag in open_tags)
                length = 0
            buffer += unit
            length += size
    pieces.append(buffer)
    return pieces
