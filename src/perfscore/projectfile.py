"""Reading project, department and policy files (YAML or JSON) into models.

Numbers load as ``Decimal`` straight from their text (never through float); every
problem is reported with the file, the project, the indicator and the field.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import yaml
from pydantic import ValidationError

from .errors import InputError
from .model import FIELD_LABELS, Department, Project, Sheet

TEXT_SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".json": "json"}
MAX_FILE_BYTES = 50 * 1024 * 1024


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when available: ~8x faster
    """SafeLoader with Decimal floats and duplicate keys as errors."""


def _construct_float(loader: _Loader, node: yaml.Node) -> Decimal:
    text = loader.construct_scalar(node).replace("_", "").lower()
    special = {".nan": "NaN", ".inf": "Infinity", "+.inf": "Infinity", "-.inf": "-Infinity"}
    return Decimal(special.get(text, text))


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if not isinstance(key, str):
            shown = "空" if key is None else str(key)[:40]
            raise yaml.constructor.ConstructorError(
                None, None, f"键「{shown}」不是字段名（字段名应为文本，如 name、budget）", key_node.start_mark
            )
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"键「{key}」重复", key_node.start_mark
            )
        seen.add(key)
    return yaml.constructor.SafeConstructor.construct_mapping(loader, node, deep=deep)


_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def decode(data: bytes, source: str) -> str:
    """UTF-8 (with or without BOM); anything else fails clearly, never as mojibake."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data[:8192]:
        raise InputError(f"文件 {source}: 不是文本文件（含二进制内容），请提供 YAML 或 JSON 项目文件")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"文件 {source}: 不是 UTF-8 编码（第 {exc.start + 1} 字节）；如为 GBK/GB2312 编码，请另存为 UTF-8"
        ) from None


def load_mapping(text: str, source: str, fmt: str) -> dict:
    """Parse YAML or JSON text into a dict; syntax errors name the line."""
    if not text.strip() or (fmt == "yaml" and all(
            not line.strip() or line.lstrip().startswith("#") for line in text.splitlines())):
        raise InputError(f"文件 {source}: 文件为空")
    try:
        if fmt == "json":
            data = json.loads(text, parse_float=Decimal, parse_constant=Decimal, object_pairs_hook=_json_object)
        else:
            data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except json.JSONDecodeError as exc:
        raise InputError(f"文件 {source}: 不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列: {exc.msg}）") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        if isinstance(exc, yaml.reader.ReaderError):
            where, problem = f"第 {exc.position + 1} 个字符", f"不允许的控制字符 #x{exc.character:04x}"
        else:
            where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark else "位置未知"
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"文件 {source}: 不是有效的 YAML（{where}: {problem}）") from None
    except _DuplicateKey as exc:
        raise InputError(f"文件 {source}: 不是有效的 JSON（键「{exc.args[0]}」重复）") from None
    except RecursionError:
        raise InputError(f"文件 {source}: 嵌套层数过深") from None
    if not isinstance(data, dict):
        raise InputError(f"文件 {source}: 顶层应为键值映射（kind、name、budget、indicators …），而不是{type_name(data)}")
    return data


class _DuplicateKey(Exception):
    pass


def _json_object(pairs: list[tuple[str, object]]) -> dict:
    data: dict = {}
    for key, value in pairs:
        if key in data:
            raise _DuplicateKey(key)
        data[key] = value
    return data


def type_name(value: object) -> str:
    """What a user typed, in their words: 列表, 文本, 数字 …"""
    if isinstance(value, bool):
        return "真假值"
    if isinstance(value, (int, float, Decimal)):
        return f"数字 {value}"
    if isinstance(value, str):
        return f"文本「{value[:40]}」"
    return {list: "列表", dict: "键值映射", type(None): "空值"}.get(type(value), type(value).__name__)


def read_mapping(path: Path) -> dict:
    """A YAML/JSON file → dict, by its extension."""
    path = Path(path)
    fmt = TEXT_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"文件 {path}: 不支持的文件类型「{path.suffix}」（可用 .yaml .yml .json .xlsx）")
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InputError(f"文件 {path}: 超过 {MAX_FILE_BYTES // 1024 // 1024} MB")
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"文件 {path}: 不存在") from None
    except IsADirectoryError:
        raise InputError(f"文件 {path}: 是目录") from None
    except PermissionError:
        raise InputError(f"文件 {path}: 没有读取权限") from None
    return load_mapping(decode(data, str(path)), str(path), fmt)


