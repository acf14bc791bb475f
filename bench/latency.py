"""How fast Kesu answers (issue 12), against the project's emulator in a process of its own
(bench/remote.py), with Telegram's limits kept (30 messages a second in all, about one a
second per person, 429 past them):

1. `/help`, update to reply, for Kesu and for a minimal python-telegram-bot bot (one
   CommandHandler that replies with the very text Kesu gives a salesperson, rendered once
   before the run, with PTB's own AIORateLimiter so that it keeps the limits too), on the
   same emulator in the same run: at 1 update in flight (200 in a
   row) and at 50 in flight (50 people at once, 8 rounds).
2. The same intake answer (the customer's name, answered by the next question) on an
   idle Kesu, then while a burst of 600 notifications to 30 chats (10 groups, 20
   people) goes out: 20 salespeople filing at once, each a second between messages
   (about what Telegram lets a bot send one person): p50 and p99 of both (issue 22).

Latencies are read off the emulator's clock: the person's message as it arrived there,
the bot's answer as it arrived there.

    .venv/bin/pip install -e '.[bench]'    # PTB's AIORateLimiter, for the minimal bot
    .venv/bin/python bench/latency.py

The figures go into BENCHMARKS.md with the machine they came from.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from remote import RemoteEmulator
from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Application, CommandHandler, ContextTypes

from bot.app import Kesu, build, start_updates
from bot.config import parse_config
from bot.procedure.roles import Role
from bot.services.notices import Notice, Recipient, post
from bot.views.models import Message, PersonView
from bot.views.render import render_messages
from tests.conftest import GROUPS, config_data

PEOPLE = [500000 + n for n in range(60)]  # salespeople, each with a private chat
BURST_GROUPS = [-1003000000000 - n for n in range(10)]
BURST_PEOPLE = [600000 + n for n in range(20)]
BURST_EACH = 20  # notices to each of the 30 chats: 600 in all


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def reply_after(
    emu: RemoteEmulator, chat_id: int, message_id: int, every: float = 0.01
) -> float:
    """Seconds from the person's message to the bot's next message in the chat, both as
    the emulator stamped them (how often it is asked changes nothing but the load)."""
    while True:
        # From the person's message on: the whole history each time would load the
        # emulator more and more as the run goes, the later bot more than the earlier.
        messages = await emu.messages(chat_id, since=message_id)
        asked = next((m for m in messages if m["message_id"] == message_id), None)
        if asked is not None:
            later = [
                m for m in messages if m["message_id"] > message_id and m["from_id"] != chat_id
            ]
            if later:
                return float(later[0]["at"] - asked["at"])
        await asyncio.sleep(every)


async def round_trip(emu: RemoteEmulator, person: int, text: str, every: float = 0.01) -> float:
    message_id = await emu.send(person, text)
    return await asyncio.wait_for(reply_after(emu, person, message_id, every), 30)


async def help_latencies(emu: RemoteEmulator) -> dict[int, list[float]]:
    found: dict[int, list[float]] = {1: [], 50: []}
    for n in range(200):  # one in flight, 20 a second; 20 people in turn, one a second each
        found[1].append(await round_trip(emu, PEOPLE[n % 20], "/help"))
        await asyncio.sleep(0.05)
    for _ in range(8):  # fifty at once, then a pause for the limits' windows to empty
        # Asked every 0.3 s each: fifty chats asked every 10 ms would load the emulator.
        found[50] += await asyncio.gather(*(round_trip(emu, p, "/help", 0.3) for p in PEOPLE[:50]))
        await asyncio.sleep(2.2)
    return found


def kesu_help() -> str:
    """What Kesu answers a salesperson's /help: the minimal bot sends the same bytes, so
    that the two differ in the bot and not in the message (a longer message, with more
    entities, costs the Bot API and PTB more: one line was half the time of Kesu's)."""
    person = PersonView(id=1, name=f"业务{PEOPLE[0] % 1000}", role=Role.SALES, language="zh_CN")
    [text] = render_messages(
        "help.html",
        "zh_CN",
        person=person,
        can_file=True,
        sees_all=False,
        admin=False,
        user_id=PEOPLE[0],
        chat_id=PEOPLE[0],
    )
    return text


async def with_minimal_bot(emu: RemoteEmulator) -> dict[int, list[float]]:
    text = kesu_help()

    async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(text, parse_mode=ParseMode.HTML)

    app = (
        Application.builder()
        .token(emu.token)
        .base_url(emu.api_base_url)
        .rate_limiter(AIORateLimiter(max_retries=3))
        .build()
    )
    app.add_handler(CommandHandler("help", help_command))
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=10, drop_pending_updates=True)
    try:
        return await help_latencies(emu)
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


