"""The project file and the department file as pydantic models (docs/project-file.md).

A model says what the data is; ``scoring`` says what it is worth. Unknown keys are
errors (a typo must not be silently ignored).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Literal, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator

from .values import format_number, parse_number, parse_percent

# 产出指标(50分), 效益指标（30分）: the share a sheet prints after a level name (docs/scoring.md §9)
_LEVEL_SHARE = re.compile(r"^(.*?)\s*[(（]\s*([0-9]+(?:\.[0-9]+)?)\s*分\s*[)）]\s*$")


def split_level_share(name: object) -> tuple[object, str | None]:
    """('产出指标(50分)') → ('产出指标', '50'); other names unchanged with None."""
    if isinstance(name, str) and "分" in name:
        match = _LEVEL_SHARE.match(name.strip())
        if match and match.group(1):
            return match.group(1), match.group(2)
    return name, None


def _number(value: object) -> object:
    return value if value is None else parse_number(value)


def guard_int(value: object) -> object:
    """Before pydantic turns a number into an int: a YAML ``1e999999999`` would become a
    billion-digit int (a hang), so absurd magnitudes are refused first."""
    if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
        return parse_number(value)
    return value


def _amount(value: object) -> object:
    """A non-negative number; the check lives here rather than in a pydantic constraint,
    which would wrap every field in a slow Python validator."""
    if value is None:
        return None
    number = parse_number(value)
    if number < 0:
        raise ValueError(f"不能为负数（值: {format_number(number)}）")
    return number


def _percent(value: object) -> object:
    if value is None:
        return None
    fraction = parse_percent(value)
    if not Decimal(0) <= fraction <= Decimal(1):
        raise ValueError(f"完成程度 {value} 不在 0–100% 之间")
    return fraction


Number = Annotated[Decimal, BeforeValidator(_number)]
Amount = Annotated[Decimal, BeforeValidator(_amount)]
Percent = Annotated[Decimal, BeforeValidator(_number)]
# Numbers typed where text goes (a project named 2024, ``actual: 582``) are coerced to
# text by the model config; the constraints then run in pydantic's core.
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Text = Annotated[str, StringConstraints(strip_whitespace=True)]
Cell = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)


class Indicator(_Model):
    """三级指标: one row of the indicator table."""

    level1: Name = Field(description="一级指标")
    level2: Text = Field("", description="二级指标")
    name: Name = Field(description="三级指标")
    target: Cell | None = Field(None, description="指标值: operator + value + unit in one string")
    operator: Text | None = Field(None, description="运算符号 (split form)")
    value: Amount | None = Field(None, description="指标值 (split form)")
    unit: Text | None = Field(None, description="度量单位 (split form)")
    target_initial: Cell | None = Field(None, description="年初指标值")
    actual: Cell = Field(description="全年完成值")
    completion: Annotated[Decimal | None, BeforeValidator(_percent)] = Field(None, description="完成程度 (qualitative)")
    weight: Amount | None = Field(None, description="分值")
    cause: Text | None = Field(None, description="偏差原因")
    remedy: Text | None = Field(None, description="改进措施")
    reported_score: Number | None = Field(None, description="得分 as printed")
    reported_completion: Percent | None = Field(None, description="完成程度 as printed, percent")
    level1_share: Amount | None = Field(
        None, description="一级指标分值 printed after its name (产出指标(50分)); the default split uses it when no weights are given"
    )

    @model_validator(mode="before")
    @classmethod
    def _strip_level_shares(cls, data: object) -> object:
        """产出指标(50分) is the level 产出指标 with a printed share of 50; 数量指标(20分) likewise
        loses its share (only 一级 shares take part in the default split)."""
        if not isinstance(data, dict):
            return data
        level1, level2 = data.get("level1"), data.get("level2")
        if (isinstance(level1, str) and "分" in level1) or (isinstance(level2, str) and "分" in level2):
            level1, share = split_level_share(data.get("level1"))
            level2, _ = split_level_share(data.get("level2"))
            if share is not None or level2 is not data.get("level2"):
                data = dict(data)
                data["level1"] = level1
                if "level2" in data:
                    data["level2"] = level2
                if share is not None and data.get("level1_share") is None:
                    data["level1_share"] = share
        return data

    @model_validator(mode="after")
    def _one_target_form(self) -> "Indicator":
        split = self.operator is not None or self.value is not None or self.unit is not None
        if self.target is not None and split:
            raise ValueError("target 与 operator/value/unit 只能二选一")
        if self.target is None and self.value is None:
            raise ValueError("缺少指标值（target，或 operator/value/unit 中的 value）")
        return self


class Budget(_Model):
    """预算 in 万元."""

    initial: Amount = Field(description="年初预算数")
    adjusted: Amount | None = Field(None, description="全年预算数")
    executed: Amount = Field(description="全年执行数")

    @property
    def effective(self) -> Decimal:
        return self.initial if self.adjusted is None else self.adjusted


class Reported(_Model):
    """What the source sheet printed, for audit."""

    execution_rate: Number | None = Field(None, description="执行率, percent")
    execution_score: Number | None = Field(None, description="预算执行率得分")
    indicator_score: Number | None = Field(None, description="指标自评得分小计")
    total: Number | None = Field(None, description="总分")
    grade: Literal["优", "良", "中", "差"] | None = Field(None, description="等级")


class Task(_Model):
    """年度主要任务 of a department sheet."""

    model_config = ConfigDict(defer_build=True)  # built when a department sheet is first read

    name: Name = Field(description="任务名称")
    budget: Amount = Field(description="项目下达金额")
    executed: Amount = Field(description="项目执行金额")
    weight: Amount = Field(description="分值")
    reported_rate: Number | None = Field(None, description="执行率 as printed, percent")
    reported_score: Number | None = Field(None, description="得分 as printed")


class _Sheet(_Model):
    model_config = ConfigDict(defer_build=True)  # never validated itself: only its two kinds are

    name: Name = Field(description="项目(政策)名称 / 部门(单位)名称")
    department: Text | None = Field(None, description="主管部门")
    unit: Text | None = Field(None, description="实施单位")
    year: Annotated[int, BeforeValidator(guard_int)] | None = Field(None, ge=1900, le=2200, description="年度")
    deduction: Amount = Field(Decimal(0), description="减分项")
    goal: Text | None = Field(None, description="年度总体目标")
    achieved: Text | None = Field(None, description="全年实际完成情况")
    indicators: list[Indicator] = Field(min_length=1, description="绩效指标")
    reported: Reported = Field(default_factory=Reported)
    policy: Name | None = Field(None, description="评分规则: a preset name, or a policy file's path relative to this file")
    cause: str | None = None; remedy: str | None = None  # noqa: E702 - 偏差大或目标未完成原因分析 / 改进措施 of the sheet (PROJECT_FILE.md)


class Funds(_Model):
    """资金来源 in 万元, on the same basis as the report's 涉及资金 (the policy's report_funds)."""

    general: Amount | None = Field(None, description="一般公共预算资金")
    fund: Amount | None = Field(None, description="政府性基金预算资金")
    state_capital: Amount | None = Field(None, description="国有资本经营预算资金")


class Project(_Sheet):
    """预算项目(政策)绩效自评表."""

    model_config = ConfigDict(defer_build=False)

    kind: Literal["project"] = "project"
    budget: Budget
    execution_weight: Amount | None = Field(None, description="预算执行率分值")
    funds: Funds | None = Field(None, description="资金来源")

    @model_validator(mode="after")
    def _execution_weight_at_most_100(self) -> "Project":
        if self.execution_weight is not None and self.execution_weight > 100:
            raise ValueError(f"execution_weight（预算执行率分值）{format_number(self.execution_weight)} 超过 100")
        return self


class Department(_Sheet):
    """部门(单位)整体绩效自评表."""

    model_config = ConfigDict(defer_build=True)  # built when a department sheet is first read

    kind: Literal["department"]
    tasks: list[Task] = Field(min_length=1, description="年度主要任务")
    department_budget: Amount | None = Field(None, description="部门年初预算收入/支出金额")


Sheet = Union[Project, Department]

FUND_SOURCES = ("general", "fund", "state_capital")


def funds_of(sheet: Sheet) -> dict[str, Decimal] | None:
    """A project's 资金来源 amounts that were given (None when the file gives none)."""
    funds = getattr(sheet, "funds", None)
    if funds is None:
        return None
    given = {key: getattr(funds, key) for key in FUND_SOURCES if getattr(funds, key) is not None}
    return given or None

FIELD_LABELS = {
    "kind": "表类型", "name": "名称", "department": "主管部门", "unit": "实施单位", "year": "年度",
    "budget": "预算", "initial": "年初预算数", "adjusted": "全年预算数", "executed": "执行数",
    "execution_weight": "预算执行率分值", "deduction": "减分项", "goal": "年度总体目标",
    "achieved": "全年实际完成情况", "indicators": "绩效指标", "level1": "一级指标", "level2": "二级指标",
    "target": "指标值", "operator": "运算符号", "value": "指标值", "target_initial": "年初指标值",
    "actual": "全年完成值", "completion": "完成程度", "weight": "分值", "cause": "偏差原因",
    "remedy": "改进措施", "reported_score": "原表得分", "reported_completion": "原表完成程度",
    "reported": "原表数值", "execution_rate": "执行率", "execution_score": "执行率得分",
    "indicator_score": "指标得分小计", "total": "总分", "grade": "等级", "tasks": "年度主要任务",
    "reported_rate": "原表执行率", "level1_share": "一级指标分值", "policy": "评分规则", "funds": "资金来源",
    "general": "一般公共预算资金", "fund": "政府性基金预算资金", "state_capital": "国有资本经营预算资金",
    "department_budget": "部门预算金额",
}
