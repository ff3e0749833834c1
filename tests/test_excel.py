"""Excel end to end: fill → import → score, audit of hand-edited sheets, init, and the
CLI's refusals (never overwrite an input, clear errors for bad workbooks)."""

import json
import re
import shutil
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from perfscore.policy import load_policy
from perfscore.projectfile import read_sheet_file
from perfscore.scoring import score_sheet
from perfscore.sheets.fill import fill_sheet

from conftest import GOUMAI, SAMPLES, TEMPLATES, audited, imported, run
ALL_SAMPLES = [p for p in sorted(SAMPLES.glob("*/*.yaml")) if p.name != "perfscore.yaml"]  # a folder's policy is no sample
D = Decimal


def policy_for(path: Path) -> str:
    return "liaoning" if "liaoning" in str(path) else "hubei"


def numbers(result):
    return (
        result.execution_rate, result.execution_score, result.indicator_score, result.total, result.grade,
        [(i.name, i.weight, i.completion_pct, i.score) for i in result.indicators],
        [(t.name, t.execution_rate, t.score) for t in result.tasks],
    )


@pytest.mark.parametrize("path", ALL_SAMPLES, ids=[p.stem for p in ALL_SAMPLES])
def test_fill_import_score_round_trip(tmp_path, path):
    policy = load_policy(policy_for(path))
    first = score_sheet(read_sheet_file(path), policy)
    out = fill_sheet(first, tmp_path / "sheet.xlsx")
    again = score_sheet(imported(out), policy)
    assert numbers(again) == numbers(first)
    assert again.discrepancies == []  # the filled sheet agrees with itself


def test_filled_sheet_holds_numbers_formats_and_merges(tmp_path):
    path = SAMPLES / "liaoning_chaoyang_2024" / "zhengfu_goumai_falv_fuwu.yaml"
    result = run("fill", path, "-o", tmp_path / "out.xlsx", "--policy", "liaoning")
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(tmp_path / "out.xlsx", data_only=True)["项目绩效自评表"]  # cached values of the formulas
    cells = {c.value: c for row in ws.iter_rows() for c in row if c.value is not None}
    assert cells["政府购买法律服务"].data_type == "s"
    total = [c for c in ws["J"] if c.value == 98.32]
    assert total and total[0].number_format == "0.00"
    rate = [c for row in ws.iter_rows() for c in row if c.value == 0.8316]
    assert rate and rate[0].number_format == "0.00%"
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert "A10:A13" in merged  # 产出指标 over its four rows
    assert "B10:B11" in merged and "B12:B13" in merged


def test_audit_reports_exactly_the_edited_cell(tmp_path):
    path = SAMPLES / "liaoning_chaoyang_2024" / "zhengfu_goumai_falv_fuwu.yaml"
    sheet = tmp_path / "handed_in.xlsx"
    fill_sheet(score_sheet(read_sheet_file(path), load_policy("liaoning")), sheet)
    j12 = formula_at(sheet, "J12")
    assert j12 == 'IF(AND(ISNUMBER(H12),ISNUMBER(I12)),ROUND(I12*H12+0.000000001,2),"")'
    wb = openpyxl.load_workbook(sheet)
    ws = wb["项目绩效自评表"]
    ws["J12"] = 10  # 得分 of 资金使用合规率, typed as 10 over its formula (12.5)
    wb.save(sheet)  # openpyxl drops every cached value: the other formula cells are stale
    found = audited(sheet, load_policy("liaoning")).findings
    at_j12 = [(f.cell, f.discrepancy.field, f.discrepancy.reported, f.discrepancy.computed) for f in found if f.cell == "J12"]
    assert at_j12 == [("J12", "indicators[2].score", D(10), D("12.5")), ("J12", "cell:J12", "10", "公式 =" + j12)]
    assert [f.discrepancy.label for f in found if f.discrepancy.field == "cell:J12"] == ["第3个指标「资金使用合规率」得分（公式被改成了数值）"]
    stale = {f.cell for f in found if f.cell != "J12"}
    assert {"I6", "L6", "J16", "J17", "J19", "J20", "H10", "J10", "H12"} <= stale
    assert all("公式没有缓存值" in f.discrepancy.label for f in found if f.cell != "J12")
    result = run("audit", sheet, "--policy", "liaoning")
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == f"{sheet} J12 第3个指标「资金使用合规率」得分: 原表 10，应为 12.5"
    data = json.loads(run("audit", sheet, "--policy", "liaoning", "--format", "json").output)
    assert data["findings"][0]["cell"] == "J12"


