"""Every label and column header the form reader recognises, with its synonyms: the data
file ``labels.yaml`` beside this module (shipped with the package), and the words each
province folder's ``labels.yaml`` adds (docs/provinces.md) — a new province's words are a
file, not code.

Labels are compared after ``key()``: full-width → half-width, no whitespace, no trailing
colon, and trailing brackets such as ``(A)``, ``(B/A)``, ``(万元)``, ``(20分)`` removed (a
``(20分)`` is kept as the label's share).
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal
from pathlib import Path

from ..values import compact

SHIPPED = Path(__file__).with_name("labels.yaml")
# the groups of the vocabulary: a mapping of roles to words, or a list of words
_ROLES, _WORDS = "roles", "words"
GROUPS = {"fields": _ROLES, "goal_headers": _ROLES, "goal_block": _WORDS, "budget_columns": _ROLES,
          "budget_block": _WORDS, "budget_total": _WORDS, "budget_parts": _ROLES, "indicator_columns": _ROLES,
          "sub_columns": _ROLES, "task_columns": _ROLES, "table_end": _WORDS, "top_total": _WORDS, "grades": "grades"}
_GRADE_VALUES = ("优", "良", "中", "差")


def _words(value: object, where: str, problems: list[str]) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(w, str) and w.strip() for w in value):
        problems.append(f"{where}: 应为标签文字的列表（如 [实际完成值, 全年完成值]）")
        return []
    return [key(w)[0] for w in value]


def merge(vocabulary: dict, data: object, path: Path | str) -> list[str]:
    """Add a province's words (``data``, read from ``path``) to ``vocabulary``, after the
    shipped ones; the problems, each naming the file and the group or role (nothing of a
    group with a problem is added)."""
    problems: list[str] = []
    if not isinstance(data, dict):
        return [f"文件 {path}: 标签词表应为键值映射（组名: 角色: [标签…]，见 docs/provinces.md）"]
    for group, value in data.items():
        kind = GROUPS.get(group)
        where = f"文件 {path} 的「{group}」"
        if kind is None:
            problems.append(f"文件 {path}: 未知的标签组「{group}」（可用：{'、'.join(GROUPS)}）")
        elif kind == _WORDS:
            vocabulary[group] = (*vocabulary[group], *(w for w in _words(value, where, problems) if w not in vocabulary[group]))
        elif not isinstance(value, dict):
            problems.append(f"{where}: 应为键值映射（{'grades: {优秀: 优}' if kind == 'grades' else '角色: [标签…]'}）")
        elif kind == "grades":
            for word, grade in value.items():
                if grade not in _GRADE_VALUES:
                    problems.append(f"{where}「{word}」: 等级应为 优/良/中/差 之一，而不是「{grade}」")
                else:
                    vocabulary[group] = {**vocabulary[group], key(word)[0]: grade}
        else:
            for role, words in value.items():
                if role not in vocabulary[group]:
                    problems.append(f"{where}: 未知的角色「{role}」（可用：{'、'.join(vocabulary[group])}）")
                    continue
                known = vocabulary[group][role]
                added = [w for w in _words(words, f"{where}「{role}」", problems) if w not in known]
                vocabulary[group] = {**vocabulary[group], role: (*known, *added)}
    return problems


def load(extra: list[Path] | None = None) -> tuple[dict, list[str]]:
    """The shipped vocabulary with the words of each file of ``extra`` (default: every
    province folder's labels.yaml); and the problems of those files."""
    from ..errors import InputError
    from ..projectfile import read_mapping

    raw = read_mapping(SHIPPED)
    vocabulary = {g: tuple(v) if GROUPS[g] == _WORDS else dict(v) if GROUPS[g] == "grades"
                  else {role: tuple(words) for role, words in v.items()} for g, v in raw.items()}
    if extra is None:
        from ..resources import provinces

        extra = [p.labels for p in provinces().values() if p.labels is not None]
    problems: list[str] = []
    for path in extra:
        try:
            data = read_mapping(path)
        except InputError as exc:
            problems.append(str(exc))
            continue
        problems += merge(vocabulary, data, path)
    return vocabulary, problems


FLAT_NAME = "指标名称"  # names the indicators only in a row that also heads their 完成值 (never a 绩效目标表)


def is_name_header(text: object, row: list[object]) -> bool:
    """Whether ``text`` heads the indicator names, ``row``: the texts of its row."""
    k = key(text)[0]
    if k == FLAT_NAME:
        return any(key(t)[0] in INDICATOR_COLUMNS["actual"] for t in row)
    return k in INDICATOR_COLUMNS["name"]


REQUIRED_COLUMNS = {"name": "三级指标", "actual": "实际完成值"}

_TRAILING = re.compile(r"\(([^()]*)\)$")
_SHARE = re.compile(r"^(\d+(?:\.\d+)?)分$")


def key(text: object) -> tuple[str, Decimal | None]:
    """A label for comparison, and the share printed in its brackets (``(20分)``)."""
    text = text if text.__class__ is str else str(text)
    return _cached_key(text) if len(text) <= 200 else _key(text)


@functools.lru_cache(maxsize=16384)
def _cached_key(text: str) -> tuple[str, Decimal | None]:
    """``key`` of a short text (labels are), worked out once per text: a form's labels repeat
    in every form, and the cache holds at most 16,384 texts of 200 characters."""
    return _key(text)


def _key(text: str) -> tuple[str, Decimal | None]:
    k = compact(text).replace("：", ":").rstrip(":")
    share = None
    while True:
        m = _TRAILING.search(k)
        if not m or m.start() == 0:
            break
        inner = m.group(1)
        s = _SHARE.match(inner)
        if s:
            share = Decimal(s.group(1))
        k = k[: m.start()].rstrip(":")
    return k.rstrip(":"), share


def match(text: object, synonyms: tuple[str, ...]) -> bool:
    return key(text)[0] in synonyms


def which(text: object, table: dict[str, tuple[str, ...]]) -> str | None:
    """The table key whose synonyms hold ``text``."""
    k = key(text)[0]
    for name, synonyms in table.items():
        if k in synonyms:
            return name
    return None


VOCABULARY, PROBLEMS = load()
FIELDS: dict[str, tuple[str, ...]] = VOCABULARY["fields"]  # a label whose value is right of it (or below it)
GOAL_HEADERS = VOCABULARY["goal_headers"]  # the 年度总体目标 block: a header over two cells, values below
GOAL_BLOCK = VOCABULARY["goal_block"]
BUDGET_COLUMNS = VOCABULARY["budget_columns"]  # the budget block header row (年初预算数 … 得分)
BUDGET_BLOCK = VOCABULARY["budget_block"]
BUDGET_TOTAL = VOCABULARY["budget_total"]
BUDGET_PARTS = VOCABULARY["budget_parts"]
INDICATOR_COLUMNS: dict[str, tuple[str, ...]] = VOCABULARY["indicator_columns"]  # one or two header rows
SUB_COLUMNS: dict[str, tuple[str, ...]] = VOCABULARY["sub_columns"]  # under a merged group header
TASK_COLUMNS = VOCABULARY["task_columns"]  # the department sheet's 年度主要任务 table
TABLE_END = VOCABULARY["table_end"]
TOP_TOTAL = VOCABULARY["top_total"]  # 重庆 prints 自评总分 above the form
GRADE_WORDS: dict[str, str] = VOCABULARY["grades"]
