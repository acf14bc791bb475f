"""A Bot API emulator on 127.0.0.1 with Telegram's limits and habits.

It speaks the methods Kesu uses over real HTTP, so the real PTB Application can
be tested offline, and it refuses what Telegram refuses: bad HTML (400 "can't
parse entities"), texts over 4096 characters, callback data over 64 bytes, a
private chat with someone who never started the bot (403), sends past the rate
limits (429 with retry_after). In groups it keeps privacy mode: a bot that is
not an admin sees only commands, replies to its own messages and button presses.

People and groups are driven from Python (tests) or from /_emulator/* (JSON).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import math
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp
from aiohttp import web

from bot.sandbox.emulator.html import EntityError, parse, utf16_length

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
# A button's address: Telegram opens these schemes; a Mini App only over HTTPS.
URL_SCHEMES = ("http", "https", "tg")
MENU_TYPES = ("commands", "web_app", "default")
ANSWER_TEXT_LIMIT = 200
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile refuses what a bot may not download


class ApiError(Exception):
    def __init__(
        self,
        code: int,
        description: str,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id


@dataclass
class RateLimits:
    """Sends allowed per window, as (seconds, count) pairs."""

    # One a second in a private chat, bursts of three aside (Telegram's FAQ: "avoid
    # sending more than one message per second"; short bursts pass, then 429).
    private: tuple[tuple[float, int], ...] = ((1.0, 3), (3.0, 3))
    group: tuple[tuple[float, int], ...] = ((60.0, 20),)
    overall: tuple[tuple[float, int], ...] = ((1.0, 30),)


@dataclass
class SentMessage:
    """A message in a chat as the emulator keeps it (the bot's or a person's)."""

    message_id: int
    chat_id: int
    from_id: int
    text: str = ""  # visible text
    html: str = ""  # what the bot sent, before parsing
    kind: str = "text"  # text | photo | document
    file_id: str | None = None
    file_name: str | None = None
    reply_markup: dict[str, Any] | None = None
    reply_to: int | None = None
    date: int = 0
    edits: int = 0
    # When it was written, on this process's monotonic clock (the benchmarks' latencies).
    at: float = field(default_factory=time.monotonic)

    @property
    def buttons(self) -> list[tuple[str, str]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


@dataclass
class Chat:
    id: int
    type: str  # private | group | supergroup
    title: str | None = None
    bot_is_admin: bool = False
    bot_is_member: bool = True
    migrated_to: int | None = None  # a group upgraded to a supergroup: its new id
    messages: dict[int, SentMessage] = field(default_factory=dict)
    pinned: list[int] = field(default_factory=list)  # pinned message ids, the latest last
    next_id: Callable[[], int] = field(default_factory=lambda: itertools.count(1).__next__)


@dataclass
class Webhook:
    """setWebhook's address, as Telegram keeps it, and the last failure to post there."""

    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None
    last_error_date: int | None = None
    last_error_message: str | None = None
    delivered: int = 0


# Telegram posts to HTTPS on these ports only.
WEBHOOK_PORTS = (443, 80, 88, 8443)
SECRET_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


