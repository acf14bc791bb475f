"""A month of reminders as people live it (issue 24): how many messages reach each VP, the
GM and each group a working day, and how many separate pings they carry.

Runs the sandbox (the real bot, the emulator with Telegram's limits, the demo company)
on a fresh database and moves its clock a month on, an hour at a time. Complaints come
in through the first days until about 30 are open, then about two a working day. Whoever
owns a step does it at a time drawn when it opens: most within their limit, a third
late, some very late; a rectification plan gets two to four items, some done days after
their date. Every reminder, escalation and digest goes at its own time, as the deadline
job sends it, and the sender delivers it to the emulator before the clock moves on.

Counted, per chat and working day (company time), from the outbox: notification
messages (edits of cards and boards not counted), of which reminder messages (alone or
digests), and the pings those carry; then whether every overdue step was named to its
leading VP within the hour it fell due, and the 429s the emulator gave.

    .venv/bin/python bench/month.py [--days 30] [--seed 7]

First it moves the demo company two days on and counts the messages of each chat, the
figure the issue starts from (35 in the sales group, 34 in each QC group, about 20 in
each VP's private chat before digests). The figures go into BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from remote import free_port
from sqlalchemy import func, select

from bot.procedure.causes import to_mask
from bot.procedure.grading import Demand, Plant
from bot.procedure.plans import Department, ItemDraft
from bot.procedure.steps import STEP_BY_ID, StepStatus
from bot.sandbox import demo
from bot.sandbox.page import Sandbox
from bot.services import causes, complaints, plans, steps
from bot.services.uow import Caller
from bot.views.callbacks import StepAction
from storage.models import DeliveryStatus, Method, OutboxMessage, Purpose, QueuedPing, Step

GM = 100044
LEADS = {Plant.HUANGWU: 100041, Plant.LAISHAN: 100042}
NAMES = {m.telegram_id: m.name for m in demo.PEOPLE} | {
    g: title for g, (title, _m) in demo.GROUPS.items()
}
WATCHED = [100041, 100042, GM, *demo.GROUPS]


async def drained(sandbox: Sandbox, timeout: float = 300.0) -> None:
    """Until the sender has delivered everything due (Telegram's pace, in real time)."""
    assert sandbox.kesu is not None
    sessions = sandbox.kesu.services.sessions
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        with sessions() as session:
            left = session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(
                    OutboxMessage.status.in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING]),
                    OutboxMessage.next_attempt_at <= sandbox.clock.now(),
                )
            )
        if not left:
            return
        await asyncio.sleep(0.05)
    raise TimeoutError("the outbox did not drain")


async def demo_two_days() -> None:
    with tempfile.TemporaryDirectory() as folder:
        sandbox = Sandbox(Path(folder) / "kesu.db", fresh=True)
        await sandbox.start(port=free_port())
        try:
            await drained(sandbox)
            emu = sandbox.emulator
            before = {c: len(emu.bot_messages(c)) for c in WATCHED}
            await sandbox.advance(timedelta(days=2))
            await drained(sandbox)
            print("The demo company moved two days on: messages per chat (boards included)")
            for chat in WATCHED:
                new = len(emu.bot_messages(chat)) - before[chat]
                print(f"  {NAMES[chat]:<8} {new:>4}")
            print(f"  429s: {emu.refused}")
        finally:
            await sandbox.stop()


