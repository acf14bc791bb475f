"""The register of major problems: /major lists it; leadership file a complaint into it
with the button under /show."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.procedure.bounds import parse_id
from bot.services import major
from bot.services.major import FileMajor, MajorResult
from bot.views.callbacks import MAJOR, BadCallback, MajorPress, pattern
from bot.views.i18n import N_, gettext
from bot.views.render import render_messages
from handlers.common import Context, answer_stale, edit_keyboard, send_parts

ANSWERS = {
    MajorResult.FILED: N_("Filed as a major quality problem."),
    MajorResult.ALREADY: N_("It is in the register of major problems already."),
    MajorResult.DENIED: N_("Only leadership file a major quality problem."),
    MajorResult.NOT_FOUND: N_("This complaint no longer exists."),
}


async def major_command(update: Update, context: Context) -> None:
    language = context.language
    page = parse_id(context.args[0]) if context.args else 1
    if page is None:
        await send_parts(update, [gettext(language, "Send it like this: /major 2 (the page)")])
        return
    found = await context.services.run(major.major_register, context.caller, page)
    if not found.allowed:
        text = N_("Only leadership and QC read the register of major problems.")
        await send_parts(update, [gettext(language, text)])
        return
    parts = render_messages(
        "complaints/major_list.html",
        language,
        entries=found.entries,
        page=found.page,
        pages=found.pages,
        total=found.total,
        tz=context.services.config.timezone,
    )
    await send_parts(update, parts)


async def on_file_major(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    try:
        pressed = MajorPress.decode(query.data)
    except BadCallback:
        await answer_stale(query, context.language)
        return
    result = await context.services.run(
        major.file_major, FileMajor(context.caller, pressed.complaint_id)
    )
    denied = result in (MajorResult.DENIED, MajorResult.NOT_FOUND)
    await query.answer(gettext(context.language, ANSWERS[result]), show_alert=denied)
    if not denied:
        await edit_keyboard(query, None)


def handlers() -> list[BaseHandler[Update, Context, None]]:
    return [
        CommandHandler("major", major_command),
        CallbackQueryHandler(on_file_major, pattern=pattern(MAJOR)),
    ]
