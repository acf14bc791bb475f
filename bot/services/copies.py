"""The copies of a complaint that go out when it is registered (step 1), and the
disposition report when a complaint becomes serious later."""

from __future__ import annotations

from collections.abc import Callable

from bot.procedure.routing import ComplaintFacts, Document, routes_for
from bot.services import mapping
from bot.services.notices import FilePayload, Notice, Payload, Recipient, post, recipients
from bot.services.uow import UnitOfWork
from bot.views import cards
from bot.views.models import AttachmentView
from storage.models import Complaint, Method, Purpose


def announce(uow: UnitOfWork, complaint: Complaint, *, reports_only: bool = False) -> None:
    """Step 1's copies: the card to sales, the plant's QC and production and leadership,
    the disposition report where the problem is serious.

    Every chat gets the complaint once; a report wins over a card. `reports_only`:
    the complaint became serious after filing (QC set its nature), so only the
    report goes, with the attachments, to those who get it.
    """
    facts = ComplaintFacts(plant=complaint.plant, serious=complaint.is_serious)
    documents: dict[int, tuple[Recipient, Document]] = {}
    for route in routes_for(facts):
        for recipient in recipients(uow.session, uow.config, [route.audience]):
            known = documents.get(recipient.chat_id)
            if known is None or (known[1] is Document.CARD and route.document is Document.REPORT):
                documents[recipient.chat_id] = (recipient, route.document)
    view = mapping.complaint_view(complaint, uow.config, steps=False)
    tz = uow.config.timezone

    def card(language: str) -> list[Payload]:
        return list(cards.complaint_card(view, language, tz))

    def report(language: str) -> list[Payload]:
        return list(cards.disposition_report(view, language, tz))

    def captioned(attachment: AttachmentView, index: int) -> Callable[[str], list[Payload]]:
        def render(language: str) -> list[Payload]:
            caption = cards.attachment_caption(view, attachment, index, language)
            return [FilePayload(attachment.file_id, caption)]

        return render

    # Each notice is rendered once per language; each chat gets its document first,
    # then the attachments in order (the sender keeps every chat's order).
    if reports_only:
        documents = {k: v for k, v in documents.items() if v[1] is Document.REPORT}
    everyone = [recipient for recipient, _ in documents.values()]
    for document, render in ((Document.CARD, card), (Document.REPORT, report)):
        to = [recipient for recipient, kind in documents.values() if kind is document]
        if to:
            post(
                uow.session,
                Notice(Purpose(document.value), to, render, complaint=complaint),
                uow.now,
            )
    for index, attachment in enumerate(view.attachments, start=1):
        notice = Notice(
            Purpose.ATTACHMENT,
            everyone,
            captioned(attachment, index),
            method=Method(attachment.kind.value),
            complaint=complaint,
        )
        post(uow.session, notice, uow.now)
