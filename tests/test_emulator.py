"""The emulator refuses what Telegram refuses (so the end-to-end tests mean something)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, MenuButtonWebApp, WebAppInfo
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter

from bot.markup import inline
from bot.sandbox.emulator.html import EntityError, parse
from bot.sandbox.emulator.server import Emulator, RateLimits
from bot.views import keyboards

USER = 501
STRANGER = 502
GROUP = -1001234


@pytest.mark.parametrize(
    "source",
    [
        "<b>粗</b> &lt;x&gt; &amp; &quot; &#20013;",
        '<a href="https://x.y">l</a>',
        "<b><i>nested</i></b>",
        '<span class="tg-spoiler">s</span>',
        "<blockquote>q</blockquote>",
    ],
)
def test_telegram_html_accepted(source: str) -> None:
    parse(source)


@pytest.mark.parametrize(
    "source",
    [
        "<br>",
        "<b>unclosed",
        "<b><i>crossed</b></i>",
        "a < b",
        "a & b",
        "&nbsp;",
        "</b>",
        '<b onclick="x">y</b>',
        "<span>plain</span>",
        "x > y",
    ],
)
def test_bad_html_refused(source: str) -> None:
    with pytest.raises(EntityError, match="can't parse entities"):
        parse(source)


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    emulator = Emulator(limits=RateLimits(private=((1.0, 2),), group=((60.0, 3),)))
    await emulator.start()
    emulator.add_user(USER, "甲")
    emulator.add_user(STRANGER, "乙")
    emulator.started.add(USER)
    emulator.add_group(GROUP, "群")
    yield emulator
    await emulator.stop()


@pytest.fixture
async def bot(emu: Emulator) -> AsyncIterator[Bot]:
    async with Bot(emu.token, base_url=emu.api_base_url) as client:
        yield client


async def test_limits_of_messages(bot: Bot, emu: Emulator) -> None:
    await bot.send_message(USER, "x" * 4096)
    with pytest.raises(BadRequest, match=r"(?i)too long"):
        await bot.send_message(GROUP, "y" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(GROUP, "<b>x", parse_mode=ParseMode.HTML)
    # Entities count as one character each: 4096 of them fit.
    await bot.send_message(GROUP, "&lt;" * 4096, parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)text is empty"):
        await bot.send_message(GROUP, "<b></b>", parse_mode=ParseMode.HTML)


async def test_callback_data_over_64_bytes_is_refused(bot: Bot) -> None:
    good = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="v1:" + "a" * 61)]])
    await bot.send_message(USER, "按钮", reply_markup=good)
    bad = InlineKeyboardMarkup([[InlineKeyboardButton("no", callback_data="v1:" + "a" * 62)]])
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(USER, "按钮", reply_markup=bad)


async def test_a_person_who_never_started_the_bot_cannot_be_written_to(bot: Bot) -> None:
    with pytest.raises(Forbidden):
        await bot.send_message(STRANGER, "你好")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(999, "nobody")


async def test_rate_limits_answer_429_with_retry_after(bot: Bot) -> None:
    await bot.send_message(USER, "1")
    await bot.send_message(USER, "2")
    with pytest.raises(RetryAfter) as error:
        await bot.send_message(USER, "3")
    assert error.value.retry_after.total_seconds() >= 1  # type: ignore[union-attr]
    for n in range(3):
        await bot.send_message(GROUP, str(n))
    with pytest.raises(RetryAfter):
        await bot.send_message(GROUP, "4")


async def test_editing_without_a_change_is_refused(bot: Bot) -> None:
    message = await bot.send_message(USER, "原文")
    await bot.edit_message_text("新文", chat_id=USER, message_id=message.message_id)
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_text("新文", chat_id=USER, message_id=message.message_id)


async def test_privacy_mode_in_groups(bot: Bot, emu: Emulator) -> None:
    mine = await bot.send_message(GROUP, "机器人的消息")
    await emu.user_sends(USER, "大家好", chat_id=GROUP)
    await emu.user_sends(USER, "/list@other_bot", chat_id=GROUP)
    await emu.user_sends(USER, "/list", chat_id=GROUP)
    await emu.user_sends(USER, "回复", chat_id=GROUP, reply_to=mine.message_id)
    updates = await bot.get_updates(timeout=0)
    assert [u.message.text for u in updates if u.message] == ["/list", "回复"]
    emu.chats[GROUP].bot_is_admin = True
    await emu.user_sends(USER, "管理员看得到", chat_id=GROUP)
    updates = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    assert [u.message.text for u in updates if u.message] == ["管理员看得到"]


async def test_files_are_known_by_id_and_kind(bot: Bot, emu: Emulator) -> None:
    sent = await emu.user_sends(USER, document=("信.pdf", "application/pdf", 2048))
    assert sent.file_id is not None
    await bot.send_document(GROUP, sent.file_id, caption="<b>附件</b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)type of file mismatch"):
        await bot.send_photo(GROUP, sent.file_id)
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_document(GROUP, "no-such-file")
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_document(GROUP, sent.file_id, caption="x" * 1025)
    file = await bot.get_file(sent.file_id)
    assert file.file_size == 2048


async def test_albums_are_of_one_kind_and_two_to_ten_items(bot: Bot, emu: Emulator) -> None:
    from telegram import InputMediaDocument, InputMediaPhoto

    photos = [(await emu.user_sends(USER, photo=True)).file_id for _ in range(2)]
    letter = (await emu.user_sends(USER, document=("信.pdf", "application/pdf", 10))).file_id
    assert all(photos) and letter
    sent = await bot.send_media_group(
        USER,
        [
            InputMediaPhoto(p, caption=f"<b>{n}</b>", parse_mode=ParseMode.HTML)
            for n, p in enumerate(photos)
        ],  # type: ignore[arg-type]
    )
    assert [m.photo[-1].file_id for m in sent] == photos
    with pytest.raises(BadRequest, match=r"(?i)can't be mixed"):
        await bot.send_media_group(USER, [InputMediaPhoto(photos[0]), InputMediaDocument(letter)])  # type: ignore[arg-type]
    with pytest.raises(BadRequest, match=r"(?i)wrong number"):
        await bot.send_media_group(USER, [InputMediaPhoto(photos[0])])  # type: ignore[arg-type]


async def test_mini_app_buttons_keep_telegrams_rules(bot: Bot, emu: Emulator) -> None:
    """A Mini App button goes to a private chat only, with an HTTPS address; a group gets
    the Mini App's direct link; a private chat's menu button may open it. Kesu's own
    keyboards (bot/markup.py) make each kind from the dashboard's keyboard."""
    url, link = "https://kesu.example.com/app/", "https://t.me/kesu_test_bot/dashboard"
    private = inline(keyboards.dashboard("zh_CN", url, link, private=True))
    group = inline(keyboards.dashboard("zh_CN", url, link, private=False))
    assert private is not None and group is not None
    await bot.send_message(USER, "看板", reply_markup=private)
    await bot.send_message(GROUP, "看板", reply_markup=group)
    with pytest.raises(BadRequest, match=r"(?i)button_type_invalid"):
        await bot.send_message(GROUP, "看板", reply_markup=private)
    plain = InlineKeyboardMarkup(
        [[InlineKeyboardButton("看板", web_app=WebAppInfo("http://kesu.example.com/app/"))]]
    )
    with pytest.raises(BadRequest, match=r"(?i)button_url_invalid"):
        await bot.send_message(USER, "看板", reply_markup=plain)
    menu = MenuButtonWebApp("📊 看板", WebAppInfo(url))
    assert await bot.set_chat_menu_button(chat_id=USER, menu_button=menu)
    assert emu.menu_buttons[USER]["web_app"]["url"] == url
    with pytest.raises(BadRequest):
        await bot.set_chat_menu_button(chat_id=GROUP, menu_button=menu)
    unsafe = MenuButtonWebApp("📊 看板", WebAppInfo("http://kesu.example.com/app/"))
    with pytest.raises(BadRequest, match=r"(?i)button_url_invalid"):
        await bot.set_chat_menu_button(chat_id=USER, menu_button=unsafe)
    # With no address nor link configured, no button at all.
    assert keyboards.dashboard("zh_CN", "", "", private=False) == []
