"""Tests of perfscore.xlsx (template, maps, shifting, reader): maps, the compiled renderer, the reader."""

from __future__ import annotations

import io
import os
import re
import struct
import zipfile
from decimal import Decimal as D
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Border, Font, PatternFill, Side
from openpyxl.worksheet.datavalidation import DataValidation

from perfscore.errors import OutputError, SheetError
from perfscore.xlsx import package
from perfscore.xlsx.maps import load_map
from perfscore.xlsx.package import MAIN_CT
from perfscore.xlsx.reader import CellValue
from perfscore.xlsx.shifting import FormulaSlot, Shift, compile_formula
from perfscore.xlsx.template import CompiledTemplate, SheetData, compile_template

from conftest import ROOT
PROJECT = ROOT / "templates" / "project_sheet.xlsx"
DEPARTMENT = ROOT / "templates" / "department_sheet.xlsx"
INDICATOR_KEYS = ["level1", "level2", "name", "operator", "target", "unit", "actual",
                  "completion", "weight", "score", "cause", "remedy"]
FOOTER = ["指标自评得分小计", "预算执行率得分", "减分项", "总分", "等级"]

# realistic rows (朝阳市司法局 2024 项目自评表), cycled for longer tables
BASE_ROWS = [
    ("产出指标", "数量指标", "举办各类会议次数", "=", D("2"), "次", D("2"), D("1"), D("12.5"), D("12.5"), None, None),
    ("产出指标", "数量指标", "组织培训次数", ">=", D("2"), "次", D("2"), D("1"), D("12.5"), D("12.5"), None, None),
    ("产出指标", "质量指标", "计划工作完成率", ">=", D("100"), "%", D("100"), D("1"), D("12.5"), D("12.5"), None, None),
    ("产出指标", "质量指标", "资金使用合规率", "=", D("100"), "%", D("100"), D("1"), D("12.5"), D("12.5"), None, None),
    ("效益指标", "社会效益指标", "服务对象满意度", ">=", D("95"), "%", D("79"), D("0.8316"), D("20"), D("16.63"),
     "部分群众对服务时效不满意", "优化预约流程，增加值班人员"),
    ("效益指标", "可持续影响指标", "规范执行项目政策", "定性", "全部或基本达成预期指标", None, "规范执行",
     D("1"), D("20"), D("20"), None, None),
]


def indicator_rows(n: int) -> list[dict]:
    rows = []
    for i in range(n):
        base = BASE_ROWS[i % len(BASE_ROWS)]
        row = dict(zip(INDICATOR_KEYS, base))
        row["level1"] = f"{base[0]}{i // len(BASE_ROWS) or ''}"  # new 一级 run per cycle
        row["name"] = f"{base[2]}{i}"
        rows.append(row)
    return rows


def project_data(n: int) -> SheetData:
    return SheetData(
        fields=dict(
            name="政府购买法律服务", department="朝阳市司法局", unit="朝阳市司法局", year=2024,
            budget_initial=D("26.6"), budget_adjusted=D("26.6"), budget_executed=D("22.12"),
            execution_rate=D("0.8316"), execution_weight=D("10"), execution_score=D("8.32"),
            goal="为市委、市政府重大决策提供法律意见，审核重大合同、协议。",
            achieved="审查框架协议 17 件，出具法律意见 41 件。",
            indicator_score=D("90"), deduction=D("0"), total=D("98.32"), grade="优",
        ),
        tables={"indicators": indicator_rows(n)},
    )


@pytest.fixture(scope="module")
def project():
    return compile_template(PROJECT)


@pytest.fixture(scope="module")
def department():
    return compile_template(DEPARTMENT)


def open_rendered(body: bytes, sheet: str):
    wb = load_workbook(io.BytesIO(body))
    return wb, wb[sheet]


def merges(ws) -> set[str]:
    return {str(r) for r in ws.merged_cells.ranges}


def style_key(cell):
    b = cell.border
    return (cell.font.name, cell.font.sz, cell.number_format, cell.alignment.wrap_text,
            cell.alignment.horizontal, b.left.style, b.right.style, b.top.style, b.bottom.style)


def rezip(body: bytes, edit: dict[str, callable]) -> bytes:
    """Copy a zip, applying edit[name](text) -> text to some members."""
    zin = zipfile.ZipFile(io.BytesIO(body))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename in edit:
                data = edit[info.filename](data.decode("utf-8")).encode("utf-8")
            zout.writestr(info.filename, data)
    return out.getvalue()


# --------------------------------------------------------------------------- maps


def test_shipped_maps_load():
    m = load_map(ROOT / "templates" / "project_sheet.map.yaml")
    assert m.sheet == "项目绩效自评表"
    assert m.fields["execution_score"] == ("L6", "J12")
    assert m.fields["name"] == ("C3",)
    t = m.tables["indicators"]
    assert t.row == 10 and t.columns["score"] == "J" and t.merge == ["level1", "level2"]
    d = load_map(ROOT / "templates" / "department_sheet.map.yaml")
    assert set(d.tables) == {"tasks", "indicators"}
    assert set(d.fields) == {"name", "year", "budget_initial", "goal", "achieved", "execution_score",
                             "indicator_score", "deduction", "total", "grade", "reporting_unit"}


@pytest.mark.parametrize("text, expected", [
    ("sheet: S\nfields: {a: C3}\nbogus: 1\n", "键 bogus: 未知的键"),
    ("sheet: S\nfields: {a: C0}\n", "字段 a 的「C0」不是有效的单元格地址"),
    ("sheet: S\nfields: {a: 3C}\n", "「3C」不是有效的单元格地址"),
    ("fields: {a: C3}\n", "键 sheet: 缺少必填的键"),
    ("sheet: S\ntables: {t: {row: 5, columns: {x: A1}}}\n", "列 x 的「A1」不是有效的列号"),
    ("sheet: S\ntables: {t: {row: 0, columns: {x: A}}}\n", "键 tables.t.row: 行号必须大于等于 1"),
    ("sheet: S\ntables: {t: {row: 5, columns: {x: A}, merge: [y]}}\n", "merge 里的 y 不是 columns 中的列名"),
    ("sheet: S\ntables: {t: {row: 5, columns: {x: A, y: A}}}\n", "都指向 A 列"),
    ("sheet: S\ntables: {t: {row: 5, columns: {x: A}, extra: 1}}\n", "键 tables.t.extra: 未知的键"),
    ("sheet: S\nfields: {a: B5}\ntables: {t: {row: 5, columns: {x: A}}}\n", "在表格 t 的模板行"),
    ("sheet: S\nfields: {a: B5, b: B5}\n", "已被字段 a 使用"),
    ("sheet: [unclosed\n", "不是有效的 YAML"),
    ("- a\n- b\n", "顶层应为键值映射"),
])
def test_map_errors(tmp_path, text, expected):
    p = tmp_path / "bad.map.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(SheetError) as exc:
        load_map(p)
    assert expected in str(exc.value)
    assert "bad.map.yaml" in str(exc.value)


