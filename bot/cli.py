"""The `kesu` command: run, sandbox, check-config, db upgrade, steps, export, summary,
status, doctor, backup, restore, emulator."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import TOKEN_ENV, ConfigError, KesuConfig, load_config

if TYPE_CHECKING:
    from bot.views.models import KeptFileView


class RedactToken(logging.Filter):
    """Bot API URLs carry the token; it never reaches a log line, nor the traceback
    under one (an HTTP error's text names the URL it failed on)."""

    def __init__(self, token: str, *secrets: str) -> None:
        super().__init__()
        self.token = token
        self.secrets = [s for s in (token, *secrets) if s]

    def _redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "<token>")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        redacted = self._redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        if record.exc_info and not record.exc_text:
            # Formatted here, once, redacted: every formatter reuses exc_text.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self._redact(record.stack_info)
        return True


class JsonLines(logging.Formatter):
    """One JSON object a line, for journald or a log collector (`--log-format json`)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info or record.exc_text:
            # The filter's redacted text when it made one.
            entry["error"] = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
        return json.dumps(entry, ensure_ascii=False)


def _webhook_secret(config: KesuConfig | None) -> str:
    """The webhook's secret, to keep out of the log as the token is (none in polling)."""
    if config is None or config.telegram.mode != "webhook":
        return ""
    try:
        return config.webhook_secret()
    except ConfigError:
        return ""


def _logging(config: KesuConfig | None, log_format: str = "text") -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if log_format == "json":
        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonLines())
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # a line per job run is noise
    # fpdf2's font subsetting lists every glyph id at INFO: a page of noise per PDF.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    token = config.bot_token() if config else os.environ.get(TOKEN_ENV, "")
    secret = _webhook_secret(config)
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactToken(token, secret))


def _run(config: KesuConfig) -> None:
    from bot.app import build, serve

    serve(build(config), config)


def _status(config: KesuConfig, language: str | None) -> int:
    """What /status shows the admins, as plain text."""
    import html
    import re

    from bot.procedure.clock import SystemClock
    from bot.services import health
    from bot.services.uow import OPERATOR, Services
    from bot.views import cards
    from storage import db

    engine = db.make_engine(config.database.url)
    services = Services(config, db.make_sessionmaker(engine), SystemClock())
    found = services.call(health.status, OPERATOR)
    for text in cards.status(found, language or config.default_language, config.timezone):
        print(html.unescape(re.sub(r"<[^>]+>", "", text)))
    services.close()
    return 0


def _doctor(config: KesuConfig, source: str) -> int:
    from bot.delivery import doctor

    checks = asyncio.run(doctor.run(config, source))
    for check in checks:
        print(check.line())
    return 0 if all(check.ok for check in checks) else 1


PG_DUMP = (
    "kesu: database.url is PostgreSQL: back it up with "
    "`pg_dump --format=custom --file FILE DATABASE` and restore it with "
    "`pg_restore --clean --dbname DATABASE FILE`"
)


def _backup(config: KesuConfig, action: str, file: str) -> int:
    from pathlib import Path

    from sqlalchemy import func, select

    from storage import db
    from storage.models import Complaint

    url = config.database.url
    try:
        if action == "backup":
            db.backup(url, Path(file))
        else:
            if not Path(file).is_file():
                print(f"kesu: {file}: no such backup", file=sys.stderr)
                return 2
            db.restore(url, Path(file))
    except db.NotSqlite:
        print(PG_DUMP, file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"kesu: {exc}", file=sys.stderr)
        return 2
    engine = db.make_engine(f"sqlite:///{file}" if action == "backup" else url)
    with db.make_sessionmaker(engine)() as session:
        count = session.scalar(select(func.count()).select_from(Complaint))
    engine.dispose()
    done = "backed up to" if action == "backup" else "restored from"
    print(f"{count} complaints {done} {file}")
    return 0


def _db_upgrade(config: KesuConfig) -> None:
    from storage import db

    engine = db.make_engine(config.database.url)
    db.upgrade(engine)
    print(f"database at revision {db.current_revision(engine)}")


