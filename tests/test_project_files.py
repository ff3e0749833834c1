"""Project files people hand in (YAML 1.1/1.2, JSON, UTF-16, anchors and aliases, FIFOs and
links): the value or one clear Chinese line naming the file and the field, never a hang, a
traceback or a library's English (docs/project-file.md)."""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path

import pytest

from perfscore.errors import InputError
from perfscore.projectfile import load_mapping, read_mapping

from conftest import leaked_english, run

D = Decimal


def assert_one_chinese_line(result, path) -> str:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    lines = result.stderr.rstrip("\n").splitlines()
    assert lines and all(line.startswith(f"文件 {path}") for line in lines), result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


PROJECT_YAML = """kind: project
name: 培训项目
budget:
  initial: {initial}
  executed: {executed}
indicators:
  - level1: 产出指标
    level2: 数量指标
    name: 培训场次
    target: "≥10场"
    actual: "8场"
    weight: 90
    cause: 疫情
"""


def test_comma_in_a_budget_amount_is_an_error_not_266(tmp_path):
    path = write(tmp_path, "p.yaml", PROJECT_YAML.format(initial='"26,6"', executed=10))
    stderr = assert_one_chinese_line(run("score", path), path)
    assert "字段 budget.initial（年初预算数）" in stderr and "千位分隔符" in stderr


def test_thousands_in_a_budget_amount(tmp_path):
    path = write(tmp_path, "p.yaml", PROJECT_YAML.format(initial='"1,000"', executed=500))
    result = run("score", path, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout, parse_float=D)["execution_rate"] == D("50")


@pytest.mark.parametrize("initial, executed", [("0.0000000001", 999999999999999), ("1e-400", 9), ("1e300", 9),
                                               ('"1e999999999999"', 9), ("9" * 5000, 9)])
def test_extreme_budgets_are_one_chinese_line(tmp_path, initial, executed):
    path = write(tmp_path, "p.yaml", PROJECT_YAML.format(initial=initial, executed=executed))
    stderr = assert_one_chinese_line(run("score", path), path)
    assert "budget.initial" in stderr and len(stderr) < 300


def test_yaml_12_numbers():
    data = load_mapping("a: 020\nb: 1:30\nc: 0x10\nd: 1e3\ne: yes\nf: 0.1\n", "t.yaml", "yaml")
    assert data == {"a": 20, "b": "1:30", "c": "0x10", "d": D("1E+3"), "e": "yes", "f": D("0.1")}
    assert type(data["f"]) is Decimal


@pytest.mark.parametrize("value, message", [("020", None), ("1:30", "不是数字"), ("0x10", "十六进制"), ("1:30.5", "不是数字")])
def test_yaml_number_forms_in_a_budget(tmp_path, value, message):
    path = write(tmp_path, "p.yaml", PROJECT_YAML.format(initial=value, executed=10))
    if message is None:
        result = run("score", path, "--format", "json")
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout, parse_float=D)["execution_rate"] == D("50")  # 10 / 20, not 10 / 16
    else:
        assert message in assert_one_chinese_line(run("score", path), path)


BOMB = "x: &a [1,1,1,1,1,1,1,1,1,1]\n" + "".join(
    f"{n}: &{n} [{','.join(['*' + p] * 10)}]\n" for p, n in zip("abcdefgh", "bcdefghi"))


@pytest.mark.parametrize("tail", ["name: *i\n", "*i : 1\n", "budget: {initial: *i, executed: 1}\n",
                                  "indicators: [{level1: a, name: b, target: '1', actual: *i}]\n"])
def test_alias_bombs_are_refused_without_expanding(tmp_path, tail):
    path = write(tmp_path, "bomb.yaml", "kind: project\n" + BOMB.replace("x:", "z:") + tail)
    stderr = assert_one_chinese_line(run("score", path), path)
    assert "别名" in stderr and len(stderr) < 300


def test_recursive_alias_is_refused(tmp_path):
    path = write(tmp_path, "loop.yaml", "kind: project\nname: &a [*a]\n")
    stderr = assert_one_chinese_line(run("score", path), path)
    assert "别名" in stderr or "嵌套" in stderr


def test_small_aliases_still_work():
    assert load_mapping("a: &x 5\nb: *x\n", "t.yaml", "yaml") == {"a": 5, "b": 5}


@pytest.mark.parametrize("text", ["a: " + "[" * 5000 + "]" * 5000 + "\n",
                                  "".join(" " * i + f"k{i}:\n" for i in range(1200)) + " " * 1200 + "v: 1\n"])
def test_deep_nesting_is_perfscores_own_message(text):
    with pytest.raises(InputError, match="嵌套层数过深"):
        load_mapping(text, "t.yaml", "yaml")