def test_map_missing_file(tmp_path):
    with pytest.raises(SheetError, match="不存在"):
        load_map(tmp_path / "none.map.yaml")


def _copy_template(tmp_path, map_text: str) -> Path:
    x = tmp_path / "t.xlsx"
    x.write_bytes(PROJECT.read_bytes())
    (tmp_path / "t.map.yaml").write_text(map_text, encoding="utf-8")
    return x


def test_compile_missing_worksheet(tmp_path):
    x = _copy_template(tmp_path, "sheet: 不存在的表\nfields: {name: C3}\n")
    with pytest.raises(SheetError) as exc:
        compile_template(x)
    msg = str(exc.value)
    assert "t.map.yaml 键 sheet" in msg and "不存在的表" in msg and "项目绩效自评表" in msg


def test_compile_address_outside_sheet(tmp_path):
    x = _copy_template(tmp_path, "sheet: 项目绩效自评表\nfields: {name: Z99}\n")
    with pytest.raises(SheetError, match=r"t.map.yaml 键 fields.name: 单元格 Z99 超出.*A1:L17"):
        compile_template(x)
    x = _copy_template(tmp_path, "sheet: 项目绩效自评表\ntables: {t: {row: 40, columns: {a: A}}}\n")
    with pytest.raises(SheetError, match=r"键 tables.t.row: 第 40 行超出"):
        compile_template(x)
    x = _copy_template(tmp_path, "sheet: 项目绩效自评表\ntables: {t: {row: 10, columns: {a: M}}}\n")
    with pytest.raises(SheetError, match=r"键 tables.t.columns.a: M 列超出"):
        compile_template(x)


def test_compile_cache(tmp_path, project):
    assert compile_template(PROJECT) is project
    x = _copy_template(tmp_path, (ROOT / "templates" / "project_sheet.map.yaml").read_text(encoding="utf-8"))
    first = compile_template(x)
    assert compile_template(x) is first
    os.utime(x, ns=(1, x.stat().st_mtime_ns + 10_000_000))
    assert compile_template(x) is not first


# --------------------------------------------------------------------------- project golden


@pytest.mark.parametrize("n", [0, 1, 5, 30])
def test_project_golden(project, n):
    body = project.render(project_data(n))
    wb, ws = open_rendered(body, "项目绩效自评表")
    tpl = load_workbook(PROJECT)["项目绩效自评表"]
    d = n - 1
    # header block untouched
    assert ws["A1"].value == "预算项目(政策)绩效自评表"
    assert ws["C3"].value == "政府购买法律服务"
    assert ws["A2"].value == 2024 and ws["A2"].number_format == tpl["A2"].number_format
    assert ws["I6"].value == pytest.approx(0.8316) and ws["I6"].number_format == "0.00%"
    assert ws["L6"].value == pytest.approx(8.32)
    assert ws["C6"].value == pytest.approx(26.6) and ws["C6"].number_format == "0.00"
    # indicator rows: values, formats, fonts and borders equal the template row's
    rows = indicator_rows(n)
    for i, row in enumerate(rows):
        r = 10 + i
        assert ws[f"C{r}"].value == row["name"]
        assert ws[f"D{r}"].value == row["operator"]
        assert ws[f"H{r}"].value == pytest.approx(float(row["completion"]))
        assert ws[f"J{r}"].value == pytest.approx(float(row["score"]))
        for col in "ABCDEFGHIJKL":
            cell = ws[f"{col}{r}"]
            if type(cell).__name__ != "MergedCell":   # openpyxl drops styles of merged-away cells
                assert style_key(cell) == style_key(tpl[f"{col}10"]), f"{col}{r}"
        assert ws[f"H{r}"].number_format == "0.00%"
        assert ws[f"I{r}"].number_format == "0.00" and ws[f"J{r}"].number_format == "0.00"
        assert ws[f"C{r}"].font.name == "宋体" and ws[f"C{r}"].border.left.style == "thin"
    # raw XML: every cloned cell carries the template row cell's style id
    xml = zipfile.ZipFile(io.BytesIO(body)).read("xl/worksheets/sheet1.xml").decode()
    tpl_xml = zipfile.ZipFile(PROJECT).read("xl/worksheets/sheet1.xml").decode()
    tpl_styles = re.findall(r'<c r="[A-L]10" s="(\d+)"', tpl_xml)
    assert len(tpl_styles) == 12
    for i in range(n):
        assert re.findall(rf'<c r="[A-L]{10 + i}" s="(\d+)"', xml) == tpl_styles
    # footer labels and values moved by n - 1
    for k, label in enumerate(FOOTER):
        assert ws[f"A{11 + d + k}"].value == label
    assert ws[f"J{11 + d}"].value == 90
    assert ws[f"J{12 + d}"].value == pytest.approx(8.32)   # execution_score, second address
    assert ws[f"J{14 + d}"].value == pytest.approx(98.32)
    assert ws[f"J{15 + d}"].value == "优"
    # merges: footer merges shifted, 一级/二级 runs merged exactly
    m = merges(ws)
    for k in range(5):
        assert f"A{11 + d + k}:I{11 + d + k}" in m and f"J{11 + d + k}:L{11 + d + k}" in m
    expected_runs = set()
    for key, col in (("level1", "A"), ("level2", "B")):
        i = 0
        while i < n:
            j = i
            while (j + 1 < n and rows[j + 1][key] == rows[i][key]
                   and (key == "level1" or rows[j + 1]["level1"] == rows[i]["level1"])):
                j += 1
            if j > i:
                expected_runs.add(f"{col}{10 + i}:{col}{10 + j}")
            i = j + 1
    table_merges = {x for x in m if re.match(r"[AB]\d+:[AB]\d+$", x) and 10 <= int(re.search(r"\d+", x).group()) < 11 + d}
    assert table_merges == expected_runs
    assert len(m) == 40 + len(expected_runs)   # 32 of the form, 8 of the closing lines (填报单位 … 填报日期)
    # merged cells below the top one are empty
    for run in expected_runs:
        col, r1, r2 = run[0], int(run.split(":")[0][1:]), int(run.split(":")[1][1:])
        assert ws[f"{col}{r1}"].value
        assert all(ws[f"{col}{r}"].value is None for r in range(r1 + 1, r2 + 1))
    # print area grows, print titles stay on the header row
    assert ws.print_area == f"'项目绩效自评表'!$A$1:$L${17 + d}"   # the closing lines included
    assert ws.print_title_rows == "$9:$9"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    # the 运算符号 and 全年完成值 drop-downs cover the rows, the 等级 validation follows
    dvs = ws.data_validations.dataValidation
    rows_of = (lambda c: []) if n == 0 else (lambda c: [f"{c}10" if n == 1 else f"{c}10:{c}{9 + n}"])
    assert [str(dv.sqref) for dv in dvs] == rows_of("D") + rows_of("G") + [f"J{15 + d}"]
    cf = [str(r.sqref) for r in ws.conditional_formatting]
    assert cf == ([] if n == 0 else ["J10" if n == 1 else f"J10:J{9 + n}"])
    assert ws.dimensions == f"A1:{'O' if n else 'L'}{17 + d}"   # M:O: the hidden helper columns of the rows


