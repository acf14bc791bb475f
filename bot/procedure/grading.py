"""Classification of PROCEDURE.md section 3: problem nature (grade) and the serious flag."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class CustomerClass(StrEnum):
    """顾客类别: by the customer's sales volume with the company."""

    A = "A"
    B = "B"
    C = "C"


class Grade(StrEnum):
    """问题性质: A 非常严重, B 严重, C 普通."""

    A = "A"
    B = "B"
    C = "C"


class Demand(StrEnum):
    """What the customer demands; the grade follows from these."""

    CLAIM = "claim"  # 索赔
    TERMINATE = "terminate"  # 终止合同
    RETURN = "return"  # 退货
    DOWNGRADE = "downgrade"  # 降级、降价
    CONCESSION = "concession"  # 让步接受
    EXCHANGE = "exchange"  # 换货
    CRITICISM = "criticism"  # 批评、埋怨


class Plant(StrEnum):
    """产品生产供货责任 (plant of origin)."""

    HUANGWU = "huangwu"  # 1 黄务车间、仓库
    LAISHAN = "laishan"  # 2 莱山车间、仓库
    CONTRACTOR = "contractor"  # 3 外协厂家
    UNKNOWN = "unknown"  # not known at intake: QC of both plants decide


# The grade each demand implies on its own. A claim for damages is graded A even
# without a return: the source lists "索赔和退货" together, and a claim alone is
# no lighter than a return (reading).
DEMAND_GRADE: dict[Demand, Grade] = {
    Demand.CLAIM: Grade.A,
    Demand.TERMINATE: Grade.A,
    Demand.RETURN: Grade.B,
    Demand.DOWNGRADE: Grade.B,
    Demand.CONCESSION: Grade.B,
    Demand.EXCHANGE: Grade.C,
    Demand.CRITICISM: Grade.C,
}

_ORDER = {Grade.A: 0, Grade.B: 1, Grade.C: 2}


def grade_for(demands: Iterable[Demand]) -> Grade:
    """The most severe grade any of the demands implies; criticism alone is C."""
    grades = [DEMAND_GRADE[d] for d in demands]
    if not grades:
        return Grade.C
    return min(grades, key=_ORDER.__getitem__)


def borne_out(demand: Demand, grade: Grade) -> bool:
    """Whether a problem of this nature bears the demand out: QC may judge a problem
    lighter than the customer's demand (a claim for an ordinary problem), and then
    the demand does not make it a claim (reading)."""
    return _ORDER[DEMAND_GRADE[demand]] >= _ORDER[grade]


def is_return(demands: Iterable[Demand]) -> bool:
    return Demand.RETURN in set(demands)


def is_major(grade: Grade, *, filed: bool) -> bool:
    """In the register of major problems: every grade A complaint, and any that
    leadership filed as major."""
    return filed or grade is Grade.A


def is_serious(grade: Grade, *, batch: bool, recurring: bool, returned: bool) -> bool:
    """严重问题: batch, recurring or a return; A and B are always serious (reading)."""
    return batch or recurring or returned or grade in (Grade.A, Grade.B)
