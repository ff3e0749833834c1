"""Live formulas in the filled sheets (issue 11): cached values, hand edits found by audit,
printing, and — with LibreOffice installed — a real client recalculating the sheets.

LibreOffice conversions are slow (2–5 s each), so every sheet that needs recalculating is
converted in ONE batch (module fixture ``recalculated``), and the PDFs in another.
"""

from __future__ import annotations

import html
import random
import re
import shutil
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from perfscore.policy import Policy, load_policy
from perfscore.projectfile import read_sheet_file, sheet_from_mapping
from perfscore.scoring import score_sheet
from perfscore.sheets.fill import fill_sheet, write_blank
from perfscore.xlsx.formulas import normalize_formula

D = Decimal
from conftest import SAMPLES, SOFFICE, TEMPLATES, audited, imported, soffice
needs_soffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
needs_poppler = pytest.mark.skipif(SOFFICE is None or shutil.which("pdfinfo") is None or shutil.which("pdftotext") is None,
                                   reason="LibreOffice and poppler-utils are not installed")


def sheet_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read("xl/worksheets/sheet1.xml").decode()


def rewrite(path: Path, edit) -> None:
    """Edit the sheet XML in place (the way another program would write the file)."""
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["xl/worksheets/sheet1.xml"] = edit(parts["xl/worksheets/sheet1.xml"].decode()).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, b in parts.items():
            z.writestr(n, b)


def cell_of(xml: str, ref: str) -> str:
    m = re.search(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)', xml)
    assert m, ref
    return m.group(0)


def filled(tmp_path: Path, sample: str = "liaoning_chaoyang_2024/zhengfu_goumai_falv_fuwu.yaml",
           policy: str = "liaoning") -> Path:
    out = tmp_path / (Path(sample).stem + ".xlsx")
    pol = load_policy(policy)
    fill_sheet(score_sheet(read_sheet_file(SAMPLES / sample), pol), out, policy=pol)
    return out


# --------------------------------------------------------------------------- the formulas


def test_normalize_formula_accepts_how_clients_write_back():
    ours = 'IF(OR(H12="",I12=""),"",ROUND(I12*H12+0.000000001,2))'
    assert normalize_formula("=" + ours.replace("0.000000001", "1E-9")) == normalize_formula(ours)
    assert normalize_formula(ours.replace("H12", "$H$12").replace("ROUND", "round")) == normalize_formula(ours)
    assert normalize_formula('IF(A1="ab c",1,2)') != normalize_formula('IF(A1="abc",1,2)')
    assert normalize_formula(ours) != normalize_formula(ours.replace(",2)", ",0)"))


def test_every_formula_cell_carries_perfscore_value(tmp_path):
    """Formulas in 执行率, 执行率得分, 完成程度 (quantitative rows, and the qualitative row graded
    A by its word), 得分, 小计, 总分, 等级 and the hidden helper columns M:O, each with its cached
    value (a helper of the qualitative row caches the empty text)."""
    xml = sheet_xml(filled(tmp_path))
    cells = set(re.findall(r'<c r="([A-Z]+\d+)"[^>]*><f>', xml))
    helpers = {f"{c}{r}" for c in "MNO" for r in range(10, 16)}
    assert cells == {"I6", "L6", "H10", "J10", "H11", "J11", "H12", "J12", "H13", "J13", "H14", "J14", "H15", "J15",
                     "J16", "J17", "J19", "J20"} | helpers
    assert "<v>1</v>" in cell_of(xml, "H15")  # 规范执行: graded A by 全部或基本达成预期指标
    for ref in cells - {"M15", "N15", "O15"}:
        assert re.search(r"</f><v>[^<]+</v>", cell_of(xml, ref)), ref
    # a percent row stores target and actual as Excel stores a typed percent: 90% is 0.9
    assert "<v>0.9</v>" in cell_of(xml, "E13") and "<v>1</v>" in cell_of(xml, "G13")
    assert [cell_of(xml, r).split("<v>")[1].split("<")[0] for r in ("M13", "N13", "O13")] == ["≥", "90", "100"]
    assert 't="str"' in cell_of(xml, "J20") and "<v>优</v>" in cell_of(xml, "J20")
    assert "<v>0.8316</v>" in cell_of(xml, "I6") and "<v>98.32</v>" in cell_of(xml, "J19")
    assert html.unescape(re.search(r"<f>(.*?)</f>", cell_of(xml, "J20")).group(1)) == \
        'IF(ISNUMBER(J19),IF(J19>=90,"优",IF(J19>=80,"良",IF(J19>=60,"中","差"))),"")'
    assert html.unescape(re.search(r"<f>(.*?)</f>", cell_of(xml, "J19")).group(1)) == (
        'IF(SUMPRODUCT(--(LEFT(H10:H15,1)="请"))>0,"请按各行提示填写完成程度",'
        'IF(COUNT(J10:J15)+ISNUMBER(L6)=0,"",ROUND(MIN(100,MAX(0,N(L6)+N(J16)-N(J18)))+0.000000001,2)))')
    assert html.unescape(re.search(r"<f>(.*?)</f>", cell_of(xml, "J16")).group(1)) == 'IF(COUNT(J10:J15)=0,"",SUM(J10:J15))'
    assert html.unescape(re.search(r"<f>(.*?)</f>", cell_of(xml, "J17")).group(1)) == \
        'IF(ISNUMBER(I6),ROUND(N(K6)*MIN(I6,1)+0.000000001,2),"")'   # the footer's 预算执行率得分, the same formula as L6


