"""Renderers, keyboards and callback data as plain text and data."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from hypothesis import given
from hypothesis import strategies as st

from bot.procedure.grading import CustomerClass, Demand, Grade, Plant
from bot.procedure.intake import FIELD_BY_KEY, FIELDS, AttachmentDraft, Draft, FileKind
from bot.procedure.steps import ITEM_STEPS, STEPS, ComplaintStatus, Outcome, Owner, StepStatus
from bot.sandbox.emulator.html import parse
from bot.views import cards, keyboards
from bot.views.callbacks import BadCallback, Callback, PlantPress, StepAction, StepPress, decode
from bot.views.i18n import LOCALE_DIR, gettext, pick_language
from bot.views.models import AttachmentView, ComplaintView, StepView
from bot.views.render import (
    CALLBACK_DATA_LIMIT,
    MESSAGE_LIMIT,
    render,
    split_html,
    visible_length,
)
from tests.test_chinese import half_width_in_chinese

ROOT = Path(__file__).resolve().parent.parent


def complaint(**overrides: Any) -> ComplaintView:
    values: dict[str, Any] = {
        "id": 1,
        "number": "KS-2026-0001",
        "grade": Grade.A,
        "is_serious": True,
        "is_return": True,
        "is_batch": True,
        "is_recurring": False,
        "received_at": datetime(2026, 11, 24, 1, 30, tzinfo=UTC),
        "occurred_at": datetime(2026, 11, 23, 16, 0, tzinfo=UTC),
        "customer_name": "海达 <机械> & Co",
        "customer_class": CustomerClass.A,
        "contact_phone": "0535-6881234",
        "content": "要求索赔",
        "demands": (Demand.CLAIM, Demand.RETURN),
        "product_name": "轴承",
        "specification": "6204",
        "quantity": Decimal("5000.000"),
        "quantity_unit": "件",
        "delivery_date": date(2026, 11, 1),
        "plant": Plant.HUANGWU,
        "description": "异响 <b>not bold</b>",
        "cause_analysis": None,
        "corrective_proposal": None,
        "verification": None,
        "status": ComplaintStatus.OPEN,
        "filed_by": "王业务",
        "filed_by_id": 1,
        "attachments": (
            AttachmentView(FileKind.PHOTO, "p1", None),
            AttachmentView(FileKind.DOCUMENT, "d1", "信.pdf"),
        ),
    }
    values.update(overrides)
    return ComplaintView(**values)


def step_view(key: str, status: StepStatus = StepStatus.OPEN, **overrides: Any) -> StepView:
    values: dict[str, Any] = {
        "id": 4321,
        "key": key,
        "status": status,
        "owner": Owner.QC,
        "complaint_number": "KS-2026-0001",
        "plant": Plant.HUANGWU,
        "opened_at": datetime(2026, 11, 24, 1, 30, tzinfo=UTC),
    }
    values.update(overrides)
    return StepView(**values)


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("template", ["complaints/card.html", "complaints/disposition_report.html"])
def test_cards_escape_user_text_and_are_valid_telegram_html(language: str, template: str) -> None:
    text = render(template, language, c=complaint(), tz="Asia/Shanghai")
    parse(text)
    assert "海达 &lt;机械&gt; &amp; Co" in text
    assert "&lt;b&gt;not bold&lt;/b&gt;" in text
    assert "KS-2026-0001" in text
    assert "5000 件" in text
    assert "2026-11-24 09:30" in text  # company time, not UTC


def test_report_is_laid_out_like_the_form() -> None:
    text = render("complaints/disposition_report.html", "zh_CN", c=complaint(), tz="Asia/Shanghai")
    for term in (
        "顾客反馈质量问题处置报告单",
        "编号",
        "客户名称（代号）",  # the form's term, set full width as Chinese is
        "顾客类别",
        "交货数量",
        "问题产品名称",
        "规格型号",
        "交货日期",
        "产品质量问题描述",
        "业务部负责人",
        "质量问题因素分析",
        "整治纠正方法建议",
        "整治效果的验证",
    ):
        assert term in text, term
    assert "☑ 1 黄务车间、仓库" in text
    assert "☐ 2 莱山车间、仓库" in text


def test_card_in_english_has_no_chinese_labels() -> None:
    text = render("complaints/card.html", "en", c=complaint(), tz="Asia/Shanghai")
    assert "Customer complaint" in text and "Problem nature" in text
    assert "客户投诉" not in text
    assert "2 attachments follow" in text


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=9000))
def test_split_keeps_every_character_and_valid_html(user_text: str) -> None:
    from html import escape

    source = "<b>标题</b>\n" + escape(user_text) + "\n<i>" + escape(user_text[:50]) + "</i>"
    parts = split_html(source, 1000)
    for part in parts:
        assert visible_length(part) <= 1000
    visible = "".join(parse(p) for p in parts)
    assert visible.replace("\n", "") == parse(source).replace("\n", "").strip() or (
        visible.replace("\n", "").replace(" ", "")
        == parse(source).replace("\n", "").replace(" ", "")
    )


def test_long_card_is_split_not_cut() -> None:
    long = "很长的描述" * 1500  # 7,500 characters
    text = render(
        "complaints/card.html", "zh_CN", c=complaint(description=long), tz="Asia/Shanghai"
    )
    parts = split_html(text)
    assert len(parts) in (2, 3)  # a head part may end before the long line starts
    assert all(visible_length(p) <= MESSAGE_LIMIT for p in parts)
    assert "".join(parse(p) for p in parts).count("很长的描述") == 1500


def test_split_reopens_tags_inside_a_long_line() -> None:
    parts = split_html("<b>" + "x" * 25 + "</b>", 10)
    assert parts == ["<b>xxxxxxxxxx</b>", "<b>xxxxxxxxxx</b>", "<b>xxxxx</b>"]


@given(
    st.sampled_from(["in", "cx", "st"]),
    st.from_regex(r"[a-z]{1,10}", fullmatch=True),
    st.one_of(st.just(""), st.from_regex(r"[A-Za-z0-9_.\-]{1,40}", fullmatch=True)),
)
def test_callback_codec_round_trip(family: str, action: str, arg: str) -> None:
    callback = Callback(family, action, arg)
    data = callback.encode()
    assert len(data.encode()) <= CALLBACK_DATA_LIMIT
    assert decode(data) == callback


@pytest.mark.parametrize(
    "data",
    [None, "", "v2:in:ok", "in:ok", "v1:in", "v1:in:ok:1:2", "v1:in:ok:<x>", "v1:" + "a" * 70],
)
def test_callback_codec_refuses_what_it_did_not_make(data: str | None) -> None:
    with pytest.raises(BadCallback):
        decode(data)


def test_callback_data_never_exceeds_64_bytes() -> None:
    with pytest.raises(BadCallback):
        Callback("in", "cust", "9" * 70).encode()
    assert decode("v1:step:done:123") == Callback("step", "done", "123")
    assert decode("v1:step:done:123").int_arg == 123


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_every_intake_keyboard_fits_telegram(language: str) -> None:
    draft = Draft(received_at=datetime(2026, 11, 24, tzinfo=UTC), demands=[Demand.CLAIM])
    draft.attachments.append(AttachmentDraft(FileKind.DOCUMENT, "f", "u", "a.pdf"))
    boards = [keyboards.question(language, f, draft) for f in FIELDS]
    boards += [
        keyboards.summary(language),
        keyboards.edit_menu(language),
        keyboards.customer_matches(language, [(12345678, "海达" * 30, "A")], "海"),
    ]
    for board in boards:
        for row in board:
            for label, data in row:
                assert label.strip()
                assert len(data.encode()) <= CALLBACK_DATA_LIMIT
                decode(data)


def test_demand_keyboard_marks_what_is_chosen() -> None:
    draft = Draft(received_at=datetime(2026, 11, 24, tzinfo=UTC))
    draft.toggle_demand("return")
    board = keyboards.question("zh_CN", FIELD_BY_KEY["demands"], draft)
    labels = [label for row in board for label, _ in row]
    assert "✅ 退货" in labels and "索赔" in labels and labels[-1] == "完成"


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("definition", [*STEPS, *ITEM_STEPS], ids=lambda d: d.id)
def test_task_buttons_come_from_the_step_table(language: str, definition: Any) -> None:
    step = step_view(definition.id, plant=Plant.UNKNOWN)
    board = keyboards.task(language, step)
    presses = [
        StepPress.decode(data) for row in board for _, data in row if data.startswith("v1:st:")
    ]
    finishing = [p.code for p in presses if p.action is StepAction.FINISH]
    # The plan (10) is issued, and step 13 done by its items: not by an outcome's button.
    assert finishing == ([o.code for o in definition.outcomes] if definition.pressable else [])
    expected = set(StepAction) - {StepAction.CARD}  # a digest's button, not a card's
    expected.discard(StepAction.FINISH if not definition.pressable else StepAction.PLAN)
    if definition.per_item:
        expected.discard(StepAction.TAKE)  # an item is already one person's
    if not definition.sets_nature:
        expected.discard(StepAction.NATURE)
    if not definition.asks_causes:
        expected.discard(StepAction.CAUSES)
    if not definition.attaches_8d:
        expected -= {StepAction.EIGHT_D_ZH, StepAction.EIGHT_D_EN}
    if not definition.holds_meeting:
        expected.discard(StepAction.MEETING)
    if definition.per_item or step.due_at is None:
        expected.discard(StepAction.EXTEND)  # an item's date is the plan's
    if step.due_at is None:
        expected.discard(StepAction.SNOOZE)  # no limit, no reminders
    assert {p.action for p in presses} == expected
    # Once more time is asked for, no second request until it is decided.
    waiting = replace(step, extension_to=datetime(2026, 12, 1, tzinfo=UTC))
    assert StepAction.EXTEND not in {
        StepPress.decode(d).action
        for row in keyboards.task(language, waiting)
        for _, d in row
        if d.startswith("v1:st:")
    }
    assert all(p.step_id == step.id for p in presses)
    plants = [
        PlantPress.decode(data) for row in board for _, data in row if data.startswith("v1:pl:")
    ]
    assert bool(plants) == definition.asks_plant
    for row in board:
        for label, data in row:
            assert label.strip() and len(data.encode()) <= CALLBACK_DATA_LIMIT
    # Once the step is no longer open only Show is left.
    closed = keyboards.task(language, step_view(definition.id, StepStatus.DONE))
    assert [StepPress.decode(d).action for row in closed for _, d in row] == [StepAction.SHOW]


def test_outcome_codes_do_not_collide_with_the_fixed_buttons() -> None:
    fixed = {a.value for a in StepAction}
    for definition in STEPS:
        for ending in definition.outcomes:
            assert ending.code not in fixed
            press = StepPress(12, StepAction.FINISH, ending.code)
            assert StepPress.decode(press.encode()) == press


def test_task_card_says_how_the_step_ended() -> None:
    done = step_view(
        "customer_result",
        StepStatus.DONE,
        outcome=Outcome.NOT_SATISFIED,
        done_by="王业务",
        done_at=datetime(2026, 11, 25, 2, 0, tzinfo=UTC),
        owner=Owner.SALES,
    )
    for language, said in (("zh_CN", "第 16 步"), ("en", "Step 16")):
        card = cards.task_card(done, complaint(), language, "Asia/Shanghai")
        parse(card.text)
        assert said in card.text and "王业务" in card.text
        assert gettext(language, "customer not satisfied: back to step 3") in card.text


def test_question_names_the_forms_term() -> None:
    text = render(
        "intake/question.html",
        "zh_CN",
        field=FIELD_BY_KEY["specification"],
        number=7,
        total=15,
        error="",
        current="",
        attachment_count=0,
        intro=False,
    )
    assert "规格型号" in text and "第 7/15 题" in text


def test_language_choice() -> None:
    assert pick_language("en", "zh-hans") == "en"
    assert pick_language(None, "zh-hans", "en") == "zh_CN"
    assert pick_language(None, "en-US") == "en"
    assert pick_language(None, "de") == "zh_CN"
    assert gettext("zh_CN", "Contact phone") == "联系电话"
    assert gettext("en", "Contact phone") == "Contact phone"


def _source_messages() -> set[str]:
    found: set[str] = set()
    method_map = [
        ("bot/**.py", "python"),
        ("handlers/**.py", "python"),
        ("templates/**.html", "jinja2"),
    ]
    options = {
        "templates/**.html": {
            "extensions": "jinja2.ext.i18n",
            "trim_blocks": "True",
            "lstrip_blocks": "True",
        }
    }
    keywords = {
        "_": None,
        "N_": None,
        "t": None,
        "gettext": (2,),
        "ngettext": (1, 2),
        "_gettext": None,
        "_ngettext": (1, 2),
    }
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options, keywords=keywords
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_zh_cn_catalogue_is_complete_and_placeholders_match() -> None:
    with (LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "kesu.po").open("rb") as handle:
        catalogue = read_po(handle)
    translated = {}
    for message in catalogue:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        string = message.string[0] if isinstance(message.string, tuple) else message.string
        translated[key] = string
    missing = sorted(m for m in _source_messages() if not translated.get(m))
    assert missing == [], "run scripts/catalogues and translate these"
    placeholder = re.compile(r"\{\w+\}|%\(\w+\)[sd]")
    for key, string in translated.items():
        assert sorted(placeholder.findall(key)) == sorted(placeholder.findall(string)), key


@pytest.mark.parametrize(
    ("delta", "zh", "en"),
    [
        (timedelta(seconds=40), "不到 1 分钟", "less than a minute"),
        (timedelta(minutes=65), "1 小时 5 分钟", "1 hour 5 minutes"),
        (timedelta(days=2, hours=3, minutes=9), "2 天 3 小时", "2 days 3 hours"),
    ],
)
def test_time_spans_read_naturally(delta: timedelta, zh: str, en: str) -> None:
    from bot.views.render import environment

    template = environment().from_string("{{ d|span }}")
    from bot.views import i18n

    for language, expected in (("zh_CN", zh), ("en", en)):
        token = i18n.current_language.set(language)
        try:
            assert template.render(d=delta) == expected
        finally:
            i18n.current_language.reset(token)


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_every_step_and_notice_template_renders_valid_html_from_view_models(
    language: str,
) -> None:
    """Each template with the view models the services hand it, in both languages."""
    from dataclasses import replace

    from bot.procedure.pings import Ping, PingKind
    from bot.procedure.resources import ReportStatus
    from bot.views.callbacks import NaturePick
    from bot.views.models import (
        ClosureView,
        DeliveryView,
        EventView,
        MeetingView,
        MissedLimit,
        SpecialReportView,
    )

    now = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
    tz = "Asia/Shanghai"
    step = step_view(
        "appraisal_report",
        due_at=datetime(2026, 11, 24, 5, 0, tzinfo=UTC),
        assignee="李质检 <qc>",
        note="原因:<热处理>",
        blocked_reason="缺检测设备 & 材料",
    )
    c = complaint(steps=(step, step_view("register", StepStatus.DONE, done_by="王业务")))
    report = SpecialReportView(7, ReportStatus.WAITING, "缺 <设备>", None, None, "张总 <qc>", now)
    answered = replace(
        report,
        status=ReportStatus.ANSWERED,
        answer="同意 <设备> 采购",
        answered_by="总经理",
        answered_at=now,
    )
    with_report = replace(step, report=answered)
    meeting = MeetingView(
        3, "KS-2026-0001", now, "三楼 <会议室>", "刘常务", "决定 <更换>", False, now
    )
    texts = [
        cards.step_prompt(step, True, language),
        cards.step_prompt(step, False, language),
        cards.ping(step, c, Ping(2, PingKind.OVERDUE, now, late=True), now, language, tz).text,
        cards.ping(step, c, Ping(0, PingKind.REMINDER, now, late=False), now, language, tz).text,
        *(m.text for m in cards.special_report(step, c, report, language, tz, True)),
        *(m.text for m in cards.special_report(step, c, answered, language, tz, False)),
        *(m.text for m in cards.special_answer(step, c, answered, language, tz)),
        cards.special_answer_prompt(language),
        cards.special_report_caption(c, language),
        cards.task_card(with_report, c, language, tz).text,
        cards.nature_chooser(c, NaturePick(step.id, "A", True, False), language).text,
        cards.nature_prompt(NaturePick(step.id, "B", False, True), language),
        *(m.text for m in cards.meeting_invitation(meeting, c, language, tz)),
        *(m.text for m in cards.meeting_invitation(meeting, c, language, tz, reminder=True)),
        *(m.text for m in cards.meeting_confirmation(meeting, language, tz)),
        *(m.text for m in cards.meeting_minutes(meeting, language, tz)),
        cards.minutes_caption(meeting, language),
        cards.meeting_prompt(language),
        cards.minutes_prompt(language),
        render("meetings/list.html", language, meetings=[meeting], tz=tz),
        *(
            m.text
            for m in cards.closure(
                ClosureView(
                    c,
                    now,
                    (MissedLimit(step.title, step.owner, now, now, "李质检 <qc>"),),
                ),
                language,
                tz,
            )
        ),
        *(m.text for m in cards.step_result(step, c, "结果 <设备>", "李质检 <qc>", language)),
        *(m.text for m in cards.step_result(step, c, None, None, language)),
        *cards.complaint_show(
            c,
            [EventView(now, "王业务", "step_done", step.title), EventView(now, None, "ping", None)],
            [DeliveryView(-100, "card", "failed", "Forbidden: <kicked>")],
            language,
            tz,
        ),
        render(
            "steps/task_list.html",
            language,
            steps=[step],
            total=31,
            capped=False,
            now=now,
            tz=tz,
            title="T",
            empty="E",
        ),
        render(
            "complaints/list.html",
            language,
            complaints=[c],
            title="T",
            page=1,
            pages=2,
            total=31,
            tz=tz,
        ),
    ]
    for text in texts:
        parse(text)  # strict Telegram HTML, as the emulator parses it
        assert "<qc>" not in text and "<设备>" not in text  # user text is escaped
        if language == "zh_CN":  # Kesu's own punctuation is Chinese (tests/test_chinese.py)
            assert half_width_in_chinese(text.replace("原因:", "")) == [], text
    assert "KS-2026-0001" in texts[0] and gettext(language, step.title) in texts[0]


def test_nature_chooser_is_a_pure_function_of_the_choice_so_far() -> None:
    from bot.views.callbacks import NaturePick

    pick = NaturePick(123456789, "B", False, True)
    board = keyboards.nature("zh_CN", pick)
    labels = [label for row in board for label, _ in row]
    assert labels == ["A", "✅ B", "C", "批量问题", "✅ 重复发生问题", "确认"]
    picks = [NaturePick.decode(data) for row in board for _, data in row]
    assert [p.grade for p in picks[:3]] == ["A", "B", "C"]
    assert picks[3] == NaturePick(123456789, "B", True, True)  # batch switched on
    assert picks[4] == NaturePick(123456789, "B", False, False)  # recurring switched off
    assert picks[5] == NaturePick(123456789, "B", False, True, confirm=True)
    assert all(len(data.encode()) <= 64 for row in board for _, data in row)
    for forged in ("v1:na:okD11:5", "v1:na:pA2:5", "v1:na:okA1:5", "v1:st:okA10:5"):
        with pytest.raises(BadCallback):
            NaturePick.decode(forged)


def test_special_report_buttons_round_trip() -> None:
    from bot.views.callbacks import ReportAction, ReportPress

    board = keyboards.special_report("zh_CN", 42)
    assert [label for row in board for label, _ in row] == ["批准", "答复"]
    presses = [ReportPress.decode(data) for row in board for _, data in row]
    assert presses == [ReportPress(42, ReportAction.APPROVE), ReportPress(42, ReportAction.REPLY)]
    with pytest.raises(BadCallback):
        ReportPress.decode("v1:sr:no:42")


def test_the_procedure_page_lists_every_step_with_its_owner_and_default_limit() -> None:
    """docs/procedure.md's table (Chinese first) stays true to the step table."""
    from bot.procedure.steps import STEP_BY_ID

    page = (Path(__file__).parent.parent / "docs" / "procedure.md").read_text(encoding="utf-8")
    rows = {
        line.split("`")[1]: line
        for line in page.splitlines()
        if line.startswith("| ") and line.count("`") >= 2
    }
    for key, definition in STEP_BY_ID.items():
        assert key in rows, key
        limit = definition.default_limit
        assert (f"`{limit}`" if limit else "none of its own") in rows[key], key
