"""Turning a change into outbox rows: who gets which message, in which language.

Routing rules come from bot.procedure.routing; this module only resolves them
to chats and people of the database and renders the templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.config import KesuConfig
from bot.i18n import N_, gettext
from bot.procedure.grading import Plant
from bot.procedure.routing import ComplaintFacts, Document, GroupChat, routes_for
from bot.render import CAPTION_LIMIT, render, render_messages, split_html
from storage import queries
from storage.models import Complaint, OutboxMessage, Person

TEMPLATES = {Document.CARD: "complaint_card.html", Document.REPORT: "disposition_report.html"}


@dataclass(frozen=True)
class Recipient:
    chat_id: int
    language: str
    document: Document


def recipients_for(session: Session, config: KesuConfig, complaint: Complaint) -> list[Recipient]:
    """Every chat a new complaint goes to, once each; a report wins over a card."""
    facts = ComplaintFacts(plant=Plant(complaint.plant), serious=complaint.is_serious)
    found: dict[int, Recipient] = {}
    for route in routes_for(facts):
        targets: list[tuple[int, str]] = []
        if isinstance(route.audience, GroupChat):
            plant = route.audience.plant.value if route.audience.plant else ""
            chat_id = queries.chat_id_for(session, route.audience.group.value, plant)
            if chat_id is not None:
                targets.append((chat_id, config.default_language))
        else:
            for person in queries.people_with_role(session, route.audience.role.value):
                targets.append((person.telegram_id, language_of(person, config)))
        for chat_id, language in targets:
            known = found.get(chat_id)
            if known is None or (
                known.document is Document.CARD and route.document is Document.REPORT
            ):
                found[chat_id] = Recipient(chat_id, language, route.document)
    return list(found.values())


def language_of(person: Person, config: KesuConfig) -> str:
    return person.language or config.default_language


def enqueue(
    session: Session,
    *,
    chat_id: int,
    method: str,
    payload: dict[str, Any],
    purpose: str,
    now: datetime,
    complaint: Complaint | None = None,
) -> OutboxMessage:
    row = OutboxMessage(
        created_at=now,
        complaint=complaint,
        chat_id=chat_id,
        method=method,
        payload=payload,
        purpose=purpose,
        status=queries.PENDING,
        attempts=0,
        next_attempt_at=now,
    )
    session.add(row)
    return row


def enqueue_intake_notifications(
    session: Session, config: KesuConfig, complaint: Complaint, now: datetime
) -> None:
    attachments = list(complaint.attachments)
    for recipient in recipients_for(session, config, complaint):
        parts = render_messages(
            TEMPLATES[recipient.document],
            recipient.language,
            c=complaint,
            tz=config.timezone,
        )
        for text in parts:
            enqueue(
                session,
                chat_id=recipient.chat_id,
                method="message",
                payload={"text": text},
                purpose=recipient.document.value,
                now=now,
                complaint=complaint,
            )
        for index, attachment in enumerate(attachments, start=1):
            caption = render(
                "attachment_caption.html",
                recipient.language,
                c=complaint,
                index=index,
                total=len(attachments),
                a=attachment,
            )
            enqueue(
                session,
                chat_id=recipient.chat_id,
                method=attachment.kind,
                payload={
                    "file_id": attachment.file_id,
                    "caption": split_html(caption, CAPTION_LIMIT)[0],
                },
                purpose="attachment",
                now=now,
                complaint=complaint,
            )


def enqueue_admin_alert(
    session: Session, config: KesuConfig, failed: OutboxMessage, now: datetime
) -> None:
    """Tell the admins a notification could not be delivered (never for admin alerts)."""
    if failed.purpose in ("admin", "task_edit"):
        return  # no alert about an alert; a failed edit leaves the old card, no news
    for admin in queries.admins(session):
        if admin.telegram_id == failed.chat_id:
            continue
        language = language_of(admin, config)
        text = render(
            "delivery_failed.html",
            language,
            row=failed,
            number=failed.complaint.number if failed.complaint else "",
            purpose=gettext(language, _PURPOSES.get(failed.purpose, failed.purpose)),
        )
        enqueue(
            session,
            chat_id=admin.telegram_id,
            method="message",
            payload={"text": split_html(text)[0]},
            purpose="admin",
            now=now,
            complaint=failed.complaint,
        )


_PURPOSES = {
    "card": N_("complaint card"),
    "report": N_("disposition report"),
    "attachment": N_("attachment"),
    "task": N_("task card"),
    "ping": N_("reminder or escalation"),
    "special_report": N_("special report"),
}
