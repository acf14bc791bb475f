"""The JobQueue only pokes: due times live in the database.

Each open step with a time limit has one job, named deadline:<step id>:<kind>
after the ping it will send. When it fires it re-reads the step and does
nothing if the step moved on; at start-up the jobs are rebuilt from the database.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from telegram.ext import ContextTypes, JobQueue

from bot.events import Actor
from bot.procedure.pings import kind_of
from bot.services import Services, services
from bot.workflow import fire_ping
from storage import queries

log = logging.getLogger(__name__)

SCHEDULER = Actor(None, None, "scheduler")


def job_name(step_id: int, kind: str) -> str:
    return f"deadline:{step_id}:{kind}"


def _drop(job_queue: JobQueue, step_id: int) -> None:
    prefix = f"deadline:{step_id}:"
    for job in job_queue.jobs():
        if job.name and job.name.startswith(prefix):
            job.schedule_removal()


def schedule(
    job_queue: JobQueue,
    svc: Services,
    step_id: int,
    when: datetime,
    pings_sent: int,
) -> None:
    _drop(job_queue, step_id)
    kind = kind_of(pings_sent, svc.config.ping_policy()).value
    at = max(when, svc.clock.now() + timedelta(milliseconds=10))
    job_queue.run_once(
        fire,
        when=at,
        name=job_name(step_id, kind),
        data=step_id,
        # Run however late: a busy loop or a restart must not drop a reminder.
        job_kwargs={"misfire_grace_time": None, "coalesce": True},
    )


def reschedule(job_queue: JobQueue | None, svc: Services, step_ids: Iterable[int]) -> None:
    """Bring the jobs of these steps in line with the database."""
    if job_queue is None:
        return
    with svc.sessions() as session:
        plans = {step_id: queries.next_ping_of(session, step_id) for step_id in step_ids}
    for step_id, plan in plans.items():
        if plan is None or plan[0] is None:
            _drop(job_queue, step_id)
        else:
            schedule(job_queue, svc, step_id, plan[0], plan[1])


def rebuild(job_queue: JobQueue | None, svc: Services) -> int:
    """At start-up: one job per open step with a limit, from the database."""
    if job_queue is None:
        return 0
    with svc.sessions() as session:
        pending = queries.steps_to_ping(session)
    for step_id, when, pings_sent in pending:
        schedule(job_queue, svc, step_id, when, pings_sent)
    log.info("scheduled %d deadline jobs from the database", len(pending))
    return len(pending)


async def fire(context: ContextTypes.DEFAULT_TYPE) -> None:
    job = context.job
    assert job is not None and isinstance(job.data, int)
    svc = services(context)
    with svc.sessions.begin() as session:
        sent = fire_ping(session, svc.config, job.data, svc.clock.now(), SCHEDULER)
    if sent:
        svc.poke_sender()
    reschedule(context.job_queue, svc, [job.data])
