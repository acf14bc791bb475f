"""/suggest and /suggestions: improvement suggestions (合理化建议), and leadership's
buttons under them (Adopt, Decline, Record the realised benefit)."""

from __future__ import annotations

from telegram import Update
from telegram.error import Forbidden
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.services import suggestions
from bot.services.steps import PromptKind
from bot.services.suggestions import Decide, Propose, SuggestionResult
from bot.views import cards
from bot.views.callbacks import SUGGESTION, BadCallback, SuggestionAction, SuggestionPress, pattern
from bot.views.i18n import N_, gettext
from bot.views.render import render_messages
from handlers.common import Context, answer_stale, ask_to_start, edit_text, send_parts
from handlers.steps import ask

ANSWERS = {
    SuggestionResult.OK: N_("Thank you: your suggestion went to leadership."),
    SuggestionResult.NOT_REGISTERED: N_("You are not registered. /help"),
    SuggestionResult.EMPTY: N_(
        "Send it like this: /suggest your idea (or /suggest KS-2026-0001 your idea)."
    ),
    SuggestionResult.BAD_NUMBER: N_("No complaint with that number that you may see."),
    SuggestionResult.DENIED: N_("Only leadership decide suggestions."),
    SuggestionResult.DECIDED: N_("This suggestion has been decided already."),
    SuggestionResult.NOT_ADOPTED: N_("Only an adopted suggestion has a benefit to record."),
    SuggestionResult.NOT_FOUND: N_("This suggestion no longer exists."),
}


async def suggest_command(update: Update, context: Context) -> None:
    text = " ".join(context.args or [])
    done = await context.services.run(suggestions.propose, Propose(context.caller, text))
    await send_parts(update, [gettext(context.language, ANSWERS[done.result])])


async def suggestions_command(update: Update, context: Context) -> None:
    found = await context.services.run(suggestions.list_suggestions, context.caller)
    language = context.language
    if not found.allowed:
        await send_parts(update, [gettext(language, ANSWERS[SuggestionResult.NOT_REGISTERED])])
        return
    title = N_("All suggestions") if found.all_of_them else N_("Your suggestions")
    parts = render_messages(
        "complaints/suggestions.html",
        language,
        suggestions=found.suggestions,
        total=found.total_reward,
        title=gettext(language, title),
        tz=context.services.config.timezone,
    )
    await send_parts(update, parts)


async def on_suggestion_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    language = context.language
    try:
        pressed = SuggestionPress.decode(query.data)
    except BadCallback:
        await answer_stale(query, language)
        return
    if pressed.action is SuggestionAction.BENEFIT:
        await query.answer()  # the amount is asked for privately; the service checks it
        await _ask_benefit(update, context, pressed.suggestion_id)
        return
    adopt = pressed.action is SuggestionAction.ADOPT
    done = await context.services.run(
        suggestions.decide, Decide(context.caller, pressed.suggestion_id, adopt)
    )
    refused = done.result is not SuggestionResult.OK
    await query.answer(gettext(language, ANSWERS[done.result]) if refused else None, refused)
    if done.suggestion is not None and not refused:
        shown = cards.suggestion(done.suggestion, language, context.services.config.timezone, True)
        await edit_text(query, shown.text, shown.keyboard)


async def _ask_benefit(update: Update, context: Context, suggestion_id: int) -> None:
    user = update.effective_user
    assert user is not None
    prompt = [suggestion_id, PromptKind.BENEFIT.value]
    try:
        await ask(context, user.id, cards.benefit_prompt(context.language), prompt)
    except Forbidden:  # never opened a private chat with the bot
        await ask_to_start(update, context)


def handlers() -> list[BaseHandler[Update, Context, None]]:
    return [
        CommandHandler("suggest", suggest_command),
        CommandHandler("suggestions", suggestions_command),
        CallbackQueryHandler(on_suggestion_button, pattern=pattern(SUGGESTION)),
    ]
