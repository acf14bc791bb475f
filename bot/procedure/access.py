"""Who may do what (PROCEDURE.md section 2), as plain rules over plain values.

Every press is checked against these with the person as the database knows them:
callback data is never trusted.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.procedure.grading import Plant
from bot.procedure.roles import LEADERS, Role
from bot.procedure.routing import leading_roles, responsible_plants, supporting_roles
from bot.procedure.steps import Owner

# Who sees every complaint, not only their own (QC and leadership).
SEES_ALL = LEADERS | {Role.QC, Role.TECH}
# Who does the work of each owner of section 4, besides the named people.
OWNER_ROLES: dict[Owner, frozenset[Role]] = {
    Owner.SALES: frozenset({Role.SALES}),
    Owner.QC: frozenset({Role.QC, Role.TECH}),  # QC with technical
    Owner.PRODUCTION: frozenset({Role.PRODUCTION}),
    Owner.LEADING_VP: frozenset(),  # by plant: see leading_roles
    Owner.PRODUCTION_VP: frozenset({Role.VP_PRODUCTION}),
    Owner.ASSIGNEE: frozenset(),  # by name: the person the plan names
}


@dataclass(frozen=True)
class Who:
    """A person as the rules need them."""

    id: int
    role: Role
    plant: Plant | None
    is_admin: bool


@dataclass(frozen=True)
class Case:
    """A complaint as the rules need it."""

    plant: Plant
    filed_by_id: int


def may_file(who: Who) -> bool:
    """Sales receive complaints and file them (section 2); admins may too."""
    return who.is_admin or who.role is Role.SALES


def sees_all(who: Who) -> bool:
    """QC and leadership see every complaint; sales see their own."""
    return who.is_admin or who.role in SEES_ALL


def may_see(who: Who, case: Case, *, acts_on_it: bool = False) -> bool:
    """QC and leadership see every complaint, sales the ones they filed; whoever may act
    on one of a complaint's open steps (their department's for its plant, a step handed
    to them) sees that complaint, so that they can do it. `/show` and a card's Show
    both ask this, so Show never reveals more than `/show` would."""
    return sees_all(who) or case.filed_by_id == who.id or acts_on_it


def owns(who: Who, owner: Owner, case: Case) -> bool:
    """The step's owner role for the complaint's plant."""
    if owner is Owner.LEADING_VP:
        # A contractor's problem: purchasing leads it with the production VP.
        return who.role in (*leading_roles(case.plant), *supporting_roles(case.plant))
    if owner is Owner.PRODUCTION_VP:
        return who.role is Role.VP_PRODUCTION  # for every plant, whatever their own
    if who.role not in OWNER_ROLES[owner]:
        return False
    if owner is Owner.SALES:
        # A sales step is the filer's: the customer is theirs. A colleague covering a
        # leave gets it handed over (named on the step: see may_press).
        return case.filed_by_id == who.id
    # Staff without a plant work for both.
    return who.plant is None or who.plant in responsible_plants(case.plant)


VPS = frozenset({Role.VP_EXEC, Role.VP_PRODUCTION, Role.VP_MARKETING})


def may_press(
    who: Who,
    owner: Owner,
    case: Case,
    *,
    any_vp: bool = False,
    co_owners: tuple[Owner, ...] = (),
    assignee_id: int | None = None,
) -> bool:
    """The owner role for the plant (or a co-owner's: step 6), the leading VP, the GM or
    an admin; on a step that any VP may take over (step 5), every VP; whoever is named
    on the step (a plan item's owner, whom the leading VP handed the plan to, the
    colleague a sales step was handed to). A sales step is the filer's alone: another
    salesperson presses it only once it is handed to them."""
    if who.is_admin or who.role is Role.GM or who.role in leading_roles(case.plant):
        return True
    if assignee_id is not None and who.id == assignee_id:
        return True  # named on the step: a plan item's owner, whom the VP handed it to
    if owner is Owner.ASSIGNEE:
        return False
    if any_vp and who.role in VPS:
        return True
    return any(owns(who, o, case) for o in (owner, *co_owners))


def hands_to(owner: Owner, fills_plan: bool) -> frozenset[Role] | None:
    """Whom a step may be handed to, by whoever may press it: the plan (step 10) to
    anyone (None); a sales step to another salesperson covering a leave (its filer, the
    leading VP, the GM or an admin hand it on); other steps are taken, not handed."""
    if fills_plan:
        return None
    return frozenset({Role.SALES}) if owner is Owner.SALES else frozenset()


def is_mine(
    who: Who,
    owner: Owner,
    case: Case,
    assignee_id: int | None,
    co_owners: tuple[Owner, ...] = (),
) -> bool:
    """For /mytasks: taken by the person, or theirs by role and plant (not by GM/admin rights)."""
    if assignee_id is not None:
        return assignee_id == who.id
    if owner is Owner.SALES:
        return case.filed_by_id == who.id
    return any(owns(who, o, case) for o in (owner, *co_owners))


@dataclass(frozen=True)
class TaskScope:
    """Which open steps can be someone's (is_mine), as sets a database query can filter
    by: those named on them; unnamed, the step kinds theirs by role, per plant of the
    complaint; and sales' step kinds on the complaints they filed."""

    person_id: int
    by_plant: dict[Plant, frozenset[str]]
    filed: frozenset[str]


def task_scope(who: Who, owners: dict[str, tuple[Owner, tuple[Owner, ...]]]) -> TaskScope:
    """`owners`: each step kind's owner and co-owners, as configured."""
    by_plant = {
        plant: frozenset(
            key
            for key, (owner, co_owners) in owners.items()
            if owner is not Owner.SALES
            and is_mine(who, owner, Case(plant, filed_by_id=0), None, co_owners)
        )
        for plant in Plant
    }
    filed = frozenset(key for key, (owner, _co) in owners.items() if owner is Owner.SALES)
    return TaskScope(who.id, by_plant, filed)


def is_leadership(who: Who) -> bool:
    """The GM and the three VPs (公司领导层); admins act for them."""
    return who.is_admin or who.role in LEADERS


# Leadership file a complaint as a major problem (重大质量问题备案), and adopt or decline
# a suggestion and record what it brought (section 6).
may_file_major = is_leadership
may_decide_suggestion = is_leadership


def may_record_cost(who: Who) -> bool:
    """The cost of poor quality is recorded at its steps by who does them; later, or
    corrected, by leadership and QC (quality engineering), with a reason."""
    return is_leadership(who) or who.role is Role.QC


def may_record_weekly_minutes(who: Who) -> bool:
    """The weekly quality analysis meeting is production's (生产部统计整顿形成会议纪要);
    leadership, who call it, and admins may record its minutes too."""
    return is_leadership(who) or who.role is Role.PRODUCTION


def may_answer_special_report(who: Who) -> bool:
    """The special report asks the GM for resources: the GM answers it (or an admin)."""
    return who.is_admin or who.role is Role.GM


def may_manage_people(who: Who) -> bool:
    """Admins invite people, change their role, plant or language, remove them, and bind
    group chats (/invite, /people, /bindchat)."""
    return who.is_admin


def may_read_status(who: Who) -> bool:
    """Kesu's own health (/status) is the admins'."""
    return who.is_admin


def may_decide_extension(who: Who, owner: Owner, case: Case) -> bool:
    """An extension of a step's limit: the plant's leading VP decides; for a VP's own
    step, the GM (and the GM, or an admin, may always)."""
    if who.is_admin or who.role is Role.GM:
        return True
    if owner in (Owner.LEADING_VP, Owner.PRODUCTION_VP):
        return False
    return who.role in leading_roles(case.plant)
