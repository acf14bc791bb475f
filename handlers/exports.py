"""/export: the procedure's forms as files in the chat (register, disposition report,
rectification plan)."""

from __future__ import annotations

from telegram import InputFile, Update
from telegram.ext import BaseHandler, CommandHandler

from bot.services import exports
from bot.services.exports import ExportRefusal
from bot.views import eightd, forms
from bot.views.fonts import NoCjkFont, cjk_font
from bot.views.i18n import N_, gettext
from handlers.common import Context, send_parts

USAGE = N_(
    "Send it like this: /export register 2026-11 (the complaint register of a month), "
    "/export report KS-2026-0001 (a disposition report, XLSX and PDF), "
    "/export plan KS-2026-0001 (a rectification plan, XLSX and PDF), "
    "/export 8d KS-2026-0001 en (the 8D report in Chinese or English, XLSX and PDF)."
)
REFUSALS = {
    ExportRefusal.NOT_REGISTERED: N_("You are not registered. /help"),
    ExportRefusal.NOT_ALLOWED: N_("The complaint register is for sales, QC and leadership."),
    ExportRefusal.BAD_PERIOD: USAGE,
    ExportRefusal.BAD_NUMBER: USAGE,
    ExportRefusal.NOT_FOUND: N_("No complaint with that number that you may see."),
    ExportRefusal.NO_PLAN: N_("That complaint has no rectification plan yet."),
}
NO_FONT = N_("The PDF needs a Chinese font that this server lacks (fonts-noto-cjk).")


async def export_command(update: Update, context: Context) -> None:
    chat = update.effective_chat
    assert chat is not None
    kind, *rest = [*(context.args or []), ""]
    which = rest[0] if rest else ""
    if kind == "register":
        refusal, files = await _register(context, which)
    elif kind in ("report", "plan"):
        refusal, files = await _one_complaint(update, context, kind, which)
    elif kind == "8d":
        refusal, files = await _eight_d(update, context, which, rest[1] if len(rest) > 1 else "")
    else:
        refusal, files = ExportRefusal.BAD_PERIOD, []
    if refusal is not None:
        await send_parts(update, [gettext(context.language, REFUSALS[refusal])])
    for file in files:
        await chat.send_document(InputFile(file.content, filename=file.name))


Made = tuple[ExportRefusal | None, list[forms.FormFile]]


async def _register(context: Context, period: str) -> Made:
    found = await context.services.run(
        exports.register, exports.RegisterRequest(context.caller, period)
    )
    if found.refusal is not None:
        return found.refusal, []
    language, tz = context.language, context.services.config.timezone
    made = await context.services.build(
        forms.register_xlsx,
        found.complaints,
        found.period,
        language,
        tz,
        found.files,
        causes=found.causes,
        listed=found.listed,
    )
    return None, [made]


async def _one_complaint(update: Update, context: Context, kind: str, number: str) -> Made:
    """The disposition report or the rectification plan of one complaint: XLSX and PDF."""
    use_case = exports.plan if kind == "plan" else exports.report
    found = await context.services.run(use_case, exports.ReportRequest(context.caller, number))
    c, plan = found.complaint, found.plan
    if c is None or (kind == "plan" and plan is None):
        return found.refusal, []
    language, tz = context.language, context.services.config.timezone
    build = context.services.build  # off the event loop: a form is a second of work
    if plan is not None:
        files = [await build(forms.plan_xlsx, plan, c, language, tz)]
    else:
        files = [await build(forms.report_xlsx, c, language, tz)]
    try:
        font = cjk_font()
    except NoCjkFont:
        await send_parts(update, [gettext(language, NO_FONT)])
        return None, files
    if plan is not None:
        files.append(await build(forms.plan_pdf, plan, c, language, tz, font))
    else:
        files.append(await build(forms.report_pdf, c, language, tz, font))
    return None, files


async def _eight_d(update: Update, context: Context, number: str, language: str) -> Made:
    """The 8D report in the customer's language (zh or en; the reader's by default)."""
    found = await context.services.run(
        exports.eight_d, exports.ReportRequest(context.caller, number)
    )
    c = found.complaint
    if c is None:
        return found.refusal, []
    language = {"zh": "zh_CN", "en": "en"}.get(language.lower(), context.language)
    tz, build = context.services.config.timezone, context.services.build
    files = [
        await build(eightd.eightd_xlsx, c, found.plan, found.team, language, tz, fmea=found.fmea)
    ]
    try:
        font = cjk_font()
    except NoCjkFont:
        await send_parts(update, [gettext(context.language, NO_FONT)])
        return None, files
    files.append(
        await build(
            eightd.eightd_pdf, c, found.plan, found.team, language, tz, font, fmea=found.fmea
        )
    )
    return None, files


def handlers() -> list[BaseHandler[Update, Context, None]]:
    return [CommandHandler("export", export_command)]