class Emulator:
    def __init__(
        self,
        token: str = "123456789:TEST-kesu-token",
        bot_username: str = "kesu_test_bot",
        limits: RateLimits | None = None,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":")[0])
        self.bot_username = bot_username
        self.limits = limits or RateLimits()
        self.users: dict[int, dict[str, Any]] = {}
        self.started: set[int] = set()
        self.chats: dict[int, Chat] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self.updates: list[dict[str, Any]] = []
        self.callback_answers: dict[str, dict[str, Any] | None] = {}
        self.commands: dict[str, list[dict[str, str]]] = {}
        # setChatMenuButton: a private chat's menu button, None the default of all chats.
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []  # every Bot API call, in order
        self.refusals: list[tuple[str, int, str]] = []  # (method, code, description)
        self._update_ids = itertools.count(1)
        self._new_update = asyncio.Condition()
        self._sends: dict[int | None, deque[float]] = {}
        self.refused: int = 0  # sends refused with 429 (the benchmarks count them)
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self.fail_next: list[tuple[str, int, str]] = []  # (method, code, description) to inject
        # Chats Telegram cannot deliver to for now (a fault the tests inject): 500 to any
        # call that names them, until taken out.
        self.outages: set[int] = set()
        # Called with a chat id whenever a message in it is added or changed (the sandbox
        # page's live updates).
        self.observers: list[Callable[[int], None]] = []
        # Seconds since the epoch for message dates; the sandbox sets its own clock here.
        self.now: Callable[[], float] = time.time
        # Webhook mode: the address set, and the reverse proxy in front of the bot (public
        # HTTPS prefix -> the local address it forwards to), which tests set up.
        self.webhook: Webhook | None = None
        self.proxies: dict[str, str] = {}
        self._poster: asyncio.Task[None] | None = None
        # Who may drive it (/_emulator/*, and the sandbox's page): whoever holds this
        # per-start token (a header, or the page's cookie). Hosts it answers: loopback
        # names only, so that a web page cannot reach it by DNS rebinding.
        self.control_token = secrets.token_urlsafe(24)
        self.allowed_hosts: set[str] | None = set(LOOPBACK_NAMES)  # None: any (forced)
        # Paths driven by the token besides /_emulator/ (the sandbox adds /sandbox/).
        self.guarded: tuple[str, ...] = ("/_emulator/",)

    # Life cycle ---------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every chat, file, update and call; people and groups are added again."""
        self.users.clear()
        self.started.clear()
        self.chats.clear()
        self.files.clear()
        self.updates.clear()
        self.callback_answers.clear()
        self.calls.clear()
        self.refusals.clear()
        self._sends.clear()
        self.menu_buttons.clear()

    def _changed(self, chat_id: int) -> None:
        for observer in list(self.observers):
            observer(chat_id)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=60 * 1024 * 1024, middlewares=[self._guard])
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.*}", self._handle_file)
        app.router.add_post("/_emulator/{action}", self._handle_control)
        app.router.add_get("/_emulator/chats/{chat_id}", self._handle_chat_view)
        return app

    @web.middleware
    async def _guard(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        """Every request: a Host this server is known by (no DNS rebinding); a control
        request: the per-start token, and on a POST a JSON body from this very origin
        (a web page elsewhere can neither read the token nor send JSON here unasked)."""
        host = (request.host or "").lower()
        if self.allowed_hosts is not None and _host_name(host) not in self.allowed_hosts:
            return web.json_response({"ok": False, "description": "unknown Host"}, status=403)
        if request.path.startswith(self.guarded):
            given = request.headers.get(TOKEN_HEADER) or request.cookies.get(TOKEN_COOKIE, "")
            if not secrets.compare_digest(given.encode(), self.control_token.encode()):
                return web.json_response({"ok": False, "description": "no token"}, status=403)
            if request.method not in ("GET", "HEAD"):
                origin = request.headers.get("Origin")
                if origin is not None and origin.lower() != f"{request.scheme}://{host}":
                    return web.json_response(
                        {"ok": False, "description": "cross-origin request"}, status=403
                    )
                if request.cookies.get(TOKEN_COOKIE) and origin is None:
                    # The page's browser always says where a POST comes from.
                    return web.json_response({"ok": False, "description": "no Origin"}, status=403)
                if request.can_read_body and request.content_type != "application/json":
                    return web.json_response({"ok": False, "description": "JSON only"}, status=415)
        response: web.StreamResponse = await handler(request)
        return response

    async def start(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        setup: Callable[[web.Application], None] | None = None,
    ) -> str:
        """Serve the Bot API; `setup` may add routes of its own (the sandbox page). A
        host that is not loopback answers by that name too (the operator forced it)."""
        if host in ("0.0.0.0", "::", ""):
            self.allowed_hosts = None  # every address: the operator forced it, warned
        elif self.allowed_hosts is not None:
            self.allowed_hosts.add(_host_name(host.lower()))
        app = self.app()
        if setup is not None:
            setup(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None)
        assert sockets
        actual_port = sockets[0].getsockname()[1]
        self.base_url = f"http://{host}:{actual_port}"
        return self.base_url

    async def stop(self) -> None:
        await self._stop_posting()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def api_base_url(self) -> str:
        return f"{self.base_url}/bot"

    @property
    def file_base_url(self) -> str:
        return f"{self.base_url}/file/bot"

    # The world: people, groups, what they do ---------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str,
        language_code: str = "zh-hans",
        username: str | None = None,
    ) -> dict[str, Any]:
        user = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": language_code,
        }
        if username:
            user["username"] = username
        self.users[user_id] = user
        return user

    def add_group(self, chat_id: int, title: str, *, bot_is_admin: bool = False) -> Chat:
        chat = Chat(
            chat_id,
            "supergroup" if str(chat_id).startswith("-100") else "group",
            title=title,
            bot_is_admin=bot_is_admin,
        )
        self.chats[chat_id] = chat
        return chat

    async def upgrade_group(self, chat_id: int, by_user: int, *, announce: bool = True) -> int:
        """A group becomes a supergroup with a new id, as Telegram does when a group gets
        bigger or an admin changes certain settings. Sending to the old id then fails with
        migrate_to_chat_id; the two service messages (in the old chat, migrate_to_chat_id;
        in the new one, migrate_from_chat_id) reach the bot unless `announce` is False.
        Returns the new id."""
        old = self.chats[chat_id]
        new_id = -1001000000000 - (abs(chat_id) % 1000000000) - 500000
        self.chats[new_id] = Chat(
            new_id,
            "supergroup",
            title=old.title,
            bot_is_admin=old.bot_is_admin,
            bot_is_member=old.bot_is_member,
        )
        old.migrated_to = new_id
        if announce:
            for chat, key, other in (
                (old, "migrate_to_chat_id", new_id),
                (self.chats[new_id], "migrate_from_chat_id", chat_id),
            ):
                message = SentMessage(chat.next_id(), chat.id, by_user, date=int(self.now()))
                chat.messages[message.message_id] = message
                await self._push(
                    {
                        "message": {
                            "message_id": message.message_id,
                            "from": self.users[by_user],
                            "chat": self._chat_json(chat),
                            "date": message.date,
                            key: other,
                        }
                    }
                )
        return new_id

    def _private(self, user_id: int) -> Chat:
        chat = self.chats.get(user_id)
        if chat is None:
            chat = self.chats[user_id] = Chat(user_id, "private")
        return chat

    def _chat_json(self, chat: Chat) -> dict[str, Any]:
        if chat.type == "private":
            user = self.users[chat.id]
            return {"id": chat.id, "type": "private", "first_name": user["first_name"]}
        return {"id": chat.id, "type": chat.type, "title": chat.title}

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Kesu",
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def user_sends(
        self,
        user_id: int,
        text: str | None = None,
        *,
        chat_id: int | None = None,
        reply_to: int | None = None,
        photo: bool = False,
        document: tuple[str, str, int] | None = None,  # (file name, mime type, size)
        caption: str | None = None,
        media_group_id: str | None = None,
        content: bytes | None = None,  # the file's bytes, where a page uploaded them
    ) -> SentMessage:
        """A person writes in a chat (their private chat with the bot by default)."""
        user = self.users[user_id]
        chat = self._private(user_id) if chat_id is None else self.chats[chat_id]
        if chat.type == "private":
            self.started.add(user_id)  # writing to the bot at all means pressing Start
        message = SentMessage(
            chat.next_id(),
            chat.id,
            user_id,
            text=text or "",
            reply_to=reply_to,
            date=int(self.now()),
        )
        payload: dict[str, Any] = {
            "message_id": message.message_id,
            "from": user,
            "chat": self._chat_json(chat),
            "date": message.date,
        }
        if text is not None:
            payload["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                payload["entities"] = [
                    {"type": "bot_command", "offset": 0, "length": utf16_length(command)}
                ]
        if photo:
            size = len(content) if content is not None else 1280 * 960 // 10
            file_id = self._register_file("photo", size, "photos/file.jpg", content)
            message.kind, message.file_id = "photo", file_id
            unique = self.files[file_id]["file_unique_id"]
            payload["photo"] = [
                {
                    "file_id": file_id + "-s",
                    "file_unique_id": unique + "s",
                    "width": 90,
                    "height": 67,
                    "file_size": 1200,
                },
                {
                    "file_id": file_id,
                    "file_unique_id": unique,
                    "width": 1280,
                    "height": 960,
                    "file_size": self.files[file_id]["file_size"],
                },
            ]
            self.files[file_id + "-s"] = dict(self.files[file_id], file_size=1200)
        if document is not None:
            name, mime, size = document
            file_id = self._register_file("document", size, f"documents/{name}", content)
            message.kind, message.file_id = "document", file_id
            message.file_name = name
            payload["document"] = {
                "file_id": file_id,
                "file_unique_id": self.files[file_id]["file_unique_id"],
                "file_name": name,
                "mime_type": mime,
                "file_size": size,
            }
        if caption is not None:
            payload["caption"] = caption
            message.text = caption
        if media_group_id is not None:
            payload["media_group_id"] = media_group_id
        if reply_to is not None and reply_to in chat.messages:
            payload["reply_to_message"] = self._message_json(chat, chat.messages[reply_to])
        chat.messages[message.message_id] = message
        self._changed(chat.id)
        if self._bot_sees(chat, message, text):
            await self._push({"message": payload})
        return message

    def _bot_sees(self, chat: Chat, message: SentMessage, text: str | None) -> bool:
        if chat.type == "private" or chat.bot_is_admin:
            return True
        if not chat.bot_is_member:
            return False
        if text and text.startswith("/"):
            command = text.split()[0]
            return "@" not in command or command.endswith("@" + self.bot_username)
        if message.reply_to is not None:
            replied = chat.messages.get(message.reply_to)
            return replied is not None and replied.from_id == self.bot_id
        return False

    async def press(
        self, user_id: int, chat_id: int, message_id: int, data: str, *, forged: bool = False
    ) -> str:
        """A person presses an inline button; returns the callback query id. `forged`:
        data no button of the message carries, as a forger's own client would send; a
        bot must answer it as cleanly as any (the attacks of the hardening tests)."""
        chat = self.chats[chat_id]
        message = chat.messages[message_id]
        if not forged and data not in {d for _, d in message.buttons}:
            raise ValueError(f"no button {data!r} on message {message_id}")
        if len(data.encode()) > 64:
            raise ValueError("callback data over 64 bytes: no client can send it")
        query_id = secrets.token_hex(8)
        self.callback_answers[query_id] = None
        await self._push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self.users[user_id],
                    "message": self._message_json(chat, message),
                    "chat_instance": str(chat_id),
                    "data": data,
                }
            }
        )
        return query_id

    def _register_file(self, kind: str, size: int, path: str, content: bytes | None = None) -> str:
        file_id = f"{kind[:3].upper()}-{secrets.token_hex(10)}"
        self.files[file_id] = {
            "kind": kind,
            "file_unique_id": secrets.token_hex(6),
            "file_size": size,
            "file_path": path,
            "content": content,
        }
        return file_id

    async def _push(self, update: dict[str, Any]) -> None:
        update["update_id"] = next(self._update_ids)
        async with self._new_update:
            self.updates.append(update)
            self._new_update.notify_all()

    # Reading what happened -----------------------------------------------------------

    def bot_messages(self, chat_id: int) -> list[SentMessage]:
        chat = self.chats.get(chat_id)
        if chat is None:
            return []
        return [m for m in chat.messages.values() if m.from_id == self.bot_id]

    def last_bot_message(self, chat_id: int) -> SentMessage:
        messages = self.bot_messages(chat_id)
        if not messages:
            raise LookupError(f"the bot sent nothing to {chat_id}")
        return messages[-1]

    # Bot API -------------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        params = await _params(request)
        self.calls.append((method, params))
        handler = getattr(self, f"api_{method.lower()}", None)
        if handler is None:
            return _error(404, "Not Found")
        try:
            for index, (name, code, description) in enumerate(self.fail_next):
                if name.lower() == method.lower():
                    del self.fail_next[index]
                    raise ApiError(code, description, 1 if code == 429 else None)
            result = await handler(params)
        except ApiError as error:
            self.refusals.append((method, error.code, error.description))
            return _error(
                error.code, error.description, error.retry_after, error.migrate_to_chat_id
            )
        return web.json_response({"ok": True, "result": result})

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        for info in self.files.values():
            if info["file_path"] == path:
                content = info.get("content")
                if content is not None:
                    return web.Response(body=content)
                return web.Response(body=b"\0" * min(info["file_size"], 1024))
        return web.Response(status=404)

    async def api_getme(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._bot_user()

    async def api_getchat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._target(params)  # refused as a send to it would be
        full = {**self._chat_json(chat), "accent_color_id": 0, "max_reaction_count": 11}
        if chat.pinned:
            full["pinned_message"] = self._message_json(chat, chat.messages[chat.pinned[-1]])
        return full

    def _may_pin(self, chat: Chat) -> None:
        # A bot pins in a private chat; in a group only as an admin with the right to.
        if chat.type != "private" and not chat.bot_is_admin:
            raise ApiError(
                400, "Bad Request: not enough rights to manage pinned messages in the chat"
            )

    async def api_pinchatmessage(self, params: dict[str, Any]) -> bool:
        chat = self._target(params)
        self._may_pin(chat)
        message_id = int(params.get("message_id") or 0)
        if message_id not in chat.messages:
            raise ApiError(400, "Bad Request: message to pin not found")
        self._rate_check(chat, count_in_chat=False)
        if message_id in chat.pinned:
            chat.pinned.remove(message_id)
        chat.pinned.append(message_id)
        self._changed(chat.id)
        return True

    async def api_unpinchatmessage(self, params: dict[str, Any]) -> bool:
        chat = self._target(params)
        self._may_pin(chat)
        self.unpin(chat.id, int(params["message_id"]) if params.get("message_id") else None)
        return True

    def unpin(self, chat_id: int, message_id: int | None = None) -> None:
        """Someone unpins a message (the latest pinned when None)."""
        chat = self.chats[chat_id]
        if not chat.pinned:
            return
        chat.pinned.remove(message_id if message_id in chat.pinned else chat.pinned[-1])
        self._changed(chat_id)

    def delete_message(self, chat_id: int, message_id: int) -> None:
        """Someone deletes a message of the bot's (an admin in a group, anyone in private)."""
        chat = self.chats[chat_id]
        chat.messages.pop(message_id, None)
        if message_id in chat.pinned:
            chat.pinned.remove(message_id)
        self._changed(chat_id)

    async def api_getchatmember(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._target(params)
        try:
            user_id = int(params["user_id"])
        except (KeyError, ValueError):
            raise ApiError(400, "Bad Request: invalid user_id specified") from None
        if user_id == self.bot_id:
            user = self._bot_user()
            admin = chat.bot_is_admin
        elif user_id in self.users:
            user, admin = self.users[user_id], False
        else:
            raise ApiError(400, "Bad Request: user not found")
        if not admin:
            return {"status": "member", "user": user}
        rights = [
            "can_be_edited",
            "can_manage_chat",
            "can_delete_messages",
            "can_manage_video_chats",
            "can_restrict_members",
            "can_promote_members",
            "can_change_info",
            "can_invite_users",
            "can_post_stories",
            "can_edit_stories",
            "can_delete_stories",
        ]
        return {
            "status": "administrator",
            "user": user,
            "is_anonymous": False,
            "can_pin_messages": True,  # optional in the Bot API: groups and supergroups
        } | {right: right not in ("can_be_edited", "can_promote_members") for right in rights}

    # Webhook mode -------------------------------------------------------------------

    def reverse_proxy(self, public: str, local: str) -> None:
        """A request to the public HTTPS prefix reaches the local address (the proxy that
        terminates TLS in front of the bot)."""
        self.proxies[public.rstrip("/")] = local.rstrip("/")

    async def api_setwebhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url") or "")
        if not url:
            await self.api_deletewebhook(params)
            return True
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            raise ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        if (parts.port or 443) not in WEBHOOK_PORTS:
            raise ApiError(
                400,
                "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443",
            )
        secret = params.get("secret_token")
        if secret is not None and (
            not 1 <= len(str(secret)) <= 256 or not set(str(secret)) <= SECRET_ALPHABET
        ):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        connections = int(params.get("max_connections") or 40)
        if not 1 <= connections <= 100:
            raise ApiError(400, "Bad Request: bad webhook: max_connections must be 1-100")
        if params.get("drop_pending_updates") in (True, "true", "True"):
            self.updates.clear()
        allowed = _json(params.get("allowed_updates")) if params.get("allowed_updates") else None
        await self._stop_posting()
        self.webhook = Webhook(url, str(secret) if secret else None, connections, allowed)
        self._poster = asyncio.create_task(self._post_updates(self.webhook))
        return True

    async def api_deletewebhook(self, params: dict[str, Any]) -> bool:
        await self._stop_posting()
        self.webhook = None
        if params.get("drop_pending_updates") in (True, "true", "True"):
            self.updates.clear()
        return True

    async def api_getwebhookinfo(self, params: dict[str, Any]) -> dict[str, Any]:
        hook = self.webhook
        info: dict[str, Any] = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates),
        }
        if hook is not None:
            info["max_connections"] = hook.max_connections
            if hook.allowed_updates is not None:
                info["allowed_updates"] = hook.allowed_updates
            if hook.last_error_date is not None:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
        return info

    async def _stop_posting(self) -> None:
        if self._poster is not None:
            self._poster.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poster
            self._poster = None

    def _forwarded(self, url: str) -> str | None:
        for public, local in self.proxies.items():
            if url == public or url.startswith(public + "/"):
                return local + url[len(public) :]
        return None

    async def _post_updates(self, hook: Webhook) -> None:
        """Telegram's side of a webhook: each update in order, POSTed as JSON with the secret
        token in its header, until the bot answers 2xx; a failure is kept for
        getWebhookInfo and the update is tried again later."""
        headers = (
            {"X-Telegram-Bot-Api-Secret-Token": hook.secret_token} if hook.secret_token else {}
        )
        retry = 0.1
        # A connection per post: nothing stays open to a bot that stops.
        connector = aiohttp.TCPConnector(force_close=True)
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as client:
            while True:
                async with self._new_update:
                    await self._new_update.wait_for(lambda: bool(self.updates))
                    update = self.updates[0]
                target = self._forwarded(hook.url)
                error = None
                if target is None:
                    error = "Connection refused"  # nothing answers at that address
                else:
                    try:
                        async with client.post(target, json=update, headers=headers) as answer:
                            if not 200 <= answer.status < 300:
                                error = f"Wrong response from the webhook: {answer.status} {answer.reason}"
                    except (aiohttp.ClientError, TimeoutError) as failure:
                        error = f"Connection failed: {failure.__class__.__name__}"
                if error is None:
                    if self.updates and self.updates[0] is update:
                        self.updates.pop(0)
                    hook.delivered += 1
                    retry = 0.1
                    continue
                hook.last_error_date, hook.last_error_message = int(self.now()), error
                await asyncio.sleep(retry)
                retry = min(retry * 2, 2.0)

    async def api_setmycommands(self, params: dict[str, Any]) -> bool:
        commands = _json(params.get("commands"))
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands must be a list of at most 100")
        for command in commands:
            name, description = command.get("command", ""), command.get("description", "")
            if (
                not (1 <= len(name) <= 32)
                or not name.replace("_", "").isalnum()
                or name.lower() != name
            ):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not (1 <= len(description) <= 256):
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[params.get("language_code") or ""] = commands
        return True

    async def api_setchatmenubutton(self, params: dict[str, Any]) -> bool:
        """The button beside a private chat's text field (or every chat's default)."""
        button = _json(params.get("menu_button")) or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in MENU_TYPES:
            raise ApiError(400, "Bad Request: can't parse menu button")
        chat_id = params.get("chat_id")
        if chat_id is not None:
            chat = self._target(params)
            if chat.type != "private":
                raise ApiError(400, "Bad Request: chat is not private")
        if button["type"] == "web_app":
            if not str(button.get("text", "")).strip():
                raise ApiError(400, "Bad Request: BUTTON_TEXT_INVALID")
            _https_web_app(button.get("web_app"))
        self.menu_buttons[int(chat_id) if chat_id is not None else None] = button
        return True

    async def api_getchatmenubutton(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        key = int(chat_id) if chat_id is not None else None
        return self.menu_buttons.get(key) or self.menu_buttons.get(None) or {"type": "default"}

    def web_app_init_data(self, user_id: int, start_param: str | None = None) -> str:
        """What Telegram hands a Mini App opened by this user: their profile and the
        moment, signed with the key derived from the bot's token (Bot API, "Validating
        data received via the Mini App")."""
        user = self.users[user_id]
        profile = {k: user[k] for k in ("id", "first_name", "language_code") if k in user}
        fields = {
            "user": json.dumps(profile, ensure_ascii=False, separators=(",", ":")),
            "auth_date": str(int(self.now())),
            "query_id": secrets.token_urlsafe(12),
        }
        if start_param:
            fields["start_param"] = start_param
        check = "\n".join(f"{k}={fields[k]}" for k in sorted(fields)).encode()
        key = hmac.new(b"WebAppData", self.token.encode(), hashlib.sha256).digest()
        fields["hash"] = hmac.new(key, check, hashlib.sha256).hexdigest()
        return urlencode(fields)

    async def api_getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = min(int(params.get("limit") or 100), 100)
        timeout = float(params.get("timeout") or 0)
        if offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        deadline = time.monotonic() + timeout
        async with self._new_update:
            while not self.updates:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    await asyncio.wait_for(self._new_update.wait(), remaining)
                except TimeoutError:
                    break
        return self.updates[:limit]

    def _target(self, params: dict[str, Any]) -> Chat:
        try:
            chat_id = int(params["chat_id"])
        except (KeyError, ValueError):
            raise ApiError(400, "Bad Request: chat not found") from None
        if chat_id in self.outages:
            raise ApiError(500, "Internal Server Error")
        if chat_id > 0:
            if chat_id not in self.users:
                raise ApiError(400, "Bad Request: chat not found")
            if chat_id not in self.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
            return self._private(chat_id)
        chat = self.chats.get(chat_id)
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        if chat.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=chat.migrated_to,
            )
        if not chat.bot_is_member:
            raise ApiError(403, "Forbidden: bot is not a member of the supergroup chat")
        return chat

    def forget_sends(self) -> None:
        """Forget the sends counted for the rate limits (the sandbox's past)."""
        self._sends.clear()

    def _rate_check(self, chat: Chat, *, count_in_chat: bool = True) -> None:
        """Refuse a send past the limits (429). An edit or a pin counts in all only."""
        now = time.monotonic()
        windows = self.limits.private if chat.type == "private" else self.limits.group
        keys: list[tuple[int | None, tuple[tuple[float, int], ...]]] = [(None, self.limits.overall)]
        if count_in_chat:
            keys.insert(0, (chat.id, windows))
        for key, limits in keys:
            sends = self._sends.setdefault(key, deque())
            longest = max(seconds for seconds, _ in limits)
            while sends and now - sends[0] > longest:
                sends.popleft()
            for seconds, count in limits:
                recent = [t for t in sends if now - t < seconds]
                if len(recent) >= count:
                    wait = max(1, math.ceil(seconds - (now - recent[-count])))
                    self.refused += 1
                    raise ApiError(429, f"Too Many Requests: retry after {wait}", wait)
        for key, _limits in keys:
            self._sends[key].append(now)

    def _text(
        self, params: dict[str, Any], key: str, limit: int, *, required: bool
    ) -> tuple[str, str]:
        source = params.get(key)
        if source is None or source == "":
            if required:
                raise ApiError(400, "Bad Request: message text is empty")
            return "", ""
        source = str(source)
        visible = source
        if (params.get("parse_mode") or "").upper() == "HTML":
            try:
                visible = parse(source)
            except EntityError as exc:
                raise ApiError(400, f"Bad Request: {exc}") from None
        if required and not visible.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_length(visible) > limit:
            what = "message is too long" if key == "text" else "message caption is too long"
            raise ApiError(400, f"Bad Request: {what}")
        return source, visible

    def _markup(self, params: dict[str, Any], chat: Chat) -> dict[str, Any] | None:
        markup = _json(params.get("reply_markup"))
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if not str(button.get("text", "")).strip():
                    raise ApiError(400, "Bad Request: BUTTON_TEXT_INVALID")
                data = button.get("callback_data")
                if data is not None and not (1 <= len(str(data).encode()) <= CALLBACK_DATA_LIMIT):
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if "web_app" in button:
                    # A Mini App button: private chats only, and an HTTPS address.
                    if chat.type != "private":
                        raise ApiError(400, "Bad Request: BUTTON_TYPE_INVALID")
                    _https_web_app(button["web_app"])
                if "url" in button and urlsplit(str(button["url"])).scheme not in URL_SCHEMES:
                    raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")
        return markup

    def _message_json(self, chat: Chat, message: SentMessage) -> dict[str, Any]:
        sender = self._bot_user() if message.from_id == self.bot_id else self.users[message.from_id]
        payload: dict[str, Any] = {
            "message_id": message.message_id,
            "from": sender,
            "chat": self._chat_json(chat),
            "date": message.date,
        }
        if message.kind == "text":
            payload["text"] = message.text
        else:
            if message.text:
                payload["caption"] = message.text
            info = self.files.get(message.file_id or "", {})
            if message.kind == "photo":
                payload["photo"] = [
                    {
                        "file_id": message.file_id,
                        "file_unique_id": info.get("file_unique_id", "x"),
                        "width": 1280,
                        "height": 960,
                    }
                ]
            else:
                payload["document"] = {
                    "file_id": message.file_id,
                    "file_unique_id": info.get("file_unique_id", "x"),
                }
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            payload["reply_markup"] = message.reply_markup
        if message.edits:
            payload["edit_date"] = int(self.now())
        return payload

    async def api_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._target(params)
        source, visible = self._text(params, "text", MESSAGE_LIMIT, required=True)
        markup = self._markup(params, chat)
        self._rate_check(chat)
        reply = _json(params.get("reply_parameters")) or {}
        message = SentMessage(
            chat.next_id(),
            chat.id,
            self.bot_id,
            text=visible,
            html=source,
            reply_markup=markup,
            reply_to=reply.get("message_id"),
            date=int(self.now()),
        )
        chat.messages[message.message_id] = message
        self._changed(chat.id)
        return self._message_json(chat, message)

    async def _send_file(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        chat = self._target(params)
        file_ref = params.get(kind)
        if isinstance(file_ref, bytes | bytearray):
            name = str(params.get("_filename_" + kind) or "upload")
            file_id = self._register_file(kind, len(file_ref), f"{kind}s/{name}", bytes(file_ref))
        else:
            file_id = str(file_ref or "")
            info = self.files.get(file_id)
            if info is None:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            if info["kind"] != kind:
                raise ApiError(
                    400,
                    f"Bad Request: type of file mismatch: can't use file of type {info['kind'].title()} as {kind.title()}",
                )
        source, visible = self._text(params, "caption", CAPTION_LIMIT, required=False)
        markup = self._markup(params, chat)
        self._rate_check(chat)
        message = SentMessage(
            chat.next_id(),
            chat.id,
            self.bot_id,
            text=visible,
            html=source,
            kind=kind,
            file_id=file_id,
            file_name=self.files[file_id]["file_path"].rsplit("/", 1)[-1],
            reply_markup=markup,
            date=int(self.now()),
        )
        chat.messages[message.message_id] = message
        self._changed(chat.id)
        return self._message_json(chat, message)

    async def api_sendphoto(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._send_file(params, "photo")

    async def api_senddocument(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._send_file(params, "document")

    async def api_sendmediagroup(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """An album: 2 to 10 photos, or 2 to 10 documents (documents group only with
        documents), each with its own caption."""
        self._target(params)  # the chat exists and the bot may write there
        media = _json(params.get("media"))
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise ApiError(400, "Bad Request: wrong number of media in the album")
        kinds = {item.get("type") for item in media if isinstance(item, dict)}
        if not kinds <= {"photo", "document"} or len(kinds) != 1:
            raise ApiError(400, "Bad Request: documents can't be mixed with other media types")
        for item in media:  # check every item before sending any, as Telegram does
            file_id = str(item.get("media") or "")
            info = self.files.get(file_id)
            if info is None or info["kind"] != item["type"]:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            self._text(item, "caption", CAPTION_LIMIT, required=False)
        sent = []
        for item in media:
            single = {**item, "chat_id": params["chat_id"], item["type"]: item["media"]}
            sent.append(await self._send_file(single, item["type"]))
        return sent

    def _own_message(self, params: dict[str, Any]) -> tuple[Chat, SentMessage]:
        chat = self._target(params)
        try:
            message = chat.messages[int(params.get("message_id") or 0)]
        except KeyError:
            raise ApiError(400, "Bad Request: message to edit not found") from None
        if message.from_id != self.bot_id:
            raise ApiError(400, "Bad Request: message can't be edited")
        return chat, message

    async def api_editmessagetext(self, params: dict[str, Any]) -> dict[str, Any]:
        chat, message = self._own_message(params)
        self._rate_check(chat, count_in_chat=False)
        source, visible = self._text(params, "text", MESSAGE_LIMIT, required=True)
        markup = self._markup(params, chat)
        if message.kind != "text":
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        if visible == message.text and source == message.html and markup == message.reply_markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
            )
        message.text, message.html, message.reply_markup = visible, source, markup
        message.edits += 1
        self._changed(chat.id)
        return self._message_json(chat, message)

    async def api_editmessagereplymarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        chat, message = self._own_message(params)
        markup = self._markup(params, chat)
        if markup == message.reply_markup or (not markup and not message.reply_markup):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
            )
        message.reply_markup = markup
        message.edits += 1
        self._changed(chat.id)
        return self._message_json(chat, message)

    async def api_answercallbackquery(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id"))
        if query_id not in self.callback_answers:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        if self.callback_answers[query_id] is not None:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        text = params.get("text") or ""
        if len(text) > ANSWER_TEXT_LIMIT:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self.callback_answers[query_id] = {
            "text": text,
            "show_alert": _bool(params.get("show_alert")),
        }
        return True

    async def api_getfile(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = str(params.get("file_id"))
        info = self.files.get(file_id)
        if info is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if info["file_size"] > DOWNLOAD_LIMIT:
            raise ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": file_id,
            "file_unique_id": info["file_unique_id"],
            "file_size": info["file_size"],
            "file_path": info["file_path"],
        }

    # Control API for the sandbox ------------------------------------------------------

    async def _handle_control(self, request: web.Request) -> web.Response:
        action = request.match_info["action"]
        body = await request.json() if request.can_read_body else {}
        try:
            if action == "user":
                result: Any = self.add_user(
                    int(body["id"]), body["first_name"], body.get("language_code", "zh-hans")
                )
            elif action == "group":
                chat = self.add_group(
                    int(body["id"]), body["title"], bot_is_admin=bool(body.get("bot_is_admin"))
                )
                result = self._chat_json(chat)
            elif action == "send":
                message = await self.user_sends(
                    int(body["user_id"]),
                    body.get("text"),
                    chat_id=body.get("chat_id"),
                    reply_to=body.get("reply_to"),
                    photo=bool(body.get("photo")),
                )
                result = {"message_id": message.message_id}
            elif action == "unpin":
                self.unpin(int(body["chat_id"]), body.get("message_id"))
                result = True
            elif action == "delete":
                self.delete_message(int(body["chat_id"]), int(body["message_id"]))
                result = True
            elif action == "press":
                result = {
                    "callback_query_id": await self.press(
                        int(body["user_id"]),
                        int(body["chat_id"]),
                        int(body["message_id"]),
                        str(body["data"]),
                        forged=bool(body.get("forged")),
                    )
                }
            else:
                return web.json_response({"ok": False, "description": "unknown action"}, status=404)
        except (KeyError, ValueError) as exc:
            return web.json_response({"ok": False, "description": str(exc)}, status=400)
        return web.json_response({"ok": True, "result": result})

    async def _handle_chat_view(self, request: web.Request) -> web.Response:
        """A chat's messages; `?since=ID`: from that message on (a bench asking often
        for the newest must not make the emulator encode a whole history each time)."""
        chat = self.chats.get(int(request.match_info["chat_id"]))
        if chat is None:
            return web.json_response({"ok": False, "description": "no such chat"}, status=404)
        since = int(request.query.get("since", "0") or 0)
        return web.json_response(
            {
                "ok": True,
                "result": [
                    {
                        "message_id": m.message_id,
                        "from_id": m.from_id,
                        "kind": m.kind,
                        "text": m.text,
                        "html": m.html,
                        "buttons": m.buttons,
                        "at": m.at,
                    }
                    for m in chat.messages.values()
                    if m.message_id >= since
                ],
            }
        )


LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
TOKEN_HEADER = "X-Kesu-Token"
TOKEN_COOKIE = "kesu_sandbox"


def _host_name(host: str) -> str:
    """The name of a Host header without its port ("127.0.0.1:8080", "[::1]:80")."""
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _error(
    code: int, description: str, retry_after: int | None = None, migrate_to: int | None = None
) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    if migrate_to is not None:
        body["parameters"] = {"migrate_to_chat_id": migrate_to}
    return web.json_response(body, status=code)


def _https_web_app(web_app: Any) -> None:
    url = web_app.get("url") if isinstance(web_app, dict) else None
    if not isinstance(url, str) or urlsplit(url).scheme != "https" or not urlsplit(url).netloc:
        raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise ApiError(400, "Bad Request: can't parse JSON") from None
    return value


def _bool(value: Any) -> bool:
    return value in (True, "true", "True", "1", 1)


async def _params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if request.method != "POST" or not request.can_read_body:
        return params
    content_type = request.content_type
    if content_type == "application/json":
        params.update(await request.json())
    elif content_type == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            name = getattr(part, "name", None)
            if name is None:
                continue
            if getattr(part, "filename", None):
                params[name] = bytes(await part.read())  # type: ignore[union-attr]
                params["_filename_" + name] = part.filename  # type: ignore[union-attr]
            else:
                params[name] = await part.text()  # type: ignore[union-attr]
    else:
        params.update(dict(await request.post()))
    return params


async def serve_forever(host: str, port: int) -> None:
    emulator = Emulator()
    url = await emulator.start(host, port)
    print(
        f"Bot API emulator at {url}/bot (token {emulator.token}) control {emulator.control_token}",
        flush=True,
    )
    await asyncio.Event().wait()
