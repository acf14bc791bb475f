"""What a person is in the middle of (an intake draft, a plan draft, open prompts), kept
in the database with every answer, before the reply goes out.

PTB's persistence writes user data on its own timer (once a second), so a crash in
that second would lose an answer already acknowledged. The handlers therefore keep a
person's data themselves (`keep`) before they reply; the conversations' positions are
read back from the drafts (`bot.delivery.persistence`), so an answer and the position it
leads to are one write. Filing a complaint or issuing a plan forgets its draft in the
same commit (`forget`), so a crash can never offer a filed draft again.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from bot.procedure.intake import Draft
from bot.services.uow import UnitOfWork
from storage import queries

USER, CHAT = "user", "chat"
# What the handlers keep in a person's data.
INTAKE_DRAFT = "intake_draft"
PLAN_DRAFT = "plan_draft"
PROMPTS = "step_prompts"  # prompts answered by a reply, by the prompt's message id
DRAFT_TAG = "__draft__"


def encode(data: dict[Any, Any]) -> dict[str, Any]:
    """User or chat data as JSON: drafts by their own form; what cannot be stored fails here."""
    plain = {
        str(k): {DRAFT_TAG: v.to_dict()} if isinstance(v, Draft) else copy.deepcopy(v)
        for k, v in data.items()
    }
    return dict(json.loads(json.dumps(plain)))


def decode(data: dict[str, Any]) -> dict[Any, Any]:
    return {
        k: Draft.from_dict(v[DRAFT_TAG]) if isinstance(v, dict) and DRAFT_TAG in v else v
        for k, v in data.items()
    }


@dataclass(frozen=True)
class Keep:
    """A person's data as it stands after their answer (already encoded)."""

    telegram_id: int
    data: dict[str, Any]


def keep(uow: UnitOfWork, request: Keep) -> None:
    queries.save_state(uow.session, USER, str(request.telegram_id), request.data or None)


def forget(session: Session, telegram_id: int | None, key: str) -> None:
    """Drop one entry of a person's kept data, inside the caller's transaction."""
    if telegram_id is None:
        return
    stored = queries.load_state(session, USER, str(telegram_id))
    if stored is None or key not in stored:
        return
    rest = {k: v for k, v in stored.items() if k != key}
    queries.save_state(session, USER, str(telegram_id), rest or None)


def recall(session: Session, telegram_id: int, key: str) -> Any:
    """One entry of a person's kept data, or None (the dashboard's form reads the plan
    draft the chat keeps, and the chat the form's)."""
    stored = queries.load_state(session, USER, str(telegram_id))
    return None if stored is None else stored.get(key)


def remember(session: Session, telegram_id: int, key: str, value: Any) -> None:
    """Set one entry of a person's kept data, inside the caller's transaction."""
    stored = queries.load_state(session, USER, str(telegram_id)) or {}
    queries.save_state(session, USER, str(telegram_id), {**stored, key: value})
