"""Roles of PROCEDURE.md section 2 (职责)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    SALES = "sales"  # 业务部
    QC = "qc"  # 质检部门
    TECH = "tech"  # 技术部门
    PRODUCTION = "production"  # 生产部门
    EQUIPMENT = "equipment"  # 设备
    PURCHASING = "purchasing"  # 采购
    HR = "hr"  # 人力
    VP_EXEC = "vp_exec"  # 常务副总经理
    VP_PRODUCTION = "vp_production"  # 生产副总经理
    VP_MARKETING = "vp_marketing"  # 营销副总
    GM = "gm"  # 总经理


LEADERS = frozenset({Role.GM, Role.VP_EXEC, Role.VP_PRODUCTION, Role.VP_MARKETING})
