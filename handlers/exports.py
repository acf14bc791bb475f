"""/export: the procedure's forms as files in the chat (register, disposition report)."""

from __future__ import annotations

from telegram import InputFile, Update
from telegram.ext import BaseHandler, CommandHandler

from bot.services import exports
from bot.services.exports import ExportRefusal
from bot.views import forms
from bot.views.fonts import NoCjkFont, cjk_font
from bot.views.i18n import N_, gettext
from handlers.common import Context, send_parts

USAGE = N_(
    "Send it like this: /export register 2026-11 (the complaint register of a month), "
    "/export report KS-2026-0001 (a disposition report, XLSX and PDF)."
)
REFUSALS = {
    ExportRefusal.NOT_REGISTERED: N_("You are not registered. /help"),
    ExportRefusal.NOT_ALLOWED: N_("The complaint register is for sales, QC and leadership."),
    ExportRefusal.BAD_PERIOD: USAGE,
    ExportRefusal.BAD_NUMBER: USAGE,
    ExportRefusal.NOT_FOUND: N_("No complaint with that number that you may see."),
}
NO_FONT = N_("The PDF needs a Chinese font that this server lacks (fonts-noto-cjk).")


async def export_command(update: Update, context: Context) -> None:
    chat = update.effective_chat
    assert chat is not None
    language, tz = context.language, context.services.config.timezone
    kind, *rest = [*(context.args or []), ""]
    files: list[forms.FormFile] = []
    if kind == "register":
        found = await context.services.run(
            exports.register, exports.RegisterRequest(context.caller, rest[0] if rest else "")
        )
        refusal = found.refusal
        if refusal is None:
            files.append(forms.register_xlsx(found.complaints, found.period, language, tz))
    elif kind == "report":
        report = await context.services.run(
            exports.report, exports.ReportRequest(context.caller, rest[0] if rest else "")
        )
        refusal = report.refusal
        if report.complaint is not None:
            files.append(forms.report_xlsx(report.complaint, language, tz))
            try:
                files.append(forms.report_pdf(report.complaint, language, tz, cjk_font()))
            except NoCjkFont:
                await send_parts(update, [gettext(language, NO_FONT)])
    else:
        refusal = ExportRefusal.BAD_PERIOD
    if refusal is not None:
        await send_parts(update, [gettext(language, REFUSALS[refusal])])
    for file in files:
        await chat.send_document(InputFile(file.content, filename=file.name))


def handlers() -> list[BaseHandler[Update, Context, None]]:
    return [CommandHandler("export", export_command)]
