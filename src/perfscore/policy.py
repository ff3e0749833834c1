"""The policy: every number and word list the scoring rules use (docs/scoring.md §10–11).

A province's rules are a policy file, never a code fork. Presets ship in
``perfscore/presets/*.yaml`` (default) and in each province folder
(``perfscore/provinces/<name>/policy.yaml``, docs/provinces.md); a user's file names a
preset (``preset: hubei``) and overrides settings, mapping settings merging key by key.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import InputError
from .model import guard_int
from .projectfile import load_mapping, validation_problems
from .resources import PRESETS, REPORT_STYLES, Province, preset_path, province_at, provinces
from .values import LE, format_number

LEVEL1_OUTPUT, LEVEL1_BENEFIT, LEVEL1_SATISFACTION = "产出指标", "效益指标", "满意度指标"
SHARE_ORDER = (LEVEL1_OUTPUT, LEVEL1_BENEFIT, LEVEL1_SATISFACTION)
GRADES = ("A", "B", "C")


SmallInt = Annotated[int, BeforeValidator(guard_int)]


class RateDecimals(BaseModel):
    model_config = ConfigDict(extra="forbid")
    project: SmallInt = Field(2, ge=0, le=6, description="项目表执行率小数位")
    department: SmallInt = Field(2, ge=0, le=6, description="整体表执行率小数位")


class Policy(BaseModel):
    """评分规则 (scoring policy)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field("default", description="the preset or file this policy came from")
    execution_weight: Decimal = Field(Decimal(10), ge=0, le=100, description="预算执行率分值")
    execution_cap: bool = Field(True, description="执行率得分以 100% 封顶")
    rate_decimals: RateDecimals = RateDecimals()
    score_decimals: SmallInt = Field(2, ge=0, le=6, description="得分小数位")
    score_rounding: Literal["half_up", "down"] = Field("half_up", description="得分舍入: 四舍五入或截尾 (docs/scoring.md §10)")
    shares: dict[str, Decimal] = Field(description="未设分值时各一级指标的权重")
    share_fallback: dict[str, str]
    reverse_formula: Literal["ratio", "linear"] = "ratio"
    cost_bare_operator: Literal["≥", ">", "≤", "<", "="] = LE
    qualitative_bands: dict[str, tuple[Decimal, Decimal]]
    grade_bands: dict[str, Decimal] = Field(description="等级下限: 优/良/中; 以下为差")
    grade_prefixes: dict[str, list[str]]
    grade_exact: dict[str, list[str]]
    overachievement_warn_ratio: Decimal = Field(Decimal("1.5"), gt=1, le=1000)
    template: dict[Literal["project", "department"], str] = Field(
        default_factory=dict, description="fill/init 默认使用的模板: 内置模板名或模板文件路径"
    )
    report_funds: Literal["budget", "executed"] = Field("budget", description="说明中的涉及资金: 全年预算数 or 全年执行数")
    report_style: str = Field(
        "liaoning", min_length=1,
        description="预算绩效情况说明的文风: a shipped style (liaoning, hubei) or a jinja2 file (relative to the policy file)",
    )

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

    @field_validator("shares")
    @classmethod
    def _share_range(cls, value: dict) -> dict:
        for key, share in value.items():
            if share > 100:
                raise ValueError(f"{key} 的权重 {format_number(share)} 超过 100")
        return value

    @field_validator("grade_bands")
    @classmethod
    def _grade_band_keys(cls, value: dict) -> dict:
        """优 > 良 > 中, each within [0, 100]: bands that are not strictly decreasing would
        make 75 优 and 85 良."""
        _only_keys(value, ("优", "良", "中"))
        ordered = [(grade, value[grade]) for grade in ("优", "良", "中") if grade in value]
        for grade, floor in ordered:
            if not 0 <= floor <= 100:
                raise ValueError(f"{grade} 的下限 {format_number(floor)} 不在 0–100 之间")
        for (upper, high), (lower, low) in zip(ordered, ordered[1:]):
            if not high > low:
                raise ValueError(
                    f"等级下限须严格递减（优 > 良 > 中），而 {upper} {format_number(high)} 不高于 {lower} {format_number(low)}"
                )
        return dict(ordered)

    @field_validator("qualitative_bands")
    @classmethod
    def _qualitative_ranges(cls, value: dict) -> dict:
        for grade, (low, high) in value.items():
            if not 0 <= low < high <= 100:
                raise ValueError(f"{grade} 的区间 [{format_number(low)}, {format_number(high)}] 须满足 0 ≤ 下限 < 上限 ≤ 100")
        if all(grade in value for grade in GRADES):
            # C [0, x), B [x, y), A [y, 100]: contiguous, so every completion has exactly one grade
            a, b, c = value["A"], value["B"], value["C"]
            if c[0] != 0 or c[1] != b[0] or b[1] != a[0] or a[1] != 100:
                shown = "，".join(f"{g} [{format_number(value[g][0])}, {format_number(value[g][1])}]" for g in GRADES)
                raise ValueError(
                    f"区间须首尾相接覆盖 0–100（C 从 0 起，C 的上限 = B 的下限，B 的上限 = A 的下限，A 到 100），而现为 {shown}"
                )
        return value

    @field_validator("grade_prefixes", "grade_exact")
    @classmethod
    def _no_empty_words(cls, value: dict) -> dict:
        for grade, words in value.items():
            if any(not str(word).strip() for word in words):
                raise ValueError(f"{grade} 含空的文字（空文字会匹配任何完成值）")
        return value

    @model_validator(mode="after")
    def _complete(self) -> "Policy":
        for setting, keys in (("shares", SHARE_ORDER), ("qualitative_bands", GRADES)):
            missing = [k for k in keys if k not in getattr(self, setting)]
            if missing:
                raise ValueError(f"{setting} 缺少 {'、'.join(missing)}")
        if sum(self.shares.values(), Decimal(0)) == 0:
            raise ValueError("shares 各一级指标的权重不能全为 0")
        return self

    def rate_decimals_for(self, kind: str) -> int:
        return self.rate_decimals.department if kind == "department" else self.rate_decimals.project


