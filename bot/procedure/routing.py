"""Who gets what when a complaint is registered (PROCEDURE.md sections 3 and 4, step 1).

The rules are data: a table of (condition, audience, document). `routes_for`
evaluates them for one complaint and resolves "the plant's QC" to concrete plants.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from bot.procedure.grading import Grade, Plant
from bot.procedure.roles import Role
from bot.procedure.steps import Owner, Reader

# The two plants that have their own staff and group chats.
OWN_PLANTS: tuple[Plant, ...] = (Plant.HUANGWU, Plant.LAISHAN)

# Outside-contractor problems are led from Laishan: vp_production leads them,
# with purchasing (reading).
CONTRACTOR_LEAD_PLANT = Plant.LAISHAN

LEADING_ROLE: dict[Plant, Role | None] = {
    Plant.HUANGWU: Role.VP_EXEC,
    Plant.LAISHAN: Role.VP_PRODUCTION,
    Plant.CONTRACTOR: Role.VP_PRODUCTION,
    Plant.UNKNOWN: None,  # QC of both plants decide at the initial assessment
}


class Document(StrEnum):
    CARD = "card"  # the complaint-register row as a card
    REPORT = "report"  # 《客户反馈质量问题处置报告》 laid out like the form


class Group(StrEnum):
    """Group chats of the configuration."""

    LEADERSHIP = "leadership"
    SALES = "sales"
    QC = "qc"  # one per plant
    PRODUCTION = "production"  # one per plant
    # Optional, company-wide: the departments that carry out plan items too.
    EQUIPMENT = "equipment"
    PURCHASING = "purchasing"
    HR = "hr"


@dataclass(frozen=True)
class GroupChat:
    group: Group
    plant: Plant | None = None


@dataclass(frozen=True)
class Person:
    """Everyone of a role (privately)."""

    role: Role


@dataclass(frozen=True)
class Named:
    """One person by their id in the people list (the filer, whoever took a step)."""

    person_id: int


Audience = GroupChat | Person | Named


@dataclass(frozen=True)
class Route:
    audience: Audience
    document: Document


@dataclass(frozen=True)
class ComplaintFacts:
    plant: Plant
    serious: bool


@dataclass(frozen=True)
class PlantGroups:
    """A department's group chat of each plant responsible for the complaint."""

    group: Group


@dataclass(frozen=True)
class Rule:
    applies: Callable[[ComplaintFacts], bool]
    audience: Audience | PlantGroups  # PlantGroups resolve per complaint
    document: Document


def _always(_: ComplaintFacts) -> bool:
    return True


def _serious(facts: ComplaintFacts) -> bool:
    return facts.serious


# Step 1: sales keep the register and hand copies of the customer's original
# letter to leadership and to production and QC, for every complaint (the source:
# 原件复印件分别交至公司领导层和生产、质检部门). A serious problem's disposition
# report goes to the leadership group (in place of the card) and, one copy each,
# to the GM, the executive VP, the marketing VP and the production VP.
INTAKE_RULES: tuple[Rule, ...] = (
    Rule(_always, GroupChat(Group.SALES), Document.CARD),
    Rule(_always, PlantGroups(Group.QC), Document.CARD),
    Rule(_always, PlantGroups(Group.PRODUCTION), Document.CARD),
    Rule(_always, GroupChat(Group.LEADERSHIP), Document.CARD),
    Rule(_serious, GroupChat(Group.LEADERSHIP), Document.REPORT),
    Rule(_serious, Person(Role.GM), Document.REPORT),
    Rule(_serious, Person(Role.VP_EXEC), Document.REPORT),
    Rule(_serious, Person(Role.VP_MARKETING), Document.REPORT),
    Rule(_serious, Person(Role.VP_PRODUCTION), Document.REPORT),
)


def responsible_plants(plant: Plant) -> tuple[Plant, ...]:
    """The plants whose staff handle a problem of this origin."""
    if plant is Plant.UNKNOWN:
        return OWN_PLANTS
    if plant is Plant.CONTRACTOR:
        return (CONTRACTOR_LEAD_PLANT,)
    return (plant,)


def leading_role(plant: Plant) -> Role | None:
    return LEADING_ROLE[plant]