# Where a day's rule comes from, as `kesu calendar` prints it.
_SOURCES = {
    "company_off": "day off ([calendar] days_off)",
    "company_on": "working day ([calendar] days_on)",
    "holiday": "official holiday",
    "make_up": "official make-up working day",
    "week": "the ordinary week ([working_hours] days)",
    "unknown_year": "the ordinary week: the year's official calendar is not known yet",
}


def _calendar(config: KesuConfig, year: int) -> int:
    """The working days of a year, one line a day, with where each rule comes from."""
    from bot.procedure.workdays import CALENDAR_VERSION

    if not 1900 < year < 2200:
        print(f"kesu: {year}: give a year like 2027", file=sys.stderr)
        return 2
    working = config.working_calendar()
    days = working.year(year)
    for day in days:
        name = f" ({day.name})" if day.name else ""
        state = "work" if day.working else "off "
        print(f"{day.day.isoformat()} {day.day:%a} {state} {_SOURCES[day.source.value]}{name}")
    worked = sum(day.working for day in days)
    print(f"{year}: {worked} working days, {len(days) - worked} days off")
    if config.calendar.official == "china" and working.unknown_years([year]):
        print(
            f"{year}: China's holidays and make-up working days are not known to "
            f"chinesecalendar {CALENDAR_VERSION} yet; enter them in [calendar] days_off "
            "and days_on until it knows them"
        )
    return 0


def _steps(config: KesuConfig) -> None:
    """The step table as this configuration runs it."""
    from bot.procedure.steps import ITEM_STEPS, STEPS

    print(f"{'#':<4}{'step':<22}{'owner':<12}{'limit':<12}{'from':<10}{'applies to':<20}opens")
    for step in (*STEPS, *ITEM_STEPS):
        limit = str(config.limit(step.id)) if step.default_limit else "-"
        opens = ", ".join(step.opens)
        if step.per_item:
            opens = "one per plan item (the plan gives its date)"
        if step.waits_for:
            opens += f" (when {' and '.join(step.waits_for)} are done)"
        for ending in step.outcomes:
            if ending.opens is not None or ending.sends_back or ending.ends_case:
                then = ", ".join(ending.opens or ()) or ("closed" if ending.ends_case else "")
                opens += f"; {ending.outcome.value}: {then}"
        start = "filing" if step.at_registration else step.counts_from.value
        if step.at_registration and step.counts_from.value != "opened":
            start = step.counts_from.value
        print(
            f"{step.number:<4}{step.id:<22}{config.owner(step.id).value:<12}{limit:<12}{start:<10}"
            f"{step.applies_to:<20}{opens}"
        )
    fractions = ", ".join(f"{f:.0%}" for f in config.reminders.at_fractions)
    print(
        f"reminders at {fractions} of each limit; "
        f"escalation every {config.reminders.escalate_every} after it"
    )
    hours = config.working_hours
    if hours.enabled:
        print(
            f"quiet hours: outside {hours.start:%H:%M}-{hours.end:%H:%M} on "
            f"{', '.join(hours.days)}, C complaints and reminders of limits of a day or "
            "longer wait for the working day"
        )