def test_policy_numbers_are_the_formulas_constants(tmp_path):
    policy = Policy.model_validate({**load_policy("default").model_dump(), "score_decimals": 0, "score_rounding": "down",
                                    "execution_cap": False, "reverse_formula": "linear",
                                    "grade_bands": {"优": 80, "良": 70, "中": 60}, "rate_decimals": {"project": 0, "department": 0}})
    out = tmp_path / "p.xlsx"
    fill_sheet(score_sheet(read_sheet_file(SAMPLES / "liaoning_chaoyang_2024/zhengfu_goumai_falv_fuwu.yaml"), policy),
               out, policy=policy)
    xml = html.unescape(sheet_xml(out))
    assert "ROUND(G6/IF(E6=\"\",C6,E6)+0.000000001,2)" in cell_of(xml, "I6")       # whole percents
    assert "ROUNDDOWN(N(K6)*I6+0.000000001,0)" in cell_of(xml, "L6")                # no cap, truncate, 0 decimals
    assert "MAX(0,1-(O10-N10)/N10)" in cell_of(xml, "H10")                           # linear reverse rule
    assert 'IF(J19>=80,"优",IF(J19>=70,"良"' in cell_of(xml, "J20")


def test_blank_form_carries_formulas_for_20_rows(tmp_path):
    out = write_blank(tmp_path / "blank.xlsx")
    xml = sheet_xml(out)
    scores = re.findall(r'<c r="J(\d+)"[^>]*><f>IF\(AND\(ISNUMBER\(H\1\),ISNUMBER\(I\1\)\)', xml)
    assert [int(r) for r in scores] == list(range(10, 30))
    assert '<c r="H29"' in xml and 't="str"><f>' in cell_of(xml, "H29") and "<v></v>" in cell_of(xml, "H29")
    assert "<v>10</v>" in cell_of(xml, "K6")            # 执行率分值 of the policy
    assert "SUM(J10:J29)" in cell_of(xml, "J30")
    for ref in ("I6", "L6", "J30", "J33", "J34"):   # a blank form shows blanks, not 0.00 and 差
        assert 't="str"' in cell_of(xml, ref) and "<v></v>" in cell_of(xml, ref), ref
    assert 'fitToHeight="1"' in xml                     # 20 rows print on one page


def test_user_text_is_never_a_formula_even_in_a_combined_layout(tmp_path):
    mp = combined_template(tmp_path)
    data = {"name": "=1+1", "budget": {"initial": 10, "executed": 9}, "indicators": [
        {"level1": "产出指标", "level2": "数量指标", "name": "@x", "target": "≥100件", "actual": "95件", "weight": 45},
        {"level1": "效益指标", "level2": "社会效益指标", "name": "+1", "target": "=HYPERLINK(\"x\")",
         "actual": "全部或基本达成预期指标", "weight": 45}]}
    result = score_sheet(sheet_from_mapping(data, "x"), load_policy("default"))
    out = tmp_path / "c.xlsx"
    fill_sheet(result, out, mp)
    ws = openpyxl.load_workbook(out).active
    assert ws["E11"].value == "=HYPERLINK(\"x\")" and ws["E11"].data_type == "s"
    assert ws["E10"].value == "≥100件" and ws["C10"].data_type == "s"
    # hidden helpers: formulas reading operator and number out of the printed 指标值, and the actual
    assert [ws[f"{c}10"].data_type for c in "MNO"] == ["f"] * 3 and "E10" in ws["M10"].value and "E10" in ws["N10"].value
    assert ws.column_dimensions["M"].hidden and (ws.column_dimensions["M"].min, ws.column_dimensions["M"].max) == (13, 15)
    assert ws["H10"].data_type == "f" and "N10" in ws["H10"].value and "M10" in ws["H10"].value


def test_audit_finds_a_helper_typed_over(tmp_path):
    """The hidden helpers are formulas over the printed cells (a retyped 指标值 cannot leave
    them behind); a value typed over one is a hand edit like any other."""
    mp = combined_template(tmp_path)
    out = tmp_path / "c.xlsx"
    pol = load_policy("liaoning")
    fill_sheet(score_sheet(read_sheet_file(SAMPLES / "liaoning_chaoyang_2024/zhengfu_goumai_falv_fuwu.yaml"), pol), out, mp, policy=pol)
    assert audited(out, pol, mp).findings == []
    rewrite(out, lambda x: re.sub(r'(<c r="N11")><f>.*?</f>(<v>[^<]*</v></c>)', r"\1>\2", x))
    found = [f for f in audited(out, pol, mp).findings if f.discrepancy.field.startswith("cell:")]
    assert [(f.cell, f.discrepancy.label, f.discrepancy.reported) for f in found] == [
        ("N11", "第2个指标「法律建议稿及说明数量」隐藏辅助列（指标值数字）（公式被改成了数值）", "40")]


