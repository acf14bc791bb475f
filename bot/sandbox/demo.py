"""The demo company: two plants, every role of PROCEDURE.md section 2, the group
chats, known customers, and a few complaints in different stages.

The complaints are filed and worked through Kesu's own services at past times
of the sandbox clock, so the page opens on real cards, steps and history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from bot.procedure.causes import to_mask
from bot.procedure.grading import CustomerClass, Demand, Plant
from bot.procedure.intake import Draft
from bot.procedure.plans import Department, ItemDraft
from bot.sandbox.clock import SandboxClock
from bot.services import causes, company, complaints, digests, plans, steps
from bot.services.uow import Caller, Services
from bot.views.callbacks import StepAction


@dataclass(frozen=True)
class Member:
    telegram_id: int
    name: str
    role: str
    plant: str | None = None
    admin: bool = False


PEOPLE = (
    Member(100001, "王业务", "sales"),
    Member(100002, "赵业务", "sales"),
    Member(100011, "李质检", "qc", "huangwu"),
    Member(100012, "周质检", "qc", "laishan"),
    Member(100013, "吴技术", "tech"),
    Member(100021, "郑生产", "production", "huangwu"),
    Member(100022, "冯生产", "production", "laishan"),
    Member(100031, "陈设备", "equipment"),
    Member(100032, "褚采购", "purchasing"),
    Member(100033, "卫人力", "hr"),
    Member(100041, "刘常务", "vp_exec", "huangwu"),
    Member(100042, "蒋副总", "vp_production", "laishan"),
    Member(100043, "孙营销", "vp_marketing"),
    Member(100044, "张总", "gm", admin=True),
)

LEADERSHIP = -1001000000001
SALES = -1001000000002
QC_HUANGWU = -1001000000003
QC_LAISHAN = -1001000000004
PRODUCTION_HUANGWU = -1001000000005
PRODUCTION_LAISHAN = -1001000000006

# Group chat -> (title, who is in it).
GROUPS: dict[int, tuple[str, tuple[int, ...]]] = {
    LEADERSHIP: ("公司领导层", (100041, 100042, 100043, 100044)),
    SALES: ("业务部", (100001, 100002, 100043)),
    QC_HUANGWU: ("黄务质检", (100011, 100013, 100041)),
    QC_LAISHAN: ("莱山质检", (100012, 100013, 100042)),
    PRODUCTION_HUANGWU: ("黄务生产", (100021, 100031, 100041)),
    PRODUCTION_LAISHAN: ("莱山生产", (100022, 100032, 100042)),
}

CUSTOMERS = [
    ("海达机械", CustomerClass.A, "0535-6881234"),
    ("东方轴承", CustomerClass.A, "0535-6112233"),
    ("鲁信汽配", CustomerClass.B, "0531-8776655"),
    ("华瑞电机", CustomerClass.B, "0532-8990011"),
    ("宏远五金", CustomerClass.C, "13805351234"),
    ("蓬莱农机", CustomerClass.C, "13963856789"),
]


WEBAPP_URL = "https://kesu.sandbox.invalid/app/"
WEBAPP_LINK = "https://t.me/kesu_test_bot/dashboard"


def config_data(
    database_url: str, emulator_url: str, token: str, files: str = "kesu-files"
) -> dict[str, Any]:
    """The demo company as a configuration (the same keys as config.example.toml)."""
    return {
        "timezone": "Asia/Shanghai",
        "default_language": "zh_CN",
        "telegram": {
            "token": token,
            "api_base_url": f"{emulator_url}/bot",
            "file_base_url": f"{emulator_url}/file/bot",
        },
        "database": {"url": database_url},
        "people": [
            {
                "telegram_id": m.telegram_id,
                "name": m.name,
                "role": m.role,
                **({"plant": m.plant} if m.plant else {}),
                "admin": m.admin,
            }
            for m in PEOPLE
        ],
        "chats": {
            "leadership": LEADERSHIP,
            "sales": SALES,
            "qc": {"huangwu": QC_HUANGWU, "laishan": QC_LAISHAN},
            "production": {"huangwu": PRODUCTION_HUANGWU, "laishan": PRODUCTION_LAISHAN},
        },
        "outbox": {"poll_seconds": 1.0, "first_backoff_seconds": 1.0},
        "files": {"store": files},
        # The dashboard: Telegram opens only HTTPS addresses, so the demo has one; the
        # sandbox's page opens it from its own server (bot/sandbox/page.py).
        "webapp": {"enabled": True, "url": WEBAPP_URL, "link": WEBAPP_LINK},
    }


def _draft(received_at: datetime, **answers: Any) -> Draft:
    draft = Draft(received_at=received_at)
    customer = answers.pop("customer")
    known = {name: cls for name, cls, _ in CUSTOMERS}
    draft.new_customer(customer)  # found by name in the register when it is filed
    draft.answer("customer_class", known[customer])
    phone = next(p for name, _, p in CUSTOMERS if name == customer)
    values: dict[str, Any] = {
        "received_at": received_at,
        "contact_phone": phone,
        "occurred_on": None,
        "batch": False,
        "recurring": False,
        "attachments": [],
        **answers,
    }
    for key, value in values.items():
        draft.answer(key, value)
    return draft


class _Story:
    def __init__(self, services: Services, clock: SandboxClock) -> None:
        self.services = services
        self.clock = clock

    def live_until(self, target: datetime) -> None:
        """Move the clock on as the days were lived: each reminder or escalation that
        falls due on the way goes out at its own time."""
        while True:
            pending = self.services.call(steps.pending_pings)
            turn = self.services.call(digests.next_time)
            due = min([when for _, when in pending] + ([turn] if turn else []), default=None)
            if due is None or due > target:
                break
            self.clock.set(max(due, self.clock.now()))
            now = self.clock.now()
            fired = [
                self.services.call(steps.fire_ping, i, False) for i, when in pending if when <= now
            ]
            # As the deadline job does: what fell due together goes together.
            sent = self.services.call(digests.send_due)
            if not any(fired) and not sent:
                break
        self.clock.set(max(target, self.clock.now()))

    def later(self, delta: timedelta) -> None:
        self.live_until(self.clock.now() + delta)

    def file(self, by: int, draft: Draft) -> None:
        filed = self.services.call(
            complaints.file_complaint, complaints.FileComplaint(Caller(by, by, None, "demo"), draft)
        )
        assert filed.complaint is not None, filed.refusal

    def press(self, by: int, key: str, code: str = "done") -> None:
        """As the person would: their task of that step, newest first."""
        caller = Caller(by, by, None, "demo")
        tasks = self.services.call(steps.my_tasks, caller)
        step_id = max(s.id for s in tasks.steps if s.key == key)
        press = steps.PressStep(caller, step_id, StepAction.FINISH, code)
        done = self.services.call(steps.press, press)
        assert done.result is steps.PressResult.OK, (key, done.result)

    def name_causes(self, by: int, *keys: str) -> None:
        """The appraisal's cause categories, as QC choose them (the plant stays)."""
        caller = Caller(by, by, None, "demo")
        tasks = self.services.call(steps.my_tasks, caller)
        step = max((s for s in tasks.steps if s.key == "appraisal_report"), key=lambda s: s.id)
        mask = to_mask(keys, self.services.config.causes.listed())
        plant = step.plant.value
        chosen = self.services.call(
            causes.choose, causes.ChooseCauses(caller, step.id, mask, plant)
        )
        assert chosen.result is causes.CausesResult.SET, chosen.result

    def plan(
        self, by: int, *, problem: str, causes: str, items: list[tuple[str, str, int, int, int]]
    ) -> None:
        """Step 10 as the VP fills it in: (what, requirement, owner, acceptor, days)."""
        caller = Caller(by, by, None, "demo")
        tasks = self.services.call(steps.my_tasks, caller)
        step_id = max(s.id for s in tasks.steps if s.key == "rectification_plan")
        opening = self.services.call(plans.begin, plans.BeginPlan(caller, step_id))
        draft, people = opening.draft, {p.name: p.id for p in opening.people}
        assert draft is not None and opening.me is not None
        ids = {m.telegram_id: people[m.name] for m in PEOPLE}
        today = self.clock.now().astimezone(self.services.config.tz).date()
        draft.problem, draft.causes, draft.owner_id = problem, causes, opening.me
        draft.deadline = today + timedelta(days=30)
        draft.departments = [Department.PRODUCTION, Department.QC, Department.EQUIPMENT]
        for action, requirement, owner, acceptor, days in items:
            due = today + timedelta(days=days)
            draft.items.append(ItemDraft(action, requirement, ids[owner], due, ids[acceptor]))
        issued = self.services.call(plans.issue, plans.IssuePlan(caller, draft))
        assert issued.result is plans.IssueResult.ISSUED, issued.result

    def press_item(self, by: int, key: str, number: int, code: str) -> None:
        caller = Caller(by, by, None, "demo")
        tasks = self.services.call(steps.my_tasks, caller)
        step_id = next(
            s.id for s in tasks.steps if s.key == key and s.item and s.item.number == number
        )
        done = self.services.call(
            steps.press, steps.PressStep(caller, step_id, StepAction.FINISH, code)
        )
        assert done.result is steps.PressResult.OK, (key, done.result)