def _export(
    config: KesuConfig,
    form: str,
    which: str,
    out: str,
    language: str | None,
    with_files: bool = False,
) -> int:
    """The forms as files on the command line, written into `out`; with_files: the files
    Kesu kept for the complaints too, as the register's file sheet names them."""
    from pathlib import Path

    from bot.app import prepare_database
    from bot.procedure.clock import SystemClock
    from bot.services import exports
    from bot.services.uow import OPERATOR, Services
    from bot.views import forms
    from bot.views.fonts import cjk_font
    from storage import db

    engine = db.make_engine(config.database.url)
    prepare_database(config, engine)
    services = Services(config, db.make_sessionmaker(engine), SystemClock())
    language = language or config.default_language
    tz = config.timezone
    files: list[forms.FormFile] = []
    kept: tuple[KeptFileView, ...] = ()
    if form == "register":
        register = services.call(exports.register, exports.RegisterRequest(OPERATOR, which))
        if register.refusal is not None:
            print(f"kesu: not a month: {which!r} (like 2026-11)", file=sys.stderr)
            return 2
        files.append(
            forms.register_xlsx(
                register.complaints,
                register.period,
                language,
                tz,
                register.files,
                causes=register.causes,
                listed=register.listed,
            )
        )
        kept = register.files
    elif form == "plan":
        found = services.call(exports.plan, exports.ReportRequest(OPERATOR, which))
        if found.complaint is None or found.plan is None:
            why = "no rectification plan for" if found.refusal else "no complaint"
            print(f"kesu: {why} {which!r}", file=sys.stderr)
            return 2
        files.append(forms.plan_xlsx(found.plan, found.complaint, language, tz))
        files.append(forms.plan_pdf(found.plan, found.complaint, language, tz, cjk_font()))
    elif form == "8d":
        from bot.views import eightd

        found = services.call(exports.eight_d, exports.ReportRequest(OPERATOR, which))
        if found.complaint is None:
            print(f"kesu: no complaint {which!r}", file=sys.stderr)
            return 2
        c, plan, team, fmea = found.complaint, found.plan, found.team, found.fmea
        files.append(eightd.eightd_xlsx(c, plan, team, language, tz, fmea))
        files.append(eightd.eightd_pdf(c, plan, team, language, tz, cjk_font(), fmea))
    else:
        report = services.call(exports.report, exports.ReportRequest(OPERATOR, which))
        if report.complaint is None:
            print(f"kesu: no complaint {which!r}", file=sys.stderr)
            return 2
        files.append(forms.report_xlsx(report.complaint, language, tz))
        kept = report.files
        files.append(forms.report_pdf(report.complaint, language, tz, cjk_font()))
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    for file in files:
        path = folder / file.name
        path.write_bytes(file.content)
        print(path)
    if with_files:
        return _copy_kept(config, kept, folder)
    return 0


def _copy_kept(config: KesuConfig, kept: Sequence[KeptFileView], folder: Path) -> int:
    """Each kept file beside the forms, at the path the file sheet names."""
    from storage.files import FileStore

    store, missing = FileStore(config.files.store), 0
    for file in kept:
        content = store.read(file.path, file.sha256) if file.path else None
        if content is None or file.path is None:
            missing += 1
            print(
                f"kesu: not kept: {file.complaint_number} {file.file_name or ''}", file=sys.stderr
            )
            continue
        target = folder / file.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        print(target)
    return 1 if missing else 0


def _summary(config: KesuConfig, week: str, language: str | None) -> int:
    """The weekly summary printed as plain text (the operator's: no role is asked)."""
    import html
    import re

    from bot.app import prepare_database
    from bot.procedure.clock import SystemClock
    from bot.services import summary
    from bot.services.uow import OPERATOR, Services
    from bot.views import cards
    from storage import db

    engine = db.make_engine(config.database.url)
    prepare_database(config, engine)
    services = Services(config, db.make_sessionmaker(engine), SystemClock())
    found = services.call(summary.weekly, summary.SummaryRequest(OPERATOR, week))
    if found.summary is None:
        print(f"kesu: not a week: {week!r} (like 2026-W47)", file=sys.stderr)
        return 2
    for message in cards.weekly_summary(
        found.summary, language or config.default_language, config.timezone
    ):
        print(html.unescape(re.sub(r"<[^>]+>", "", message.text)))
    return 0


def _sandbox(database: str, host: str, port: int, fresh: bool, named: bool) -> None:
    from pathlib import Path

    from bot.sandbox.page import serve

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how it stops
        asyncio.run(serve(Path(database), host, port, fresh=fresh, named=named))


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host.lower() == "localhost"


