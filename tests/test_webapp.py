"""The dashboard, a Telegram Mini App (issue 26): Telegram's initData checked on every
request (forged, another bot's token, expired, a field added after signing, a removed
person), the rights per role on every endpoint, and the figures it serves against the
services' own."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import Engine, select

from bot.procedure import dashboard as dashboard_rules
from bot.procedure.grading import Demand, Plant
from bot.procedure.intake import AttachmentDraft, FileKind
from bot.procedure.plans import PlanDraft
from bot.procedure.summary import StepFact
from bot.services import complaints, conversations, steps
from bot.services.steps import PressStep
from bot.services.uow import Caller
from bot.webapp import init_data
from bot.webapp.server import Dashboard
from storage import queries
from storage.files import FileStore
from storage.models import Complaint, Event, KeepStatus, KeptFile, Person, Step
from tests.conftest import GM, OUTSIDER, PURCHASING, QC_HW, QC_LS, SALES_2, VP_PROD
from tests.test_workflow import NOW, Company, Press, draft

TOKEN = "123456789:TEST-kesu-token"  # the test company's (tests/conftest.py)
HOUR = timedelta(hours=1)
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a73"
    "0000001049444154789c63f8cfc000440c100a001fee03fd8b5f14d40000000049"
    "454e44ae426082"
)


# initData alone -----------------------------------------------------------------------


def test_a_signed_init_data_names_its_person() -> None:
    signed = init_data.for_user(GM, TOKEN, NOW, language_code="en", start_param="KS-2026-0001")
    opened = init_data.validate(signed, TOKEN, NOW + timedelta(minutes=59), HOUR)
    assert (opened.telegram_id, opened.language_code, opened.start_param) == (
        GM,
        "en",
        "KS-2026-0001",
    )


@pytest.mark.parametrize(
    ("case", "refusal"),
    [
        ("forged hash", init_data.Refusal.FORGED),
        ("another bot's token", init_data.Refusal.FORGED),
        ("a field added after signing", init_data.Refusal.FORGED),
        ("the user changed after signing", init_data.Refusal.FORGED),
        ("expired", init_data.Refusal.EXPIRED),
        ("from the future", init_data.Refusal.EXPIRED),
        ("a field twice", init_data.Refusal.MALFORMED),
        ("no hash", init_data.Refusal.MALFORMED),
        ("too long", init_data.Refusal.MALFORMED),
        ("empty", init_data.Refusal.MISSING),
        ("no user", init_data.Refusal.NO_USER),
    ],
)
def test_init_data_that_telegram_did_not_sign_as_it_is_gets_nothing(
    case: str, refusal: init_data.Refusal
) -> None:
    signed = init_data.for_user(GM, TOKEN, NOW)
    fields = dict(parse_qsl(signed))
    now = NOW
    if case == "forged hash":
        text = urlencode({**fields, "hash": "0" * 64})
    elif case == "another bot's token":
        text = init_data.for_user(GM, "987654321:ANOTHER-bot-token", NOW)
    elif case == "a field added after signing":
        text = signed + "&chat_type=private"
    elif case == "the user changed after signing":
        user = json.loads(fields["user"]) | {"id": OUTSIDER}
        text = urlencode({**fields, "user": json.dumps(user)})
    elif case == "expired":
        text, now = signed, NOW + HOUR + timedelta(seconds=1)
    elif case == "from the future":
        text, now = signed, NOW - timedelta(minutes=10)
    elif case == "a field twice":
        text = signed + "&auth_date=1"
    elif case == "no hash":
        text = urlencode({k: v for k, v in fields.items() if k != "hash"})
    elif case == "too long":
        text = init_data.sign({**fields, "padding": "x" * 5000}, TOKEN)
    elif case == "empty":
        text = ""
    else:
        text = init_data.sign({"auth_date": fields["auth_date"]}, TOKEN)
    with pytest.raises(init_data.InitDataError) as refused:
        init_data.validate(text, TOKEN, now, HOUR)
    assert refused.value.refusal is refusal


# Through the server ---------------------------------------------------------------------


@pytest.fixture
async def company(engine: Engine) -> Company:
    company = Company(engine, causes={"required": False})
    # Two of the GM's company's complaints, and one of 周业务's own (SALES_2, not admin).
    company.file(demands=[Demand.DOWNGRADE], content="降价", plant=Plant.LAISHAN)
    company.file(received_at=NOW + timedelta(hours=1), customer="威海精工", plant=Plant.HUANGWU)
    filed = company.services.call(
        complaints.file_complaint,
        complaints.FileComplaint(
            Caller(SALES_2, SALES_2),
            draft(received_at=NOW + timedelta(hours=2), customer="烟台重工", product_name="电机"),
        ),
    )
    assert filed.complaint is not None
    # Huangwu's QC judge KS-2026-0002 a quality problem.
    with company.sessions() as session:
        step_id = session.scalars(
            select(Step.id)
            .join(Complaint)
            .where(Complaint.number == "KS-2026-0002", Step.key == "initial_assessment")
        ).one()
    pressed = company.services.call(
        steps.press, PressStep(Caller(QC_HW, QC_HW), step_id, *Press.DONE)
    )
    assert pressed.result.value == "ok"
    return company


@pytest.fixture
async def client(company: Company) -> AsyncIterator[TestClient[Any, Any]]:
    app = web.Application()
    Dashboard(company.services, TOKEN, "1h").mount(app)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


def signed(who: int, company: Company, **more: str) -> dict[str, str]:
    return {"Authorization": f"tma {init_data.for_user(who, TOKEN, company.clock.now(), **more)}"}


async def ask(client: TestClient[Any, Any], path: str, headers: dict[str, str]) -> Any:
    response = await client.get(f"/app/api/{path}", headers=headers)
    return response.status, await response.json()


async def test_every_endpoint_refuses_a_request_telegram_did_not_sign(
    client: TestClient[Any, Any], company: Company
) -> None:
    paths = ("me", "overview", "pareto", "complaints", "complaints/KS-2026-0001")
    late = init_data.for_user(GM, TOKEN, company.clock.now() - HOUR - timedelta(minutes=1))
    forged = init_data.for_user(GM, "987654321:ANOTHER-bot-token", company.clock.now())
    for headers in ({}, {"Authorization": f"tma {late}"}, {"Authorization": f"tma {forged}"}):
        for path in paths:
            status, body = await ask(client, path, headers)
            assert status == 401 and set(body) == {"error"}, (path, headers)


async def test_the_rights_are_the_bots_own(client: TestClient[Any, Any], company: Company) -> None:
    # The GM: everything.
    for path in ("me", "overview", "pareto", "complaints", "complaints/KS-2026-0003"):
        status, _body = await ask(client, path, signed(GM, company))
        assert status == 200, path
    # A salesperson: their own complaints, nothing more; the same "not found" for
    # another's complaint as for none at all.
    status, me = await ask(client, "me", signed(SALES_2, company))
    assert status == 200 and me["sees_all"] is False and me["language"] == "en"
    assert (await ask(client, "overview", signed(SALES_2, company)))[0] == 403
    assert (await ask(client, "pareto", signed(SALES_2, company)))[0] == 403
    status, listed = await ask(client, "complaints", signed(SALES_2, company))
    assert status == 200 and [r["number"] for r in listed["rows"]] == ["KS-2026-0003"]
    assert (await ask(client, "complaints/KS-2026-0003", signed(SALES_2, company)))[0] == 200
    assert (await ask(client, "complaints/KS-2026-0001", signed(SALES_2, company)))[0] == 404
    assert (await ask(client, "complaints/KS-2099-0001", signed(SALES_2, company)))[0] == 404
    # A stranger (signed by Telegram, but not one of Kesu's people): nothing.
    for path in ("me", "overview", "pareto", "complaints", "complaints/KS-2026-0001"):
        assert (await ask(client, path, signed(OUTSIDER, company)))[0] == 403, path
    # A removed person: from that moment, nothing, though their initData is still fresh.
    headers = signed(VP_PROD, company)
    assert (await ask(client, "overview", headers))[0] == 200
    with company.sessions() as session, session.begin():
        person = session.scalars(select(Person).where(Person.telegram_id == VP_PROD)).one()
        person.active = False
    assert (await ask(client, "overview", headers))[0] == 403


async def test_the_overview_gives_the_services_figures(
    client: TestClient[Any, Any], company: Company
) -> None:
    company.clock.set(NOW + timedelta(days=4))  # some limits have run out by now
    status, found = await ask(client, "overview", signed(GM, company))
    assert status == 200
    with company.sessions() as session:
        open_total = queries.count_open_complaints(session)
        overdue, _rows = queries.overdue_steps(session, company.clock.now(), 1)
    assert found["open_complaints"]["total"] == open_total == 3
    assert sum(g["n"] for g in found["open_complaints"]["grade"]) == 3
    assert sum(a["n"] for a in found["open_complaints"]["age"]) == 3
    assert {p["label"]: p["n"] for p in found["open_complaints"]["plant"]} == {"莱山": 1, "黄务": 2}
    assert found["overdue"]["total"] == overdue > 0
    assert sum(d["n"] for d in found["overdue"]["departments"]) == overdue
    assert len(found["on_time"]["weeks"]) == 12 and len(found["cost"]["months"]) == 6
    # In English when asked, the same numbers.
    english = await client.get("/app/api/overview?lang=en", headers=signed(GM, company))
    assert (await english.json())["open_complaints"]["total"] == 3
    status, me = await ask(client, "me?lang=en", signed(GM, company))
    assert me["texts"]["overview"] == "Overview"


async def test_the_list_filters_and_pages(client: TestClient[Any, Any], company: Company) -> None:
    async def numbers(query: str) -> list[str]:
        status, found = await ask(client, f"complaints?{query}", signed(GM, company))
        assert status == 200, query
        return [r["number"] for r in found["rows"]]

    assert await numbers("") == ["KS-2026-0003", "KS-2026-0002", "KS-2026-0001"]
    assert await numbers("plant=laishan") == ["KS-2026-0001"]
    assert await numbers("customer=威海") == ["KS-2026-0002"]
    assert await numbers("q=电机") == ["KS-2026-0003"]
    assert await numbers("q=%25") == []  # a % is a character, not a wildcard
    assert await numbers("grade=B") == ["KS-2026-0001"]
    assert await numbers("status=closed") == []
    assert await numbers("period=2026-11") == ["KS-2026-0003", "KS-2026-0002", "KS-2026-0001"]
    assert await numbers("period=2026-10") == []
    for bad in (
        "plant=mars",
        "grade=Z",
        "status=gone",
        "period=tomorrow",
        "page=0",
        "q=" + "x" * 61,
    ):
        assert (await ask(client, f"complaints?{bad}", signed(GM, company)))[0] == 400, bad


async def test_a_complaints_timeline(client: TestClient[Any, Any], company: Company) -> None:
    status, found = await ask(client, "complaints/KS-2026-0002", signed(GM, company))
    assert status == 200
    assert found["customer"] == "威海精工"
    titles = [s["title"] for s in found["steps"]]
    assert titles[:2] == ["1 登记客户投诉", "2 问题鉴定初评：是否产品质量问题？"]
    judged = found["steps"][1]
    assert (judged["done_by"], judged["is_late"], judged["is_open"]) == ("李质检", False, False)
    assert found["history"] and found["history"][0]["what"]


def test_init_data_times_are_aware() -> None:
    assert (
        init_data.validate(
            init_data.for_user(GM, TOKEN, datetime(2026, 12, 1, tzinfo=UTC)),
            TOKEN,
            datetime(2026, 12, 1, 0, 30, tzinfo=UTC),
            HOUR,
        ).auth_date.tzinfo
        is not None
    )


async def test_files_are_served_from_kesus_copy_and_never_as_a_page(
    client: TestClient[Any, Any], company: Company
) -> None:
    # The salesperson's letter, as Kesu keeps it once it has a copy (the keeper's part).
    letter = AttachmentDraft(FileKind.DOCUMENT, "letter-1", "u1", "<script>.html", "text/html")
    photo = AttachmentDraft(FileKind.PHOTO, "photo-1", "u2")
    company.file(received_at=NOW + timedelta(hours=3), attachments=[letter, photo])
    store = FileStore(company.config.files.store)
    with company.sessions() as session, session.begin():
        for file_id, content in (("letter-1", b"<script>alert(1)</script>"), ("photo-1", PNG)):
            row = session.scalars(select(KeptFile).where(KeptFile.file_id == file_id)).one()
            stored = store.put("KS-2026-0004", f"{row.id}", content)
            row.path, row.size, row.sha256 = stored.path, stored.size, stored.sha256
            row.status = KeepStatus.KEPT
    base = "/app/api/complaints/KS-2026-0004/files"
    shown = await client.get(f"{base}/photo-1", headers=signed(GM, company))
    assert shown.status == 200 and shown.content_type == "image/jpeg"
    assert await shown.read() == PNG
    saved = await client.get(f"{base}/letter-1", headers=signed(GM, company))
    assert saved.status == 200 and saved.content_type == "application/octet-stream"
    assert saved.headers["Content-Disposition"].startswith("attachment;")
    assert "%3Cscript%3E.html" in saved.headers["Content-Disposition"]
    assert saved.headers["X-Content-Type-Options"] == "nosniff"
    # Not another complaint's file by this one's number; not for whoever may not see it.
    assert (
        await client.get(f"{base[:-7]}1/files/photo-1", headers=signed(GM, company))
    ).status == 404
    assert (await client.get(f"{base}/photo-1", headers=signed(SALES_2, company))).status == 404
    assert (await client.get(f"{base}/photo-1")).status == 401
    # The timeline lists them, by name.
    _status, found = await ask(client, "complaints/KS-2026-0004", signed(GM, company))
    assert {f["id"]: f["kind"] for f in found["files"]} == {
        "letter-1": "document",
        "photo-1": "photo",
    }


async def test_the_8d_report_downloads_in_either_language(
    client: TestClient[Any, Any], company: Company
) -> None:
    path = "/app/api/complaints/KS-2026-0002/8d"
    pdf = await client.get(f"{path}?format=pdf&lang=en", headers=signed(GM, company))
    assert pdf.status == 200 and pdf.content_type == "application/pdf"
    assert (await pdf.read()).startswith(b"%PDF")
    assert "8D-KS-2026-0002-en.pdf" in pdf.headers["Content-Disposition"]
    xlsx = await client.get(f"{path}?format=xlsx&lang=zh_CN", headers=signed(GM, company))
    assert xlsx.status == 200 and (await xlsx.read()).startswith(b"PK")
    assert (await client.get(f"{path}?format=exe", headers=signed(GM, company))).status == 400
    assert (await client.get(path, headers=signed(SALES_2, company))).status == 404
    assert (await client.get(path, headers=signed(OUTSIDER, company))).status == 403


@pytest.fixture
async def waiting_for_a_plan(engine: Engine) -> Company:
    """A B complaint of Laishan whose appraisal says: not today. Step 10 waits for the
    Laishan VP (陈生产, VP_PROD)."""
    company = Company(engine)
    company.file(demands=[Demand.DOWNGRADE], content="降价", plant=Plant.LAISHAN)
    for key, button in (
        ("initial_assessment", Press.DONE),
        ("containment", Press.DONE),
        ("appraisal_report", Press.NOT_TODAY),
    ):
        assert company.press(QC_LS, key, button).value == "ok", key
    return company


async def test_the_plan_as_a_form_shares_the_chats_draft_and_issues_the_same_plan(
    waiting_for_a_plan: Company,
) -> None:
    company = waiting_for_a_plan
    app = web.Application()
    Dashboard(company.services, TOKEN, "1h").mount(app)
    path = "complaints/KS-2026-0001/plan"
    async with TestClient(TestServer(app)) as client:
        # Only whom the chat lets fill it: the VP (not sales, not a stranger).
        assert (await ask(client, path, signed(SALES_2, company)))[0] == 403
        assert (await ask(client, path, signed(OUTSIDER, company)))[0] == 403
        status, timeline = await ask(client, "complaints/KS-2026-0001", signed(VP_PROD, company))
        assert status == 200 and timeline["may_plan"] is True
        status, gm_view = await ask(client, "complaints/KS-2026-0001", signed(QC_HW, company))
        assert gm_view["may_plan"] is False
        # Begun in chat: the problem typed there is what the form shows.
        with company.sessions() as session, session.begin():
            chat = PlanDraft(complaint_id=1, step_id=timeline_step(company), number="KS-2026-0001")
            chat.problem = "保持架热处理不良"
            conversations.remember(session, VP_PROD, conversations.PLAN_DRAFT, chat.to_dict())
        status, plan = await ask(client, path, signed(VP_PROD, company))
        assert status == 200 and plan["problem"] == "保持架热处理不良"
        people = {p["name"]: p["id"] for p in plan["people"]}
        assert plan["labels"]["action"] == "质量整治分项目"  # the paper form's heading
        today = company.clock.now().astimezone(company.config.tz).date()
        form: dict[str, Any] = {
            "problem": plan["problem"],
            "causes": "淬火温度偏低",
            "owner_id": people["陈生产"],
            "deadline": (today + timedelta(days=30)).isoformat(),
            "departments": ["production", "qc"],
            "items": [
                {
                    "action": "调整淬火工艺",
                    "requirement": "硬度合格",
                    "owner_id": people["赵质检"],
                    "due": "昨天",  # not a date: refused with its reason, the rest kept
                    "acceptor_id": people["陈生产"],
                },
            ],
        }
        response = await client.post(
            f"/app/api/{path}", json={"form": form, "issue": True}, headers=signed(VP_PROD, company)
        )
        assert response.status == 422
        errors = (await response.json())["errors"]
        assert set(errors) == {"items.1.due"} and "日期" in errors["items.1.due"]
        with company.sessions() as session:
            kept = conversations.recall(session, VP_PROD, conversations.PLAN_DRAFT)
        assert kept["causes"] == "淬火温度偏低" and kept["items"][0]["due"] is None
        # Three items, each with its owner; issued as the chat issues it.
        owners = ("赵质检", "钱采购", "李质检")
        form["items"] = [
            {
                "action": f"整改 {n}",
                "requirement": "验收合格",
                "owner_id": people[owner],
                "due": (today + timedelta(days=7 + n)).isoformat(),
                "acceptor_id": people["陈生产"],
            }
            for n, owner in enumerate(owners, start=1)
        ]
        response = await client.post(
            f"/app/api/{path}", json={"form": form, "issue": True}, headers=signed(VP_PROD, company)
        )
        assert response.status == 200 and (await response.json())["result"] == "issued"
        # Issued once: again is refused, and the draft is gone from the chat too.
        again = await client.post(
            f"/app/api/{path}", json={"form": form, "issue": True}, headers=signed(VP_PROD, company)
        )
        assert again.status == 409
    with company.sessions() as session:
        assert conversations.recall(session, VP_PROD, conversations.PLAN_DRAFT) is None
        plan_row = queries.plan_of(session, 1)
        assert plan_row is not None and [i.owner.name for i in plan_row.items] == list(owners)
        issued = session.scalars(select(Event).where(Event.action == "plan_issued")).one()
        assert issued.source == "webapp" and issued.actor is not None
    # Each item's owner has their task in chat.
    assert {QC_LS, PURCHASING, QC_HW} <= company.chats_of("plan_item")


def timeline_step(company: Company) -> int:
    return company.step_id("rectification_plan")


def test_the_age_bands_the_database_counts_are_the_days_people_count() -> None:
    """`age_bounds` (what the database counts) and `age_band` (whole days open) agree
    at every edge; the on-time share puts each step in its week."""
    now = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)
    bounds = dashboard_rules.age_bounds(now)
    for hours in range(0, 24 * 40, 7):
        for nudge in (timedelta(0), timedelta(seconds=1), -timedelta(seconds=1)):
            received = now - timedelta(hours=hours) + nudge
            if received > now:
                continue
            band = dashboard_rules.age_band(received, now)
            (inside,) = [
                n
                for n, after, upto in bounds
                if (after is None or received > after) and received <= upto
            ]
            assert inside == band, (received, band, inside)
    weeks = dashboard_rules.weeks_back(now, UTC)
    assert len(weeks) == 12 and weeks[-1][1] <= now < weeks[-1][2]
    done = [
        StepFact("containment", "qc", now - timedelta(hours=2), now - timedelta(hours=1), None),
        StepFact("containment", "qc", now - timedelta(hours=3), now - timedelta(hours=1), None),
        StepFact("containment", "qc", None, now, None),  # no limit: not counted
        StepFact("containment", "qc", now, now - timedelta(weeks=20), None),  # too old
    ]
    counted = dashboard_rules.on_time_by_week(done, weeks)
    assert (counted[-1].on_time, counted[-1].late) == (0, 2) and counted[-1].share == 0.0
    assert all(w.on_time == w.late == 0 and w.share is None for w in counted[:-1])


async def test_a_flood_of_requests_costs_the_flooder(
    client: TestClient[Any, Any], company: Company
) -> None:
    """The same pace as presses in chat (bot/procedure/flood.py): a burst, then 429 with
    Retry-After; someone else is not slowed."""
    statuses = [(await ask(client, "me", signed(QC_HW, company)))[0] for _ in range(30)]
    assert statuses[:20] == [200] * 20 and 429 in statuses[20:]
    response = await client.get("/app/api/me", headers=signed(QC_HW, company))
    assert response.status == 429 and response.headers["Retry-After"] == "1"
    assert (await ask(client, "me", signed(GM, company)))[0] == 200
