"""One input path: every command takes files, directories, filled sheets and flat
workbooks, and a workbook is opened once."""

import json
import shutil
from decimal import Decimal
from pathlib import Path


from perfscore import api
from perfscore.inputs import discover, iter_inputs, read_inputs
from perfscore.policy import load_policy
from perfscore.projectfile import read_sheet_file
from perfscore.scoring import score_sheet
from perfscore.sheets.fill import fill_sheet
from perfscore.xlsx import package


def project_files(folder):
    """A sample folder's project files (its perfscore.yaml is the folder's policy, not a project)."""
    return [p for p in sorted(folder.glob("*.yaml")) if p.name != "perfscore.yaml"]

from conftest import FLAT, GOUMAI, SAMPLES, run
D = Decimal


def filled(tmp_path, name="sheet.xlsx"):
    return fill_sheet(score_sheet(read_sheet_file(GOUMAI), load_policy("liaoning")), tmp_path / name)


def test_score_a_flat_workbook_scores_every_project():
    result = run("score", FLAT, "--policy", "hubei", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output, parse_float=Decimal)
    assert len(data) == 11
    # the flat workbook holds the hubei samples: each project scores as its project file does
    policy = load_policy("hubei")
    by_name = {score_sheet(read_sheet_file(p), policy).name: score_sheet(read_sheet_file(p), policy).total
               for p in project_files(SAMPLES / "hubei_qiaokou_2024")}
    assert {d["name"]: d["total"] for d in data} == by_name


def test_check_a_directory_checks_every_file_below_it(tmp_path):
    shutil.copytree(SAMPLES, tmp_path / "in")
    (tmp_path / "in" / "deep").mkdir()
    (tmp_path / "in" / "deep" / "bad.yaml").write_text("kind: project\nname: 坏\n", encoding="utf-8")
    result = run("check", tmp_path / "in")
    assert result.exit_code == 1
    files = [p for p in sorted((tmp_path / "in").rglob("*.yaml")) if p.name != "perfscore.yaml"]
    assert len(files) == 17
    assert result.output.count(": 无问题") == 16
    assert "bad.yaml: " in result.output and "个问题" in result.output


def test_score_one_file_prints_one_object_and_a_directory_a_list():
    one = json.loads(run("score", GOUMAI, "--policy", "liaoning", "--format", "json").output)
    assert one["total"] == 98.32
    many = json.loads(run("score", GOUMAI.parent, "--policy", "liaoning", "--format", "json").output)
    assert isinstance(many, list) and len(many) == 5


def test_filled_sheet_input_knows_the_cell_of_each_field(tmp_path):
    sheet = filled(tmp_path)
    inputs, failures = read_inputs([sheet])
    assert failures == [] and len(inputs) == 1
    cells = inputs[0].cells
    # J12 is the 得分 of the third indicator (see test_excel's audit of that cell)
    assert cells["indicators[2].reported_score"] == "J12"
    assert cells["name"] and cells["budget.executed"]
    assert inputs[0].source == str(sheet)
    text, _ = read_inputs([GOUMAI])
    assert text[0].cells == {}


def test_each_workbook_is_opened_once(tmp_path, monkeypatch):
    sheet = filled(tmp_path)
    opened = []
    real = package.open_zip
    monkeypatch.setattr(package, "open_zip", lambda path, *a, **k: opened.append(path) or real(path, *a, **k))
    inputs, failures = read_inputs([sheet, FLAT])
    assert failures == [] and len(inputs) == 12
    assert opened == [sheet, FLAT]


def test_missing_input_is_a_failure_naming_it(tmp_path):
    results, failures = api.score_files([tmp_path / "nope.yaml", GOUMAI], load_policy("liaoning"))
    assert [r.total for r in results] == [D("98.32")]
    assert len(failures) == 1 and "nope.yaml" in str(failures[0].problems[0]) and "不存在" in str(failures[0].problems[0])


def test_discover_leaves_out_the_output_directory_and_hidden_files(tmp_path):
    shutil.copy(GOUMAI, tmp_path / "a.yaml")
    (tmp_path / "out").mkdir()
    shutil.copy(GOUMAI, tmp_path / "out" / "b.yaml")
    (tmp_path / ".hidden.yaml").write_text("x", encoding="utf-8")
    assert discover([tmp_path], skip=tmp_path / "out") == [tmp_path / "a.yaml"]


def test_the_batch_walk_finds_what_discover_finds_without_sorting(tmp_path):
    for name in ("c.yaml", "a.json", "sub/b.yaml", "sub/deeper/d.xlsx", ".hidden/e.yaml", "out/f.yaml", "g.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    found = discover([tmp_path], skip=tmp_path / "out")
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["a.json", "c.yaml", "sub/b.yaml", "sub/deeper/d.xlsx"]
    walked = list(iter_inputs([tmp_path], skip=tmp_path / "out", ordered=False))
    assert all(isinstance(p, str) for p in walked) and sorted(map(Path, walked)) == found


def test_fill_a_flat_workbook_writes_one_sheet_per_project(tmp_path):
    written, failures = api.fill_files([FLAT], tmp_path / "out", load_policy("hubei"))
    assert failures == [] and len(written) == 11
    assert len({p.name for p in written}) == 11  # one file per project, named after it
    again, _ = api.score_files(written, load_policy("hubei"))
    assert sorted(r.total for r in again) == sorted(r.total for r in api.score_files([FLAT], load_policy("hubei"))[0])


def test_audit_and_import_take_a_directory(tmp_path):
    filled(tmp_path, "a.xlsx")
    filled(tmp_path, "b.xlsx")
    results, failures = api.audit_files([tmp_path], load_policy("liaoning"))
    assert failures == [] and [r.findings for r in results] == [[], []]
    result = run("import", tmp_path, "-o", tmp_path / "yaml")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "yaml").iterdir()) == ["a.yaml", "b.yaml"]
    assert score_sheet(read_sheet_file(tmp_path / "yaml" / "a.yaml"), load_policy("liaoning")).total == D("98.32")


