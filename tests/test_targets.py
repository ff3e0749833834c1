"""Declared targets (issue 22): reading 绩效目标表, ``init --from`` and ``audit --targets``."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from perfscore import api
from perfscore.cli import main
from perfscore.errors import SheetError
from perfscore.forms.targets import read_declarations
from perfscore.model import Project
from perfscore.scoring import score_sheet
from perfscore.targets import Declaration, DeclaredIndicator, compare, normal_name, pick
from perfscore.inputs import read_inputs

from targetbuilder import Row, Table, seed_tables, write_budget_public, write_national

from conftest import ROOT, SAMPLES
SAMPLE = SAMPLES / "targets" / "hebei_chengde_2024_mubiao.xlsx"
SEED_001 = Path(__file__).parent / "seeds" / "001_mubiao.txt"  # seed 001's 绩效目标表 as published (docs/sources.md)


def _target(ind) -> str:
    if ind.target:
        return ind.target
    from perfscore.values import format_number

    return f"{ind.operator or ''}{format_number(ind.value)}{ind.unit or ''}"


def _table(sheet: Project) -> Table:
    t = Table("", "", sheet.name, sheet.budget.initial, sheet.budget.initial, "项目资金用途", [], sheet.goal or "目标")
    t.rows = [Row(i.level1, i.level2, i.name, i.name, _target(i), "年度工作计划") for i in sheet.indicators]
    return t


def _projects(folder: str) -> list[tuple[Path, Project]]:
    out = []
    for path in sorted((SAMPLES / folder).glob("*.yaml")):
        if path.name == "perfscore.yaml":
            continue
        inputs, _ = read_inputs([path])
        sheet = inputs[0].sheet
        if isinstance(sheet, Project):
            out.append((path, sheet))
    return out


# ------------------------------------------------------------------ reading


def test_the_shipped_sample_holds_seed_001s_28_tables():
    decls = read_declarations(SAMPLE)
    assert len(decls) == 28
    first = decls[0]
    assert first.name == "12348 法律服务热线" and first.code == "13080024P00010310005F"
    assert first.budget == Decimal("22.59") and first.fiscal == Decimal("22.59") and first.year == 2024
    assert [(i.level1, i.level2, i.name, i.target) for i in first.indicators[:2]] == [
        ("产出指标", "数量指标", "解答 12348 来电次数", "≥7000 次"), ("产出指标", "数量指标", "解答来访咨询人次", "≥400 人")]
    assert first.indicators[5].level2 == "成本指标" and first.indicators[5].target == "≤22.59 万元"
    assert first.indicators[-1].level1 == "满意度指标" and first.indicators[-1].basis == "随机调查"
    assert first.cells["budget"] == "C7" and first.indicators[0].target_cell == "E13"


def test_seed_001s_tables_become_28_project_files_equal_to_the_declaration(tmp_path):
    tables = seed_tables(SEED_001.read_text(encoding="utf-8"))
    assert len(tables) == 28
    book = write_budget_public(tables, tmp_path / "目标表.xlsx", one_sheet=False)
    written, notes, failures = api.init_from_targets(book, tmp_path / "out")
    assert failures == [] and len(written) == 28 and notes == []
    for table, path in zip(tables, written):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert data["name"] == table.name
        assert Decimal(str(data["budget"]["initial"])) == table.budget
        assert [(i["level1"], i["level2"], i["name"], i["target"]) for i in data["indicators"]] == [
            (r.level1, r.level2, r.name, r.target) for r in table.rows]
        assert all(i["actual"] is None for i in data["indicators"])
    # the committed sample is the same tables, stacked on one sheet
    assert [(d.name, d.budget, [(i.name, i.target) for i in d.indicators]) for d in read_declarations(SAMPLE)] == [
        (t.name, t.budget, [(r.name, r.target) for r in t.rows]) for t in tables]


def test_national_form_takes_the_yearly_side(tmp_path):
    sheets = [s for _, s in _projects("liaoning_chaoyang_2024")]
    book = write_national([_table(s) for s in sheets], tmp_path / "申报表.xlsx", "[105]朝阳市司法局", "朝阳市司法局", 2024)
    decls = read_declarations(book)
    assert [d.name for d in decls] == [s.name for s in sheets]
    for d, s in zip(decls, sheets):
        assert d.budget == s.budget.initial and d.fiscal == s.budget.initial  # 年度, not 中期 (3×)
        assert d.department == "[105]朝阳市司法局" and d.unit == "朝阳市司法局" and d.year == 2024
        assert [i.target for i in d.indicators] == [_target(i) for i in s.indicators]  # never 三年累计
        assert d.goal == s.goal


def test_two_indicator_tables_without_a_label_are_refused(tmp_path):
    sheets = [s for _, s in _projects("liaoning_chaoyang_2024")][:1]
    book = write_national([_table(s) for s in sheets], tmp_path / "申报表.xlsx", "x", "y", 2024)
    wb = openpyxl.load_workbook(book)
    ws = wb.worksheets[0]
    for rng in list(ws.merged_cells.ranges):
        if rng.min_row == 10:
            ws.unmerge_cells(str(rng))
    ws["B10"] = None
    ws["E10"] = None
    wb.save(book)
    with pytest.raises(SheetError) as err:
        read_declarations(book)
    assert "无法确定哪一张是年度指标" in str(err.value) and "C11、F11" in str(err.value)


def test_a_workbook_without_targets_is_refused_in_one_line(tmp_path):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "项目名称"
    wb.save(tmp_path / "x.xlsx")
    with pytest.raises(SheetError) as err:
        read_declarations(tmp_path / "x.xlsx")
    assert "找不到绩效目标表" in str(err.value)


def test_an_empty_target_is_written_empty_and_said(tmp_path):
    sheet = _projects("liaoning_chaoyang_2024")[0][1]
    t = _table(sheet)
    t.rows[1].target = None
    book = write_budget_public([t], tmp_path / "t.xlsx")
    written, notes, failures = api.init_from_targets(book, tmp_path / "one.yaml")
    assert failures == [] and written == [tmp_path / "one.yaml"]
    assert len(notes) == 1 and "E" in notes[0] and t.rows[1].name[:10] in notes[0] and "申报表未填指标值" in notes[0]
    data = yaml.safe_load((tmp_path / "one.yaml").read_text(encoding="utf-8"))
    assert data["indicators"][1]["target"] is None


# ------------------------------------------------------------------ init --from, then score


@pytest.mark.parametrize("folder", ["liaoning_chaoyang_2024", "hubei_qiaokou_2024"])
def test_init_from_targets_then_typing_actuals_scores_exactly(tmp_path, folder):
    projects = _projects(folder)
    tables = [_table(s) for _, s in projects]
    if folder.startswith("hubei"):
        book = write_national(tables, tmp_path / "申报表.xlsx", "武汉市硚口区司法局", "武汉市硚口区司法局", 2024)
    else:
        book = write_budget_public(tables, tmp_path / "目标表.xlsx")
    written, _, failures = api.init_from_targets(book, tmp_path / "out")
    assert failures == [] and len(written) == len(projects)
    for (path, sheet), out in zip(projects, written):
        inputs, _ = read_inputs([path])
        expected = score_sheet(sheet, inputs[0].policy)
        data = yaml.safe_load(out.read_text(encoding="utf-8"))
        assert Decimal(str(data["budget"]["initial"])) == sheet.budget.initial
        assert [(i["level1"], i["level2"], i["name"], i["target"]) for i in data["indicators"]] == [
            (i.level1, i.level2, i.name, _target(i)) for i in sheet.indicators]
        # the unit types the actuals and the weights
        data["budget"]["executed"] = str(sheet.budget.executed)
        if sheet.budget.adjusted is not None:
            data["budget"]["adjusted"] = str(sheet.budget.adjusted)
        if sheet.execution_weight is not None:
            data["execution_weight"] = str(sheet.execution_weight)
        for row, ind, scored in zip(data["indicators"], sheet.indicators, expected.indicators):
            row["actual"] = ind.actual
            row["weight"] = str(scored.weight)
            if ind.completion is not None:
                row["completion"] = str(ind.completion)
        typed = Project.model_validate(data)
        got = score_sheet(typed, inputs[0].policy)
        assert (got.total, got.grade) == (expected.total, expected.grade), sheet.name
        assert [i.score for i in got.indicators] == [i.score for i in expected.indicators]


def test_init_from_cli_writes_one_file_per_project(tmp_path):
    result = CliRunner().invoke(main, ["init", "--from", str(SAMPLE), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(files) == 28 and "公务运转经费.yaml" in files and "公务运转经费（2）.yaml" in files
    text = (tmp_path / "out" / "法律顾问经费.yaml").read_text(encoding="utf-8")
    assert "默认分配" in text  # the policy's split, marked as a default
    data = yaml.safe_load(text)
    assert [i["weight"] for i in data["indicators"]] == [12.5, 12.5, 12.5, 12.5, 15, 15, 10]


# ------------------------------------------------------------------ audit --targets


def _real_sheet(tmp_path) -> tuple[Path, Path, Project]:
    path, sheet = _projects("liaoning_chaoyang_2024")[-1]
    book = write_budget_public([_table(sheet)], tmp_path / "目标表.xlsx")
    return path, book, sheet


def test_audit_targets_of_the_matching_sheet_reports_nothing(tmp_path):
    path, book, _ = _real_sheet(tmp_path)
    result = CliRunner().invoke(main, ["audit", str(path), "--targets", str(book)])
    assert result.exit_code == 0, result.output
    assert "与绩效目标表" in result.output and "[" not in result.output



def _audit_changed(data: dict, path: Path, book: Path):
    """``perfscore audit`` of ``data`` (under ``liaoning``) written to ``path``, against ``book``."""
    data["policy"] = "liaoning"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return CliRunner().invoke(main, ["audit", str(path), "--targets", str(book)])

def test_audit_targets_names_a_dropped_a_lowered_and_an_added_indicator(tmp_path):
    path, book, sheet = _real_sheet(tmp_path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    dropped = data["indicators"].pop(0)
    lowered = next(i for i in data["indicators"] if str(i.get("target", "")).startswith((">=", "≥")))
    declared = lowered["target"]
    number = "".join(ch for ch in declared if ch.isdigit() or ch == ".")
    lowered["target"] = declared.replace(number, str(Decimal(number) / 2))
    added = dict(data["indicators"][0], name="新增的容易指标", target="≥1 次", actual="1 次")
    data["indicators"].append(added)
    weights = [i.get("weight") for i in data["indicators"]]
    if all(w is not None for w in weights):
        data["indicators"][-1]["weight"] = dropped["weight"]
    result = _audit_changed(data, tmp_path / "自评表.yaml", book)
    assert result.exit_code == 1, result.output
    assert f"[申报指标缺失] 申报的「{dropped['name']}」" in result.output
    assert f"[目标降低] 「{lowered['name']}」" in result.output and declared in result.output
    assert "[未申报的指标] 「新增的容易指标」" in result.output


def test_audit_targets_on_a_filled_sheet_names_the_cells(tmp_path):
    path, book, sheet = _real_sheet(tmp_path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["indicators"][0]["target"] = "= 5 条"
    data["policy"] = "liaoning"
    changed = tmp_path / "p.yaml"
    changed.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    written, failures = api.fill_files([changed], tmp_path / "自评表.xlsx")
    assert failures == [] and written
    checked, failures = api.audit_targets(written, book)
    assert failures == [] and len(checked) == 1
    kinds = [(f.kind, f.cell) for f in checked[0].findings]
    assert len(kinds) >= 1 and all(cell for _, cell in kinds), kinds


def test_a_sheet_with_no_declaration_names_the_candidates(tmp_path):
    path, book, _ = _real_sheet(tmp_path)
    other = _projects("liaoning_chaoyang_2024")[0][0]
    checked, failures = api.audit_targets([other], book)
    assert checked == [] and len(failures) == 1
    assert "目标表中没有项目" in failures[0].lines()[0] and "目标表中的项目：" in failures[0].lines()[0]


# ------------------------------------------------------------------ the comparison, kind by kind


def _decl(*rows, budget="10", weights=None) -> Declaration:
    inds = [DeclaredIndicator(l1, l2, name, target, Decimal(weights[n]) if weights else None, cell=f"C{n + 5}")
            for n, (l1, l2, name, target) in enumerate(rows)]
    return Declaration("目标表.xlsx", "项目", inds, budget=Decimal(budget))


def _sheet(*rows, budget="10", weights=None, initial=None) -> Project:
    inds = []
    for n, (l1, l2, name, target) in enumerate(rows):
        row = {"level1": l1, "level2": l2, "name": name, "target": target, "actual": "1"}
        if weights:
            row["weight"] = weights[n]
        if initial and n in initial:
            row["target_initial"] = initial[n]
        inds.append(row)
    return Project.model_validate({"name": "项目", "budget": {"initial": budget, "executed": "1"}, "indicators": inds})


Q = ("产出指标", "数量指标")


def _kinds(decl, sheet):
    return [f.kind for f in compare(decl, sheet)]


def test_a_lower_ge_is_easier_a_higher_le_is_easier_and_the_reverse_harder():
    assert _kinds(_decl((*Q, "件数", "≥1100件")), _sheet((*Q, "件数", "≥550件"))) == ["easier"]
    assert _kinds(_decl((*Q, "件数", "≥550件")), _sheet((*Q, "件数", "≥1100件"))) == ["harder"]
    assert _kinds(_decl((*Q, "天数", "≤7日")), _sheet((*Q, "天数", "≤10日"))) == ["easier"]
    # a bare amount under 成本指标 is ≤ (as in scoring)
    assert _kinds(_decl(("产出指标", "成本指标", "总成本", "20万元")), _sheet(("产出指标", "成本指标", "总成本", "25万元"))) == ["easier"]


def test_an_equal_target_moved_is_changed_and_operator_unit_text_are_their_own_kinds():
    assert _kinds(_decl((*Q, "条数", "=4条")), _sheet((*Q, "条数", "=5条"))) == ["changed"]
    assert _kinds(_decl((*Q, "条数", "≥4条")), _sheet((*Q, "条数", ">4条"))) == ["operator"]
    assert _kinds(_decl((*Q, "条数", "≥4条")), _sheet((*Q, "条数", "≥4件"))) == ["unit"]
    found = compare(_decl(("效益指标", "社会效益指标", "水平", "有所提升")), _sheet(("效益指标", "社会效益指标", "水平", "明显提升")))
    assert [f.kind for f in found] == ["text"] and not found[0].blocking


def test_budget_weight_and_a_recorded_adjustment():
    assert _kinds(_decl((*Q, "a", "≥1件"), budget="10"), _sheet((*Q, "a", "≥1件"), budget="10.004")) == []
    assert _kinds(_decl((*Q, "a", "≥1件"), budget="10"), _sheet((*Q, "a", "≥1件"), budget="10.01")) == ["budget"]
    assert _kinds(_decl((*Q, "a", "≥1件"), weights=["90"]), _sheet((*Q, "a", "≥1件"), weights=["80"])) == ["weight"]
    adjusted = compare(_decl((*Q, "a", "≥1100件")), _sheet((*Q, "a", "≥550件"), initial={0: "≥1100件"}))
    assert [f.kind for f in adjusted] == ["adjusted"] and not adjusted[0].blocking
    # a 年初指标值 that is not the declared one is itself a change
    assert "easier" in _kinds(_decl((*Q, "a", "≥1100件")), _sheet((*Q, "a", "≥550件"), initial={0: "≥900件"}))


def test_missing_undeclared_and_renamed():
    decl = _decl((*Q, "解答来电次数", "≥7000次"), (*Q, "代写文书", "≥60份"))
    assert _kinds(decl, _sheet((*Q, "解答来电次数", "≥7000次"))) == ["missing"]
    assert _kinds(decl, _sheet((*Q, "解答来电次数", "≥7000次"), (*Q, "代写文书", "≥60份"), (*Q, "新", "≥1份"))) == ["undeclared"]
    found = compare(decl, _sheet((*Q, "解答来电次数", "≥7000次"), (*Q, "代写法律文书", "≥60份")))
    assert [f.kind for f in found] == ["renamed?"] and "代写文书" in found[0].message


def test_names_compare_as_people_write_them():
    assert normal_name("  解答 12348 来电、来访响应率。") == normal_name("解答12348来电、来访响应率")
    assert normal_name("律师到岗值班率（%）") == normal_name("律师到岗值班率")
    assert normal_name("ＡＢＣ满意度") == normal_name("ABC满意度")
    assert normal_name("[105]教育部") == normal_name("教育部")
    decl = _decl((*Q, "解答 12348 来电次数。", "≥7000次"))
    assert _kinds(decl, _sheet((*Q, "解答１２３４８来电次数（次）", "≥ 7000 次"))) == []


def test_pick_by_name_and_unit():
    a = Declaration("t", "公务运转经费", [], unit="承德市司法局")
    b = Declaration("t", "公务运转经费", [], unit="承德市戒毒所")
    assert pick([a, b], "公务运转经费", "承德市戒毒所") is b
    assert "2 个项目名为" in pick([a, b], "公务运转经费")
    assert pick([a, b], "[7]公务运转经费。", "承德市司法局") is a


def test_batch_targets_go_to_the_problem_list_and_the_problem_sheet_never_the_public_text(tmp_path):
    from python_calamine import CalamineWorkbook

    path, book, sheet = _real_sheet(tmp_path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    lowered = data["indicators"][1]
    lowered["target"] = ">= 20 份"
    data["policy"] = "liaoning"
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "p.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(main, ["batch", str(folder), "-o", str(tmp_path / "out"), "--targets", str(book), "-j", "1"])
    assert result.exit_code == 0, result.output
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    public, problems = report.split("问题清单", 1)
    assert "与绩效目标表不符（1处）" in problems and lowered["name"] in problems and "目标降低" in problems
    assert "目标降低" not in public and "绩效目标表" not in public
    rows = CalamineWorkbook.from_path(str(tmp_path / "out" / "summary.xlsx")).get_sheet_by_name("问题").to_python()
    mine = [r for r in rows if r[0] == "目标"]
    assert len(mine) == 1 and mine[0][4] == lowered["name"] and mine[0][5] == "目标降低"


# ------------------------------------------------------------------ init --from into a 表样 (sheets)

from perfscore.sheets.templates import shipped_template_kind, template_for  # noqa: E402
from perfscore.values import Quantity, format_number, parse_value  # noqa: E402

TARGETS = ROOT / "samples" / "targets"
LAYOUTS = [name for name in ("project", "national", "hubei", "liaoning", "shanxi") if shipped_template_kind(name) == "project"]


def _met(target: str) -> str:
    """An actual that meets a declared target exactly, as a unit would type it."""
    q = parse_value(target)
    return f"{format_number(q.number)}{q.unit}" if isinstance(q, Quantity) and not q.label else target


def _type(path: Path, layout: str, executed, actuals: list, weights: list | None = None, completions: list | None = None,
          adjusted=None) -> None:
    """Type the unit's numbers into a sheet ``init --from`` wrote, at the cells of its layout."""
    m = template_for("project", layout).map
    wb = openpyxl.load_workbook(path)
    ws = wb[m.sheet] if m.sheet in wb.sheetnames else wb.worksheets[0]
    ws[m.fields["budget_executed"][0]] = float(executed)
    if adjusted is not None:
        ws[m.fields["budget_adjusted"][0]] = float(adjusted)
    t = m.tables["indicators"]
    for n, actual in enumerate(actuals):
        r = t.row + n
        ws[f"{t.columns['actual']}{r}"] = actual
        if weights and "weight" in t.columns:
            ws[f"{t.columns['weight']}{r}"] = float(weights[n])
        if completions and completions[n] is not None:
            cell = ws[f"{t.columns['completion']}{r}"]  # typed over its formula, as Excel stores 100%
            cell.value, cell.number_format = float(completions[n]), "0%"  # the model holds it as a fraction
    wb.save(path)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("folder", ["liaoning_chaoyang_2024", "hubei_qiaokou_2024"])
