"""Sheets people type into (issue 18): every shipped layout, filled or blank, typed into the
way Excel stores what a person types (openpyxl: 95% is 0.95 with a percent format, words are
text), recalculated by LibreOffice in ONE run, then read back: the sheet's own 总分, ``perfscore
score`` of the saved sheet and the project file agree, ``audit`` is clean, and no cell of any
sheet holds an error value.

Cases per layout (perfscore's own project and department sheets, national, national_department,
liaoning, hubei, shanxi):
  percent  a filled sample with 95% typed into a percent 全年完成值;
  grade    a filled sample whose grade word is typed down to 未达成预期指标 (the row and 总分 show
           the prompt; perfscore refuses the sheet with the same rule and the row's cell);
  blank    ``perfscore init -o x.xlsx`` typed in from scratch: a count (≥10次 / 8次), a percent
           typed as 98%, a grade word, weights where the layout has a 分值 column, the budget.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import yaml

from conftest import GOUMAI, SOFFICE, ZHENGTI, imported, run, soffice
from perfscore.policy import load_policy
from perfscore.projectfile import sheet_from_mapping
from perfscore.scoring import score_sheet
from perfscore.sheets.fill import BLANK_ROWS, BLANK_TASKS, fill_sheet, write_blank
from perfscore.sheets.templates import template_for, template_kind
from perfscore.xlsx.refs import col_letters, split_addr

D = Decimal
LAYOUTS = ("project", "national", "liaoning", "hubei", "shanxi", "department", "national_department")
# the policy each layout's blank form is made and scored with (hubei: its own split of the shares)
BLANK_POLICY = {"liaoning": "liaoning", "hubei": "hubei"}
ERRORS = ("#N/A", "#VALUE!", "#DIV/0!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "Err:")
GRADE_C = "未达成预期指标"
needs_soffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")


def place(compiled, counts: dict[str, int], field: str) -> str:
    """The address of a map field once the tables have ``counts`` rows."""
    col, row = split_addr(compiled.map.fields[field][0])
    return col_letters(col) + str(compiled.places(counts).sh.start(row))


def typed_percent(cell, value: float) -> None:  # float-ok: what Excel stores for a typed percent
    cell.value = value
    cell.number_format = "0%"


def sample(kind: str) -> dict:
    return yaml.safe_load((GOUMAI if kind == "project" else ZHENGTI).read_text("utf-8"))


def counts_of(data: dict) -> dict[str, int]:
    return {"indicators": len(data["indicators"]), **({"tasks": len(data["tasks"])} if "tasks" in data else {})}


def blank_counts(kind: str) -> dict[str, int]:
    """The rows of a blank form (``perfscore init``) of ``kind``."""
    return {"indicators": len(BLANK_ROWS), **({"tasks": BLANK_TASKS} if kind == "department" else {})}


def filled_sample(layout: str, out: Path):
    """The sample of the layout's kind scored under liaoning and filled into ``out``: the
    compiled layout, its kind and the sample's data."""
    compiled = template_for("project", layout)
    kind = template_kind(compiled)
    data = sample(kind)
    policy = load_policy("liaoning")
    fill_sheet(score_sheet(sheet_from_mapping(data, "x"), policy), out, layout, policy=policy)
    return compiled, kind, data


def percent_case(layout: str, folder: Path) -> tuple[Path, dict, str]:
    """95% typed into a percent 全年完成值: 咨询结果利用率 (≥90%) of 政府购买法律服务, or the first
    indicator (=100%) of the 整体 sheet."""
    out = folder / f"percent_{layout}.xlsx"
    compiled, kind, data = filled_sample(layout, out)
    i = 3 if kind == "project" else 0
    assert data["indicators"][i]["actual"] == "100 %"
    wb = openpyxl.load_workbook(out)
    pl = compiled.places(counts_of(data))
    typed_percent(wb.active[f"{compiled.map.tables['indicators'].columns['actual']}{pl.row('indicators', i)}"], 0.95)
    wb.save(out)
    data["indicators"][i]["actual"] = "95%"
    return out, data, "liaoning"


def grade_case(layout: str, folder: Path) -> tuple[Path, dict, str]:
    """The grade word of the first qualitative row typed down from 全部或基本达成预期指标."""
    out = folder / f"grade_{layout}.xlsx"
    compiled, _kind, data = filled_sample(layout, out)
    i = next(n for n, ind in enumerate(data["indicators"]) if ind["actual"] == "全部或基本达成预期指标")
    wb = openpyxl.load_workbook(out)
    pl = compiled.places(counts_of(data))
    wb.active[f"{compiled.map.tables['indicators'].columns['actual']}{pl.row('indicators', i)}"] = GRADE_C
    wb.save(out)
    data["indicators"][i]["actual"] = GRADE_C
    return out, {"index": i, **data}, "liaoning"


