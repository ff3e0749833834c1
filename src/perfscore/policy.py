"""The policy: every number and word list the scoring rules use (SCORING.md §10–11).

A province's rules are a policy file, never a code fork. Presets ship in
``perfscore/presets/*.yaml``; a user's file names a preset (``preset: hubei``) and
overrides settings, mapping settings merging key by key.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import InputError
from .projectfile import load_mapping, validation_problems
from .values import LE

LEVEL1_OUTPUT, LEVEL1_BENEFIT, LEVEL1_SATISFACTION = "产出指标", "效益指标", "满意度指标"
SHARE_ORDER = (LEVEL1_OUTPUT, LEVEL1_BENEFIT, LEVEL1_SATISFACTION)
GRADES = ("A", "B", "C")
PRESETS = ("default", "liaoning", "hubei")


class RateDecimals(BaseModel):
    model_config = ConfigDict(extra="forbid")
    project: int = Field(2, ge=0, le=6, description="项目表执行率小数位")
    department: int = Field(2, ge=0, le=6, description="整体表执行率小数位")


class Policy(BaseModel):
    """评分规则 (scoring policy)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field("default", description="the preset or file this policy came from")
    execution_weight: Decimal = Field(Decimal(10), ge=0, le=100, description="预算执行率分值")
    execution_cap: bool = Field(True, description="执行率得分以 100% 封顶")
    rate_decimals: RateDecimals = RateDecimals()
    score_decimals: int = Field(2, ge=0, le=4, description="得分小数位")
    score_rounding: Literal["half_up", "down"] = Field("half_up", description="得分舍入: 四舍五入或截尾 (SCORING.md §10)")
    shares: dict[str, Decimal] = Field(description="未设分值时各一级指标的权重")
    share_fallback: dict[str, str]
    reverse_formula: Literal["ratio", "linear"] = "ratio"
    cost_bare_operator: Literal["≥", ">", "≤", "<", "="] = LE
    qualitative_bands: dict[str, tuple[Decimal, Decimal]]
    grade_bands: dict[str, Decimal] = Field(description="等级下限: 优/良/中; 以下为差")
    grade_prefixes: dict[str, list[str]]
    grade_exact: dict[str, list[str]]
    overachievement_warn_ratio: Decimal = Field(Decimal("1.5"), gt=0)

    @field_validator("shares", "share_fallback")
    @classmethod
    def _level1_keys(cls, value: dict) -> dict:
        _only_keys(value, SHARE_ORDER)
        for key, share in value.items():
            if isinstance(share, Decimal) and share < 0:
                raise ValueError(f"{key} 不能为负数")
            if isinstance(share, str) and share not in SHARE_ORDER:
                raise ValueError(f"{key} 的去向「{share}」不是 {'、'.join(SHARE_ORDER)} 之一")
        return value

    @field_validator("qualitative_bands", "grade_prefixes", "grade_exact")
    @classmethod
    def _grade_keys(cls, value: dict) -> dict:
        _only_keys(value, GRADES)
        return value

    @field_validator("grade_bands")
    @classmethod
    def _grade_band_keys(cls, value: dict) -> dict:
        _only_keys(value, ("优", "良", "中"))
        return dict(sorted(value.items(), key=lambda kv: -kv[1]))

    @model_validator(mode="after")
    def _complete(self) -> "Policy":
        for setting, keys in (("shares", SHARE_ORDER), ("qualitative_bands", GRADES)):
            missing = [k for k in keys if k not in getattr(self, setting)]
            if missing:
                raise ValueError(f"{setting} 缺少 {'、'.join(missing)}")
        return self

    def rate_decimals_for(self, kind: str) -> int:
        return self.rate_decimals.department if kind == "department" else self.rate_decimals.project


def _only_keys(value: dict, allowed: tuple[str, ...]) -> None:
    unknown = [k for k in value if k not in allowed]
    if unknown:
        raise ValueError(f"未知的键 {'、'.join(map(str, unknown))}（可用: {'、'.join(allowed)}）")


def _preset_data(name: str) -> dict:
    if name not in PRESETS:
        raise InputError(f"未知的评分规则预设「{name}」（可用: {'、'.join(PRESETS)}）")
    text = resources.files("perfscore").joinpath("presets", f"{name}.yaml").read_text("utf-8")
    return load_mapping(text, f"presets/{name}.yaml", "yaml")


def _merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def _resolve(data: dict, source: str, seen: tuple[str, ...] = ()) -> dict:
    """Follow ``preset:`` up to the default preset, merging overrides on the way down."""
    data = dict(data)
    parent = data.pop("preset", "default")
    if source == "presets/default.yaml":
        return data
    if not isinstance(parent, str):
        raise InputError(f"文件 {source}: 字段 preset 应为预设名称")
    if parent in seen:
        raise InputError(f"文件 {source}: 预设循环引用 {parent}")
    return _merge(_resolve(_preset_data(parent), f"presets/{parent}.yaml", seen + (parent,)), data)


def load_policy(spec: str | Path | None = None) -> Policy:
    """A preset name (default, liaoning, hubei) or a policy file (YAML/JSON)."""
    spec = "default" if spec is None else spec
    if isinstance(spec, str) and spec in PRESETS:
        data, source, name = _resolve(_preset_data(spec), f"presets/{spec}.yaml"), f"presets/{spec}.yaml", spec
    else:
        path = Path(spec)
        if not path.exists():
            raise InputError(f"评分规则「{spec}」既不是预设（{'、'.join(PRESETS)}）也不是存在的文件")
        from .projectfile import read_mapping

        raw = read_mapping(path)
        data, source, name = _resolve(raw, str(path)), str(path), path.stem
    data.setdefault("name", name)
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise InputError(validation_problems(exc, source, data)) from None


@functools.cache
def preset_policy(name: str = "default") -> Policy:
    """A shipped preset, loaded once."""
    return load_policy(name)


__all__ = ["Policy", "load_policy", "preset_policy", "PRESETS", "SHARE_ORDER"]
