"""The dashboard's web server (docs/dashboard.md): the page, the files it needs, and its
JSON endpoints. Thin, as the chat's handlers are: each request is authenticated by its
initData (Authorization: tma <initData>), then one use case answers, then the views
label the answer. No cookie, no session: a request without valid initData gets nothing.

In production it listens on `[webapp] listen`:`port` behind the webhook's reverse proxy;
in the sandbox its routes are mounted on the sandbox's own server."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.procedure.bounds import parse_id
from bot.procedure.durations import parse_duration
from bot.procedure.intake import FileKind
from bot.services import dashboard, exports, plans
from bot.services.dashboard import Answer, DashboardRefusal
from bot.services.plans import PlanStart
from bot.services.uow import Caller, Services
from bot.views import dashboard as views
from bot.views import eightd
from bot.views.fonts import cjk_font
from bot.webapp import init_data

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
PREFIX = "/app"
LANGUAGES = ("zh_CN", "en")
# What the page may load and where it may be shown: its own scripts only; inside
# Telegram's web clients (and the sandbox's page, the same origin).
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'self' https://web.telegram.org https://*.telegram.org"
)
STATUS = {
    DashboardRefusal.NOT_REGISTERED: 403,
    DashboardRefusal.NOT_ALLOWED: 403,
    DashboardRefusal.NOT_FOUND: 404,
    DashboardRefusal.BAD_FILTER: 400,
}
PLAN_REFUSED = {PlanStart.DENIED: 403, PlanStart.NOT_OPEN: 409, PlanStart.OK: 200}
MOST_FORM_BYTES = 128 * 1024  # a plan of twenty items, each at its longest, fits
Handler = Callable[[web.Request], Awaitable[web.Response]]


class Dashboard:
    def __init__(self, services: Services | None, bot_token: str, max_age: str = "1h") -> None:
        # None until Kesu runs (the sandbox sets it at each start of its bot).
        self.services_now = services
        self._token = bot_token
        self.max_age: timedelta = parse_duration(max_age)
        self._runner: web.AppRunner | None = None

    @property
    def services(self) -> Services:
        if self.services_now is None:
            raise web.HTTPServiceUnavailable(text="starting")
        return self.services_now

    # Where it runs ---------------------------------------------------------------------

    def mount(self, app: web.Application, prefix: str = PREFIX) -> None:
        app.router.add_get(f"{prefix}/", self._page)
        app.router.add_get(f"{prefix}/health", self._health)
        app.router.add_static(f"{prefix}/static/", STATIC, append_version=False)
        for path, handler in (
            ("me", self._me),
            ("overview", self._overview),
            ("pareto", self._pareto),
            ("complaints", self._complaints),
            ("complaints/{number}", self._timeline),
            ("complaints/{number}/files/{file_id}", self._file),
            ("complaints/{number}/8d", self._eight_d),
            ("complaints/{number}/plan", self._plan_form),
        ):
            app.router.add_get(f"{prefix}/api/{path}", self._authenticated(handler))
        plan = self._authenticated(self._fill_plan)
        app.router.add_post(f"{prefix}/api/complaints/{{number}}/plan", plan)

    async def start(self, host: str, port: int) -> None:
        app = web.Application(client_max_size=MOST_FORM_BYTES)
        self.mount(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        log.info("dashboard listening", extra={"host": host, "port": port})

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # The page ----------------------------------------------------------------------------

    async def _page(self, request: web.Request) -> web.FileResponse:
        response = web.FileResponse(STATIC / "index.html")
        response.headers["Content-Security-Policy"] = POLICY
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    async def _health(self, request: web.Request) -> web.Response:
        """For `kesu doctor` and the proxy: the address answers (and tells nothing)."""
        return web.json_response({"ok": True})

    # Who is asking -------------------------------------------------------------------------

    def _authenticated(
        self, handler: Callable[[web.Request, Caller, str | None], Awaitable[web.Response]]
    ) -> Handler:
        async def checked(request: web.Request) -> web.Response:
            header = request.headers.get("Authorization", "")
            raw = header[4:] if header.startswith("tma ") else ""
            try:
                opened = init_data.validate(
                    raw, self._token, self.services.clock.now(), self.max_age
                )
            except init_data.InitDataError as refused:
                return _kept_private(_error(401, refused.refusal.value))
            if not self.services.throttle.allow(opened.telegram_id):
                # A flood costs the flooder: the same pace as their presses in chat.
                slowed = _error(429, "too_many")
                slowed.headers["Retry-After"] = "1"
                return _kept_private(slowed)
            caller = Caller(opened.telegram_id, None, opened.language_code, "webapp")
            asked = request.query.get("lang")
            return _kept_private(
                await handler(request, caller, asked if asked in LANGUAGES else None)
            )

        return checked

    async def _answer(
        self, answer: Answer, language: str | None, render: Callable[[Answer, str], Any]
    ) -> web.Response:
        if answer.refusal is not None:
            return _error(STATUS[answer.refusal], answer.refusal.value)
        assert answer.viewer is not None
        language = language or answer.viewer.language
        return web.json_response(render(answer, language), dumps=_dumps)

    # The endpoints ---------------------------------------------------------------------

    async def _me(self, request: web.Request, caller: Caller, lang: str | None) -> web.Response:
        answer = await self.services.run(dashboard.who, caller)

        def render(found: Answer, language: str) -> Any:
            assert found.viewer is not None
            return {
                "name": found.viewer.name,
                "language": language,
                "sees_all": found.viewer.sees_all,
                "texts": views.page_texts(language),
            }

        return await self._answer(answer, lang, render)

    async def _overview(
        self, request: web.Request, caller: Caller, lang: str | None
    ) -> web.Response:
        answer = await self.services.run(dashboard.overview, caller)
        tz = self.services.config.timezone
        return await self._answer(
            answer, lang, lambda found, language: views.overview(found.overview, language, tz)
        )

    async def _pareto(self, request: web.Request, caller: Caller, lang: str | None) -> web.Response:
        period = request.query.get("period", "")
        answer = await self.services.run(dashboard.causes, caller, period, lang)

        def render(found: Answer, language: str) -> Any:
            assert found.pareto is not None
            return views.pareto(found.pareto, found.names, language)

        return await self._answer(answer, lang, render)

    async def _complaints(
        self, request: web.Request, caller: Caller, lang: str | None
    ) -> web.Response:
        query = request.query
        page = parse_id(query.get("page", "1"))
        if page is None:
            return _error(400, DashboardRefusal.BAD_FILTER.value)
        asked = dashboard.ListRequest(
            caller,
            plant=query.get("plant", ""),
            grade=query.get("grade", ""),
            status=query.get("status", ""),
            customer=query.get("customer", ""),
            product=query.get("product", ""),
            period=query.get("period", ""),
            text=query.get("q", ""),
            page=page,
        )
        answer = await self.services.run(dashboard.listed, asked)
        tz = self.services.config.timezone

        def render(found: Answer, language: str) -> Any:
            return views.listing(
                found.complaints, found.total, found.page, found.pages, language, tz
            )

        return await self._answer(answer, lang, render)

    async def _timeline(
        self, request: web.Request, caller: Caller, lang: str | None
    ) -> web.Response:
        number = request.match_info["number"]
        answer = await self.services.run(dashboard.timeline, caller, number)
        tz, now = self.services.config.timezone, self.services.clock.now()
        return await self._answer(
            answer,
            lang,
            lambda found, language: (
                views.timeline(found.shown, language, tz, now) | {"may_plan": found.may_plan}
            ),
        )

    async def _file(self, request: web.Request, caller: Caller, lang: str | None) -> web.Response:
        """A photo shows in the page; anything else downloads, never shown as a page of
        ours (a hostile document stays a file)."""
        info = request.match_info
        answer = await self.services.run(
            dashboard.complaint_file, caller, info["number"], info["file_id"][:200]
        )
        if answer.refusal is not None or answer.file is None:
            return _error(STATUS[answer.refusal or DashboardRefusal.NOT_FOUND], "not_found")
        kept = answer.file
        if kept.kind is FileKind.PHOTO:
            return web.Response(body=kept.content, content_type="image/jpeg")
        return _download(kept.content, kept.file_name or "file", "application/octet-stream")

    async def _eight_d(
        self, request: web.Request, caller: Caller, lang: str | None
    ) -> web.Response:
        """The complaint's 8D report, XLSX or PDF, in Chinese or English, as /export 8d
        makes it."""
        kind = request.query.get("format", "pdf")
        if kind not in ("pdf", "xlsx"):
            return _error(400, DashboardRefusal.BAD_FILTER.value)
        number = request.match_info["number"][:40]
        found = await self.services.run(exports.eight_d, exports.ReportRequest(caller, number))
        if found.complaint is None:
            refusal = found.refusal
            status = 403 if refusal is exports.ExportRefusal.NOT_REGISTERED else 404
            return _error(status, "not_found")
        language = lang or "zh_CN"
        tz, c = self.services.config.timezone, found.complaint
        if kind == "xlsx":
            made = await self.services.build(
                eightd.eightd_xlsx, c, found.plan, found.team, language, tz, fmea=found.fmea
            )
        else:
            font = cjk_font()
            made = await self.services.build(
                eightd.eightd_pdf, c, found.plan, found.team, language, tz, font, fmea=found.fmea
            )
        return _download(made.content, made.name, made.mime)

    async def _plan_form(
        self, request: web.Request, caller: Caller, lang: str | None
    ) -> web.Response:
        """Step 10 as a form: the draft (the chat's, if begun there), people, departments."""
        number = request.match_info["number"][:40]
        form = await self.services.run(plans.open_form, caller, number)
        if form.result is not PlanStart.OK or form.draft is None:
            return _error(PLAN_REFUSED[form.result], form.result.value)
        me = await self.services.run(dashboard.who, caller)
        assert me.viewer is not None
        return web.json_response(views.plan_form(form, lang or me.viewer.language), dumps=_dumps)

    async def _fill_plan(
        self, request: web.Request, caller: Caller, lang: str | None
    ) -> web.Response:
        """The form's answers: kept as the shared draft; issued when asked and complete."""
        if (request.content_length or 0) > MOST_FORM_BYTES:
            return _error(413, "too_large")
        try:
            body = json.loads(await request.content.read(MOST_FORM_BYTES + 1))
        except ValueError:
            return _error(400, DashboardRefusal.BAD_FILTER.value)
        if not isinstance(body, dict) or not isinstance(body.get("form"), dict):
            return _error(400, DashboardRefusal.BAD_FILTER.value)
        number = request.match_info["number"][:40]
        command = plans.FillPlan(caller, number, body["form"], body.get("issue") is True)
        filled = await self.services.run(plans.fill_from_form, command)
        me = await self.services.run(dashboard.who, caller)
        language = lang or (me.viewer.language if me.viewer else "zh_CN")
        if filled.result is plans.FormResult.INVALID:
            errors = views.form_errors(filled.errors, language)
            return web.json_response({"errors": errors}, status=422, dumps=_dumps)
        if filled.result is plans.FormResult.REFUSED:
            if filled.opening is not None:
                return _error(PLAN_REFUSED[filled.opening], filled.opening.value)
            assert filled.issued is not None
            return _error(409, filled.issued.result.value)
        return web.json_response({"result": filled.result.value}, dumps=_dumps)


def _download(content: bytes, name: str, mime: str) -> web.Response:
    """A file to save, its name as people gave it, safely quoted (RFC 6266)."""
    disposition = f"attachment; filename=\"download\"; filename*=UTF-8''{quote(name, safe='')}"
    return web.Response(
        body=content, content_type=mime, headers={"Content-Disposition": disposition}
    )


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _error(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)


def _kept_private(response: web.Response) -> web.Response:
    """Nothing the dashboard answers is kept by a browser or a proxy, sniffed as another
    type, or told to another site."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