# what the unit types into a blank form: (row of the standard tree, name, operator, target, unit,
# actual, weight); a percent typed as 95% / 98% is a float with a percent format
# and the weight of a department sheet's row
BLANK_INDICATORS = [
    (0, "办件数量", "≥", 10, "次", "8次", 20),
    (1, "培训场次", "≥", 5, "场", "5场", 20),
    (4, "合格率", "≥", 0.95, "%", 0.98, 20),   # float-ok: typed percents
    (12, "群众评价", None, "有所提升", None, "全部或基本达成预期指标", 30),
]
DEPARTMENT_WEIGHT = 15
BLANK_TASK_ROWS = [("公用经费", 40, 36, 20), ("人员经费", 60, 60, 20)]


def blank_case(layout: str, folder: Path) -> tuple[Path, dict, str]:
    """``perfscore init -o x.xlsx`` (in the layout) typed in from scratch, and the project file
    that says the same."""
    compiled = template_for("project", layout)
    kind = template_kind(compiled)
    policy_name = BLANK_POLICY.get(layout, "default")
    out = folder / f"blank_{layout}.xlsx"
    result = run("init", "-o", out, "-t", layout, "--policy", policy_name)
    assert result.exit_code == 0, result.output
    counts = blank_counts(kind)
    pl = compiled.places(counts)
    fields = compiled.map.fields
    wb = openpyxl.load_workbook(out)
    ws = wb.active
    ws[place(compiled, counts, "name")] = "手填项目"
    data: dict = {"kind": kind, "name": "手填项目", "indicators": []}
    weighted = "weight" in compiled.map.tables["indicators"].columns
    if kind == "project":
        ws[place(compiled, counts, "budget_initial" if "budget_initial" in fields else "budget_adjusted")] = 100
        ws[place(compiled, counts, "budget_executed")] = 90
        data["budget"] = {"initial": 100, "executed": 90}
    else:
        cols = compiled.map.tables["tasks"].columns
        data["tasks"] = []
        for i, (name, budget, executed, weight) in enumerate(BLANK_TASK_ROWS):
            r = pl.row("tasks", i)
            ws[f"{cols['name']}{r}"], ws[f"{cols['budget']}{r}"], ws[f"{cols['executed']}{r}"] = name, budget, executed
            ws[f"{cols['weight']}{r}"] = weight
            data["tasks"].append({"name": name, "budget": budget, "executed": executed, "weight": weight})
    cols = compiled.map.tables["indicators"].columns
    for i, name, op, target, unit, actual, weight in BLANK_INDICATORS:
        r = pl.row("indicators", i)
        ws[f"{cols['name']}{r}"] = name
        if "operator" in cols:
            if op:
                ws[f"{cols['operator']}{r}"] = op
            ws[f"{cols['target']}{r}"] = target
            if unit:
                ws[f"{cols['unit']}{r}"] = unit
        else:   # one 年度指标值 cell: the unit types the whole target
            ws[f"{cols['target']}{r}"] = target if op is None else f"{op}{round(target * 100) if unit == '%' else target}{unit}"
        ws[f"{cols['actual']}{r}"] = actual
        if isinstance(target, float) and "operator" in cols:
            typed_percent(ws[f"{cols['target']}{r}"], target)
        if isinstance(actual, float):
            typed_percent(ws[f"{cols['actual']}{r}"], actual)
        if weighted:
            ws[f"{cols['weight']}{r}"] = weight if kind == "project" else DEPARTMENT_WEIGHT
        level1, level2 = BLANK_ROWS[i]
        shown = {float: lambda v: f"{round(v * 100)}%"}.get(type(actual), str)(actual)
        target_text = target if op is None else f"{op}{round(target * 100) if unit == '%' else target}{unit}"
        indicator = {"level1": level1, "level2": level2, "name": name, "target": target_text, "actual": shown}
        if weighted:
            indicator["weight"] = weight if kind == "project" else DEPARTMENT_WEIGHT
        data["indicators"].append(indicator)
    wb.save(out)
    return out, data, policy_name


@pytest.fixture(scope="module")
def typed(tmp_path_factory):
    """{(case, layout): (recalculated sheet, the project file saying the same, policy name)}."""
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    tmp = tmp_path_factory.mktemp("typed")
    folder = tmp / "typed"
    folder.mkdir()
    cases = {(name, layout): make(layout, folder)
             for name, make in (("percent", percent_case), ("grade", grade_case), ("blank", blank_case))
             for layout in LAYOUTS}
    soffice([c[0] for c in cases.values()], tmp / "out", "xlsx", tmp / "lo")
    return {key: (tmp / "out" / path.name, data, policy) for key, (path, data, policy) in cases.items()}


