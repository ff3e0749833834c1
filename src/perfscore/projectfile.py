"""Reading project, department and policy files (YAML or JSON) into models.

Numbers load as ``Decimal`` straight from their text (never through float); every
problem is reported with the file, the project, the indicator and the field.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import yaml
from pydantic import ValidationError

from .errors import InputError
from .limits import read_bytes
from .model import FIELD_LABELS, Department, Project, Sheet
from .values import shown as shown_value

TEXT_SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".json": "json"}
MAX_FILE_BYTES = 50 * 1024 * 1024


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when available: ~8x faster
    """SafeLoader with YAML 1.2 core-schema scalars (020 is 20, 1:30 and 0x10 are text, no
    yes/no/on/off booleans), numbers as Decimal straight from their text (never float), and
    duplicate or non-text keys as errors."""


# YAML 1.2 core schema: only these plain scalars are not text.
_Loader.yaml_implicit_resolvers = {}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."),
)
_Loader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])

MAX_INT_DIGITS = 40  # beyond any amount; longer integers load as Decimal (no int-str limit)
MAX_EXPANDED_NODES = 100_000  # YAML aliases may not expand a file beyond this many extra nodes
MAX_DEPTH = 100


def _construct_int(loader: _Loader, node: yaml.Node) -> int | Decimal:
    text = loader.construct_scalar(node)
    digits = text.lstrip("+-")
    if not digits.isdigit() or not digits.isascii():  # an explicit !!int tag on other text
        raise yaml.constructor.ConstructorError(None, None, f"「{short(text)}」不是十进制整数", node.start_mark)
    if len(digits) > MAX_INT_DIGITS:
        return Decimal(text)  # parse_number reports it as too large, without printing 5000 digits
    return int(text, 10)  # 020 is 20 (YAML 1.2), not octal


def _construct_float(loader: _Loader, node: yaml.Node) -> Decimal:
    text = loader.construct_scalar(node).lower()
    special = {".nan": "NaN", ".inf": "Infinity", "+.inf": "Infinity", "-.inf": "-Infinity"}
    try:
        return Decimal(special.get(text, text))
    except ArithmeticError:  # an explicit !!float tag on other text
        raise yaml.constructor.ConstructorError(None, None, f"「{short(text)}」不是数字", node.start_mark) from None


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen = set()
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            shown = "[]" if isinstance(key_node, yaml.SequenceNode) else "{}"
            raise yaml.constructor.ConstructorError(
                None, None, f"键「{shown}」不是字段名（字段名应为文本，如 name、budget）", key_node.start_mark
            )
        key = loader.construct_object(key_node, deep=deep)
        if not isinstance(key, str):
            shown_key = "空" if key is None else short(key)
            raise yaml.constructor.ConstructorError(
                None, None, f"键「{shown_key}」不是字段名（字段名应为文本，如 name、budget）", key_node.start_mark
            )
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"键「{short(key)}」重复", key_node.start_mark
            )
        seen.add(key)
    return yaml.constructor.SafeConstructor.construct_mapping(loader, node, deep=deep)


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _YamlLimit(Exception):
    """A YAML file that nests or expands beyond what a sheet needs (message in Chinese)."""


def _check_node_graph(root: yaml.Node) -> None:
    """Refuse alias bombs and cycles before anything is constructed: the composed node graph
    shares a node per anchor, so its expanded size is computed without expanding it."""
    sizes: dict[int, int] = {}
    unique = 0
    # iterative post-order walk; a node on the current path seen again is a cycle
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    on_path: set[int] = set()
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            children = _children(node)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[key] > MAX_EXPANDED_NODES + unique:
                raise _YamlLimit("别名（& 与 *）展开后过大（疑似“十亿笑”攻击），拒绝读取")
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise _YamlLimit("别名（& 与 *）循环引用自身")
        if depth > MAX_DEPTH:
            raise _YamlLimit(f"嵌套层数过深（超过 {MAX_DEPTH} 层）")
        unique += 1
        on_path.add(key)
        stack.append((node, depth, True))
        for child in _children(node):
            if id(child) not in sizes:
                stack.append((child, depth + 1, False))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _load_yaml(text: str) -> object:
    _check_flow_depth(text)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        try:  # the common file, in one walk; anything else by the checks and constructors below
            return _plain_document(loader, node)
        except Exception:  # noqa: BLE001 - _Irregular, or an error the full path reports in its own order
            pass
        _check_node_graph(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


class _Irregular(Exception):
    """A document _plain_document leaves to the full path."""


_STR_TAG, _MAP_TAG, _SEQ_TAG = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_SCALAR_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null")


def _plain_document(loader: _Loader, root: yaml.Node) -> object:
    """The document of plain mappings, lists and core-schema scalars, as construct_document
    makes it, in one walk: no node reached twice (an alias, so neither a bomb nor a cycle),
    no nesting past MAX_DEPTH, every key a text scalar met once, no other tag. Each scalar
    goes through the loader's own constructor (Decimal, YAML 1.2 ints); any other document
    raises, and the full path (_check_node_graph, then the constructors) reads it."""
    seen: set[int] = set()
    scalars = {tag: loader.yaml_constructors[tag] for tag in _SCALAR_TAGS}
    scalar_node, mapping_node, sequence_node = yaml.ScalarNode, yaml.MappingNode, yaml.SequenceNode

    def build(node: yaml.Node, depth: int) -> object:
        if depth > MAX_DEPTH or id(node) in seen:
            raise _Irregular
        seen.add(id(node))
        kind, tag = type(node), node.tag
        if kind is scalar_node:
            return node.value if tag == _STR_TAG else scalars[tag](loader, node)  # KeyError: another tag
        if kind is mapping_node and tag == _MAP_TAG:
            if node.value and depth >= MAX_DEPTH:  # its keys lie one level deeper
                raise _Irregular
            out: dict = {}
            for key, value in node.value:
                if type(key) is not scalar_node or key.tag != _STR_TAG or key.value in out or id(key) in seen:
                    raise _Irregular
                seen.add(id(key))
                out[key.value] = build(value, depth + 1)
            return out
        if kind is sequence_node and tag == _SEQ_TAG:
            return [build(item, depth + 1) for item in node.value]
        raise _Irregular

    return build(root, 1)


def _check_flow_depth(text: str) -> None:
    """Deep [[[…]]] or {{{…}}} nesting is refused before the parser sees it (libyaml and the
    pure-Python parser fail differently on it); brackets inside quotes count too, which only
    errs on the safe side for absurd texts."""
    if _DEEP_INDENT.search(text):
        raise _YamlLimit(f"嵌套层数过深（缩进超过 {MAX_INDENT} 列）")
    if _DEEP_DASHES.search(text):
        raise _YamlLimit(f"嵌套层数过深（超过 {MAX_DEPTH} 层）")
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    depth = 0
    for match in _BRACKETS.finditer(text):
        if match.group() in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise _YamlLimit(f"嵌套层数过深（超过 {MAX_DEPTH} 层）")
        elif depth:
            depth -= 1


MAX_INDENT = 800
_DEEP_INDENT = re.compile(r"^[ \t]{%d,}" % MAX_INDENT, re.MULTILINE)
_DEEP_DASHES = re.compile(r"^[ \t]*(?:-[ \t]+){%d,}" % MAX_DEPTH, re.MULTILINE)  # - - - - … on one line
_BRACKETS = re.compile(r"[\[\]{}]")


def decode(data: bytes, source: str) -> str:
    """UTF-8 (with or without BOM); anything else fails clearly, never as mojibake."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    head = data[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or (
        len(head) >= 4 and (head[1::2].count(0) > len(head) // 4 or head[0::2].count(0) > len(head) // 4)
        and b"\x00\x00" not in head
    ):
        raise InputError(
            f"文件 {source}: 是 UTF-16 编码（Windows 记事本的“Unicode”），请另存为 UTF-8"
            "（记事本: 另存为 → 编码选 UTF-8；WPS/VS Code: 以 UTF-8 编码保存）"
        )
    if b"\x00" in head:
        raise InputError(f"文件 {source}: 不是文本文件（含二进制内容），请提供 YAML 或 JSON 项目文件")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"文件 {source}: 不是 UTF-8 编码（第 {exc.start + 1} 字节）；如为 GBK/GB2312 编码，请另存为 UTF-8"
        ) from None


