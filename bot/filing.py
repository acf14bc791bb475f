"""Registering a confirmed complaint: one transaction holds the number, the register
row, the event-log entry and the outbox rows of every notification it causes.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from bot.config import KesuConfig
from bot.events import Actor, log_event
from bot.notify import enqueue_intake_notifications
from bot.procedure.grading import Demand, Grade, Plant, grade_for, is_return, is_serious
from bot.procedure.numbering import format_number
from bot.workflow import start_procedure
from storage import queries
from storage.models import Attachment, Complaint, Customer


def occurrence_time(
    occurred_on: date | None, received_at: datetime, config: KesuConfig
) -> datetime:
    """Tocc: the start of the day the customer found the problem, never after T0."""
    if occurred_on is None:
        return received_at
    start = datetime.combine(occurred_on, time(0, 0), tzinfo=config.tz)
    return min(start, received_at)


def register_complaint(
    session: Session,
    config: KesuConfig,
    answers: dict[str, Any],
    actor: Actor,
    now: datetime,
) -> Complaint:
    """Create the complaint from intake answers. The caller commits."""
    assert actor.person is not None
    demands = [Demand(d) for d in answers["demands"]]
    grade: Grade = grade_for(demands)
    returned = is_return(demands)
    received_at = datetime.fromisoformat(answers["received_at"])

    customer = _customer(session, answers, now)
    year = received_at.astimezone(config.tz).year
    sequence = queries.next_sequence(session, year)
    quantity, unit = answers["quantity"]
    occurred_on = answers.get("occurred_on")

    complaint = Complaint(
        number=format_number(year, sequence),
        year=year,
        sequence=sequence,
        received_at=received_at,
        occurred_at=occurrence_time(
            date.fromisoformat(occurred_on) if occurred_on else None, received_at, config
        ),
        customer=customer,
        customer_name=customer.name,
        customer_class=customer.customer_class,
        contact_phone=answers["contact_phone"],
        content=answers["content"],
        demands=",".join(d.value for d in demands),
        grade=grade.value,
        is_batch=bool(answers["batch"]),
        is_recurring=bool(answers["recurring"]),
        is_return=returned,
        is_serious=is_serious(
            grade,
            batch=bool(answers["batch"]),
            recurring=bool(answers["recurring"]),
            returned=returned,
        ),
        plant=Plant(answers["plant"]).value,
        product_name=answers["product_name"],
        specification=answers["specification"],
        quantity=Decimal(quantity),
        quantity_unit=unit,
        delivery_date=date.fromisoformat(answers["delivery_date"]),
        description=answers["description"],
        status=queries.OPEN,
        filed_by=actor.person,
        created_at=now,
    )
    session.add(complaint)
    for item in answers.get("attachments", []):
        complaint.attachments.append(Attachment(**item))
    session.flush()
    log_event(
        session,
        actor,
        "registered",
        now,
        complaint,
        number=complaint.number,
        grade=complaint.grade,
        serious=complaint.is_serious,
        plant=complaint.plant,
    )
    enqueue_intake_notifications(session, config, complaint, now)
    start_procedure(session, config, complaint, actor, now)
    return complaint


def _customer(session: Session, answers: dict[str, Any], now: datetime) -> Customer:
    customer_id = answers.get("customer_id")
    if customer_id is not None:
        customer = session.get(Customer, customer_id)
        if customer is not None:
            return customer
    name = answers["customer"]
    existing = queries.customer_by_name(session, name)
    if existing is not None:
        return existing
    customer = Customer(
        name=name,
        customer_class=answers["customer_class"],
        contact_phone=answers["contact_phone"],
        created_at=now,
    )
    session.add(customer)
    return customer