def _emulator(host: str, port: int) -> None:
    from bot.sandbox.emulator.server import serve_forever

    asyncio.run(serve_forever(host, port))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kesu", description="Kesu 客诉 complaint bot")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start the bot")
    run.add_argument("--config", required=True)
    run.add_argument(
        "--log-format", choices=["text", "json"], default="text", help="json: one object a line"
    )
    check = sub.add_parser("check-config", help="validate a configuration file")
    check.add_argument("file")
    database = sub.add_parser("db", help="database schema")
    database.add_argument("action", choices=["upgrade"])
    database.add_argument("--config", required=True)
    steps = sub.add_parser("steps", help="print the step table as the configuration runs it")
    steps.add_argument("--config", required=True)
    days = sub.add_parser(
        "calendar", help="the working days of a year, and where each day's rule comes from"
    )
    days.add_argument("year", type=int)
    days.add_argument("--config", required=True)
    sandbox = sub.add_parser(
        "sandbox", help="the whole procedure in a browser, without Telegram (a demo company)"
    )
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8080)
    sandbox.add_argument(
        "--db",
        help="an SQLite file to keep the sandbox in; an existing one (a saved database) is "
        "started from as it is. Without it, every start has fresh demo data.",
    )
    sandbox.add_argument(
        "--fresh", action="store_true", help="with --db: replace the file with fresh demo data"
    )
    weekly = sub.add_parser("summary", help="the weekly summary of complaints, as text")
    weekly.add_argument("--week", default="", help="a week like 2026-W47; else this week")
    weekly.add_argument("--config", required=True)
    weekly.add_argument("--language", choices=["zh_CN", "en"])
    export = sub.add_parser(
        "export",
        help="the forms as files: the register of a month, a disposition report, a plan",
    )
    export.add_argument("form", choices=["register", "report", "plan", "8d"])
    export.add_argument(
        "which", help="register: a month like 2026-11; report or plan: KS-2026-0001"
    )
    export.add_argument("--config", required=True)
    export.add_argument("--out", default=".", help="the folder to write into")
    export.add_argument("--language", choices=["zh_CN", "en"])
    export.add_argument(
        "--with-files",
        action="store_true",
        help="the letters, photos and reports Kesu kept, beside the forms",
    )
    state = sub.add_parser(
        "status", help="the outbox, failed deliveries, the next ping, late pings of the day"
    )
    state.add_argument("--config", required=True)
    state.add_argument("--language", choices=["zh_CN", "en"])
    doctor = sub.add_parser(
        "doctor", help="check the configuration, the database, the token and every group"
    )
    doctor.add_argument("--config", required=True)
    backup = sub.add_parser("backup", help="copy the SQLite database to a file, while the bot runs")
    backup.add_argument("file")
    backup.add_argument("--config", required=True)
    restore = sub.add_parser(
        "restore", help="replace the SQLite database with a backup (stop the bot first)"
    )
    restore.add_argument("file")
    restore.add_argument("--config", required=True)
    emulator = sub.add_parser("emulator", help="run the Bot API emulator")
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--port", type=int, default=8081)
    for served in (sandbox, emulator):
        served.add_argument(
            "--allow-remote",
            action="store_true",
            help="listen on a --host other than loopback: anyone who reaches it may drive it",
        )
    args = parser.parse_args(argv)
    if args.command in ("sandbox", "emulator") and not _loopback(args.host):
        if not args.allow_remote:
            print(
                f"kesu {args.command}: --host {args.host} is not loopback; the sandbox has "
                "no accounts, so anyone who reaches it acts as anyone. Add --allow-remote "
                "to listen there anyway.",
                file=sys.stderr,
            )
            return 2
        print(f"warning: kesu {args.command} listens on {args.host}", file=sys.stderr)

    try:
        if args.command == "check-config":
            config = load_config(args.file)
            print(f"{args.file}: ok ({len(config.people)} people)")
            return 0
        if args.command == "emulator":
            _logging(None)
            _emulator(args.host, args.port)
            return 0
        if args.command == "sandbox":
            _logging(None)
            fresh = args.fresh or args.db is None
            _sandbox(args.db or "kesu-sandbox.db", args.host, args.port, fresh, args.db is not None)
            return 0
        config = load_config(args.config, require_token=args.command in ("run", "doctor"))
        if args.command == "steps":
            _steps(config)
            return 0
        if args.command == "calendar":
            return _calendar(config, args.year)
        if args.command == "export":
            return _export(config, args.form, args.which, args.out, args.language, args.with_files)
        if args.command == "summary":
            return _summary(config, args.week, args.language)
        if args.command == "status":
            return _status(config, args.language)
        if args.command == "doctor":
            return _doctor(config, args.config)
        if args.command in ("backup", "restore"):
            return _backup(config, args.command, args.file)
        _logging(config, getattr(args, "log_format", "text"))
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