def test_init_from_targets_into_a_layout_then_typing_actuals_scores_exactly(tmp_path, folder, layout):
    book = TARGETS / ("liaoning_chaoyang_2024_mubiao.xlsx" if folder.startswith("liaoning") else "hubei_qiaokou_2024_shenbao.xlsx")
    projects = {s.name: (p, s) for p, s in _projects(folder)}
    policy = read_inputs([next(iter(projects.values()))[0]])[0][0].policy
    written, _, failures = api.init_from_targets(book, tmp_path / "自评表.xlsx", policy, layout)
    assert failures == [] and len(written) == len(projects)
    assert all(p.parent == tmp_path / "自评表" and p.suffix == ".xlsx" for p in written)  # several: one workbook each
    for out in written:
        path, sheet = projects[out.stem]
        expected = score_sheet(sheet, policy)
        _type(out, layout, sheet.budget.executed, [i.actual for i in sheet.indicators],
              [i.weight for i in expected.indicators], [i.completion for i in sheet.indicators], sheet.budget.adjusted)
        results, failures = api.score_files([out], policy)
        assert failures == [], failures[0].lines()
        got = results[0]
        assert (got.total, got.grade) == (expected.total, expected.grade), (layout, sheet.name)
        assert [i.score for i in got.indicators] == [i.score for i in expected.indicators]
        if sheet.name == "政府购买法律服务":
            assert (got.total, got.grade) == (Decimal("98.32"), "优")


