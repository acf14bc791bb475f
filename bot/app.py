"""Wiring: the PTB Application, the database, the outbox sender."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from telegram import BotCommand, Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes

from bot.config import KesuConfig
from bot.delivery.keeper import FileKeeper
from bot.delivery.menus import set_dashboard_menus
from bot.delivery.pacing import TELEGRAM, Limits, Pacing
from bot.delivery.persistence import DatabasePersistence
from bot.delivery.ratelimit import KesuRateLimiter
from bot.delivery.scheduler import Delivery
from bot.delivery.sender import OutboxSender
from bot.delivery.updates import PerPersonUpdates
from bot.procedure.clock import Clock, SystemClock
from bot.services import company
from bot.services.uow import Services, UnitOfWork
from bot.views.i18n import LANGUAGES, N_, gettext
from bot.webapp.server import Dashboard
from handlers import (
    causes,
    chats,
    common,
    costs,
    exports,
    extensions,
    intake,
    major,
    meetings,
    pareto,
    people,
    plans,
    reading,
    resources,
    settings,
    status,
    steps,
    suggestions,
    summary,
    throttle,
)
from handlers.context import KESU, KesuContext
from storage import db

log = logging.getLogger(__name__)


COMMANDS = (
    ("new", N_("File a new customer complaint")),
    ("list", N_("Open complaints")),
    ("show", N_("A complaint's card and history")),
    ("mytasks", N_("My open steps")),
    ("overdue", N_("Overdue steps")),
    ("cost", N_("A complaint's cost of poor quality")),
    ("settings", N_("Night pings and working hours")),
    ("export", N_("The forms as files: register, disposition report, plan")),
    ("major", N_("The register of major quality problems")),
    ("meetings", N_("Quality meetings and their minutes")),
    ("summary", N_("The weekly summary (leadership and QC)")),
    ("pareto", N_("The Pareto of causes and of cost (leadership and QC)")),
    ("status", N_("Kesu's status: the outbox, failures, pings (admins)")),
    ("people", N_("People: list, change, remove (admins)")),
    ("invite", N_("Invite someone by a one-time link (admins)")),
    ("bindchat", N_("Bind this group to a department (admins)")),
    ("suggest", N_("Suggest an improvement")),
    ("suggestions", N_("Improvement suggestions and rewards")),
    ("cancel", N_("Stop filing")),
    ("help", N_("What you can do")),
)


class SchemaBehind(Exception):
    pass


@dataclass
class Kesu:
    application: Application
    services: Services
    engine: Engine
    dashboard: Dashboard  # the Mini App's server (the sandbox mounts its routes itself)


def prepare_database(config: KesuConfig, engine: Engine) -> None:
    """Bring the schema up to date (SQLite by itself; PostgreSQL by `kesu db upgrade`)
    and mirror the people and chats of the configuration."""
    current, head = db.current_revision(engine), db.head_revision(engine)
    if current != head:
        if engine.dialect.name != "sqlite":
            raise SchemaBehind(
                f"database.url: schema is at {current or 'nothing'}, needs {head}; "
                "run `kesu db upgrade --config FILE`"
            )
        db.upgrade(engine)
    with UnitOfWork(config, db.make_sessionmaker(engine), SystemClock()) as uow:
        company.mirror(uow)


def build(
    config: KesuConfig,
    *,
    engine: Engine | None = None,
    clock: Clock | None = None,
    rate_limiter: bool = True,
    limits: Limits = TELEGRAM,
    dashboard_server: bool = True,
) -> Kesu:
    """The Application, wired. `limits`: Telegram's sending limits, which the outbox's
    lanes keep (tests that are not about the pace lift them, by a fixture that says so)."""
    engine = engine or db.make_engine(config.database.url)
    prepare_database(config, engine)
    services = Services(config, db.make_sessionmaker(engine), clock or SystemClock())
    services.load_people()
    # One count of what went to Telegram, kept by the outbox's lanes and the answers alike.
    pacing = Pacing(limits)
    # The dashboard (a Mini App), served beside the bot when [webapp] enables it.
    board = Dashboard(services, config.bot_token(), config.webapp.max_age)

    async def post_init(application: Application) -> None:
        for language in LANGUAGES:
            commands = [BotCommand(name, gettext(language, text)) for name, text in COMMANDS]
            code = None if language == config.default_language else language.split("_")[0]
            await application.bot.set_my_commands(commands, language_code=code)
        delivery = Delivery(services, application.job_queue)
        delivery.sender = OutboxSender(application.bot, services, pacing)
        delivery.sender.on_board_lost = delivery.boards_soon
        services.after_commit = delivery
        delivery.sender.start()
        delivery.sender.poke()  # rows left by a previous run
        delivery.keeper = FileKeeper(application.bot, services)
        delivery.keeper.start()  # and files not yet kept
        await delivery.rebuild()
        if config.webapp.enabled:
            if dashboard_server:  # (the sandbox serves it from its own server)
                await board.start(config.webapp.listen, config.webapp.port)
            await set_dashboard_menus(application.bot, services)

    async def post_stop(application: Application) -> None:
        """The sender and the keeper stop before the bot's HTTP client closes, so that no
        request of theirs is cut off half-way (PTB: stop, post_stop, shutdown)."""
        delivery = services.after_commit
        if isinstance(delivery, Delivery) and delivery.sender is not None:
            await delivery.sender.stop()
        if isinstance(delivery, Delivery) and delivery.keeper is not None:
            await delivery.keeper.stop()
        await board.stop()

    async def post_shutdown(application: Application) -> None:
        await post_stop(application)  # stopped already by then; stopping twice is harmless
        services.after_commit = None
        services.close()

    builder: ApplicationBuilder = (
        Application.builder()
        .token(config.bot_token())
        .base_url(config.telegram.api_base_url)
        .base_file_url(config.telegram.file_base_url)
        .context_types(ContextTypes(context=KesuContext))
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
        .persistence(
            # Intake's and the plan's positions are read back from their drafts.
            DatabasePersistence(services, {"intake": intake.position, "plan": plans.position})
        )
        # Different people's updates at once, one person's in order.
        .concurrent_updates(PerPersonUpdates())
    )
    if rate_limiter:
        # The outbox's lanes keep Telegram's pace; answers to people go at once, counted,
        # and a 429 on one is waited out and retried (bot/delivery/ratelimit.py).
        builder = builder.rate_limiter(KesuRateLimiter(pacing, max_retries=3))
    application = builder.build()
    application.bot_data[KESU] = services
    # A flood costs the flooder: each person's pace, before any other handler.
    application.add_handler(throttle.handler(), group=-3)
    # Before anything else reads the group: a group that became a supergroup moves.
    application.add_handler(chats.migration_handler(), group=-2)
    application.add_handler(steps.reply_handler(), group=-1)
    application.add_handler(intake.conversation())
    # Before the step buttons: "Fill in the plan" on a card starts the plan's conversation.
    application.add_handler(plans.conversation())
    application.add_handler(plans.hand_over_handler())
    application.add_handler(intake.closed_form_handler())
    application.add_handlers(steps.handlers())
    application.add_handlers(causes.handlers())
    application.add_handlers(costs.handlers())
    application.add_handlers(people.handlers())  # before /start without a link
    application.add_handlers(reading.handlers())
    application.add_handlers(resources.handlers())
    application.add_handlers(extensions.handlers())
    application.add_handlers(settings.handlers())
    application.add_handlers(exports.handlers())
    application.add_handlers(major.handlers())
    application.add_handlers(suggestions.handlers())
    application.add_handlers(meetings.handlers())
    application.add_handlers(summary.handlers())
    application.add_handlers(pareto.handlers())
    application.add_handlers(status.handlers())
    # Last: a button no handler above knows is answered, never left spinning.
    application.add_handler(common.stale_button_handler())
    application.add_error_handler(on_error)
    return Kesu(application, services, engine, board)


def webhook_settings(config: KesuConfig) -> dict[str, Any]:
    """Where Kesu listens behind the proxy, the public address it gives Telegram, and the
    secret token Telegram must send back."""
    hook = config.telegram.webhook
    return {
        "listen": hook.listen,
        "port": hook.port,
        "url_path": hook.url_path(),
        "webhook_url": hook.url,
        "secret_token": config.webhook_secret(),
    }


def serve(kesu: Kesu, config: KesuConfig) -> None:
    """Run until stopped: polling by default, or Telegram's webhook behind a reverse proxy
    (only requests that carry the secret token Kesu gave Telegram are taken)."""
    application = kesu.application
    if config.telegram.mode == "webhook":
        application.run_webhook(**webhook_settings(config), allowed_updates=Update.ALL_TYPES)
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES)


async def start_updates(kesu: Kesu, config: KesuConfig, *, poll_timeout: int = 10) -> None:
    """What `serve` does to start receiving updates, on a running Application (tests and
    the sandbox, which own their event loop)."""
    updater = kesu.application.updater
    assert updater is not None
    if config.telegram.mode == "webhook":
        await updater.start_webhook(**webhook_settings(config), allowed_updates=Update.ALL_TYPES)
    else:
        await updater.start_polling(
            poll_interval=0, timeout=poll_timeout, allowed_updates=Update.ALL_TYPES
        )


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log it; tell the person in one line that nothing was lost (the transaction rolled back)."""
    log.error("update failed", exc_info=context.error)
    if not isinstance(update, Update):
        return
    user = update.effective_user
    language = "en" if user and (user.language_code or "").startswith("en") else "zh_CN"
    text = gettext(language, "Something went wrong; nothing was lost. Please try again.")
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        elif update.effective_chat is not None:
            await update.effective_chat.send_message(text)
    except Exception:  # the error handler must not raise
        log.exception("could not tell the user about the error")