def seed(services: Services, clock: SandboxClock) -> None:
    """Customers and five complaints, written at past times; the clock ends at the wall
    clock."""
    now = clock.now()
    today = now.astimezone(services.config.tz).date()
    services.call(company.add_customers, CUSTOMERS)
    story = _Story(services, clock)

    # Yesterday: grumbling that QC judged not a quality problem; explained, closed.
    clock.set(now - timedelta(days=1))
    story.file(
        100001,
        _draft(
            clock.now(),
            customer="宏远五金",
            content="客户抱怨包装破损，要求说明",
            demands=[Demand.CRITICISM],
            product_name="深沟球轴承",
            specification="6204-2RS",
            quantity=(Decimal(200), "件"),
            delivery_date=today - timedelta(days=8),
            plant=Plant.HUANGWU,
            description="外包装纸箱破损，轴承本身无损伤",
        ),
    )
    story.later(timedelta(minutes=25))
    story.press(100011, "initial_assessment", "nq")
    story.later(timedelta(minutes=40))
    story.press(100001, "explain_to_customer", "acc")

    # Two hours ago: a problem that keeps coming back (Huangwu): the executive VP issued a
    # rectification plan of two items; production's is done and accepted.
    story.live_until(now - timedelta(hours=2))
    story.file(
        100002,
        _draft(
            clock.now(),
            customer="东方轴承",
            content="同型号轴承再次出现锈蚀，要求换货并整改",
            demands=[Demand.EXCHANGE],
            product_name="深沟球轴承",
            specification="6206",
            quantity=(Decimal(600), "件"),
            delivery_date=today - timedelta(days=12),
            recurring=True,
            plant=Plant.HUANGWU,
            description="开箱即见锈斑，上月同型号已投诉一次",
        ),
    )
    story.later(timedelta(minutes=15))
    for key in ("initial_assessment", "containment"):
        story.press(100011, key)
    story.name_causes(100011, "method", "environment")  # the coating, the humid packing room
    story.press(100011, "appraisal_report")
    story.later(timedelta(minutes=20))
    story.plan(
        100041,
        problem="6206 轴承开箱锈蚀（重复发生）",
        causes="防锈油涂覆不均；包装间湿度偏高",
        items=[
            ("调整防锈油涂覆工艺", "涂覆均匀，盐雾试验合格", 100021, 100011, 7),
            ("包装间加装除湿机", "湿度不高于 60%", 100031, 100041, 10),
        ],
    )
    story.later(timedelta(minutes=10))
    story.press(100011, "improvement_measures")
    story.later(timedelta(minutes=30))
    story.press_item(100021, "plan_item", 1, "done")
    story.later(timedelta(minutes=10))
    story.press_item(100011, "item_acceptance", 1, "acc")

    # Fifty minutes ago: an exchange (grade C) for Huangwu, QC at work on the report.
    story.live_until(now - timedelta(minutes=50))
    story.file(
        100001,
        _draft(
            clock.now(),
            customer="鲁信汽配",
            content="部分轴承异响，要求换货",
            demands=[Demand.EXCHANGE],
            product_name="圆锥滚子轴承",
            specification="30205",
            quantity=(Decimal(1500), "套"),
            delivery_date=today - timedelta(days=20),
            occurred_on=today - timedelta(days=1),
            plant=Plant.HUANGWU,
            description="装机试运行时约 3% 有异响",
        ),
    )
    story.later(timedelta(minutes=20))
    story.press(100011, "initial_assessment")
    story.later(timedelta(minutes=5))
    story.press(100011, "containment")

    # Twenty minutes ago: a claim and a return of a batch from Laishan (grade A).
    story.live_until(now - timedelta(minutes=20))
    story.file(
        100002,
        _draft(
            clock.now(),
            customer="海达机械",
            content="整批轴承早期失效，要求退货并赔偿停机损失",
            demands=[Demand.CLAIM, Demand.RETURN],
            product_name="深沟球轴承",
            specification="6308-ZZ",
            quantity=(Decimal(5000), "件"),
            delivery_date=today - timedelta(days=30),
            occurred_on=today,
            batch=True,
            plant=Plant.LAISHAN,
            description="运行 200 小时后保持架断裂，整批同样问题",
        ),
    )
    # Laishan's QC judged it at once: not to be solved the same day, so the Laishan VP
    # has the rectification plan to fill in (in chat, or in the dashboard's form).
    story.later(timedelta(minutes=4))
    for key in ("initial_assessment", "containment"):
        story.press(100012, key)
    story.name_causes(100012, "machine", "material")  # the cage's heat treatment, its steel
    story.later(timedelta(minutes=6))
    story.press(100012, "appraisal_report", "nt")

    # Five minutes ago: a price cut asked for; which plant made it is not known yet.
    story.live_until(now - timedelta(minutes=5))
    story.file(
        100001,
        _draft(
            clock.now(),
            customer="华瑞电机",
            content="尺寸偏差，要求降价接收",
            demands=[Demand.DOWNGRADE],
            product_name="电机轴承",
            specification="6202",
            quantity=(Decimal(800), "件"),
            delivery_date=today - timedelta(days=5),
            plant=Plant.UNKNOWN,
            description="内径实测偏大 0.01 mm",
        ),
    )
    story.live_until(now)


def members_of(group_id: int) -> tuple[int, ...]:
    return GROUPS[group_id][1]


def groups_of(person_id: int) -> list[int]:
    return [group for group, (_, members) in GROUPS.items() if person_id in members]
