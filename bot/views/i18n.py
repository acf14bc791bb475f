"""Message catalogues (gettext, kept with Babel's tools): zh_CN first, en second.

The .po files are read at start-up and compiled in memory, so a plain
`pip install .` needs no build step. Message ids are English.
"""

from __future__ import annotations

import io
import re
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from markupsafe import Markup

LOCALE_DIR = Path(__file__).parent.parent / "locale"
DOMAIN = "kesu"
LANGUAGES = ("zh_CN", "en")
DEFAULT_LANGUAGE = "zh_CN"


def N_(message: str) -> str:
    """Marks a message id for extraction where it is translated later."""
    return message


current_language: ContextVar[str] = ContextVar("current_language", default=DEFAULT_LANGUAGE)


@cache
def translations(language: str) -> NullTranslations:
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        return NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def gettext(language: str, message: str, **params: object) -> str:
    """A translated text for Telegram's HTML: the catalogue's own markup stays, and every
    value put into it (a name, something typed) is escaped, unless it is `Markup` that
    Kesu rendered itself. The one way people's words reach a message outside templates."""
    text = translations(language).gettext(message)
    return str(Markup(text).format(**params)) if params else text


def ngettext(language: str, singular: str, plural: str, n: int, **params: object) -> str:
    text = translations(language).ngettext(singular, plural, n)
    return str(Markup(text).format(n=n, **params))


def gettext_plain(language: str, message: str, **params: object) -> str:
    """For what Telegram does not read as HTML (a button's label, a callback's answer):
    the values as they are, since nothing there is markup."""
    text = translations(language).gettext(message)
    return text.format(**params) if params else text


# Simplified Chinese sets its punctuation full width (，：；？！（）) with no space
# around it; ASCII stays where it belongs (commands, numbers, codes, English words).
_FULL_WIDTH = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！", "(": "（", ")": "）"}
# Kesu's own text between values: "label: ", ", ", " (", ")", "?" before a space or a
# tag. A colon inside "14:30" or "https://" is not followed by a space, so it stays.
# A catalogue's placeholders (%(name)s, {name}) are matched first and kept as they are.
_OWN_PUNCTUATION = re.compile(r"(%\(\w+\)[sd]|\{\w+\})| ?\(|\)|[,:;?!](?=\s|<|$) *")


def typeset(language: str, text: str) -> str:
    """Kesu's own punctuation between translated words and values, as the reader's
    language sets it: full width in Chinese, and a list's "、" a comma in English.
    Only for Kesu's own text (a template's literal text, a form's joins), never for
    what people typed."""
    if not language.startswith("zh"):
        return text.replace("、", ", ")  # the enumeration comma is Chinese only
    return _OWN_PUNCTUATION.sub(lambda m: m.group(1) or _FULL_WIDTH[m.group().strip()], text)


def normalize(language_code: str | None) -> str | None:
    """A Telegram client's language_code ("zh-hans", "en-US") to a catalogue, or None."""
    if not language_code:
        return None
    code = language_code.lower()
    if code.startswith("zh"):
        return "zh_CN"
    if code.startswith("en"):
        return "en"
    return None


def pick_language(
    configured: str | None, client_code: str | None, default: str = DEFAULT_LANGUAGE
) -> str:
    """The person's language: the people list, else the Telegram client, else the default."""
    return configured or normalize(client_code) or default
