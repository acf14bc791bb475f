"""`kesu doctor` against the emulator: one line per check, and a group the bot was
removed from, or that became a supergroup, named by its configuration key."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import Engine

from bot.app import prepare_database
from bot.config import parse_config
from bot.delivery import doctor
from bot.procedure.routing import Group
from bot.webapp.server import Dashboard
from storage import db, queries
from tests.conftest import LEADERSHIP, PROD_HUANGWU, QC_HW, QC_LAISHAN, config_data
from tests.harness import make_emulator

HR_GROUP = -1001000000066


def lines(checks: list[doctor.Check]) -> dict[str, str]:
    return {check.name: check.line() for check in checks}


async def test_doctor_names_a_group_the_bot_was_removed_from(tmp_path: Path) -> None:
    emu = await make_emulator()
    try:
        url = f"sqlite:///{tmp_path / 'kesu.db'}"
        telegram = {
            "token": emu.token,
            "api_base_url": emu.api_base_url,
            "file_base_url": emu.file_base_url,
        }
        config = parse_config(config_data(url, telegram=telegram))
        engine: Engine = db.make_engine(url)
        prepare_database(config, engine)
        with db.make_sessionmaker(engine)() as session, session.begin():
            queries.bind_chat(session, Group.HR, None, HR_GROUP)  # an admin's /bindchat hr
        engine.dispose()
        emu.add_group(HR_GROUP, "人力部")
        emu.chats[HR_GROUP].bot_is_member = False
        emu.chats[QC_LAISHAN].bot_is_member = False  # somebody removed the bot
        moved = await emu.upgrade_group(PROD_HUANGWU, by_user=QC_HW, announce=False)
        emu.chats[LEADERSHIP].bot_is_admin = True  # the leadership group made it an admin

        found = lines(await doctor.run(config, "kesu.toml"))
        assert found["config"] == "✓ config: kesu.toml: 9 people, 6 groups"
        assert found["database.url"].startswith("✓ database.url:")
        assert "(the latest)" in found["database.url"]
        assert found["telegram.token"] == f"✓ telegram.token: @kesu_test_bot (id {emu.bot_id})"
        assert found["chats.qc.laishan"] == (
            f"✗ chats.qc.laishan: {QC_LAISHAN}: the bot is not in this group; add it"
        )
        assert found["chats.production.huangwu"].startswith("✗ chats.production.huangwu:")
        assert str(moved) in found["chats.production.huangwu"]
        assert found["chats.leadership"].endswith("the bot is an admin and may post")
        assert found["chats.sales"].endswith("the bot is a member and may post")
        # A group bound in Telegram is checked too, named by the command that bound it.
        assert found["/bindchat hr"] == (
            f"✗ /bindchat hr: {HR_GROUP}: the bot is not in this group; add it"
        )
        assert [c for c in found.values() if c.startswith("✗")] == [
            found["chats.qc.laishan"],
            found["chats.production.huangwu"],
            found["/bindchat hr"],
        ]

        # A wrong token, and a database behind its schema.
        wrong = parse_config(config_data(url, telegram=telegram | {"token": "123456789:WRONG"}))
        assert lines(await doctor.run(wrong, "kesu.toml"))["telegram.token"].startswith(
            "✗ telegram.token: refused by Telegram"
        )
        engine = db.make_engine(url)
        with engine.begin() as connection:
            connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0006'")
        engine.dispose()
        behind = lines(await doctor.run(config, "kesu.toml"))["database.url"]
        assert behind.startswith("✗") and "schema 0006, needs" in behind
        assert "kesu db upgrade" in behind
    finally:
        await emu.stop()


async def test_doctor_checks_that_the_dashboards_address_answers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kesu.db'}"
    off = parse_config(config_data(url))
    assert (await doctor.webapp(off)).line().startswith("✓ webapp: the dashboard is not enabled")
    public = "https://kesu.example.com/app/"
    config = parse_config(config_data(url, webapp={"enabled": True, "url": public}))
    # Nobody answers there (the proxy, or Kesu, is not running): said, with what to check.
    down = await doctor.webapp(config, "http://127.0.0.1:9/app/")
    assert not down.ok and "does not answer" in down.line() and "127.0.0.1:8444" in down.line()
    # Kesu's own server, as the proxy would pass it on.
    app = web.Application()
    Dashboard(None, "123456789:TEST-kesu-token").mount(app)
    async with TestServer(app) as server:
        up = await doctor.webapp(config, str(server.make_url("/app/")))
    assert up.line() == f"✓ webapp.url: {public} answers"
