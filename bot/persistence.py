"""PTB persistence in Kesu's own database: intake drafts and open prompts survive a restart.

Bot data is not persisted (it holds the live services); jobs are rebuilt from
the steps' due times (bot.deadlines), not from here.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from storage import queries

USER, CHAT = "user", "chat"


def _conversation_kind(name: str) -> str:
    return f"conv:{name}"


class DatabasePersistence(BasePersistence[dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    def __init__(self, sessions: sessionmaker[Session], update_interval: float = 1.0) -> None:
        super().__init__(
            store_data=PersistenceInput(bot_data=False, callback_data=False),
            update_interval=update_interval,
        )
        self.sessions = sessions

    def _load(self, kind: str) -> dict[str, dict[str, Any]]:
        with self.sessions() as session:
            return queries.load_states(session, kind)

    def _save(self, kind: str, key: str, data: dict[str, Any] | None) -> None:
        with self.sessions.begin() as session:
            # JSON round trip: what cannot be stored fails here, not at the next start.
            queries.save_state(
                session, kind, key, None if data is None else json.loads(json.dumps(data))
            )

    async def get_user_data(self) -> dict[int, dict[Any, Any]]:
        return {int(k): v for k, v in self._load(USER).items()}

    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        return {int(k): v for k, v in self._load(CHAT).items()}

    async def get_bot_data(self) -> dict[Any, Any]:
        return {}

    async def get_callback_data(self) -> CDCData | None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        stored = self._load(_conversation_kind(name))
        return {tuple(json.loads(key)): value["state"] for key, value in stored.items()}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        data = None if new_state is None else {"state": new_state}
        self._save(_conversation_kind(name), json.dumps(list(key)), data)

    async def update_user_data(self, user_id: int, data: dict[Any, Any]) -> None:
        self._save(USER, str(user_id), copy.deepcopy(data) or None)

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        self._save(CHAT, str(chat_id), copy.deepcopy(data) or None)

    async def update_bot_data(self, data: dict[Any, Any]) -> None:
        return None

    async def update_callback_data(self, data: CDCData) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        self._save(CHAT, str(chat_id), None)

    async def drop_user_data(self, user_id: int) -> None:
        self._save(USER, str(user_id), None)

    async def refresh_user_data(self, user_id: int, user_data: dict[Any, Any]) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict[Any, Any]) -> None:
        return None

    async def flush(self) -> None:
        return None  # every update is written when PTB hands it over
