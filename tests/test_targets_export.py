"""Declared targets from the budget system's export (issue 22, second part): the
项目支出绩效目标执行监控表 (built from the national template's terms: no seed prints one), a
workbook holding 申报表, 自评表 and 执行监控表 sheets side by side, seed 003's 部门整体支出
绩效目标申报表, the 疑似改名 rule and init's warnings."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from perfscore import api
from perfscore.cli import main
from perfscore.forms.targets import read_declarations

from formbuilder import build, convert, soffice
from targetbuilder import add_declared_sheets, write_monitoring
from test_targets import _audit_changed, _declared, _projects, _table, _target

DEPARTMENT = "[105]朝阳市司法局"


def _expected(sheet, unit: str) -> tuple:
    return (sheet.name, DEPARTMENT, unit, 2024, sheet.budget.initial, sheet.budget.initial, sheet.goal or "目标",
            [(i.level1, i.level2, i.name, _target(i)) for i in sheet.indicators])


def _said(d) -> tuple:
    return (d.name, d.department, d.unit, d.year, d.budget, d.fiscal, d.goal,
            [(i.level1, i.level2, i.name, i.target) for i in d.indicators])


# ------------------------------------------------------------------ 执行监控表


@pytest.mark.parametrize("folder", ["liaoning_chaoyang_2024", "hubei_qiaokou_2024"])
def test_a_monitoring_table_declares_its_yearly_targets_never_the_execution(tmp_path, folder):
    sheets = [s for _, s in _projects(folder)]
    book = write_monitoring([_table(s) for s in sheets], tmp_path / "执行监控表.xlsx", DEPARTMENT, "某实施单位", 2024)
    decls = read_declarations(book)
    # the 年初预算数, never the 全年预算数 (+5) or the 1-7月执行数; the 年度指标值, never 1-7月执行情况 / 全年预计
    assert [_said(d) for d in decls] == [_expected(s, "某实施单位") for s in sheets]
    assert all(d.cells["budget"] == "C6" and d.notes == [] for d in decls)
    assert decls[0].indicators[0].target_cell == "D12"  # under the two-row header (偏差原因分析 over 5 columns)


def test_the_monitoring_budget_is_found_by_its_header_not_its_place(tmp_path):
    sheets = [s for _, s in _projects("liaoning_chaoyang_2024")]
    order = ("全年预算数", "1-7月执行数", "年初预算数", "1-7月执行率")
    book = write_monitoring([_table(s) for s in sheets], tmp_path / "a.xlsx", DEPARTMENT, "u", 2024, order)
    decls = read_declarations(book)
    assert [(d.budget, d.fiscal, d.cells["budget"]) for d in decls] == [
        (s.budget.initial, s.budget.initial, "E6") for s in sheets]
    # no 年初预算数 column: no budget (never the 全年预算数 beside the label), and said where
    book = write_monitoring([_table(sheets[0])], tmp_path / "b.xlsx", DEPARTMENT, "u", 2024, order[:2])
    decl = read_declarations(book)[0]
    assert decl.budget is None and len(decl.notes) == 1
    assert "B6" in decl.notes[0] and "年初预算数" in decl.notes[0]


def test_init_from_a_monitoring_table_then_audit_the_real_sheet(tmp_path):
    path, sheet = _projects("liaoning_chaoyang_2024")[-1]
    book = write_monitoring([_table(sheet)], tmp_path / "执行监控表.xlsx", DEPARTMENT, sheet.unit or "u", 2024)
    written, notes, failures = api.init_from_targets(book, tmp_path / "p.yaml")
    assert failures == [] and notes == [] and written == [tmp_path / "p.yaml"]
    data = yaml.safe_load(written[0].read_text(encoding="utf-8"))
    assert Decimal(str(data["budget"]["initial"])) == sheet.budget.initial and data["year"] == 2024
    assert [(i["level1"], i["level2"], i["name"], i["target"]) for i in data["indicators"]] == [
        (i.level1, i.level2, i.name, _target(i)) for i in sheet.indicators]
    result = CliRunner().invoke(main, ["audit", str(path), "--targets", str(book)])
    assert result.exit_code == 0 and "与绩效目标表" in result.output, result.output


def test_a_monitoring_table_in_word_and_in_ods_xls_reads_like_the_workbook(tmp_path):
    from documents import word_report

    sheets = [s for _, s in _projects("liaoning_chaoyang_2024")]
    book = write_monitoring([_table(s) for s in sheets], tmp_path / "jk.xlsx", DEPARTMENT, "u", 2024)
    expected = _declared(read_declarations(book))
    assert _declared(read_declarations(word_report(book, tmp_path / "jk.docx"))) == expected
    if soffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    for fmt in ("ods", "xls"):
        converted = convert([book], fmt, tmp_path / fmt, tmp_path / "profile")[0]
        assert _declared(read_declarations(converted)) == expected, fmt


# ------------------------------------------------------------------ the budget system's export: 申报表 + 自评表


def _export(tmp_path: Path, edit=None, monitoring: bool = True) -> tuple[Path, object]:
    """The export of one project: its 申报表 (as declared), its 自评表 (national layout,
    ``edit`` applied to the sheet first) and its 执行监控表, one workbook."""
    path, sheet = _projects("liaoning_chaoyang_2024")[-1]
    table = _table(sheet)
    typed = sheet.model_copy(deep=True)
    if edit:
        edit(typed)
    book = build(tmp_path / "导出.xlsx", [("项目支出绩效自评表", typed)], "national")
    add_declared_sheets(book, [table], DEPARTMENT, sheet.unit or "朝阳市司法局", 2024, monitoring=monitoring)
    return book, sheet


def test_the_export_audits_against_its_own_declaration(tmp_path):
    book, sheet = _export(tmp_path)
    assert openpyxl.load_workbook(book).sheetnames == ["绩效目标申报表1", "项目支出绩效自评表", "执行监控表1"]
    decls = read_declarations(book)  # the 申报表 is the declaration; the 执行监控表 of the same project is not a second
    assert len(decls) == 1 and "绩效目标申报表1" in decls[0].source
    result = CliRunner().invoke(main, ["audit", str(book), "--targets", str(book)])
    assert result.exit_code == 0, result.output
    assert "与绩效目标表" in result.output and "[" not in result.output
    # init --from the export reads the 申报表, never the 自评表's actuals
    written, _, failures = api.init_from_targets(book, tmp_path / "p.yaml")
    assert failures == [] and all(i["actual"] is None for i in yaml.safe_load(written[0].read_text(encoding="utf-8"))["indicators"])


def _ge(ind) -> bool:
    return str(ind.target or "").startswith((">=", "≥"))


def test_the_export_with_a_dropped_a_lowered_and_an_added_indicator_exits_1_naming_them(tmp_path):
    def edit(s):
        s.indicators.pop(0)
        lowered = next(i for i in s.indicators if _ge(i))
        number = "".join(ch for ch in lowered.target if ch.isdigit() or ch == ".")
        lowered.target = lowered.target.replace(number, str(Decimal(number) / 2))
        s.indicators.append(s.indicators[0].model_copy(update={"name": "新增的容易指标"}))

    book, sheet = _export(tmp_path, edit, monitoring=False)
    dropped = sheet.indicators[0].name
    lowered = next(i for i in sheet.indicators[1:] if _ge(i)).name
    result = CliRunner().invoke(main, ["audit", str(book), "--targets", str(book)])
    assert result.exit_code == 1, result.output
    assert f"[申报指标缺失] 申报的「{dropped}」" in result.output
    assert f"[目标降低] 「{lowered}」" in result.output
    assert "[未申报的指标] 「新增的容易指标」" in result.output


# ------------------------------------------------------------------ 疑似改名: a similar name under the same 二级


def test_a_similar_name_with_the_same_level_and_target_is_one_rename_finding():
    from perfscore.targets import compare, similarity

    from test_targets import Q, _decl, _sheet

    assert similarity("案件办理数量", "办理案件数量") == 1
    assert similarity("律师值班率", "律师值守率") == Decimal("0.8")
    assert similarity("律师值班率", "律师守岗率") == Decimal("0.6")
    decl = _decl((*Q, "案件办理数量", "≥1100件"), (*Q, "律师值班率", "≥95%"))
    found = compare(decl, _sheet((*Q, "办理案件数量", "≥1100件"), (*Q, "律师值守率", "≥95%")))
    assert [f.kind for f in found] == ["renamed?", "renamed?"]
    assert "「办理案件数量」" in found[0].message and "「案件办理数量」" in found[0].message
    assert "「律师值守率」" in found[1].message and "「律师值班率」" in found[1].message
    # just under the threshold (0.6 of the shorter name): one dropped and one added, never a rename
    found = compare(decl, _sheet((*Q, "案件办理数量", "≥1100件"), (*Q, "律师守岗率", "≥95%")))
    assert sorted(f.kind for f in found) == ["missing", "undeclared"]
    # similar, but under another 二级 or with another target: not a rename
    assert sorted(f.kind for f in compare(decl, _sheet((*Q, "律师值班率", "≥95%"), ("产出指标", "质量指标", "办理案件数量", "≥1100件")))) == [
        "missing", "undeclared"]
    assert sorted(f.kind for f in compare(decl, _sheet((*Q, "律师值班率", "≥95%"), (*Q, "办理案件数量", "≥550件")))) == [
        "missing", "undeclared"]
    # two declared candidates (0.875 and 1.0 alike): the more alike one is renamed, the other missing
    decl = _decl((*Q, "法律文书代写数量", "≥60份"), (*Q, "代写文书份数", "≥60份"))
    assert similarity("法律文书代写数量", "代写法律文书份数") == Decimal("0.875")
    found = compare(decl, _sheet((*Q, "代写法律文书份数", "≥60份")))
    assert [f.kind for f in found] == ["renamed?", "missing"] and "「代写文书份数」" in found[0].message
    assert "「法律文书代写数量」" in found[1].message


# ------------------------------------------------------------------ init --from: -t with a project file, an empty 指标值


def _one_empty(tmp_path: Path) -> tuple[Path, object, str]:
    from targetbuilder import write_budget_public

    sheet = _projects("liaoning_chaoyang_2024")[0][1]
    t = _table(sheet)
    t.rows[1].target = None
    book = write_budget_public([t], tmp_path / "目标表.xlsx")
    return book, t, read_declarations(book)[0].indicators[1].target_cell


def test_init_from_into_a_project_file_with_a_layout_warns_that_the_layout_is_unused(tmp_path):
    book, _, _ = _one_empty(tmp_path)
    out = tmp_path / "p.yaml"
    result = CliRunner().invoke(main, ["init", "--from", str(book), "-o", str(out), "-t", "liaoning"])
    assert result.exit_code == 0, result.output
    assert "-t liaoning" in result.stderr and "项目文件" in result.stderr and "已忽略" in result.stderr
    assert "-t" not in result.stdout and yaml.safe_load(out.read_text(encoding="utf-8"))["kind"] == "project"
    # into a sheet, -t is the layout: no such warning
    result = CliRunner().invoke(main, ["init", "--from", str(book), "-o", str(tmp_path / "p.xlsx"), "-t", "liaoning"])
    assert result.exit_code == 0 and "已忽略" not in result.stderr, result.output


def test_an_empty_declared_target_is_said_in_the_users_words_in_the_file_and_for_the_sheets_cell(tmp_path):
    book, t, declared_cell = _one_empty(tmp_path)
    written, notes, failures = api.init_from_targets(book, tmp_path / "p.yaml")
    assert failures == [] and len(notes) == 1
    text = written[0].read_text(encoding="utf-8")
    comment = text.split("\n")[0]
    assert comment.startswith("#") and f"申报表未填指标值：「{t.rows[1].name}」（目标表 {declared_cell}）" in comment
    assert yaml.safe_load(text)["indicators"][1]["target"] is None
    assert notes[0].startswith(str(written[0])) and "申报表未填指标值" in notes[0]
    for layout in ("project", "liaoning", "shanxi"):
        out = tmp_path / f"{layout}.xlsx"
        written, notes, failures = api.init_from_targets(book, out, template=layout)
        assert failures == [] and written == [out]
        unfilled = [n for n in notes if "申报表未填指标值" in n]
        assert len(unfilled) == 1 and f"目标表 {declared_cell}" in unfilled[0] and "请在自评表中填写指标值" in unfilled[0]
        cell = unfilled[0].split("单元格 ")[1].split(":")[0]
        ws = openpyxl.load_workbook(out).worksheets[0]
        assert ws[cell].value is None, layout  # the cell named is the empty 指标值 …
        row = [ws.cell(ws[cell].row, c).value for c in range(1, ws.max_column + 1)]
        assert t.rows[1].name in row, (layout, row)  # … of that indicator's row
        above = [ws.cell(ws[cell].row - 1, c).value for c in range(1, ws.max_column + 1)]
        assert t.rows[0].name in above and ws.cell(ws[cell].row - 1, ws[cell].column).value is not None


# ------------------------------------------------------------------ seed 003: the 部门整体支出绩效目标申报表


def test_seed_003s_department_declaration_reads_its_budget_tasks_and_indicators(tmp_path):
    from targetbuilder import SEED_003, write_department

    decls = read_declarations(write_department(SEED_003, tmp_path / "整体申报表.xlsx"))
    assert len(decls) == 1
    d = decls[0]
    assert (d.kind, d.name, d.year, d.budget, d.cells["budget"]) == ("department", "朝阳县司法局", 2021, Decimal("845.44"), "D13")
    assert d.goal.startswith("目标1: 承担法制建设")
    assert [(t.name, t.budget) for t in d.tasks] == [
        ("人民调解及安置帮教以案定补", Decimal("104.08")), ("法律援助工作及律师案件补助", Decimal("40")),
        ("社区矫正信息化建设", Decimal("16.23"))]
    # 指标值 printed as 运算符 | 数值 | 单位 under one header: joined; a - beside a text target is no part of it
    assert [(i.level1, i.level2, i.name, i.target) for i in d.indicators] == [
        (l1, l2, name, (value if not op or op == "-" else f"{op}{value}{unit}")) for l1, l2, name, op, value, unit in SEED_003.rows]
    assert d.indicators[7].target == "≤5%" and d.indicators[-1].target == "长期"


def _zhengti():
    from perfscore.inputs import read_inputs
    from test_targets import ROOT

    path = ROOT / "samples" / "liaoning_chaoyang_2024" / "zhengti.yaml"
    inputs, _ = read_inputs([path])
    return path, inputs[0].sheet, inputs[0].policy


def _department_table(sheet):
    from targetbuilder import SEED_003, DepartmentTable

    return DepartmentTable(f"{sheet.name}整体绩效目标申报表 ({sheet.year}年度)", sheet.name, 53,
                           [("年度部门预算收入(1至7项合计)", sheet.department_budget)],
                           [("年度部门预算支出(一和二合计)", sheet.department_budget)], SEED_003.function,
                           [(t.name, t.name, t.budget, "12月") for t in sheet.tasks], sheet.goal,
                           [(i.level1, i.level2, i.name, "", _target(i), "") for i in sheet.indicators])


def test_init_from_a_department_declaration_then_typing_the_actuals_scores_exactly(tmp_path):
    from perfscore.model import Department
    from perfscore.scoring import score_sheet
    from targetbuilder import write_department

    path, sheet, policy = _zhengti()
    book = write_department(_department_table(sheet), tmp_path / "整体申报表.xlsx")
    written, notes, failures = api.init_from_targets(book, tmp_path / "整体.yaml")
    assert failures == [] and written == [tmp_path / "整体.yaml"]
    data = yaml.safe_load(written[0].read_text(encoding="utf-8"))
    assert data["kind"] == "department" and Decimal(str(data["department_budget"])) == sheet.department_budget
    assert [(t["name"], Decimal(str(t["budget"])), t["executed"], t["weight"]) for t in data["tasks"]] == [
        (t.name, t.budget, None, None) for t in sheet.tasks]
    assert [(i["level1"], i["level2"], i["name"], i["target"], i["actual"]) for i in data["indicators"]] == [
        (i.level1, i.level2, i.name, _target(i), None) for i in sheet.indicators]
    for row, task in zip(data["tasks"], sheet.tasks):  # the unit types what happened
        row.update(executed=str(task.executed), weight=str(task.weight))
    for row, ind in zip(data["indicators"], sheet.indicators):
        row.update(actual=ind.actual, weight=str(ind.weight))
        if ind.completion is not None:
            row["completion"] = str(ind.completion)
    got = score_sheet(Department.model_validate(data), policy)
    assert got.total == Decimal("94.30") == score_sheet(sheet, policy).total
    # a department declaration never becomes a project sheet
    written, _, failures = api.init_from_targets(book, tmp_path / "整体.xlsx")
    assert written == [] and len(failures) == 1 and "只能生成项目文件" in failures[0].lines()[0]


def test_audit_a_department_self_evaluation_against_its_declaration(tmp_path):
    from targetbuilder import write_department

    path, sheet, _ = _zhengti()
    book = write_department(_department_table(sheet), tmp_path / "整体申报表.xlsx")
    result = CliRunner().invoke(main, ["audit", str(path), "--targets", str(book)])
    assert result.exit_code == 0 and "与绩效目标表" in result.output and "[" not in result.output, result.output
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    dropped = data["indicators"].pop(0)["name"]
    lowered = next(i for i in data["indicators"] if i["name"] == "社会民众满意度")
    declared = lowered["target"]
    lowered["target"] = declared.replace("95", "85")
    data["department_budget"] = 1300
    result = _audit_changed(data, tmp_path / "整体.yaml", book)
    assert result.exit_code == 1, result.output
    assert f"[申报指标缺失] 申报的「{dropped}」" in result.output
    assert "[目标降低] 「社会民众满意度」" in result.output and declared in result.output
    assert "[预算数不符] 部门预算金额 1300 万元，申报的预算数为 1382.16 万元" in result.output
