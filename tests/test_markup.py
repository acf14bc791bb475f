"""People's words never become markup (issue 21, item 3): whatever a person types or is
named in Telegram reaches Telegram's HTML escaped, through gettext or the templates'
autoescape, and no entity appears that Kesu's own text did not put there."""

from __future__ import annotations

import re
import string

import pytest
from babel.messages.pofile import read_po
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from bot.sandbox.emulator.html import parse
from bot.sandbox.emulator.server import SentMessage
from bot.views.i18n import LANGUAGES, LOCALE_DIR, gettext
from tests.conftest import QC_HUANGWU, QC_HW, eventually
from tests.harness import World, running_kesu
from tests.test_e2e_intake import file_complaint
from tests.test_e2e_steps import card

# Not about Telegram's pace: without its limits (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("telegram_limits_lifted")

# What a hostile name or text looks like: markup, entities, quotes, ampersands.
HOSTILE = st.one_of(
    st.sampled_from(
        [
            '<a href="https://evil.example/login">请点此重新登录</a>',
            "<b>粗</b> & <i>斜</i>",
            "&lt;b&gt; &amp;amp; &#60;",
            "\"'><script>alert(1)</script>",
            "</code></pre><a href='x'>",
        ]
    ),
    st.text(alphabet=st.sampled_from(list("<>&\"'/=ab 名#;")), max_size=40),
)
TAG = re.compile(r"<[^>]+>")


def _messages() -> list[tuple[str, str, list[str]]]:
    """Every catalogue text with named values: (language, message id, the names)."""
    found = []
    formatter = string.Formatter()
    for language in LANGUAGES:
        path = LOCALE_DIR / language / "LC_MESSAGES" / "kesu.po"
        with path.open("rb") as handle:
            for message in read_po(handle):
                if not message.id or isinstance(message.id, tuple):
                    continue
                names = [n for _, n, _, _ in formatter.parse(str(message.id)) if n]
                if names:
                    found.append((language, str(message.id), names))
    return found


MESSAGES = _messages()


@settings(max_examples=60)
@given(st.sampled_from(MESSAGES), HOSTILE)
def test_no_value_put_into_a_message_becomes_markup(
    message: tuple[str, str, list[str]], hostile: str
) -> None:
    language, message_id, names = message
    benign = gettext(language, message_id, **dict.fromkeys(names, "X"))
    text = gettext(language, message_id, **dict.fromkeys(names, hostile))
    assert TAG.findall(text) == TAG.findall(benign)  # only the catalogue's own tags
    assert hostile in parse(text)  # shown as typed, and Telegram accepts the HTML


async def test_a_stranger_named_like_a_link_gets_their_name_as_text(sqlite_engine: Engine) -> None:
    """A QC member who never started the bot, named like a phishing link, presses Done on
    a card in the group: the note's prompt cannot go privately, and the notice posted in
    the group names them as plain text."""
    name = '<a href="https://evil.example/login">请点此重新登录</a>'
    async with running_kesu(sqlite_engine) as world:
        world.emu.users[QC_HW]["first_name"] = name
        world.emu.started.discard(QC_HW)
        await file_complaint(world)
        found = await eventually(lambda: _card(world, "问题鉴定初评"), timeout=10)
        done = next(d for _, d in found.buttons if ":done:" in d)
        await world.emu.press(QC_HW, QC_HUANGWU, found.message_id, done)
        notice = await eventually(
            lambda: next((m for m in world.emu.bot_messages(QC_HUANGWU) if name in m.text), None),
            timeout=10,
        )
        assert name in notice.text  # the name, as text
        assert "<a " not in notice.html and "&lt;a href" in notice.html


def _card(world: World, title: str) -> SentMessage | None:
    try:
        return card(world, QC_HUANGWU, title)  # type: ignore[no-any-return]
    except LookupError:
        return None


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_start_first_notice_keeps_its_own_text(language: str) -> None:
    from handlers.common import START_FIRST

    text = gettext(language, START_FIRST, name="<b>x</b>")
    assert "&lt;b&gt;x&lt;/b&gt;" in text and "<b>" not in text