def leading_roles(plant: Plant) -> tuple[Role, ...]:
    """The VP who leads a problem of this origin; both while the plant is not known yet."""
    role = LEADING_ROLE[plant]
    return (role,) if role else (Role.VP_EXEC, Role.VP_PRODUCTION)


# Who leads with the VP: an outside contractor's problem is fixed through purchasing
# (reading: the source names purchasing among those carrying out the measures, and a
# contractor is reached through them).
SUPPORTING_ROLES: dict[Plant, tuple[Role, ...]] = {Plant.CONTRACTOR: (Role.PURCHASING,)}


def supporting_roles(plant: Plant) -> tuple[Role, ...]:
    """Who leads a problem of this origin together with its VP: purchasing for a contractor."""
    return SUPPORTING_ROLES.get(plant, ())


def routes_for(facts: ComplaintFacts, rules: tuple[Rule, ...] = INTAKE_RULES) -> list[Route]:
    routes: list[Route] = []
    for rule in rules:
        if not rule.applies(facts):
            continue
        if isinstance(rule.audience, PlantGroups):
            routes.extend(
                Route(GroupChat(rule.audience.group, p), rule.document)
                for p in responsible_plants(facts.plant)
            )
        else:
            routes.append(Route(rule.audience, rule.document))
    return routes


# Step owners and their group chats (one per plant for QC and production).
OWNER_GROUP = {Owner.SALES: Group.SALES, Owner.QC: Group.QC, Owner.PRODUCTION: Group.PRODUCTION}


def task_audience(
    owner: Owner,
    plant: Plant,
    *,
    filed_by_id: int,
    assignee_id: int | None,
    leadership_group: bool = True,
) -> list[Audience]:
    """Who gets a step's task card: the owner's group chats for the plant and the named people.

    Reminders leave the leadership group out (leadership_group=False): a VP's
    pings go to the VP alone.
    """
    audience: list[Audience] = []
    if owner is Owner.SALES:
        audience += [GroupChat(Group.SALES), Named(filed_by_id)]
    elif owner is Owner.PRODUCTION_VP:
        audience.append(Person(Role.VP_PRODUCTION))
    elif owner is Owner.ASSIGNEE:
        pass  # a plan item: the person it names, below
    elif owner is Owner.LEADING_VP:
        if leadership_group:
            audience.append(GroupChat(Group.LEADERSHIP))
        audience += [Person(role) for role in (*leading_roles(plant), *supporting_roles(plant))]
    else:
        audience += [GroupChat(OWNER_GROUP[owner], p) for p in responsible_plants(plant)]
    if assignee_id is not None:
        audience.append(Named(assignee_id))
    return audience


def escalation_audience(plant: Plant, grade: Grade) -> list[Audience]:
    """After a limit runs out: the plant's leading VP, and the GM for an A complaint."""
    audience: list[Audience] = [Person(role) for role in leading_roles(plant)]
    if grade is Grade.A:
        audience.append(Person(Role.GM))
    return audience


def special_report_audience(plant: Plant) -> list[Audience]:
    """Copies of a special report (the GM gets it with the buttons to answer): the
    plant's leading VP, who leads the fix. The writer is told it went, and gets the
    answer."""
    return [Person(role) for role in leading_roles(plant)]


def special_answer_audience(
    plant: Plant, *, written_by_id: int, filed_by_id: int
) -> list[Audience]:
    """The GM's answer goes back to the writer and the leading VP, and to sales
    (the group and the salesperson who filed it): 并将成果反馈给公司的业务部门."""
    return [
        Named(written_by_id),
        *(Person(role) for role in leading_roles(plant)),
        GroupChat(Group.SALES),
        Named(filed_by_id),
    ]


def closure_audience(plant: Plant, grade: Grade) -> list[Audience]:
    """The closure card: sales, the plant's QC, and leadership for A and B."""
    audience: list[Audience] = [GroupChat(Group.SALES)]
    audience += [GroupChat(Group.QC, p) for p in responsible_plants(plant)]
    if grade in (Grade.A, Grade.B):
        audience.append(GroupChat(Group.LEADERSHIP))
    return audience