def test_yaml_loader_with_and_without_libyaml(monkeypatch):
    """The same message whichever parser PyYAML has (the C accelerator is optional)."""
    import yaml

    from perfscore import projectfile

    text = "a: " + "[" * 3000 + "]" * 3000 + "\nb: 020\n"
    messages = []
    for base in {getattr(yaml, "CSafeLoader", yaml.SafeLoader), yaml.SafeLoader}:
        loader = type("L", (base,), {})
        loader.yaml_implicit_resolvers = projectfile._Loader.yaml_implicit_resolvers
        loader.yaml_constructors = projectfile._Loader.yaml_constructors
        monkeypatch.setattr(projectfile, "_Loader", loader)
        with pytest.raises(InputError) as info:
            load_mapping(text, "t.yaml", "yaml")
        messages.append(str(info.value))
        assert load_mapping("b: 020\n", "t.yaml", "yaml") == {"b": 20}
    assert set(messages) == {"文件 t.yaml: 嵌套层数过深（超过 100 层）"}


@pytest.mark.parametrize("text, message", [
    ("kind: project\nname: 培训\nbudget:\n  initial：486.5\n  executed: 400\n", "第4行: 冒号是全角「：」，请改为半角「:」"),
    ("kind: project\nname: 培训\nbudget:\n\tinitial: 486.5\n", "第4行: 用了制表符（Tab）缩进"),
])
def test_yaml_mistakes_people_make(text, message):
    with pytest.raises(InputError) as info:
        load_mapping(text, "t.yaml", "yaml")
    assert message in str(info.value)
    assert not leaked_english(str(info.value))


def test_yaml_syntax_errors_are_chinese():
    for text in ("a: [1, 2\n", "a: 'x\n", "a: b: c\n", "- a\nb: 1\n", "a: !!python/object:os.system x\n"):
        with pytest.raises(InputError) as info:
            load_mapping(text, "t.yaml", "yaml")
        message = str(info.value)
        assert message.startswith("文件 t.yaml: 不是有效的 YAML（") and not leaked_english(message)


def test_json_syntax_errors_are_chinese():
    with pytest.raises(InputError) as info:
        load_mapping('{"a": 1,}', "t.json", "json")
    assert not leaked_english(str(info.value))
    assert load_mapping('{"a": ' + "9" * 5000 + "}", "t.json", "json")["a"] == D("9" * 5000)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_files_say_utf16(tmp_path, encoding):
    path = tmp_path / "p.yaml"
    path.write_bytes(PROJECT_YAML.format(initial=10, executed=9).encode(encoding))
    stderr = assert_one_chinese_line(run("score", path), path)
    assert "UTF-16" in stderr and "另存为 UTF-8" in stderr


def test_symlink_loop(tmp_path):
    path = tmp_path / "loop.yaml"
    os.symlink(path, path)
    assert "符号链接循环" in assert_one_chinese_line(run("score", path), path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_named_yaml_does_not_hang(tmp_path):
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)
    assert "不是普通文件" in assert_one_chinese_line(run("score", path), path)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_link_to_dev_zero_is_refused(tmp_path):
    path = tmp_path / "zero.yaml"
    os.symlink("/dev/zero", path)
    with pytest.raises(InputError, match="不是普通文件"):
        read_mapping(path)


def test_no_pydantic_english_in_a_project_file(tmp_path):
    path = write(tmp_path, "p.yaml", PROJECT_YAML.format(initial=10, executed=9) + "year: 2024.5\n")
    stderr = assert_one_chinese_line(run("score", path), path)
    assert "字段 year（年度）: 应为整数" in stderr
    assert not leaked_english(stderr), stderr


@pytest.mark.parametrize("field, value", [("year", "1e999999999"), ("year", "9" * 5000)])
def test_absurd_integer_fields_are_refused_before_conversion(tmp_path, field, value):
    # pydantic would build a billion-digit int from 1e999999999 (a hang): refused as too large first
    path = write(tmp_path, "p.yaml", PROJECT_YAML.format(initial=10, executed=9) + f"{field}: {value}\n")
    assert "过大" in assert_one_chinese_line(run("score", path), path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("suffix", [".xlsx", ".xls", ".ods"])  # .xls/.ods go straight to the form reader
def test_fifo_and_dev_zero_named_workbooks_are_refused(tmp_path, suffix):
    fifo = tmp_path / f"pipe{suffix}"
    os.mkfifo(fifo)
    assert "不是普通文件" in assert_one_chinese_line(run("score", fifo), fifo)
    if Path("/dev/zero").exists():
        zero = tmp_path / f"zero{suffix}"
        os.symlink("/dev/zero", zero)
        assert "不是普通文件" in assert_one_chinese_line(run("score", zero), zero)


def test_fullwidth_colon_hint_points_at_the_right_line():
    text = "kind: project\nname: 培训\ngoal:\n  - 目标：提高\nbudget:\n  initial: 1\n  executed：1\n  x: [\n"
    with pytest.raises(InputError, match="第7行: 冒号是全角"):
        load_mapping(text, "t.yaml", "yaml")


@pytest.mark.parametrize("text, message", [
    ("a: !!int 0x10\n", "「0x10」不是十进制整数"), ("a: !!float abc\n", "「abc」不是数字"),
    ("- - - " * 400 + "x\n", "嵌套层数过深"), ("a: &x\n  b: *x\n", "循环引用"),
    ("a: 1\n---\nb: 2\n", "只能有一个"), ("name: *nope\n", "未定义的别名"),
])
def test_more_yaml_forms_are_chinese(text, message):
    with pytest.raises(InputError, match=message) as info:
        load_mapping(text, "t.yaml", "yaml")
    assert not leaked_english(str(info.value))