def test_a_layout_without_weight_column_gets_the_weight_as_a_constant(tmp_path):
    xlsx = tmp_path / "noweight.xlsx"
    shutil.copy(TEMPLATES / "project_sheet.xlsx", xlsx)
    text = (TEMPLATES / "project_sheet.map.yaml").read_text("utf-8").replace(" weight: I,", "")
    assert "weight" not in text.split("tables:")[1]
    (tmp_path / "noweight.map.yaml").write_text(text, "utf-8")
    pol = load_policy("hubei")
    sample = sorted(p for p in (SAMPLES / "hubei_qiaokou_2024").glob("*.yaml") if p.name != "perfscore.yaml")[0]   # no 分值 in the sheet: the default split
    result = score_sheet(read_sheet_file(sample), pol)
    out = tmp_path / "n.xlsx"
    fill_sheet(result, out, xlsx, policy=pol)
    xml = html.unescape(sheet_xml(out))
    w = format(result.indicators[0].weight.normalize(), "f")
    assert f'<f>IF(ISNUMBER(H10),ROUND({w}*H10+0.000000001,2),"")</f>' in cell_of(xml, "J10")
    assert audited(out, pol, xlsx).findings == []


def combined_template(tmp_path: Path) -> Path:
    """The shipped project template with a map that prints operator, number and unit in
    one 指标值 cell (no 运算符号 / 度量单位 columns), as several official layouts do."""
    xlsx = tmp_path / "combined.xlsx"
    shutil.copy(TEMPLATES / "project_sheet.xlsx", xlsx)
    text = (TEMPLATES / "project_sheet.map.yaml").read_text("utf-8")
    text = text.replace("operator: D, target: E, unit: F,", "target: E,")
    assert "operator" not in text
    (tmp_path / "combined.map.yaml").write_text(text, "utf-8")
    return xlsx


# --------------------------------------------------------------------------- audit of hand edits


def test_audit_finds_a_value_typed_over_a_formula(tmp_path):
    out = filled(tmp_path)
    rewrite(out, lambda x: re.sub(r'(<c r="J12" s="\d+")><f>.*?</f>(<v>[^<]*</v></c>)', r"\1>\2", x))
    found = audited(out, load_policy("liaoning")).findings
    assert [(f.cell, f.discrepancy.label, f.discrepancy.reported) for f in found] == [
        ("J12", "第3个指标「资金使用合规率」得分（公式被改成了数值）", "12.5")]
    assert found[0].line() == (f"{out} J12 第3个指标「资金使用合规率」得分（公式被改成了数值）: 原表 12.5，"
                               '应为 公式 =IF(AND(ISNUMBER(H12),ISNUMBER(I12)),ROUND(I12*H12+0.000000001,2),"")')


def test_audit_finds_a_changed_formula(tmp_path):
    out = filled(tmp_path)
    rewrite(out, lambda x: re.sub(r'(<c r="J19" s="\d+")><f>.*?</f>', r"\1><f>98.32</f>", x))
    found = audited(out, load_policy("liaoning")).findings
    assert [(f.cell, f.discrepancy.label, f.discrepancy.reported) for f in found] == [
        ("J19", "总分（公式与 perfscore 写入的不同）", "=98.32")]
    assert found[0].line().startswith(f"{out} J19 总分（公式与 perfscore 写入的不同）: 原表 =98.32，应为 =IF(SUMPRODUCT(")


def test_audit_finds_a_formula_without_cached_value(tmp_path):
    out = filled(tmp_path)
    rewrite(out, lambda x: re.sub(r'(<c r="L6" s="\d+"><f>.*?</f>)<v>[^<]*</v>', r"\1", x))
    found = audited(out, load_policy("liaoning")).findings
    assert [(f.cell, f.discrepancy.computed) for f in found] == [("L6", "8.32")]
    assert "公式没有缓存值" in found[0].discrepancy.label
    assert imported(out).reported.execution_score is None   # a printed result, never an input


