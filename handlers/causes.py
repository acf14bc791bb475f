"""The appraisal's cause chooser: a pick redraws it; Confirm stores the causes and the
responsibility (the service checks the right then)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.services import causes
from bot.services.causes import CausesResult, ChooseCauses
from bot.views import cards, keyboards
from bot.views.callbacks import CAUSES, BadCallback, CausePick, pattern
from bot.views.i18n import N_, gettext, gettext_plain
from handlers.common import Context, answer_stale, edit_keyboard, edit_text

ANSWERS = {
    CausesResult.SET: N_("Recorded."),
    CausesResult.UNCHANGED: N_("That is what it has already; nothing changed."),
    CausesResult.NONE_CHOSEN: N_("Choose at least one cause category."),
    CausesResult.DENIED: N_(
        "This step is not yours: only its owner, the leading VP, the GM or an admin may change it."
    ),
    CausesResult.NOT_OPEN: N_("This complaint is closed; nothing changed."),
    CausesResult.WRONG_BUTTON: N_("That button does not fit this step."),
}


async def on_causes(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    language = context.language
    try:
        pick = CausePick.decode(query.data)
    except BadCallback:
        await answer_stale(query, language)
        return
    listed = context.services.config.causes.listed()
    if not pick.confirm:
        await query.answer()
        await edit_keyboard(query, keyboards.causes(language, pick, listed))
        return
    command = ChooseCauses(context.caller, pick.step_id, pick.mask, pick.plant)
    done = await context.services.run(causes.choose, command)
    kept = done.result in (CausesResult.SET, CausesResult.UNCHANGED)
    await query.answer(gettext_plain(language, ANSWERS[done.result]), show_alert=not kept)
    if kept and done.complaint is not None:
        # The chooser becomes the record of what was chosen: no buttons left to press.
        chosen = cards.cause_chooser(done.complaint, pick, listed, language)
        await edit_text(query, chosen.text + "\n\n✅ " + gettext(language, "Recorded."))


def handlers() -> list[BaseHandler[Update, Context, None]]:
    return [CallbackQueryHandler(on_causes, pattern=pattern(CAUSES))]