def test_text_stays_text(project):
    risky = ["=1+1", "+86", "-5", "@SUM(A1)", "\t=tab", "\r=cr", "=HYPERLINK(\"http://x\")"]
    rows = [dict(name=s, score=D("0.8316")) for s in risky]
    body = project.render(SheetData(fields={"name": "=2*3", "grade": "-"}, tables={"indicators": rows}))
    wb, ws = open_rendered(body, "项目绩效自评表")
    for i, s in enumerate(risky):
        cell = ws[f"C{10 + i}"]
        assert cell.data_type == "s", s
        assert cell.value == s.replace("\r", "\n")
        assert ws[f"J{10 + i}"].data_type == "n" and ws[f"J{10 + i}"].value == pytest.approx(0.8316)
    assert ws["C3"].data_type == "s" and ws["C3"].value == "=2*3"
    xml = zipfile.ZipFile(io.BytesIO(body)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml


def test_escaping(project, tmp_path):
    tricky = {
        "amp": "A&B <c> \"d\" 'e'",
        "xesc": "literal _x0041_ and _x005F_",
        "ctrl": "a\x00b\x07c\x1fd",
        "spaces": "  leading and trailing  ",
        "newline": "第一行\n第二行",
        "emoji": "满意😀",
    }
    rows = [dict(name=v, cause=k) for k, v in tricky.items()]
    out = tmp_path / "e.xlsx"
    project.write(SheetData(tables={"indicators": rows}), out)
    ws = load_workbook(out)["项目绩效自评表"]
    assert ws["C10"].value == tricky["amp"]
    # Excel and calamine decode _xHHHH_ (so a literal one is written as _x005F_xHHHH_);
    # openpyxl does not decode inline strings and shows the escaped form
    assert ws["C11"].value == "literal _x005F_x0041_ and _x005F_x005F_"
    assert ws["C12"].value == "abcd"
    assert ws["C13"].value == tricky["spaces"]
    assert ws["C14"].value == tricky["newline"]
    assert ws["C15"].value == tricky["emoji"]
    back = project.read(out)
    names = [r["name"].value for r in back.tables["indicators"]]
    assert names == [tricky["amp"], tricky["xesc"], "abcd", tricky["spaces"].strip(), tricky["newline"], tricky["emoji"]]


@pytest.mark.parametrize("bad, err", [
    (D("NaN"), ValueError), (D("Infinity"), ValueError), (float("nan"), ValueError),
    (True, TypeError), ([1], TypeError), ("x" * 40000, ValueError),
])
def test_bad_values(project, bad, err):
    with pytest.raises(err):
        project.render(SheetData(tables={"indicators": [dict(score=bad)]}))
    with pytest.raises(err):
        project.render(SheetData(fields={"total": bad}))


def test_numbers(project):
    body = project.render(SheetData(fields={"total": 100, "deduction": D("-0.5"), "execution_rate": D("1E-7")},
                                    tables={"indicators": [dict(weight=12, score=D("12.50"))]}))
    ws = open_rendered(body, "项目绩效自评表")[1]
    assert ws["J14"].value == 100 and ws["J13"].value == -0.5 and ws["I6"].value == pytest.approx(1e-7)
    assert ws["I10"].value == 12 and ws["J10"].value == 12.5


def test_deterministic(project):
    a = project.render(project_data(7))
    b = project.render(project_data(7))
    assert a == b
    fresh = CompiledTemplate(PROJECT, PROJECT.with_name("project_sheet.map.yaml"))
    assert fresh.render(project_data(7)) == a
    infos = zipfile.ZipFile(io.BytesIO(a)).infolist()
    assert {i.date_time for i in infos} == {(2024, 1, 1, 0, 0, 0)}
    assert zipfile.ZipFile(io.BytesIO(a)).testzip() is None


def test_layout_cache_consistent(project):
    # renders of different sizes in any order give the same bytes as fresh ones
    seq = [5, 30, 0, 5, 1, 30]
    out = [project.render(project_data(n)) for n in seq]
    assert out[0] == out[3] and out[1] == out[5]
    fresh = CompiledTemplate(PROJECT, PROJECT.with_name("project_sheet.map.yaml"))
    assert fresh.render(project_data(30)) == out[1]


def test_unknown_names_ignored(project):
    body = project.render(SheetData(fields={"not_in_map": "x"}, tables={"other": [{"a": 1}],
                                                                        "indicators": [{"bogus": 1, "name": "n"}]}))
    ws = open_rendered(body, "项目绩效自评表")[1]
    assert ws["C10"].value == "n"


def test_row_heights_follow_text(project):
    long_cause = "部分群众对服务时效不满意，回访发现等待时间较长，需要进一步优化预约和值班流程" * 2
    long_goal = "贯彻落实法治政府建设与责任落实督察工作规定，深入学习宣传贯彻习近平法治思想。" * 20
    rows = [dict(name="短"), dict(name="短", cause=long_cause)]
    body = project.render(SheetData(fields={"goal": long_goal}, tables={"indicators": rows}))
    ws = open_rendered(body, "项目绩效自评表")[1]
    assert ws.row_dimensions[10].height is None          # one line: default height
    assert ws.row_dimensions[11].height > 40               # several lines in a 22-wide column
    assert ws.row_dimensions[8].height > 150               # goal longer than the template's 150 pt
    body = project.render(SheetData(fields={"goal": "短目标"}))
    assert open_rendered(body, "项目绩效自评表")[1].row_dimensions[8].height == 150


# --------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("n", [1, 5, 30])
def test_project_round_trip(project, tmp_path, n):
    data = project_data(n)
    out = tmp_path / "p.xlsx"
    project.write(data, out)
    back = project.read(out)
    assert back.path == out
    d = n - 1
    assert back.fields["name"] == CellValue("政府购买法律服务", "C3")
    assert back.fields["year"] == CellValue(D("2024"), "A2")
    assert back.fields["execution_rate"] == CellValue(D("0.8316"), "I6", percent=True)
    assert back.fields["budget_executed"] == CellValue(D("22.12"), "G6")
    assert back.fields["execution_score"] == CellValue(D("8.32"), "L6")
    assert back.fields["total"] == CellValue(D("98.32"), f"J{14 + d}")
    assert back.fields["grade"] == CellValue("优", f"J{15 + d}")
    rows = back.tables["indicators"]
    assert len(rows) == n
    for i, (got, want) in enumerate(zip(rows, data.tables["indicators"])):
        for key, col in zip(INDICATOR_KEYS, "ABCDEFGHIJKL"):
            assert got[key].ref == f"{col}{10 + i}"
            assert got[key].value == want[key], (i, key)
    assert rows[0]["weight"].value == D("12.5") and str(rows[0]["weight"].value) == "12.5"
    assert str(rows[4]["completion"].value) == "0.8316" if n > 4 else True


def test_round_trip_after_openpyxl_resave(project, tmp_path):
    """A user opens the file, edits a value, saves (shared strings instead of inline)."""
    out = tmp_path / "p.xlsx"
    project.write(project_data(6), out)
    wb = load_workbook(out)
    ws = wb["项目绩效自评表"]
    ws["J12"] = 11.25
    ws["C3"] = "  改过的名称 "
    wb.save(out)
    back = project.read(out)
    assert back.fields["name"].value == "改过的名称"
    rows = back.tables["indicators"]
    assert len(rows) == 6 and rows[2]["score"] == CellValue(D("11.25"), "J12")
    assert rows[1]["level1"] == CellValue("产出指标", "A11")   # merged A10:A13: top-left value
    assert back.fields["grade"] == CellValue("优", "J20")


def test_read_skips_empty_rows(project, tmp_path):
    rows = indicator_rows(3)
    rows.insert(1, {})
    out = tmp_path / "p.xlsx"
    project.write(SheetData(tables={"indicators": rows}), out)
    back = project.read(out)
    assert [r["name"].value for r in back.tables["indicators"]] == [rows[0]["name"], rows[2]["name"], rows[3]["name"]]
    assert back.tables["indicators"][1]["name"].ref == "C12"


def test_read_zero_rows(project, tmp_path):
    out = tmp_path / "p.xlsx"
    project.write(project_data(0), out)
    back = project.read(out)
    assert back.tables["indicators"] == []
    assert back.fields["indicator_score"] == CellValue(D("90"), "J10")
    assert back.fields["grade"] == CellValue("优", "J14")


# --------------------------------------------------------------------------- department


def test_department_tasks_and_indicators(department, tmp_path):
    tasks = [
        dict(name="部门预算基本支出公用经费（刚性）", budget=D("41.86"), executed=D("35.11"), rate=D("0.84"), weight=D("10"), score=D("8.4")),
        dict(name="部门预算基本支出公用经费（保运转）", budget=D("95.83"), executed=D("85.08"), rate=D("0.89"), weight=D("10"), score=D("8.9")),
        dict(name="部门预算基本支出人员经费（保工资）", budget=D("1200.62"), executed=D("912.62"), rate=D("0.76"), weight=D("10"), score=D("7.6")),
        dict(name="部门预算基本支出人员经费（刚性）", budget=D("477.67"), executed=D("449.62"), rate=D("0.94"), weight=D("10"), score=D("9.4")),
    ]
    inds = indicator_rows(24)
    data = SheetData(
        fields=dict(name="朝阳市司法局", year=2024, budget_initial=D("1382.16"), goal="完成全年绩效目标任务。",
                    achieved="推动完成法治政府建设 10 项重点任务。", indicator_score=D("84.3"),
                    execution_score=D("10"), deduction=D("0"), total=D("94.3"), grade="优"),
        tables={"tasks": tasks, "indicators": inds},
    )
    out = tmp_path / "d.xlsx"
    department.write(data, out)
    ws = load_workbook(out)["整体绩效自评表"]
    tpl = load_workbook(DEPARTMENT)["整体绩效自评表"]
    dt, di = 3, 23                      # tasks add 3 rows, indicators 23
    for i, t in enumerate(tasks):
        assert ws[f"C{6 + i}"].value == t["name"]
        assert ws[f"J{6 + i}"].value == pytest.approx(float(t["rate"])) and ws[f"J{6 + i}"].number_format == "0.00%"
        assert style_key(ws[f"H{6 + i}"]) == style_key(tpl["H6"])
    m = merges(ws)
    assert "A5:B9" in m                                    # 年度主要任务 label grows with the tasks
    assert {f"C{6 + i}:G{6 + i}" for i in range(4)} <= m    # the template row's own merge per task
    assert ws[f"A{7 + dt}"].value == "年度总体目标" and f"A{7 + dt}:B{8 + dt}" in m
    assert ws[f"C{8 + dt}"].value == "完成全年绩效目标任务。"
    assert ws[f"A{9 + dt}"].value == "一级指标"
    first = 10 + dt
    for i, row in enumerate(inds):
        assert ws[f"C{first + i}"].value == row["name"]
        assert style_key(ws[f"C{first + i}"]) == style_key(tpl["C10"])
    assert f"A{first}:A{first + 3}" in m                   # first 产出指标 run
    assert ws[f"A{11 + dt + di}"].value == "指标自评得分小计"
    assert ws[f"J{14 + dt + di}"].value == pytest.approx(94.3)
    assert ws[f"J{15 + dt + di}"].value == "优"
    assert ws.print_title_rows == f"${9 + dt}:${9 + dt}"
    assert ws.print_area == f"'整体绩效自评表'!$A$1:$L${17 + dt + di}"
    assert [str(dv.sqref) for dv in ws.data_validations.dataValidation] == [
        f"D{first}:D{first + 23}", f"G{first}:G{first + 23}", f"J{15 + dt + di}"]
    assert [str(r.sqref) for r in ws.conditional_formatting] == [f"J{first}:J{first + 23}"]
    back = department.read(out)
    assert [r["name"].value for r in back.tables["tasks"]] == [t["name"] for t in tasks]
    assert back.tables["tasks"][3]["rate"] == CellValue(D("0.94"), "J9", percent=True)
    assert len(back.tables["indicators"]) == 24
    assert back.tables["indicators"][23]["name"] == CellValue(inds[23]["name"], f"C{first + 23}")
    assert back.fields["total"] == CellValue(D("94.3"), f"J{14 + dt + di}")
    assert back.fields["goal"].ref == f"C{8 + dt}"


def test_department_no_tasks(department, tmp_path):
    out = tmp_path / "d.xlsx"
    department.write(SheetData(fields={"name": "x", "grade": "良"}, tables={"indicators": indicator_rows(2)}), out)
    ws = load_workbook(out)["整体绩效自评表"]
    assert ws["A6"].value == "年度总体目标" and "A5:B5" in merges(ws)
    assert ws["C9"].value == indicator_rows(2)[0]["name"]
    back = department.read(out)
    assert back.tables["tasks"] == [] and len(back.tables["indicators"]) == 2
    assert back.fields["grade"] == CellValue("良", "J15")


# --------------------------------------------------------------------------- reader errors


def test_read_xls(project, tmp_path):
    p = tmp_path / "old.xls"
    p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(SheetError, match=r"old.xls: 是旧版 .xls 文件，或是加密"):
        project.read(p)


@pytest.mark.parametrize("body", [b"", b"garbage bytes, not a workbook", b"PK\x03\x04" + b"\x00" * 50])
def test_read_garbage(project, tmp_path, body):
    p = tmp_path / "g.xlsx"
    p.write_bytes(body)
    with pytest.raises(SheetError, match=r"g.xlsx: (不是 .xlsx 文件|.xlsx 文件已损坏)"):
        project.read(p)


def test_read_truncated(project, tmp_path):
    p = tmp_path / "t.xlsx"
    p.write_bytes(project.render(project_data(3))[:-300])
    with pytest.raises(SheetError, match="已损坏"):
        project.read(p)


def test_read_missing(project, tmp_path):
    with pytest.raises(SheetError, match="不存在"):
        project.read(tmp_path / "none.xlsx")


def _patch_central_size(body: bytes, name: str, new_size: int) -> bytes:
    """Make the central directory declare another uncompressed size for one member."""
    buf = bytearray(body)
    pos = buf.find(b"PK\x01\x02" + bytes(42) [:0])
    while pos >= 0:
        n = struct.unpack_from("<H", buf, pos + 28)[0]
        if buf[pos + 46 : pos + 46 + n].decode() == name:
            struct.pack_into("<I", buf, pos + 24, new_size)
            return bytes(buf)
        pos = buf.find(b"PK\x01\x02", pos + 4)
    raise AssertionError(name)


def test_read_zip_bomb_declared(project, tmp_path, monkeypatch):
    body = project.render(project_data(2))
    p = tmp_path / "bomb.xlsx"
    p.write_bytes(_patch_central_size(body, "xl/styles.xml", 200 * 1024 * 1024))
    inflated = []
    monkeypatch.setattr(package, "inflate_member", lambda *a: inflated.append(a) or b"")
    with pytest.raises(SheetError, match=r"bomb.xlsx: 解压后共 200 MB，超过上限 100 MB.*zip 炸弹"):
        project.read(p)
    assert inflated == []                      # refused from the directory, nothing inflated


def test_read_zip_bomb_real_stream(project, tmp_path):
    """A member that really inflates to more than it declares is cut off at its declared size."""
    big = b"<x>" + b"A" * (20 * 1024 * 1024) + b"</x>"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/sharedStrings.xml", big)
    p = tmp_path / "liar.xlsx"
    p.write_bytes(_patch_central_size(out.getvalue(), "xl/sharedStrings.xml", 1000))
    with pytest.raises(SheetError, match="已损坏"):
        project.read(p)
    p.write_bytes(out.getvalue())  # honest 20 MB: fine for the limit, but not a workbook
    with pytest.raises(SheetError, match="缺少部件"):
        project.read(p)


def test_read_limit_is_a_constant(project, tmp_path, monkeypatch):
    p = tmp_path / "p.xlsx"
    project.write(project_data(1), p)
    monkeypatch.setattr(package, "MAX_UNCOMPRESSED_BYTES", 1000)
    with pytest.raises(SheetError, match="超过上限"):
        project.read(p)


def test_read_missing_worksheet(project, tmp_path):
    wb = Workbook()
    wb.active.title = "别的表"
    p = tmp_path / "other.xlsx"
    wb.save(p)
    with pytest.raises(SheetError, match=r"other.xlsx: 没有工作表「项目绩效自评表」（现有：别的表）"):
        project.read(p)


def test_read_not_matching_template(project, department, tmp_path):
    p = tmp_path / "p.xlsx"
    project.write(project_data(3), p)
    body = rezip(p.read_bytes(), {"xl/workbook.xml": lambda x: x.replace("项目绩效自评表", "整体绩效自评表")})
    p.write_bytes(body)
    # the labels above the first table already say it is another form
    with pytest.raises(SheetError, match=r"版式与模板不一致：A1 应为「部门\(单位\)整体绩效自评表」，此表为「预算项目\(政策\)绩效自评表」"):
        department.read(p)


def test_read_formula_without_cached_value(project, tmp_path):
    body = project.render(project_data(3))
    body = rezip(body, {"xl/worksheets/sheet1.xml": lambda x: re.sub(
        r'<c r="I11" s="(\d+)"><v>[^<]*</v></c>', r'<c r="I11" s="\1"><f>5+7.5</f></c>', x)})
    p = tmp_path / "f.xlsx"
    p.write_bytes(body)
    with pytest.raises(SheetError) as exc:
        project.read(p)
    assert str(exc.value).startswith("文件 ")
    assert "f.xlsx 工作表「项目绩效自评表」单元格 I11: 公式没有缓存值，无法读取" in str(exc.value)
    # with a cached value the formula's value is read
    body = rezip(body, {"xl/worksheets/sheet1.xml": lambda x: x.replace("<f>5+7.5</f></c>", "<f>5+7.5</f><v>12.5</v></c>")})
    p.write_bytes(body)
    read = project.read(p)
    assert read.tables["indicators"][1]["weight"] == CellValue(D("12.5"), "I11")
    assert read.formulas["I11"] == "5+7.5" and read.uncached == set()


def test_read_uncached_result_cell_is_empty_and_listed(project, tmp_path):
    """A printed result (得分) whose cached value a program dropped reads as empty: it is
    never an input, and audit names the cell."""
    body = rezip(project.render(project_data(3)), {"xl/worksheets/sheet1.xml": lambda x: re.sub(
        r'<c r="J11" s="(\d+)"><v>[^<]*</v></c>', r'<c r="J11" s="\1"><f>I11*H11</f></c>', x)})
    p = tmp_path / "f.xlsx"
    p.write_bytes(body)
    read = project.read(p)
    assert read.tables["indicators"][1]["score"] == CellValue(None, "J11")
    assert read.uncached == {"J11"} and read.formulas == {"J11": "I11*H11"}


def test_read_error_value(project, tmp_path):
    body = rezip(project.render(project_data(2)), {"xl/worksheets/sheet1.xml": lambda x: re.sub(
        r'<c r="J10" s="(\d+)"><v>[^<]*</v></c>', r'<c r="J10" s="\1" t="e"><f>1/0</f><v>#DIV/0!</v></c>', x)})
    p = tmp_path / "e.xlsx"
    p.write_bytes(body)
    with pytest.raises(SheetError, match=r"单元格 J10: 是错误值 #DIV/0!"):
        project.read(p)


def test_read_xlsm_data_only(project, tmp_path):
    body = rezip(project.render(project_data(2)), {
        "[Content_Types].xml": lambda x: x.replace(MAIN_CT, "application/vnd.ms-excel.sheet.macroEnabled.main+xml")})
    zin = zipfile.ZipFile(io.BytesIO(body))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for i in zin.infolist():
            z.writestr(i, zin.read(i))
        z.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 not really vba")
    p = tmp_path / "m.xlsm"
    p.write_bytes(out.getvalue())
    back = project.read(p)
    assert len(back.tables["indicators"]) == 2


# --------------------------------------------------------------------------- atomic write


def _leftovers(d: Path) -> list[str]:
    return sorted(x.name for x in d.iterdir())


def test_write_atomic_success(project, tmp_path):
    out = tmp_path / "a.xlsx"
    out.write_bytes(b"old")
    project.write(project_data(2), out)
    assert _leftovers(tmp_path) == ["a.xlsx"]
    assert out.read_bytes() == project.render(project_data(2))


def test_write_failure_leaves_nothing(project, tmp_path):
    target = tmp_path / "is_a_dir.xlsx"
    target.mkdir()
    with pytest.raises(OutputError):
        project.write(project_data(2), target)
    assert _leftovers(tmp_path) == ["is_a_dir.xlsx"] and list(target.iterdir()) == []
    with pytest.raises(OutputError):
        project.write(project_data(2), tmp_path / "no_such_dir" / "x.xlsx")
    assert _leftovers(tmp_path) == ["is_a_dir.xlsx"]


def test_write_fsync_failure_leaves_nothing(project, tmp_path, monkeypatch):
    def boom(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OutputError, match="无法写入 .*x.xlsx: 磁盘已满"):
        project.write(project_data(2), tmp_path / "x.xlsx")
    assert _leftovers(tmp_path) == []


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores directory permissions")
def test_write_read_only_dir(project, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises((SheetError, OSError)):
            project.write(project_data(2), ro / "x.xlsx")
        assert _leftovers(ro) == []
    finally:
        ro.chmod(0o755)


# --------------------------------------------------------------------------- foreign templates


def _foreign_template(tmp_path: Path) -> Path:
    """A province template made elsewhere: formulas below the table, validations, formats."""
    wb = Workbook()
    ws = wb.active
    ws.title = "A12表"
    other = wb.create_sheet("汇总")
    ws["A1"] = "自评表"
    ws["B3"] = "项目"
    thin = Side(style="thin")
    for i, h in enumerate(["一级", "二级", "三级", "分值", "得分"]):
        ws.cell(11, i + 1, h)
        c = ws.cell(12, i + 1)
        c.border = Border(top=thin, bottom=thin, left=thin, right=thin)
        c.font = Font(name="宋体", size=10)
    ws["E12"].number_format = "0.00"
    ws["A13"] = "合计"
    ws["E13"] = "=SUM(E12:E12)"
    ws["B14"] = "=\"见'A12表'!B3 和 E12\"&'A12表'!B3"
    ws["C14"] = "=E13*2+$E$12"
    ws["D14"] = "=COUNTA('A12表'!C12:C12)"
    ws["A15"] = "等级"
    ws.merge_cells("A15:D15")
    other["A1"] = "='A12表'!E13"
    other["A2"] = "=汇总!B1+A12表!B3"
    dv = DataValidation(type="list", formula1='"优,良,中,差"')
    ws.add_data_validation(dv)
    dv.add("E15")
    dv_score = DataValidation(type="decimal", operator="between", formula1="0", formula2="D12")
    ws.add_data_validation(dv_score)
    dv_score.add("E12")
    ws.conditional_formatting.add("E12", CellIsRule(operator="lessThan", formula=["D12"],
                                                    fill=PatternFill(bgColor="FFC7CE")))
    ws.conditional_formatting.add("A13:E15", CellIsRule(operator="equal", formula=["$E$13"],
                                                        fill=PatternFill(bgColor="FFC7CE")))
    ws.print_area = "A1:E15"
    ws.print_title_rows = "11:11"
    p = tmp_path / "foreign.xlsx"
    wb.save(p)
    (tmp_path / "foreign.map.yaml").write_text(
        "sheet: A12表\nfields: {project: B3, grade: E15}\n"
        "tables:\n  rows: {row: 12, columns: {l1: A, l2: B, name: C, weight: D, score: E}, merge: [l1, l2]}\n",
        encoding="utf-8")
    return p


def test_foreign_template_shifts(tmp_path):
    t = compile_template(_foreign_template(tmp_path))
    rows = [dict(l1="产出指标", l2="数量指标" if i < 6 else "质量指标", name=f"指标{i}", weight=D(10), score=D(i))
            for i in range(10)]
    body = t.render(SheetData(fields={"project": "法治建设", "grade": "优"}, tables={"rows": rows}))
    wb = load_workbook(io.BytesIO(body))
    ws = wb["A12表"]
    assert ws["E22"].value == "=SUM(E12:E21)"                         # range ending on the template row grows
    assert ws["B23"].value == "=\"见'A12表'!B3 和 E12\"&'A12表'!B3"   # string literal untouched
    assert ws["C23"].value == "=E22*2+$E$12"                          # below: moved; on the template row: stays
    assert ws["D23"].value == "=COUNTA('A12表'!C12:C21)"
    assert wb["汇总"]["A1"].value == "='A12表'!E22"                    # another sheet's reference moves too
    assert wb["汇总"]["A2"].value == "=汇总!B1+A12表!B3"
    assert ws["A24"].value == "等级" and ws["E24"].value == "优" and "A24:D24" in merges(ws)
    assert {"A12:A21", "B12:B17", "B18:B21"} <= merges(ws)
    dvs = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    assert set(dvs) == {"E24", "E12:E21"} and dvs["E12:E21"].formula2 == "D12"
    cfs = {str(r.sqref): [rule.formula for rule in r.rules] for r in ws.conditional_formatting}
    assert cfs == {"E12:E21": [["D12"]], "A22:E24": [["$E$22"]]}
    assert ws.print_area == "'A12表'!$A$1:$E$24" and ws.print_title_rows == "$11:$11"
    assert ws["E15"].border.left.style == "thin" and ws["E15"].number_format == "0.00"
    workbook_xml = zipfile.ZipFile(io.BytesIO(body)).read("xl/workbook.xml").decode()
    assert 'fullCalcOnLoad="1"' in workbook_xml
    sheet_xml = zipfile.ZipFile(io.BytesIO(body)).read("xl/worksheets/sheet1.xml").decode()
    assert "<v></v>" not in sheet_xml and "<v />" not in sheet_xml   # stale cached values dropped


def test_foreign_template_zero_rows(tmp_path):
    t = compile_template(_foreign_template(tmp_path))
    body = t.render(SheetData(fields={"grade": "差"}))
    ws = load_workbook(io.BytesIO(body))["A12表"]
    assert ws["A12"].value == "合计" and ws["E12"].value == "=SUM(#REF!)"
    assert ws["A14"].value == "等级" and ws["E14"].value == "差"
    assert {str(dv.sqref) for dv in ws.data_validations.dataValidation} == {"E14"}
    assert {str(r.sqref) for r in ws.conditional_formatting} == {"A12:E14"}
    assert ws.print_area == "'A12表'!$A$1:$E$14"


def test_foreign_excel_parts(tmp_path):
    """calcChain, shared formulas, a formula in the template row, an .xlsm content type."""
    src = _foreign_template(tmp_path)
    ct_macro = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"

    def sheet(x: str) -> str:
        x = x.replace('<c r="E13"><f>SUM(E12:E12)</f><v></v></c>', "")
        x = re.sub(r'<c r="E13"><f>SUM\(E12:E12\)</f><v ?/?>(</v>)?</c>', "", x)
        x = x.replace("</row><row r=\"14\">",
                      '<c r="E13"><f t="shared" ref="E13:E13" si="0">SUM(E12:E12)</f><v>3</v></c></row><row r="14">', 1)
        # a formula of the template row and a shared formula that uses it
        x = re.sub(r'(<c r="D12"[^>]*?)(/>|>.*?</c>)', r'\1><f>E12*2</f><v>0</v></c>', x, count=1)
        return x

    def rels(x: str) -> str:
        return x.replace("</Relationships>", '<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/'
                         'officeDocument/2006/relationships/calcChain" Target="calcChain.xml"/></Relationships>')

    def ct(x: str) -> str:
        return x.replace(MAIN_CT, ct_macro).replace("</Types>", '<Override PartName="/xl/calcChain.xml" '
                         'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"/></Types>')

    body = rezip(src.read_bytes(), {"xl/worksheets/sheet1.xml": sheet, "xl/_rels/workbook.xml.rels": rels,
                                    "[Content_Types].xml": ct})
    zin = zipfile.ZipFile(io.BytesIO(body))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for i in zin.infolist():
            z.writestr(i, zin.read(i))
        z.writestr("xl/calcChain.xml", '<calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                   '<c r="E13" i="1"/></calcChain>')
    src.write_bytes(out.getvalue())
    # D (the template row's formula) is not a mapped column here
    (tmp_path / "foreign.map.yaml").write_text(
        "sheet: A12表\ntables:\n  rows: {row: 12, columns: {l1: A, l2: B, name: C, score: E}}\n", encoding="utf-8")
    t = compile_template(src)
    rows = [dict(name=f"n{i}", score=D(i)) for i in range(3)]
    body = t.render(SheetData(tables={"rows": rows}))
    z = zipfile.ZipFile(io.BytesIO(body))
    names = z.namelist()
    assert "xl/calcChain.xml" not in names
    assert "calcChain" not in z.read("xl/_rels/workbook.xml.rels").decode()
    ct_out = z.read("[Content_Types].xml").decode()
    assert "calcChain" not in ct_out and ct_macro not in ct_out and MAIN_CT in ct_out
    xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert 't="shared"' not in xml
    ws = load_workbook(io.BytesIO(body))["A12表"]
    assert [ws[f"D{r}"].value for r in (12, 13, 14)] == ["=E12*2", "=E13*2", "=E14*2"]
    assert ws["E15"].value == "=SUM(E12:E14)"


def test_template_without_merges_gets_merge_element(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "S"
    ws["A1"], ws["B1"] = "一级", "名称"
    ws["A2"].font = Font(name="宋体")
    ws["B2"].font = Font(name="宋体")
    ws["A3"] = "合计"
    ws.page_setup.orientation = "landscape"
    p = tmp_path / "plain.xlsx"
    wb.save(p)
    (tmp_path / "plain.map.yaml").write_text("sheet: S\ntables: {t: {row: 2, columns: {a: A, b: B}, merge: [a]}}\n",
                                             encoding="utf-8")
    t = compile_template(p)
    body = t.render(SheetData(tables={"t": [dict(a="x", b=str(i)) for i in range(3)]}))
    xml = zipfile.ZipFile(io.BytesIO(body)).read("xl/worksheets/sheet1.xml").decode()
    assert xml.index("<mergeCells") < xml.index("<pageMargins")    # schema order
    ws2 = load_workbook(io.BytesIO(body))["S"]
    assert merges(ws2) == {"A2:A4"} and ws2["A5"].value == "合计"
    back = t.read(_write(tmp_path / "o.xlsx", body))
    assert [(r["a"].value, r["b"].value) for r in back.tables["t"]] == [("x", "0"), ("x", "1"), ("x", "2")]


def _write(p: Path, body: bytes) -> Path:
    p.write_bytes(body)
    return p


def test_shift_rules():
    sh = Shift([(10, 5), (20, 0)])
    assert [sh.start(r) for r in (9, 10, 11, 20, 21)] == [9, 10, 15, 24, 24]
    assert [sh.end(r) for r in (9, 10, 11, 19, 20, 21)] == [9, 14, 15, 23, 23, 24]
    assert sh.point(20) is None and sh.point(10) == 10
    pieces = compile_formula("SUM(J10:J10)+'S'!A21+\"J10\"+X!J11", "S", True, 10)
    assert FormulaSlot(pieces)(sh) == "SUM(J10:J14)+'S'!A24+\"J10\"+X!J11"
    esc = "&apos;S&apos;!$A$1:$L$21"
    assert FormulaSlot(compile_formula(esc, "S", False, 10))(sh) == "&apos;S&apos;!$A$1:$L$24"


def test_compile_missing_files(tmp_path):
    with pytest.raises(SheetError, match="模板文件 .*none.xlsx 不存在"):
        compile_template(tmp_path / "none.xlsx")
    x = tmp_path / "lonely.xlsx"
    x.write_bytes(PROJECT.read_bytes())
    with pytest.raises(SheetError, match="模板映射文件 .*lonely.map.yaml 不存在"):
        compile_template(x)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100))
    (tmp_path / "bad.map.yaml").write_text("sheet: S\n", encoding="utf-8")
    with pytest.raises(SheetError, match="模板 .*bad.xlsx: 是旧版 .xls 文件"):
        compile_template(bad)


def test_str_subclass_is_text(project):
    import enum

    class Grade(str, enum.Enum):
        GOOD = "优"

    body = project.render(SheetData(fields={"grade": Grade.GOOD}, tables={"indicators": [dict(name=Grade.GOOD)]}))
    ws = open_rendered(body, "项目绩效自评表")[1]
    assert ws["J15"].value == "优" and ws["C10"].value == "优"


def test_comments_and_drawings_move(tmp_path):
    from openpyxl.chart import BarChart, Reference
    from openpyxl.comments import Comment

    wb = Workbook()
    ws = wb.active
    ws.title = "S"
    ws["A1"] = "名称"
    ws["A2"].font = Font(name="宋体")
    ws["A3"] = "合计"
    ws["B3"] = "盖章"
    ws["B3"].comment = Comment("单位盖章处", "perfscore")
    ws["A1"].comment = Comment("表头", "perfscore")
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=2, min_row=3, max_row=3))
    ws.add_chart(chart, "C4")                      # anchored below the table
    p = tmp_path / "c.xlsx"
    wb.save(p)
    (tmp_path / "c.map.yaml").write_text("sheet: S\ntables: {t: {row: 2, columns: {a: A}}}\n", encoding="utf-8")
    t = compile_template(p)
    body = t.render(SheetData(tables={"t": [dict(a=str(i)) for i in range(5)]}))
    z = zipfile.ZipFile(io.BytesIO(body))
    comments = next(n for n in z.namelist() if "comments/" in n)
    assert re.findall(r'ref="([^"]*)"', z.read(comments).decode()) == ["A1", "B7"]
    vml = next(n for n in z.namelist() if n.endswith(".vml"))
    assert re.findall(r"<\w+:Row>(\d+)<", z.read(vml).decode()) == ["0", "6"]    # 0-based rows
    drawing = next(n for n in z.namelist() if re.match(r"xl/drawings/drawing\d+\.xml", n))
    assert re.findall(r"<(?:\w+:)?from><(?:\w+:)?col>\d+</(?:\w+:)?col><(?:\w+:)?colOff>\d+</(?:\w+:)?colOff>"
                      r"<(?:\w+:)?row>(\d+)<", z.read(drawing).decode()) == ["7"]   # C4 -> C8 (0-based 7)
    chart_xml = z.read(next(n for n in z.namelist() if n.startswith("xl/charts/chart"))).decode()
    assert re.findall(r"<(?:c:)?f>([^<]*)</(?:c:)?f>", chart_xml) == ["'S'!$B$7"]   # the series follows B3 -> B7
    ws2 = load_workbook(io.BytesIO(body))["S"]
    assert ws2["B7"].comment.text == "单位盖章处" and ws2["A1"].comment.text == "表头"
    assert z.testzip() is None