def test_audit_finds_a_formula_where_the_unit_types_a_value(tmp_path):
    """A grade B row's 完成程度 is the unit's number (the formula would only ask for it)."""
    import yaml

    data = yaml.safe_load((SAMPLES / "liaoning_chaoyang_2024/zhengfu_goumai_falv_fuwu.yaml").read_text("utf-8"))
    data["indicators"][5].update(actual="部分达成预期指标并具有一定效果", completion="70%")
    pol = load_policy("liaoning")
    out = tmp_path / "b.xlsx"
    fill_sheet(score_sheet(sheet_from_mapping(data, "x"), pol), out, policy=pol)
    assert "<v>0.7</v>" in cell_of(sheet_xml(out), "H15") and audited(out, pol).findings == []
    rewrite(out, lambda x: re.sub(r'(<c r="H15" s="\d+")><v>0.7</v>', r"\1><f>0.7</f><v>0.7</v>", x))
    found = audited(out, load_policy("liaoning")).findings
    assert [(f.cell, f.discrepancy.label) for f in found] == [
        ("H15", "第6个指标「规范执行项目政策」完成程度（应为填写的数值，原表为公式）")]


def test_audit_of_a_freshly_filled_sheet_is_clean(tmp_path):
    for sample, policy in (("liaoning_chaoyang_2024/zhengti.yaml", "liaoning"),
                           ("hubei_qiaokou_2024/" + sorted(p.name for p in (SAMPLES / "hubei_qiaokou_2024").glob("*.yaml") if p.name != "perfscore.yaml")[0], "hubei")):
        assert audited(filled(tmp_path, sample, policy), load_policy(policy)).findings == []


# --------------------------------------------------------------------------- printing


def project_mapping(n: int, seed: int = 0) -> dict:
    rng = random.Random(seed)
    weights = [D(90) / n for _ in range(n)]
    weights = [w.quantize(D("0.01")) for w in weights[:-1]]
    weights.append(D(90) - sum(weights))
    inds = []
    for i in range(n):
        inds.append({"level1": "产出指标" if i < n * 2 // 3 else "效益指标",
                     "level2": "数量指标" if i < n // 3 else ("质量指标" if i < n * 2 // 3 else "社会效益指标"),
                     "name": f"指标{i + 1}", "target": "≥100件", "actual": f"{rng.randint(80, 120)}件", "weight": weights[i],
                     "cause": "原因"})
    return {"kind": "project", "name": f"项目{n}", "department": "部门", "unit": "单位", "goal": "目标", "achieved": "完成",
            "budget": {"initial": 100, "executed": 90}, "indicators": inds}


def test_department_page_setup_follows_the_indicator_count(tmp_path):
    dep = {"kind": "department", "name": "部门", "tasks": [
        {"name": f"任务{k}", "budget": 100, "executed": 90, "weight": 10} for k in range(4)],
        "indicators": [{"level1": "履职效能", "level2": "重点工作", "name": f"指标{i}", "target": "≥10件", "actual": "9件",
                        "weight": D(60) / 25} for i in range(25)]}
    out = tmp_path / "d.xlsx"
    fill_sheet(score_sheet(sheet_from_mapping(dep, "x")), out, policy=load_policy("default"))
    xml = sheet_xml(out)
    first = 10 + 4 - 1   # the indicator table starts 3 rows lower (4 tasks on template row 6)
    assert 'fitToHeight="0"' in xml and re.findall(r'<brk id="(\d+)"', xml) == [str(first + 25 - 1 - 5)]


def test_page_setup_follows_the_row_count(tmp_path):
    for n, tall, brk in ((15, "1", None), (20, "1", None), (21, "0", 10 + 21 - 1 - 5), (40, "0", 10 + 40 - 1 - 5)):
        out = tmp_path / f"p{n}.xlsx"
        fill_sheet(score_sheet(sheet_from_mapping(project_mapping(n), "x")), out, policy=load_policy("default"))
        xml = sheet_xml(out)
        assert f'fitToHeight="{tall}"' in xml, n
        breaks = re.findall(r'<brk id="(\d+)"', xml)
        assert breaks == ([] if brk is None else [str(brk)]), n


