"""Kesu at the scale of years (issue 11): a database of five years of complaints, and
how long the reading use cases take on it.

Fills a fresh SQLite file (or the PostgreSQL database given) with N complaints over five
years (100,000 by default: 15 steps and 30 events each, so 1.5 million steps and 3
million events), the newest 7 % still open with 14 open steps each (about 100,000 open
steps), then times, each in its own unit of work as the bot runs them:

- the weekly summary of this week (bot.services.summary.compute);
- the month-end register of last month, as the XLSX file (exports.register + forms);
- recurrence detection at intake (complaints.earlier_of), averaged over 50 drafts;
- /list, /show and /mytasks (complaints.list_open, complaints.show, steps.my_tasks).

    .venv/bin/python bench/scale.py [--complaints N] [--database URL]

A database given that holds complaints already is not filled again, only measured.

The figures go into BENCHMARKS.md with the machine they came from.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select

from bot.app import prepare_database
from bot.config import KesuConfig, parse_config
from bot.procedure.clock import SystemClock
from bot.procedure.grading import CustomerClass, Demand, Grade, Plant
from bot.procedure.intake import Draft
from bot.procedure.numbering import format_number
from bot.procedure.recurrence import product_key
from bot.procedure.steps import STEPS, ComplaintStatus, Outcome, StepStatus
from bot.procedure.summary import week_of
from bot.services import complaints, exports, steps, summary
from bot.services.uow import OPERATOR, Caller, Services
from bot.views import forms
from storage import db
from storage.models import (
    Complaint,
    ComplaintCounter,
    Customer,
    Event,
    Person,
    Step,
)
from tests.conftest import GM, QC_HW, SALES_2, config_data

PRODUCTS = [("深沟球轴承", f"62{n:02d}-2RS") for n in range(40)] + [
    ("圆锥滚子轴承", f"302{n:02d}") for n in range(30)
]
GRADES = {Grade.A: [Demand.CLAIM], Grade.B: [Demand.DOWNGRADE], Grade.C: [Demand.EXCHANGE]}
KEYS = [s.id for s in STEPS][:15]
BATCH = 5000


def fill(services: Services, count: int, now: datetime) -> None:
    """N complaints over five years, oldest first, with their steps and events."""
    rng = random.Random(11)
    engine = services.sessions.kw["bind"]
    with services.sessions() as session:
        people = [p.id for p in session.scalars(select(Person))]
    customers = [
        {
            "name": f"客户{n:04d}",
            "customer_class": rng.choice(list(CustomerClass)),
            "contact_phone": "0535-6881234",
            "created_at": now - timedelta(days=5 * 365),
        }
        for n in range(2000)
    ]
    with engine.begin() as connection:
        connection.execute(insert(Customer), customers)
        customer_ids = [row[0] for row in connection.execute(select(Customer.id))]
    start = now - timedelta(days=5 * 365)
    span = (now - start).total_seconds()
    open_from = int(count * 0.93)
    sequences: dict[int, int] = {}
    rows: list[dict[str, Any]] = []
    for n in range(count):
        received = start + timedelta(seconds=span * n / count)
        sequences[received.year] = sequences.get(received.year, 0) + 1
        grade = rng.choices(list(GRADES), weights=(1, 3, 6))[0]
        name, spec = rng.choice(PRODUCTS)
        customer = rng.randrange(len(customer_ids))
        closed = n < open_from
        rows.append(
            {
                "number": format_number(received.year, sequences[received.year]),
                "year": received.year,
                "sequence": sequences[received.year],
                "received_at": received,
                "occurred_at": received,
                "customer_id": customer_ids[customer],
                "customer_name": customers[customer]["name"],
                "customer_class": customers[customer]["customer_class"],
                "contact_phone": "0535-6881234",
                "content": "客户反映异响,要求处理。",
                "demands": GRADES[grade],
                "grade": grade,
                "is_batch": False,
                "is_recurring": rng.random() < 0.1,
                "is_return": False,
                "is_serious": grade is not Grade.C,
                "plant": rng.choice([Plant.HUANGWU, Plant.LAISHAN]),
                "product_name": name,
                "specification": spec,
                "product_key": product_key(name, spec),
                "recurs_after": [],
                "quantity": Decimal(500),
                "quantity_unit": "件",
                "delivery_date": (received - timedelta(days=10)).date(),
                "description": "装机后异响",
                "status": ComplaintStatus.CLOSED if closed else ComplaintStatus.OPEN,
                "filed_by_id": people[0],
                "created_at": received,
                "closed_at": received + timedelta(days=5) if closed else None,
            }
        )
        if len(rows) == BATCH or n == count - 1:
            _write(engine, rows, people, open_from, rng, now)
            rows = []
    with engine.begin() as connection:
        connection.execute(
            insert(ComplaintCounter),
            [{"year": y, "last_number": s} for y, s in sequences.items()],
        )


def _write(
    engine: Any,
    rows: list[dict[str, Any]],
    people: list[int],
    open_from: int,
    rng: random.Random,
    now: datetime,
) -> None:
    with engine.begin() as connection:
        connection.execute(insert(Complaint), rows)
        numbers = [r["number"] for r in rows]
        ids = dict(
            connection.execute(
                select(Complaint.number, Complaint.id).where(Complaint.number.in_(numbers))
            ).all()
        )
        step_rows, event_rows = [], []
        for row in rows:
            complaint_id = ids[row["number"]]
            is_open = row["status"] is ComplaintStatus.OPEN
            for index, key in enumerate(KEYS):
                opened = row["received_at"] + timedelta(hours=index)
                due = opened + timedelta(hours=rng.choice((1, 2, 24, 48)))
                running = is_open and index > 0
                done = None if running else due - timedelta(minutes=rng.randrange(-120, 60))
                step_rows.append(
                    {
                        "complaint_id": complaint_id,
                        "key": key,
                        "status": StepStatus.OPEN if running else StepStatus.DONE,
                        "opened_at": opened,
                        "due_at": due,
                        "done_at": done,
                        "done_by_id": None if running else rng.choice(people),
                        "outcome": None if running else Outcome.DONE,
                        "pings_sent": 0,
                        "next_ping_at": max(due, now + timedelta(minutes=rng.randrange(1, 600)))
                        if running
                        else None,
                    }
                )
            for index in range(30):
                event_rows.append(
                    {
                        "at": row["received_at"] + timedelta(minutes=index),
                        "complaint_id": complaint_id,
                        "actor_id": rng.choice(people),
                        "source": "chat",
                        "action": "step_done" if index % 2 else "ping",
                        "detail": {"step": KEYS[index % len(KEYS)]},
                    }
                )
        connection.execute(insert(Step), step_rows)
        connection.execute(insert(Event), event_rows)


def timed(label: str, work: Callable[[], object], repeat: int = 1) -> float:
    """The mean of `repeat` runs; with more than one, after a first run that is not counted
    (the bot runs for weeks: its statements are compiled and cached by then)."""
    if repeat > 1:
        work()
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        work()
        times.append((time.perf_counter() - began) * 1000)
    value = statistics.mean(times)
    print(f"{label:<44} {value:10.1f} ms" + (f"  (mean of {repeat})" if repeat > 1 else ""))
    return value


def open_database(url: str) -> tuple[KesuConfig, Services]:
    """The bench's company on this database, its schema at the newest revision."""
    config = parse_config(config_data(url, recurrence={"enabled": True}))
    engine = db.make_engine(url)
    if not url.startswith("sqlite"):
        db.upgrade(engine)
    prepare_database(config, engine)
    return config, Services(config, db.make_sessionmaker(engine), SystemClock())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--database", default="")
    args = parser.parse_args()
    url = args.database or f"sqlite:///{tempfile.mkdtemp()}/scale.db"
    config, services = open_database(url)
    now = datetime.now(UTC)
    with services.sessions() as session:
        filled = session.scalar(select(func.count()).select_from(Complaint))
    if filled:
        # A database this script filled before: measured again as it is (its open steps'
        # pings are due from the time it was filled).
        print(f"reusing {filled} complaints ({url})")
    else:
        began = time.perf_counter()
        fill(services, args.complaints, now)
        print(f"filled {args.complaints} complaints in {time.perf_counter() - began:.0f} s ({url})")
    with services.sessions() as session:
        open_steps = session.query(Step).filter(Step.status == StepStatus.OPEN).count()
        newest = session.scalars(select(Complaint.number).order_by(Complaint.id.desc())).first()
    print(f"open steps: {open_steps}")
    year, week = week_of(now, config.tz)
    timed("weekly summary (this week)", lambda: services.call(summary.compute, year, week))
    last_month = (now.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")

    def register() -> None:
        found = services.call(exports.register, exports.RegisterRequest(OPERATOR, last_month))
        forms.register_xlsx(found.complaints, found.period, "zh_CN", config.timezone)

    timed("month-end register (last month, XLSX)", register)
    rng = random.Random(7)

    def recurrence() -> None:
        name, spec = rng.choice(PRODUCTS)
        draft = Draft(received_at=now)
        draft.answer("product_name", name)
        draft.answer("specification", spec)
        services.call(complaints.earlier_of, draft)

    timed("recurrence at intake", recurrence, repeat=50)
    timed(
        "/list (first page of all open, as the GM)",
        lambda: services.call(complaints.list_open, Caller(GM)),
        5,
    )
    assert newest is not None
    show = complaints.ShowComplaint(Caller(GM), newest)
    timed("/show (the newest complaint)", lambda: services.call(complaints.show, show), 5)
    for label, who in (("QC of Huangwu", QC_HW), ("the GM", GM), ("a salesperson", SALES_2)):
        timed(f"/mytasks ({label})", lambda who=who: services.call(steps.my_tasks, Caller(who)), 5)
    timed("/overdue (as the GM)", lambda: services.call(steps.overdue, Caller(GM)), 5)
    services.close()


if __name__ == "__main__":
    main()
