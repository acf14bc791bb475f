"""Notices: what a change tells whom, turned into outbox rows inside its transaction.

A `Notice` names its method, purpose, recipients and how to render its payload
in a language; `post` renders it once per language and adds one outbox row per
recipient and part. Who the recipients are comes from one resolver,
`recipients`, over the audiences of bot.procedure.routing.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.config import KesuConfig
from bot.procedure.intake import FileKind
from bot.procedure.routing import Audience, GroupChat, Named, Person
from bot.services.uow import UnitOfWork
from bot.views import notices
from bot.views.i18n import N_
from bot.views.models import Message
from storage import queries
from storage.models import Complaint, DeliveryStatus, Method, OutboxMessage, Purpose
from storage.models import Person as PersonRow


@dataclass(frozen=True)
class Recipient:
    chat_id: int
    language: str


def language_of(person: PersonRow, config: KesuConfig) -> str:
    return person.language or config.default_language


def recipients(
    session: Session, config: KesuConfig, audiences: Iterable[Audience]
) -> list[Recipient]:
    """The chats of these audiences, once each, in order; groups read the default language."""
    found: dict[int, Recipient] = {}
    for audience in audiences:
        if isinstance(audience, GroupChat):
            chat_id = queries.chat_id_for(session, audience.group, audience.plant)
            if chat_id is not None:
                found.setdefault(chat_id, Recipient(chat_id, config.default_language))
            continue
        people: Iterable[PersonRow]
        if isinstance(audience, Person):
            people = queries.people_with_role(session, audience.role)
        else:
            assert isinstance(audience, Named)
            person = queries.person_by_id(session, audience.person_id)
            people = [person] if person is not None and person.active else []
        for person in people:
            found.setdefault(
                person.telegram_id, Recipient(person.telegram_id, language_of(person, config))
            )
    return list(found.values())


def language_of_chat(session: Session, config: KesuConfig, chat_id: int) -> str:
    """A private chat reads its person's language; a group the default one."""
    if chat_id < 0:
        return config.default_language
    person = queries.person_by_telegram_id(session, chat_id)
    return language_of(person, config) if person else config.default_language


@dataclass(frozen=True)
class FilePayload:
    """A file to send: one Telegram already has (file_id), or one Kesu made (content,
    uploaded by the sender: the month-end register, a chart)."""

    file_id: str
    caption: str
    content: bytes | None = None
    file_name: str | None = None


Payload = Message | FilePayload


@dataclass
class Notice:
    """One notification for several recipients, rendered once per language."""

    purpose: Purpose
    to: list[Recipient]
    render: Callable[[str], Sequence[Payload]]  # language -> the parts to send
    method: Method = Method.MESSAGE
    complaint: Complaint | None = None
    step_id: int | None = None  # a task card is remembered, so changes edit it
    edit_of: dict[int, int] = field(default_factory=dict)  # chat id -> card row, for EDIT
    not_before: datetime | None = None  # held for quiet hours until then


def file_notice(
    purpose: Purpose,
    to: list[Recipient],
    file_id: str,
    kind: FileKind,
    caption: Callable[[str], str],
    complaint: Complaint | None = None,
) -> Notice:
    """A photo or document that people sent (a report, minutes) sent on, captioned in each
    reader's language."""
    return Notice(
        purpose,
        to,
        lambda language: [FilePayload(file_id, caption(language))],
        method=Method(kind.value),
        complaint=complaint,
    )


def post(session: Session, notice: Notice, now: Any) -> list[OutboxMessage]:
    rendered: dict[str, Sequence[Payload]] = {}
    rows: list[OutboxMessage] = []
    for recipient in notice.to:
        if recipient.language not in rendered:
            rendered[recipient.language] = notice.render(recipient.language)
        for part in rendered[recipient.language]:
            payload: dict[str, Any]
            if isinstance(part, FilePayload) and part.content is not None:
                # Kept in the row, so a restart still sends it (files Kesu makes are small).
                upload = base64.b64encode(part.content).decode("ascii")
                payload = {"upload": upload, "file_name": part.file_name, "caption": part.caption}
            elif isinstance(part, FilePayload):
                payload = {"file_id": part.file_id, "caption": part.caption}
            else:
                payload = {"text": part.text}
                if part.keyboard:
                    payload["keyboard"] = part.keyboard
            if notice.method is Method.EDIT:
                payload["edit_of"] = notice.edit_of[recipient.chat_id]
            row = OutboxMessage(
                created_at=now,
                complaint=notice.complaint,
                step_id=notice.step_id,
                chat_id=recipient.chat_id,
                method=notice.method,
                payload=payload,
                purpose=notice.purpose,
                status=DeliveryStatus.PENDING,
                attempts=0,
                next_attempt_at=notice.not_before or now,
            )
            session.add(row)
            rows.append(row)
    return rows