def formula_at(sheet: Path, ref: str) -> str:
    """The formula text perfscore wrote at ref (from the sheet XML)."""
    import html

    with zipfile.ZipFile(sheet) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    return html.unescape(re.search(rf'<c r="{ref}"[^>]*><f>(.*?)</f>', xml).group(1))


def test_audit_clean_sheet_exits_0(tmp_path):
    sheet = tmp_path / "ok.xlsx"
    path = SAMPLES / "liaoning_chaoyang_2024" / "zhengti.yaml"
    fill_sheet(score_sheet(read_sheet_file(path), load_policy("liaoning")), sheet)
    result = run("audit", sheet, "--policy", "liaoning")
    assert result.exit_code == 0 and "94.30" in result.output
    # under the default policy the whole-percent task rates are differences, cell by cell
    result = run("audit", sheet)
    assert result.exit_code == 1
    assert "J6 第1个任务「部门预算基本支出公用经费（刚性）」执行率: 原表 84，应为 83.87" in result.output


def test_score_check_explain_accept_xlsx(tmp_path):
    sheet = tmp_path / "s.xlsx"
    path = SAMPLES / "liaoning_chaoyang_2024" / "zhengfu_goumai_falv_fuwu.yaml"
    assert run("fill", path, "-o", sheet).exit_code == 0
    result = run("score", sheet, "--explain")
    assert result.exit_code == 0 and "总分 98.32" in result.output and "计算过程" in result.output
    assert run("check", sheet).exit_code == 0


def test_import_writes_yaml_and_json(tmp_path):
    sheet = tmp_path / "s.xlsx"
    assert run("fill", SAMPLES / "hubei_qiaokou_2024" / "05_anzhi_bangjiao.yaml", "-o", sheet, "--policy", "hubei").exit_code == 0
    for suffix in ("yaml", "json"):
        out = tmp_path / f"p.{suffix}"
        result = run("import", sheet, "-o", out)
        assert result.exit_code == 0, result.output
        scored = json.loads(run("score", out, "--format", "json", "--policy", "hubei").output)
        assert scored["total"] == 100 and scored["name"] == "安置帮教工作经费"


def test_init_blank_sheet_and_yaml(tmp_path):
    assert run("init", "-o", tmp_path / "blank.xlsx").exit_code == 0
    ws = openpyxl.load_workbook(tmp_path / "blank.xlsx").active
    values = [c.value for row in ws.iter_rows() for c in row if c.value]
    assert "服务对象满意度指标" in values and "三级指标" in values
    assert run("init", "-o", tmp_path / "p.yaml").exit_code == 0
    result = run("score", tmp_path / "p.yaml")
    assert result.exit_code == 0 and "项目名称" in result.output
    assert run("init", "-o", tmp_path / "d.yaml", "--kind", "department").exit_code == 0
    assert run("score", tmp_path / "d.yaml").exit_code == 0
    assert run("init", "-o", tmp_path / "d.xlsx", "--kind", "department").exit_code == 0


def test_text_from_users_is_never_a_formula(tmp_path):
    data = {
        "name": "=HYPERLINK(\"http://x\",\"点我\")", "department": "+86 123", "unit": "-1", "goal": "@SUM(A1)",
        "achieved": "\t=1+1", "budget": {"initial": 1, "executed": 1},
        "indicators": [{"level1": "产出指标", "level2": "数量指标", "name": "=1+2", "target": "规范执行",
                        "actual": "全部或基本达成预期指标", "cause": "\r=cmd", "remedy": "@x"}],
    }
    src = tmp_path / "inj.json"
    src.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "inj.xlsx"
    assert run("fill", src, "-o", out).exit_code == 0
    ws = openpyxl.load_workbook(out).active
    texts = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.data_type != "f"]
    assert any(c.value.startswith("=HYPERLINK") for c in texts)
    assert all(c.data_type == "s" for c in texts)
    # the only formulas are perfscore's own, in its result cells; none carries user text
    formulas = {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.data_type == "f"}
    # (H10: the grade word's 完成程度; M10:O10 the hidden helpers reading the row's printed cells)
    assert set(formulas) == {"I6", "L6", "H10", "M10", "N10", "O10", "J10", "J11", "J12", "J14", "J15"}
    assert not any(word in f for f in formulas.values() for word in ("HYPERLINK", "cmd", "SUM(A1)", "1+2", "@"))