# The YAML parser's English problems that people meet, in Chinese (anything else: 语法错误).
_YAML_PROBLEMS = {
    "could not find expected ':'": "缺少冒号「:」（或冒号后缺空格）",
    "mapping values are not allowed here": "此处不能写「键: 值」（冒号后缺空格、缩进不对，或文本中的冒号未加引号）",
    "did not find expected key": "缩进不对或缺少键",
    "did not find expected '-' indicator": "列表项缩进不对（应以「- 」开头）",
    "found unexpected end of stream": "文件意外结束（引号或括号未闭合？）",
    "found undefined alias": "引用了未定义的别名（*）",
    "found duplicate anchor": "锚点（&）重复",
    "expected ',' or ']'": "方括号列表中缺少「,」或「]」",
    "expected ',' or '}'": "花括号映射中缺少「,」或「}」",
    "did not find expected node content": "缺少值",
    "found character that cannot start any token": "含不能出现在此处的字符",
    "found a tab character": "用了制表符（Tab）缩进，YAML 只能用空格缩进",
    "found unknown escape character": "双引号文本中有未知的转义字符（反斜杠请写两个，或改用单引号）",
    "found unexpected ':'": "多余的冒号「:」",
    "could not determine a constructor for the tag": "不支持的标签（!…）",
    "expected <document start>": "文档结构有误（缩进不对？）",
    "expected a single document": "文件中有多个 YAML 文档（---），只能有一个",
    "while scanning a quoted scalar": "引号未闭合",
}
_FULLWIDTH_COLON = re.compile(r"^\s*(?:-\s+)?[^\s:：#'\"][^:#'\"]*?：")