def test_foreign_template_links_breaks_and_filters_shift(tmp_path):
    """Hyperlinks, page breaks and an autofilter below the template row move with the rows;
    above it they stay."""
    from openpyxl.worksheet.pagebreak import Break

    src = _foreign_template(tmp_path)
    wb = load_workbook(src)
    ws = wb["A12表"]
    ws["A16"] = "盖章"
    ws["A16"].hyperlink = "https://example.invalid/盖章"
    ws["B3"].hyperlink = "https://example.invalid/项目"
    ws.row_breaks.append(Break(id=13))
    ws.auto_filter.ref = "A11:E12"
    wb.save(src)
    t = compile_template(src)
    rows = [dict(l1="产出指标", l2="数量指标", name=f"指标{i}", weight=D(10), score=D(i)) for i in range(5)]
    body = t.render(SheetData(fields={"project": "法治建设", "grade": "优"}, tables={"rows": rows}))
    out = load_workbook(io.BytesIO(body))["A12表"]
    links = {c.coordinate for row in out.iter_rows() for c in row if c.hyperlink}
    assert links == {"B3", "A20"}  # row 16 + 4 inserted rows
    assert [b.id for b in out.row_breaks.brk] == [17]
    assert out.auto_filter.ref == "A11:E16"


# -- the formula tokenizer port ---------------------------------------------------------------

