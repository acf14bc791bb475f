"""/pareto [2026-11 | 2026-Q4 | 2026]: the Pareto of causes and of cost, for leadership
and QC; without a period, the last twelve weeks (as the weekly summary draws it)."""

from __future__ import annotations

from telegram import InputFile, Update
from telegram.ext import BaseHandler, CommandHandler

from bot.services import pareto
from bot.services.pareto import ParetoRefusal, ParetoRequest
from bot.views import cards
from bot.views.i18n import N_, gettext
from handlers.common import Context, send_parts

REFUSALS = {
    ParetoRefusal.NOT_ALLOWED: N_("The Pareto of causes is for leadership and QC."),
    ParetoRefusal.BAD_PERIOD: N_(
        "Send it like this: /pareto 2026-11 (a month), /pareto 2026-Q4 (a quarter), "
        "/pareto 2026 (a year), or /pareto alone for the last twelve weeks."
    ),
}


async def pareto_command(update: Update, context: Context) -> None:
    period = context.args[0] if context.args else ""
    language = context.language
    request = ParetoRequest(context.caller, period[:20], language)
    found = await context.services.run(pareto.ask, request)
    if found.refusal is not None or found.pareto is None:
        await send_parts(
            update, [gettext(language, REFUSALS[found.refusal or ParetoRefusal.BAD_PERIOD])]
        )
        return
    await send_parts(update, cards.pareto(found.pareto, found.names, language))
    # The chart off the event loop (matplotlib takes a second).
    chart = await context.services.build(pareto.chart_payload, found.pareto, language, found.names)
    assert update.effective_chat is not None and chart.content is not None
    photo = InputFile(chart.content, filename=chart.file_name)
    await update.effective_chat.send_photo(photo, caption=chart.caption)


def handlers() -> list[BaseHandler[Update, Context, None]]:
    return [CommandHandler("pareto", pareto_command)]
