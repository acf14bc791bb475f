"""`kesu doctor`: is this installation able to work? One line per check.

The configuration (read before this runs), the database and its schema, the working
calendar (a year whose official holidays are not known yet is a warning), the bot's token
(getMe), every group of the configuration: the bot is in it and may post there, and the
dashboard's public address, when [webapp] enables it.
Each failed check says what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import aiohttp
from sqlalchemy.exc import SQLAlchemyError
from telegram import Bot
from telegram.error import ChatMigrated, Forbidden, InvalidToken, TelegramError

from bot.config import KesuConfig
from bot.procedure.workdays import CALENDAR_VERSION, years_to_check
from storage import db, queries


@dataclass(frozen=True)
class Check:
    ok: bool
    name: str
    detail: str
    warning: bool = False  # ok to run, but someone should act

    def line(self) -> str:
        mark = "!" if self.warning else "✓" if self.ok else "✗"
        return f"{mark} {self.name}: {self.detail}"


def configured_chats(config: KesuConfig) -> list[tuple[str, int]]:
    """(configuration key, chat id) of every group the configuration names."""
    chats = config.chats
    found = [
        ("chats.leadership", chats.leadership),
        ("chats.sales", chats.sales),
        ("chats.qc.huangwu", chats.qc.huangwu),
        ("chats.qc.laishan", chats.qc.laishan),
        ("chats.production.huangwu", chats.production.huangwu),
        ("chats.production.laishan", chats.production.laishan),
    ]
    optional = (
        ("chats.equipment", chats.equipment),
        ("chats.purchasing", chats.purchasing),
        ("chats.hr", chats.hr),
    )
    return found + [(key, chat_id) for key, chat_id in optional if chat_id is not None]


def database(config: KesuConfig) -> Check:
    url = config.database.url
    try:
        engine = db.make_engine(url)
        try:
            current, head = db.current_revision(engine), db.head_revision(engine)
        finally:
            engine.dispose()
    except SQLAlchemyError as exc:
        return Check(False, "database.url", f"cannot open it: {type(exc).__name__}: {exc}")
    shown = url.split("@")[-1]  # no password in the output
    if current == head:
        return Check(True, "database.url", f"{shown}, schema {head} (the latest)")
    if current is None and url.startswith("sqlite"):
        return Check(True, "database.url", f"{shown}, empty: `kesu run` creates the schema")
    return Check(
        False,
        "database.url",
        f"{shown}, schema {current or 'none'}, needs {head}: run `kesu db upgrade --config FILE`",
    )


def bound_in_telegram(config: KesuConfig) -> list[tuple[str, int]]:
    """The groups an admin bound with /bindchat (the database's; none if it cannot be read)."""
    try:
        engine = db.make_engine(config.database.url)
        try:
            if db.current_revision(engine) != db.head_revision(engine):
                return []
            with db.make_sessionmaker(engine)() as session:
                bound = queries.chats_bound_in_telegram(session)
        finally:
            engine.dispose()
    except SQLAlchemyError:
        return []
    return [
        (
            f"/bindchat {chat.purpose.value}{' ' + chat.plant if chat.plant else ''}",
            chat.telegram_id,
        )
        for chat in bound
    ]


async def telegram(config: KesuConfig) -> list[Check]:
    """The token, then each group (of the file, and those bound in Telegram)."""
    bot = Bot(
        config.bot_token(),
        base_url=config.telegram.api_base_url,
        base_file_url=config.telegram.file_base_url,
    )
    try:
        async with bot:
            me = bot.bot
            checks = [Check(True, "telegram.token", f"@{me.username} (id {me.id})")]
            for key, chat_id in configured_chats(config) + bound_in_telegram(config):
                # Leadership reads reports and the summary there, not a board of steps.
                board = config.reminders.boards and "leadership" not in key
                checks.append(await _chat(bot, key, chat_id, board))
            return checks
    except InvalidToken:
        return [Check(False, "telegram.token", "refused by Telegram: ask BotFather for the token")]
    except TelegramError as exc:
        return [Check(False, "telegram.token", f"Telegram cannot be reached: {exc}")]


async def _chat(bot: Bot, key: str, chat_id: int, boards: bool = False) -> Check:
    """`boards`: the group has a board, which the bot pins (an admin's right)."""
    try:
        chat = await bot.get_chat(chat_id)
        member = await bot.get_chat_member(chat_id, bot.id)
    except ChatMigrated as exc:
        return Check(
            False,
            key,
            f"{chat_id} became a supergroup, {exc.new_chat_id}: put the new id in the file",
        )
    except Forbidden:
        return Check(False, key, f"{chat_id}: the bot is not in this group; add it")
    except TelegramError as exc:
        return Check(False, key, f"{chat_id}: {exc.message}; is the id right?")
    title = chat.title or ""
    if member.status == "restricted" and not getattr(member, "can_send_messages", False):
        return Check(False, key, f"{chat_id} {title}: the bot may not post there; let it")
    if member.status not in ("member", "administrator", "creator", "restricted"):
        return Check(False, key, f"{chat_id} {title}: the bot has {member.status}; add it again")
    role = "an admin" if member.status in ("administrator", "creator") else "a member"
    pins = member.status == "creator" or getattr(member, "can_pin_messages", False)
    if boards and not pins:
        return Check(
            True,
            key,
            f"{chat_id} {title}: the bot is {role} and may post, but may not pin: its board "
            "stays unpinned; make the bot an admin with the right to pin messages",
            warning=True,
        )
    return Check(True, key, f"{chat_id} {title}: the bot is {role} and may post")


async def run(config: KesuConfig, source: str) -> list[Check]:
    people = len(config.people)
    checks = [
        Check(True, "config", f"{source}: {people} people, {len(configured_chats(config))} groups")
    ]
    checks.append(database(config))
    checks.append(calendar(config, datetime.now(config.tz).date()))
    checks += await telegram(config)
    checks.append(await webapp(config))
    return checks


async def webapp(config: KesuConfig, address: str | None = None) -> Check:
    """The dashboard's public address answers through the reverse proxy (Telegram opens
    it from people's phones). `address`: another base to ask (the tests' own server)."""
    settings = config.webapp
    if not settings.enabled:
        return Check(True, "webapp", "the dashboard is not enabled ([webapp] enabled = false)")
    health = f"{address or settings.url}health"
    try:
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=timeout) as http, http.get(health) as reply:
            answered = reply.status == 200 and (await reply.json()).get("ok") is True
            detail = f"HTTP {reply.status}"
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        answered, detail = False, type(exc).__name__
    if answered:
        return Check(True, "webapp.url", f"{settings.url} answers")
    return Check(
        False,
        "webapp.url",
        f"{settings.url} does not answer ({detail}): is `kesu run` running, and does the "
        f"reverse proxy pass {settings.url} to {settings.listen}:{settings.port}?",
    )


def calendar(config: KesuConfig, today: date) -> Check:
    """Whether the official holidays of this year (and, from November, the next) are
    known: a year nobody entered follows the ordinary week, and that is said here."""
    if config.calendar.official != "china":
        return Check(True, "calendar", "the ordinary week and [calendar]'s days (official = none)")
    working = config.working_calendar()
    years = years_to_check(today)
    unknown = working.unknown_years(years)
    if not unknown:
        shown = ", ".join(str(y) for y in years)
        return Check(True, "calendar", f"China's holidays and make-up days known for {shown}")
    missing = ", ".join(str(y) for y in unknown)
    return Check(
        True,
        "calendar",
        f"China's holidays and make-up working days of {missing} are not known yet "
        f"(chinesecalendar {CALENDAR_VERSION}): until it knows them, enter that year's days "
        "in [calendar] days_off and days_on; meanwhile the ordinary week is kept",
        warning=True,
    )
