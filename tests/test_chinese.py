"""Chinese that reads as Chinese: full-width punctuation (，：；？！（）) inside Chinese
text, ASCII where it belongs (commands, numbers, codes, English words), in the
catalogue, the templates' own text, the forms and the charts."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from jinja2 import Environment

from bot.views import cards, i18n
from bot.views.i18n import LOCALE_DIR, typeset
from bot.views.render import TEMPLATE_DIR, render

CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef\u201c\u201d"
# A half-width mark with Chinese on either side (spaces between do not count).
HALF_WIDTH_IN_CHINESE = re.compile(rf"(?<=[{CJK}]) *[,:;?!()]|[,:;?!()] *(?=[{CJK}])")
# Placeholders, tags and addresses are not text: a stand-in letter keeps their place.
NOT_TEXT = re.compile(r"%\(\w+\)[sd]|\{\w+\}|<[^>]+>|https?://\S+")


def half_width_in_chinese(text: str) -> list[str]:
    plain = html.unescape(NOT_TEXT.sub("X", text))
    return [
        plain[max(0, m.start() - 6) : m.end() + 6] for m in HALF_WIDTH_IN_CHINESE.finditer(plain)
    ]


def test_the_check_sees_what_a_chinese_reader_sees() -> None:
    assert half_width_in_chinese("受阻,需要资源") == ["受阻,需要资源"]
    assert half_width_in_chinese("问题鉴定初评:是否产品质量问题?") != []
    assert half_width_in_chinese("批量质量问题?: 否") != []
    assert half_width_in_chinese("统计表(XLSX)、处置报告") != []
    # ASCII where it belongs: times, commands, codes, English, placeholders.
    assert half_width_in_chinese("明天 14:30,") == []
    assert half_width_in_chinese("/list 2 · KS-2026-0001 · Hello, %(name)s!") == []
    assert half_width_in_chinese("完成：当天可解决（XLSX）") == []


def test_every_chinese_catalogue_entry_is_set_full_width() -> None:
    with (LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "kesu.po").open("rb") as handle:
        catalogue = read_po(handle)
    found = {}
    for message in catalogue:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for string in strings:
            if message.id and string and half_width_in_chinese(string):
                found[string] = half_width_in_chinese(string)
    assert found == {}


def _literal_pieces(path: Path) -> list[str]:
    tokens = Environment(extensions=["jinja2.ext.i18n"]).lex(path.read_text(encoding="utf-8"))
    return [value for _line, kind, value in tokens if kind == "data"]


@pytest.mark.parametrize(
    "template", sorted(str(p.relative_to(TEMPLATE_DIR)) for p in TEMPLATE_DIR.rglob("*.html"))
)
def test_every_templates_own_text_is_set_full_width_for_a_chinese_reader(template: str) -> None:
    """The templates write "label: value" once; for a Chinese reader their own
    punctuation (not the values) is typeset at render time. Nothing half-width between
    words is left to sit beside a Chinese label, and nothing Chinese is written twice."""
    for piece in _literal_pieces(TEMPLATE_DIR / template):
        chinese = typeset("zh_CN", piece)
        leftover = re.findall(r"[,:;!?](?=\s|<|$)|(?<=\s)\(|\)", chinese)
        assert leftover == [], (template, piece)
        assert not re.search(r"\([\u4e00-\u9fff]+\)", piece), (template, piece)  # use paper()


def test_typesetting_leaves_values_and_english_alone() -> None:
    assert typeset("en", "Owner: ") == "Owner: "
    assert typeset("zh_CN", "</b> (") == "</b>（"
    assert typeset("zh_CN", ":</b> ") == "：</b> "
    assert (
        typeset("zh_CN", " · 14:30 · https://t.me/x?start=1") == " · 14:30 · https://t.me/x?start=1"
    )
    token = i18n.current_language.set("zh_CN")
    try:
        # A value with a half-width colon (what someone typed) is not the template's.
        text = render("steps/nature.html", "zh_CN", **_nature_context("原因:设备"))
    finally:
        i18n.current_language.reset(token)
    assert "原因:设备" in text


def _nature_context(typed: str) -> dict[str, object]:
    from tests.test_render import complaint  # the same sample complaint as the views' tests

    return {"c": complaint(customer_name=typed), "pick": None, "tz": "Asia/Shanghai"}


def test_a_chinese_title_that_is_the_forms_name_is_not_said_twice() -> None:
    context = {"entries": [], "page": 1, "pages": 1, "tz": "Asia/Shanghai", "total": 0}
    zh = render("complaints/major_list.html", "zh_CN", **context)
    en = render("complaints/major_list.html", "en", **context)
    assert zh.startswith("<b>重大质量问题备案</b>\n")  # once: the title is the form's name
    assert en.startswith("<b>Register of major quality problems</b> (重大质量问题备案)")
    # Where the Chinese title does not name the form, the form's name follows it.
    from tests.test_render import step_view

    blocked = cards.step_prompt(step_view("appraisal_report"), True, "zh_CN")
    assert "此步骤为何受阻？</b>（书面专项报告）" in blocked
