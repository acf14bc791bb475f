"""Webhook mode behind a reverse proxy, through the emulator: Telegram (the emulator)
posts each update with the secret token, Kesu takes only those, polling is refused
while the webhook is set, and a wrong configuration stops start-up naming the key.
(The end-to-end tests that take `transport` run the same steps in both modes.)"""

from __future__ import annotations

import aiohttp
import pytest
from sqlalchemy import Engine

from bot.config import ConfigError, load_config, parse_config
from tests.conftest import SALES, config_data, eventually
from tests.harness import PUBLIC_URL, make_emulator, running_kesu

# Not about Telegram's pace: without its limits (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("telegram_limits_lifted")


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    return sqlite_engine


async def test_telegram_posts_updates_to_the_webhook_with_its_secret(engine: Engine) -> None:
    emu = await make_emulator()
    try:
        async with running_kesu(engine, emulator=emu, transport="webhook") as world:
            hook = emu.webhook
            assert hook is not None and hook.url == f"{PUBLIC_URL}/telegram"
            assert hook.secret_token and len(hook.secret_token) >= 32
            await world.say(SALES, "/help")
            assert "客诉" in world.last(SALES).text
            assert hook.delivered >= 1
            info = await emu.api_getwebhookinfo({})
            assert info["url"] == hook.url and info["pending_update_count"] == 0
            # While a webhook is set Telegram refuses getUpdates (409), as the emulator does.
            assert any(m == "setWebhook" for m, _ in emu.calls)
            assert not any(m == "getUpdates" for m, _ in emu.calls)

            # Someone who is not Telegram (no secret, or a wrong one) is turned away.
            local = emu._forwarded(hook.url)
            assert local is not None and local.startswith("http://127.0.0.1:")
            update = {
                "update_id": 999999,
                "message": {
                    "message_id": 1,
                    "date": 0,
                    "chat": {"id": SALES, "type": "private", "first_name": "x"},
                    "from": {"id": SALES, "is_bot": False, "first_name": "x"},
                    "text": "/help",
                },
            }
            before = len(emu.bot_messages(SALES))
            async with aiohttp.ClientSession() as client:
                for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                    async with client.post(local, json=update, headers=headers) as answer:
                        assert answer.status == 403
            await world.say(SALES, "/help")  # a real one afterwards: one answer, not three
            assert len(emu.bot_messages(SALES)) == before + 1

            # The proxy is down for a moment: Telegram keeps the update and tries again.
            proxies = dict(emu.proxies)
            emu.proxies.clear()
            await emu.user_sends(SALES, "/help")
            await eventually(lambda: hook.last_error_message == "Connection refused")
            emu.proxies.update(proxies)
            await eventually(lambda: len(emu.bot_messages(SALES)) == before + 2, timeout=10)
        # Kesu stops; Telegram keeps the webhook and holds what comes meanwhile, which
        # reaches Kesu when it is back.
        assert emu.webhook is not None
        await emu.user_sends(SALES, "/help")
        async with running_kesu(engine, emulator=emu, transport="webhook"):
            await eventually(lambda: len(emu.bot_messages(SALES)) == before + 3, timeout=10)
    finally:
        await emu.stop()


async def test_polling_is_refused_while_a_webhook_is_set() -> None:
    emu = await make_emulator()
    try:
        await emu.api_setwebhook({"url": "https://kesu.example.test/hook", "secret_token": "s3"})
        with pytest.raises(Exception, match="Conflict"):
            await emu.api_getupdates({})
        for url, reason in (
            ("http://kesu.example.test/hook", "HTTPS URL must be provided"),
            ("https://kesu.example.test:9000/hook", "only on ports 80, 88, 443 or 8443"),
        ):
            with pytest.raises(Exception, match=reason):
                await emu.api_setwebhook({"url": url})
        with pytest.raises(Exception, match="unallowed characters"):
            await emu.api_setwebhook({"url": "https://k.example.test/", "secret_token": "a b"})
        await emu.api_deletewebhook({})
        assert await emu.api_getupdates({}) == []
    finally:
        await emu.stop()


@pytest.mark.parametrize(
    ("telegram", "message"),
    [
        ({"mode": "webhook"}, "telegram: mode is webhook: set telegram.webhook.url"),
        (
            {"mode": "webhook", "webhook": {"url": "http://kesu.example.test/telegram"}},
            "telegram.webhook.url: must start with https://",
        ),
        (
            {"webhook": {"secret_token": "not secret!"}},
            "telegram.webhook.secret_token: must be 32-256 characters",
        ),
        ({"mode": "pushing"}, "telegram.mode:"),
    ],
)
def test_a_bad_webhook_configuration_names_the_key(
    telegram: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(config_data(telegram={"token": "1:x", **telegram}))
    assert str(error.value).startswith(message)


def test_webhook_mode_without_a_secret_stops_start_up(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    monkeypatch.delenv("KESU_WEBHOOK_SECRET", raising=False)
    path = tmp_path / "config.toml"
    path.write_text(
        '[telegram]\ntoken = "1:x"\nmode = "webhook"\n'
        '[telegram.webhook]\nurl = "https://kesu.example.test/telegram"\n'
        "[chats]\nleadership = -1\nsales = -2\n"
        "[chats.qc]\nhuangwu = -3\nlaishan = -4\n"
        "[chats.production]\nhuangwu = -5\nlaishan = -6\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"^telegram\.webhook\.secret_token: is missing"):
        load_config(path)
    monkeypatch.setenv("KESU_WEBHOOK_SECRET", "from-the-environment_0123456789abcdef")
    assert load_config(path).webhook_secret() == "from-the-environment_0123456789abcdef"
