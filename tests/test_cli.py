"""The CLI as a user runs it: output, exit codes, and one clear line per bad input."""

import json
from decimal import Decimal

import pytest
from click.testing import CliRunner

from perfscore.cli import main

from conftest import CHAOYANG, GOOD, GOUMAI, ROOT, SAMPLES, ZHENGTI, run


def write(tmp_path, text, name="x.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_score_table_shows_tree_totals_and_wide_alignment():
    result = run("score", GOUMAI, "--policy", "liaoning")
    assert result.exit_code == 0, result.output
    out = result.output
    for heading in ("一级指标", "二级指标", "三级指标", "完成程度", "得分", "总分 98.32", "等级 优", "预算执行率 83.16%"):
        assert heading in out
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("一级指标"))
    rule = lines[lines.index(header) + 1]
    from perfscore.output import display_width

    # the rule under the header is as wide as the header's columns (wide characters count 2)
    assert display_width(header) <= display_width(rule)


def test_score_json_matches_the_contract():
    result = run("score", GOUMAI, "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.output, parse_float=Decimal)
    assert set(data) == {"kind", "name", "execution_rate", "execution_score", "indicator_score", "deduction",
                         "total", "grade", "indicators", "tasks", "warnings", "discrepancies"}
    assert (data["execution_rate"], data["execution_score"], data["total"], data["grade"]) == (
        Decimal("83.16"), Decimal("8.32"), Decimal("98.32"), "优")
    first = data["indicators"][0]
    assert set(first) == {"level1", "level2", "name", "operator", "target", "unit", "actual", "completion",
                          "weight", "score", "needs_explanation", "warnings"}
    assert (first["operator"], first["target"], first["unit"], first["actual"]) == ("=", 4, "条", 5)
    assert first["needs_explanation"] is True


def test_score_json_department_lists_tasks():
    data = json.loads(run("score", ZHENGTI, "--format", "json", "--policy", "liaoning").output, parse_float=Decimal)
    assert [t["execution_rate"] for t in data["tasks"]] == [84, 89, 76, 94]
    assert data["execution_score"] == Decimal("34.3") and data["total"] == Decimal("94.3")


def test_explain_prints_the_arithmetic(tmp_path):
    result = run("score", write(tmp_path, GOOD), "--explain")
    assert result.exit_code == 0
    assert "培训场次: ≥10次，实际 8次 → 8/10 = 80% → 50 × 80% = 40" in result.output
    assert "预算执行率: 9 / 10 = 90% → 10 × 90% = 9" in result.output
    assert "总分 = 9.00 + 80.00 − 0 = 89.00 → 良" in result.output


def test_several_files_json_array_and_bad_one_left_out(tmp_path):
    bad = write(tmp_path, GOOD.replace("weight: 40", "weight: 30"), "bad.yaml")
    result = run("score", GOUMAI, bad, write(tmp_path, GOOD), "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert [d["name"] for d in data] == ["政府购买法律服务", "培训项目"]
    assert "bad.yaml" in result.stderr and "分值合计 90" in result.stderr


def test_check_lists_every_problem(tmp_path):
    text = GOOD.replace('actual: "8次"', 'actual: "8人"').replace('actual: "120人"', 'actual: "很好"')
    result = run("check", write(tmp_path, text))
    assert result.exit_code == 1
    assert "2 个问题" in result.stderr
    assert "第1个指标「培训场次」 字段 actual（全年完成值）: 实际值单位「人」与目标单位「次」不一致" in result.stderr
    assert "第2个指标「参训人数」" in result.stderr
    assert "Traceback" not in result.output


def test_check_ok(tmp_path):
    result = run("check", write(tmp_path, GOOD))
    assert result.exit_code == 0 and "无问题" in result.output


def test_usage_error_exits_2():
    assert run("score").exit_code == 2
    assert run("score", GOUMAI, "--format", "xml").exit_code == 2
    result = run("score", GOUMAI, "--policy", "shanghai")
    assert result.exit_code == 2 and "既不是预设" in result.stderr


BAD = [
    ("unit 元 vs 件", GOOD.replace('"8次"', '"8元"'), "第1个指标「培训场次」 字段 actual（全年完成值）: 实际值单位「元」与目标单位「次」不一致"),
    ("unit % vs 人", GOOD.replace('"120人"', '"95%"'), "第2个指标「参训人数」 字段 actual（全年完成值）: 实际值单位「%」与目标单位「人」不一致"),
    ("weights sum", GOOD.replace("weight: 40", "weight: 45"), "分值合计 105（预算执行率 10 + 指标 95），应为 100"),
    ("mixed weights", GOOD.replace(", weight: 40", ""), "第 2 个指标没有分值"),
    ("unknown grade", GOOD.replace('"≥100人", actual: "120人"', '规范执行, actual: 挺好'), "完成值「挺好」不是可识别的定性等级"),
    ("B without completion", GOOD.replace('"≥100人", actual: "120人"', '规范执行, actual: 部分达成'), "须填写完成程度"),
    ("completion outside band", GOOD.replace('"≥100人", actual: "120人"', '规范执行, actual: 部分达成, completion: "85%"'), "不在等级 B"),
    ("negative amount", GOOD.replace("executed: 9", "executed: -9"), "字段 budget.executed（执行数）: 不能为负数"),
    ("negative value", GOOD.replace('"8次"', '"-8次"'), "字段 actual（全年完成值）: 「-8次」为负数"),
    ("executed with no budget", GOOD.replace("initial: 10", "initial: 0"), "执行数 9 万元，但预算数为 0"),
    ("target without number", GOOD.replace('"≥10次"', '"≥"'), "字段 target（指标值）: 「≥」只有运算符，没有数值"),
    ("NaN", GOOD.replace("initial: 10", "initial: .nan"), "字段 budget.initial（年初预算数）: 数值不能是 NaN 或无穷大"),
    ("Infinity", GOOD.replace("weight: 50", "weight: .inf"), "字段 weight（分值）: 数值不能是 NaN 或无穷大"),
    ("empty indicators", GOOD.split("indicators:")[0] + "indicators: []\n", "字段 indicators（绩效指标）: 不能为空"),
    ("unknown key", GOOD.replace("cause: 疫情", "casue: 疫情"), "第1个指标「培训场次」 字段 casue: 未知字段（拼写错误？）"),
    ("not yaml", "name: [a\n  b: c", "不是有效的 YAML"),
    ("not a mapping", "- a\n- b\n", "顶层应为键值映射"),
]


@pytest.mark.parametrize("what, text, message", BAD, ids=[b[0] for b in BAD])
def test_bad_input_one_clear_line(tmp_path, what, text, message):
    path = write(tmp_path, text)
    result = run("score", path)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert message in result.stderr
    assert f"文件 {path}" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_json_and_missing_file(tmp_path):
    result = run("score", write(tmp_path, '{"name": "x", "budget": {"initial": NaN', "x.json"))
    assert result.exit_code == 1 and "不是有效的 JSON" in result.stderr
    result = run("score", tmp_path / "nope.yaml")
    assert result.exit_code == 1 and "不存在" in result.stderr
    result = run("score", write(tmp_path, "x", "x.txt"))
    assert result.exit_code == 1 and "不支持的文件类型" in result.stderr


def test_json_input_nan_is_rejected(tmp_path):
    data = {"name": "x", "budget": {"initial": 1, "executed": 1},
            "indicators": [{"level1": "产出指标", "name": "a", "target": "1", "actual": "1", "weight": 90}]}
    text = json.dumps(data).replace('"initial": 1', '"initial": NaN')
    result = run("score", write(tmp_path, text, "x.json"))
    assert result.exit_code == 1 and "NaN" in result.stderr


def test_gbk_file_fails_with_an_encoding_error(tmp_path):
    path = tmp_path / "gbk.yaml"
    path.write_bytes(GOOD.encode("gbk"))
    result = run("score", path)
    assert result.exit_code == 1 and "不是 UTF-8 编码" in result.stderr


def test_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode("utf-8"))
    assert run("score", path).exit_code == 0


def test_policy_file_overrides_a_preset(tmp_path):
    policy = write(tmp_path, "preset: hubei\nexecution_weight: 10\n", "p.yaml")
    result = run("score", SAMPLES / "hubei_qiaokou_2024" / "01_bawu_pufa.yaml", "--policy", policy, "--format", "json")
    data = json.loads(result.output, parse_float=Decimal)
    # hubei shares 40/30/10 scaled to 90: 45 / 33.75 / 11.25 → 效益 + 满意度 = 45 over three
    assert [i["weight"] for i in data["indicators"]] == [45, 15, 15, 15]


def test_policy_file_unknown_setting(tmp_path):
    policy = write(tmp_path, "preset: default\nexecution_wieght: 20\nrate_decimals: {projekt: 1}\n", "p.yaml")
    result = run("score", GOUMAI, "--policy", policy)
    assert result.exit_code == 2
    assert "execution_wieght" in result.output and "projekt" in result.output


def test_check_lists_weight_and_indicator_problems_together(tmp_path):
    text = GOOD.replace("weight: 40", "weight: 45").replace('actual: "8次"', 'actual: "8人"')
    result = run("check", write(tmp_path, text))
    assert result.exit_code == 1 and "2 个问题" in result.stderr
    assert "分值合计 105" in result.stderr and "实际值单位「人」与目标单位「次」不一致" in result.stderr


def test_check_lists_format_and_scoring_problems_at_once(tmp_path):
    # an unknown key (found by validation) and a unit mismatch and an unknown grade (found by scoring)
    text = (GOOD.replace("cause: 疫情", "casue: 疫情")
            .replace('"≥100人", actual: "120人"', '"≥100人", actual: "120次"'))
    text += "  - {level1: 效益指标, name: 意识, target: 有所提升, actual: 挺好, weight: 0}\n"
    result = run("check", write(tmp_path, text))
    assert result.exit_code == 1 and "3 个问题" in result.stderr
    assert "第1个指标「培训场次」 字段 casue: 未知字段" in result.stderr
    assert "第2个指标「参训人数」 字段 actual（全年完成值）: 实际值单位「次」与目标单位「人」不一致" in result.stderr
    assert "第3个指标「意识」 字段 actual（全年完成值）: 完成值「挺好」不是可识别的定性等级" in result.stderr


COMMANDS = ["score", "check", "fill", "import", "audit", "init", "batch"]


@pytest.mark.parametrize("command", COMMANDS)
def test_help_ends_with_a_real_example(command, tmp_path, monkeypatch):
    import shlex
    import shutil

    text = run(command, "--help").output.rstrip("\n").split("\n")
    assert text[-2].strip() == "例:" and text[-1].strip().startswith(f"perfscore {command} ")
    # the example runs as printed, from a copy of the repository's samples and examples
    for folder in ("samples", "examples"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    monkeypatch.chdir(tmp_path)
    args = shlex.split(text[-1].strip())[1:]
    result = CliRunner().invoke(main, args + (["-j", "1", "-q"] if command == "batch" else []))
    assert result.exit_code == 0, (args, result.output, result.stderr)


@pytest.mark.parametrize("args, line", [
    (["bogus"], "没有命令「bogus」（可用的命令: audit / batch / bundle / check / fill / import / init / score / serve）；用 perfscore --help 查看用法"),
    (["batch", "x", "-o", "y", "--jobs", "abc"], "--jobs/-j 的值无效：应为不小于 1 的整数；用 perfscore batch --help 查看用法"),
    (["batch", "x", "-o", "y", "--jobs", "0"], "--jobs/-j 的值无效：应为不小于 1 的整数；用 perfscore batch --help 查看用法"),
    (["batch"], "缺少参数 文件或目录（请至少给出一个）；用 perfscore batch --help 查看用法"),
    (["fill", "x.yaml"], "缺少选项 -o/--output；用 perfscore fill --help 查看用法"),
    (["score", "x.yaml", "--format", "xml"], "--format 的值无效：可选: table / json；用 perfscore score --help 查看用法"),
    (["score", "x.yaml", "--formt", "json"], "没有选项 --formt（是否想用 --format？）；用 perfscore score --help 查看用法"),
    (["\x1b[2Jx"], "没有命令「\\x1b[2Jx」（可用的命令: audit / batch / bundle / check / fill / import / init / score / serve）；用 perfscore --help 查看用法"),
])
def test_usage_errors_are_one_chinese_line(args, line):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [line]


def test_fill_onto_what_cannot_take_it(tmp_path):
    sample = CHAOYANG / "fazhi_jianshe.yaml"
    existing = tmp_path / "existing.txt"
    existing.write_text("x", encoding="utf-8")
    cases = [
        (["fill", sample, "-o", "/dev/full"], "输出目录 /dev/full: 不是目录（只有一个输入时，请用 .xlsx 结尾的文件名）"),
        (["fill", sample, sample, "-o", existing], f"输出目录 {existing}: 是一个已有的文件，不是目录"),
        (["fill", sample, "-o", existing / "x.xlsx"], f"无法写入 {existing / 'x.xlsx'}: 上级路径不是目录"),
    ]
    (tmp_path / "dangling.xlsx").symlink_to(tmp_path / "nowhere")
    cases.append((["fill", sample, "-o", tmp_path / "dangling.xlsx"],
                  f"无法写入 {tmp_path / 'dangling.xlsx'}: 不是普通文件（设备、管道或失效的链接），不会覆盖"))
    for args, line in cases:
        result = CliRunner().invoke(main, [str(a) for a in args])
        assert result.exit_code == 1 and result.stdout == "", args
        assert result.stderr.splitlines() == [line]
    assert existing.read_text(encoding="utf-8") == "x" and (tmp_path / "dangling.xlsx").is_symlink()


@pytest.mark.parametrize("err, reason", [(28, "磁盘已满"), (13, "没有写入权限"), (30, "没有写入权限（只读文件系统）"),
                                         (17, "已有同名文件"), (2, "目录不存在"), (5, "读写出错（I/O 错误）"), (99999, "系统错误")])
def test_os_errors_in_chinese(err, reason):
    from perfscore.writing import os_reason

    assert os_reason(OSError(err, "English words")) == reason


# ------------------------------------------------------------------ help pages in Chinese (issue 24)


def _help_pages():
    from perfscore.resources import PRESETS
    from perfscore.resources import TEMPLATE_NAMES

    names = sorted(main.commands)
    pages = {"": CliRunner().invoke(main, [], env={"COLUMNS": "80"}, prog_name="perfscore")}
    pages.update({n: CliRunner().invoke(main, [n, "--help"], env={"COLUMNS": "80"}, prog_name="perfscore") for n in names})
    ours = {"perfscore", "Excel", "CPU", "yaml", "json", "xlsx", "xls", "ods", "policy", "reported", "table", "text",
            "project", "department", "Windows", "Python", "current", *names, *PRESETS, *TEMPLATE_NAMES}
    return pages, ours


def test_every_help_page_is_chinese_and_fits_80_columns():
    """No help page shows click's English frame (用法 / 选项 / 命令 / 显示帮助并退出 / 必填 in its
    place); every line fits 80 terminal columns, a CJK character counted as two; what English
    is left is perfscore's own names (commands, presets, templates, formats); a bare
    `perfscore` lists the commands, one line each at least, and exits 0; each command's page
    ends with an example."""
    import re

    from perfscore.textwidth import display_width

    pages, ours = _help_pages()
    for name, run in pages.items():
        assert run.exit_code == 0, (name, run.output)
        lines = run.output.splitlines()
        assert lines[0].startswith("用法: perfscore"), (name, lines[0])
        assert "选项:" in lines and any("显示帮助并退出" in line for line in lines), name
        assert max(display_width(line) for line in lines) <= 80, (name, max(lines, key=display_width))
        words = re.findall(r"[A-Za-z][A-Za-z]{2,}", re.sub(r"-{1,2}[a-z][a-z-]*|\S*[./_]\S*", " ", run.output))
        assert set(words) <= ours, (name, set(words) - ours)
        if name:
            assert "例:" in lines[-2] and lines[-1].strip().startswith("perfscore " + name), name
    listed = pages[""].output.split("命令:")[1]
    assert all(re.search(rf"^  {n}\s+\S", listed, re.M) for n in main.commands)


def test_batch_required_output_says_so_in_chinese():
    run = CliRunner().invoke(main, ["batch", "--help"], env={"COLUMNS": "80"})
    line = next(line for line in run.output.splitlines() if "--output" in line)
    assert "[必填]" in line and "路径" in line


def test_help_wrapping_keeps_punctuation_off_a_line_start():
    from perfscore.clihelp import wrap
    from perfscore.textwidth import display_width

    lines = wrap("复核自评表：重新计算并列出与原表不一致的每个单元格；对照绩效目标表。", 20, "  ")
    assert all(display_width(line) <= 20 for line in lines)
    assert not any(line.strip()[0] in "，。；：）" for line in lines[1:])
    assert "".join(line.strip() for line in lines) == "复核自评表：重新计算并列出与原表不一致的每个单元格；对照绩效目标表。"


def test_json_failures_carry_the_problem_parts(tmp_path):
    """``score --format json``: a scoring error's 指标 and 字段 (and the field's path) come as
    values, one JSON object a line on stderr, as the page's JSON has them."""
    import json

    bad = tmp_path / "单位错.yaml"
    bad.write_text(GOOD.replace('actual: "8次"', 'actual: "8吨"'), encoding="utf-8")
    result = run("score", bad, "--format", "json")
    assert result.exit_code == 1 and result.stdout.strip() in ("", "[]")
    [line] = result.stderr.splitlines()
    failure = json.loads(line)
    [problem] = failure["problems"]
    assert (failure["file"], problem["indicator"], problem["field"], problem["path"]) == (
        str(bad), "培训场次", "全年完成值", "indicators[0].actual")
    assert problem["message"] == failure["error"] and "单位" in problem["message"]