@needs_poppler
def test_sheets_print_like_the_form(tmp_path):
    """15 indicators: one A4 landscape page; 40: the last page has indicator rows with the
    footer and 总分; the department sheet with 15 indicators: one page."""
    files = []
    for n in (15, 40):
        out = tmp_path / f"p{n}.xlsx"
        fill_sheet(score_sheet(sheet_from_mapping(project_mapping(n), "x")), out, policy=load_policy("default"))
        files.append(out)
    dep = {"kind": "department", "name": "部门", "tasks": [
        {"name": f"任务{k}", "budget": 100, "executed": 90 + k, "weight": 10} for k in range(4)],
        "indicators": [{"level1": "履职效能", "level2": "重点工作", "name": f"指标{i}", "target": "≥10件", "actual": "9件",
                        "weight": 4} for i in range(15)]}
    out = tmp_path / "d15.xlsx"
    fill_sheet(score_sheet(sheet_from_mapping(dep, "x")), out, policy=load_policy("default"))
    files.append(out)
    soffice(files, tmp_path / "pdf", "pdf", tmp_path / "lo")

    def pages(name: str) -> int:
        info = subprocess.run(["pdfinfo", str(tmp_path / "pdf" / name)], capture_output=True, text=True, check=True).stdout
        assert re.search(r"^Page size:\s+841\.\d+ x 595\.\d+ pts \(A4\)", info, re.M), info
        return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))

    assert pages("p15.pdf") == 1
    assert pages("d15.pdf") == 1
    n = pages("p40.pdf")
    assert n >= 2
    last = subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(tmp_path / "pdf" / "p40.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "总分" in last and "等级" in last
    assert len(re.findall(r"指标(3[6-9]|40)\b", last)) == 5


# --------------------------------------------------------------------------- a real client recalculates


POLICIES = {
    "default": load_policy("default"),
    "liaoning": load_policy("liaoning"),
    "hubei": load_policy("hubei"),
}
_base = load_policy("default").model_dump()
POLICIES["hebei"] = Policy.model_validate({**_base, "name": "hebei", "score_decimals": 0, "rate_decimals": {"project": 0, "department": 0}})
POLICIES["vendor"] = Policy.model_validate({**_base, "name": "vendor", "reverse_formula": "linear", "execution_cap": False,
                                            "grade_bands": {"优": 80, "良": 70, "中": 60}})
POLICIES["lingling"] = Policy.model_validate({**_base, "name": "lingling", "score_rounding": "down"})

OPERATORS = ["≥", ">", "≤", "<", "=", ""]
UNITS = ["件", "%", "万元", "人次"]


def random_project(rng: random.Random, k: int) -> dict:
    n = rng.randint(1, 12)
    inds = []
    for i in range(n):
        op = rng.choice(OPERATORS)
        unit = rng.choice(UNITS)
        t = rng.choice([D(0), D(rng.randint(1, 200)), D(rng.randint(1, 9999)) / 100])
        a = rng.choice([t, t + 1, t * D("0.83163"), D(rng.randint(0, 300)), D(rng.randint(0, 30000)) / 100, D(0)])
        a = a.quantize(D("0.01"))
        if unit == "%" and 0 < a <= 1:
            a += 1  # a bare 0.98 against a % target is ambiguous (docs/scoring.md §9), not a sheet
        level2 = rng.choice(["数量指标", "质量指标", "成本指标", "社会效益指标"])
        if rng.random() < 0.2:
            ind = {"target": "有所提升", "actual": rng.choice(["全部或基本达成预期指标", "部分达成预期指标并具有一定效果"])}
            if ind["actual"].startswith("部分"):
                ind["completion"] = f"{rng.randint(60, 79)}%"
        else:
            ind = {"target": f"{op}{t}{unit}", "actual": f"{a}{unit}"}
        inds.append({"level1": "效益指标" if level2 == "社会效益指标" else "产出指标", "level2": level2, "name": f"指标{i + 1}",
                     "weight": None, "cause": "说明", **ind})
    raw = [D(rng.randint(1, 400)) / 4 for _ in range(n)]
    total = sum(raw)
    weights = [(w * 90 / total).quantize(D("0.01")) for w in raw[:-1]]
    weights.append(D(90) - sum(weights))
    if weights[-1] < 0:
        weights = [D(90) / n] * n
        weights = [w.quantize(D("0.01")) for w in weights[:-1]] + [D(90) - (D(90) / n).quantize(D("0.01")) * (n - 1)]
    for ind, w in zip(inds, weights):
        ind["weight"] = w
    budget = D(rng.randint(1, 100000)) / 100
    executed = rng.choice([budget, budget * D("0.8316"), D(rng.randint(0, 120000)) / 100]).quantize(D("0.01"))
    adjusted = rng.choice([None, budget, (budget * D("0.9")).quantize(D("0.01"))])
    b = {"initial": budget, "executed": executed}
    if adjusted is not None:
        b["adjusted"] = adjusted
    return {"kind": "project", "name": f"生成项目{k}", "budget": b, "deduction": rng.choice([0, 0, 1, D("0.5")]),
            "indicators": inds}


def boundary_projects() -> list[tuple[dict, str]]:
    """Scores that land exactly on a rounding boundary: 12.5 × 0.8316… (completion from a
    ratio), 0.125 → 0.13, 0.005 → 0.01, and 5.96 of 6 truncated to 5 (down, 0 decimals)."""
    def one(weight_a, target, actual, rest=None, executed=D(90), budget=D(100)):
        inds = [{"level1": "产出指标", "level2": "数量指标", "name": "边界", "target": target, "actual": actual,
                 "weight": weight_a, "cause": "说明"}]
        inds.append({"level1": "效益指标", "level2": "社会效益指标", "name": "其余", "target": "有所提升",
                     "actual": "达成预期指标", "weight": D(90) - weight_a})
        return {"kind": "project", "name": f"边界{weight_a}-{actual}", "budget": {"initial": budget, "executed": executed},
                "indicators": inds}

    return [
        (one(D("12.5"), "≥1000件", "831.6件"), "default"),          # 12.5 × 0.8316 = 10.395 → 10.40
        (one(D("12.5"), "≥100000件", "83156件"), "default"),        # 10.3945 → 10.39
        (one(D("12.5"), "≤22.12万元", "26.6万元"), "default"),      # 12.5 × 0.83157… = 10.39 (reverse ratio)
        (one(D("0.25"), "≥2件", "1件"), "default"),                 # 0.125 → 0.13
        (one(D("0.01"), "≥2件", "1件"), "default"),                 # 0.005 → 0.01
        (one(D("1.005"), "≥1件", "1件"), "default"),                # 1.005 → 1.01 (float 1.00499…)
        (one(D(6), "≥100件", "99.3333件"), "lingling"),             # 5.959998 truncated to 5.95
        (one(D(6), "≥100%", "99.34%"), "hebei"),                    # whole points
        (one(D(10), "≥100件", "50件", executed=D("0.125"), budget=D(1)), "default"),  # rate 12.5%
        (one(D(10), "≥100件", "50件", executed=D("0.00005"), budget=D(1)), "default"),  # rate 0.005% → 0.01%
    ]


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory):
    """Sheets filled by perfscore, edited by a program the way a unit does (openpyxl: one
    actual changed, every cached value dropped), recalculated by LibreOffice in ONE run.
    Yields [(recalculated sheet, the edited project, policy, template)]."""
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    tmp = tmp_path_factory.mktemp("recalc")
    edited_dir = tmp / "edited"
    edited_dir.mkdir()
    cases = []
    rng = random.Random(11)
    combined = combined_template(tmp)
    items = [(random_project(rng, k), rng.choice(sorted(POLICIES))) for k in range(80)] + boundary_projects()
    for k, (mapping, policy_name) in enumerate(items):
        policy = POLICIES[policy_name]
        try:
            result = score_sheet(sheet_from_mapping(mapping, "x"), policy)
        except Exception:
            continue  # a generated project the rules refuse (e.g. unit mismatch): not a sheet
        template = combined if k % 4 == 3 else None
        out = edited_dir / f"s{k:03d}.xlsx"
        fill_sheet(result, out, template, policy=policy)
        # the unit edits one quantitative actual in a program (openpyxl drops cached values)
        wb = openpyxl.load_workbook(out)
        ws = wb.active
        quantitative = [i for i, ind in enumerate(result.indicators) if ind.kind == "quantitative"]
        if mapping["name"].startswith("边界"):
            pass  # boundary values stay as they are; saving drops the cached values all the same
        elif quantitative:
            i = rng.choice(quantitative)
            new = D(rng.choice([0, rng.randint(2, 300)]))
            # a percent cell holds the fraction (Excel stores a typed 150% as 1.5)
            ws[f"G{10 + i}"] = float(new / 100) if result.indicators[i].unit == "%" else int(new)  # float-ok: a cell value
            mapping = {**mapping, "indicators": [dict(x) for x in mapping["indicators"]]}
            unit = result.indicators[i].unit
            mapping["indicators"][i]["actual"] = f"{new}{unit}"
        else:
            ws["G6"] = 1  # 全年执行数
            mapping = {**mapping, "budget": {**mapping["budget"], "executed": 1}}
        wb.save(out)
        cases.append((out, sheet_from_mapping(mapping, "x"), policy, template))
    # the shipped (held-out) sheets: one actual, or a task's 执行金额, changed in a program
    for path in sorted(p for p in SAMPLES.glob("*/*.yaml") if p.name != "perfscore.yaml"):
        policy = POLICIES["liaoning" if "liaoning" in str(path) else "hubei"]
        sheet = read_sheet_file(path)
        result = score_sheet(sheet, policy)
        out = edited_dir / f"{path.parent.name}_{path.stem}.xlsx"
        fill_sheet(result, out, None, policy=policy)
        wb = openpyxl.load_workbook(out)
        ws = wb.active
        if sheet.kind == "department":
            ws["I6"] = 30.5   # 执行金额 of the first task (35.11 → 30.5)
            sheet = sheet.model_copy(update={"tasks": [sheet.tasks[0].model_copy(update={"executed": D("30.5")}),
                                                       *sheet.tasks[1:]]})
        else:
            i = next(n for n, ind in enumerate(result.indicators) if ind.kind == "quantitative")
            ind = result.indicators[i]
            half = (ind.actual / 2).quantize(D("0.01"))
            ws[f"G{10 + i}"] = float(half / 100 if ind.unit == "%" else half)  # float-ok: what a program writes into a cell
            rows = list(sheet.indicators)
            rows[i] = rows[i].model_copy(update={"actual": f"{half}{ind.unit}"})
            sheet = sheet.model_copy(update={"indicators": rows})
        wb.save(out)
        cases.append((out, sheet, policy, None))
    blank_d = write_blank(edited_dir / "blank_department.xlsx", "department", policy=POLICIES["liaoning"])
    fill_department_blank_by_hand(blank_d)
    cases.append((blank_d, sheet_from_mapping(BLANK_DEPARTMENT, "x"), POLICIES["liaoning"], None))
    blank = write_blank(edited_dir / "blank.xlsx")
    fill_blank_by_hand(blank)
    cases.append((blank, sheet_from_mapping(BLANK_FILLED, "x"), POLICIES["default"], None))
    soffice([c[0] for c in cases], tmp / "out", "xlsx", tmp / "lo")
    return [(tmp / "out" / c[0].name, c[1], c[2], c[3]) for c in cases]