class Month:
    """The company's month: complaints filed, steps done by their owners at drawn times."""

    def __init__(self, sandbox: Sandbox, rng: random.Random) -> None:
        assert sandbox.kesu is not None
        self.sandbox = sandbox
        self.services = sandbox.kesu.services
        self.rng = rng
        self.when_done: dict[int, datetime] = {}  # step id -> when its owner does it
        self.filed = 0

    def file(self) -> None:
        rng, now = self.rng, self.sandbox.clock.now()
        plant = rng.choice([Plant.HUANGWU, Plant.LAISHAN])
        demands = rng.choice(
            [
                [Demand.CLAIM, Demand.RETURN],
                [Demand.EXCHANGE],
                [Demand.EXCHANGE],
                [Demand.DOWNGRADE],
            ]
        )
        customer = rng.choice(demo.CUSTOMERS)[0]
        self.filed += 1
        draft = demo._draft(
            now,
            customer=customer,
            content=f"第 {self.filed} 起：轴承异响，要求处理",
            demands=demands,
            product_name="深沟球轴承",
            specification=f"62{self.filed:02d}",
            quantity=(Decimal(rng.randint(100, 5000)), "件"),
            delivery_date=now.date() - timedelta(days=rng.randint(3, 40)),
            plant=plant,
            description="抽检发现异响",
        )
        by = rng.choice([100001, 100002])
        filed = self.services.call(
            complaints.file_complaint,
            complaints.FileComplaint(Caller(by, by, None, "bench"), draft),
        )
        assert filed.complaint is not None, filed.refusal

    def _drawn(self, step: Step) -> datetime:
        """When the owner gets to it: within the limit mostly, late a third of the time."""
        limit = (step.due_at - step.opened_at) if step.due_at else timedelta(days=2)
        draw = self.rng.random()
        factor = (
            self.rng.uniform(0.2, 0.95)
            if draw < 0.65
            else self.rng.uniform(1.05, 2.0)
            if draw < 0.92
            else self.rng.uniform(2.0, 5.0)
        )
        return step.opened_at + limit * factor

    def work(self) -> int:
        """Each open step whose time has come is done; returns how many."""
        now = self.sandbox.clock.now()
        with self.services.sessions() as session:
            open_steps = session.scalars(select(Step).where(Step.status == StepStatus.OPEN)).all()
            due = []
            for step in open_steps:
                when = self.when_done.setdefault(step.id, self._drawn(step))
                if when <= now:
                    due.append((step.id, step.key, step.complaint.plant))
        done = 0
        for step_id, key, plant in due:
            done += self._do(step_id, key, plant)
        return done

    def _do(self, step_id: int, key: str, plant: Plant) -> bool:
        definition = STEP_BY_ID[key]
        if definition.fills_plan:
            return self._plan(step_id, plant)
        lead = LEADS.get(plant, GM)
        for by in (GM, lead):
            caller = Caller(by, by, None, "bench")
            if definition.asks_causes:  # the appraisal names one or two causes first
                listed = self.services.config.causes.listed()
                mask = to_mask(self.rng.sample([c.key for c in listed], 2), listed)
                chosen = causes.ChooseCauses(caller, step_id, mask, plant.value)
                self.services.call(causes.choose, chosen)
            for outcome in definition.outcomes:
                press = steps.PressStep(caller, step_id, StepAction.FINISH, outcome.code)
                if self.services.call(steps.press, press).result is steps.PressResult.OK:
                    return True
        self.when_done[step_id] = self.sandbox.clock.now() + timedelta(days=365)  # left open
        return False

    def _plan(self, step_id: int, plant: Plant) -> bool:
        by = LEADS.get(plant, GM)
        caller = Caller(by, by, None, "bench")
        opening = self.services.call(plans.begin, plans.BeginPlan(caller, step_id))
        if opening.draft is None or opening.me is None:
            return False
        draft, people = opening.draft, {p.name: p.id for p in opening.people}
        today = self.sandbox.clock.now().astimezone(self.services.config.tz).date()
        draft.problem, draft.causes, draft.owner_id = "轴承异响", "装配清洁度不足", opening.me
        draft.deadline = today + timedelta(days=30)
        draft.departments = [Department.PRODUCTION, Department.QC]
        makers = ["郑生产", "冯生产", "陈设备"]
        for n in range(self.rng.randint(2, 4)):
            due = today + timedelta(days=self.rng.randint(2, 10))
            owner, acceptor = people[self.rng.choice(makers)], people["李质检"]
            draft.items.append(ItemDraft(f"整改措施 {n + 1}", "复检合格", owner, due, acceptor))
        issued = self.services.call(plans.issue, plans.IssuePlan(caller, draft))
        return issued.result is plans.IssueResult.ISSUED

    def open_complaints(self) -> int:
        with self.services.sessions() as session:
            return len(
                set(
                    session.scalars(select(Step.complaint_id).where(Step.status == StepStatus.OPEN))
                )
            )


