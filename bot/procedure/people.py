"""People and groups as admins manage them in Telegram: the words an admin may type for
a role, a plant or a group (section 2's Chinese names or Kesu's keys), how long an
invitation link lasts, and where someone's tasks go when they leave."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from bot.procedure.grading import Plant
from bot.procedure.roles import LEADERS, Role
from bot.procedure.routing import (
    DEPARTMENT_GROUPS,
    PLANT_GROUPS,
    Audience,
    Group,
    GroupChat,
    department_group,
)

# An invitation link enrols whoever opens it first within this time, once. A link that
# makes someone a VP or the GM is worth more to whoever finds it: it lasts a day.
INVITE_VALID = timedelta(days=7)
LEADERSHIP_INVITE_VALID = timedelta(days=1)


def invite_hash(token: str) -> str:
    """What the database keeps of a link's token: whoever reads it cannot enrol."""
    return hashlib.sha256(token.encode()).hexdigest()


def invite_valid(role: Role) -> timedelta:
    return LEADERSHIP_INVITE_VALID if role in LEADERS else INVITE_VALID


# The names section 2 gives the departments, and short forms people type.
ROLE_WORDS: dict[str, Role] = {
    **{role.value: role for role in Role},
    "业务": Role.SALES,
    "业务部": Role.SALES,
    "质检": Role.QC,
    "质检部": Role.QC,
    "质检部门": Role.QC,
    "技术": Role.TECH,
    "技术部": Role.TECH,
    "技术部门": Role.TECH,
    "生产": Role.PRODUCTION,
    "生产部": Role.PRODUCTION,
    "生产部门": Role.PRODUCTION,
    "设备": Role.EQUIPMENT,
    "采购": Role.PURCHASING,
    "人力": Role.HR,
    "人力资源": Role.HR,
    "常务副总": Role.VP_EXEC,
    "常务副总经理": Role.VP_EXEC,
    "生产副总": Role.VP_PRODUCTION,
    "生产副总经理": Role.VP_PRODUCTION,
    "营销副总": Role.VP_MARKETING,
    "总经理": Role.GM,
}
PLANT_WORDS: dict[str, Plant] = {
    "huangwu": Plant.HUANGWU,
    "laishan": Plant.LAISHAN,
    "黄务": Plant.HUANGWU,
    "莱山": Plant.LAISHAN,
}
GROUP_WORDS: dict[str, Group] = {
    **{group.value: group for group in Group},
    "领导": Group.LEADERSHIP,
    "领导层": Group.LEADERSHIP,
    "公司领导层": Group.LEADERSHIP,
    "业务": Group.SALES,
    "业务部": Group.SALES,
    "质检": Group.QC,
    "质检部门": Group.QC,
    "生产": Group.PRODUCTION,
    "生产部门": Group.PRODUCTION,
    "设备": Group.EQUIPMENT,
    "采购": Group.PURCHASING,
    "人力": Group.HR,
}


def role_of(word: str) -> Role | None:
    return ROLE_WORDS.get(word.strip().lower())


def plant_of(word: str) -> Plant | None:
    """A person's or a group's plant: one of the two plants (not a contractor)."""
    return PLANT_WORDS.get(word.strip().lower())


def group_of(word: str) -> Group | None:
    return GROUP_WORDS.get(word.strip().lower())


def needs_plant(group: Group) -> bool:
    """QC and production have a group per plant; the others one for the company."""
    return group in PLANT_GROUPS


def handed_back_to(role: Role, plant: Plant) -> list[Audience]:
    """Where the open tasks of someone who left go: their department's group for the
    complaint's plant; a leader's to the leadership group."""
    if role in LEADERS or role not in DEPARTMENT_GROUPS:
        return [GroupChat(Group.LEADERSHIP)]
    return department_group(role, plant)
