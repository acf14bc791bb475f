"""The JobQueue only pokes: due times live in the database.

Each open step with a time limit has one job, named deadline:<step id>:<kind>
after the ping it will send; the daily tracking of plan items has one,
tracking:daily, and the weekly meeting's agenda, meeting:weekly, at their next times
after their last runs (the event log keeps them). When it fires it re-reads the step (the service
does nothing if the step moved on); at start-up the jobs are rebuilt from the
database. The unit of work hands the new ping times of the steps it touched to
`Delivery.schedule` after each commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from telegram.ext import CallbackContext, JobQueue

from bot.procedure.pings import kind_of
from bot.services import exports, meetings, plans, steps, summary
from bot.services.uow import Services, StepPlan, UnitOfWork
from storage import queries

if TYPE_CHECKING:
    from bot.delivery.sender import OutboxSender

log = logging.getLogger(__name__)


TRACKING_JOB = "tracking:daily"
WEEKLY_JOB = "meeting:weekly"
MONTH_END_JOB = "register:month_end"
SUMMARY_JOB = "summary:weekly"
# Timed jobs: (job name, when it is due next, what it runs with its due time). Their
# times live in the event log (each run leaves an event), not in the job queue.
TIMED: tuple[tuple[str, Callable[[UnitOfWork], datetime | None], Callable[..., object]], ...] = (
    (TRACKING_JOB, plans.next_tracking, plans.post_tracking),
    (WEEKLY_JOB, meetings.next_weekly_agenda, meetings.post_weekly_agenda),
    (MONTH_END_JOB, exports.next_month_end, exports.post_month_end),
    (SUMMARY_JOB, summary.next_weekly_summary, summary.post_weekly_summary),
)


def job_name(step_id: int, kind: str) -> str:
    return f"deadline:{step_id}:{kind}"


class Delivery:
    """After a commit: poke the sender, bring the step jobs in line (bot.services.uow.AfterCommit)."""

    def __init__(self, services: Services, job_queue: JobQueue | None) -> None:
        self.services = services
        self.job_queue = job_queue
        self.sender: OutboxSender | None = None

    def poke_sender(self) -> None:
        if self.sender is not None:
            self.sender.poke()

    def schedule(self, plans: dict[int, StepPlan]) -> None:
        if self.job_queue is None:
            return
        for step_id, plan in plans.items():
            self._drop(step_id)
            if plan.at is not None:
                self._add(step_id, plan.at, plan.pings_sent)

    def _drop(self, step_id: int) -> None:
        assert self.job_queue is not None
        prefix = f"deadline:{step_id}:"
        for job in self.job_queue.jobs():
            if job.name and job.name.startswith(prefix):
                job.schedule_removal()

    def _add(self, step_id: int, when: datetime, pings_sent: int) -> None:
        assert self.job_queue is not None
        kind = kind_of(pings_sent, self.services.config.ping_policy()).value
        # A delay from Kesu's clock, not a wall-clock time: the sandbox's clock runs ahead.
        delay = max(when - self.services.clock.now(), timedelta(milliseconds=10))
        self.job_queue.run_once(
            self._fire,
            when=delay,
            name=job_name(step_id, kind),
            data=step_id,
            # Run however late: a busy loop or a restart must not drop a reminder.
            job_kwargs={"misfire_grace_time": None, "coalesce": True},
        )

    async def rebuild(self) -> int:
        """At start-up (and when the clock jumps): one job per open step with a limit, and
        the daily tracking's."""
        if self.job_queue is None:
            return 0
        pending = await self.services.db(self._pending)
        self.schedule({step_id: StepPlan(when, sent) for step_id, when, sent in pending})
        await self.schedule_timed()
        log.info("scheduled %d deadline jobs from the database", len(pending))
        return len(pending)

    async def next_due(self) -> datetime | None:
        """When the next reminder, escalation or daily tracking falls due (the sandbox's
        clock jumps there)."""
        pending = await self.services.db(self._pending)
        timed = [await self.services.run(next_time) for _name, next_time, _run in TIMED]
        return min([when for _, when, _ in pending] + [t for t in timed if t], default=None)

    async def fire_due(self) -> int:
        """Send every ping (and the timed jobs) due by Kesu's clock now, without the jobs."""
        now = self.services.clock.now()
        fired = 0
        for step_id, when, _sent in await self.services.db(self._pending):
            if when <= now and await self.services.run(steps.fire_ping, step_id):
                fired += 1
        for _name, next_time, run in TIMED:
            due = await self.services.run(next_time)
            if due is not None and due <= now:
                await self.services.run(run, due)
                fired += 1
        return fired

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

    def _pending(self) -> list[tuple[int, datetime, int]]:
        with self.services.sessions() as session:
            return queries.steps_to_ping(session)

    async def _fire(self, context: CallbackContext) -> None:
        job = context.job
        assert job is not None and isinstance(job.data, int)
        # The unit of work reschedules the step (or drops its job) after commit.
        fired = await self.services.run(steps.fire_ping, job.data)
        if not fired:
            # Stale: nothing sent, nothing changed; make sure the job matches the step.
            plan = await self.services.db(self._plan, job.data)
            self.schedule({job.data: plan})

    def _plan(self, step_id: int) -> StepPlan:
        with self.services.sessions() as session:
            found = queries.next_ping_of(session, step_id)
        return StepPlan(*found) if found else StepPlan(None, 0)
