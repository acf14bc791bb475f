"""/summary: the weekly summary on demand (leadership and QC), this week or a given one."""

from __future__ import annotations

from telegram import InputFile, Update
from telegram.ext import BaseHandler, CommandHandler

from bot.services import pareto, summary
from bot.services.pareto import ParetoRequest
from bot.services.summary import SummaryRefusal
from bot.views import cards
from bot.views.i18n import N_, gettext
from handlers.common import Context, send_parts

REFUSALS = {
    SummaryRefusal.NOT_ALLOWED: N_("The weekly summary is for leadership and QC."),
    SummaryRefusal.BAD_WEEK: N_("Send it like this: /summary, or /summary 2026-W47 for a week."),
}


async def summary_command(update: Update, context: Context) -> None:
    week = context.args[0] if context.args else ""
    found = await context.services.run(summary.weekly, summary.SummaryRequest(context.caller, week))
    language = context.language
    if found.refusal is not None or found.summary is None:
        refusal = found.refusal or SummaryRefusal.BAD_WEEK
        await send_parts(update, [gettext(language, REFUSALS[refusal])])
        return
    tz = context.services.config.timezone
    messages = cards.weekly_summary(found.summary, language, tz)
    await send_parts(update, [m.text for m in messages])
    # The chart off the event loop (matplotlib takes a second).
    chart = await context.services.build(summary.chart_payload, found.summary, language)
    assert update.effective_chat is not None and chart.content is not None
    photo = InputFile(chart.content, filename=chart.file_name)
    await update.effective_chat.send_photo(photo, caption=chart.caption)
    # The second chart: the Pareto of causes and of cost over the same twelve weeks.
    request = ParetoRequest(context.caller, found.summary.week, language)
    causes = await context.services.run(pareto.ask, request)
    if causes.pareto is not None:
        png = await context.services.build(
            pareto.chart_payload, causes.pareto, language, causes.names
        )
        assert png.content is not None
        photo = InputFile(png.content, filename=png.file_name)
        await update.effective_chat.send_photo(photo, caption=png.caption)


def handlers() -> list[BaseHandler[Update, Context, None]]:
    return [CommandHandler("summary", summary_command)]
