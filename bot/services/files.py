"""Files people send, kept in Kesu's own store as well as by Telegram's file id.

A use case that records a file marks it to be kept (`keep`), in its own transaction;
after the commit the keeper (bot.delivery.keeper) downloads it. Whoever needs a file
Telegram has forgotten reads it back here (`read_kept`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.procedure.intake import FileKind
from bot.services.uow import UnitOfWork
from storage import queries
from storage.files import FileStore
from storage.models import KeepStatus


@dataclass(frozen=True)
class KeptContent:
    kind: FileKind
    file_name: str | None
    content: bytes


def keep(
    session: Session,
    now: datetime,
    file_id: str | None,
    kind: FileKind | None,
    *,
    complaint_id: int | None = None,
    file_name: str | None = None,
    mime_type: str | None = None,
) -> None:
    if file_id and kind is not None:
        queries.keep_file(
            session,
            file_id,
            kind,
            now,
            file_name=file_name,
            mime_type=mime_type,
            complaint_id=complaint_id,
        )


def read_kept(session: Session, store: FileStore, file_id: str) -> KeptContent | None:
    """The file's bytes from the store; None when it was never kept or is gone."""
    kept = queries.kept_file(session, file_id)
    if kept is None or kept.status is not KeepStatus.KEPT or kept.path is None:
        return None
    content = store.read(kept.path, kept.sha256)
    if content is None:
        return None
    return KeptContent(kept.kind, kept.file_name or kept.path.rsplit("/", 1)[-1], content)


def kept_copies(uow: UnitOfWork, file_ids: list[str]) -> dict[str, KeptContent]:
    """Kesu's own copies of these files (those it kept), for a resend Telegram refused."""
    store = FileStore(uow.config.files.store)
    found = {}
    for file_id in file_ids:
        kept = read_kept(uow.session, store, file_id)
        if kept is not None:
            found[file_id] = kept
    return found


def forgotten(error: str) -> bool:
    """Telegram's answer to a file id it no longer has (or never had)."""
    text = error.lower()
    return "wrong file identifier" in text or "file_id" in text or "file reference" in text
