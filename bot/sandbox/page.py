"""`kesu sandbox`: the emulator, the real bot and a messenger page in one process.

The bot is the same Application, handlers, engine and sender as `kesu run`,
pointed at the emulator and reading the sandbox's clock; nothing in the
handlers or the engine knows it is in a sandbox. The page is served by the
emulator's own web server: plain HTML, CSS and JavaScript shipped in
`bot/sandbox/static/`, no build step, no library. New messages reach the page
as server-sent events.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import shutil
import sqlite3
import tempfile
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import Engine

from bot.app import Kesu, build
from bot.config import parse_config
from bot.delivery.pacing import Limits
from bot.delivery.scheduler import Delivery
from bot.procedure.bounds import parse_id
from bot.procedure.grading import Plant
from bot.procedure.roles import Role
from bot.sandbox import demo
from bot.sandbox.clock import SandboxClock
from bot.sandbox.emulator.server import TOKEN_COOKIE, Emulator, RateLimits, SentMessage
from bot.services import company, notices, steps
from bot.views import labels
from bot.views.i18n import gettext
from bot.webapp.server import PREFIX, Dashboard
from storage import db, queries

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
# The people list in the procedure's order (the roles' own), in sections the page names.
_SECTION = {
    Role.SALES: "sales",
    Role.QC: "quality",
    Role.TECH: "quality",
    Role.PRODUCTION: "production",
    Role.EQUIPMENT: "support",
    Role.PURCHASING: "support",
    Role.HR: "support",
    Role.VP_EXEC: "leadership",
    Role.VP_PRODUCTION: "leadership",
    Role.VP_MARKETING: "leadership",
    Role.GM: "leadership",
}
LEADING = (Role.VP_EXEC, Role.VP_PRODUCTION)  # a plant's VP leads its plans
# At most this many reminders and escalations are sent in one jump of the clock.
MAX_PINGS_PER_JUMP = 2000
MAX_LISTED = 200  # of what a jump sent, the page lists at most this many


class Sandbox:
    def __init__(self, database: Path, *, fresh: bool = False, named: bool = False) -> None:
        self.database = database
        # The person named this file (--db): a reset keeps the old one beside it.
        self.named = named
        self.fresh = fresh or not database.exists()
        if fresh:
            _remove(database)
        self.emulator = Emulator()
        # The page's API, like the emulator's, answers only whoever holds the per-start
        # token: the page gets it as a same-site cookie when it is loaded.
        self.emulator.guarded = ("/_emulator/", "/sandbox/")
        self.clock = SandboxClock()
        self.kesu: Kesu | None = None
        self.engine: Engine | None = None
        self.restored = False  # started from a saved database: older chats are not shown
        self.language = "zh_CN"
        self._listeners: set[asyncio.Queue[dict[str, Any]]] = set()
        self._busy = asyncio.Lock()
        self.emulator.observers.append(lambda chat_id: self._publish({"chat": chat_id}))
        # Messages are dated by company time, as the people in the sandbox live it.
        self.emulator.now = lambda: self.clock.now().timestamp()
        # The dashboard (a Mini App) on the page's own server, as Telegram would open it:
        # its requests carry initData the emulator signs with the sandbox bot's token.
        self.board = Dashboard(None, self.emulator.token)

    # Life cycle -------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 8080) -> str:
        url = await self.emulator.start(host, port, setup=self._routes)
        await self._start_bot(seed=self.fresh)
        return url

    async def stop(self) -> None:
        await self._stop_bot()
        self._publish({"stop": True})  # open pages let go, so the server stops at once
        await asyncio.sleep(0)
        await self.emulator.stop()

    def _world(self) -> None:
        emulator = self.emulator
        code = "en" if self.language == "en" else "zh-hans"
        for member in demo.PEOPLE:
            emulator.add_user(member.telegram_id, member.name, code)
            emulator.started.add(member.telegram_id)  # everyone has pressed Start
        for group_id, (title, _members) in demo.GROUPS.items():
            # An admin of each group, as the README asks: it pins the group's board there.
            emulator.add_group(group_id, title, bot_is_admin=True)

    async def _start_bot(self, *, seed: bool) -> None:
        self._world()
        url = f"sqlite:///{self.database}"
        files = f"{self.database}.files"  # the kept files, beside the database
        config = parse_config(
            demo.config_data(url, self.emulator.base_url, self.emulator.token, files)
        )
        self.engine = db.make_engine(url)
        self.kesu = kesu = build(
            config, engine=self.engine, clock=self.clock, dashboard_server=False
        )
        self.board.services_now = kesu.services
        if seed:
            demo.seed(kesu.services, self.clock)
        else:
            self.restored = True
        if self.language == "en":
            kesu.services.call(company.set_language, "en")
        app = kesu.application
        await app.initialize()
        assert app.post_init is not None and app.updater is not None
        await app.post_init(app)
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        if seed:
            await self._deliver_the_past()
        self._publish({"world": True})

    def _unsent(self) -> int:
        """Chats with a message due and not delivered yet."""
        assert self.kesu is not None
        now = self.clock.now()
        with self.kesu.services.sessions() as session:
            return sum(1 for _chat, due in queries.chats_with_unsent(session, now) if due <= now)

    async def _deliver_the_past(self) -> None:
        """The demo's day and its messages happened over hours: they are delivered at once,
        the limits lifted, so the newcomer's first minute is not spent behind them at a
        group's 20 messages a minute. Telegram's limits hold from then on."""
        assert self.kesu is not None
        with self.limits_lifted():
            self._delivery().poke_sender()
            for _ in range(600):  # a minute at most
                if not await self.kesu.services.db(self._unsent):
                    break
                await asyncio.sleep(0.1)

    @contextlib.contextmanager
    def limits_lifted(self) -> Iterator[None]:
        """Telegram's limits lifted, in the emulator and in Kesu's pacing, for what is not
        about Telegram's pace (the demo's past, a benchmark's warm-up); afterwards the
        sends made meanwhile are forgotten."""
        delivery = self._delivery()
        assert delivery.sender is not None
        pacing, limits = delivery.sender.pacing, delivery.sender.pacing.limits
        kept = self.emulator.limits
        self.emulator.limits = RateLimits(
            private=((1.0, 10**6),), group=((1.0, 10**6),), overall=((1.0, 10**6),)
        )
        pacing.limits = Limits(overall=(1.0, 10**6), group=(1.0, 10**6), private=(1.0, 10**6))
        try:
            yield
        finally:
            self.emulator.limits = kept
            pacing.limits = limits
            pacing.forget()
            self.emulator.forget_sends()

    async def _stop_bot(self) -> None:
        kesu, self.kesu = self.kesu, None
        if kesu is not None:
            app = kesu.application
            assert app.updater is not None and app.post_shutdown is not None
            await app.updater.stop()
            await app.stop()
            if app.post_stop is not None:
                await app.post_stop(app)
            await app.shutdown()
            await app.post_shutdown(app)
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None

    async def reset(self) -> None:
        """Fresh demo data: a new database, empty chats, the clock back at the wall clock.
        A database the person named is kept beside (`<name>.before-reset`), not deleted."""
        async with self._busy:
            await self._stop_bot()
            self.emulator.reset()
            if self.named:
                _set_aside(self.database)
            _remove(self.database)
            self.clock = SandboxClock()
            self.restored = False
            await self._start_bot(seed=True)

    # The clock ---------------------------------------------------------------------------

    def _delivery(self) -> Delivery:
        assert self.kesu is not None
        delivery = self.kesu.services.after_commit
        assert isinstance(delivery, Delivery)
        return delivery

    async def next_due(self) -> Any:
        return await self._delivery().next_due()

    async def next_limit(self) -> Any:
        assert self.kesu is not None
        return await self.kesu.services.run(steps.next_limit)

    async def advance(self, delta: timedelta | None = None, *, to: str = "ping") -> int:
        """Move the clock forward by `delta`; or, when None, to the next time a step's
        limit runs out (`to="limit"`) or to the next ping of any kind (`to="ping"`).

        Every reminder and escalation on the way goes out at its own time, in
        order, as it would have in real life; then the jobs are planned anew.
        """
        async with self._busy:
            delivery = self._delivery()
            if delta is None:
                due = await (self.next_limit() if to == "limit" else delivery.next_due())
                if due is None:
                    return 0
                target = max(due, self.clock.now())
            else:
                target = self.clock.now() + delta
            sent = 0
            while sent < MAX_PINGS_PER_JUMP:
                due = await delivery.next_due()
                if due is None or due > target:
                    break
                if due > self.clock.now():
                    self.clock.set(due)
                fired = await delivery.fire_due()
                sent += fired
                # A job of the scheduler may have sent the same ping a moment before (it
                # moved on); only a due time that does not move at all ends the walk.
                if fired == 0 and await delivery.next_due() == due:
                    break
            if target > self.clock.now():
                self.clock.set(target)
            await delivery.refresh_boards()
            await delivery.rebuild()
            delivery.poke_sender()
            self._publish({"clock": True})
            return sent

    # Live updates --------------------------------------------------------------------

    def _publish(self, event: dict[str, Any]) -> None:
        for queue in list(self._listeners):
            queue.put_nowait(event)

    @contextlib.asynccontextmanager
    async def _listen(self) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._listeners.add(queue)
        try:
            yield queue
        finally:
            self._listeners.discard(queue)

    # The page's API ------------------------------------------------------------------

    def _routes(self, app: web.Application) -> None:
        app.router.add_get("/", self._index)
        app.router.add_static("/static/", STATIC)
        app.router.add_get("/sandbox/world", self._get_world)
        app.router.add_get("/sandbox/chats/{chat_id}", self._get_chat)
        app.router.add_get("/sandbox/events", self._events)
        app.router.add_get("/sandbox/files/{file_id}", self._get_file)
        app.router.add_get("/sandbox/database", self._get_database)
        app.router.add_post("/sandbox/send", self._send)
        app.router.add_post("/sandbox/press", self._press)
        app.router.add_post("/sandbox/clock", self._clock)
        app.router.add_post("/sandbox/reset", self._reset)
        app.router.add_post("/sandbox/language", self._set_language)
        app.router.add_get("/sandbox/webapp", self._open_webapp)
        self.board.mount(app)

    async def _open_webapp(self, request: web.Request) -> web.Response:
        """A person opens the dashboard (its menu button, a button or a link): what
        Telegram would hand the Mini App, for the page to open it beside the chat."""
        user_id = parse_id(request.query.get("user", ""))
        if user_id is None or user_id not in self.emulator.users:
            raise web.HTTPBadRequest(text="unknown user")
        start = request.query.get("start", "")[:64] or None
        init_data = self.emulator.web_app_init_data(user_id, start)
        return web.json_response({"init_data": init_data, "url": f"{PREFIX}/"})

    async def _index(self, request: web.Request) -> web.FileResponse:
        response = web.FileResponse(STATIC / "index.html")
        # SameSite=Strict: a page of another site never sends it; HttpOnly: no script
        # reads it. Every /sandbox/ request of the page carries it.
        response.set_cookie(
            TOKEN_COOKIE, self.emulator.control_token, httponly=True, samesite="Strict"
        )
        return response

    async def _get_world(self, request: web.Request) -> web.Response:
        next_due = await self.next_due() if self.kesu is not None else None
        next_limit = await self.next_limit() if self.kesu is not None else None
        people = [
            {
                "id": m.telegram_id,
                "name": m.name,
                "role": {
                    language: gettext(language, labels.ROLES[Role(m.role)])
                    for language in ("zh_CN", "en")
                },
                # Which plant they work at, or lead: "黄务", "主管黄务".
                "plant_note": {
                    language: self._plant_note(m, language) for language in ("zh_CN", "en")
                },
                "section": _SECTION[Role(m.role)],
                "plant": m.plant,
                "groups": demo.groups_of(m.telegram_id),
            }
            for m in sorted(demo.PEOPLE, key=lambda m: list(Role).index(Role(m.role)))
        ]
        groups = [
            {"id": group_id, "title": title, "members": list(members)}
            for group_id, (title, members) in demo.GROUPS.items()
        ]
        return web.json_response(
            {
                "people": people,
                "groups": groups,
                "now": self.clock.now().isoformat(),
                "timezone": "Asia/Shanghai",
                "next_due": next_due.isoformat() if next_due else None,  # the next ping
                "next_limit": next_limit.isoformat() if next_limit else None,
                "restored": self.restored,
                "language": self.language,
                # A reset asks to confirm this name when the person chose the file.
                "database": self.database.name if self.named else None,
            }
        )

    @staticmethod
    def _plant_note(member: demo.Member, language: str) -> str:
        if member.plant is None:
            return ""
        plant = gettext(language, labels.PLANT_SHORT[Plant(member.plant)])
        if Role(member.role) in LEADING:
            return gettext(language, "leads {plant}", plant=plant)
        return plant

    def _message(self, message: SentMessage) -> dict[str, Any]:
        emulator = self.emulator
        from_bot = message.from_id == emulator.bot_id
        markup = message.reply_markup or {}
        return {
            "id": message.message_id,
            "from_bot": from_bot,
            "from_id": message.from_id,
            "from_name": "Kesu" if from_bot else emulator.users[message.from_id]["first_name"],
            "kind": message.kind,
            # The bot's text is Telegram HTML (the page keeps only Telegram's tags);
            # people's text is plain.
            "html": (message.html or "") if from_bot else "",
            "text": message.text,
            "rows": [
                [
                    {
                        "text": b["text"],
                        "data": b.get("callback_data", ""),
                        # A Mini App button, or a link (the dashboard's in a group).
                        "web_app": (b.get("web_app") or {}).get("url"),
                        "url": b.get("url"),
                    }
                    for b in row
                ]
                for row in markup.get("inline_keyboard", [])
            ],
            "force_reply": bool(markup.get("force_reply")),
            "edited": message.edits > 0,
            "reply_to": message.reply_to,
            "file_id": message.file_id,
            "file_name": message.file_name,
            "date": message.date,
        }

    async def _get_chat(self, request: web.Request) -> web.Response:
        chat_id = int(request.match_info["chat_id"])
        chat = self.emulator.chats.get(chat_id)
        messages = [self._message(m) for m in chat.messages.values()] if chat else []
        pinned = chat.pinned[-1] if chat and chat.pinned else None
        # A private chat's menu button (the dashboard's, for leadership and QC).
        menu = self.emulator.menu_buttons.get(chat_id) if chat_id > 0 else None
        return web.json_response(
            {"chat_id": chat_id, "messages": messages, "pinned": pinned, "menu": menu}
        )

    async def _events(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        async with self._listen() as queue:
            await response.write(b"retry: 1000\n\n")
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), 15)
                except TimeoutError:
                    event = {"ping": True}  # keeps proxies and browsers from closing it
                if event.get("stop"):
                    break
                try:
                    await response.write(f"data: {json.dumps(event)}\n\n".encode())
                except (ConnectionResetError, RuntimeError):
                    break
        return response

    async def _get_file(self, request: web.Request) -> web.Response:
        info = self.emulator.files.get(request.match_info["file_id"])
        if info is None:
            raise web.HTTPNotFound()
        content = info.get("content")
        name = info["file_path"].rsplit("/", 1)[-1]
        if content is None:
            # A file that only exists as an id (sent before this start): a stand-in.
            content = _PLACEHOLDER_SVG if info["kind"] == "photo" else b""
            kind = "image/svg+xml" if info["kind"] == "photo" else "application/octet-stream"
        else:
            kind = "image/jpeg" if info["kind"] == "photo" else "application/octet-stream"
        disposition = "inline" if info["kind"] == "photo" else f'attachment; filename="{name}"'
        return web.Response(
            body=content, headers={"Content-Type": kind, "Content-Disposition": disposition}
        )

    async def _get_database(self, request: web.Request) -> web.Response:
        """A copy of the database, to start from later with `kesu sandbox --db FILE`."""
        if self.kesu is None:
            raise web.HTTPServiceUnavailable(text="starting")
        # SQLite's online backup, on the database thread: a consistent copy between writes.
        content = await self.kesu.services.db(_backup, self.database)
        return web.Response(
            body=content,
            headers={
                "Content-Type": "application/octet-stream",
                "Content-Disposition": 'attachment; filename="kesu-sandbox.db"',
            },
        )

    async def _send(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        try:
            user_id, chat_id = int(body["user_id"]), int(body["chat_id"])
            reply_to = int(body["reply_to"]) if body.get("reply_to") else None
            upload = body.get("file")
            content = base64.b64decode(upload["data"], validate=True) if upload else b""
        except (KeyError, TypeError, ValueError, binascii.Error) as exc:
            raise web.HTTPBadRequest(text=f"bad message: {exc}") from None
        text = str(body["text"]) if body.get("text") else None
        kwargs: dict[str, Any] = {}
        if upload:
            mime = str(upload.get("type") or "application/octet-stream")
            if mime.startswith("image/") and mime != "image/svg+xml":
                kwargs.update(photo=True, content=content, caption=text)
            else:
                document = (str(upload.get("name") or "file"), mime, len(content))
                kwargs.update(document=document, content=content, caption=text)
            text = None
        if user_id not in self.emulator.users or not self._may_write(user_id, chat_id):
            raise web.HTTPForbidden(text="not your chat")
        message = await self.emulator.user_sends(
            user_id,
            text,
            chat_id=None if chat_id == user_id else chat_id,
            reply_to=reply_to,
            **kwargs,
        )
        return web.json_response({"message_id": message.message_id})

    def _may_write(self, user_id: int, chat_id: int) -> bool:
        return chat_id == user_id or chat_id in demo.groups_of(user_id)

    async def _press(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        try:
            user_id, chat_id = int(body["user_id"]), int(body["chat_id"])
        except (KeyError, TypeError, ValueError):
            raise web.HTTPBadRequest(text="user_id and chat_id") from None
        if not self._may_write(user_id, chat_id):
            raise web.HTTPForbidden(text="not your chat")
        try:
            query_id = await self.emulator.press(
                user_id, chat_id, int(body["message_id"]), str(body["data"])
            )
        except (KeyError, ValueError):
            # The message changed under the finger (its buttons were taken away).
            return web.json_response({"gone": True})
        for _ in range(100):  # the bot answers every press; wait up to 5 s for it
            answer = self.emulator.callback_answers.get(query_id)
            if answer is not None:
                return web.json_response(answer)
            await asyncio.sleep(0.05)
        return web.json_response({"text": "", "show_alert": False, "unanswered": True})

    async def _clock(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        seconds = body.get("seconds")
        if seconds is not None and (not isinstance(seconds, int | float) or seconds <= 0):
            raise web.HTTPBadRequest(text="seconds must be a positive number")
        to = body.get("to", "ping")
        if to not in ("limit", "ping"):
            raise web.HTTPBadRequest(text="to must be limit or ping")
        assert self.kesu is not None
        services = self.kesu.services
        mark = await services.run(notices.outbox_mark)
        delta = None if seconds is None else timedelta(seconds=seconds)
        sent = await self.advance(delta, to=to)
        # What the jump put out, and where: the page lists it, each opening its chat.
        posted = await services.run(notices.posted_since, mark, MAX_LISTED)
        return web.json_response(
            {
                "now": self.clock.now().isoformat(),
                "pings": sent,
                "posted": [self._posted(p) for p in posted],
            }
        )

    def _posted(self, posted: notices.Posted) -> dict[str, Any]:
        chat = posted.chat_id
        group = demo.GROUPS.get(chat)
        person = next((m for m in demo.PEOPLE if m.telegram_id == chat), None)
        return {
            "chat": chat,
            # Who may open it on the page: the person, or the group's first member.
            "person": group[1][0] if group else chat,
            "title": group[0] if group else (person.name if person else str(chat)),
            "purpose": posted.purpose,
            "text": posted.opening,
        }

    async def _reset(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        if self.named and body.get("confirm") != self.database.name:
            # The page asked the person, naming the file; nothing else may wipe it.
            raise web.HTTPConflict(text=f"confirm the reset of {self.database.name}")
        await self.reset()
        return web.json_response({"ok": True})

    async def _set_language(self, request: web.Request) -> web.Response:
        language = (await _json_body(request)).get("language")
        if language not in ("zh_CN", "en"):
            raise web.HTTPBadRequest(text="language must be zh_CN or en")
        self.language = language
        code = "en" if language == "en" else "zh-hans"
        for user in self.emulator.users.values():
            user["language_code"] = code
        if self.kesu is not None:
            await self.kesu.services.run(
                company.set_language, language if language == "en" else None
            )
        return web.json_response({"language": language})


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="a JSON object") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="a JSON object")
    return body


def _set_aside(database: Path) -> None:
    """Keep a named database (and its files) before a reset replaces it."""
    if database.exists():
        aside = Path(f"{database}.before-reset")
        with sqlite3.connect(database) as source, sqlite3.connect(aside) as target:
            source.backup(target)
        files = Path(f"{database}.files")
        if files.is_dir():
            shutil.rmtree(f"{aside}.files", ignore_errors=True)
            shutil.copytree(files, f"{aside}.files")


def _backup(database: Path) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "copy.db"
        source, target = sqlite3.connect(database), sqlite3.connect(copy)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return copy.read_bytes()


def _remove(database: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(f"{database}.files", ignore_errors=True)  # the files it kept


_PLACEHOLDER_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="320" height="200">'
    b'<rect width="100%" height="100%" fill="#dde3ea"/>'
    b'<text x="50%" y="50%" text-anchor="middle" fill="#667" font-size="20">photo</text></svg>'
)


async def serve(database: Path, host: str, port: int, *, fresh: bool, named: bool = False) -> None:
    sandbox = Sandbox(database, fresh=fresh, named=named)
    url = await sandbox.start(host, port)
    print(f"Kesu sandbox: open {url}/ in a browser (Ctrl-C stops it)", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await sandbox.stop()
