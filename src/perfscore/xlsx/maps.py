"""Template maps (``*.map.yaml``): which cell holds which field and which row of the sheet
is a table's template row; every problem in a map becomes one Chinese SheetError line.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from ..errors import SheetError
from .refs import CELL_ADDR_RE, COL_ADDR_RE, MAX_COL, MAX_ROW, col_index, split_addr

# --------------------------------------------------------------------------- the map


class TableMap(BaseModel):
    """One table: the template row cloned per data row, its columns, the merged columns."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    row: int = Field(ge=1, le=MAX_ROW, description="template row (1-based)")
    columns: dict[str, str] = Field(min_length=1, description="column name -> column letters")
    merge: list[str] = Field(default_factory=list, description="columns merged vertically over equal runs")

    @field_validator("columns")
    @classmethod
    def _check_columns(cls, value: dict[str, str]) -> dict[str, str]:
        out: dict[str, str] = {}
        seen: dict[str, str] = {}
        for name, col in value.items():
            letters = col.strip().upper()
            if not COL_ADDR_RE.fullmatch(letters) or col_index(letters) > MAX_COL:
                raise ValueError(f"列 {name} 的「{col}」不是有效的列号（应为 A、B、…、XFD）")
            if letters in seen:
                raise ValueError(f"列 {name} 和 {seen[letters]} 都指向 {letters} 列")
            seen[letters] = name
            out[name] = letters
        return out

    @property
    def combined_target(self) -> bool:
        """A ``target`` column with no ``operator`` and no ``unit`` column holds operator,
        number and unit in one printed cell (年度指标值 ``≥95%``): filling writes the target
        and the actual as text, reading back parses them."""
        return "target" in self.columns and "operator" not in self.columns and "unit" not in self.columns

    @model_validator(mode="after")
    def _check_merge(self) -> "TableMap":
        for name in self.merge:
            if name not in self.columns:
                raise ValueError(f"merge 里的 {name} 不是 columns 中的列名")
        if len(set(self.merge)) != len(self.merge):
            raise ValueError("merge 里有重复的列名")
        return self


class SheetMap(BaseModel):
    """The map of one template (``*.map.yaml``): worksheet, single-cell fields, tables."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sheet: str = Field(min_length=1, description="worksheet name")
    fields: dict[str, tuple[str, ...]] = Field(
        default_factory=dict, description="field name -> cell address, or a list of addresses"
    )
    tables: dict[str, TableMap] = Field(default_factory=dict)

    _source: str = PrivateAttr(default="")

    @field_validator("fields", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: [v] if isinstance(v, str) else v for k, v in value.items()}
        return value

    @field_validator("fields")
    @classmethod
    def _check_fields(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        out = {}
        for name, addrs in value.items():
            if not addrs:
                raise ValueError(f"字段 {name} 没有单元格地址")
            norm = []
            for addr in addrs:
                a = addr.strip().upper().replace("$", "")
                m = CELL_ADDR_RE.fullmatch(a)
                if not m or int(m.group(2)) < 1 or int(m.group(2)) > MAX_ROW or col_index(m.group(1)) > MAX_COL:
                    raise ValueError(f"字段 {name} 的「{addr}」不是有效的单元格地址（应为 C3 这样的形式）")
                norm.append(a)
            out[name] = tuple(norm)
        return out

    @model_validator(mode="after")
    def _check_layout(self) -> "SheetMap":
        rows: dict[int, str] = {}
        for name, table in self.tables.items():
            if table.row in rows:
                raise ValueError(f"键 tables.{name}.row: 表格 {name} 和 {rows[table.row]} 都在第 {table.row} 行")
            rows[table.row] = name
        cells: dict[str, str] = {}
        for name, addrs in self.fields.items():
            for addr in addrs:
                _, r = split_addr(addr)
                if r in rows:
                    raise ValueError(f"键 fields.{name}: 单元格 {addr} 在表格 {rows[r]} 的模板行（第 {r} 行）上")
                if addr in cells and cells[addr] != name:
                    raise ValueError(f"键 fields.{name}: 单元格 {addr} 已被字段 {cells[addr]} 使用")
                cells[addr] = name
        return self

    @property
    def source(self) -> str:
        """The map file this map was loaded from ('' if built in code)."""
        return self._source


_PYDANTIC_MESSAGES = {
    "extra_forbidden": "未知的键",
    "missing": "缺少必填的键",
    "string_too_short": "不能为空",
    "too_short": "不能为空",
    "greater_than_equal": "行号必须大于等于 1",
    "less_than_equal": f"行号不能大于 {MAX_ROW}",
}


def _map_error(name: str, exc: ValidationError) -> SheetError:
    problems = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        kind = err["type"]
        if kind == "value_error":
            msg = str(err.get("ctx", {}).get("error", err["msg"]))
        elif kind in _PYDANTIC_MESSAGES:
            msg = _PYDANTIC_MESSAGES[kind]
        else:
            msg = f"值 {err.get('input')!r} 的类型不对（{err['msg']}）"
        problems.append(f"模板映射 {name} 键 {loc}: {msg}" if loc else f"模板映射 {name}: {msg}")
    return SheetError(problems)


def load_map(path: str | os.PathLike[str]) -> SheetMap:
    """Load and validate a ``*.map.yaml``; every problem becomes a SheetError line."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SheetError(f"模板映射文件 {p} 不存在") from None
    except UnicodeDecodeError:
        raise SheetError(f"模板映射文件 {p} 无法读取：不是 UTF-8 编码") from None
    except OSError as exc:
        from ..writing import os_reason

        raise SheetError(f"模板映射文件 {p} 无法读取：{os_reason(exc)}") from None
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml when available
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行" if mark is not None else ""
        raise SheetError(f"模板映射 {p.name} {where}: 不是有效的 YAML（{getattr(exc, 'problem', exc)}）") from None
    if not isinstance(data, dict):
        raise SheetError(f"模板映射 {p.name}: 顶层应为键值映射（sheet、fields、tables）")
    try:
        sheet_map = SheetMap.model_validate(data)
    except ValidationError as exc:
        raise _map_error(p.name, exc) from None
    sheet_map._source = str(p)
    return sheet_map