def test_run_batch_reports_its_own_count(tmp_path):
    calls = []
    outcome = api.run_batch([SAMPLES], tmp_path / "out", load_policy("liaoning"), jobs=1,
                            progress=lambda done, total: calls.append((done, total)))
    projects = [p for p in SAMPLES.rglob("*.yaml") if p.name != "perfscore.yaml"]
    files = len(projects) + len(list((SAMPLES / "targets").glob("*.xlsx")))  # 绩效目标表: counted, not scored
    assert len(outcome.results) == len(projects) == 16
    assert calls[0] == (0, files) and calls[-1] == (files, files) and len(calls) == files + 1


def test_problem_sheet_has_a_column_for_each_place(tmp_path):
    import openpyxl

    (tmp_path / "in").mkdir()
    sheet = filled(tmp_path / "in")
    wb = openpyxl.load_workbook(sheet)
    wb["项目绩效自评表"]["J12"] = 10  # 得分 of 资金使用合规率, printed as 10 instead of 12.5
    wb.save(sheet)
    (tmp_path / "in" / "bad.yaml").write_text("kind: project\nname: 坏表\n", encoding="utf-8")
    api.run_batch([tmp_path / "in"], tmp_path / "out", load_policy("liaoning"), jobs=1)
    rows = list(openpyxl.load_workbook(tmp_path / "out" / "summary.xlsx")["问题"].iter_rows(values_only=True))
    assert rows[0] == ("类别", "实施单位", "文件", "项目", "指标", "字段", "单元格", "问题", "原表值", "应为")
    wrong = next(r for r in rows if r[0] == "不一致")
    assert wrong[2:] == (str(sheet), "政府购买法律服务", "资金使用合规率", "得分", "J12",
                         "第3个指标「资金使用合规率」得分", 10, 12.5)
    error = next(r for r in rows if r[0] == "错误")
    assert error[2] == str(tmp_path / "in" / "bad.yaml") and "bad.yaml" in error[7]


def test_problem_is_its_line():
    from perfscore.errors import InputError, Problem

    problem = Problem("文件 a.yaml 第1个指标「x」 字段 actual（全年完成值）: 不是数字", file="a.yaml", cell="G5")
    error = InputError([problem, "文件 a.yaml: 缺少 name"])
    assert str(problem) == problem.message
    assert str(error) == "文件 a.yaml 第1个指标「x」 字段 actual（全年完成值）: 不是数字\n文件 a.yaml: 缺少 name"
    assert [p.cell for p in error.problems] == ["G5", None]


def test_empty_required_cells_are_problems_with_their_cell(tmp_path):
    import openpyxl

    sheet = filled(tmp_path)
    wb = openpyxl.load_workbook(sheet)
    wb["项目绩效自评表"]["C3"] = None  # 项目名称
    wb["项目绩效自评表"]["G11"] = None  # 全年完成值 of the 2nd indicator
    wb.save(sheet)
    [check] = api.check_files([sheet], load_policy("liaoning"))
    assert [(p.cell, p.field, p.indicator, p.file) for p in check.problems] == [
        ("C3", "项目名称", None, str(sheet)), ("G11", "全年完成值", "法律建议稿及说明数量", str(sheet))]
    assert str(check.problems[0]) == f"文件 {sheet}: 单元格 C3（项目名称）为空"


def test_import_a_flat_workbook_writes_one_project_file_per_project(tmp_path):
    result = run("import", FLAT, "-o", tmp_path / "yaml")
    assert result.exit_code == 0, result.output
    files = sorted((tmp_path / "yaml").glob("*.yaml"))
    assert len(files) == 11
    policy = load_policy("hubei")
    from_files = sorted(score_sheet(read_sheet_file(p), policy).total for p in files)
    assert from_files == sorted(r.total for r in api.score_files([FLAT], policy)[0])


def test_fill_into_a_directory_under_the_inputs_does_not_read_its_own_outputs(tmp_path):
    shutil.copytree(SAMPLES / "liaoning_chaoyang_2024", tmp_path / "in")
    policy = load_policy("liaoning")
    first, _ = api.fill_files([tmp_path / "in"], tmp_path / "in" / "out", policy)
    again, failures = api.fill_files([tmp_path / "in"], tmp_path / "in" / "out", policy)
    assert failures == [] and len(first) == len(again) == 5
    assert sorted(p.name for p in (tmp_path / "in" / "out").iterdir()) == sorted(p.name for p in first)
