"""What a person reads of a complaint's record (issue 21, item 11): /show's history one
entry a line, a plan item's events naming the item, the latest entries with the count of
the rest, and the plan's causes offered as the appraisal's."""

from __future__ import annotations

from sqlalchemy import Engine

from bot.procedure.plans import PlanDraft
from bot.services import complaints
from bot.services.uow import Caller
from bot.views import cards
from bot.views.models import EventView
from bot.views.render import render
from tests.conftest import GM, PURCHASING, QC_HW, VP_EXEC
from tests.test_render import complaint
from tests.test_workflow import Company


def _shown(company: Company) -> tuple[str, complaints.Shown]:
    shown = company.services.call(
        complaints.show, complaints.ShowComplaint(Caller(QC_HW, QC_HW), "KS-2026-0001")
    )
    assert shown.complaint is not None
    parts = cards.complaint_show(shown.complaint, list(shown.events), [], "zh_CN", "Asia/Shanghai")
    return "\n".join(parts), shown


def test_the_history_is_one_entry_a_line_and_names_plan_items(engine: Engine) -> None:
    company = Company(engine)
    company.file()
    company.issue_plan(VP_EXEC, [("调整装配间隙", QC_HW, VP_EXEC), ("更换供应商", PURCHASING, GM)])
    assert company.press_item(QC_HW, "plan_item", 1, "done").value == "ok"
    assert company.press_item(VP_EXEC, "item_acceptance", 1, "back").value in ("ok",)
    text, shown = _shown(company)
    history = text.split("处理记录</b>", 1)[1].strip().splitlines()
    assert len(history) == len(shown.events)  # not run into one another
    assert any("被退回" in line and "1. 调整装配间隙" in line for line in history), history


def test_a_long_history_shows_its_latest_entries_and_counts_the_rest() -> None:
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 11, 24, tzinfo=UTC)
    events = [
        EventView(start + timedelta(minutes=i), "李质检", "note_added", None)
        for i in range(cards.HISTORY_SHOWN + 25)
    ]
    text = "\n".join(cards.complaint_show(complaint(), events, [], "zh_CN", "Asia/Shanghai"))
    assert "更早的 25 条记录未显示" in text
    history = text.split("处理记录</b>", 1)[1].strip().splitlines()
    assert len(history) == cards.HISTORY_SHOWN + 1  # the count, then the latest entries
    newest = (events[-1].at + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")  # Shanghai
    assert history[-1].startswith(newest)


def test_the_plans_causes_are_offered_as_the_appraisals() -> None:
    draft = PlanDraft(complaint_id=1, step_id=1, number="KS-2026-0001")
    question = draft.question("plan:causes")
    text = render(
        "plans/question.html",
        "zh_CN",
        q=question,
        scope="plan",
        item_number=0,
        error="",
        offer="热处理硬度不足",
        current="",
        intro=False,
        amending=False,
        number="KS-2026-0001",
    )
    assert "取自鉴定" in text and "取自客诉" not in text
