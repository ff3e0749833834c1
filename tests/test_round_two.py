"""Issue 10, round two of hostile inputs (parsing, scoring, policy, files): every form gives
the right number or one clear Chinese line — never a silent wrong number, never a crash.
SCORING.md §4, §5, §9, §10 as refined for this round."""

from __future__ import annotations

import json
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest

from perfscore.errors import InputError
from perfscore.policy import load_policy
from perfscore.projectfile import load_mapping, read_mapping, sheet_from_mapping
from perfscore.scoring import score_sheet
from perfscore.values import CellValueError, Quantity, parse_number, parse_value, quantize, to_unit

D = Decimal
CJK = re.compile(r"[\u4e00-\u9fff]")
_ENGLISH_WORDS = re.compile(r"[A-Za-z]{4,}")  # a leaked library sentence has words like 'Input', 'should'


def leaked_english(text: str) -> list[str]:
    """English words in a message, apart from the file name, field keys and format names."""
    found = []
    for line in text.splitlines():
        body = line.split(": ", 1)[-1] if line.startswith("文件 ") else line
        body = re.sub(r"字段 [A-Za-z_.\[\]0-9]+|YAML|JSON|UTF|Tab|WPS|VS Code", "", body)
        found += _ENGLISH_WORDS.findall(body)
    return found


def project(indicators, budget=None, **extra):
    data = {"name": "测试项目", "budget": budget or {"initial": 10, "executed": 10}, "indicators": indicators, **extra}
    return sheet_from_mapping(data, "t.yaml")


def one(target, actual, weight=90, policy="default", **extra):
    year = extra.pop("year", None)
    ind = {"level1": "产出指标", "level2": extra.pop("level2", "数量指标"), "name": "测试指标",
           "target": target, "actual": actual, "weight": weight, **extra}
    sheet = project([ind], execution_weight=100 - D(weight), **({"year": year} if year else {}))
    return score_sheet(sheet, load_policy(policy)).indicators[0]


def problem(target, actual, **extra) -> str:
    with pytest.raises(InputError) as info:
        one(target, actual, **extra)
    message = str(info.value)
    assert "\n" not in message and CJK.search(message)
    return message


from conftest import run


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


# -- §4 operators ----------------------------------------------------------------------------

@pytest.mark.parametrize("cell, operator, number, unit", [
    ("大于等于95%", "≥", "95", "%"), ("大于或等于95%", "≥", "95", "%"), ("小于等于5%", "≤", "5", "%"),
    ("小于或等于5%", "≤", "5", "%"), ("⩾90%", "≥", "90", "%"), ("⩽3次", "≤", "3", "次"),
    ("≧1件", "≥", "1", "件"), ("≦2件", "≤", "2", "件"), ("＞＝80%", "≥", "80", "%"), ("＜＝20%", "≤", "20", "%"),
    ("═100%", "=", "100", "%"), ("﹦4条", "=", "4", "条"), ("不超过上年的5%", "≤", "5", "%"),
    ("费用不超过合同价的110%", "≤", "110", "%"), ("不小于10个", "≥", "10", "个"), ("未超出100万元", "≤", "100", "万元"),
    ("控制在5%以内", "≤", "5", "%"), ("大于3次", ">", "3", "次"),
])
def test_operator_words_and_glyphs(cell, operator, number, unit):
    parsed = parse_value(cell)
    assert (parsed.operator, parsed.number, parsed.unit) == (operator, D(number), unit)


def test_operator_word_before_the_number_scores_as_a_ceiling():
    # 费用不超过合同价的110%, actual 120%: ≤ → 110/120 = 91.67%, not '=' (which would be met)
    ind = one("费用不超过合同价的110%", "120%")
    assert (ind.operator, ind.completion_pct, ind.score) == ("≤", D("91.67"), D("82.5"))
    assert one("不超过上年的5%", "4%").completion_pct == D("100")


def test_longer_operator_word_wins():
    assert one("大于等于95%", "95%").warnings == []  # ≥, not > (which would warn about strictness)


@pytest.mark.parametrize("cell", ["≮5%", "≯5%", "≮ 95 %"])
def test_negated_operator_is_an_error(cell):
    assert "否定形式" in problem(cell, "5%")