async def month(days: int, warmup: int, seed: int, strict: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        sandbox = Sandbox(Path(folder) / "kesu.db", fresh=True)
        await sandbox.start(port=free_port())
        try:
            await drained(sandbox)
            life = Month(sandbox, random.Random(seed))
            config = sandbox.kesu.services.config  # type: ignore[union-attr]
            calendar = config.working_calendar()
            start = sandbox.clock.now()
            began = time.monotonic()
            opened: list[int] = []
            spent = defaultdict(float)
            lifted = sandbox.limits_lifted()
            lifted.__enter__()  # the warm-up's burst of filings is not what is measured
            for hour in range((warmup + days) * 24):
                if hour == warmup * 24:
                    start = sandbox.clock.now()  # counted from here
                    if strict:
                        lifted.__exit__(None, None, None)
                        sandbox.emulator.refused = 0
                local = sandbox.clock.now().astimezone(config.tz)
                working = calendar.is_workday(local.date()) and 8 <= local.hour < 18
                mark = time.monotonic()
                if working:
                    # Filed through the warm-up until about 30 are open, then about two a
                    # working day.
                    wanted = 30 if hour < warmup * 24 else 0
                    if life.open_complaints() < wanted or life.rng.random() < 0.2:
                        life.file()
                    life.work()
                spent["people"] += time.monotonic() - mark
                mark = time.monotonic()
                await sandbox.advance(timedelta(hours=1))
                spent["clock"] += time.monotonic() - mark
                mark = time.monotonic()
                await drained(sandbox)
                spent["delivery"] += time.monotonic() - mark
                if hour % 24 == 12 and hour >= warmup * 24:
                    opened.append(life.open_complaints())
            elapsed = time.monotonic() - began
            print("  time spent: " + ", ".join(f"{k} {v:.0f} s" for k, v in spent.items()))
            report(sandbox, start, calendar, opened, elapsed, strict)
        finally:
            await sandbox.stop()


def report(
    sandbox: Sandbox,
    start: datetime,
    calendar: Any,
    opened: list[int],
    elapsed: float,
    strict: bool,
) -> None:
    assert sandbox.kesu is not None
    config = sandbox.kesu.services.config
    with sandbox.kesu.services.sessions() as session:
        rows = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.created_at >= start, OutboxMessage.method != Method.EDIT
            )
        ).all()
        queued = session.scalars(select(QueuedPing).where(QueuedPing.queued_at >= start)).all()
        row_at = {r.id: r.created_at for r in rows}
        messages: dict[tuple[int, date], int] = defaultdict(int)
        reminders: dict[tuple[int, date], int] = defaultdict(int)
        for row in rows:
            day = row.created_at.astimezone(config.tz).date()
            messages[(row.chat_id, day)] += 1
            if row.purpose is Purpose.PING:
                reminders[(row.chat_id, day)] += 1
        carried: dict[tuple[int, date], int] = defaultdict(int)
        late_to_vp = named_in_hour = held = 0
        slow: list[timedelta] = []
        for q in queued:
            day = q.queued_at.astimezone(config.tz).date()
            carried[(q.chat_id, day)] += q.pings
            if q.chat_id in (100041, 100042) and q.kind == "overdue" and q.message_row_id:
                if q.may_go_at > q.queued_at:
                    held += 1  # a C complaint's, at night: it waits for the working day
                    continue
                late_to_vp += 1
                took = row_at[q.message_row_id] - q.queued_at
                named_in_hour += took <= timedelta(hours=1)
                if took > timedelta(hours=1):
                    slow.append(took)
        kinds: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for row in rows:
            kinds[row.chat_id][row.purpose.value] += 1
    days = sorted({d for _c, d in messages} | {d for _c, d in carried})
    working = [d for d in days if calendar.is_workday(d)]
    print(f"\nA month ({len(days)} days, {len(working)} working) in {elapsed:.0f} s")
    print(f"  complaints open at noon: median {statistics.median(opened):.0f}, max {max(opened)}")
    print("  per working day: notification messages (max / median), reminder messages, pings")
    worst = 0
    for chat in WATCHED:
        per_day = [messages[(chat, d)] for d in working]
        pings = [reminders[(chat, d)] for d in working]
        carry = [carried[(chat, d)] for d in working]
        worst = max(worst, max(per_day, default=0))
        print(
            f"  {NAMES[chat]:<8} {max(per_day, default=0):>4} / {statistics.median(per_day):>4.0f}"
            f"   {max(pings, default=0):>4} / {statistics.median(pings):>4.0f}"
            f"   {max(carry, default=0):>5} / {statistics.median(carry):>5.0f}"
        )
    print(f"  most messages to one chat in a working day: {worst} (goal: 12 or fewer)")
    for chat in WATCHED:
        over = [(d, reminders[(chat, d)]) for d in working if reminders[(chat, d)] > 12]
        if over:
            shown = ", ".join(f"{d:%m-%d} {n}" for d, n in over)
            print(f"  {NAMES[chat]}: working days with more than 12 reminder messages: {shown}")
    print(f"  overdue steps named to their VP within the hour: {named_in_hour} of {late_to_vp}")
    if slow:
        print(f"    the others took: {', '.join(str(t) for t in sorted(slow))}")
    print(f"  overdue notices to a VP held for the working day (C, at night): {held}")
    print("  what the messages were, over the counted days:")
    for chat in WATCHED:
        shown = sorted(kinds[chat].items(), key=lambda kv: -kv[1])
        print(f"  {NAMES[chat]:<8} " + ", ".join(f"{k} {n}" for k, n in shown))
    print(f"  429s: {sandbox.emulator.refused if strict else 'not measured (--lifted)'}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument(
        "--lifted",
        action="store_true",
        help="Telegram's limits lifted for the counted days too (the counts are the same; "
        "the 429s are not measured)",
    )
    args = parser.parse_args()
    if not args.skip_demo:
        asyncio.run(demo_two_days())
    asyncio.run(month(args.days, args.warmup, args.seed, not args.lifted))


if __name__ == "__main__":
    main()
