"""What a flood and heavy files cost the others (issue 21, items 6 and 10), against the
project's emulator in a process of its own (bench/remote.py), Telegram's limits kept:

1. A colleague's `/help`, update to reply, one at a time (100 in a row), while a stranger
   presses a button 600 times in 3 seconds, against the same without the flood.
2. The same `/help` while ten salespeople each ask for `/export report` (an XLSX and a PDF
   with the CJK font), against the same without the exports.

    .venv/bin/python bench/hardening.py

Goal: each p99 within 1.5x of its quiet run. The figures go into BENCHMARKS.md.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from latency import PEOPLE, percentile, round_trip, with_kesu
from remote import RemoteEmulator

from bot.app import Kesu
from bot.services import complaints
from bot.services.uow import Caller
from tests.conftest import GROUPS
from tests.test_workflow import draft

# Colleagues asking in turn, each about once a second and a half: Telegram lets a bot
# send one person about one message a second, and Kesu keeps that pace.
COLLEAGUES = PEOPLE[:10]
STRANGER = 700001  # on nobody's list
EXPORTERS = PEOPLE[10:20]


async def helps(emu: RemoteEmulator, count: int = 100) -> list[float]:
    found = []
    for n in range(count):
        found.append(await round_trip(emu, COLLEAGUES[n % len(COLLEAGUES)], "/help", 0.01))
        await asyncio.sleep(0.15)
    return found


async def flood(emu: RemoteEmulator) -> int:
    """600 presses in 3 s on the stranger's own chat, forged data on a real message."""
    message_id = await emu.send(STRANGER, "/help")
    await asyncio.sleep(0.5)
    body = {
        "user_id": STRANGER,
        "chat_id": STRANGER,
        "message_id": message_id,
        "data": "v1:st:done:1",
        "forged": True,
    }
    sent = 0
    for _ in range(60):  # ten every 50 ms
        await asyncio.gather(*(emu.control("press", body) for _ in range(10)))
        sent += 10
        await asyncio.sleep(0.05)
    return sent


async def while_running(emu: RemoteEmulator, work: asyncio.Future[Any]) -> list[float]:
    """The colleague's /help, one after another, for as long as the work runs."""
    found = []
    while not work.done():
        person = COLLEAGUES[len(found) % len(COLLEAGUES)]
        found.append(await round_trip(emu, person, "/help", 0.01))
        await asyncio.sleep(0.15)
    await work
    return found


async def flooded(emu: RemoteEmulator, _kesu: Kesu) -> tuple[list[float], list[float]]:
    quiet = await helps(emu)
    during = await while_running(emu, asyncio.ensure_future(flood(emu)))
    return quiet, during


async def exports(emu: RemoteEmulator, kesu: Kesu) -> tuple[list[float], list[float]]:
    numbers = []
    for person in EXPORTERS:
        filed = await kesu.services.run(
            complaints.file_complaint, complaints.FileComplaint(Caller(person, person), draft())
        )
        assert filed.complaint is not None
        numbers.append(filed.complaint.number)
    await asyncio.sleep(3)  # the filings' notices go out first
    quiet = await helps(emu, 40)

    async def exporter(person: int, number: str) -> None:
        for _ in range(2):
            await round_trip(emu, person, f"/export report {number}", 0.2)
            await asyncio.sleep(1.0)

    working = asyncio.gather(*(exporter(p, n) for p, n in zip(EXPORTERS, numbers, strict=True)))
    return quiet, await while_running(emu, working)


def report(title: str, quiet: list[float], during: list[float]) -> None:
    q = [v * 1000 for v in quiet]
    d = [v * 1000 for v in during]
    print(title)
    for name, values in (("quiet: ", q), ("during:", d)):
        p50, p99 = statistics.median(values), percentile(values, 0.99)
        print(f"  {name} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  (n={len(values)})")
    ratio = percentile(d, 0.99) / percentile(q, 0.99)
    print(f"  p99 during / quiet: {ratio:.2f} x (goal <= 1.5 x)")


async def main() -> None:
    emu = RemoteEmulator()
    await emu.start()
    try:
        for person in [*PEOPLE, STRANGER]:
            await emu.add_user(person, f"用户{person % 1000}")
            await emu.send(person, "hello")  # pressed Start
        for chat_id, title in GROUPS.items():
            await emu.add_group(chat_id, title)
        found: dict[str, Any] = {}
        found["flood"] = await with_kesu(emu, lambda k: flooded(emu, k))
        found["exports"] = await with_kesu(emu, lambda k: exports(emu, k))
    finally:
        await emu.stop()
    report("/help of a colleague while a stranger presses 600 times in 3 s", *found["flood"])
    report("/help of a colleague while ten /export report run", *found["exports"])


if __name__ == "__main__":
    asyncio.run(main())
