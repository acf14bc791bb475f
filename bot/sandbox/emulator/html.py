"""Telegram's HTML parse mode, as strictly as Telegram applies it.

`parse` returns the visible text or raises EntityError with Telegram's wording
("can't parse entities: ..."). Only Telegram's tags and entities are accepted.
"""

from __future__ import annotations

import html
import re

ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "tg-emoji",
    "code",
    "pre",
    "blockquote",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href"},
    "span": {"class"},
    "tg-emoji": {"emoji-id"},
    "code": {"class"},
    "blockquote": {"expandable"},
}
_TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)"
    r"((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>\"']+))?)*)\s*/?>"
)
_ATTR = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>\"']+)))?")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d{1,7}|#[xX][0-9a-fA-F]{1,6});")


class EntityError(ValueError):
    pass


def _fail(reason: str, source: str, index: int) -> EntityError:
    offset = len(source[:index].encode())
    return EntityError(f"can't parse entities: {reason} at byte offset {offset}")


def parse(source: str) -> str:
    """The text a reader sees; raises EntityError where Telegram would answer 400."""
    out: list[str] = []
    stack: list[tuple[str, int]] = []
    index = 0
    while index < len(source):
        char = source[index]
        if char == "<":
            match = _TAG.match(source, index)
            if not match:
                raise _fail("Unexpected end of name token", source, index)
            closing, name, attributes = match.group(1), match.group(2).lower(), match.group(3)
            if name not in ALLOWED_TAGS:
                kind = "end" if closing else "start"
                raise _fail(f'Unsupported {kind} tag "{name}"', source, index)
            if closing:
                if not stack or stack[-1][0] != name:
                    raise _fail(f'Unmatched end tag "{name}"', source, index)
                stack.pop()
            else:
                for attr in _ATTR.finditer(attributes):
                    if attr.group(1).lower() not in ALLOWED_ATTRIBUTES.get(name, set()):
                        raise _fail(f'Unsupported attribute "{attr.group(1)}"', source, index)
                if name == "span" and 'class="tg-spoiler"' not in attributes.replace("'", '"'):
                    raise _fail('Tag "span" must have class "tg-spoiler"', source, index)
                stack.append((name, index))
            index = match.end()
        elif char == "&":
            match = _ENTITY.match(source, index)
            if not match:
                raise _fail("Unsupported HTML entity", source, index)
            out.append(html.unescape(match.group(0)))
            index = match.end()
        elif char == ">":
            raise _fail("Unexpected character '>'", source, index)
        else:
            out.append(char)
            index += 1
    if stack:
        name, where = stack[-1]
        raise _fail(f'Can\'t find end tag corresponding to start tag "{name}"', source, where)
    return "".join(out)


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
