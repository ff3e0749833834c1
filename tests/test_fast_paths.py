"""The worker's fast paths read exactly what the full paths read: a cell the one-regex path of
``_parse_text`` takes gives the value (or the message) the full path gives the same cell, and a
YAML document built in one walk (``_plain_document``) equals the one the node-graph check and the
constructors build; anything the walk does not know is left to the full path."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from perfscore import projectfile
from perfscore.values import _FAST_QUANTITY, _FAST_WORDS, CellValueError, parse_value

ROOT = Path(__file__).resolve().parents[1]

CELLS = [
    "≥7000次", "≤22.59万元", "100%", ">99%", "=4条", "<5次", "95%以上", "≤95%以上", "≥5以内", "不低于95%",
    "不超过5%以上", "大于等于20000人次", "≥=5", "<>5", "=不低于3个", "配备率100%", "9999999999999999次",
    "1070.00人次", "0万元", "达成预期指标", "全部或基本达成预期指标", "不低于", "以上", "大于", "12GB", "5km",
    "≥1234.5亿元", "满意度≥90%", "调解成功率98%", "0次", "3小时",
]


def _outcome(cell: str):
    try:
        return parse_value(cell)
    except CellValueError as exc:
        return str(exc)


def _cells() -> list[str]:
    rng = random.Random(25)
    pieces = ["≥", "≤", "<", ">", "=", "不低于", "不超过", "以上", "以内", "大于", "次", "人", "万元", "%", "个",
              "12", "0", "3.5", "100", "07", "GB", "满意度"]
    return CELLS + ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 5))) for _ in range(3000)]


def test_a_cell_on_the_fast_path_reads_as_on_the_full_path():
    """A trailing space takes a cell off the fast path (the full path strips it first): the two
    readings of every cell agree, value or message."""
    fast = 0
    for cell in _cells():
        if _FAST_QUANTITY.fullmatch(cell) or _FAST_WORDS.fullmatch(cell):
            fast += 1
        assert _outcome(cell) == _outcome(cell + " "), cell
    assert fast > 1000  # the fast path was really taken


def test_known_cells_on_the_fast_path():
    assert parse_value("≥7000次") == ("≥", 7000, "次", "")
    assert parse_value("95%以上").operator == "≥"
    assert parse_value("达成预期指标").text == "达成预期指标"
    with pytest.raises(CellValueError, match="方向相反"):
        parse_value("<>5")
    with pytest.raises(CellValueError, match="只有运算符"):
        parse_value("不低于")


def _yaml_texts() -> list[str]:
    paths = sorted((ROOT / "samples").rglob("*.yaml")) + sorted((ROOT / "tests" / "bad_inputs").glob("*.yaml"))
    texts = []
    for path in paths:
        try:
            texts.append(path.read_bytes().decode("utf-8"))
        except UnicodeDecodeError:
            continue
    texts += [
        "a: &x {b: 1}\nc: *x\n",  # an alias
        "a: !!set {b}\n", "a: !!binary aGk=\n", "a: !!int abc\n", "1: x\n", "null: 1\n", "a: 1\na: 2\n",
        "x: &x {name: a}\n<<: *x\n", "".join(" " * i + f"k{i}:\n" for i in range(120)) + " " * 120 + "v: 1\n",
        "a: [1, 2.50, 020, true, ~, '3', 1e3, .inf]\n",
    ]
    return texts


def _full(text: str):
    loader = projectfile._Loader(text)
    try:
        node = loader.get_single_node()
        projectfile._check_node_graph(node)
        return ("ok", repr(loader.construct_document(node)))
    except Exception as exc:  # noqa: BLE001 - compared, not handled
        return ("error", type(exc).__name__, str(exc))
    finally:
        loader.dispose()


def _walk(text: str):
    loader = projectfile._Loader(text)
    try:
        node = loader.get_single_node()
        return ("ok", repr(projectfile._plain_document(loader, node)))
    except Exception:  # noqa: BLE001 - the full path decides
        return None
    finally:
        loader.dispose()


def test_a_yaml_document_built_in_one_walk_equals_the_full_paths():
    walked = 0
    for text in _yaml_texts():
        one = _walk(text)
        if one is not None:
            walked += 1
            assert one == _full(text), text[:200]
    assert walked >= 20


@pytest.mark.parametrize("text", ["a: &x {b: 1}\nc: *x\n", "a: !!set {b}\n", "1: x\n", "a: 1\na: 2\n",
                                  "".join(" " * i + f"k{i}:\n" for i in range(120)) + " " * 120 + "v: 1\n"])
def test_the_walk_leaves_aliases_tags_odd_keys_and_deep_nesting_to_the_full_path(text):
    assert _walk(text) is None