BLANK_FILLED = {
    "kind": "project", "name": "手填项目", "budget": {"initial": D("26.6"), "executed": D("22.12")},
    "indicators": [
        {"level1": "产出指标", "level2": "数量指标", "name": "办件数量", "target": "≥1100件", "actual": "582件", "weight": 30,
         "cause": "需求下降"},
        {"level1": "产出指标", "level2": "质量指标", "name": "合格率", "target": "=100%", "actual": "100%", "weight": 20},
        {"level1": "效益指标", "level2": "社会效益指标", "name": "群众评价", "target": "有所提升",
         "actual": "部分达成预期指标并具有一定效果", "completion": "70%", "weight": 40, "cause": "宣传不足"},
    ],
}


BLANK_DEPARTMENT = {
    "kind": "department", "name": "手填部门",
    "tasks": [{"name": "公用经费", "budget": D("41.86"), "executed": D("35.11"), "weight": 20},
              {"name": "人员经费", "budget": D("477.67"), "executed": D("449.62"), "weight": 20}],
    "indicators": [
        {"level1": "产出指标", "level2": "数量指标", "name": "办件数量", "target": "≥100件", "actual": "90件", "weight": 30,
         "cause": "需求下降"},
        {"level1": "产出指标", "level2": "质量指标", "name": "合规率", "target": "≥95%", "actual": "100%", "weight": 30},
    ],
}