def _cached(path: Path) -> dict[str, str]:
    """Every formula cell of the sheet → its cached value as stored (the file's own XML)."""
    import re
    import zipfile

    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    out = {}
    for m in re.finditer(r'<c r="([A-Z]+\d+)"[^>]*>(.*?)</c>', xml, re.S):
        if "<f>" in m.group(2) or "<f " in m.group(2):
            v = re.search(r"<v>(.*?)</v>", m.group(2))
            out[m.group(1)] = v.group(1) if v else ""
    return out


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_shipped_target_tables_into_a_layout_equal_the_declaration_and_show_blanks(tmp_path, layout):
    compiled = template_for("project", layout)
    helpers = set(compiled.helpers.get("indicators", {}).values())
    for book in sorted(TARGETS.glob("*.xlsx")):
        declarations = read_declarations(book)
        written, _, failures = api.init_from_targets(book, tmp_path / book.stem, None, layout)
        assert failures == [] and len(written) == len(declarations), book.name
        assert written[0].parent == tmp_path / book.stem and written[0].suffix == ".xlsx"
        assert len(api.init_from_targets(book, tmp_path / "yaml" / book.stem)[0]) == len(written)
        for decl, out in zip(declarations, written):
            # until the unit types the actuals, every formula the unit sees shows a blank
            shown = {ref: v for ref, v in _cached(out).items() if v and ref.rstrip("0123456789") not in helpers}
            assert shown == {}, (book.name, decl.name, shown)
            _type(out, layout, decl.budget, [_met(d.target) for d in decl.indicators])
            inputs, failures = read_inputs([out])
            assert failures == [], failures[0].lines()
            # (by the declaration itself: seed 001 declares two 公务运转经费, told apart only by 项目编码)
            assert [f.line() for f in compare(decl, inputs[0].sheet, inputs[0].cells)] == [], (book.name, decl.name)
            # the sheet scores as the project file init --from writes, with the same actuals
            got = api.score_files([out])[0][0]
            data = yaml.safe_load((tmp_path / "yaml" / book.stem / f"{out.stem}.yaml").read_text(encoding="utf-8"))
            data["budget"]["executed"] = str(decl.budget)
            for row in data["indicators"]:
                row["actual"] = _met(row["target"])
            expected = score_sheet(Project.model_validate(data), inputs[0].policy)
            assert got.total == expected.total == Decimal("100.00"), (book.name, decl.name)


