"""The JobQueue only pokes: due times live in the database.

Step pings have one job, deadlines:next, set for the soonest next ping of any open
step (`step.next_ping_at`, read through the index ix_step_open_pings). When it fires it
sends every ping due by then, each in its own unit of work that re-reads the step (and
does nothing if the step moved on), and sets itself for the next soonest. A unit of work
that gives a step an earlier ping brings the job forward after its commit. One job
rather than one per open step: with a hundred thousand open steps, start-up is one
indexed query instead of a hundred thousand jobs, and memory does not grow with them
(BENCHMARKS.md).

The timed jobs (the daily tracking of plan items, the weekly meeting's agenda, the
month-end register, the weekly summary) have one job each at their next times after
their last runs, which the event log keeps. At start-up every job is set again from the
database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from telegram.ext import CallbackContext, JobQueue

from bot.services import (
    boards,
    digests,
    exports,
    health,
    meetings,
    plans,
    rechecks,
    steps,
    summary,
)
from bot.services.uow import Services, StepPlan, UnitOfWork
from storage import queries

if TYPE_CHECKING:
    from bot.delivery.keeper import FileKeeper
    from bot.delivery.sender import OutboxSender

log = logging.getLogger(__name__)


TRACKING_JOB = "tracking:daily"
WEEKLY_JOB = "meeting:weekly"
MONTH_END_JOB = "register:month_end"
SUMMARY_JOB = "summary:weekly"
RECHECK_JOB = "recheck:daily"
# Timed jobs: (job name, when it is due next, what it runs with its due time). Their
# times live in the event log (each run leaves an event), not in the job queue.
TIMED: tuple[tuple[str, Callable[[UnitOfWork], datetime | None], Callable[..., object]], ...] = (
    (TRACKING_JOB, plans.next_tracking, plans.post_tracking),
    (WEEKLY_JOB, meetings.next_weekly_agenda, meetings.post_weekly_agenda),
    (MONTH_END_JOB, exports.next_month_end, exports.post_month_end),
    (SUMMARY_JOB, summary.next_weekly_summary, summary.post_weekly_summary),
    (RECHECK_JOB, rechecks.next_recheck, rechecks.open_due),
)


DEADLINE_JOB = "deadlines:next"
BOARDS_JOB = "boards:refresh"
BOARDS_CHECK_JOB = "boards:check"
# Steps moved: the boards are brought up to date this soon after, once for a flurry of
# presses (a board is a whole chat's picture, not worth recomputing for each).
BOARDS_AFTER = timedelta(seconds=1)
# Each board is looked at this often: still there, still pinned, its times current.
BOARDS_EVERY = timedelta(hours=1)
# Pings read per query while catching up: bounded, so a backlog after a long stop is
# sent in order without loading it all at once.
PING_BATCH = 200
# A soonest time already past (its ping found stale) is looked at again after this, not
# in a busy loop.
RECHECK = timedelta(seconds=1)


class Delivery:
    """After a commit: poke the sender, bring the deadline job forward (bot.services.uow.AfterCommit)."""

    def __init__(self, services: Services, job_queue: JobQueue | None) -> None:
        self.services = services
        self.job_queue = job_queue
        self.sender: OutboxSender | None = None
        self.keeper: FileKeeper | None = None
        self._armed_at: datetime | None = None  # when deadlines:next fires, if set
        self._firing = False

    def poke_sender(self) -> None:
        if self.sender is not None:
            self.sender.poke()

    def poke_keeper(self) -> None:
        if self.keeper is not None:
            self.keeper.poke()

    def schedule(self, plans: dict[int, StepPlan]) -> None:
        """A committed unit of work changed these steps' next pings: fire sooner if one is
        sooner. A later or dropped ping needs nothing: the job re-reads when it fires."""
        if plans:
            self.boards_soon()
        soonest = min((plan.at for plan in plans.values() if plan.at is not None), default=None)
        if soonest is None or self._firing:
            return  # while firing, the job sets itself from the database when done
        if self._armed_at is None or soonest < self._armed_at:
            self._arm(soonest)

    def boards_soon(self) -> None:
        """Steps moved (or a board was deleted): the boards are brought up to date soon."""
        if self.job_queue is None or self.job_queue.get_jobs_by_name(BOARDS_JOB):
            return
        self.job_queue.run_once(
            self._refresh_boards,
            when=BOARDS_AFTER,
            name=BOARDS_JOB,
            job_kwargs={"misfire_grace_time": None, "coalesce": True},
        )

    async def _refresh_boards(self, context: CallbackContext | None = None) -> None:
        await self.services.run_later(boards.refresh)

    async def _check_boards(self, context: CallbackContext | None = None) -> None:
        """Hourly: the boards' times brought up to date, and each still there and pinned."""
        await self.services.run_later(boards.refresh)
        if self.sender is not None:
            await self.sender.check_boards(await self.services.run(boards.to_check))

    def _arm(self, when: datetime | None) -> None:
        if self.job_queue is None:
            return
        for job in self.job_queue.get_jobs_by_name(DEADLINE_JOB):
            job.schedule_removal()
        self._armed_at = when
        if when is None:
            return
        # A delay from Kesu's clock, not a wall-clock time: the sandbox's clock runs ahead.
        delay = max(when - self.services.clock.now(), timedelta(milliseconds=10))
        self.job_queue.run_once(
            self._fire,
            when=delay,
            name=DEADLINE_JOB,
            # Run however late: a busy loop or a restart must not drop a reminder.
            job_kwargs={"misfire_grace_time": None, "coalesce": True},
        )

    async def rebuild(self) -> datetime | None:
        """At start-up (and when the clock jumps): the deadline job at the soonest ping, and
        the timed jobs; returns when the soonest ping falls due."""
        soonest = await self._soonest_all()
        self._arm(soonest)
        await self.schedule_timed()
        if self.job_queue is not None and self.services.config.reminders.boards:
            for job in self.job_queue.get_jobs_by_name(BOARDS_CHECK_JOB):
                job.schedule_removal()
            self.job_queue.run_repeating(
                self._check_boards,
                interval=BOARDS_EVERY,
                first=BOARDS_AFTER,
                name=BOARDS_CHECK_JOB,
                job_kwargs={"misfire_grace_time": None, "coalesce": True},
            )
        log.info("next ping due at %s", soonest.isoformat() if soonest else "never")
        return soonest

    async def next_due(self) -> datetime | None:
        """When the next reminder, escalation or timed job falls due (the sandbox's clock
        jumps there)."""
        soonest = await self._soonest_all()
        timed = [await self.services.run(next_time) for _name, next_time, _run in TIMED]
        return min([t for t in [soonest, *timed] if t is not None], default=None)

    async def fire_due(self) -> int:
        """Send every ping (and the timed jobs) due by Kesu's clock now, without the jobs."""
        fired, now = await self._fire_pings()
        for _name, next_time, run in TIMED:
            due = await self.services.run(next_time)
            if due is not None and due <= now:
                await self.services.run(run, due)
                fired += 1
        return fired

    async def refresh_boards(self) -> None:
        """The boards brought up to date now (the sandbox, after a jump of its clock)."""
        await self._refresh_boards()

    async def _fire_pings(self) -> tuple[int, datetime]:
        """Each ping due, oldest first, each in its own unit of work, until none is due;
        returns how many were sent and the time of the last look."""
        fired = 0
        while True:
            # A stale step is set right by fire_ping, so a round that sends nothing is the
            # last; pings that fall due meanwhile are sent in the next round.
            now = self.services.clock.now()
            sent = 0
            for step_id in await self.services.db(self._due, now):
                sent += bool(await self.services.run(steps.fire_ping, step_id, False))
            # The chats whose turn came: what waited goes, alone or as a digest.
            messages = await self.services.run(digests.send_due)
            if sent == 0 and messages == 0:
                return fired, now
            fired += sent

    async def _fire(self, context: CallbackContext) -> None:
        self._armed_at = None
        self._firing = True
        began = looked = self.services.clock.now()
        try:
            fired, looked = await self._fire_pings()
            if fired:
                await self.services.run(health.report_late_pings, began)
        finally:
            self._firing = False
            soonest = await self._soonest_all()
            if soonest is not None and soonest <= looked:
                # Due at the last look and still there: a time the rule does not fire
                # (or a failed pass). Look again in a while, not in a busy loop.
                soonest = self.services.clock.now() + RECHECK
            # Due since the last look: at once (_arm waits at least 10 ms).
            self._arm(soonest)

    async def _soonest_all(self) -> datetime | None:
        """The soonest ping of a step, or chat's turn for what waits."""
        ping = await self.services.db(self._soonest)
        turn = await self.services.run(digests.next_time)
        return min([t for t in (ping, turn) if t is not None], default=None)

    def _soonest(self) -> datetime | None:
        with self.services.sessions() as session:
            return queries.next_ping_time(session)

    def _due(self, now: datetime) -> list[int]:
        with self.services.sessions() as session:
            return queries.steps_due_for_ping(session, now, PING_BATCH)

    async def schedule_timed(self) -> None:
        """The timed jobs (the daily tracking, the weekly meeting's agenda): one job each at
        its next time, read from the database; one that fell due while the bot was down
        is posted now, once."""
        for name, _next, _post in TIMED:
            await self._schedule_timed(name)

    async def _schedule_timed(self, name: str) -> None:
        if self.job_queue is None:
            return
        for job in self.job_queue.get_jobs_by_name(name):
            job.schedule_removal()
        when = await self._post_if_due(name)
        if when is None:
            return
        delay = max(when - self.services.clock.now(), timedelta(milliseconds=10))
        self.job_queue.run_once(
            self._timed,
            when=delay,
            name=name,
            data=name,
            job_kwargs={"misfire_grace_time": None, "coalesce": True},
        )

    async def _post_if_due(self, name: str) -> datetime | None:
        """Run the timed job if its time has come; returns its next time."""
        _name, next_time, run = next(t for t in TIMED if t[0] == name)
        when = await self.services.run(next_time)
        if when is not None and when <= self.services.clock.now():
            await self.services.run(run, when)
            when = await self.services.run(next_time)
        return when

    async def _timed(self, context: CallbackContext) -> None:
        job = context.job
        assert job is not None and isinstance(job.data, str)
        await self._schedule_timed(job.data)