def fill_department_blank_by_hand(path: Path) -> None:
    """The department form of ``perfscore init`` filled in a program: two tasks, two indicators
    (row 13 and 17: the first 数量指标 and 质量指标 rows below the tasks)."""
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    ws["C3"] = "手填部门"
    for r, (name, budget, executed) in {6: ("公用经费", 41.86, 35.11), 7: ("人员经费", 477.67, 449.62)}.items():
        ws[f"C{r}"], ws[f"H{r}"], ws[f"I{r}"], ws[f"K{r}"] = name, budget, executed, 20
    for r, (name, op, target, unit, actual, weight, cause) in {
            13: ("办件数量", "≥", 100, "件", 90, 30, "需求下降"), 17: ("合规率", "≥", 95, "%", 100, 30, None)}.items():
        ws[f"C{r}"], ws[f"D{r}"], ws[f"E{r}"], ws[f"F{r}"], ws[f"G{r}"], ws[f"I{r}"], ws[f"K{r}"] = \
            name, op, target, unit, actual, weight, cause
    wb.save(path)


def fill_blank_by_hand(path: Path) -> None:
    """What a unit does with ``perfscore init``'s sheet: types the numbers (and, for a
    qualitative row, its 完成程度 over the formula), leaving the other rows empty."""
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    ws["C3"], ws["C6"], ws["G6"] = "手填项目", 26.6, 22.12
    rows = {10: ("办件数量", "≥", 1100, "件", 582, 30, "需求下降"), 14: ("合格率", "＝", 100, "%", 100, 20, None),
            22: ("群众评价", None, "有所提升", None, "部分达成预期指标并具有一定效果", 40, "宣传不足")}
    for r, (name, op, target, unit, actual, weight, cause) in rows.items():
        ws[f"C{r}"], ws[f"D{r}"], ws[f"E{r}"], ws[f"F{r}"], ws[f"G{r}"], ws[f"I{r}"], ws[f"K{r}"] = \
            name, op, target, unit, actual, weight, cause
    ws["H22"] = 0.7
    ws["H22"].number_format = "0.00%"
    wb.save(path)


@needs_soffice
def test_recalculated_sheets_agree_with_perfscore(recalculated):
    """Formula vs Decimal over generated projects, every policy variant and the rounding
    boundaries: each sheet, recalculated by LibreOffice after the edit, reads back with the
    scores and total that ``perfscore score`` gives for the edited project, and audits clean."""
    assert len(recalculated) > 60
    assert sum(1 for _, sheet, _, _ in recalculated if sheet.kind == "department") >= 1
    for path, sheet, policy, template in recalculated:
        expected = score_sheet(sheet, policy)
        read = imported(path, template)
        r = read.reported
        assert (r.execution_score, r.indicator_score, r.total, r.grade) == (
            expected.execution_score, expected.indicator_score, expected.total, expected.grade), path.name
        assert [i.reported_score for i in read.indicators] == [i.score for i in expected.indicators], path.name
        if sheet.kind == "department":   # 执行率 and 得分 of each task
            assert [(t.reported_rate, t.reported_score) for t in read.tasks] == [
                (t.execution_rate, t.score) for t in expected.tasks], path.name
        else:
            assert r.execution_rate == expected.execution_rate, path.name
        audit = audited(path, policy, template)
        assert [f.line() for f in audit.findings] == [], path.name
        assert audit.result.total == expected.total


