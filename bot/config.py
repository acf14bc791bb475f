"""The TOML configuration, validated at start-up.

A bad value stops start-up with one line naming the key (`ConfigError`); the
token may come from KESU_BOT_TOKEN, which wins over the file, and is never
printed.
"""

from __future__ import annotations

import os
import re
import tomllib
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.procedure import workdays
from bot.procedure.causes import FIVE_M_ONE_E, Cause
from bot.procedure.causes import check as check_causes
from bot.procedure.durations import Limit, parse_duration, parse_limit
from bot.procedure.engine import Timing
from bot.procedure.grading import Plant
from bot.procedure.pings import PingPolicy
from bot.procedure.quiet import WEEKDAYS, WorkingHours
from bot.procedure.roles import Role
from bot.procedure.steps import DEFAULT_LIMITS, STEP_BY_ID, Owner
from bot.procedure.workdays import WorkingCalendar

TOKEN_ENV = "KESU_BOT_TOKEN"
SECRET_ENV = "KESU_WEBHOOK_SECRET"
LANGUAGES = ("zh_CN", "en")


class ConfigError(Exception):
    """One line: the key and what is wrong with it."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WebhookConfig(_Strict):
    """Webhook mode, behind a reverse proxy that terminates HTTPS: Telegram posts each
    update to `url`, the proxy passes it to `listen`:`port`, and Kesu accepts only a
    request carrying the secret token it gave Telegram."""

    url: str = ""  # the public address, e.g. "https://kesu.example.com/telegram"
    listen: str = "127.0.0.1"
    port: int = Field(default=8443, ge=1, le=65535)
    # The proxy's path to Kesu; empty: the path of `url`.
    path: str = ""
    # Or KESU_WEBHOOK_SECRET, which wins; 32-256 of A-Z a-z 0-9 _ - (Telegram allows 1).
    secret_token: SecretStr = SecretStr("")

    @field_validator("url")
    @classmethod
    def _https(cls, value: str) -> str:
        if value and not value.startswith("https://"):
            raise ValueError("must start with https:// (Telegram posts to HTTPS only)")
        return value

    @field_validator("secret_token")
    @classmethod
    def _secret(cls, value: SecretStr) -> SecretStr:
        if value.get_secret_value() and not _valid_secret(value.get_secret_value()):
            raise ValueError(SECRET_RULE)
        return value

    def url_path(self) -> str:
        return (self.path or urlsplit(self.url).path).strip("/")


# Telegram takes 1-256 characters; Kesu asks for 32 at least, so that it cannot be guessed.
SECRET_RULE = "must be 32-256 characters of A-Z, a-z, 0-9, _ and - (e.g. openssl rand -hex 16)"


def _valid_secret(value: str) -> bool:
    return re.fullmatch(r"[A-Za-z0-9_-]{32,256}", value) is not None


class TelegramConfig(_Strict):
    token: SecretStr = SecretStr("")
    # polling (the default: Kesu asks Telegram for updates) or webhook (Telegram posts
    # them to [telegram.webhook]).
    mode: Literal["polling", "webhook"] = "polling"
    webhook: WebhookConfig = WebhookConfig()
    # Telegram's own, a local Bot API server, or the emulator ("http://127.0.0.1:8081/bot").
    api_base_url: str = "https://api.telegram.org/bot"
    file_base_url: str = "https://api.telegram.org/file/bot"

    @field_validator("api_base_url", "file_base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @model_validator(mode="after")
    def _webhook(self) -> TelegramConfig:
        if self.mode == "webhook" and not self.webhook.url:
            raise ValueError("mode is webhook: set telegram.webhook.url")
        return self


class DatabaseConfig(_Strict):
    url: str = "sqlite:///kesu.db"

    @field_validator("url")
    @classmethod
    def _supported(cls, value: str) -> str:
        if not value.startswith(("sqlite://", "postgresql")):
            raise ValueError("must be a sqlite:/// or postgresql+psycopg:// URL")
        return value


class PersonConfig(_Strict):
    telegram_id: int
    name: str = Field(min_length=1, max_length=64)
    role: Role
    plant: Plant | None = None
    language: str | None = None
    admin: bool = False

    @field_validator("plant")
    @classmethod
    def _own_plant(cls, value: Plant | None) -> Plant | None:
        if value in (Plant.CONTRACTOR, Plant.UNKNOWN):
            raise ValueError("must be huangwu or laishan")
        return value

    @field_validator("language")
    @classmethod
    def _language(cls, value: str | None) -> str | None:
        if value is not None and value not in LANGUAGES:
            raise ValueError(f"must be one of {', '.join(LANGUAGES)}")
        return value


class PlantChats(_Strict):
    huangwu: int
    laishan: int


class ChatsConfig(_Strict):
    leadership: int
    sales: int
    qc: PlantChats
    production: PlantChats
    # Optional company-wide groups of the departments that carry out plan items.
    equipment: int | None = None
    purchasing: int | None = None
    hr: int | None = None


class FilesConfig(_Strict):
    # The files people send (letters, photos, reports, minutes) are downloaded here too,
    # one folder per complaint, so they outlive Telegram's copy. Back it up with the
    # database.
    store: str = Field(default="kesu-files", min_length=1)
    max_attempts: int = Field(default=8, ge=1, le=100)


class OutboxConfig(_Strict):
    max_attempts: int = Field(default=8, ge=1, le=100)
    poll_seconds: float = Field(default=5.0, gt=0, le=3600)
    first_backoff_seconds: float = Field(default=2.0, gt=0, le=3600)


class RemindersConfig(_Strict):
    # Reminders before a limit runs out, as fractions of the limit.
    at_fractions: list[float] = Field(default_factory=lambda: [0.5, 0.9])
    # After the limit: overdue notice and escalation, repeated this often.
    escalate_every: str = "1h"
    # An escalation a chat has heard of already repeats at most this often (news, such
    # as a step newly overdue, still comes within escalate_every).
    repeat_every: str = "3h"
    # A chat hears at most this many reminder messages in the company's day; the rest
    # wait for the next day (its board shows them at once), except a step newly overdue
    # for a VP or the GM, named within escalate_every whatever the count. 0: no most.
    most_a_day: int = Field(default=12, ge=0, le=1000)
    # Each leading VP's chat, the GM's and each department group get one board message,
    # pinned and edited in place as steps move (the bot needs the right to pin in groups).
    boards: bool = True

    @field_validator("at_fractions")
    @classmethod
    def _fractions(cls, value: list[float]) -> list[float]:
        if any(not 0 < f < 1 for f in value) or value != sorted(set(value)):
            raise ValueError("must be increasing fractions between 0 and 1, e.g. [0.5, 0.9]")
        return value

    @field_validator("escalate_every", "repeat_every")
    @classmethod
    def _interval(cls, value: str) -> str:
        parse_duration(value)
        return value


class WorkingHoursConfig(_Strict):
    # Reminders that can wait (C complaints, reminders of limits of a day or longer)
    # wait for these hours; see bot/procedure/quiet.py. enabled = false: none waits.
    enabled: bool = True
    start: time = time(8, 0)
    end: time = time(18, 0)
    days: list[str] = Field(default_factory=lambda: list(WEEKDAYS[:6]))

    @field_validator("days")
    @classmethod
    def _days(cls, value: list[str]) -> list[str]:
        unknown = [d for d in value if d not in WEEKDAYS]
        if unknown or not value:
            raise ValueError(f"must be some of {', '.join(WEEKDAYS)}")
        return value

    @model_validator(mode="after")
    def _order(self) -> WorkingHoursConfig:
        if self.start >= self.end:
            raise ValueError("start must be before end")
        return self


class CalendarConfig(_Strict):
    # The working days (bot/procedure/workdays.py): "china" follows the State Council's
    # holidays and make-up working days (调休); "none" only the ordinary week of
    # [working_hours] days. The company's own days off and days on come first, and are
    # how a year the official calendar does not know yet is entered.
    official: str = "china"
    days_off: list[date] = Field(default_factory=list)
    days_on: list[date] = Field(default_factory=list)

    @field_validator("official")
    @classmethod
    def _official(cls, value: str) -> str:
        if value not in ("china", "none"):
            raise ValueError('must be "china" or "none"')
        return value

    @model_validator(mode="after")
    def _both(self) -> CalendarConfig:
        both = sorted(set(self.days_off) & set(self.days_on))
        if both:
            raise ValueError(f"{both[0].isoformat()} is both a day off and a day on")
        return self


class TrackingConfig(_Strict):
    # Step 14: every running plan item, each day at this time (company time), to the
    # plant's QC group and leading VP; nothing is posted when nothing runs.
    enabled: bool = True
    at: time = time(8, 30)


class _WeeklyJob(_Strict):
    enabled: bool = True
    weekday: str = "mon"
    at: time = time(8, 30)

    @field_validator("weekday")
    @classmethod
    def _weekday(cls, value: str) -> str:
        if value not in WEEKDAYS:
            raise ValueError(f"must be one of {', '.join(WEEKDAYS)}")
        return value


class WeeklyMeetingConfig(_WeeklyJob):
    # PROCEDURE.md section 5: the quality analysis meeting every seven days, organised by
    # production; its agenda goes to the production groups and leadership the day before.
    weekday: str = "fri"
    at: time = time(15, 0)
    place: str = Field(default="生产部会议室", min_length=1, max_length=200)


class WeeklySummaryConfig(_WeeklyJob):
    # PROCEDURE.md section 5: every 7 days the summary of complaints and their handling to
    # leadership; posted to the leadership group on `weekday` at `at` (company time).
    pass


class MonthEndConfig(_Strict):
    # PROCEDURE.md section 5: the complaint register of the month to QC and production,
    # on the last day of the month at this time (company time).
    enabled: bool = True
    at: time = time(17, 0)


class RecurrenceConfig(_Strict):
    # A complaint about the same product and specification (and the same known customer)
    # as one received in the last `days` days is a recurring problem, so a serious one.
    # enabled = false: only what the salesperson answers at intake counts.
    enabled: bool = True
    days: int = Field(default=90, ge=1, le=3650)


class CauseConfig(_Strict):
    key: str = Field(min_length=1, max_length=16)
    zh_CN: str = Field(min_length=1, max_length=32)
    en: str = Field(min_length=1, max_length=32)


class CausesConfig(_Strict):
    # The cause categories QC choose at the appraisal (step 3), 5M1E by default; each a
    # short key (kept in the database: rename a name freely, never a key in use) and its
    # names. required = true: the appraisal is not done until at least one is chosen.
    categories: list[CauseConfig] = Field(
        default_factory=lambda: [
            CauseConfig(key=c.key, zh_CN=c.zh_CN, en=c.en) for c in FIVE_M_ONE_E
        ]
    )
    required: bool = True

    @field_validator("categories")
    @classmethod
    def _categories(cls, value: list[CauseConfig]) -> list[CauseConfig]:
        check_causes([Cause(c.key, c.zh_CN, c.en) for c in value])
        return value

    def listed(self) -> tuple[Cause, ...]:
        return tuple(Cause(c.key, c.zh_CN, c.en) for c in self.categories)


class RecheckConfig(_Strict):
    # IATF 16949 10.2.3: this long after the verification is signed off, QC get a task
    # "did it recur?" (the working morning of that day, at `at`); a new complaint of the
    # same customer on the same product, specification or cause within that time is
    # linked to it and QC and the leading VP are told.
    enabled: bool = True
    after: str = "30d"
    at: time = time(8, 30)

    @field_validator("after")
    @classmethod
    def _after(cls, value: str) -> str:
        if parse_duration(value) < timedelta(days=1):
            raise ValueError("must be a day or longer, e.g. 30d")
        return value


class WebAppConfig(_Strict):
    """The dashboard, a Telegram Mini App served by Kesu (docs/dashboard.md). Telegram
    opens `url` (HTTPS) inside the chat; the reverse proxy of the webhook passes it to
    `listen`:`port`. Each request carries Telegram's signed initData, no older than
    `max_age`."""

    enabled: bool = False
    url: str = ""  # the public address, e.g. "https://kesu.example.com/app/"
    listen: str = "127.0.0.1"
    port: int = Field(default=8444, ge=1, le=65535)
    # The Mini App's direct link, as BotFather's /newapp gives it: groups get this, as
    # Telegram allows no Mini App button in a group ("https://t.me/kesu_bot/dashboard").
    link: str = ""
    max_age: str = "1h"

    @field_validator("url")
    @classmethod
    def _https(cls, value: str) -> str:
        if value and not value.startswith("https://"):
            raise ValueError("must start with https:// (Telegram opens Mini Apps over HTTPS only)")
        return value if not value or value.endswith("/") else value + "/"

    @field_validator("link")
    @classmethod
    def _link(cls, value: str) -> str:
        if (
            value
            and re.fullmatch(r"https://t\.me/[A-Za-z0-9_]{5,32}/[A-Za-z0-9_]{3,30}", value) is None
        ):
            raise ValueError(
                "must be the direct link BotFather gives, like https://t.me/kesu_bot/dashboard"
            )
        return value

    @field_validator("max_age")
    @classmethod
    def _max_age(cls, value: str) -> str:
        if not timedelta(minutes=1) <= parse_duration(value) <= timedelta(days=1):
            raise ValueError("must be between 1 minute and 1 day, e.g. 1h")
        return value

    @model_validator(mode="after")
    def _address(self) -> WebAppConfig:
        if self.enabled and not self.url:
            raise ValueError("enabled: set webapp.url (the public HTTPS address)")
        return self


class KesuConfig(_Strict):
    timezone: str = "Asia/Shanghai"
    default_language: str = "zh_CN"
    workday_end: time = time(17, 30)
    telegram: TelegramConfig = TelegramConfig()
    database: DatabaseConfig = DatabaseConfig()
    people: list[PersonConfig] = Field(default_factory=list)
    chats: ChatsConfig
    limits: dict[str, str] = Field(default_factory=dict)
    owners: dict[str, str] = Field(default_factory=dict)
    outbox: OutboxConfig = OutboxConfig()
    files: FilesConfig = FilesConfig()
    reminders: RemindersConfig = RemindersConfig()
    working_hours: WorkingHoursConfig = WorkingHoursConfig()
    calendar: CalendarConfig = CalendarConfig()
    tracking: TrackingConfig = TrackingConfig()
    weekly_meeting: WeeklyMeetingConfig = WeeklyMeetingConfig()
    recurrence: RecurrenceConfig = RecurrenceConfig()
    causes: CausesConfig = CausesConfig()
    recheck: RecheckConfig = RecheckConfig()
    month_end: MonthEndConfig = MonthEndConfig()
    weekly_summary: WeeklySummaryConfig = WeeklySummaryConfig()
    webapp: WebAppConfig = WebAppConfig()

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("default_language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"must be one of {', '.join(LANGUAGES)}")
        return value

    @field_validator("limits")
    @classmethod
    def _limits(cls, value: dict[str, str]) -> dict[str, str]:
        for key, text in value.items():
            if key in STEP_BY_ID and key not in DEFAULT_LIMITS:
                raise ValueError(
                    f"{key}: has no limit of its own (each plan item has its date; "
                    "plan_item sets how long a sent-back item runs again)"
                )
            if key not in DEFAULT_LIMITS:
                raise ValueError(f"unknown step {key!r}; known: {', '.join(DEFAULT_LIMITS)}")
            try:
                parse_limit(text)
            except ValueError as exc:
                raise ValueError(f"{key}: {exc}") from exc
        return value

    @field_validator("owners")
    @classmethod
    def _owners(cls, value: dict[str, str]) -> dict[str, str]:
        for key, owner in value.items():
            if key not in STEP_BY_ID:
                raise ValueError(f"unknown step {key!r}; known: {', '.join(STEP_BY_ID)}")
            if owner not in {o.value for o in Owner}:
                raise ValueError(f"{key}: must be one of {', '.join(o.value for o in Owner)}")
            if STEP_BY_ID[key].per_item or owner == Owner.ASSIGNEE:
                raise ValueError(f"{key}: a plan item's owner is whom the plan names")
        return value

    @model_validator(mode="after")
    def _people(self) -> KesuConfig:
        seen: set[int] = set()
        for index, person in enumerate(self.people):
            if person.telegram_id in seen:
                raise ValueError(f"people[{index}].telegram_id {person.telegram_id} appears twice")
            seen.add(person.telegram_id)
        return self

    # Derived views -----------------------------------------------------------------

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def limit(self, step_id: str) -> Limit:
        return parse_limit(self.limits.get(step_id, DEFAULT_LIMITS[step_id]))

    def owner(self, step_id: str) -> Owner:
        """Who owns a step: the configuration's choice, else section 4's."""
        chosen = self.owners.get(step_id)
        return Owner(chosen) if chosen else STEP_BY_ID[step_id].owner

    def person(self, telegram_id: int) -> PersonConfig | None:
        """Someone of the people list, without the database (for their language)."""
        return next((p for p in self.people if p.telegram_id == telegram_id), None)

    def timing(self) -> Timing:
        limits = {key: self.limit(key) for key in DEFAULT_LIMITS}
        return Timing(limits, self.workday_end, self.tz, self.working_calendar())

    def working_calendar(self) -> WorkingCalendar:
        """The working days: the official calendar, the company's own days, its week."""
        days = frozenset(WEEKDAYS.index(d) for d in self.working_hours.days)
        return WorkingCalendar(
            days,
            frozenset(self.calendar.days_off),
            frozenset(self.calendar.days_on),
            workdays.china if self.calendar.official == "china" else workdays.no_official,
        )

    def ping_policy(self) -> PingPolicy:
        return PingPolicy(
            fractions=tuple(self.reminders.at_fractions),
            repeat=parse_duration(self.reminders.escalate_every),
        )

    def repeat_every(self) -> timedelta:
        """How often a chat hears again of escalations it has heard of (at least as
        long as the escalation interval)."""
        return max(parse_duration(self.reminders.repeat_every), self.ping_policy().repeat)

    def quiet(self) -> WorkingHours | None:
        """The working day that waiting reminders wait for; None when switched off."""
        hours = self.working_hours
        if not hours.enabled:
            return None
        return WorkingHours(hours.start, hours.end, self.working_calendar(), self.tz)

    def bot_token(self) -> str:
        return os.environ.get(TOKEN_ENV) or self.telegram.token.get_secret_value()

    def webhook_secret(self) -> str:
        """Webhook mode's secret token; a bad or missing one stops start-up."""
        secret = os.environ.get(SECRET_ENV) or self.telegram.webhook.secret_token.get_secret_value()
        if not secret:
            raise ConfigError(f"telegram.webhook.secret_token: is missing (set it or {SECRET_ENV})")
        if not _valid_secret(secret):
            raise ConfigError(f"telegram.webhook.secret_token: {SECRET_RULE}")
        return secret


def _key_of(loc: tuple[int | str, ...]) -> str:
    key = ""
    for part in loc:
        if isinstance(part, int):
            key += f"[{part}]"
        else:
            # A key as typed, but quoted if it is not a plain word: a newline or an
            # empty key must not break the one-line message.
            shown = part if part.isprintable() and part.strip() == part and part else repr(part)
            key += ("." if key else "") + shown
    return key or "(top level)"


def _first_error(error: ValidationError) -> str:
    first = error.errors(include_url=False)[0]
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "missing":
        message = "is missing"
    elif first["type"] == "extra_forbidden":
        message = "is not a known key"
    return f"{_key_of(first['loc'])}: {message}"


def parse_config(data: dict[str, Any]) -> KesuConfig:
    try:
        config = KesuConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_first_error(exc)) from None
    return config


def load_config(path: str | Path, *, require_token: bool = True) -> KesuConfig:
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    config = parse_config(data)
    if require_token and not config.bot_token():
        raise ConfigError(f"telegram.token: is missing (set it or {TOKEN_ENV})")
    if require_token and config.telegram.mode == "webhook":
        config.webhook_secret()
    return config
