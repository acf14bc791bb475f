"""The `kesu` command: run, check-config, db upgrade, emulator."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

from bot.config import TOKEN_ENV, ConfigError, KesuConfig, load_config


class RedactToken(logging.Filter):
    """Bot API URLs carry the token; it never reaches a log line."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if self.token:
            message = record.getMessage()
            if self.token in message:
                record.msg = message.replace(self.token, "<token>")
                record.args = ()
        return True


def _logging(config: KesuConfig | None) -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    token = config.bot_token() if config else os.environ.get(TOKEN_ENV, "")
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactToken(token))


def _run(config: KesuConfig) -> None:
    from telegram import Update

    from bot.app import build

    kesu = build(config)
    kesu.application.run_polling(allowed_updates=Update.ALL_TYPES)


def _db_upgrade(config: KesuConfig) -> None:
    from storage import db

    engine = db.make_engine(config.database.url)
    db.upgrade(engine)
    print(f"database at revision {db.current_revision(engine)}")


def _emulator(host: str, port: int) -> None:
    from bot.emulator.server import serve_forever

    asyncio.run(serve_forever(host, port))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kesu", description="Kesu 客诉 complaint bot")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start the bot")
    run.add_argument("--config", required=True)
    check = sub.add_parser("check-config", help="validate a configuration file")
    check.add_argument("file")
    database = sub.add_parser("db", help="database schema")
    database.add_argument("action", choices=["upgrade"])
    database.add_argument("--config", required=True)
    emulator = sub.add_parser("emulator", help="run the Bot API emulator")
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--port", type=int, default=8081)
    args = parser.parse_args(argv)

    try:
        if args.command == "check-config":
            config = load_config(args.file)
            print(f"{args.file}: ok ({len(config.people)} people)")
            return 0
        if args.command == "emulator":
            _logging(None)
            _emulator(args.host, args.port)
            return 0
        config = load_config(args.config, require_token=args.command == "run")
        _logging(config)
        if args.command == "db":
            _db_upgrade(config)
        else:
            _run(config)
    except ConfigError as exc:
        print(f"kesu: config error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        from bot.app import SchemaBehind

        if isinstance(exc, SchemaBehind):
            print(f"kesu: {exc}", file=sys.stderr)
            return 2
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
