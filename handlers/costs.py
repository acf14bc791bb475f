"""/cost KS-…: a complaint's cost of poor quality, and a button per figure for leadership
and QC to record or correct one (the figure and the reason are asked by a reply)."""

from __future__ import annotations

from telegram import Update
from telegram.error import Forbidden
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.procedure.costs import CostKind
from bot.services import costs
from bot.views import cards
from bot.views.callbacks import COST, BadCallback, CostPress, pattern
from bot.views.i18n import N_, gettext
from handlers.common import Context, answer_stale, ask_to_start, send, send_parts
from handlers.steps import ask_cost

USAGE = N_("Send it like this: /cost KS-2026-0001")
UNKNOWN = N_("No complaint {number} for you.")


async def cost(update: Update, context: Context) -> None:
    args = context.args or []
    if len(args) != 1:
        await send_parts(update, [gettext(context.language, USAGE)])
        return
    sheet = await context.services.run(costs.show, costs.ShowCosts(context.caller, args[0]))
    if sheet is None:
        await send_parts(update, [gettext(context.language, UNKNOWN, number=args[0][:20])])
        return
    tz = context.services.config.timezone
    await send(update, cards.cost_sheet(sheet, context.language, tz))


async def on_cost_button(update: Update, context: Context) -> None:
    """A figure to record: asked privately, with its reason (rights checked on reply)."""
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    try:
        pressed = CostPress.decode(query.data)
    except BadCallback:
        await answer_stale(query, context.language)
        return
    await query.answer()
    sheet = await context.services.run(costs.sheet_of, context.caller, pressed.complaint_id)
    if sheet is None or not sheet.may_record:
        return
    user = update.effective_user.id
    kind = CostKind(pressed.kind)
    try:
        await ask_cost(context, user, pressed.complaint_id, sheet.number, kind, later=True)
    except Forbidden:  # never started a private chat with the bot: where to ask is missing
        await ask_to_start(update, context)


def handlers() -> list[BaseHandler[Update, Context, None]]:
    return [
        CommandHandler("cost", cost),
        CallbackQueryHandler(on_cost_button, pattern=pattern(COST)),
    ]