def test_fill_never_overwrites_an_input(tmp_path):
    src = tmp_path / "s.xlsx"
    path = SAMPLES / "liaoning_chaoyang_2024" / "zhengfu_goumai_falv_fuwu.yaml"
    assert run("fill", path, "-o", src).exit_code == 0
    before = src.read_bytes()
    result = run("fill", src, "-o", src)
    assert result.exit_code == 1 and "不会覆盖输入" in result.stderr
    assert src.read_bytes() == before
    result = run("import", src, "-o", src)
    assert result.exit_code == 1 and src.read_bytes() == before


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "旧版 .xls"),
        (b"PK\x03\x04garbage" * 10, "已损坏"),
        (b"just text", "不是 .xlsx 文件"),
    ],
)
def test_bad_workbooks(tmp_path, content, message):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(content)
    for command in ("score", "audit"):
        result = run(command, path)
        assert result.exit_code == 1 and message in result.stderr and "Traceback" not in result.stderr


def test_workbook_without_the_sheet(tmp_path):
    path = tmp_path / "other.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "别的表"
    wb.save(path)
    result = run("score", path)
    assert result.exit_code == 1 and "找不到绩效自评表" in result.stderr and "「别的表」" in result.stderr


def test_zip_bomb_is_refused_before_reading(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * (150 * 1024 * 1024) + b"/>")
    assert path.stat().st_size < 1024 * 1024
    result = run("score", path)
    assert result.exit_code == 1 and "zip 炸弹" in result.stderr


@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice (libreoffice-calc-nogui) and poppler-utils are not installed")
def test_filled_sheet_prints_on_one_page(tmp_path):
    path = SAMPLES / "liaoning_chaoyang_2024" / "zhengfu_goumai_falv_fuwu.yaml"
    sheet = tmp_path / "goumai.xlsx"
    assert run("fill", path, "-o", sheet, "--policy", "liaoning").exit_code == 0
    subprocess.run(
        ["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(sheet)],
        check=True, capture_output=True, timeout=180,
    )
    pdf = tmp_path / "goumai.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+1$", info, re.M), info
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "政府购买法律服务" in text and "98.32" in text and "预算项目(政策)绩效自评表" in text


def test_fill_many_files_into_a_directory(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    src = SAMPLES / "liaoning_chaoyang_2024" / "fazhi_jianshe.yaml"
    shutil.copy(src, a / "x.yaml")
    shutil.copy(src, b / "x.yaml")
    result = run("fill", a / "x.yaml", b / "x.yaml", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["x.xlsx", "x（2）.xlsx"]


def test_sheet_with_empty_required_cells_names_each_cell(tmp_path):
    sheet = tmp_path / "s.xlsx"
    path = SAMPLES / "liaoning_chaoyang_2024" / "zhengfu_goumai_falv_fuwu.yaml"
    fill_sheet(score_sheet(read_sheet_file(path), load_policy("liaoning")), sheet)
    wb = openpyxl.load_workbook(sheet)
    ws = wb["项目绩效自评表"]
    ws["C3"] = None  # 项目名称
    ws["G11"] = None  # 全年完成值 of the 2nd indicator
    wb.save(sheet)
    result = run("check", sheet)
    assert result.exit_code == 1
    assert f"文件 {sheet}: 单元格 C3（项目名称）为空" in result.stderr
    assert f"文件 {sheet}: 单元格 G11（全年完成值，「法律建议稿及说明数量」）为空" in result.stderr
    assert "Traceback" not in result.stderr


def test_map_with_a_misspelt_column_is_refused_naming_map_and_key(tmp_path):
    """A map's `wieght` column used to be accepted silently (weights then fell back to the split)."""
    import shutil

    templates = TEMPLATES
    shutil.copy(templates / "project_sheet.xlsx", tmp_path / "my.xlsx")
    text = (templates / "project_sheet.map.yaml").read_text(encoding="utf-8")
    (tmp_path / "my.map.yaml").write_text(text.replace("weight: I", "wieght: I"), encoding="utf-8")
    sample = GOUMAI
    for args in (["fill", sample, "-t", tmp_path / "my.xlsx", "-o", tmp_path / "out.xlsx"],
                 ["init", "-t", tmp_path / "my.xlsx", "-o", tmp_path / "blank.xlsx"]):
        result = run(*args)
        assert result.exit_code == 1
        assert "模板映射 my.map.yaml 键 tables.indicators.columns.wieght: 未知的列名" in result.stderr
    assert not (tmp_path / "out.xlsx").exists() and not (tmp_path / "blank.xlsx").exists()
