"""Kesu starting on five years of complaints (issue 11): how long start-up takes with about
100,000 open steps, how much memory the process holds, and how late the reminders and
escalations fire while they keep falling due.

Takes a database filled by bench/scale.py (it fills one first if the database given is
empty), then:

1. sets `--pings` open steps (1,200 by default) to fall due one after another over the
   next `--window` seconds (120 by default: ten a second), each at the limit of its step
   (its overdue ping), and moves every other open step's next ping a month on, so that
   nothing else is due while it measures (this changes the database);
2. starts the project's Bot API emulator here, with Telegram's rate limits, and `kesu run`
   in a process of its own against it;
3. measures start-up from the process's start until it has set its jobs from the database
   (the log line "next ping due at"), then the process's resident memory every half
   second until the window is over;
4. reads from the event log when each ping was fired, against when it was due.

    .venv/bin/python bench/startup.py [--database URL] [--pings N] [--window SECONDS]

The figures go into BENCHMARKS.md with the machine they came from.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select, update

from bot.config import KesuConfig, parse_config
from bot.procedure.steps import StepStatus
from storage import db
from storage.models import Complaint, Event, Step
from tests.conftest import config_data
from tests.harness import make_emulator

READY = "next ping due at"


def child(url: str, base: str, file_base: str, token: str) -> None:
    """`kesu run`, with the bench's configuration (the same wiring, polling the emulator)."""
    from bot import cli

    config = configuration(url, base, file_base, token)
    if os.environ.get("KESU_BENCH_NO_SENDER"):
        from bot.delivery.sender import OutboxSender

        OutboxSender.start = lambda self: None  # type: ignore[method-assign]
        OutboxSender.poke = lambda self: None  # type: ignore[method-assign]
    cli._logging(config)
    cli._run(config)


def configuration(url: str, base: str, file_base: str, token: str) -> KesuConfig:
    telegram = {"token": token, "api_base_url": base, "file_base_url": file_base}
    # As the tests': working hours off, so every ping goes when it falls due.
    return parse_config(config_data(url, telegram=telegram))


def arrange(url: str, pings: int, window: float, now: datetime) -> dict[tuple[int, str], datetime]:
    """Due times over the window for `pings` open steps; the rest a month away."""
    engine = db.make_engine(url)
    sessions = db.make_sessionmaker(engine)
    rng = random.Random(5)
    start = now + timedelta(seconds=15)  # after start-up
    targets: dict[tuple[int, str], datetime] = {}
    with sessions() as session:
        ids = session.scalars(select(Step.id).where(Step.status == StepStatus.OPEN)).all()
        session.execute(
            update(Step)
            .where(Step.status == StepStatus.OPEN)
            .values(next_ping_at=now + timedelta(days=30), pings_sent=0)
        )
        chosen = sorted(rng.sample(list(ids), min(pings, len(ids))))
        for n, step_id in enumerate(chosen):
            due = start + timedelta(seconds=window * n / len(chosen))
            step = session.get_one(Step, step_id)
            # Its two reminders sent; the next ping is the overdue one, at its limit.
            step.opened_at, step.due_at = due - timedelta(hours=2), due
            step.pings_sent, step.next_ping_at = 2, due
            targets[(step.complaint_id, step.key)] = due
        session.commit()
    engine.dispose()
    return targets


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def measure(url: str, pings: int, window: float) -> None:
    emu = await make_emulator()
    now = datetime.now(UTC)
    targets = arrange(url, pings, window, now)
    began = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--child",
        url,
        emu.api_base_url,
        emu.file_base_url,
        emu.token,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stderr is not None
    log: list[str] = []
    ready = None
    while ready is None:
        line = (await process.stderr.readline()).decode()
        if not line:
            raise SystemExit("kesu run stopped before it was ready:\n" + "".join(log[-20:]))
        log.append(line)
        if READY in line:
            ready = time.perf_counter() - began

    async def drain() -> None:
        assert process.stderr is not None
        while line := await process.stderr.readline():
            log.append(line.decode())

    draining = asyncio.create_task(drain())
    print(f"start-up until the jobs are set:       {ready:8.2f} s")
    peak = 0.0
    end = now + timedelta(seconds=15 + window + 5)
    while datetime.now(UTC) < end:
        peak = max(peak, rss_mb(process.pid))
        await asyncio.sleep(0.5)
    print(f"resident memory, highest:              {peak:8.1f} MB")
    process.terminate()
    await process.wait()
    await draining
    await emu.stop()
    engine = db.make_engine(url)
    with db.make_sessionmaker(engine)() as session:
        fired = session.execute(
            select(Event.complaint_id, Event.detail, Event.at).where(
                Event.action == "ping", Event.at >= now
            )
        ).all()
        complaints = session.scalar(select(func.count()).select_from(Complaint))
        open_steps = session.scalar(
            select(func.count()).select_from(Step).where(Step.status == StepStatus.OPEN)
        )
    in_order = [
        (targets[key], (at - targets[key]).total_seconds())
        for complaint_id, detail, at in fired
        if (key := (complaint_id, detail["step"])) in targets
    ]
    if os.environ.get("KESU_BENCH_TRACE"):
        for due, seconds in sorted(in_order)[::25]:
            print(f"  due {due.time()} late {seconds * 1000:6.0f} ms")
    late = sorted(seconds for _due, seconds in in_order)
    print(f"on {complaints} complaints, {open_steps} open steps")
    print(f"pings fired: {len(late)} of {len(targets)}")
    if late:
        p99 = late[min(len(late) - 1, int(len(late) * 0.99))]
        print(
            f"lateness: p50 {statistics.median(late) * 1000:.0f} ms, "
            f"p99 {p99 * 1000:.0f} ms, max {late[-1] * 1000:.0f} ms"
        )
    errors = [line for line in log if " ERROR " in line]
    print(f"errors in the log: {len(errors)}" + (f"\n{errors[0]}" if errors else ""))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:6])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="")
    parser.add_argument("--pings", type=int, default=1200)
    parser.add_argument("--window", type=float, default=120)
    args = parser.parse_args()
    url = args.database or f"sqlite:///{tempfile.mkdtemp()}/scale.db"
    engine = db.make_engine(url)
    if not url.startswith("sqlite"):
        db.upgrade(engine)
    config = parse_config(config_data(url))
    from bot.app import prepare_database

    prepare_database(config, engine)
    with db.make_sessionmaker(engine)() as session:
        filled = session.scalar(select(func.count()).select_from(Complaint))
    engine.dispose()
    if not filled:
        import scale  # bench/scale.py, beside this file

        from bot.procedure.clock import SystemClock
        from bot.services.uow import Services

        engine = db.make_engine(url)
        services = Services(config, db.make_sessionmaker(engine), SystemClock())
        scale.fill(services, 100_000, datetime.now(UTC))
        services.close()
    asyncio.run(measure(url, args.pings, args.window))


if __name__ == "__main__":
    main()
