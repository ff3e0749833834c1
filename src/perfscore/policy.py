"""The policy: every number and word list the scoring rules use (docs/scoring.md §10–11).

A province's rules are a policy file, never a code fork. Presets ship in
``perfscore/presets/*.yaml`` (default) and in each province folder
(``perfscore/provinces/<name>/policy.yaml``, docs/provinces.md); a user's file names a
preset (``preset: hubei``) and overrides settings, mapping settings merging key by key.
"""

from __future__ import annotations

import functools
import os
import re
from decimal import Decimal
from pathlib import Path, PureWindowsPath
from typing import Annotated, Iterable, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import InputError
from .model import guard_int
from .projectfile import load_mapping, validation_problems
from .resources import PRESETS, REPORT_STYLES, TEMPLATE_NAMES, Province, preset_label, preset_path, province_at, provinces
from .values import LE, format_number

LEVEL1_OUTPUT, LEVEL1_BENEFIT, LEVEL1_SATISFACTION = "产出指标", "效益指标", "满意度指标"
SHARE_ORDER = (LEVEL1_OUTPUT, LEVEL1_BENEFIT, LEVEL1_SATISFACTION)
QUALITATIVE_GRADES = ("A", "B", "C")


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

    @field_validator("report_style")
    @classmethod
    def _style_file(cls, value: str) -> str:
        """A shipped style, or a style file as ``load_policy`` resolved it (beside its policy file)."""
        if value not in REPORT_STYLES and not (os.path.isabs(value) and value.lower().endswith(".j2")):
            raise ValueError(f"「{value}」既不是内置文风（{'、'.join(REPORT_STYLES)}）也不是规则文件旁边的 .j2 文件")
        return value

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
        _only_keys(value, QUALITATIVE_GRADES)
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
        if all(grade in value for grade in QUALITATIVE_GRADES):
            # C [0, x), B [x, y), A [y, 100]: contiguous, so every completion has exactly one grade
            a, b, c = value["A"], value["B"], value["C"]
            if c[0] != 0 or c[1] != b[0] or b[1] != a[0] or a[1] != 100:
                shown = "，".join(f"{g} [{format_number(value[g][0])}, {format_number(value[g][1])}]" for g in QUALITATIVE_GRADES)
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
        for setting, keys in (("shares", SHARE_ORDER), ("qualitative_bands", QUALITATIVE_GRADES)):
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


def load_policy(spec: str | Path | None = None, *, label: str | None = None) -> Policy:
    """A preset name (default, liaoning, hubei), a policy file (YAML/JSON) or a province
    folder (its policy.yaml, with its report_style.j2 as the default style).

    A policy is named by where it came from (SCORING.md §10): a preset by its name, a file
    by ``label`` (its path as the inputs show it; default: the path as given), never by a
    name it gives itself, and never as a preset (a file ``default.yaml`` is shown as such);
    a file that only names a preset (``preset: liaoning``) is that preset. Its output
    settings (``report_style``, ``template``) name files beside it only."""
    spec = "default" if spec is None else spec
    if isinstance(spec, str) and spec in PRESETS:
        source = _preset_source(spec)
        data, name, path = _resolve(_preset_data(spec), source), spec, None
    else:
        path = Path(spec)
        source = str(path) if label is None else label  # messages name it as given
        name = file_label(source)
        if not path.exists():
            raise InputError(f"评分规则「{source}」既不是预设（{'、'.join(PRESETS)}）也不是存在的文件")
        province = province_at(path) if path.is_dir() else None
        if path.is_dir():
            path = _province_policy(province, path, source)
        raw = _read_policy_file(path, source)
        if "name" in raw:
            raise InputError(f"文件 {source} 字段 name: 评分规则以其来源（预设名或规则文件的路径）标明，不能自行命名，请删去 name")
        if province is None and set(raw) <= {"preset"} and raw.get("preset", "default") in PRESETS:
            return preset_policy(raw.get("preset", "default"))  # nothing of its own: the preset itself
        data = _resolve(raw, source)
        if province is not None and province.style is not None and "report_style" not in raw:
            data["report_style"] = str(province.style.resolve())
        if isinstance(raw.get("report_style"), str) and raw["report_style"] not in REPORT_STYLES:
            data["report_style"] = beside(path, raw["report_style"], "report_style", source, "文风",
                                          f"内置文风（{'、'.join(REPORT_STYLES)}）", ".j2")
        if isinstance(raw.get("template"), dict):
            data["template"] = {kind: _template_beside(path, value, kind, source) for kind, value in raw["template"].items()}
    data["name"] = name
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        raise InputError(validation_problems(exc, source, {k: v for k, v in data.items() if k != "name"})) from None
    if path is not None and policy.report_style not in REPORT_STYLES:
        from .report.styles import check_style

        check_style(policy.report_style, f"文件 {source} 字段 report_style")
    return policy


