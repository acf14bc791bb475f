"""PTB persistence in Kesu's own database: intake drafts and open prompts survive a restart.

Bot data is not persisted (it holds nothing); jobs are rebuilt from the steps'
due times (bot.delivery.scheduler), not from here. A typed intake `Draft` in
user data is stored as its JSON form and read back as a `Draft`.

The position of a conversation whose draft says where it stands (intake, the plan) is
not stored apart: it is read back from the draft (`positions`), and the handlers keep
the draft before each reply (`bot.services.conversations`). So the answer and the
position it leads to are one write, and a crash between them cannot happen.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput

from bot.services.conversations import CHAT, PLAN_DRAFT, USER, decode, encode, recall
from bot.services.uow import Services
from storage import queries

ConversationKey = tuple[int | str, ...]
# From a person's Telegram id and data: the conversation's key and state, or None when
# they are not in it.
Position = Callable[[int, dict[Any, Any]], tuple[ConversationKey, object] | None]


def _conversation_kind(name: str) -> str:
    return f"conv:{name}"


class DatabasePersistence(BasePersistence[dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    def __init__(
        self,
        services: Services,
        positions: Mapping[str, Position] | None = None,
        update_interval: float = 1.0,
    ) -> None:
        super().__init__(
            store_data=PersistenceInput(bot_data=False, callback_data=False),
            update_interval=update_interval,
        )
        self.services = services
        self.positions = dict(positions or {})

    def _load_now(self, kind: str) -> dict[str, dict[str, Any]]:
        with self.services.sessions() as session:
            return queries.load_states(session, kind)

    def _save_now(self, kind: str, key: str, data: dict[str, Any] | None) -> None:
        with self.services.sessions.begin() as session:
            queries.save_state(session, kind, key, data)

    async def _load(self, kind: str) -> dict[str, dict[str, Any]]:
        return await self.services.db(self._load_now, kind)

    async def _save(self, kind: str, key: str, data: dict[str, Any] | None) -> None:
        await self.services.db(self._save_now, kind, key, data)

    async def get_user_data(self) -> dict[int, dict[Any, Any]]:
        return {int(k): decode(v) for k, v in (await self._load(USER)).items()}

    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        return {int(k): decode(v) for k, v in (await self._load(CHAT)).items()}

    async def get_bot_data(self) -> dict[Any, Any]:
        return {}

    async def get_callback_data(self) -> None:
        return None

    async def get_conversations(self, name: str) -> dict[ConversationKey, object]:
        position = self.positions.get(name)
        if position is not None:
            found = (position(int(k), decode(v)) for k, v in (await self._load(USER)).items())
            return dict(p for p in found if p is not None)
        stored = await self._load(_conversation_kind(name))
        return {tuple(json.loads(key)): value["state"] for key, value in stored.items()}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        if name in self.positions:
            return  # read back from the draft, which the handler kept before replying
        data = None if new_state is None else {"state": new_state}
        await self._save(_conversation_kind(name), json.dumps(list(key)), data)

    async def update_user_data(self, user_id: int, data: dict[Any, Any]) -> None:
        await self._save(USER, str(user_id), encode(data) or None)

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        await self._save(CHAT, str(chat_id), encode(data) or None)

    async def update_bot_data(self, data: dict[Any, Any]) -> None:
        return None

    async def update_callback_data(self, data: Any) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        await self._save(CHAT, str(chat_id), None)

    async def drop_user_data(self, user_id: int) -> None:
        await self._save(USER, str(user_id), None)

    async def refresh_user_data(self, user_id: int, user_data: dict[Any, Any]) -> None:
        """Before each update of theirs: the person's plan draft as the database has it,
        since the dashboard's form fills (and issues) the same draft as the chat."""
        kept = await self.services.db(self._plan_draft_now, user_id)
        if kept is None:
            user_data.pop(PLAN_DRAFT, None)
        else:
            user_data[PLAN_DRAFT] = kept

    def _plan_draft_now(self, user_id: int) -> Any:
        with self.services.sessions() as session:
            return recall(session, user_id, PLAN_DRAFT)

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict[Any, Any]) -> None:
        return None

    async def flush(self) -> None:
        return None  # every update is written when PTB hands it over
