"""Cause categories and the responsibility at the appraisal (issue 25, item 1): named by
who may act on step 3, required before its Done, kept through a new nature, shown in
/show; a new responsibility moves the open steps to that plant."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select

from bot.config import ConfigError, parse_config
from bot.procedure.causes import FIVE_M_ONE_E, Cause, check, from_mask, named, to_mask, toggle
from bot.procedure.grading import Grade, Plant
from bot.services import causes, complaints, steps
from bot.services.causes import CausesResult
from bot.services.uow import Caller
from bot.views import cards
from bot.views.callbacks import CausePick
from storage.models import Complaint, Event, Purpose
from tests.conftest import (
    QC_HUANGWU,
    QC_HW,
    QC_LAISHAN,
    QC_LS,
    SALES_2,
    VP_EXEC,
    VP_PROD,
    config_data,
)
from tests.test_workflow import Company, Press

MACHINE, MATERIAL, ENVIRONMENT = 0b10, 0b100, 0b10000


def _appraisal(company: Company) -> int:
    company.file()  # an A complaint of Huangwu
    assert company.press(QC_HW, "initial_assessment", Press.DONE) is steps.PressResult.OK
    return company.step_id("appraisal_report")


def _choose(company: Company, who: int, step_id: int, mask: int, plant: str = "huangwu") -> Any:
    command = causes.ChooseCauses(Caller(who, who), step_id, mask, plant)
    return company.services.call(causes.choose, command)


def _press(company: Company, who: int, step_id: int, code: str = "done") -> steps.Pressed:
    command = steps.PressStep(Caller(who, who), step_id, steps.StepAction.FINISH, code)
    return company.services.call(steps.press, command)


def test_the_appraisal_is_done_only_once_its_causes_are_named(engine: Engine) -> None:
    company = Company(engine)
    step_id = _appraisal(company)
    refused = _press(company, QC_HW, step_id)
    # Done before the causes: not recorded, the chooser is offered instead.
    assert refused.result is steps.PressResult.CAUSES_FIRST
    assert refused.asks_causes and refused.cause_mask == 0
    assert company.step_id("appraisal_report") == step_id  # still open
    chosen = _choose(company, QC_HW, step_id, MACHINE | MATERIAL)
    assert chosen.result is CausesResult.SET
    assert [c.key for c in chosen.complaint.causes] == ["machine", "material"]
    again = company.services.call(
        steps.press, steps.PressStep(Caller(QC_HW, QC_HW), step_id, steps.StepAction.CAUSES)
    )
    assert again.asks_causes and again.cause_mask == MACHINE | MATERIAL  # drawn as chosen
    assert _press(company, QC_HW, step_id, "nt").result is steps.PressResult.OK
    with company.sessions() as session:
        complaint = session.scalars(select(Complaint)).one()
        assert sorted(c.cause for c in complaint.causes) == ["machine", "material"]
        event = session.scalars(select(Event).where(Event.action == "causes_set")).one()
        assert event.detail["causes"] == ["machine", "material"]
        assert event.actor is not None and event.actor.telegram_id == QC_HW
    # A correction after Done, while the complaint is open: the set is replaced.
    assert _choose(company, QC_HW, step_id, ENVIRONMENT).result is CausesResult.SET
    assert _choose(company, QC_HW, step_id, ENVIRONMENT).result is CausesResult.UNCHANGED
    with company.sessions() as session:
        complaint = session.scalars(select(Complaint)).one()
        assert [c.cause for c in complaint.causes] == ["environment"]


def test_only_who_may_act_on_the_appraisal_names_its_causes(engine: Engine) -> None:
    company = Company(engine)
    step_id = _appraisal(company)
    # Laishan's QC and sales may not; the try is logged, nothing stored.
    assert _choose(company, QC_LS, step_id, MACHINE).result is CausesResult.DENIED
    assert _choose(company, SALES_2, step_id, MACHINE).result is CausesResult.DENIED
    # Forged picks: no category, bits past the list, an unknown plant, another step.
    assert _choose(company, QC_HW, step_id, 0).result is CausesResult.NONE_CHOSEN
    assert _choose(company, QC_HW, step_id, 1 << 11).result is CausesResult.NONE_CHOSEN
    assert _choose(company, QC_HW, step_id, MACHINE, "unknown").result is CausesResult.WRONG_BUTTON
    assert _choose(company, QC_HW, step_id, MACHINE, "mars").result is CausesResult.WRONG_BUTTON
    other = company.step_id("containment")
    assert _choose(company, QC_HW, other, MACHINE).result is CausesResult.WRONG_BUTTON
    assert _choose(company, QC_HW, 10**6, MACHINE).result is CausesResult.WRONG_BUTTON
    with company.sessions() as session:
        complaint = session.scalars(select(Complaint)).one()
        assert complaint.causes == []
        refused = session.scalars(select(Event).where(Event.action == "press_refused")).all()
        assert {e.actor.telegram_id for e in refused if e.actor} == {QC_LS, SALES_2}


def test_a_new_responsibility_moves_the_open_steps_to_that_plant(engine: Engine) -> None:
    company = Company(engine)
    step_id = _appraisal(company)
    assert company.chats_of("appraisal_report") == {QC_HUANGWU}
    chosen = _choose(company, QC_HW, step_id, MATERIAL, "laishan")
    assert chosen.result is CausesResult.SET and chosen.moved_from is Plant.HUANGWU
    # Laishan's QC group has the open steps' cards now, Laishan's VP leads on site.
    assert QC_LAISHAN in company.chats_of("appraisal_report")
    assert QC_LAISHAN in company.chats_of("containment")
    assert VP_PROD in company.chats_of("lead_on_site")
    # The step is Laishan's: its QC press Done, Huangwu's no longer may.
    assert _press(company, QC_HW, step_id).result is steps.PressResult.DENIED
    assert _press(company, QC_LS, step_id).result is steps.PressResult.OK
    with company.sessions() as session:
        complaint = session.scalars(select(Complaint)).one()
        assert complaint.plant is Plant.LAISHAN
        moved = session.scalars(select(Event).where(Event.action == "plant_changed")).one()
        assert (moved.detail["before"], moved.detail["plant"]) == ("huangwu", "laishan")


def test_a_new_nature_keeps_the_causes(engine: Engine) -> None:
    company = Company(engine)
    step_id = _appraisal(company)
    assert _choose(company, QC_HW, step_id, MACHINE).result is CausesResult.SET
    command = steps.SetNature(Caller(QC_HW, QC_HW), step_id, Grade.C, False, False, "复检较轻")
    assert company.services.call(steps.set_nature, command) is steps.NatureResult.CHANGED
    with company.sessions() as session:
        complaint = session.scalars(select(Complaint)).one()
        assert complaint.grade is Grade.C and [c.cause for c in complaint.causes] == ["machine"]


def test_show_names_the_causes_or_says_not_categorised(engine: Engine) -> None:
    # A complaint appraised with none (as before categories existed, or not required).
    company = Company(engine, causes={"required": False})
    step_id = _appraisal(company)
    assert _press(company, QC_HW, step_id).result is steps.PressResult.OK

    def show(language: str) -> str:
        shown = company.services.call(
            complaints.show,
            complaints.ShowComplaint(Caller(VP_EXEC, VP_EXEC), "KS-2026-0001"),
        )
        assert shown.complaint is not None
        parts = cards.complaint_show(
            shown.complaint, list(shown.events), [], language, company.config.timezone
        )
        return "\n".join(parts)

    assert "原因类别：未分类" in show("zh_CN")
    assert "Cause categories: not categorised" in show("en")
    assert _choose(company, QC_HW, step_id, MACHINE | MATERIAL).result is CausesResult.SET
    zh, en = show("zh_CN"), show("en")
    assert "原因类别：机、料" in zh
    assert any("已选定原因类别" in line and line.endswith("· 机、料") for line in zh.splitlines())
    assert "Cause categories: Machine, Material" in en


def test_the_chooser_is_a_pure_function_of_its_pick(engine: Engine) -> None:
    company = Company(engine)
    step_id = _appraisal(company)
    listed = company.config.causes.listed()
    pick = CausePick(step_id, MACHINE | ENVIRONMENT, "huangwu")
    assert CausePick.decode(pick.encode()) == pick
    with company.sessions() as session:
        complaint = session.scalars(select(Complaint)).one()
        from bot.services import mapping

        view = mapping.complaint_view(complaint, company.config, steps=False)
    message = cards.cause_chooser(view, pick, listed, "zh_CN")
    assert message.keyboard is not None
    labels = [label for row in message.keyboard for label, _ in row]
    assert labels[:6] == ["人", "✅ 机", "料", "法", "✅ 环", "测"]
    assert "✅ 黄务车间、仓库" in labels and labels[-1] == "确认"
    # Each toggle's data turns exactly its own category over.
    first_row = message.keyboard[0]
    assert CausePick.decode(first_row[1][1]).mask == ENVIRONMENT  # 机 off
    assert CausePick.decode(first_row[0][1]).mask == MACHINE | ENVIRONMENT | 1  # 人 on
    with pytest.raises(ValueError):
        CausePick.decode("v1:ca:pfffx:1")
    assert company.outbox(Purpose.TASK)  # nothing above changed the cards' purpose


def test_the_company_list_is_checked_and_masks_keep_its_order() -> None:
    assert from_mask(to_mask(["material", "man"], FIVE_M_ONE_E), FIVE_M_ONE_E) == (
        "man",
        "material",
    )
    assert toggle(toggle(5, 1), 1) == 5
    assert named(["gone", "machine"], FIVE_M_ONE_E, "en") == ["Machine", "gone"]
    with pytest.raises(ValueError):
        check([Cause("Man", "人", "People")])
    with pytest.raises(ValueError):
        check([Cause("man", "人", "People")] * 2)
    with pytest.raises(ValueError):
        check([Cause(f"c{i}", "x", "x") for i in range(13)])
    with pytest.raises(ConfigError, match=r"^causes\.categories: "):
        parse_config(config_data(causes={"categories": [{"key": "坏", "zh_CN": "x", "en": "x"}]}))
    custom = parse_config(
        config_data(causes={"categories": [{"key": "design", "zh_CN": "设计", "en": "Design"}]})
    )
    assert custom.causes.listed() == (Cause("design", "设计", "Design"),)