@pytest.mark.parametrize("operator, completion", [("大于等于", "80"), ("⩾", "80"), ("小于等于", "100"), ("═", "80")])
def test_split_operator_column_accepts_the_same_words(operator, completion):
    sheet = project([{"level1": "产出指标", "level2": "数量指标", "name": "x", "operator": operator, "value": 10,
                      "unit": "件", "actual": "8件", "weight": 90}], execution_weight=10)
    assert score_sheet(sheet).indicators[0].completion_pct == D(completion)


def test_split_negated_operator_is_an_error():
    sheet = project([{"level1": "产出指标", "name": "x", "operator": "≯", "value": 10, "actual": "8", "weight": 90}],
                    execution_weight=10)
    with pytest.raises(InputError, match="否定形式"):
        score_sheet(sheet)


@pytest.mark.parametrize("cell", ["≥–5%", "≥-5%", "≥—5%", "≥−5%", "≥﹣5%", "≥－5%", "≥‐5%", "-3人", "–3人"])
def test_dash_before_number_is_negative(cell):
    with pytest.raises(CellValueError, match="负数"):
        parse_value(cell)


def test_dates_are_not_negative_numbers():
    assert parse_value("2024-12-31").numbers == 3


# -- §9 numbers ------------------------------------------------------------------------------

def test_commas_only_in_groups_of_three():
    assert parse_value("≥1,234.5件").number == D("1234.5")
    assert parse_value("1,000,000元").number == D("1000000")
    assert parse_number("1,234") == D("1234")
    for bad in ("26,6", "1,2345", "1,234,5", "12,34万元"):
        with pytest.raises(CellValueError, match="千位分隔符"):
            parse_value(bad)
    with pytest.raises(CellValueError, match="千位分隔符"):
        parse_number("26,6")


def test_comma_in_a_budget_amount_is_an_error_not_266(tmp_path):
    path = write(tmp_path, "p.yaml", PROJECT_YAML.format(initial='"26,6"', executed=10))
    stderr = assert_one_chinese_line(run("score", path), path)
    assert "字段 budget.initial（年初预算数）" in stderr and "千位分隔符" in stderr


def test_thousands_in_a_budget_amount(tmp_path):
    path = write(tmp_path, "p.yaml", PROJECT_YAML.format(initial='"1,000"', executed=500))
    result = run("score", path, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout, parse_float=D)["execution_rate"] == D("50")


@pytest.mark.parametrize("cell, what", [
    ("≥5²个", "上标"), ("5₂个", "下标"), ("≥٣个", "非阿拉伯数字"), ("≥५个", "非阿拉伯数字"),
    ("≥1e3次", "科学计数法"), ("1E5", "科学计数法"), ("0x10", "十六进制"), ("≥0X1F个", "十六进制"),
])
def test_unusual_digit_forms_are_errors(cell, what):
    with pytest.raises(CellValueError, match=what):
        parse_value(cell)


def test_superscript_in_a_unit_and_circled_list_marks_are_text():
    assert parse_value("≥100m²") == Quantity("≥", D(100), "m²")
    assert parse_value("①完成培训").numbers == 0


def test_fullwidth_digits_still_fold():
    assert parse_value("≥１２３件").number == D(123)


@pytest.mark.parametrize("raw, message", [
    (D("1e999999999999"), "过大"), (D("1e-400"), "过小"), ("0.0000000001", "过小"), ("<5000 digits>", "过大"),
    ("1e999999999999", "科学计数法"), ("0x10", "十六进制"), ("1:30.5", "不是数字"),
])
def test_extreme_numbers_are_clean_errors(raw, message):
    raw = 10 ** 5000 if raw == "<5000 digits>" else raw  # no str() of it: Python's int-str limit
    with pytest.raises(CellValueError, match=message) as info:
        parse_number(raw)
    assert len(str(info.value)) < 120  # a 5000-digit number is never printed whole


def test_quantize_beyond_28_digits():
    assert quantize(D("999999999999999") / D("0.000001") * 100, 2) == D("99999999999999900000000.00")


@pytest.mark.parametrize("initial, executed", [("0.0000000001", 999999999999999), ("1e-400", 9), ("1e300", 9),
                                               ('"1e999999999999"', 9), ("9" * 5000, 9)])
