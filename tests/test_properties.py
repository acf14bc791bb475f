"""Properties over whatever people and files may bring (hypothesis): callback data of
any shape is decoded or refused as stale, never a crash; any typed answer is a value or
a one-line reason the catalogues translate; any configuration is accepted or refused in
one line naming a key; an admin's words are read or refused, never a crash."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any

from babel.messages.pofile import read_po
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import ConfigError, parse_config
from bot.procedure import people as words
from bot.procedure.intake import FIELDS, Draft, InvalidAnswer, parse_choice, parse_text_answer
from bot.procedure.plans import ITEM_QUESTIONS, PLAN_QUESTIONS, parse_typed
from bot.views import callbacks
from bot.views.i18n import LOCALE_DIR
from bot.views.render import CALLBACK_DATA_LIMIT
from tests.conftest import config_data

# What Telegram may hand over as callback data: anything up to 64 bytes, and what a
# forger sends through a client of their own.
ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80)
LIKE_OURS = st.from_regex(r"v[0-9]:[a-z]{1,3}:[a-z]{0,6}(:[A-Za-z0-9_.:\-]{0,40})?", fullmatch=True)
DECODERS = [callbacks.decode] + [
    cls.decode
    for cls in vars(callbacks).values()
    if isinstance(cls, type) and hasattr(cls, "decode") and cls is not callbacks.Callback
]


def _catalogue() -> dict[str, str]:
    with (LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "kesu.po").open("rb") as handle:
        return {str(m.id): str(m.string) for m in read_po(handle) if m.id}


ZH = _catalogue()


@given(st.one_of(ANY_TEXT, LIKE_OURS, st.none()))
def test_callback_data_of_any_shape_is_decoded_or_refused(data: str | None) -> None:
    for decode in DECODERS:
        try:
            decoded = decode(data)
        except callbacks.BadCallback:
            continue  # answered as a stale button
        encoded = decoded.encode()
        assert len(encoded.encode()) <= CALLBACK_DATA_LIMIT
        assert decode(encoded) == decoded


NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=150)
@given(st.sampled_from(FIELDS), ANY_TEXT)
def test_any_typed_answer_is_a_value_or_a_one_line_translated_reason(field: Any, text: str) -> None:
    try:
        parse_text_answer(field, text, today=NOW.date(), draft=Draft(received_at=NOW), now=NOW)
    except InvalidAnswer as refusal:
        assert ZH.get(refusal.reason), refusal.reason
        assert "\n" not in ZH[refusal.reason]
    try:
        parse_choice(field, text, now=NOW)
    except InvalidAnswer as refusal:
        assert refusal.reason in ZH


@given(st.sampled_from(PLAN_QUESTIONS + ITEM_QUESTIONS), ANY_TEXT)
def test_any_plan_answer_is_a_value_or_a_one_line_translated_reason(
    question: Any, text: str
) -> None:
    try:
        parse_typed(question, text, today=date(2026, 11, 26))
    except InvalidAnswer as refusal:
        assert refusal.reason in ZH and "\n" not in ZH[refusal.reason]


@given(ANY_TEXT)
def test_an_admins_words_are_read_or_refused(text: str) -> None:
    for read, table in (
        (words.role_of, words.ROLE_WORDS),
        (words.plant_of, words.PLANT_WORDS),
        (words.group_of, words.GROUP_WORDS),
    ):
        found = read(text)
        assert found is (table.get(text.strip().lower()))


LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=True),
    ANY_TEXT,
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=8), st.integers(), max_size=2),
)


def _paths(tree: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(tree, dict):
        found = [prefix] if prefix else []
        for key, value in tree.items():
            found += _paths(value, (*prefix, key))
        return found
    if isinstance(tree, list):
        found = [prefix]
        for index, value in enumerate(tree):
            found += _paths(value, (*prefix, index))
        return found
    return [prefix]


BASE = config_data("sqlite:///kesu.db")
PATHS = [*_paths(BASE), ("limits", "initial_assessment"), ("nonsense",), ("chats", "hr")]


@settings(max_examples=300)
@given(st.sampled_from(PATHS), LEAVES)
def test_any_configuration_is_accepted_or_refused_in_one_line_naming_a_key(
    path: tuple[Any, ...], value: Any
) -> None:
    data = copy.deepcopy(BASE)
    node = data
    for key in path[:-1]:
        node = node.setdefault(key, {}) if isinstance(node, dict) else node[key]
    node[path[-1]] = value
    try:
        parse_config(data)
    except ConfigError as error:
        line = str(error)
        assert "\n" not in line and ": " in line
        key = line.split(": ", 1)[0]
        assert key == "(top level)" or key.split(".")[0].split("[")[0] in data, line