# What the admins' alert calls each kind of notification.
PURPOSE_NAMES = {
    Purpose.CARD: N_("complaint card"),
    Purpose.REPORT: N_("disposition report"),
    Purpose.ATTACHMENT: N_("attachment"),
    Purpose.TASK: N_("task card"),
    Purpose.PING: N_("reminder or escalation"),
    Purpose.SPECIAL_REPORT: N_("special report"),
    Purpose.RESULT: N_("step result"),
    Purpose.CLOSURE: N_("closure card"),
    Purpose.SUGGESTION: N_("suggestion"),
    Purpose.MEETING: N_("meeting"),
    Purpose.BOARD: N_("board"),
}


def admin_recipients(session: Session, config: KesuConfig) -> list[Recipient]:
    """The active admins, each in their language."""
    return [Recipient(a.telegram_id, language_of(a, config)) for a in queries.admins(session)]


def alert_admins(session: Session, config: KesuConfig, failed: OutboxMessage, now: Any) -> None:
    """Tell the admins a notification could not be delivered (never for admin alerts)."""
    if failed.purpose in (Purpose.ADMIN, Purpose.TASK_EDIT, Purpose.BOARD, Purpose.BOARD_EDIT):
        # No alert about an alert; a failed edit leaves the old card, no news; a board
        # that cannot go is posted again or said by `kesu doctor`.
        return
    to = [r for r in admin_recipients(session, config) if r.chat_id != failed.chat_id]
    number = failed.complaint.number if failed.complaint else ""
    name = PURPOSE_NAMES.get(failed.purpose, failed.purpose.value)
    post(
        session,
        Notice(
            Purpose.ADMIN,
            to,
            lambda language: [
                Message(
                    notices.delivery_failed(
                        number, name, failed.chat_id, failed.last_error or "", language
                    )
                )
            ],
            complaint=failed.complaint,
        ),
        now,
    )


def alert_file_not_kept(
    session: Session,
    config: KesuConfig,
    complaint: Complaint | None,
    file_name: str,
    error: str,
    now: Any,
) -> None:
    """Tell the admins a file could not be downloaded into Kesu's store."""
    to = admin_recipients(session, config)
    number = complaint.number if complaint else ""

    def render(language: str) -> list[Payload]:
        return [Message(notices.file_not_kept(number, file_name, error, language))]

    post(session, Notice(Purpose.ADMIN, to, render, complaint=complaint), now)


@dataclass(frozen=True)
class Posted:
    """A message put in the outbox: to which chat, why, and how it opens."""

    chat_id: int
    purpose: str
    opening: str  # its first lines, as plain text


def outbox_mark(uow: UnitOfWork) -> int:
    """Where the outbox stands now: `posted_since` lists what comes after."""
    return queries.last_outbox_id(uow.session)


def posted_since(uow: UnitOfWork, mark: int, limit: int = 200) -> list[Posted]:
    """What went into the outbox after `mark`, oldest first, each by its first three lines (a ping's kind, its step, its complaint)
    (edits of cards left out: they change a message already there)."""
    found = []
    for row in queries.outbox_after(uow.session, mark, limit):
        if row.method is Method.EDIT:
            continue
        text = str(row.payload.get("text") or row.payload.get("caption") or "")
        lines = html.unescape(re.sub(r"<[^>]+>", "", text)).split("\n")
        said = " · ".join([line.strip() for line in lines if line.strip()][:3])
        found.append(Posted(row.chat_id, row.purpose.value, said[:200]))
    return found