def test_extreme_budgets_are_one_chinese_line(tmp_path, initial, executed):
    path = write(tmp_path, "p.yaml", PROJECT_YAML.format(initial=initial, executed=executed))
    stderr = assert_one_chinese_line(run("score", path), path)
    assert "budget.initial" in stderr and len(stderr) < 300


def test_tiny_budget_with_huge_execution_scores_without_overflow():
    sheet = project([{"level1": "产出指标", "name": "x", "target": "≥1", "actual": "1", "weight": 90}],
                    budget={"initial": "0.000001", "executed": "999999999999999"}, execution_weight=10)
    result = score_sheet(sheet)
    assert result.execution_rate == D("99999999999999900000000.00") and result.total == D(100)


# -- units -----------------------------------------------------------------------------------

def test_unit_conversions():
    assert to_unit(Quantity(None, D("2.6"), "亿元"), "万元") == D("26000")
    assert to_unit(Quantity(None, D("1.186"), "万人"), "人") == D("11860")
    assert to_unit(Quantity(None, D("50000"), "元"), "万元") == D("5")
    with pytest.raises(CellValueError):
        to_unit(Quantity(None, D("1"), "万人"), "次")
    ind = one("≥12000人", "1.186万人")  # 11860 / 12000
    assert ind.completion_pct == D("98.83")
    assert one("≤3亿元", "29000万元").completion_pct == D("100")


def test_percent_spellings():
    assert parse_value("95%(百分比)").unit == "%"
    assert one("≥95%(百分比)", "96%").completion_pct == D("100")


# -- §5 grade texts ----------------------------------------------------------------------------

@pytest.mark.parametrize("actual", ["全部未完成", "基本达成但未能验收", "完成情况：没有达到预期"])
def test_a_negation_is_never_grade_a(actual):
    message = problem("有所提升", actual)
    assert "等级 C" in message  # C needs an explicit completion
    assert one("有所提升", actual, completion="40%").score == D("36")


@pytest.mark.parametrize("actual", ["完成率50%", "达成率40%", "完成80%"])
def test_a_grade_text_holding_a_number_is_an_error(actual):
    assert "含数值" in problem("有所提升", actual)
    assert one("有所提升", actual, completion="50%").grade == "C"


def test_actual_equal_to_target_text_is_a_whatever_it_holds():
    ind = one("完成1部宣传片,2套方案", "完成1部宣传片,2套方案")
    assert (ind.grade, ind.score) == ("A", D("90"))


# -- §9 bare numbers against % targets ---------------------------------------------------------

def test_bare_fraction_against_percent_target_is_ambiguous():
    message = problem("≥95%", "0.98")
    assert "0.98%" in message and "98%" in message and "「98%」" in message


def test_bare_number_takes_the_percent_unit():
    assert one("≥100%", "100").completion_pct == D("100")
    assert one("≥95%", "90").completion_pct == D("94.74")
    assert one("≥0.5%", "0.4").completion_pct == D("80")  # target not above 1: no ambiguity


# -- §9 zero in words --------------------------------------------------------------------------

@pytest.mark.parametrize("target, actual", [("小于5次", "无上访"), ("≤3起", "无"), ("=0起", "零"), ("<2%", "未发生"),
                                            ("≤3次", "0 起"), ("0次", "无安全事故")])
def test_zero_in_words_is_zero(target, actual):
    ind = one(target, actual)
    assert (ind.kind, ind.actual, ind.completion_pct) == ("quantitative", D(0), D("100"))


def test_zero_in_words_against_a_floor_is_not_a_number():
    assert "定性等级" in problem("≥5次", "无上访")


# -- §9 deadlines ------------------------------------------------------------------------------