def meeting_audience(plant: Plant, *, filed_by_id: int) -> list[Audience]:
    """Invited to a complaint's special meeting: leadership (privately), the plant's QC
    and production groups, and the salesperson who filed it (reading: the source's
    领导层主持召集 with the departments concerned)."""
    audience: list[Audience] = [
        Person(Role.GM),
        Person(Role.VP_EXEC),
        Person(Role.VP_PRODUCTION),
        Person(Role.VP_MARKETING),
    ]
    for p in responsible_plants(plant):
        audience += [GroupChat(Group.QC, p), GroupChat(Group.PRODUCTION, p)]
    audience.append(Named(filed_by_id))
    return audience


def result_audience(readers: tuple[Reader, ...], *, filed_by_id: int) -> list[Audience]:
    """Who reads a step's result (step 7: sales; step 9: the GM, the executive VP, sales)."""
    found: dict[Reader, Audience] = {
        Reader.SALES_GROUP: GroupChat(Group.SALES),
        Reader.FILER: Named(filed_by_id),
        Reader.GM: Person(Role.GM),
        Reader.EXECUTIVE_VP: Person(Role.VP_EXEC),
    }
    return [found[reader] for reader in readers]


def plan_audience(plant: Plant, grade: Grade, *, owner_id: int) -> list[Audience]:
    """The issued plan card: the plant's production group, the leading VP, the plan's
    overall owner, and leadership for A and B (issue 10)."""
    audience: list[Audience] = [GroupChat(Group.PRODUCTION, p) for p in responsible_plants(plant)]
    audience += [Person(role) for role in leading_roles(plant)]
    audience.append(Named(owner_id))
    if grade in (Grade.A, Grade.B):
        audience.append(GroupChat(Group.LEADERSHIP))
    return audience


def tracking_audience(plant: Plant) -> list[Audience]:
    """The daily tracking of plan items (step 14): the plant's QC group and leading VP."""
    audience: list[Audience] = [GroupChat(Group.QC, p) for p in responsible_plants(plant)]
    return audience + [Person(role) for role in leading_roles(plant)]


def recheck_audience(plant: Plant) -> list[Audience]:
    """A new complaint that may be the recurrence of one waiting for its recheck: the
    plant's QC group and leading VP (IATF 16949 10.2.3)."""
    return tracking_audience(plant)


# The group of a person's department, where their plan items go too (if configured).
DEPARTMENT_GROUPS = {
    Role.QC: Group.QC,
    Role.TECH: Group.QC,  # QC with technical (质检部门及技术部门)
    Role.PRODUCTION: Group.PRODUCTION,
    Role.SALES: Group.SALES,
    Role.EQUIPMENT: Group.EQUIPMENT,
    Role.PURCHASING: Group.PURCHASING,
    Role.HR: Group.HR,
}
PLANT_GROUPS = frozenset({Group.QC, Group.PRODUCTION})


def department_group(role: Role, plant: Plant) -> list[Audience]:
    """A plan item's group besides its owner: their department's, for the complaint's
    plant where the department has one per plant; none for leadership."""
    group = DEPARTMENT_GROUPS.get(role)
    if group is None:
        return []
    if group in PLANT_GROUPS:
        return [GroupChat(group, p) for p in responsible_plants(plant)]
    return [GroupChat(group)]


def weekly_meeting_audience() -> list[Audience]:
    """The weekly quality analysis meeting: production organises it with production,
    technical, QC and statistics of both plants (the production groups), and
    leadership, who call it (the leadership group)."""
    plants = (Plant.HUANGWU, Plant.LAISHAN)
    return [*(GroupChat(Group.PRODUCTION, p) for p in plants), GroupChat(Group.LEADERSHIP)]


def month_end_audience() -> list[Audience]:
    """The month's complaint register: the QC and production groups (业务部 sends it to
    质检和生产部门), of both plants."""
    plants = (Plant.HUANGWU, Plant.LAISHAN)
    return [GroupChat(group, p) for group in (Group.QC, Group.PRODUCTION) for p in plants]


def extension_audience(owner: Owner, plant: Plant) -> list[Audience]:
    """Who decides an extension of a step's limit: the plant's leading VP; the GM for a
    VP's own step."""
    if owner in (Owner.LEADING_VP, Owner.PRODUCTION_VP):
        return [Person(Role.GM)]
    return [Person(role) for role in leading_roles(plant)]
