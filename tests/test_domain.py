"""The procedure's rules on their own: no Telegram, no database."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.procedure.access import Case, Who, is_mine, may_file, may_press, sees_all
from bot.procedure.clock import FakeClock
from bot.procedure.durations import Limit, parse_duration, parse_limit
from bot.procedure.grading import (
    CustomerClass,
    Demand,
    Grade,
    Plant,
    grade_for,
    is_return,
    is_serious,
)
from bot.procedure.intake import (
    FIELD_BY_KEY,
    AttachmentDraft,
    Draft,
    FileKind,
    InvalidAnswer,
    check_attachment,
    parse_choice,
    parse_date,
    parse_phone,
    parse_quantity,
    parse_text_answer,
)
from bot.procedure.numbering import format_number, parse_number
from bot.procedure.roles import Role
from bot.procedure.routing import (
    ComplaintFacts,
    Document,
    Group,
    GroupChat,
    Person,
    leading_role,
    responsible_plants,
    routes_for,
)
from bot.procedure.steps import Owner

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("demands", "grade"),
    [
        ({Demand.CLAIM, Demand.RETURN}, Grade.A),
        ({Demand.CLAIM}, Grade.A),
        ({Demand.TERMINATE}, Grade.A),
        ({Demand.RETURN}, Grade.B),
        ({Demand.DOWNGRADE}, Grade.B),
        ({Demand.CONCESSION, Demand.CRITICISM}, Grade.B),
        ({Demand.EXCHANGE}, Grade.C),
        ({Demand.CRITICISM}, Grade.C),
        ({Demand.EXCHANGE, Demand.CRITICISM}, Grade.C),
        (set(), Grade.C),
    ],
)
def test_grade_follows_the_most_severe_demand(demands: set[Demand], grade: Grade) -> None:
    assert grade_for(demands) is grade


def test_serious_problems() -> None:
    assert is_serious(Grade.A, batch=False, recurring=False, returned=False)
    assert is_serious(Grade.B, batch=False, recurring=False, returned=False)
    assert not is_serious(Grade.C, batch=False, recurring=False, returned=False)
    assert is_serious(Grade.C, batch=True, recurring=False, returned=False)
    assert is_serious(Grade.C, batch=False, recurring=True, returned=False)
    assert is_return([Demand.RETURN, Demand.CLAIM])
    assert not is_return([Demand.EXCHANGE])


def _audiences(plant: Plant, serious: bool) -> dict[object, Document]:
    return {r.audience: r.document for r in routes_for(ComplaintFacts(plant, serious))}


def test_every_complaint_goes_to_sales_the_plants_qc_and_production_and_leadership() -> None:
    """Step 1: copies of the letter to leadership, production and QC, whatever the grade."""
    assert _audiences(Plant.LAISHAN, serious=False) == {
        GroupChat(Group.SALES): Document.CARD,
        GroupChat(Group.QC, Plant.LAISHAN): Document.CARD,
        GroupChat(Group.PRODUCTION, Plant.LAISHAN): Document.CARD,
        GroupChat(Group.LEADERSHIP): Document.CARD,
    }


def test_serious_complaint_adds_the_report_for_leadership_and_four_leaders() -> None:
    audiences = _audiences(Plant.HUANGWU, serious=True)
    assert audiences[GroupChat(Group.QC, Plant.HUANGWU)] is Document.CARD
    assert audiences[GroupChat(Group.PRODUCTION, Plant.HUANGWU)] is Document.CARD
    assert audiences[GroupChat(Group.LEADERSHIP)] is Document.REPORT  # in place of the card
    for role in (Role.GM, Role.VP_EXEC, Role.VP_MARKETING, Role.VP_PRODUCTION):
        assert audiences[Person(role)] is Document.REPORT
    assert GroupChat(Group.QC, Plant.LAISHAN) not in audiences


def test_unknown_plant_goes_to_both_qc_groups_and_contractor_to_the_leading_plant() -> None:
    unknown = _audiences(Plant.UNKNOWN, serious=False)
    assert GroupChat(Group.QC, Plant.HUANGWU) in unknown
    assert GroupChat(Group.QC, Plant.LAISHAN) in unknown
    assert GroupChat(Group.PRODUCTION, Plant.HUANGWU) in unknown
    assert GroupChat(Group.PRODUCTION, Plant.LAISHAN) in unknown
    contractor = _audiences(Plant.CONTRACTOR, serious=False)
    assert GroupChat(Group.QC, Plant.LAISHAN) in contractor
    assert GroupChat(Group.QC, Plant.HUANGWU) not in contractor
    assert responsible_plants(Plant.CONTRACTOR) == (Plant.LAISHAN,)


def test_leading_vp_by_plant() -> None:
    assert leading_role(Plant.HUANGWU) is Role.VP_EXEC
    assert leading_role(Plant.LAISHAN) is Role.VP_PRODUCTION
    assert leading_role(Plant.CONTRACTOR) is Role.VP_PRODUCTION
    assert leading_role(Plant.UNKNOWN) is None


def test_numbers() -> None:
    assert format_number(2026, 7) == "KS-2026-0007"
    assert format_number(2026, 12345) == "KS-2026-12345"
    assert parse_number(" ks-2026-0007 ") == (2026, 7)
    assert parse_number("KS-26-7") is None
    with pytest.raises(ValueError):
        format_number(2026, 0)


def test_durations_and_limits() -> None:
    assert parse_duration("90s") == timedelta(seconds=90)
    assert parse_duration("2h") == timedelta(hours=2)
    assert parse_duration("7d") == timedelta(days=7)
    assert parse_duration("1.5h") == timedelta(minutes=90)
    for bad in ("", "2 hours", "0s", "-1h", "h"):
        with pytest.raises(ValueError):
            parse_duration(bad)
    assert str(parse_limit("24h")) == "1d"
    assert parse_limit("end_of_day").is_end_of_day


def test_end_of_day_is_the_work_day_end_in_the_company_time_zone() -> None:
    limit = Limit(None)
    morning = datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)
    due = limit.due(morning.astimezone(UTC), workday_end=time(17, 30), tz=SHANGHAI)
    assert due == datetime(2026, 11, 24, 17, 30, tzinfo=SHANGHAI)
    evening = datetime(2026, 11, 24, 20, 0, tzinfo=SHANGHAI)
    due = limit.due(evening, workday_end=time(17, 30), tz=SHANGHAI)
    assert due == datetime(2026, 11, 25, 17, 30, tzinfo=SHANGHAI)
    assert Limit(timedelta(hours=2)).due(morning, workday_end=time(17), tz=SHANGHAI) == (
        morning + timedelta(hours=2)
    )
    with pytest.raises(ValueError):
        limit.due(datetime(2026, 1, 1), workday_end=time(17), tz=SHANGHAI)


def test_fake_clock_moves_only_when_told() -> None:
    clock = FakeClock(datetime(2026, 11, 24, tzinfo=UTC))
    clock.advance(timedelta(hours=1))
    assert clock.now() == datetime(2026, 11, 24, 1, tzinfo=UTC)
    with pytest.raises(ValueError):
        FakeClock(datetime(2026, 11, 24))


@pytest.mark.parametrize(
    "good", ["0535-6881234", "13805351234", "+86 535 688 1234", "(0535)6881234 转 802"]
)
def test_phone_numbers(good: str) -> None:
    assert parse_phone(good) == good


@pytest.mark.parametrize("bad", ["call me", "12345", "0535-688123a", "1" * 25])
def test_not_phone_numbers(bad: str) -> None:
    with pytest.raises(InvalidAnswer) as error:
        parse_phone(bad)
    assert "phone" in error.value.reason


def test_dates() -> None:
    today = date(2026, 11, 24)
    for text in ("2026-11-03", "2026/11/3", "2026.11.03", "2026年11月3日", "20261103"):
        assert parse_date(text, today=today) == date(2026, 11, 3)
    for text, reason in (
        ("2026-11-25", "future"),
        ("2026-02-30", "not a date"),
        ("yesterday", "not a date"),
        ("1999-01-01", "too long ago"),
    ):
        with pytest.raises(InvalidAnswer) as error:
            parse_date(text, today=today)
        assert reason in error.value.reason
    with pytest.raises(InvalidAnswer) as error:
        parse_date("2026-11-01", today=today, not_before=date(2026, 11, 3))
    assert error.value.params == {"date": "2026-11-03"}


def test_quantities() -> None:
    assert parse_quantity("500") == (Decimal(500), "")
    assert parse_quantity("5,000 件") == (Decimal(5000), "件")
    assert parse_quantity("12.5吨") == (Decimal("12.5"), "吨")
    for bad in ("-5", "0", "zero", "5 5", "0.0 t"):
        with pytest.raises(InvalidAnswer):
            parse_quantity(bad)


def test_text_answers_keep_the_limits() -> None:
    field = FIELD_BY_KEY["product_name"]
    assert parse_text_answer(field, "  轴承 ", today=date.today(), draft=DRAFT()) == "轴承"
    with pytest.raises(InvalidAnswer) as error:
        parse_text_answer(field, "轴" * 201, today=date.today(), draft=DRAFT())
    assert error.value.params == {"limit": 200, "length": 201}
    with pytest.raises(InvalidAnswer):
        parse_text_answer(field, "   ", today=date.today(), draft=DRAFT())
    with pytest.raises(InvalidAnswer):
        parse_text_answer(FIELD_BY_KEY["plant"], "黄务", today=date.today(), draft=DRAFT())
    with pytest.raises(InvalidAnswer, match="after the customer found"):
        parse_text_answer(
            FIELD_BY_KEY["delivery_date"],
            "2026-11-20",
            today=date(2026, 11, 24),
            draft=DRAFT(occurred_on=date(2026, 11, 10)),
        )
    occurred = FIELD_BY_KEY["occurred_on"]
    with pytest.raises(InvalidAnswer):
        parse_text_answer(
            occurred,
            "2026-10-01",
            today=date(2026, 11, 24),
            draft=DRAFT(delivery_date=date(2026, 11, 1)),
        )


def test_attachments() -> None:
    check_attachment("application/pdf", 1000, 0)
    check_attachment(None, None, 9)  # photos carry no mime type
    with pytest.raises(InvalidAnswer):
        check_attachment("application/x-msdownload", 1000, 0)
    with pytest.raises(InvalidAnswer):
        check_attachment("image/jpeg", 21 * 1024 * 1024, 0)
    with pytest.raises(InvalidAnswer):
        check_attachment("image/jpeg", 1000, 10)


def DRAFT(**values: Any) -> Draft:
    return Draft(received_at=datetime(2026, 11, 24, 1, 0, tzinfo=UTC), **values)


def test_choices_and_demands() -> None:
    assert parse_choice(FIELD_BY_KEY["plant"], "laishan") is Plant.LAISHAN
    assert parse_choice(FIELD_BY_KEY["customer_class"], "B") is CustomerClass.B
    assert parse_choice(FIELD_BY_KEY["batch"], "no") is False
    assert parse_choice(FIELD_BY_KEY["occurred_on"], "today") is None
    with pytest.raises(InvalidAnswer):
        parse_choice(FIELD_BY_KEY["plant"], "mars")
    with pytest.raises(InvalidAnswer):
        parse_choice(FIELD_BY_KEY["customer_class"], "yes")
    draft = DRAFT()
    draft.toggle_demand("return")
    draft.toggle_demand("claim")
    assert draft.demands_pending == [Demand.CLAIM, Demand.RETURN]
    draft.toggle_demand("claim")
    assert draft.demands_pending == [Demand.RETURN]
    draft.toggle_demand("bogus")
    assert draft.demands_pending == [Demand.RETURN]


def test_draft_asks_in_order_and_skips_a_known_customers_class() -> None:
    draft = DRAFT()
    assert draft.next_field() is FIELD_BY_KEY["customer"]
    draft.new_customer("海达")
    assert draft.next_field() is FIELD_BY_KEY["customer_class"]
    draft.pick_customer(3, "海达", CustomerClass.A)
    assert draft.next_field() is FIELD_BY_KEY["contact_phone"]
    draft.new_customer("海达新")  # a new name: its class must be asked again
    assert draft.customer_id is None and draft.next_field() is FIELD_BY_KEY["customer_class"]


def test_a_draft_keeps_its_types_through_json() -> None:
    draft = DRAFT()
    draft.new_customer("海达")
    draft.answer("customer_class", CustomerClass.B)
    draft.answer("demands", [Demand.RETURN, Demand.CLAIM])
    draft.answer("quantity", (Decimal("12.5"), "吨"))
    draft.answer("delivery_date", date(2026, 11, 1))
    draft.answer("occurred_on", None)
    draft.answer("plant", Plant.UNKNOWN)
    draft.attachments.append(AttachmentDraft(FileKind.PHOTO, "f1", "u1"))
    draft.answer("attachments", draft.attachments)
    again = Draft.from_dict(json.loads(json.dumps(draft.to_dict())))
    assert again == draft
    assert again.has("occurred_on") and again.occurred_on is None
    assert again.grade() is Grade.A and again.serious() and again.returned


def test_who_files_and_who_sees_everything() -> None:
    def who(role: Role, admin: bool = False, plant: Plant | None = None) -> Who:
        return Who(1, role, plant, admin)

    assert may_file(who(Role.SALES)) and may_file(who(Role.QC, True))
    assert not may_file(who(Role.QC))
    assert sees_all(who(Role.QC)) and sees_all(who(Role.GM)) and sees_all(who(Role.SALES, True))
    assert not sees_all(who(Role.SALES)) and not sees_all(who(Role.PRODUCTION))


def test_who_may_press_a_step() -> None:
    huangwu = Case(Plant.HUANGWU, filed_by_id=7)
    unknown = Case(Plant.UNKNOWN, filed_by_id=7)
    qc_laishan = Who(2, Role.QC, Plant.LAISHAN, False)
    tech = Who(3, Role.TECH, None, False)
    vp_exec = Who(4, Role.VP_EXEC, Plant.HUANGWU, False)
    vp_prod = Who(5, Role.VP_PRODUCTION, Plant.LAISHAN, False)
    seller = Who(7, Role.SALES, None, False)
    assert not may_press(qc_laishan, Owner.QC, huangwu)  # the other plant's QC
    assert may_press(qc_laishan, Owner.QC, unknown)  # both plants' QC while unknown
    assert may_press(tech, Owner.QC, huangwu)  # QC with technical
    assert may_press(vp_exec, Owner.SALES, huangwu)  # the leading VP, any step
    assert not may_press(vp_prod, Owner.QC, huangwu)
    assert may_press(vp_prod, Owner.LEADING_VP, unknown)
    assert not may_press(seller, Owner.QC, huangwu)
    assert is_mine(seller, Owner.SALES, huangwu, None)
    assert not is_mine(Who(8, Role.SALES, None, False), Owner.SALES, huangwu, None)
    assert is_mine(vp_prod, Owner.QC, huangwu, assignee_id=5)  # taken by them
    assert not is_mine(vp_exec, Owner.QC, huangwu, None)  # rights are not tasks
    # An outside contractor's problem: the production VP leads it with purchasing.
    contractor = Case(Plant.CONTRACTOR, filed_by_id=7)
    buyer = Who(9, Role.PURCHASING, None, False)
    assert may_press(buyer, Owner.LEADING_VP, contractor)
    assert is_mine(buyer, Owner.LEADING_VP, contractor, None)
    assert not may_press(buyer, Owner.LEADING_VP, huangwu)
    assert not may_press(buyer, Owner.QC, contractor)
    assert may_press(vp_prod, Owner.LEADING_VP, contractor)


def test_customer_names_compare_as_people_type_them() -> None:
    from bot.procedure.intake import customer_key, tidy_name

    assert customer_key("海达 机械") == customer_key("海达机械") == customer_key(" 海达　机械 ")
    assert customer_key("ＨＤ机械") == customer_key("hd机械")
    assert customer_key("海达机械") != customer_key("海达")
    assert tidy_name("Ｑingdao   Jinggong ") == "Qingdao Jinggong"


def test_the_time_of_receipt_is_today_or_yesterday_and_never_ahead() -> None:
    from bot.procedure.intake import parse_received

    shanghai = ZoneInfo("Asia/Shanghai")
    now = datetime(2026, 11, 25, 10, 0, tzinfo=shanghai)
    assert parse_received("9:30", now=now) == datetime(2026, 11, 25, 9, 30, tzinfo=shanghai)
    assert parse_received("昨天 16:00", now=now) == datetime(2026, 11, 24, 16, 0, tzinfo=shanghai)
    assert parse_received("yesterday 16:05", now=now).day == 24
    assert parse_received("2026-11-24 16:00", now=now).hour == 16
    assert parse_received("8点30分", now=now) == datetime(2026, 11, 25, 8, 30, tzinfo=shanghai)
    for bad, reason in (
        ("11:00", "future"),
        ("2026-11-20 10:00", "today or yesterday"),
        ("25:00", "like 14:30"),
        ("soon", "like 14:30"),
    ):
        with pytest.raises(InvalidAnswer, match=reason):
            parse_received(bad, now=now)
    with pytest.raises(InvalidAnswer, match="before the delivery date"):
        parse_received("昨天 16:00", now=now, not_before=date(2026, 11, 25))


def test_any_vp_may_take_over_the_lead_on_site() -> None:
    from bot.procedure.steps import STEP_BY_ID

    huangwu = Case(Plant.HUANGWU, filed_by_id=7)
    marketing = Who(9, Role.VP_MARKETING, None, False)
    production = Who(5, Role.VP_PRODUCTION, Plant.LAISHAN, False)
    on_site = STEP_BY_ID["lead_on_site"]
    assert on_site.any_vp and not STEP_BY_ID["special_meeting"].any_vp
    assert may_press(marketing, Owner.LEADING_VP, huangwu, any_vp=True)
    assert may_press(production, Owner.LEADING_VP, huangwu, any_vp=True)
    assert not may_press(marketing, Owner.LEADING_VP, huangwu)  # step 8: the plant's VP
    assert not may_press(Who(3, Role.QC, None, False), Owner.LEADING_VP, huangwu, any_vp=True)


def test_containment_is_owned_by_qc_and_production_of_the_plant() -> None:
    from bot.procedure.steps import STEP_BY_ID

    containment = STEP_BY_ID["containment"]
    assert containment.co_owners == (Owner.PRODUCTION,)
    huangwu = Case(Plant.HUANGWU, filed_by_id=7)
    production = Who(6, Role.PRODUCTION, Plant.HUANGWU, False)
    elsewhere = Who(8, Role.PRODUCTION, Plant.LAISHAN, False)
    assert may_press(production, Owner.QC, huangwu, co_owners=containment.co_owners)
    assert not may_press(elsewhere, Owner.QC, huangwu, co_owners=containment.co_owners)
    assert not may_press(production, Owner.QC, huangwu)  # step 3: QC's alone
    assert is_mine(production, Owner.QC, huangwu, None, containment.co_owners)


def test_a_suggestions_reward_is_ten_percent_of_its_benefit_as_people_type_it() -> None:
    from decimal import Decimal

    from bot.procedure.suggestions import parse_yuan, reward_for

    assert parse_yuan("12000") == Decimal("12000.00")
    assert parse_yuan("12,000.50 元") == Decimal("12000.50")
    assert parse_yuan("1.2万") == Decimal("12000.00")
    assert parse_yuan("￥3000") == Decimal("3000.00")
    for bad in ("", "很多", "-5", "NaN", "1e999999"):
        with pytest.raises(ValueError):
            parse_yuan(bad)
    assert reward_for(Decimal("12000")) == Decimal("1200.00")
    assert reward_for(Decimal("0.05")) == Decimal("0.01")  # to the fen, half up


def test_a_meetings_time_and_place_as_people_type_them() -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from bot.procedure.meetings import MeetingError, parse_when_where

    tz = ZoneInfo("Asia/Shanghai")
    now = datetime(2026, 11, 25, 10, 0, tzinfo=tz)
    assert parse_when_where("明天 14:00 三楼会议室", now) == (
        datetime(2026, 11, 26, 14, 0, tzinfo=tz),
        "三楼会议室",
    )
    assert parse_when_where("15：30 厂部", now) == (
        datetime(2026, 11, 25, 15, 30, tzinfo=tz),
        "厂部",
    )
    assert parse_when_where("2026-12-01 9:00 莱山车间", now)[0] == datetime(
        2026, 12, 1, 9, 0, tzinfo=tz
    )
    for bad in ("明天下午", "14:00", "25:00 会议室", "2026-02-30 9:00 厂部", ""):
        with pytest.raises(MeetingError):
            parse_when_where(bad, now)
    with pytest.raises(MeetingError, match="passed"):
        parse_when_where("09:00 厂部", now)


def test_a_daily_job_runs_next_at_its_time_after_its_last_run() -> None:
    from bot.procedure.calendar import next_daily

    tz = ZoneInfo("Asia/Shanghai")
    at = time(8, 30)
    assert next_daily(datetime(2026, 11, 25, 8, 0, tzinfo=tz), at, tz) == datetime(
        2026, 11, 25, 8, 30, tzinfo=tz
    )
    # Exactly at its time, or after: tomorrow's (never twice the same day).
    for hour, minute in ((8, 30), (23, 59)):
        after = datetime(2026, 11, 25, hour, minute, tzinfo=tz)
        assert next_daily(after, at, tz) == datetime(2026, 11, 26, 8, 30, tzinfo=tz)
    # A UTC time is read in the company's zone: 2026-11-25 01:00 UTC is 09:00 there.
    assert next_daily(datetime(2026, 11, 25, 1, 0, tzinfo=UTC), at, tz) == datetime(
        2026, 11, 26, 8, 30, tzinfo=tz
    )


def test_the_plan_asks_its_questions_then_item_by_item_and_survives_json() -> None:
    from bot.procedure.plans import Change, Department, PlanDraft, parse_typed

    plan = PlanDraft(complaint_id=1, step_id=2, number="KS-2026-0001")
    asked = []
    answers: dict[str, object] = {
        "plan:problem": "异响",
        "plan:causes": "间隙",
        "plan:owner_id": 7,
        "plan:deadline": date(2026, 12, 31),
        "plan:departments": [Department.PRODUCTION],
        "item:action": "换刀具",
        "item:requirement": "合格",
        "item:owner_id": 8,
        "item:due": date(2026, 12, 2),
        "item:acceptor_id": 7,
    }
    while (pending := plan.next_question()) is not None:
        where = f"{pending[0]}:{pending[1].key}"
        asked.append(where)
        plan.answer(where, answers[where])
        # A restart in the middle: the draft comes back as it was.
        plan = PlanDraft.from_dict(json.loads(json.dumps(plan.to_dict())))
    assert asked == list(answers)
    assert plan.ready and plan.items[0].due == date(2026, 12, 2)
    plan.add_item()
    assert not plan.ready and plan.next_question()[1].key == "action"  # type: ignore[index]
    plan.drop_last_item()
    assert plan.ready
    # Amending an issued plan asks what changes and why, then only what that change needs.
    amend = PlanDraft(complaint_id=1, step_id=3, number="KS", amending=5)
    assert amend.next_question()[1].key == "change"  # type: ignore[index]
    amend.answer("plan:change", Change.DUE)
    assert amend.next_question()[1].key == "reason"  # type: ignore[index]
    today = date(2026, 11, 25)
    reason = parse_typed(amend.question("plan:reason"), " 等刀具 ", today=today)
    amend.answer("plan:reason", reason)
    assert [amend.next_question()[1].key for _ in (0,)] == ["item_number"]  # type: ignore[index]
    amend.answer("plan:item_number", 2)
    amend.answer("plan:new_due", date(2026, 12, 9))
    assert amend.next_question() is None and amend.ready and not amend.items
    again = PlanDraft.from_dict(json.loads(json.dumps(amend.to_dict())))
    assert (again.change, again.reason, again.new_due) == (Change.DUE, "等刀具", date(2026, 12, 9))


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026-12-02", date(2026, 12, 2)),
        ("2026年12月2日", date(2026, 12, 2)),
        ("12-02", date(2026, 12, 2)),
        ("7", date(2026, 12, 2)),
        ("today", None),
        ("2026-11-25", None),  # today is not in the future
        ("2026-11-24", None),
        ("2028-01-01", None),  # more than a year ahead
        ("0", None),
    ],
)
def test_a_due_date_is_still_to_come(typed: str, expected: date | None) -> None:
    from bot.procedure.intake import InvalidAnswer
    from bot.procedure.plans import parse_due

    today = date(2026, 11, 25)
    if expected is None:
        with pytest.raises(InvalidAnswer):
            parse_due(typed, today=today)
    else:
        assert parse_due(typed, today=today) == expected


def test_an_item_is_submitted_then_accepted_or_sent_back_a_week_on() -> None:
    from bot.procedure.plans import (
        ItemError,
        ItemStatus,
        accept,
        all_accepted,
        reopen,
        send_back,
        submit,
    )

    clock = FakeClock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    today = clock.now().date()
    assert submit(ItemStatus.OPEN) is ItemStatus.SUBMITTED
    assert send_back(ItemStatus.SUBMITTED, today=today) == (ItemStatus.OPEN, date(2026, 12, 2))
    assert accept(ItemStatus.SUBMITTED) is ItemStatus.ACCEPTED
    clock.advance(timedelta(days=3))
    assert reopen(ItemStatus.ACCEPTED, today=clock.now().date()) == (
        ItemStatus.OPEN,
        date(2026, 12, 5),
    )
    for change in (lambda: accept(ItemStatus.OPEN), lambda: submit(ItemStatus.ACCEPTED)):
        with pytest.raises(ItemError):
            change()
    with pytest.raises(ItemError):
        send_back(ItemStatus.OPEN, today=today)
    assert not all_accepted([]) and not all_accepted([ItemStatus.ACCEPTED, ItemStatus.OPEN])
    assert all_accepted([ItemStatus.ACCEPTED, ItemStatus.ACCEPTED])


def test_a_product_is_compared_without_width_space_or_case() -> None:
    from bot.procedure.recurrence import product_key, window_start

    assert product_key("深沟球轴承", "6204-2RS") == product_key("深沟球 轴承", "６２０４－２ｒｓ")
    assert product_key("深沟球轴承", "6204") != product_key("深沟球轴承", "6205")
    received = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    assert window_start(received, 90) == datetime(2026, 8, 27, 9, 0, tzinfo=UTC)


def test_the_month_end_is_the_last_day_of_each_month_at_its_time() -> None:
    from bot.procedure.calendar import next_month_end

    tz = ZoneInfo("Asia/Shanghai")
    at = time(17, 0)
    assert next_month_end(datetime(2026, 11, 25, 9, 0, tzinfo=tz), at, tz) == datetime(
        2026, 11, 30, 17, 0, tzinfo=tz
    )
    # At its time or after: next month's, across the year and February.
    assert next_month_end(datetime(2026, 11, 30, 17, 0, tzinfo=tz), at, tz) == datetime(
        2026, 12, 31, 17, 0, tzinfo=tz
    )
    assert next_month_end(datetime(2027, 1, 31, 18, 0, tzinfo=tz), at, tz) == datetime(
        2027, 2, 28, 17, 0, tzinfo=tz
    )


def test_the_weekly_figures_by_hand() -> None:
    from bot.procedure.summary import (
        ComplaintFact,
        ItemFact,
        StepFact,
        SuggestionFact,
        figures,
        parse_week,
        week_bounds,
    )

    tz = ZoneInfo("Asia/Shanghai")
    assert parse_week("2026-W48") == (2026, 48) and parse_week("2026-W54") is None
    start, end = week_bounds(2026, 48, tz)  # Monday 2026-11-23 to Monday 2026-11-30
    assert start == datetime(2026, 11, 23, tzinfo=tz) and end == datetime(2026, 11, 30, tzinfo=tz)

    def at(day: int, hour: int = 9) -> datetime:
        return datetime(2026, 11, day, hour, tzinfo=tz)

    def complaint(number: str, day: int, **kw: Any) -> ComplaintFact:
        values: dict[str, Any] = dict(
            closed_at=None,
            grade="C",
            plant="huangwu",
            customer_class="B",
            customer="海达",
            product="轴承 6204",
            recurring=False,
            major=False,
        )
        values.update(kw)
        return ComplaintFact(number, at(day), **values)

    complaints = [
        complaint("K1", 16, closed_at=at(24)),  # last week, closed this week
        complaint("K2", 23, grade="A", major=True, customer="东方"),
        complaint("K3", 24, plant="laishan", recurring=True),
        complaint("K4", 29, grade="B", closed_at=at(29, 18), customer_class="A"),
        complaint("K5", 30),  # next week
    ]
    steps = [
        StepFact("initial_assessment", "qc", at(23, 11), at(23, 10), "李质检"),  # on time
        StepFact("containment", "qc", at(24, 10), at(24, 12), "李质检"),  # late
        StepFact("register", "sales", at(25, 10), at(26, 10), "王业务"),  # late
        StepFact("initial_assessment", "qc", at(17), at(18), "赵质检"),  # late, last week
        StepFact("customer_answer", "sales", at(25), at(24), None),  # answered in time
        StepFact("customer_answer", "sales", at(26), None, None),  # not answered
    ]
    items = [ItemFact(at(25), at(24)), ItemFact(at(27), at(28)), ItemFact(at(28), None)]
    suggestions = [
        SuggestionFact(at(24), Decimal("120.50"), at(26)),
        SuggestionFact(at(10), Decimal("1000"), at(11)),
        SuggestionFact(None, None, None),
    ]
    week = figures(start, end, complaints, steps, items, suggestions)
    assert (week.received, week.closed, week.open_at_end) == (3, 2, 2)  # K2, K3 open
    assert week.by_grade == {"A": 1, "C": 1, "B": 1} and week.by_plant["laishan"] == 1
    assert week.by_class == {"B": 2, "A": 1}
    assert (week.steps_on_time, week.steps_late) == (2, 2)  # the answer done counts too
    assert week.late_by_department == {"qc": 1, "sales": 1}
    assert week.late_by_person == {"李质检": 1, "王业务": 1}
    assert (week.answers_due, week.answers_in_time, week.answer_rate) == (2, 1, 0.5)
    assert (week.items_due, week.items_accepted, week.items_late) == (3, 2, 2)
    assert week.recurring_by_product == {"轴承 6204": 1}
    assert week.top_customers == [("海达", 2), ("东方", 1)]
    assert (week.suggestions_adopted, week.rewards, week.majors) == (1, Decimal("120.50"), 1)
    before = figures(start - timedelta(days=7), start, complaints, steps, items, suggestions)
    assert (before.received, before.closed, before.open_at_end, before.steps_late) == (1, 0, 1, 1)