def _yaml_hint(text: str, upto: int) -> str | None:
    """A mistake people make, found in the lines up to the one the parser stopped at: a
    full-width colon after a key (initial：486.5) or a tab in the indentation."""
    lines = text.splitlines()[: upto + 1]
    first = max(0, len(lines) - 3)  # the parser stops on the line after the mistake, or on it
    for number, line in enumerate(lines[first:], first + 1):
        indent = line[: len(line) - len(line.lstrip())]
        if "\t" in indent and line.strip():
            return f"第{number}行: 用了制表符（Tab）缩进，YAML 只能用空格缩进"
        if _FULLWIDTH_COLON.match(line):
            return f"第{number}行: 冒号是全角「：」，请改为半角「:」"
    return None


def _yaml_problem(exc: yaml.YAMLError) -> str:
    problem = str(getattr(exc, "problem", None) or "")
    if any("\u4e00" <= ch <= "\u9fff" for ch in problem):  # our own constructor messages
        return problem
    context = str(getattr(exc, "context", None) or "")
    for english, chinese in _YAML_PROBLEMS.items():
        if english in problem or english in context:
            return chinese
    return "语法错误"


def load_mapping(text: str, source: str, fmt: str) -> dict:
    """Parse YAML or JSON text into a dict; syntax errors name the line."""
    if not text.strip() or (fmt == "yaml" and all(
            not line.strip() or line.lstrip().startswith("#") for line in text.splitlines())):
        raise InputError(f"文件 {source}: 文件为空")
    try:
        if fmt == "json":
            data = json.loads(text, parse_float=Decimal, parse_int=_json_int, parse_constant=Decimal,
                              object_pairs_hook=_json_object)
        else:
            data = _load_yaml(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"文件 {source}: 不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列: {_json_problem(exc.msg)}）") from None
    except _YamlLimit as exc:
        raise InputError(f"文件 {source}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        if isinstance(exc, yaml.reader.ReaderError):
            raise InputError(
                f"文件 {source}: 不是有效的 YAML（第 {exc.position + 1} 个字符: 不允许的控制字符 #x{exc.character:04x}）"
            ) from None
        hint = _yaml_hint(text, mark.line if mark else len(text))
        if hint:
            raise InputError(f"文件 {source}: 不是有效的 YAML（{hint}）") from None
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark else "位置未知"
        raise InputError(f"文件 {source}: 不是有效的 YAML（{where}: {_yaml_problem(exc)}）") from None
    except _DuplicateKey as exc:
        raise InputError(f"文件 {source}: 不是有效的 JSON（键「{short(exc.args[0])}」重复）") from None
    except RecursionError:
        raise InputError(f"文件 {source}: 嵌套层数过深") from None
    except (ValueError, ArithmeticError):  # a number no parser can hold
        raise InputError(f"文件 {source}: 含无法读取的数字（位数过多）") from None
    if not isinstance(data, dict):
        raise InputError(f"文件 {source}: 顶层应为键值映射（kind、name、budget、indicators …），而不是{type_name(data)}")
    return data


class _DuplicateKey(Exception):
    pass


_JSON_PROBLEMS = {
    "Expecting value": "缺少值", "Expecting ',' delimiter": "缺少逗号「,」",
    "Expecting ':' delimiter": "缺少冒号「:」", "Expecting property name enclosed in double quotes": "键须用双引号括起（或多了逗号）",
    "Unterminated string starting at": "引号未闭合", "Extra data": "多余的内容", "Invalid control character at": "文本中有控制字符",
    "Invalid \\escape": "无效的转义字符",
}


def _json_problem(msg: str) -> str:
    return next((chinese for english, chinese in _JSON_PROBLEMS.items() if msg.startswith(english)), "语法错误")


def _json_int(text: str) -> int | Decimal:
    return Decimal(text) if len(text.lstrip("-")) > MAX_INT_DIGITS else int(text)


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
        return f"数字 {shown_value(value)}"
    if isinstance(value, str):
        return f"文本「{value[:40]}」"
    return {list: "列表", dict: "键值映射", type(None): "空值"}.get(type(value), type(value).__name__)


def read_mapping(path: Path, data: bytes | None = None) -> dict:
    """A YAML/JSON file → dict, by its extension (``data``: its bytes, held already)."""
    path = Path(path)
    fmt = TEXT_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"文件 {path}: 不支持的文件类型「{path.suffix}」（可用 .yaml .yml .json .xlsx .xlsm .xls .ods .docx .pdf）")
    if data is None:
        data = read_bytes(path, MAX_FILE_BYTES)
    elif len(data) > MAX_FILE_BYTES:
        raise InputError(f"文件 {path}: 大小超过上限 {MAX_FILE_BYTES // 1048576} MB，拒绝读取")
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
    "int_from_float": "应为整数（不能有小数）",
    "greater_than": "应大于",
    "less_than": "应小于",
    "tuple_type": "应为列表",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "decimal_max_digits": "位数过多",
    "decimal_max_places": "小数位过多",
    "decimal_whole_digits": "位数过多",
    "frozen_instance": "不可修改",
    "enum": "取值无效",
    "dict_attributes_type": "应为键值映射",
    "union_tag_invalid": "取值无效",
    "is_instance_of": "类型不对",
    "string_pattern_mismatch": "格式不对",
    "json_invalid": "不是有效的 JSON",
    "recursion_loop": "嵌套层数过深",
}


def describe_error(error: dict) -> str:
    kind = error["type"]
    if kind in ("value_error", "assertion_error"):
        return str(error["ctx"]["error"]) if "ctx" in error else "取值无效"
    message = _MESSAGES.get(kind, "取值无效")  # never pydantic's English
    if kind in ("greater_than", "less_than") and error.get("ctx"):
        message = f"应{'>' if kind == 'greater_than' else '<'} {error['ctx'].get('gt', error['ctx'].get('lt'))}"
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
    if isinstance(shown, (dict, list, tuple)):
        return message
    return f"{message}（值: {shown_value(shown)}）"


def short(text: object, limit: int = 40) -> str:
    """A user's name shortened for a message line."""
    if not isinstance(text, str):
        return shown_value(text, limit)
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
