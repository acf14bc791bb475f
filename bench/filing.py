"""How fast Kesu files complaints and delivers what they cause.

Files N A-grade complaints (the heaviest: card, report, four leaders, seven
task cards) through the complaints service, one unit of work each, on a fresh SQLite or PostgreSQL
database, then lets the outbox sender deliver every row to the Bot API
emulator with its rate limits lifted. Prints one line per phase; the numbers
go into BENCHMARKS.md.

    .venv/bin/python bench/filing.py [N] [database URL]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from telegram import Bot

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import prepare_database
from bot.config import parse_config
from bot.delivery.pacing import Limits, Pacing
from bot.delivery.sender import OutboxSender
from bot.procedure.clock import SystemClock
from bot.procedure.grading import CustomerClass, Demand, Plant
from bot.procedure.intake import Draft
from bot.sandbox.emulator.server import Emulator, RateLimits
from bot.services import complaints
from bot.services.uow import Caller, Services
from storage import db
from storage.models import OutboxMessage
from tests.conftest import GROUPS, PEOPLE, SALES, config_data

NO_LIMITS = RateLimits(private=((1.0, 10**6),), group=((1.0, 10**6),), overall=((1.0, 10**6),))


def draft(n: int) -> Draft:
    found = Draft(received_at=datetime.now(UTC))
    answers: dict[str, object] = {
        "customer": f"客户{n % 50}",
        "customer_class": CustomerClass.A,
        "contact_phone": "0535-6881234",
        "content": "整批异响,要求索赔并退货。" * 5,
        "demands": [Demand.CLAIM, Demand.RETURN],
        "product_name": "深沟球轴承",
        "specification": "6204-2RS",
        "quantity": (Decimal(5000), "件"),
        "delivery_date": date(2026, 11, 1),
        "received_at": found.received_at,
        "occurred_on": None,
        "batch": True,
        "recurring": False,
        "plant": Plant.HUANGWU if n % 2 else Plant.LAISHAN,
        "description": "装机后异响。" * 20,
        "attachments": [],
    }
    for key, value in answers.items():
        found.answer(key, value)
    return found


async def main(count: int, url: str) -> None:
    emu = Emulator(limits=NO_LIMITS)
    await emu.start()
    for person in PEOPLE:
        emu.add_user(person["telegram_id"], person["name"])
        emu.started.add(person["telegram_id"])
    for chat_id, title in GROUPS.items():
        emu.add_group(chat_id, title)
    config = parse_config(config_data(url, telegram={"token": emu.token}))
    engine = db.make_engine(url)
    db.upgrade(engine)
    prepare_database(config, engine)
    sessions = db.make_sessionmaker(engine)
    services = Services(config, sessions, SystemClock())
    seller = Caller(SALES, SALES, None, "bench")

    start = time.perf_counter()
    for n in range(count):
        # One unit of work per filing, as the Confirm button runs it.
        services.call(complaints.file_complaint, complaints.FileComplaint(seller, draft(n)))
    filing = time.perf_counter() - start
    with sessions() as session:
        rows = session.scalar(select(func.count()).select_from(OutboxMessage)) or 0

    async with Bot(emu.token, base_url=emu.api_base_url) as bot:
        # Telegram's pacing lifted too: this measures Kesu's own cost per row.
        unlimited = Limits(overall=(1.0, 10**6), group=(1.0, 10**6), private=(1.0, 10**6))
        sender = OutboxSender(bot, services, Pacing(unlimited))
        start = time.perf_counter()
        sent = 0
        while sent < rows:
            delivered = await sender.deliver_due()
            if delivered == 0:
                break
            sent += delivered
        delivery = time.perf_counter() - start
    await emu.stop()
    print(
        f"filing: {count} A complaints in {filing:.2f} s = {filing / count * 1000:.1f} ms each "
        f"({rows // count} notifications each)"
    )
    print(
        f"delivery: {sent} of {rows} rows in {delivery:.2f} s = {sent / delivery:.0f} rows/s "
        f"(emulator on loopback, rate limits lifted)"
    )


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory() as folder:
        target = sys.argv[2] if len(sys.argv) > 2 else f"sqlite:///{folder}/bench.db"
        asyncio.run(main(n, target))
