"""The real Kesu Application over HTTP against the Bot API emulator."""

from __future__ import annotations

import os
import re
import secrets
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Engine

from bot.app import Kesu, build, start_updates
from bot.config import KesuConfig, parse_config
from bot.delivery.pacing import TELEGRAM, Limits
from bot.procedure.clock import Clock
from bot.procedure.flood import Throttle
from bot.sandbox.emulator.server import Emulator, RateLimits, SentMessage
from tests.conftest import GROUPS, PEOPLE, config_data, eventually, migrated

# KESU_TEST_TRANSPORT=webhook runs every end-to-end test in webhook mode; tests that take
# a `transport` argument run in both (tests/conftest.py).
TRANSPORT = os.environ.get("KESU_TEST_TRANSPORT", "polling")
# The public HTTPS address Telegram posts to; the emulator's reverse proxy forwards it.
PUBLIC_URL = "https://kesu.example.test"


# Telegram's limits lifted, for the tests that are not about Telegram's pace: the
# emulator's and Kesu's own alike. A test takes them by the fixture
# `telegram_limits_lifted` (tests/conftest.py), by name; the tests of pacing, 429s and
# the lanes keep the real ones (test_outbox, test_emulator, bench/).
LIFTED_EMULATOR = RateLimits(
    private=((1.0, 1000),), group=((60.0, 100_000),), overall=((1.0, 100_000),)
)
LIFTED_PACING = Limits(overall=(1.0, 100_000), group=(60.0, 100_000), private=(1.0, 1000))
lifted = False  # set by the fixture for the test it serves


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# Task cards and pings arrive on their own schedule; conversation replies are the rest.
TASK = re.compile(r"^(第 \S+ 步|Step \S+) · ")
PING = re.compile(r"^(⏰|🚨|📋)")  # a reminder, a digest, an escalation, a board


def is_notice(message: SentMessage) -> bool:
    return bool(TASK.match(message.text) or PING.match(message.text))


class World:
    def __init__(self, emulator: Emulator, kesu: Kesu) -> None:
        self.emu = emulator
        self.kesu = kesu

    @property
    def sessions(self) -> Any:
        return self.kesu.services.sessions

    async def say(self, user_id: int, text: str, **kwargs: Any) -> SentMessage:
        """A person writes; waits until the bot has answered with something new."""
        chat_id = kwargs.get("chat_id") or user_id
        before = self._count(chat_id)
        message = await self.emu.user_sends(user_id, text, **kwargs)
        await eventually(lambda: self._count(chat_id) > before)
        return message

    async def send_file(self, user_id: int, **kwargs: Any) -> None:
        before = self._count(user_id)
        await self.emu.user_sends(user_id, **kwargs)
        await eventually(lambda: self._count(user_id) > before)

    async def tap(
        self,
        user_id: int,
        label_or_data: str,
        chat_id: int | None = None,
        *,
        new_message: bool = True,
    ) -> None:
        """Press the button (by callback data or label) on the newest message that has it;
        waits for the bot's next message (or, with new_message=False, for an edit)."""
        chat_id = chat_id or user_id
        message, data = self._find_button(chat_id, label_or_data)
        before, edits = self._count(chat_id), message.edits
        query_id = await self.emu.press(user_id, chat_id, message.message_id, data)
        await eventually(lambda: self.emu.callback_answers[query_id] is not None)
        if new_message:
            await eventually(lambda: self._count(chat_id) > before)
        else:
            await eventually(lambda: message.edits > edits)

    def _find_button(self, chat_id: int, label_or_data: str) -> tuple[SentMessage, str]:
        for message in reversed(self.emu.bot_messages(chat_id)):
            if is_notice(message):
                continue
            for label, data in message.buttons:
                if label_or_data in (label, data):
                    return message, data
        recent = [(m.text[:60], m.buttons) for m in self.emu.bot_messages(chat_id)[-3:]]
        raise AssertionError(f"no button {label_or_data!r} in chat {chat_id}: {recent}")

    def last(self, chat_id: int) -> SentMessage:
        """The bot's last conversational message in a chat (task cards and pings aside)."""
        replies = [m for m in self.emu.bot_messages(chat_id) if not is_notice(m)]
        if not replies:
            raise LookupError(f"the bot said nothing to {chat_id}")
        return replies[-1]

    def notices(self, chat_id: int) -> list[SentMessage]:
        return [m for m in self.emu.bot_messages(chat_id) if is_notice(m)]

    def texts(self, chat_id: int) -> list[str]:
        return [m.text for m in self.emu.bot_messages(chat_id)]

    def _count(self, chat_id: int) -> int:
        return len([m for m in self.emu.bot_messages(chat_id) if not is_notice(m)])


async def make_emulator(
    *, started: tuple[int, ...] | None = None, limits: RateLimits | None = None
) -> Emulator:
    """The test company's people and groups in a started emulator."""
    emu = Emulator(limits=limits or (LIFTED_EMULATOR if lifted else None))
    await emu.start()
    for person in PEOPLE:
        emu.add_user(person["telegram_id"], person["name"])
    emu.add_user(100099, "路人")
    for chat_id, title in GROUPS.items():
        emu.add_group(chat_id, title)
    # Everybody pressed Start in their private chat, unless the test says otherwise.
    emu.started.update(
        p["telegram_id"] for p in PEOPLE if started is None or p["telegram_id"] in started
    )
    return emu


@asynccontextmanager
async def running_kesu(
    engine: Engine,
    *,
    config: KesuConfig | None = None,
    started: tuple[int, ...] | None = None,
    rate_limits: RateLimits | None = None,
    emulator: Emulator | None = None,
    clock: Clock | None = None,
    transport: str = TRANSPORT,
    **overrides: Any,
) -> AsyncIterator[World]:
    """Kesu running against the emulator; `overrides` are configuration keys. `transport`:
    polling, or webhook behind a reverse proxy the emulator stands in for too."""
    emu = emulator or await make_emulator(started=started, limits=rate_limits)
    telegram: dict[str, Any] = {
        "token": emu.token,
        "api_base_url": emu.api_base_url,
        "file_base_url": emu.file_base_url,
    }
    if transport == "webhook":
        port = free_port()
        telegram["mode"] = "webhook"
        telegram["webhook"] = {
            "url": f"{PUBLIC_URL}/telegram",
            "listen": "127.0.0.1",
            "port": port,
            "secret_token": secrets.token_urlsafe(32),
        }
        emu.reverse_proxy(PUBLIC_URL, f"http://127.0.0.1:{port}")
    data = config_data(str(engine.url), telegram=telegram, **overrides)
    migrated(engine)  # what `kesu db upgrade` does (SQLite would by itself, slower)
    config = config or parse_config(data)
    kesu = build(config, engine=engine, clock=clock, limits=LIFTED_PACING if lifted else TELEGRAM)
    if lifted:
        # A test answers faster than any person types; Kesu's pace for people goes too
        # (tests/test_flood.py puts it back for the flood it is about).
        kesu.services.throttle = Throttle(burst=100_000, per_second=100_000.0)
    app = kesu.application
    # The order of Application.run_polling / run_webhook, which tests cannot use (they
    # own the loop).
    await app.initialize()
    assert app.post_init is not None and app.post_shutdown is not None
    await app.post_init(app)
    await app.start()
    await start_updates(kesu, config, poll_timeout=1)
    assert app.updater is not None
    try:
        yield World(emu, kesu)
    finally:
        await app.updater.stop()
        await app.stop()
        if app.post_stop is not None:
            await app.post_stop(app)
        await app.shutdown()
        await app.post_shutdown(app)
        if emulator is None:
            await emu.stop()