async def with_kesu(emu: RemoteEmulator, work: Callable[[Kesu], Awaitable[Any]]) -> Any:
    with tempfile.TemporaryDirectory() as folder:
        data = config_data(
            f"sqlite:///{folder}/kesu.db",
            telegram={
                "token": emu.token,
                "api_base_url": emu.api_base_url,
                "file_base_url": emu.file_base_url,
            },
            people=[{"telegram_id": p, "name": f"业务{p % 1000}", "role": "sales"} for p in PEOPLE],
            files={"store": f"{folder}/files"},
        )
        config = parse_config(data)
        kesu = build(config)
        app = kesu.application
        await app.initialize()
        assert app.post_init is not None and app.post_shutdown is not None
        await app.post_init(app)
        await app.start()
        await start_updates(kesu, config)
        try:
            return await work(kesu)
        finally:
            assert app.updater is not None
            await app.updater.stop()
            await app.stop()
            if app.post_stop is not None:
                await app.post_stop(app)
            await app.shutdown()
            await app.post_shutdown(app)


def enqueue_burst(kesu: Kesu) -> None:
    with kesu.services.sessions.begin() as session:
        for n in range(BURST_EACH):
            for chat_id in BURST_GROUPS + BURST_PEOPLE:
                notice = Notice(
                    _card(),
                    [Recipient(chat_id, "zh_CN")],
                    lambda _l, n=n: [Message(f"通知 第{n + 1}条")],
                )
                post(session, notice, datetime.now(UTC))


def _card() -> Any:
    from storage.models import Purpose

    return Purpose.CARD


async def intake_idle(emu: RemoteEmulator, kesu: Kesu) -> list[float]:
    """The same answers on an idle Kesu: the baseline of the answers during the burst."""
    return await _filing(emu, 9.0)


async def intake_during_burst(emu: RemoteEmulator, kesu: Kesu) -> list[float]:
    """Twenty salespeople file while 600 notifications go out: /new, then the
    customer's name, whose answer is the next question (measured), then /cancel."""
    await kesu.services.run(lambda _uow: enqueue_burst(kesu))  # one transaction, as a job's
    assert kesu.services.after_commit is not None
    kesu.services.after_commit.poke_sender()
    # At 30 a second the 600 take 20 s: the salespeople file during the first 18.
    return await _filing(emu, 18.0)


async def _filing(emu: RemoteEmulator, seconds: float) -> list[float]:
    found: list[float] = []
    began = asyncio.get_running_loop().time()

    async def salesperson(person: int, offset: float) -> None:
        # A second between a person's messages: Telegram lets a bot send about one a
        # second to a person, and the answer is not to wait for that. People start at
        # their own moments, as people do, not thirty in the same instant.
        await asyncio.sleep(offset)
        while asyncio.get_running_loop().time() - began < seconds:
            await round_trip(emu, person, "/new", 0.1)
            await asyncio.sleep(1.1)
            found.append(await round_trip(emu, person, "青岛海达机械", 0.1))
            await asyncio.sleep(1.1)
            await round_trip(emu, person, "/cancel", 0.1)
            await asyncio.sleep(1.1)

    # Twenty salespeople: about six answers a second, beside the 30 notices a second.
    await asyncio.gather(*(salesperson(p, n * 0.17) for n, p in enumerate(PEOPLE[40:60])))
    return found


async def main() -> None:
    emu = RemoteEmulator()
    await emu.start()
    try:
        for person in PEOPLE + BURST_PEOPLE:
            await emu.add_user(person, f"用户{person % 1000}")
            await emu.send(person, "hello")  # pressed Start (the bots drop these updates)
        for chat_id, title in [*GROUPS.items(), *((g, f"群{g}") for g in BURST_GROUPS)]:
            await emu.add_group(chat_id, title)
        minimal = await with_minimal_bot(emu)
        kesu = await with_kesu(emu, lambda _kesu: help_latencies(emu))
        idle = await with_kesu(emu, lambda k: intake_idle(emu, k))
        intake = await with_kesu(emu, lambda k: intake_during_burst(emu, k))
    finally:
        await emu.stop()
    print("/help, update to reply (ms)       p50      p99")
    for flight in (1, 50):
        for name, found in (("minimal PTB bot", minimal), ("Kesu", kesu)):
            values = [v * 1000 for v in found[flight]]
            print(
                f"  {flight:>2} in flight, {name:<16} {statistics.median(values):7.1f}"
                f"  {percentile(values, 0.99):7.1f}   (n={len(values)})"
            )
        ratio50 = statistics.median(kesu[flight]) / statistics.median(minimal[flight])
        ratio99 = percentile(kesu[flight], 0.99) / percentile(minimal[flight], 0.99)
        print(f"     Kesu / minimal: p50 {ratio50:.2f} x, p99 {ratio99:.2f} x")
    for name, found_ in (("on an idle Kesu", idle), ("during a burst of 600", intake)):
        values = [v * 1000 for v in found_]
        print(
            f"intake answer {name}: p50 {statistics.median(values):.1f} ms,"
            f" p99 {percentile(values, 0.99):.1f} ms (n={len(values)})"
        )
    ratio = statistics.median(intake) / statistics.median(idle)
    print(f"     during / idle: p50 {ratio:.2f} x (goal 1.3 x; p99 goal < 150 ms)")


if __name__ == "__main__":
    asyncio.run(main())