def _only_keys(value: dict, allowed: tuple[str, ...]) -> None:
    unknown = [k for k in value if k not in allowed]
    if unknown:
        raise ValueError(f"未知的键 {'、'.join(map(str, unknown))}（可用: {'、'.join(allowed)}）")


def _preset_source(name: str) -> str:
    """How messages name a preset's file."""
    return f"provinces/{name}/policy.yaml" if preset_path(name).name == "policy.yaml" else f"presets/{name}.yaml"


def _preset_data(name: str) -> dict:
    if name not in PRESETS:
        raise InputError(f"未知的评分规则预设「{name}」（可用: {'、'.join(PRESETS)}）")
    path = preset_path(name)
    data = load_mapping(path.read_text("utf-8"), _preset_source(name), "yaml")
    province = provinces().get(name)
    if province is not None and province.style is not None and path == province.policy:
        data.setdefault("report_style", name)  # a province's own style is its preset's default
    return data


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
    return _merge(_resolve(_preset_data(parent), _preset_source(parent), seen + (parent,)), data)


def load_policy(spec: str | Path | None = None) -> Policy:
    """A preset name (default, liaoning, hubei), a policy file (YAML/JSON) or a province
    folder (its policy.yaml, with its report_style.j2 as the default style)."""
    spec = "default" if spec is None else spec
    if isinstance(spec, str) and spec in PRESETS:
        source = _preset_source(spec)
        data, name = _resolve(_preset_data(spec), source), spec
    else:
        path = Path(spec)
        if not path.exists():
            raise InputError(f"评分规则「{spec}」既不是预设（{'、'.join(PRESETS)}）也不是存在的文件")
        from .projectfile import read_mapping

        province = province_at(path) if path.is_dir() else None
        if path.is_dir():
            path = _province_policy(province, path)
        raw = read_mapping(path)
        data, source, name = _resolve(raw, str(path)), str(path), path.stem if province is None else province.name
        if province is not None and province.style is not None and "report_style" not in raw:
            data["report_style"] = str(province.style.resolve())
        if path.name in FOLDER_POLICY_NAMES:  # a folder's perfscore.yaml: named after its preset
            parent = raw.get("preset", "default")
            extra = set(raw) - {"preset", "name"}
            name = f"{parent}（{path.parent.name}）" if extra else str(parent)
        style = raw.get("report_style")
        if isinstance(style, str) and style not in REPORT_STYLES:  # a style file, relative to the policy file
            data["report_style"] = str((path.parent / style).resolve())
    data.setdefault("name", name)
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        raise InputError(validation_problems(exc, source, data)) from None
    _check_style(policy, source)
    return policy


FOLDER_POLICY_NAMES = ("perfscore.yaml", "perfscore.yml", "perfscore.json")


def _province_policy(province: Province | None, folder: Path) -> Path:
    """The policy.yaml of a province folder named by its path."""
    if province is None:
        raise InputError(f"评分规则「{folder}」是一个目录，但不是省份目录（缺少 province.yaml，见 docs/provinces.md）")
    if province.policy is None:
        raise InputError(f"省份目录 {folder} 中没有评分规则（policy.yaml）")
    return province.policy


def _check_style(policy: Policy, source: str) -> None:
    style = policy.report_style
    if style not in REPORT_STYLES and not Path(style).is_file():
        raise InputError(f"文件 {source} 字段 report_style: 「{style}」既不是内置文风（{'、'.join(REPORT_STYLES)}）也不是存在的模板文件")


def _file_key(path: Path) -> tuple:
    info = path.stat()
    return (str(path.resolve()), info.st_mtime_ns, info.st_size)


@functools.lru_cache(maxsize=256)
def _cached_file_policy(key: tuple) -> Policy:
    return load_policy(Path(key[0]))


def policy_spec(spec: str, base: Path) -> Policy:
    """A project file's ``policy:``: a preset name, or a policy file's path relative to ``base``
    (the project file's folder). Files are loaded once per change."""
    if spec in PRESETS:
        return preset_policy(spec)
    path = base / spec
    if not path.is_file():
        raise InputError(f"评分规则「{spec}」既不是预设（{'、'.join(PRESETS)}）也不是存在的文件（相对于 {base}）")
    return _cached_file_policy(_file_key(path))


def folder_policy(path: Path) -> Policy | None:
    """The policy of the nearest ``perfscore.yaml`` in the folder of ``path`` or above it."""
    folder = Path(path).absolute().parent
    found = _folder_policy_file(folder)
    return None if found is None else _cached_file_policy(_file_key(found))


def _folder_policy_file(folder: Path) -> Path | None:
    for candidate in (folder, *folder.parents):
        for name in FOLDER_POLICY_NAMES:
            if (candidate / name).is_file():
                return candidate / name
    return None


@functools.cache
def preset_policy(name: str = "default") -> Policy:
    """A shipped preset, loaded once."""
    return load_policy(name)


__all__ = ["Policy", "load_policy", "preset_policy", "policy_spec", "folder_policy", "PRESETS", "SHARE_ORDER"]