_MESSAGES = {
    "missing": "缺少必填字段",
    "extra_forbidden": "未知字段（拼写错误？）",
    "greater_than_equal": "不能为负数",
    "less_than_equal": "超出允许的最大值",
    "too_short": "不能为空",
    "string_too_short": "不能为空",
    "string_too_long": "过长",
    "too_long": "过长",
    "string_type": "应为文本",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
    "list_type": "应为列表",
    "dict_type": "应为键值映射",
    "model_type": "应为键值映射",
    "literal_error": "取值无效",
    "bool_type": "应为 true/false",
    "bool_parsing": "应为 true/false",
    "finite_number": "不能是 NaN 或无穷大",
}


def describe_error(error: dict) -> str:
    kind = error["type"]
    if kind == "value_error":
        return str(error["ctx"]["error"]) if "ctx" in error else error["msg"]
    message = _MESSAGES.get(kind, error["msg"])
    if kind == "literal_error":
        message += f"（可用: {error['ctx']['expected']}）"
    if kind in ("greater_than_equal", "less_than_equal") and error.get("ctx"):
        bound = error["ctx"].get("ge", error["ctx"].get("le"))
        if kind == "less_than_equal" or bound != 0:
            message = f"应{'≥' if kind == 'greater_than_equal' else '≤'} {bound}"
    if kind in ("missing", "extra_forbidden", "too_short", "string_too_short") or "input" not in error:
        return message
    shown = error["input"]
    if shown is None:
        return "不能为空（缺少值）"
    if isinstance(shown, (dict, list)):
        return message
    return f"{message}（值: {short(shown)}）"


def short(text: object, limit: int = 40) -> str:
    """A user's name shortened for a message line."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def locate(source: str, project: str | None, loc: tuple, data: dict | None = None) -> str:
    """'文件 a.yaml「项目」第3个指标「培训场次」字段 weight（分值）'."""
    parts = [f"文件 {source}"]
    if project:
        parts.append(f"「{short(project)}」")
    field_parts: list[str] = []
    loc = list(loc)
    i = 0
    while i < len(loc):
        key = loc[i]
        if key in ("indicators", "tasks") and i + 1 < len(loc) and isinstance(loc[i + 1], int):
            index = loc[i + 1]
            name = ""
            if data is not None:
                rows = data.get(key) if isinstance(data, dict) else None
                if isinstance(rows, list) and index < len(rows) and isinstance(rows[index], dict):
                    name = str(rows[index].get("name") or "")
            what = "指标" if key == "indicators" else "任务"
            parts.append(f"第{index + 1}个{what}" + (f"「{short(name)}」" if name else ""))
            i += 2
            continue
        if isinstance(key, str):
            field_parts.append(key)
        i += 1
    text = " ".join(parts[:1]) + "".join(parts[1:])
    if field_parts:
        field = ".".join(field_parts)
        label = FIELD_LABELS.get(field_parts[-1])
        text += f" 字段 {field}" + (f"（{label}）" if label else "")
    return text


def validation_problems(exc: ValidationError, source: str, data: dict) -> list[str]:
    project = data.get("name") if isinstance(data.get("name"), (str, int, Decimal)) else None
    problems = []
    for error in exc.errors():
        loc = tuple(p for p in error["loc"] if p not in ("function-after[_one_target_form(), Indicator]",))
        problems.append(f"{locate(source, project, loc, data)}: {describe_error(error)}")
    return problems


def sheet_from_mapping(data: dict, source: str) -> Sheet:
    """Validate a mapping as a project or department file; all problems at once."""
    kind = data.get("kind", "project")
    model = {"project": Project, "department": Department}.get(kind) if isinstance(kind, str) else None
    if model is None:
        kind = kind if isinstance(kind, str) else type_name(kind)
        raise InputError(f"{locate(source, data.get('name'), ('kind',))}: 取值「{kind}」无效（可用: project、department）")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(validation_problems(exc, source, data)) from None


def read_sheet_file(path: Path | str) -> Sheet:
    """A project or department file (YAML/JSON) → model."""
    path = Path(path)
    return sheet_from_mapping(read_mapping(path), str(path))
