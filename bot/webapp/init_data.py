"""Telegram's initData: what a Mini App receives about who opened it, signed with a key
derived from the bot's token (Telegram's Bot API, "Validating data received via the
Mini App"). Every request of the dashboard carries it; nothing else identifies a person.

The check: the fields but `hash`, sorted by name, as "name=value" lines joined by "\\n",
signed with HMAC-SHA256 under the key HMAC-SHA256("WebAppData", token), must give
`hash`; `auth_date` must be at most `max_age` old. `sign` is what Telegram (or the
sandbox, standing in for it) does."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from urllib.parse import parse_qsl, urlencode

# Longer than any real initData (a user, a chat and a few ids): a request is bounded.
MOST_CHARACTERS = 4096
# A clock a little ahead at Telegram is not a forgery.
SKEW = timedelta(minutes=5)


class Refusal(StrEnum):
    MISSING = "missing"  # no initData
    MALFORMED = "malformed"  # not a query string of unique fields, or too long
    FORGED = "forged"  # the hash does not match: another token, or a field changed
    EXPIRED = "expired"  # auth_date older than max_age (or in the future)
    NO_USER = "no_user"  # signed, but names nobody


@dataclass(frozen=True)
class Opened:
    """A valid initData: who opened the Mini App, and when Telegram signed it."""

    telegram_id: int
    language_code: str | None
    auth_date: datetime
    start_param: str | None = None


class InitDataError(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


def _secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def _check_string(fields: dict[str, str]) -> bytes:
    return "\n".join(f"{k}={fields[k]}" for k in sorted(fields) if k != "hash").encode()


def sign(fields: dict[str, str], bot_token: str) -> str:
    """initData as Telegram makes it: the fields and their hash, URL-encoded."""
    digest = hmac.new(_secret_key(bot_token), _check_string(fields), hashlib.sha256)
    return urlencode({**fields, "hash": digest.hexdigest()})


def validate(init_data: str, bot_token: str, now: datetime, max_age: timedelta) -> Opened:
    """Who opened the Mini App; raises InitDataError with the reason otherwise."""
    if not init_data:
        raise InitDataError(Refusal.MISSING)
    if len(init_data) > MOST_CHARACTERS:
        raise InitDataError(Refusal.MALFORMED)
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataError(Refusal.MALFORMED) from None
    fields = dict(pairs)
    if len(fields) != len(pairs) or "hash" not in fields:
        raise InitDataError(Refusal.MALFORMED)  # a field twice could hide a second value
    expected = hmac.new(_secret_key(bot_token), _check_string(fields), hashlib.sha256)
    if not hmac.compare_digest(expected.hexdigest(), fields["hash"]):
        raise InitDataError(Refusal.FORGED)
    try:
        auth_date = datetime.fromtimestamp(int(fields.get("auth_date", "")), UTC)
    except (ValueError, OverflowError, OSError):
        raise InitDataError(Refusal.MALFORMED) from None
    if not now - max_age <= auth_date <= now + SKEW:
        raise InitDataError(Refusal.EXPIRED)
    try:
        user = json.loads(fields.get("user", ""))
        telegram_id = user["id"]
    except (ValueError, TypeError, KeyError):
        raise InitDataError(Refusal.NO_USER) from None
    if not isinstance(telegram_id, int) or isinstance(telegram_id, bool) or telegram_id <= 0:
        raise InitDataError(Refusal.NO_USER)
    language = user.get("language_code")
    return Opened(
        telegram_id,
        language if isinstance(language, str) else None,
        auth_date,
        fields.get("start_param"),
    )


def for_user(
    telegram_id: int, bot_token: str, now: datetime, *, language_code: str = "zh-hans", **more: str
) -> str:
    """initData for a person, as Telegram would sign it when they open the Mini App (the
    sandbox's, and the tests')."""
    user = {"id": telegram_id, "first_name": str(telegram_id), "language_code": language_code}
    fields = {
        "user": json.dumps(user, separators=(",", ":")),
        "auth_date": str(int(now.timestamp())),
        **more,
    }
    return sign(fields, bot_token)
