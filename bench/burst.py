"""A burst of notifications through the outbox (issues 12 and 22): does any chat hold up
another, and how close to Telegram's own pace does it go?

Posts 600 notifications to 10 groups and 20 private chats (20 each) into the outbox of a
fresh SQLite database and lets the sender deliver them to the project's Bot API emulator
in a process of its own (bench/remote.py: the emulator's work is not Kesu's event
loop's), which keeps Telegram's limits (30 messages a second in all, 20 a minute per
group, about one a second per person, 429 past them). Three seconds in, one notice goes
to a chat that has had nothing: how long it takes to arrive says whether a quiet chat
waits behind the busy ones.

The least time Telegram's limits allow for the burst: 600 messages at 30 a second, the
first thirty at once, is 19 s.

    .venv/bin/python bench/burst.py

The figures go into BENCHMARKS.md with the machine they came from.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from remote import RemoteEmulator
from sqlalchemy import func, select
from telegram.ext import ExtBot

from bot.app import prepare_database
from bot.config import parse_config
from bot.delivery.pacing import Pacing
from bot.delivery.ratelimit import KesuRateLimiter
from bot.delivery.sender import OutboxSender
from bot.procedure.clock import SystemClock
from bot.services.notices import Notice, Recipient, post
from bot.services.uow import Services
from bot.views.models import Message
from storage import db
from storage.models import DeliveryStatus, OutboxMessage, Purpose
from tests.conftest import config_data

GROUPS = [-1002000000000 - n for n in range(10)]
PEOPLE = [300000 + n for n in range(20)]
QUIET = 399999
EACH = 20
MINIMUM = 19.0  # seconds: see the module's docstring


def enqueue(services: Services, chats: list[int], each: int, label: str) -> None:
    with services.sessions.begin() as session:
        for n in range(each):
            for chat_id in chats:
                notice = Notice(
                    Purpose.CARD,
                    [Recipient(chat_id, "zh_CN")],
                    lambda _language, n=n: [Message(f"{label} 第{n + 1}条")],
                )
                post(session, notice, datetime.now(UTC))


async def main() -> None:
    emu = RemoteEmulator()  # Telegram's limits, in a process of its own
    await emu.start()
    for person in [*PEOPLE, QUIET]:
        await emu.add_user(person, f"用户{person}")
        await emu.send(person, "/start")  # pressed Start
    for chat_id in GROUPS:
        await emu.add_group(chat_id, f"群{chat_id}")
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/burst.db"
        config = parse_config(config_data(url, telegram={"token": emu.token}))
        engine = db.make_engine(url)
        prepare_database(config, engine)
        services = Services(config, db.make_sessionmaker(engine), SystemClock())
        pacing = Pacing()
        bot = ExtBot(emu.token, base_url=emu.api_base_url, rate_limiter=KesuRateLimiter(pacing))
        async with bot:
            sender = OutboxSender(bot, services, pacing)
            enqueue(services, GROUPS + PEOPLE, EACH, "通知")
            began = time.perf_counter()
            sender.start()
            sender.poke()
            await asyncio.sleep(3)
            enqueue(services, [QUIET], 1, "安静的聊天")
            quiet_posted = time.monotonic()  # the emulator stamps arrivals on this clock
            sender.poke()
            quiet_at = None
            while True:
                if quiet_at is None:
                    arrived = [m for m in await emu.messages(QUIET) if m["from_id"] != QUIET]
                    if arrived:
                        quiet_at = float(arrived[0]["at"]) - quiet_posted
                with services.sessions() as session:
                    left = session.scalar(
                        select(func.count())
                        .select_from(OutboxMessage)
                        .where(OutboxMessage.status != DeliveryStatus.SENT)
                    )
                if not left:
                    break
                await asyncio.sleep(0.05)
            total = time.perf_counter() - began
            await sender.stop()
            with services.sessions() as session:
                retried = session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.attempts > 1)
                )
        services.close()
    await emu.stop()
    print(f"burst: {len(GROUPS) * EACH + len(PEOPLE) * EACH} notifications to {len(GROUPS)} groups")
    print(f"  and {len(PEOPLE)} people in {total:.2f} s; least the limits allow {MINIMUM:.1f} s")
    print(f"  ({total / MINIMUM:.2f} times); rows that met a 429 or an error: {retried}")
    print(f"quiet chat's notice, posted 3 s in, arrived after {quiet_at or 0:.2f} s")


if __name__ == "__main__":
    asyncio.run(main())