@needs_soffice
def test_boundary_values_round_half_up_in_the_client(recalculated):
    by_name = {p.stem: p for p, *_ in recalculated}
    totals = {}
    for path, sheet, policy, template in recalculated:
        if sheet.name.startswith("边界"):
            totals[sheet.name] = imported(path, template).indicators[0].reported_score
    assert totals["边界12.5-831.6件"] == D("10.40")
    assert totals["边界12.5-83156件"] == D("10.39")
    assert totals["边界0.25-1件"] == D("0.13")
    assert totals["边界0.01-1件"] == D("0.01")
    assert totals["边界1.005-1件"] == D("1.01")
    assert by_name


@needs_soffice
def test_department_blank_form_filled_by_hand_scores_itself(recalculated):
    path, sheet, policy, _ = recalculated[-2]
    assert path.name == "blank_department.xlsx"
    read = imported(path)
    assert [t.name for t in read.tasks] == ["公用经费", "人员经费"] and len(read.indicators) == 2
    # liaoning: whole-percent task rates, 84% → 16.8 and 94% → 18.8; 30 × 0.9 + 30 = 57
    assert [(t.reported_rate, t.reported_score) for t in read.tasks] == [(D(84), D("16.8")), (D(94), D("18.8"))]
    assert (read.reported.execution_score, read.reported.total, read.reported.grade) == (D("35.6"), D("92.6"), "优")
    assert score_sheet(sheet, policy).total == D("92.6")
    assert audited(path, policy).findings == []


@needs_soffice
def test_blank_form_filled_by_hand_scores_itself(recalculated):
    path, sheet, policy, _ = recalculated[-1]
    assert path.name == "blank.xlsx"
    read = imported(path)
    assert [i.name for i in read.indicators] == ["办件数量", "合格率", "群众评价"]   # empty rows skipped
    expected = score_sheet(sheet, policy)
    assert (read.reported.execution_score, read.reported.total, read.reported.grade) == (D("8.32"), D("72.19"), "中")
    assert expected.total == D("72.19")
    assert audited(path, policy).findings == []


# --------------------------------------------------------------------------- summary.xlsx printing


def test_stream_writer_page_setup(tmp_path):
    import io

    from perfscore.xlsx.stream import HEADER, PageSetup, Workbook

    buf = io.BytesIO()
    with Workbook(buf, page_setup=PageSetup()) as book:
        sheet = book.add_sheet("项目")
        sheet.write_row(["实施单位", "项目名称"], HEADER)
        sheet.write_row(["甲", "乙"])
        plain = book.add_sheet("其他")
        plain.page_setup = None
        plain.write_row(["x"])
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        s1, s2 = z.read("xl/worksheets/sheet1.xml").decode(), z.read("xl/worksheets/sheet2.xml").decode()
        wb = z.read("xl/workbook.xml").decode()
    assert s1.index("<sheetPr><pageSetUpPr fitToPage=\"1\"/></sheetPr>") < s1.index("<dimension")
    assert '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>' in s1
    assert s1.index("<pageMargins") < s1.index("<pageSetup") and s1.endswith("</worksheet>")
    assert "pageSetup" not in s2
    assert '<definedName name="_xlnm.Print_Titles" localSheetId="0">\'项目\'!$1:$1</definedName>' in wb
    assert "localSheetId=\"1\">'其他'" not in wb


@needs_poppler
def test_summary_prints_landscape_fitted_to_width(tmp_path):
    from click.testing import CliRunner

    from perfscore.cli import main

    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["batch", str(SAMPLES), "-o", str(out), "-q", "-j", "1"])
    assert result.exit_code == 0, result.output
    soffice([out / "summary.xlsx"], tmp_path / "pdf", "pdf", tmp_path / "lo")
    pdf = tmp_path / "pdf" / "summary.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Page size:\s+841\.\d+ x 595\.\d+ pts \(A4\)", info, re.M), info   # landscape
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    assert pages <= 6   # 4 sheets, each fitted to the page width (was 31 portrait pages for a larger batch)
    text = subprocess.run(["pdftotext", "-layout", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    first = next(line for line in text.splitlines() if line.strip())
    assert "实施单位" in first and "来源文件" in first   # every column of 项目 on the page, header first


def test_init_takes_the_policy(tmp_path):
    from click.testing import CliRunner

    from perfscore.cli import main

    out = tmp_path / "d.xlsx"
    result = CliRunner().invoke(main, ["init", "-o", str(out), "--kind", "department", "--policy", "liaoning"])
    assert result.exit_code == 0, result.output
    xml = html.unescape(sheet_xml(out))
    assert 'IF(H6="","",IF(AND(ISNUMBER(I6),ISNUMBER(H6)),IF(H6=0,0,ROUND(I6/H6+0.000000001,2)),""))' in cell_of(xml, "J6")   # whole percents
    assert "SUM(L6:L9)" in cell_of(xml, "J34")