def values(path: Path) -> dict[str, object]:
    ws = openpyxl.load_workbook(path, data_only=True).active
    return {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None}


def score_json(path: Path, policy: str) -> dict:
    result = run("score", path, "--format", "json", "--policy", policy)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def audit_findings(path: Path, policy: str) -> list:
    result = run("audit", path, "--format", "json", "--policy", policy)
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    return [f for sheet in (found if isinstance(found, list) else [found]) for f in sheet["findings"]]


def total_of(path: Path, layout: str, data: dict):
    compiled = template_for("project", layout)
    counts = blank_counts(data["kind"]) if path.name.startswith("blank_") else counts_of(data)
    return values(path).get(place(compiled, counts, "total"))


@needs_soffice
@pytest.mark.parametrize("layout", LAYOUTS)
def test_no_error_value_in_any_typed_sheet(typed, layout):
    for case in ("percent", "grade", "blank"):
        path = typed[(case, layout)][0]
        bad = {ref: v for ref, v in values(path).items() if isinstance(v, str) and v.startswith(ERRORS)}
        assert bad == {}, (case, layout)


@needs_soffice
@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_percent_typed_as_95_percent(typed, layout):
    path, data, policy = typed[("percent", layout)]
    expected = score_sheet(sheet_from_mapping({k: v for k, v in data.items()}, "x"), load_policy(policy))
    scored = score_json(path, policy)
    own = total_of(path, layout, data)
    assert D(str(own)) == D(str(scored["total"])) == expected.total, layout
    if data["kind"] == "project":   # ≥90%: 95% still reaches it (the 85.95 良 came from 0.95 read as 0.95%)
        assert expected.total == D("98.32") and scored["grade"] == "优"
    else:                           # =100% met at 95%: 3.5 × 95% = 3.33 (liaoning: 94.30 − 0.17)
        assert scored["indicators"][0]["score"] == 3.33 and expected.total == D("94.13")
    assert audit_findings(path, policy) == []


@needs_soffice
@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_grade_typed_down_shows_its_prompt(typed, layout):
    path, data, policy = typed[("grade", layout)]
    compiled = template_for("project", layout)
    i = data["index"]
    pl = compiled.places(counts_of(data))
    cell = f"{compiled.map.tables['indicators'].columns['completion']}{pl.row('indicators', i)}"
    shown = values(path)
    assert shown[cell] == "请填写完成程度（0%–60%）", layout   # liaoning's band of grade C
    assert total_of(path, layout, data) == "请按各行提示填写完成程度"
    result = run("score", path, "--policy", policy)
    assert result.exit_code == 1 and result.stdout == ""
    line = result.stderr.strip()
    assert cell in line and "完成程度" in line and "0%–60%" in line and line.count("\n") == 0, line


@needs_soffice
@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_blank_form_typed_in_from_scratch(typed, layout):
    path, data, policy = typed[("blank", layout)]
    expected = score_sheet(sheet_from_mapping(data, "x"), load_policy(policy))
    scored = score_json(path, policy)
    assert [i["name"] for i in scored["indicators"]] == ["办件数量", "培训场次", "合格率", "群众评价"]
    assert [i["score"] for i in scored["indicators"]] == [float(i.score) for i in expected.indicators]  # float-ok: JSON numbers
    own = total_of(path, layout, data)
    assert D(str(own)) == D(str(scored["total"])) == expected.total, layout
    # 8 of ≥10次 is 80%; 5场, 98% of ≥95% and the grade word A are met
    if layout == "hubei":   # 湖北's split: 产出 40 in 3 (13.33, 13.33, 13.34), 效益 30 + 满意度 10 (no row) in 1
        assert [i["weight"] for i in scored["indicators"]] == [13.33, 13.33, 13.34, 40]
        assert expected.total == D("95.33")                # 18 + 10.66 + 13.33 + 13.34 + 40
    elif data["kind"] == "project":
        assert expected.total == D("95.00")                # 9 + 16 + 20 + 20 + 30
    else:
        assert expected.total == D("95.00")                # 18 + 20 + 12 + 15 + 15 + 15
    assert audit_findings(path, policy) == []


def test_the_department_sheet_carries_department_budget(tmp_path):
    """部门年初预算支出金额 (C4 of the 整体 sheet) is the file's department_budget, read back as
    such; a file without one leaves the cell to the unit."""
    data = sample("department")
    policy = load_policy("liaoning")
    out = tmp_path / "d.xlsx"
    fill_sheet(score_sheet(sheet_from_mapping(data, "x"), policy), out, "department", policy=policy)
    assert openpyxl.load_workbook(out).active["C4"].value == 1382.16
    assert imported(out).department_budget == D("1382.16")
    del data["department_budget"]
    fill_sheet(score_sheet(sheet_from_mapping(data, "x"), policy), out, "department", policy=policy)
    assert openpyxl.load_workbook(out).active["C4"].value is None
    assert imported(out).department_budget is None


