"""Signatures that say what they mean (bot/procedure/signatures.py), kept with the act
that made them, in the same unit of work as its event."""

from __future__ import annotations

from bot.procedure.signatures import Meaning
from bot.services.events import Actor
from bot.services.uow import UnitOfWork
from storage.models import Complaint, Event, PlanItem, Signature, SpecialReport, Step


def sign(
    uow: UnitOfWork,
    actor: Actor,
    complaint: Complaint,
    meaning: Meaning,
    event: Event,
    *,
    step: Step | None = None,
    item: PlanItem | None = None,
    report: SpecialReport | None = None,
) -> Signature | None:
    """Who signed, when, with what meaning, and what; none without a person (the
    scheduler or an admin's tool signs nothing)."""
    if actor.person is None:
        return None
    signature = Signature(
        complaint=complaint,
        meaning=meaning,
        signed_by=actor.person,
        signed_at=uow.now,
        step=step,
        plan_item=item,
        report_id=report.id if report is not None else None,
        event_id=event.id,
    )
    uow.session.add(signature)
    return signature