@pytest.mark.parametrize("target, actual, met", [
    ("9月前", "7月", True), ("9月前", "9月", True), ("9月前", "10月", False),
    ("12月底前", "12月", True), ("12月底前", "2024年12月31日", True),
    ("2024年12月31日前", "2024年11月20日", True), ("2024年12月31日前", "2025年1月3日", False),
    ("2024年11月底前完成", "2024年11月20日", True), ("2024年11月底前完成", "2024年12月5日", False),
    ("2024年11月底前完成", "按时完成", True), ("9月前", "已完成", True),
])
def test_deadlines(target, actual, met):
    if met:
        ind = one(target, actual, level2="时效指标", year=2024)
        assert (ind.grade, ind.score) == ("A", D("90"))
    else:
        assert "晚于期限" in problem(target, actual, level2="时效指标", year=2024)
        late = one(target, actual, level2="时效指标", year=2024, completion="70%")
        assert (late.grade, late.score) == ("B", D("63"))


def test_bare_month_under_timeliness_is_a_deadline():
    assert one("11月", "10月", level2="时效指标").grade == "A"
    assert "晚于期限" in problem("2024年11月底", "2024年12月1日", level2="时效指标", year=2024)


def test_month_without_year_takes_the_sheets_year():
    assert "晚于期限" in problem("12月底前", "2025年1月5日", level2="时效指标", year=2024)
    assert one("12月底前", "2023年12月5日", level2="时效指标", year=2024).grade == "A"


def test_duration_is_not_a_deadline():
    assert one("≤3个月", "2个月", level2="时效指标").kind == "quantitative"


# -- §9 level names with a printed share ---------------------------------------------------------

def test_level_share_is_stripped_and_used_by_the_default_split():
    def ind(level1, name):
        return {"level1": level1, "level2": "数量指标", "name": name, "target": "≥1", "actual": "1"}
    sheet = project([ind("产出指标(60分)", "a"), ind("效益指标（20分）", "b"), ind("满意度指标(10分)", "c")])
    result = score_sheet(sheet)
    assert [i.level1 for i in result.indicators] == ["产出指标", "效益指标", "满意度指标"]
    assert [i.weight for i in result.indicators] == [D(60), D(20), D(10)]
    assert sheet.indicators[0].level1_share == D(60)
    plain = score_sheet(project([ind("产出指标", "a"), ind("效益指标", "b"), ind("满意度指标", "c")]))
    assert [i.weight for i in plain.indicators] == [D(50), D(30), D(10)]  # the policy's shares


def test_printed_shares_must_add_up():
    sheet = project([{"level1": "产出指标(70分)", "name": "a", "target": "≥1", "actual": "1"},
                     {"level1": "效益指标(30分)", "name": "b", "target": "≥1", "actual": "1"}])
    with pytest.raises(InputError, match="合计 120"):  # 10 + 70 + 30 + the policy's 满意度 10
        score_sheet(sheet)


# -- YAML ---------------------------------------------------------------------------------------

def test_yaml_12_numbers():
    data = load_mapping("a: 020\nb: 1:30\nc: 0x10\nd: 1e3\ne: yes\nf: 0.1\n", "t.yaml", "yaml")
    assert data == {"a": 20, "b": "1:30", "c": "0x10", "d": D("1E+3"), "e": "yes", "f": D("0.1")}
    assert type(data["f"]) is Decimal


@pytest.mark.parametrize("value, message", [("020", None), ("1:30", "不是数字"), ("0x10", "十六进制"), ("1:30.5", "不是数字")])
def test_yaml_number_forms_in_a_budget(tmp_path, value, message):
    path = write(tmp_path, "p.yaml", PROJECT_YAML.format(initial=value, executed=10))
    result = run("score", path, "--format", "json")
    if message is None:
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout, parse_float=D)["execution_rate"] == D("50")  # 10 / 20, not 10 / 16
    else:
        assert message in assert_one_chinese_line(result, path)


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


# -- files that are not regular files ------------------------------------------------------------

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


# -- §10 policy ranges ----------------------------------------------------------------------------