CLOSING = ("填报单位（盖章）：", "填报人：", "联系电话：", "填报日期：")


def typing_aids(ws, compiled, counts: dict[str, int]) -> dict[str, object]:
    """The drop-downs of the indicator rows: column letter → its validation."""
    pl = compiled.places(counts)
    first, last = pl.row("indicators", 0), pl.row("indicators", counts["indicators"] - 1)
    out = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            if (rng.min_row, rng.max_row) == (first, last) and rng.min_col == rng.max_col:
                out[col_letters(rng.min_col)] = dv
    return out


def check_form(path: Path, layout: str, counts: dict[str, int], unit: str | None) -> None:
    """The closing lines below the form (填报单位 filled with ``unit``), inside the print area,
    and the drop-downs of 运算符号 and 全年完成值 over every indicator row."""
    compiled = template_for("project", layout)
    ws = openpyxl.load_workbook(path).active
    labels = {c.value: c for row in ws.iter_rows() for c in row if c.value in CLOSING}
    assert set(labels) == set(CLOSING), layout
    below = place(compiled, counts, "total")
    assert min(c.row for c in labels.values()) > split_addr(below)[1], layout   # below the form
    unit_cell = place(compiled, counts, "reporting_unit")
    assert split_addr(unit_cell)[1] == labels[CLOSING[0]].row and ws[unit_cell].value == unit
    area = ws.print_area.split("!")[1].replace("$", "")
    assert split_addr(area.split(":")[1])[1] == labels[CLOSING[3]].row, layout       # printed with the form
    cols = compiled.map.tables["indicators"].columns
    aids = typing_aids(ws, compiled, counts)
    actual = aids[cols["actual"]]
    assert actual.type == "list" and "未达成预期指标且效果较差" in actual.formula1 and not actual.showErrorMessage
    assert "95%" in actual.prompt and actual.showInputMessage
    if "operator" in cols:
        assert aids[cols["operator"]].type == "list" and "≥" in aids[cols["operator"]].formula1
    else:
        assert set(aids) == {cols["actual"]}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_layout_ends_with_the_closing_lines_and_guides_the_typing(tmp_path, layout):
    out = tmp_path / f"{layout}.xlsx"
    _compiled, kind, data = filled_sample(layout, out)
    check_form(out, layout, counts_of(data), "朝阳市司法局")
    blank = write_blank(tmp_path / f"blank_{layout}.xlsx", kind, layout)
    check_form(blank, layout, blank_counts(kind), None)


@needs_soffice
@pytest.mark.parametrize("layout", LAYOUTS)
def test_libreoffice_keeps_the_drop_downs(typed, layout):
    """Saved again by LibreOffice (as a unit's client saves the sheet), the validations stay."""
    path, data, _ = typed[("percent", layout)]
    check_form(path, layout, counts_of(data), "朝阳市司法局")


def twenty_indicators(kind: str) -> dict:
    """A sheet of 20 indicators (the standard tree's levels), with 4 tasks for a department."""
    inds = [{"level1": l1, "level2": l2, "name": f"指标{i + 1}", "target": "≥100件", "actual": "95件",
             "weight": D("4.5") if kind == "project" else 3, "cause": "原因"} for i, (l1, l2) in enumerate(BLANK_ROWS)]
    data = {"kind": kind, "name": "二十个指标", "unit": "某某单位", "indicators": inds}
    if kind == "project":
        data["budget"] = {"initial": 100, "executed": 90}
    else:
        data["tasks"] = [{"name": f"任务{k}", "budget": 100, "executed": 90, "weight": 10} for k in range(4)]
    return data


@pytest.mark.skipif(SOFFICE is None or shutil.which("pdfinfo") is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice and poppler-utils are not installed")
def test_twenty_indicators_and_the_closing_lines_print_on_one_page(tmp_path):
    files = []
    policy = load_policy("default")
    for layout in LAYOUTS:
        kind = template_kind(template_for("project", layout))
        out = tmp_path / f"{layout}.xlsx"
        fill_sheet(score_sheet(sheet_from_mapping(twenty_indicators(kind), "x"), policy), out, layout, policy=policy)
        files.append(out)
    soffice(files, tmp_path / "pdf", "pdf", tmp_path / "lo")
    for layout in LAYOUTS:
        pdf = tmp_path / "pdf" / f"{layout}.pdf"
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert re.search(r"^Pages:\s+1$", info, re.M) and re.search(r"^Page size:.*\(A4\)", info, re.M), (layout, info)
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "指标20" in text and "填报日期" in text and "某某单位" in text, layout