def _openpyxl_operands(text: str):
    """The reference: openpyxl's Tokenizer, each token located as compile_formula once did."""
    from openpyxl.formula.tokenizer import Tokenizer

    try:
        tokens = Tokenizer("=" + text).items
    except Exception:  # noqa: BLE001 - any failure of the reference is "not a formula"
        return None
    out, cur = [], 0
    for tok in tokens:
        if tok.type == "WHITE-SPACE":
            continue
        at = text.find(tok.value, cur)
        if at < 0:
            return None
        cur = at + len(tok.value)
        if tok.type == "OPERAND" and tok.subtype == "RANGE":
            out.append((at, tok.value))
    return out


def _ported_operands(text: str):
    from perfscore.xlsx.shifting import range_operands

    try:
        return range_operands(text)
    except ValueError:
        return None


_PIECES = ["A1", "$B$2", "Sheet1!C3", "'My Sheet'!D4:E5", "SUM(", "IF(", ")", "(", "+", "-", "*", "/", "^", "&", "=",
           "<>", ">=", '"text"', '"a""b"', '"A1"', "1E+3", "2.5e-1", "1E", "#REF!", "Sheet1!#REF!", "#N/A", "TRUE", "{",
           "}", "{1,2}", ",", ";", " ", "\n", "[1]Sheet1!A1", "Table1[Col]", "T[[#This Row],[x]]", "A:A", "1:1",
           "LOG10(", "%", "inf", "nan", "1_0", "名称", "'it''s'!A1", "A1:", ":", "!", "#", "'", '"', "[", "]", "3",
           "0.5", "$C$7:$C$9", "ROUND("]


def test_formula_tokenizer_port_agrees_with_openpyxl():
    import html
    import random

    formulas = []
    for path in sorted((ROOT / "templates").glob("*.xlsx")):
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if name.endswith(".xml"):
                    xml = z.read(name).decode("utf-8")
                    formulas += [html.unescape(m.group(2)) for m in
                                 re.finditer(r"<(f|formula1|formula2|formula|definedName)\b[^>]*>(.*?)</\1>", xml, re.S)]
    assert len(formulas) >= 10 and any(_ported_operands(f) for f in formulas)
    rng = random.Random(2026)
    formulas += ["".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 8))) for _ in range(30000)]
    differ = [f for f in formulas if _ported_operands(f) != _openpyxl_operands(f)]
    assert differ == []
    assert _ported_operands('IF(A1="A1",A1,Sheet1!$B$2:B9)') == [(3, "A1"), (11, "A1"), (14, "Sheet1!$B$2:B9")]