FOLDER_POLICY_NAMES = ("perfscore.yaml", "perfscore.yml", "perfscore.json")


def _province_policy(province: Province | None, folder: Path, shown: str) -> Path:
    """The policy.yaml of a province folder named by its path (``shown``: as messages name it)."""
    if province is None:
        raise InputError(f"评分规则「{shown}」是一个目录，但不是省份目录（缺少 province.yaml，见 docs/provinces.md）")
    if province.policy is None:
        raise InputError(f"省份目录 {shown} 中没有评分规则（policy.yaml）")
    return province.policy


def file_label(path: str) -> str:
    """How a policy file is shown: its path, normalized; never a preset's bare name nor the
    name a preset is shown by (a file ``辽宁省`` is ``./辽宁省``)."""
    shown = os.path.normpath(path)
    if os.path.isabs(shown):  # a path typed in full: from the current folder, else its name (never the whole path)
        cwd = os.getcwd()
        shown = os.path.relpath(shown, cwd) if _within(shown, cwd) else os.path.basename(shown)
    taken = shown in PRESETS or shown in {preset_label(name) for name in PRESETS}
    return f".{os.sep}{shown}" if taken else shown


def policy_label(name: str) -> str:
    """How outputs show a policy (its ``name``): a shipped preset by its display name (辽宁省,
    from its province.yaml; the default as 财预〔2020〕10号通用规则), a file by its path."""
    return preset_label(name) if name in PRESETS else name


class PolicyLabels(dict):
    """``policy_label`` remembered for one output: the presets' folders are read once per
    policy, not once per row."""

    def __missing__(self, name: str) -> str:
        label = self[name] = policy_label(name)
        return label


def _read_policy_file(path: Path, source: str) -> dict:
    from .projectfile import read_mapping

    try:
        return read_mapping(path)
    except InputError as exc:  # messages name the file as the inputs show it, never where it lies
        raise InputError([p.message.replace(str(path), source) for p in exc.problems]) from None


def beside(policy_file: Path, value: str, setting: str, source: str, what: str, builtin: str,
           suffix: str | None = None) -> str:
    """An output setting's file (``report_style: 我的文风.j2``): beside the policy file or in a
    folder below it, never an absolute path or one through ``..`` (a policy file is data from
    a unit's folder); returned as its absolute path."""
    where = f"文件 {source} 字段 {setting}"
    parts = re.split(r"[\\/]", value)
    if not value.strip() or os.path.isabs(value) or PureWindowsPath(value).anchor or ".." in parts:
        raise InputError(f"{where}: 「{value}」须是规则文件旁边的文件名（不能是绝对路径，也不能含 ..）")
    if suffix and not value.lower().endswith(suffix):
        raise InputError(f"{where}: {what}「{value}」既不是{builtin}也不是 {suffix} 文件")
    folder = Path(os.path.realpath(Path(policy_file).parent))
    target = Path(os.path.realpath(folder / value))
    if folder not in target.parents:
        raise InputError(f"{where}: 「{value}」指向规则文件所在目录之外（链接），拒绝使用")
    if not target.is_file():
        raise InputError(f"{where}: {what}「{value}」既不是{builtin}也不是规则文件旁边的文件")
    return str(target)


def _template_beside(policy_file: Path, value: object, kind: object, source: str) -> object:
    if not isinstance(value, str):
        return value  # the model says what is wrong with it
    if value in TEMPLATE_NAMES:
        return value
    return beside(policy_file, value, f"template.{kind}", source, "模板", f"内置模板（{'、'.join(TEMPLATE_NAMES)}）")


def _file_key(path: str) -> tuple:
    info = os.stat(path)
    return (path, info.st_mtime_ns, info.st_size)


@functools.lru_cache(maxsize=256)
def _cached_file_policy(label: str, key: tuple) -> Policy:
    return load_policy(Path(key[0]), label=label)


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