def test_a_recalculated_declared_sheet_shows_blanks_not_zeros_grades_or_errors(tmp_path):
    from formbuilder import convert, soffice

    if soffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    import shutil

    book = TARGETS / "hubei_qiaokou_2024_shenbao.xlsx"
    files = []
    for layout in LAYOUTS:
        written, _, failures = api.init_from_targets(book, tmp_path / layout, None, layout)
        assert failures == []
        files.append(shutil.copy(written[0], tmp_path / f"{layout}.xlsx"))
    recalculated = convert([Path(f) for f in files], "xlsx", tmp_path / "lo", tmp_path / "profile")
    for layout, before, after in zip(LAYOUTS, files, recalculated):
        helpers = set(template_for("project", layout).helpers.get("indicators", {}).values())
        values = openpyxl.load_workbook(after, data_only=True).worksheets[0]
        shown = {ref: values[ref].value for ref in _cached(Path(before))
                 if ref.rstrip("0123456789") not in helpers and values[ref].value not in (None, "")}
        assert shown == {}, (layout, shown)


def test_init_from_cli_writes_a_sheet_for_one_project_and_a_folder_of_sheets_for_several(tmp_path):
    path, sheet = _projects("liaoning_chaoyang_2024")[-1]
    one = write_budget_public([_table(sheet)], tmp_path / "目标表.xlsx")
    result = CliRunner().invoke(main, ["init", "--from", str(one), "-o", str(tmp_path / "自评表.xlsx"), "-t", "liaoning"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "自评表.xlsx").is_file() and "默认分配" in result.output
    ws = openpyxl.load_workbook(tmp_path / "自评表.xlsx").worksheets[0]
    assert (ws["D3"].value, ws["D6"].value, ws["D11"].value, ws["E11"].value, ws["F11"].value, ws["G11"].value) == (
        sheet.name, float(sheet.budget.initial), sheet.indicators[0].name, "=", 4, "条")
    assert ws["H11"].value is None  # 全年完成值: the unit's
    result = CliRunner().invoke(main, ["init", "--from", str(TARGETS / "liaoning_chaoyang_2024_mubiao.xlsx"),
                                       "-o", str(tmp_path / "朝阳.xlsx")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "朝阳").iterdir()) == sorted(f"{s.name}.xlsx" for _, s in _projects("liaoning_chaoyang_2024"))
    assert not (tmp_path / "朝阳.xlsx").exists()


# ------------------------------------------------------------------ target tables in documents


def _declared(decls, squeeze: bool = False) -> list:
    """What a declaration says, to compare two readings (``squeeze``: texts without their
    whitespace, which a PDF's wrapped lines move)."""
    from perfscore.values import compact

    t = (lambda x: compact(x) if x else x) if squeeze else (lambda x: x)
    return [(d.name, d.department, d.unit, d.year, d.budget, d.fiscal, t(d.goal),
             [(i.level1, i.level2, t(i.name), t(i.target), i.weight) for i in d.indicators]) for d in decls]


def test_target_tables_in_a_word_document_read_like_the_workbook(tmp_path):
    from documents import word_report

    books = sorted(TARGETS.glob("*.xlsx"))
    # seed 001's 28 tables as 28 tables of one document (python-docx merges one 500-row table slowly)
    hebei = [Table("", d.code, d.name, d.budget, d.fiscal, "项目资金", [], d.goal or "",
                   [Row(i.level1, i.level2, i.name, i.description or "", i.target, i.basis or "") for i in d.indicators])
             for d in read_declarations(TARGETS / "hebei_chengde_2024_mubiao.xlsx")]
    assert books[0].name == "hebei_chengde_2024_mubiao.xlsx"
    books[0] = write_budget_public(hebei, tmp_path / "hebei_chengde_2024_mubiao.xlsx", one_sheet=False)
    for book in books:
        doc = word_report(book, tmp_path / f"{book.stem}.docx")
        assert _declared(read_declarations(doc)) == _declared(read_declarations(book)), book.name
    assert len(read_declarations(tmp_path / "hebei_chengde_2024_mubiao.docx")) == 28
    # init --from and audit --targets take the document
    doc = tmp_path / "liaoning_chaoyang_2024_mubiao.docx"
    written, notes, failures = api.init_from_targets(doc, tmp_path / "out")
    assert failures == [] and len(written) == 4
    path = ROOT / "samples" / "liaoning_chaoyang_2024" / "zhengfu_goumai_falv_fuwu.yaml"
    result = CliRunner().invoke(main, ["audit", str(path), "--targets", str(doc)])
    assert result.exit_code == 0 and "与绩效目标表" in result.output, result.output


def test_a_document_without_a_target_table_is_refused_naming_its_tables(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("资金来源表")
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "项目名称", "金额"
    d.save(tmp_path / "x.docx")
    with pytest.raises(SheetError) as err:
        read_declarations(tmp_path / "x.docx")
    assert "找不到绩效目标表" in str(err.value) and "第1个表格" in str(err.value)


def test_target_tables_in_a_printed_pdf_read_like_the_workbook(tmp_path):
    from documents import printable
    from formbuilder import convert, soffice

    if soffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    books = sorted(TARGETS.glob("*.xlsx"))
    pdfs = convert([printable(b, tmp_path / f"{b.stem}.xlsx") for b in books], "pdf", tmp_path / "pdf", tmp_path / "profile")
    for book, pdf in zip(books, pdfs):
        assert _declared(read_declarations(pdf), True) == _declared(read_declarations(book), True), book.name
    pdf = pdfs[[b.stem for b in books].index("liaoning_chaoyang_2024_mubiao")]
    path = ROOT / "samples" / "liaoning_chaoyang_2024" / "zhengfu_goumai_falv_fuwu.yaml"
    result = CliRunner().invoke(main, ["audit", str(path), "--targets", str(pdf)])
    assert result.exit_code == 0 and "与绩效目标表" in result.output, result.output
    written, _, failures = api.init_from_targets(pdf, tmp_path / "政府购买法律服务.xlsx")
    assert failures == [] and len(written) == 4
