"""Signatures that say what they mean (issue 25, item 6): every acceptance and sign-off
keeps who, when and its meaning, shown in /show and on the disposition report's lines."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, select

from bot.procedure.grading import Demand, Plant
from bot.procedure.signatures import Meaning
from bot.services import complaints
from bot.services.uow import Caller
from bot.views import cards, forms
from storage.models import Event, Signature
from tests.conftest import PURCHASING, QC_LS, SALES, VP_PROD
from tests.test_workflow import NOW, Company, Press


def test_each_acceptance_and_sign_off_is_a_signature_with_its_meaning(engine: Engine) -> None:
    company = Company(engine)
    company.file(demands=[Demand.DOWNGRADE], content="降价", plant=Plant.LAISHAN)  # B
    for key, button in [
        ("initial_assessment", Press.DONE),
        ("appraisal_report", Press.NOT_TODAY),
        ("improvement_measures", Press.DONE),
    ]:
        assert company.press(QC_LS, key, button).value == "ok", key
    company.issue_plan(VP_PROD, [("更换轴承座", QC_LS, VP_PROD), ("校准设备", PURCHASING, QC_LS)])
    later = NOW + timedelta(days=1)
    assert company.press_item(QC_LS, "plan_item", 1, "done").value == "ok"
    assert company.press_item(VP_PROD, "item_acceptance", 1, "back", later).value == "ok"
    company.carry_out([(QC_LS, VP_PROD), (PURCHASING, QC_LS)], at=later)
    assert company.press(QC_LS, "verification", Press.DONE, later).value == "ok"
    assert company.press(VP_PROD, "verification_signoff", Press.EFFECTIVE, later).value == "ok"
    assert company.press(SALES, "customer_solution", Press.DONE, later).value == "ok"
    assert company.press(SALES, "customer_result", Press.SATISFIED, later).value == "ok"
    with company.sessions() as session:
        signatures = session.scalars(select(Signature).order_by(Signature.id)).all()
        lines = [
            (s.meaning, s.signed_by.telegram_id, s.plan_item.number if s.plan_item else None)
            for s in signatures
        ]
        assert lines == [
            (Meaning.SENT_BACK, VP_PROD, 1),
            (Meaning.ACCEPTED, VP_PROD, 1),
            (Meaning.ACCEPTED, QC_LS, 2),
            (Meaning.EFFECTIVE, VP_PROD, None),
            (Meaning.SATISFIED, SALES, None),
        ]
        assert signatures[0].signed_at == later and signatures[-1].signed_at == later
        # Each keeps the event of its act, which says from where.
        for s in signatures:
            event = session.get(Event, s.event_id)
            assert event is not None and event.action == "step_done"
            assert event.actor_id == s.signed_by_id and event.source

    shown = company.services.call(
        complaints.show, complaints.ShowComplaint(Caller(VP_PROD, VP_PROD), "KS-2026-0001")
    )
    assert shown.complaint is not None
    tz = company.config.timezone
    zh = "\n".join(cards.complaint_show(shown.complaint, list(shown.events), [], "zh_CN", tz))
    en = "\n".join(cards.complaint_show(shown.complaint, list(shown.events), [], "en", tz))
    assert "<b>签字</b>" in zh
    assert "✍️ <b>验收合格</b> · 赵质检" in zh and "✍️ <b>整治有效</b> · 陈生产" in zh
    assert "✍️ <b>验收不合格，退回重做</b>" in zh and "客户满意（客户确认）" in zh
    assert "<b>rectification effective</b>" in en and "<b>accepted as done</b>" in en
    # The disposition report's verification line is signed with its meaning.
    rows = dict(forms.report_rows(shown.complaint, "zh_CN", tz))
    assert rows["生产质量副总"].endswith("整治有效") and "陈生产" in rows["生产质量副总"]