class PolicyLookup:
    """Which policy files count for the inputs a user named, and how each is shown
    (SCORING.md §10). One lookup serves one run; it is small and pickles to workers.

    ``inputs``: the paths the user named. A folder named bounds the ``perfscore.yaml``
    lookup of every file found in it; a file named alone is bounded by the current folder
    when it lies below it, else by its own folder. A found policy is shown by its path
    as the inputs show it from the current folder (``in/unitA/perfscore.yaml`` for ``batch
    in``), never by a whole path: a folder named outside the current folder starts from its
    own name (or, when several are, from the folder holding them all), so two files are
    never shown alike. (``serve`` chooses its policies itself, from the upload only:
    web/engine.py's ``Rules``.)

    Each folder is looked at once per lookup (its answer cached, and the folders above it
    answered on the way), not once per file."""

    def __init__(self, inputs: Iterable[Path | str] = ()):
        self._dirs: dict[str, str] = {}
        self._files: set[str] = set()
        for item in inputs:
            key = str(Path(item))
            if os.path.isdir(key):
                self._dirs[key] = os.path.abspath(key)
            else:
                self._files.add(key)
        roots = sorted(set(self._dirs.values()))
        self._common = os.path.commonpath(roots) if len(roots) > 1 else None
        self._cache: dict[tuple[str, str], Policy | InputError | None] = {}
        self._bounds: dict[tuple[str, str], tuple[str, str]] = {}  # (a file's folder, cwd) → bound

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_cache": {}, "_bounds": {}}

    def bound(self, path: Path | str) -> tuple[str, str]:
        """(the folder a file's lookup stops at, absolute; how that folder is shown): one
        answer per folder of files not named themselves (it depends on nothing else)."""
        text = str(Path(path))
        if text in self._files or os.path.basename(text) in ("", ".", ".."):
            return self._bound(text)
        key = (os.path.dirname(text), os.getcwd())
        found = self._bounds.get(key)
        if found is None:
            found = self._bounds[key] = self._bound(text)
        return found

    def _bound(self, text: str) -> tuple[str, str]:
        if text not in self._files:
            for parent in Path(text).parents:
                root = self._dirs.get(str(parent))
                if root is not None:
                    return root, self._shown(root)
        folder, cwd = os.path.dirname(os.path.abspath(text)), os.getcwd()
        return (cwd, "") if _within(folder, cwd) else (folder, "")

    def _shown(self, root: str) -> str:
        """A folder named, as its policy files' labels start: from the current folder when
        it lies below it, else from the folder holding all the folders named, else by its
        name alone; never a whole path."""
        cwd = os.getcwd()
        if _within(root, cwd):
            return os.path.relpath(root, cwd)
        return os.path.relpath(root, self._common) if self._common else os.path.basename(root)

    def label(self, found: str, root: str, shown: str) -> str:
        rel = os.path.relpath(found, root)
        return file_label(os.path.join(shown, rel) if shown and shown != os.curdir else rel)

    def folder_policy(self, path: Path | str) -> Policy | None:
        """The policy of the nearest ``perfscore.yaml`` in the folder of ``path`` or above
        it, up to its bound; None when there is none."""
        root, shown = self.bound(path)
        folder = os.path.dirname(os.path.abspath(path))
        chain: list[str] = []
        answer: Policy | InputError | None = None
        while True:
            key = (folder, root)
            if key in self._cache:
                answer = self._cache[key]
                break
            chain.append(folder)
            found = next((os.path.join(folder, n) for n in FOLDER_POLICY_NAMES if os.path.isfile(os.path.join(folder, n))),
                         None)
            if found is not None:
                try:
                    answer = self._load(found, root, shown)
                except InputError as exc:
                    answer = exc
                break
            parent = os.path.dirname(folder)
            if folder == root or parent == folder or not _within(parent, root):
                break
            folder = parent
        for folder in chain:
            self._cache[(folder, root)] = answer
        if isinstance(answer, InputError):
            raise answer
        return answer

    def named(self, spec: str, path: Path | str) -> Policy:
        """A project file's ``policy:``: a preset, or a policy file's path relative to the
        project file ``path``'s folder."""
        if spec in PRESETS:
            return preset_policy(spec)
        root, shown = self.bound(path)
        folder = os.path.dirname(os.path.abspath(path))
        target = os.path.normpath(os.path.join(folder, spec))
        if not os.path.isfile(target):
            where = self.label(folder, root, shown)
            raise InputError(f"评分规则「{spec}」既不是预设（{'、'.join(PRESETS)}）也不是存在的文件（相对于 {where}）")
        return self._load(target, root, shown)

    def _load(self, found: str, root: str, shown: str) -> Policy:
        return _cached_file_policy(self.label(found, root, shown), _file_key(found))


def policy_spec(spec: str, base: Path) -> Policy:
    """A project file's ``policy:`` relative to ``base`` (the project file's folder), under
    the single-file bound (``PolicyLookup``)."""
    return PolicyLookup().named(spec, Path(base) / "_")


def folder_policy(path: Path) -> Policy | None:
    """The policy of the nearest ``perfscore.yaml`` for a file named alone (``PolicyLookup``)."""
    return PolicyLookup([path]).folder_policy(path)


@functools.cache
def preset_policy(name: str = "default") -> Policy:
    """A shipped preset, loaded once."""
    return load_policy(name)


__all__ = ["Policy", "PolicyLookup", "load_policy", "policy_label", "preset_policy", "policy_spec", "folder_policy", "PRESETS", "SHARE_ORDER"]
