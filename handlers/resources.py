"""The GM's buttons under a special report (书面专项报告): Approve, or Reply in words."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.services import resources
from bot.services.resources import AnswerReport, AnswerResult
from bot.services.steps import PromptKind
from bot.views import cards
from bot.views.callbacks import SPECIAL_REPORT, BadCallback, ReportAction, ReportPress, pattern
from bot.views.i18n import N_, gettext
from handlers.common import Context, answer_stale, edit_keyboard
from handlers.steps import ask

REFUSALS = {
    AnswerResult.DENIED: N_("Only the GM answers a special report."),
    AnswerResult.ANSWERED: N_("This report has been answered already."),
    AnswerResult.NOT_FOUND: N_("This report no longer exists."),
}


async def on_report_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    language = context.language
    try:
        pressed = ReportPress.decode(query.data)
    except BadCallback:
        await answer_stale(query, language)
        return
    approve = pressed.action is ReportAction.APPROVE
    done = await context.services.run(
        resources.answer_report, AnswerReport(context.caller, pressed.report_id, approve)
    )
    if done.result in REFUSALS:
        await query.answer(gettext(language, REFUSALS[done.result]), show_alert=True)
        return
    if done.result is AnswerResult.OK:  # approved: the buttons have done their work
        await query.answer(gettext(language, "Approved; the writer and sales are told."))
        await edit_keyboard(query, None)
        return
    await query.answer()  # Reply: the words are asked for
    prompt = [pressed.report_id, PromptKind.ANSWER.value]
    await ask(context, update.effective_user.id, cards.special_answer_prompt(language), prompt)


def handlers() -> list[BaseHandler[Update, Context, None]]:
    return [CallbackQueryHandler(on_report_button, pattern=pattern(SPECIAL_REPORT))]