@pytest.mark.parametrize("setting, key, message", [
    ("grade_bands: {优: 70, 良: 80}", "grade_bands", "严格递减"),
    ("grade_bands: {优: 90, 良: 90}", "grade_bands", "严格递减"),
    ("grade_bands: {优: 120}", "grade_bands", "0–100"),
    ("shares: {产出指标: -5}", "shares", "不能为负数"),
    ("score_decimals: 7", "score_decimals", "≤ 6"),
    ("rate_decimals: {project: -1}", "rate_decimals.project", "不能为负数"),
    ("rate_decimals: {project: 1.5}", "rate_decimals.project", "应为整数"),
    ("qualitative_bands: {B: [50, 70]}", "qualitative_bands", "首尾相接"),
    ("qualitative_bands: {A: [80, 120]}", "qualitative_bands", "≤ 100"),
    ("overachievement_warn_ratio: 0.5", "overachievement_warn_ratio", "> 1"),
    ("execution_weight: 101", "execution_weight", "≤ 100"),
    ("grade_prefixes: {A: ['']}", "grade_prefixes", "空的文字"),
])
def test_policy_settings_out_of_range(tmp_path, setting, key, message):
    path = write(tmp_path, "rules.yaml", f"preset: default\n{setting}\n")
    with pytest.raises(InputError) as info:
        load_policy(path)
    text = str(info.value)
    assert f"文件 {path}" in text and f"字段 {key}" in text and message in text, text
    assert not leaked_english(text), text


def test_hubei_bands_still_valid():
    assert load_policy("hubei").qualitative_bands["B"] == (D(50), D(80))
    assert list(load_policy("default").grade_bands.items()) == [("优", D(90)), ("良", D(80)), ("中", D(60))]


def test_no_pydantic_english_in_a_project_file(tmp_path):
    path = write(tmp_path, "p.yaml", PROJECT_YAML.format(initial=10, executed=9) + "year: 2024.5\n")
    stderr = assert_one_chinese_line(run("score", path), path)
    assert "字段 year（年度）: 应为整数" in stderr
    assert not leaked_english(stderr), stderr


def test_workbook_cell_of_1e300_is_read_then_refused():
    from perfscore.xlsx.reader import cell_value

    value = cell_value(1e300)  # float-ok: what python-calamine returns for such a cell
    assert value == D("1E+300")
    with pytest.raises(CellValueError, match="过大"):
        parse_number(value)


@pytest.mark.parametrize("field, value", [("year", "1e999999999"), ("year", "9" * 5000)])
def test_absurd_integer_fields_are_refused_before_conversion(tmp_path, field, value):
    # pydantic would build a billion-digit int from 1e999999999 (a hang): refused as too large first
    path = write(tmp_path, "p.yaml", PROJECT_YAML.format(initial=10, executed=9) + f"{field}: {value}\n")
    assert "过大" in assert_one_chinese_line(run("score", path), path)


def test_absurd_policy_integers_are_refused(tmp_path):
    path = write(tmp_path, "rules.yaml", "score_decimals: 1e999999999\n")
    with pytest.raises(InputError, match="字段 score_decimals.*过大"):
        load_policy(path)


def test_a_5000_digit_target_is_refused_quickly():
    with pytest.raises(CellValueError, match="过大"):
        parse_value("≥" + "9" * 5000)
    with pytest.raises(CellValueError, match="过大"):
        parse_value("≥" + "9" * 5000 + "e件")  # the exponent scan is linear in the digits


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


@pytest.mark.parametrize("cell, operator", [("≥=95%", "≥"), ("=≥95%", "≥"), ("增长率=不低于5%", "≥"), ("高于95%以上", ">"),
                                            ("=5%以内", "≤"), ("低于5%以下", "<")])
def test_redundant_operators_agree(cell, operator):
    assert parse_value(cell).operator == operator


@pytest.mark.parametrize("cell", ["≥≤5", "不低于5%以内", "≤95%以上", "高于上年且不超过10%"])
def test_opposite_operators_are_an_error(cell):
    with pytest.raises(CellValueError, match="运算符"):
        parse_value(cell)


@pytest.mark.parametrize("text, message", [
    ("a: !!int 0x10\n", "「0x10」不是十进制整数"), ("a: !!float abc\n", "「abc」不是数字"),
    ("- - - " * 400 + "x\n", "嵌套层数过深"), ("a: &x\n  b: *x\n", "循环引用"),
    ("a: 1\n---\nb: 2\n", "只能有一个"), ("name: *nope\n", "未定义的别名"),
])
def test_more_yaml_forms_are_chinese(text, message):
    with pytest.raises(InputError, match=message) as info:
        load_mapping(text, "t.yaml", "yaml")
    assert not leaked_english(str(info.value))
