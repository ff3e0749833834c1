"""The label-driven form reader (issue 9): hand-filled official forms of seed 000's and 004's
projects, built with openpyxl (and converted by LibreOffice to .xls and .ods), must score
exactly like the project files in samples/; every refusal names the file, sheet and cell."""

from __future__ import annotations

import datetime
import io
import struct
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import openpyxl.comments
import pytest

from formbuilder import Typing, build, convert, soffice
from hostile import compound_file
from perfscore.errors import SheetError
from perfscore.forms import read_form_workbook
from perfscore.forms.grid import format_kind, read_workbook_grid
from perfscore.policy import preset_policy
from perfscore.projectfile import read_sheet_file
from perfscore.scoring import score_sheet

from conftest import CHAOYANG, QIAOKOU
LN = CHAOYANG
HB = QIAOKOU


def sample(path: Path):
    return read_sheet_file(path)


# name → (layout, [sample files], preset, typing, build options)
CASES = {
    "national-goumai-text": ("national", [LN / "zhengfu_goumai_falv_fuwu.yaml"], "liaoning", Typing(grade="优秀"), {}),
    "national-fazhi-numbers-merged": ("national", [LN / "fazhi_jianshe.yaml"], "liaoning",
                                      Typing(numbers=True, merge_level1=True), {}),
    "national-bawu-blank-level2": ("national", [HB / "01_bawu_pufa.yaml"], "hubei", Typing(blank_level2=True), {}),
    "liaoning-goumai-numbers": ("liaoning", [LN / "zhengfu_goumai_falv_fuwu.yaml"], "liaoning",
                                Typing(numbers=True, blank_level2=True, bands=True), {}),
    "liaoning-zhengti": ("liaoning", [LN / "zhengti.yaml"], "liaoning",
                         Typing(merge_level1=True, numbers=True, bands=True), {}),
    "liaoning-two-projects-after-notes": ("liaoning", [LN / "renmin_tiaojie.yaml", LN / "renmin_jingcha_fuzhuang.yaml"],
                                          "liaoning", Typing(), {"first_sheet": "填报说明"}),
    "hubei-bawu-percent-cells": ("hubei", [HB / "01_bawu_pufa.yaml"], "hubei", Typing(numbers=True), {"score_column": True}),
    "hubei-stacked-three": ("hubei", [HB / "02_gonggong_falv_fuwu.yaml", HB / "03_shequ_falv_guwen.yaml",
                                      HB / "04_jiceng_sifa_yewu.yaml"], "hubei", Typing(merge_level1=True), {"stacked": True}),
    "hubei-blocks-row-inserted": ("hubei", [HB / "10_yiqian_yangshi.yaml"], "hubei", Typing(offset=3, numbers=True),
                                  {"blocks": 2}),
    "hubei-goal-lines-between-blocks": ("hubei", [HB / "11_yiliu_shiye_renyuan.yaml"], "hubei", Typing(),
                                        {"blocks": 3, "goal_rows": True}),
    "shanxi-goumai-text-amounts": ("shanxi", [LN / "zhengfu_goumai_falv_fuwu.yaml"], "liaoning",
                                   Typing(text_amounts=True, grade="优"), {}),
    "shanxi-jiceng-numbers": ("shanxi", [HB / "04_jiceng_sifa_yewu.yaml"], "hubei", Typing(numbers=True, merge_level1=True), {}),
}


def _build(case: str, folder: Path) -> Path:
    layout, files, _, typing, options = CASES[case]
    models = [sample(f) for f in files]
    return build(folder / f"{case}.xlsx", [(m.name[:31], m) for m in models], layout, typing, **options)


def _assert_scores_like_samples(path: Path, case: str) -> None:
    layout, files, preset, typing, _ = CASES[case]
    policy = preset_policy(preset)
    forms = read_form_workbook(path)
    assert [f.sheet.name for f in forms] == [sample(f).name for f in files]
    for form, file in zip(forms, files):
        want = score_sheet(sample(file), policy)
        got = score_sheet(form.sheet, policy, form.source)
        assert (got.total, got.grade) == (want.total, want.grade)
        assert [(i.name, i.score) for i in got.indicators] == [(i.name, i.score) for i in want.indicators]
        assert got.execution_score == want.execution_score
        assert [t.score for t in got.tasks] == [t.score for t in want.tasks]
        reported = sample(file).reported
        if reported.total is not None and layout != "hubei":
            assert form.sheet.reported.total == reported.total
        if typing.grade:
            assert form.sheet.reported.grade == "优"


@pytest.mark.parametrize("case", sorted(CASES))
def test_hand_filled_forms_score_like_the_project_files(case, tmp_path):
    _assert_scores_like_samples(_build(case, tmp_path), case)


# ------------------------------------------------------------------ LibreOffice


@pytest.fixture(scope="session")
def converted(tmp_path_factory):
    """Every case converted once to .xls and .ods by LibreOffice (slow: one run per format)."""
    if soffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    root = tmp_path_factory.mktemp("lo")
    sources = [_build(case, root) for case in sorted(CASES)] + [_budget_system_export(root), _with_formulas(root),
                                                              _hidden_row_form(root), _hidden_sheets_form(root)]
    out = {}
    for fmt in ("xls", "ods"):
        for src, dst in zip(sources, convert(sources, fmt, root / fmt, root / "profile")):
            out[(src.stem, fmt)] = dst
    return out


@pytest.mark.parametrize("fmt", ["xls", "ods"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_forms_converted_by_libreoffice_score_alike(converted, case, fmt):
    _assert_scores_like_samples(converted[(case, fmt)], case)


def test_percent_cells_survive_conversion_as_percent(converted):
    for fmt in ("xls", "ods"):
        form = read_form_workbook(converted[("hubei-bawu-percent-cells", fmt)])[0]
        first = form.sheet.indicators[0]
        assert (first.target, first.actual) == ("100%", "100%")
        grid = read_workbook_grid(converted[("hubei-bawu-percent-cells", fmt)]).sheets[0]
        r, c = _rc(form.cells["indicators[0].actual"])
        assert grid.cells[(r, c)].kind == "percent"


def _budget_system_export(folder: Path) -> Path:
    """A budget system's project-library export: a dozen sheets, the 自评表 among them, actuals empty."""
    model = sample(LN / "zhengfu_goumai_falv_fuwu.yaml")
    empty = model.model_copy(update={"indicators": [i.model_copy(update={"actual": " "}) for i in model.indicators]})
    path = build(folder / "budget_system.xlsx", [("项目支出绩效自评表", empty)], "national", Typing())
    wb = openpyxl.load_workbook(path)
    ws = wb["项目支出绩效自评表"]
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == " ":
                cell.value = None
    names = ["项目基本信息", "项目立项依据", "项目实施方案", "项目资金测算", "项目支出绩效目标申报表", "项目支出预算明细",
             "政府采购预算", "资产配置", "项目绩效运行监控表", "项目支出绩效自评表", "项目评审意见", "附件清单"]
    for i, name in enumerate(names):
        if name == "项目支出绩效自评表":
            wb.move_sheet(ws, offset=i - wb.index(ws))
            continue
        other = wb.create_sheet(name, i)
        other["A1"] = name
        other["A3"] = "项目名称"
        other["B3"] = model.name
        if name in ("项目支出绩效目标申报表", "项目绩效运行监控表"):
            other["A5"], other["B5"], other["C5"], other["D5"] = "一级指标", "二级指标", "三级指标", "指标值"
            other["E5"] = "1-7月执行情况" if "监控" in name else "分值"
            other["A6"], other["B6"], other["C6"], other["D6"] = "产出指标", "数量指标", "决策咨询建议数量", "4 条"
    wb.save(path)
    return path


def _with_formulas(folder: Path) -> Path:
    """得分 and 总分 as formulas without cached values (openpyxl); LibreOffice computes and caches them."""
    path = _goumai(folder)
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    head = _find(ws, "三级指标").row
    score_col = [c.column for c in ws[head] if c.value == "得分"][0]
    weight_col = [c.column for c in ws[head] if c.value == "分值"][0]
    first = head + 1
    for r in range(first, first + 6):
        ws.cell(row=r, column=score_col).value = f"=ROUND({ws.cell(row=r, column=weight_col).coordinate}*1,2)"
    total = _find(ws, "总分").row
    ws.cell(row=total, column=score_col).value = f"=SUM({ws.cell(row=first, column=score_col).coordinate}:" \
        f"{ws.cell(row=first + 5, column=score_col).coordinate})+8.32"
    _find(ws, "政府购买法律服务").comment = openpyxl.comments.Comment("请核对项目名称", "审核人")
    path = folder / "formulas.xlsx"
    wb.save(path)
    return path


@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_formulas_are_read_by_their_cached_values(converted, fmt):
    form = read_form_workbook(converted[("formulas", fmt)])[0]
    model = sample(LN / "zhengfu_goumai_falv_fuwu.yaml")
    assert [i.reported_score for i in form.sheet.indicators] == [i.reported_score for i in model.indicators]
    assert form.sheet.reported.total == model.reported.total
    assert form.sheet.name == model.name  # a comment on the cell is not its value
    with pytest.raises(SheetError, match=r"公式没有缓存值"):
        read_form_workbook(converted[("formulas", fmt)].parent.parent / "formulas.xlsx")


def test_budget_system_xls_with_empty_actuals_names_every_empty_cell(converted):
    path = converted[("budget_system", "xls")]
    model = sample(LN / "zhengfu_goumai_falv_fuwu.yaml")
    problems = _problems(path)
    assert len(problems) == len(model.indicators)
    for problem, indicator in zip(problems, model.indicators):
        assert "工作表「项目支出绩效自评表」" in problem and "（实际完成值，" in problem
        assert f"「{indicator.name}」）为空" in problem
    wb = openpyxl.load_workbook(path.parent.parent / "budget_system.xlsx")
    ws = wb["项目支出绩效自评表"]
    for problem, indicator in zip(problems, model.indicators):
        address = problem.split("单元格 ")[1].split("（")[0]
        r, c = _rc(address)
        assert ws.cell(row=r, column=4).value == indicator.name  # the empty cell is on the indicator's row
        assert ws[address].value is None


# ------------------------------------------------------------------ cells and values


def _rc(address: str) -> tuple[int, int]:
    letters = "".join(ch for ch in address if ch.isalpha())
    c = 0
    for ch in letters:
        c = c * 26 + ord(ch) - 64
    return int(address[len(letters):]), c


def test_every_value_keeps_its_cell(tmp_path):
    path = _build("national-goumai-text", tmp_path)
    form = read_form_workbook(path)[0]
    ws = openpyxl.load_workbook(path)[form.sheet.name]
    model = form.sheet
    assert form.source == f"{path}「{model.name}」"
    assert ws[form.cells["name"]].value == model.name
    assert Decimal(str(ws[form.cells["budget.executed"]].value)) == model.budget.executed
    assert Decimal(str(ws[form.cells["execution_weight"]].value)) == model.execution_weight
    for i, indicator in enumerate(model.indicators):
        assert ws[form.cells[f"indicators[{i}].name"]].value == indicator.name
        assert ws[form.cells[f"indicators[{i}].actual"]].value == indicator.actual
    assert Decimal(str(ws[form.cells["reported.total"]].value)) == model.reported.total


def test_percent_cell_is_that_percent_not_its_fraction(tmp_path):
    """Issue 9: 0.95 with a percent format is 95%, so 总分 98.32 stays 98.32 (not 85.95)."""
    model = sample(LN / "zhengfu_goumai_falv_fuwu.yaml")
    path = build(tmp_path / "p.xlsx", [(model.name, model)], "national", Typing(numbers=True))
    form = read_form_workbook(path)[0]
    ws = openpyxl.load_workbook(path)[model.name]
    address = form.cells["indicators[3].actual"]
    assert ws[address].value == 1 and ws[address].number_format.endswith("%")
    assert form.sheet.indicators[3].actual == "100%"
    assert score_sheet(form.sheet, preset_policy("liaoning")).total == Decimal("98.32")


def test_printed_total_with_fen_and_grade_word(tmp_path):
    model = sample(LN / "zhengfu_goumai_falv_fuwu.yaml")
    path = build(tmp_path / "g.xlsx", [(model.name, model)], "national", Typing(text_amounts=True, grade="优秀"))
    reported = read_form_workbook(path)[0].sheet.reported
    assert (reported.total, reported.grade) == (Decimal("98.32"), "优")


def test_shares_after_level_names_are_stripped_and_kept(tmp_path):
    model = sample(HB / "01_bawu_pufa.yaml")
    renamed = model.model_copy(update={"indicators": [
        i.model_copy(update={"level1": f"{i.level1}（{ {'产出指标': 40, '效益指标': 30}[i.level1]}分）"})
        for i in model.indicators]})
    path = build(tmp_path / "s.xlsx", [(model.name, renamed)], "hubei", Typing())
    form = read_form_workbook(path)[0]
    assert [i.level1 for i in form.sheet.indicators] == [i.level1 for i in model.indicators]
    assert form.shares == {"产出指标": Decimal(40), "效益指标": Decimal(30)}
    assert form.sheet.execution_weight == Decimal(20)  # 预算执行情况 (万元) (20 分)


def test_target_initial_and_adjusted(tmp_path):
    model = sample(LN / "zhengfu_goumai_falv_fuwu.yaml")
    moved = model.model_copy(update={"indicators": [model.indicators[0].model_copy(update={"target_initial": "= 2 条"}),
                                                    *model.indicators[1:]]})
    path = build(tmp_path / "t.xlsx", [(model.name, moved)], "shanxi", Typing())
    first = read_form_workbook(path)[0].sheet.indicators[0]
    assert (first.target_initial, first.target) == ("= 2 条", "= 4 条")


def test_explanations_rows_of_the_hubei_form(tmp_path):
    model = sample(HB / "01_bawu_pufa.yaml")
    path = build(tmp_path / "h.xlsx", [(model.name, model)], "hubei", Typing())
    form = read_form_workbook(path)[0]
    assert form.explanations == {"cause": "已完成目标。", "remedy": "按照制度加强监督管理。"}
    assert (form.sheet.cause, form.sheet.remedy) == ("已完成目标。", "按照制度加强监督管理。")  # the model's fields
    assert form.cells["cause"].startswith("C") and form.cells["remedy"].startswith("C")


def test_number_format_kinds():
    assert format_kind(None, 9) == format_kind(None, 10) == format_kind("0.0%", 200) == "percent"
    assert format_kind('0.0"%"', 201) == "number"  # a quoted % is a literal: 95 shows as 95.0%
    assert format_kind('0.00%;[Red]-0.00%', 170) == "percent"
    assert format_kind("yyyy/m/d", 180) == format_kind(None, 14) == format_kind('[$-804]yyyy"年"m"月"', 190) == "date"
    assert format_kind("General", 0) == format_kind('0.00"万元"', 165) == format_kind("#,##0.00_);(#,##0.00)", 4) == "number"


# ------------------------------------------------------------------ refusals


def _goumai(tmp_path: Path, edit=None, layout: str = "national", typing: Typing | None = None) -> Path:
    model = sample(LN / "zhengfu_goumai_falv_fuwu.yaml")
    path = build(tmp_path / "r.xlsx", [(model.name, model)], layout, typing or Typing())
    if edit:
        wb = openpyxl.load_workbook(path)
        edit(wb[model.name])
        wb.save(path)
    return path


def _problems(path: Path) -> list[str]:
    """The problems reading the form at ``path`` fails with (one line each)."""
    with pytest.raises(SheetError) as exc:
        read_form_workbook(path)
    return [str(p) for p in exc.value.problems]


def _find(ws, text: str):
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == text:
                return cell
    raise AssertionError(text)


def test_missing_actual_column_names_the_header_row(tmp_path):
    def edit(ws):
        _find(ws, "实际完成值").value = "备注"
    path = _goumai(tmp_path, edit)
    problems = _problems(path)
    row = _find(openpyxl.load_workbook(path).active, "三级指标").row
    assert problems == [
        f"文件 {path} 工作表「政府购买法律服务」: 找不到「实际完成值」列（表头在第{row}行：绩效指标、一级指标、二级指标、"
        "三级指标、年度指标值、备注、分值、得分、偏差原因分析及改进措施；查找的表头 — 实际完成值：实际完成值、全年实际值、"
        "全年完成值、全年实际完成值、实际值、完成值、全年实际完成情况、单项指标实际完成值）"
    ]


def test_date_where_a_number_is_wanted(tmp_path):
    def edit(ws):
        cell = ws.cell(row=_find(ws, "年度资金总额").row, column=6)
        cell.value = datetime.date(2024, 3, 1)
        edit.address = cell.coordinate
    path = _goumai(tmp_path, edit)
    with pytest.raises(SheetError, match=rf"单元格 {edit.address}（全年执行数）: 是日期 2024-03-01，这里应为数字"):
        read_form_workbook(path)


def test_error_value_and_formula_without_cache_are_named(tmp_path):
    def edit(ws):
        row = _find(ws, "资金使用合规率").row
        ws.cell(row=row, column=6).value = "#REF!"
        ws.cell(row=row + 1, column=8).value = "=G16*1"
        edit.cells = (ws.cell(row=row, column=6).coordinate, ws.cell(row=row + 1, column=8).coordinate)
    path = _goumai(tmp_path, edit)
    assert _problems(path) == [
        f"文件 {path} 工作表「政府购买法律服务」: 单元格 {edit.cells[0]}（实际完成值）: 是错误值 #REF!，无法读取",
        f"文件 {path} 工作表「政府购买法律服务」: 单元格 {edit.cells[1]}（得分）: 公式没有缓存值，无法读取（请在 Excel/WPS 中打开并保存一次）",
    ]


def test_bare_fraction_against_a_percent_target_is_refused(tmp_path):
    def edit(ws):
        cell = ws.cell(row=_find(ws, "咨询结果利用率").row, column=6)
        cell.value = 0.98
        edit.address = cell.coordinate
    path = _goumai(tmp_path, edit)
    with pytest.raises(SheetError, match=rf"单元格 {edit.address}（实际完成值，「咨询结果利用率」）: 0.98 是 0.98% 还是 98%"):
        read_form_workbook(path)


def test_zero_total_over_its_parts_is_a_finding_not_a_budget_of_zero(tmp_path):
    def edit(ws):
        row = _find(ws, "年度资金总额").row
        for c in (4, 5, 6):
            ws.cell(row=row, column=c).value = 0
        edit.address = ws.cell(row=row, column=4).coordinate
    path = _goumai(tmp_path, edit)
    with pytest.raises(SheetError, match=rf"单元格 {edit.address}（年初预算数，年度资金总额）为 0，但其中各项（.*）合计 26.6"):
        read_form_workbook(path)


def test_workbook_without_a_form(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "项目基本信息"
    wb.active["A1"] = "项目名称"
    wb.save(tmp_path / "none.xlsx")
    with pytest.raises(SheetError, match=r"none.xlsx: 找不到绩效自评表.*工作表：「项目基本信息」"):
        read_form_workbook(tmp_path / "none.xlsx")


def test_encrypted_and_corrupt_files_are_refused(tmp_path):
    good = _goumai(tmp_path)
    (tmp_path / "cut.xlsx").write_bytes(good.read_bytes()[:2000])
    with pytest.raises(SheetError, match=r"cut.xlsx: 工作簿已损坏"):
        read_form_workbook(tmp_path / "cut.xlsx")
    (tmp_path / "text.xlsx").write_bytes("项目名称,政府购买法律服务\n".encode())
    with pytest.raises(SheetError, match=r"text.xlsx: 不是 .xlsx/.xls/.ods 工作簿"):
        read_form_workbook(tmp_path / "text.xlsx")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
    data = bytearray(buf.getvalue())
    for sig, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(sig)
        data[at + flag_at] |= 1
    (tmp_path / "zipcrypt.xlsx").write_bytes(bytes(data))
    with pytest.raises(SheetError, match=r"zipcrypt.xlsx: 工作簿已加密"):
        read_form_workbook(tmp_path / "zipcrypt.xlsx")
    (tmp_path / "agile.xlsx").write_bytes(compound_file({"EncryptionInfo": b"\x04\x00\x04\x00" + b"\x00" * 5000,
                                                          "EncryptedPackage": b"\x00" * 5000}))
    with pytest.raises(SheetError, match=r"agile.xlsx: 工作簿已加密（设了打开密码）"):
        read_form_workbook(tmp_path / "agile.xlsx")
    bof = struct.pack("<HHHHHHII", 0x0809, 16, 0x0600, 0x0005, 0, 0, 0, 0)
    filepass = struct.pack("<HHH", 0x002F, 2, 1)
    eof = struct.pack("<HH", 0x000A, 0)
    (tmp_path / "rc4.xls").write_bytes(compound_file({"Workbook": (bof + filepass + eof).ljust(5000, b"\x00")}))
    with pytest.raises(SheetError, match=r"rc4.xls: 工作簿已加密（设了打开密码）"):
        read_form_workbook(tmp_path / "rc4.xls")
    (tmp_path / "junk.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    with pytest.raises(SheetError, match=r"junk.xls: .xls 文件已损坏"):
        read_form_workbook(tmp_path / "junk.xls")


def test_xls_whose_formats_cannot_be_read_is_never_misread(converted, monkeypatch):
    """Without the .xls formats (no XF records), 1 (a 100% cell) against a % target is refused,
    not read as 1%."""
    from perfscore.forms import grid

    monkeypatch.setattr(grid, "_xls_kinds", lambda book: [])
    path = converted[("national-fazhi-numbers-merged", "xls")]
    problems = _problems(path)
    model = sample(LN / "fazhi_jianshe.yaml")
    percent_rows = [i for i in model.indicators if i.actual.replace(" ", "").endswith("%")]
    assert percent_rows and len(problems) == len(percent_rows)
    for problem, indicator in zip(problems, percent_rows):
        assert f"（实际完成值，「{indicator.name}」）: 无法读取此 .xls 的数字格式，1 可能是 1% 或 100%" in problem


def test_stacked_projects_take_the_sheet_year_and_name_their_place(tmp_path):
    models = [sample(HB / "02_gonggong_falv_fuwu.yaml"), sample(HB / "03_shequ_falv_guwen.yaml")]
    path = build(tmp_path / "st.xlsx", [(m.name, m) for m in models], "hubei", Typing(), stacked=True)
    forms = read_form_workbook(path)
    assert [f.sheet.year for f in forms] == [2024, 2024]
    assert [f.source for f in forms] == [f"{tmp_path / 'st.xlsx'}「{models[0].name}」第1个项目", f"{tmp_path / 'st.xlsx'}「{models[0].name}」第2个项目"]
    wb = openpyxl.load_workbook(path)
    wb.active[forms[1].cells["indicators[0].actual"]] = None
    wb.save(path)
    with pytest.raises(SheetError, match=rf"工作表「{models[0].name}」第2个项目「{models[1].name}」: 单元格 "
                                         rf"{forms[1].cells['indicators[0].actual']}（实际完成值，「{models[1].indicators[0].name}」）为空"):
        read_form_workbook(path)


def test_xlsm_reads_like_xlsx(tmp_path):
    path = _build("national-goumai-text", tmp_path)
    xlsm = path.with_suffix(".xlsm")
    xlsm.write_bytes(path.read_bytes())
    assert read_form_workbook(xlsm)[0].sheet == read_form_workbook(path)[0].sheet


def test_total_that_differs_from_its_parts_is_a_finding(tmp_path):
    def edit(ws):
        row = _find(ws, "上年结转资金").row
        ws.cell(row=row, column=6).value = 1
        edit.address = ws.cell(row=row - 2, column=6).coordinate
    path = _goumai(tmp_path, edit)
    form = read_form_workbook(path)[0]
    assert form.sheet.budget.executed == Decimal("22.12")
    assert len(form.findings) == 1
    assert f"单元格 {edit.address}（全年执行数）: 年度资金总额 22.12 与其中各项" in form.findings[0]
    assert "之和 23.12 不一致" in form.findings[0]


def test_missing_name_label_and_empty_name(tmp_path):
    def edit(ws):
        _find(ws, "政府购买法律服务").value = None
    path = _goumai(tmp_path, edit)
    with pytest.raises(SheetError, match=r"工作表「政府购买法律服务」: 单元格 C3（项目名称）为空"):
        read_form_workbook(path)


def test_blank_form_rows_dashes_and_filler(tmp_path):
    """Unused 指标N： rows of the blank form are skipped, '—' in 分值/得分 is no value, and
    填报单位 stands in for 实施单位."""
    def edit(ws):
        row = _find(ws, "咨询结果利用率").row
        ws.cell(row=row, column=4).value = "指标5："
        for c in (5, 6, 7, 8):
            ws.cell(row=row, column=c).value = None
        ws.cell(row=_find(ws, "资金使用合规率").row, column=8).value = "—"
        _find(ws, "实施单位").value = "填报单位（盖章）"
    path = _goumai(tmp_path, edit)
    form = read_form_workbook(path)[0]
    model = sample(LN / "zhengfu_goumai_falv_fuwu.yaml")
    assert [i.name for i in form.sheet.indicators] == [i.name for i in model.indicators if i.name != "咨询结果利用率"]
    assert form.sheet.unit == model.unit
    assert [i.reported_score for i in form.sheet.indicators if i.name == "资金使用合规率"] == [None]


def test_liaoning_headers_on_the_second_row_under_group_headers(tmp_path):
    """辽宁's printed form: 年度目标值 / 未完成原因分析 on one row, 一级指标 … 运算符号 内容 度量单位 … on the next."""
    model = sample(LN / "zhengfu_goumai_falv_fuwu.yaml")
    path = build(tmp_path / "l2.xlsx", [(model.name, model)], "liaoning", Typing())
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    head = _find(ws, "三级指标").row
    for rng in [m for m in ws.merged_cells.ranges if m.min_row == head and m.max_row == head + 1]:
        value = ws.cell(row=head, column=rng.min_col).value
        ws.unmerge_cells(str(rng))
        ws.cell(row=head, column=rng.min_col).value = None
        ws.cell(row=head + 1, column=rng.min_col).value = value
    wb.save(path)
    form = read_form_workbook(path)[0]
    policy = preset_policy("liaoning")
    got, want = score_sheet(form.sheet, policy), score_sheet(model, policy)
    assert (got.total, [i.score for i in got.indicators]) == (want.total, [i.score for i in want.indicators])
    assert form.sheet.indicators[0].target == "=4条"  # 运算符号 + 内容 + 度量单位 typed as text


def test_model_errors_name_the_cell(tmp_path):
    def edit(ws):
        cell = ws.cell(row=_find(ws, "决策咨询建议数量").row, column=7)
        cell.value = -5
        edit.address = cell.coordinate
    path = _goumai(tmp_path, edit)
    assert _problems(path) == [f"文件 {path} 工作表「政府购买法律服务」: 单元格 {edit.address}（分值，「决策咨询建议数量」）: "
                               "不能为负数（值: -5）"]


def test_date_cell_as_an_actual_is_a_date_text(tmp_path):
    def edit(ws):
        cell = ws.cell(row=_find(ws, "法律建议稿及说明数量").row, column=6)
        cell.value = datetime.date(2024, 11, 20)
    form = read_form_workbook(_goumai(tmp_path, edit))[0]
    assert form.sheet.indicators[1].actual == "2024年11月20日"


def test_national_department_form_reads_its_total_row_as_the_execution_part(tmp_path):
    """财预〔2020〕10号's 部门整体支出绩效自评表 has no task table: its 年度资金总额 row is scored like a task."""
    zhengti = sample(LN / "zhengti.yaml")
    one = zhengti.model_copy(update={"tasks": [zhengti.tasks[0].model_copy(update={
        "name": "年度资金总额", "budget": sum(t.budget for t in zhengti.tasks),
        "executed": sum(t.executed for t in zhengti.tasks), "weight": Decimal(40),
        "reported_rate": None, "reported_score": None})]})
    path = build(tmp_path / "dept.xlsx", [(one.name, one)], "national", Typing(numbers=True))
    form = read_form_workbook(path)[0]
    policy = preset_policy("liaoning")
    got, want = score_sheet(form.sheet, policy), score_sheet(one, policy)
    assert form.sheet.kind == "department"
    assert (got.total, got.grade, got.execution_score) == (want.total, want.grade, want.execution_score)
    assert [i.score for i in got.indicators] == [i.score for i in want.indicators]
    ws = openpyxl.load_workbook(path).active
    assert Decimal(str(ws[form.cells["tasks[0].executed"]].value)) == one.tasks[0].executed


def test_liaoning_grade_with_its_band_reads_as_the_grade(tmp_path):
    """辽宁's drop-down prints 全部或基本达成预期指标 with its band 100%-80%（含）; the band is not a value."""
    path = _build("liaoning-goumai-numbers", tmp_path)
    ws = openpyxl.load_workbook(path).active
    form = read_form_workbook(path)[0]
    address = form.cells["indicators[5].actual"]
    assert ws[address].value == "全部或基本达成预期指标\n100%-80%（含）"
    assert form.sheet.indicators[5].actual == "全部或基本达成预期指标"
    assert form.sheet.indicators[5].completion == Decimal(1)


def test_every_command_takes_official_forms(tmp_path):
    """score, check, audit, import and batch read a hand-filled national form with no map and
    no template option, through the one input path (inputs.read_workbook)."""
    from click.testing import CliRunner

    from perfscore.cli import main

    def run(*args):
        return CliRunner().invoke(main, [str(a) for a in args])

    model = sample(LN / "zhengfu_goumai_falv_fuwu.yaml")
    (tmp_path / "in").mkdir()
    form = build(tmp_path / "in" / "goumai.xlsx", [(model.name, model)], "national", Typing(numbers=True))
    scored = run("score", form, "--policy", "liaoning", "--format", "json")
    assert scored.exit_code == 0, scored.stderr
    data = __import__("json").loads(scored.output, parse_float=Decimal)
    assert (data["total"], data["grade"]) == (Decimal("98.32"), "优")
    assert run("check", tmp_path / "in", "--policy", "liaoning").exit_code == 0
    audited = run("audit", form, "--policy", "liaoning")
    assert audited.exit_code == 0 and "总分 98.32" in audited.output
    imported = run("import", form, "-o", tmp_path / "goumai.yaml")
    assert imported.exit_code == 0, imported.stderr
    again = score_sheet(read_sheet_file(tmp_path / "goumai.yaml"), preset_policy("liaoning"))
    assert (again.total, again.grade) == (Decimal("98.32"), "优")
    batch = run("batch", tmp_path / "in", "-o", tmp_path / "out", "--policy", "liaoning", "--quiet")
    assert batch.exit_code == 0, batch.stderr
    assert "98.32" in (tmp_path / "out" / "report.md").read_text(encoding="utf-8")


def test_a_perfscore_sheet_whose_rows_moved_is_read_by_its_labels(tmp_path):
    """A unit inserts a row above the table of a sheet perfscore filled: the map's cells no
    longer hold what they name. The map reader says so (naming the cell and the label it
    expected), and without an explicit template the sheet is read by its labels instead."""
    from click.testing import CliRunner
    from openpyxl.worksheet.cell_range import CellRange

    from perfscore.cli import main
    from perfscore.errors import LayoutError
    from perfscore.sheets.fill import fill_sheet
    from perfscore.inputs import read_workbook

    model = sample(LN / "zhengfu_goumai_falv_fuwu.yaml")
    policy = preset_policy("liaoning")
    filled = fill_sheet(score_sheet(model, policy), tmp_path / "own.xlsx", sheet=model, policy=policy)
    wb = openpyxl.load_workbook(filled, data_only=True)  # the values as the unit's copy shows them
    ws = wb.active
    merges = [str(m) for m in ws.merged_cells.ranges]
    for m in merges:
        ws.unmerge_cells(m)
    ws.insert_rows(1)  # as Excel does it: values and merges move down together
    ws["A1"] = "填报说明：金额单位为万元"
    for m in merges:
        moved = CellRange(m)
        moved.shift(0, 1)
        ws.merge_cells(str(moved))
    wb.save(tmp_path / "moved.xlsx")
    with pytest.raises(LayoutError, match=r"版式与模板不一致：A3 应为「项目名称」|版式与模板不一致：[A-Z]+[0-9]+ 应为"):
        read_workbook(tmp_path / "moved.xlsx", "project")
    result = CliRunner().invoke(main, ["score", str(tmp_path / "moved.xlsx"), "--policy", "liaoning", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    data = __import__("json").loads(result.output, parse_float=Decimal)
    assert (data["total"], data["grade"]) == (Decimal("98.32"), "优")
    assert [i["score"] for i in data["indicators"]] == [i.score for i in score_sheet(model, policy).indicators]


# ------------------------------------------------------------------ what a form holds besides the form (docs/scoring.md §9)


def _score(path: Path, preset: str = "liaoning"):
    from perfscore.api import score_files

    results, failures = score_files([path], preset_policy(preset))
    assert not failures, [f.lines() for f in failures]
    return results


def test_target_merged_over_an_empty_actual_is_an_empty_actual(tmp_path):
    """A 年度指标值 cell merged over the 实际完成值 cell is not the actual (it read as full marks)."""
    def edit(ws):
        row = _find(ws, "决策咨询建议数量").row
        ws.cell(row=row, column=6).value = None
        ws.merge_cells(start_row=row, start_column=5, end_row=row, end_column=6)
        edit.row = row
    path = _goumai(tmp_path, edit)
    r = edit.row
    assert _problems(path) == [f"文件 {path} 工作表「政府购买法律服务」: 单元格 F{r}（实际完成值，「决策咨询建议数量」）为空："
                               f"它被单元格 E{r}（年度指标值）的合并区域 E{r}:F{r} 盖住；请取消合并并填写实际完成值"]


def test_amount_typed_in_yuan_in_the_wanyuan_block_is_converted_and_said(tmp_path):
    def edit(ws):
        cell = ws.cell(row=_find(ws, "年度资金总额").row, column=6)
        assert cell.value == 22.12
        cell.value = "221200元"
        edit.address = cell.coordinate
    path = _goumai(tmp_path, edit)
    form = read_form_workbook(path)[0]
    assert form.sheet.budget.executed == Decimal("22.12")
    note = (f"文件 {path} 工作表「政府购买法律服务」单元格 {edit.address}（全年执行数）: 「221200元」的单位是元，"
            "本栏金额单位为万元，按 22.12 万元 读取")
    assert form.findings == [note]
    result = _score(path)[0]
    assert (result.total, result.grade) == (Decimal("98.32"), "优")
    assert result.warnings[0] == note


def test_department_task_amount_in_yuan_is_converted(tmp_path):
    model = sample(LN / "zhengti.yaml")
    path = build(tmp_path / "dept.xlsx", [(model.name, model)], "liaoning", Typing(merge_level1=True, bands=True))
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    cell = ws.cell(row=_find(ws, model.tasks[0].name).row, column=4)
    assert Decimal(str(cell.value)) == Decimal("41.86")
    cell.value = "418600元"
    wb.save(path)
    form = read_form_workbook(path)[0]
    assert form.sheet.tasks[0].budget == Decimal("41.86")
    assert form.findings == [f"文件 {path} 工作表「{model.name}」单元格 {cell.coordinate}（项目下达金额）: 「418600元」的单位是元，"
                             "本栏金额单位为万元，按 41.86 万元 读取"]
    result = _score(path)[0]
    assert (result.total, result.grade) == (Decimal("94.30"), "优")


def test_amount_in_a_unit_that_is_not_money_is_an_error(tmp_path):
    def edit(ws):
        cell = ws.cell(row=_find(ws, "年度资金总额").row, column=6)
        cell.value = "90%"
        edit.address = cell.coordinate
    path = _goumai(tmp_path, edit)
    assert _problems(path) == [f"文件 {path} 工作表「政府购买法律服务」: 单元格 {edit.address}（全年执行数）: 「90%」的单位「%」"
                               "不是金额单位，这里应为金额（万元）"]


def test_indicator_row_with_values_but_no_name_is_an_error(tmp_path):
    def edit(ws):
        cell = _find(ws, "法律建议稿及说明数量")
        cell.value = None
        edit.row = cell.row
    path = _goumai(tmp_path, edit)
    r = edit.row
    assert _problems(path) == [f"文件 {path} 工作表「政府购买法律服务」: 单元格 D{r}（三级指标）为空，但第{r}行填了年度指标值 E{r}、"
                               f"实际完成值 F{r}：请填写指标名称，或删除这一行"]


def test_two_columns_that_both_read_as_the_actual_are_ambiguous(tmp_path):
    def edit(ws):
        head = _find(ws, "三级指标").row
        ws.cell(row=head, column=11).value = "全年实际值"
        ws.cell(row=head + 1, column=11).value = "3条"
        edit.head = head
    path = _goumai(tmp_path, edit)
    h = edit.head
    assert _problems(path) == [f"文件 {path} 工作表「政府购买法律服务」: 表头第{h}行有两列都是实际完成值：F{h}「实际完成值」和 "
                               f"K{h}「全年实际值」，无法确定读哪一列；请删除或改名其中一列"]


def test_the_readers_findings_reach_every_output(tmp_path):
    """年度资金总额 ≠ the sum of its 其中 rows: in the result's warnings, so in score's JSON and
    text, and in the batch's 问题 sheet."""
    import json

    from click.testing import CliRunner

    from perfscore.cli import main

    def edit(ws):
        row = _find(ws, "上年结转资金").row
        ws.cell(row=row, column=6).value = 1
    (tmp_path / "in").mkdir()
    path = _goumai(tmp_path / "in", edit)
    finding = read_form_workbook(path)[0].findings[0]
    assert "年度资金总额 22.12 与其中各项" in finding
    scored = CliRunner().invoke(main, ["score", str(path), "--policy", "liaoning", "--format", "json"])
    assert scored.exit_code == 0, scored.stderr
    assert json.loads(scored.output)["warnings"][0] == finding
    text = CliRunner().invoke(main, ["score", str(path), "--policy", "liaoning"])
    assert finding in text.output
    batch = CliRunner().invoke(main, ["batch", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--policy", "liaoning",
                                      "--quiet"])
    assert batch.exit_code == 0, batch.stderr
    rows = list(openpyxl.load_workbook(tmp_path / "out" / "summary.xlsx")["问题"].iter_rows(values_only=True))
    assert ("提示", finding) in [(row[0], row[7]) for row in rows]


def _hidden_row_form(folder: Path) -> Path:
    """goumai with an old draft's indicator row below the others, hidden (row hidden in Excel)."""
    model = sample(LN / "zhengfu_goumai_falv_fuwu.yaml")
    draft = model.indicators[0].model_copy(update={"name": "旧稿指标", "actual": "1 条"})
    both = model.model_copy(update={"indicators": [*model.indicators, draft]})
    path = build(folder / "hidden_row.xlsx", [(model.name, both)], "national", Typing())
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    ws.row_dimensions[_find(ws, "旧稿指标").row].hidden = True
    wb.save(path)
    return path


def _hidden_sheets_form(folder: Path) -> Path:
    """goumai, and old drafts of it (other numbers) on a hidden and a veryHidden sheet."""
    model = sample(LN / "zhengfu_goumai_falv_fuwu.yaml")
    draft = model.model_copy(update={"indicators": [model.indicators[0].model_copy(update={"actual": "1 条"}),
                                                    *model.indicators[1:]]})
    path = build(folder / "hidden_sheets.xlsx", [(model.name, model), ("旧稿", draft), ("草稿", draft)], "national", Typing())
    wb = openpyxl.load_workbook(path)
    wb["旧稿"].sheet_state = "hidden"
    wb["草稿"].sheet_state = "veryHidden"
    wb.save(path)
    return path


def _assert_hidden_row_left_out(path: Path) -> None:
    form = read_form_workbook(path)[0]
    assert [i.name for i in form.sheet.indicators] == [i.name for i in sample(LN / "zhengfu_goumai_falv_fuwu.yaml").indicators]
    row = _rc(form.cells["indicators[5].name"])[0] + 1
    assert form.findings == [f"文件 {path} 工作表「政府购买法律服务」: 第{row}行是隐藏行，未读取（打印出的表不含隐藏行）"]
    result = _score(path)[0]
    assert (result.total, result.grade) == (Decimal("98.32"), "优")
    assert result.warnings[0] == form.findings[0]


def _assert_hidden_sheets_left_out(path: Path, states: tuple[str, ...]) -> None:
    forms = read_form_workbook(path)
    assert [f.sheet.name for f in forms] == ["政府购买法律服务"]
    assert forms[0].findings == [f"文件 {path} 工作表「{name}」: 是隐藏的工作表（{state}），未读取（打印出的表不含隐藏的工作表）"
                                 for name, state in zip(("旧稿", "草稿"), states)]
    assert score_sheet(forms[0].sheet, preset_policy("liaoning")).total == Decimal("98.32")


def test_hidden_rows_are_not_read_and_are_named(tmp_path):
    _assert_hidden_row_left_out(_hidden_row_form(tmp_path))


def test_hidden_and_very_hidden_sheets_are_not_read_and_are_named(tmp_path):
    path = _hidden_sheets_form(tmp_path)
    _assert_hidden_sheets_left_out(path, ("hidden", "veryHidden"))
    wb = openpyxl.load_workbook(path)
    wb.remove(wb["旧稿"])
    wb.create_sheet("填报说明")["A1"] = "金额单位：万元"
    wb.active = 2
    wb["政府购买法律服务"].sheet_state = "hidden"
    wb.save(path)
    with pytest.raises(SheetError, match=r"找不到绩效自评表.*（隐藏的工作表 「政府购买法律服务」、「草稿」 不读取"):
        read_form_workbook(path)


@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_hidden_rows_and_sheets_after_libreoffice(converted, fmt):
    _assert_hidden_row_left_out(converted[("hidden_row", fmt)])
    path = converted[("hidden_sheets", fmt)]
    states = tuple(g.hidden for g in read_workbook_grid(path).sheets[1:])
    assert all(states)  # LibreOffice keeps both sheets hidden
    _assert_hidden_sheets_left_out(path, states)


def _two_forms(tmp_path: Path, rows: int = 0, cols: int = 0, edit=None) -> tuple[Path, list]:
    """goumai's national form with fazhi's pasted on the same sheet (below or beside it)."""
    from formbuilder import paste

    models = [sample(LN / "zhengfu_goumai_falv_fuwu.yaml"), sample(LN / "fazhi_jianshe.yaml")]
    first = build(tmp_path / "two.xlsx", [(models[0].name, models[0])], "national", Typing())
    second = build(tmp_path / "second.xlsx", [(models[1].name, models[1])], "national", Typing(numbers=True))
    if edit:
        wb = openpyxl.load_workbook(second)
        edit(wb.active)
        wb.save(second)
    if rows == -1:
        rows = openpyxl.load_workbook(first).active.max_row + 2
    return paste(first, second, rows, cols), models


def _assert_reads_both(path: Path, models: list) -> None:
    forms = read_form_workbook(path)
    assert [f.sheet.name for f in forms] == [m.name for m in models]
    policy = preset_policy("liaoning")
    for form, model in zip(forms, models):
        got, want = score_sheet(form.sheet, policy), score_sheet(model, policy)
        assert (got.total, [i.score for i in got.indicators]) == (want.total, [i.score for i in want.indicators])
    assert forms[1].source == f"{path}「{models[0].name}」第2个项目"


def test_second_form_below_is_a_second_project(tmp_path):
    _assert_reads_both(*_two_forms(tmp_path, rows=-1))


def test_second_form_beside_after_an_empty_column_is_a_second_project(tmp_path):
    path, models = _two_forms(tmp_path, cols=11)  # A–J, then L–U
    _assert_reads_both(path, models)
    assert read_form_workbook(path)[1].cells["name"] == "N3"


def test_second_form_below_with_a_label_the_reader_does_not_know_is_named(tmp_path):
    def edit(ws):
        _find(ws, "项目名称").value = "项目全称"
    path, _ = _two_forms(tmp_path, rows=-1, edit=edit)
    ws = openpyxl.load_workbook(path).active
    start, bottom = _find(ws, "总分").row + 3, ws.max_row  # the second form: from its title to its last row
    assert ws.cell(row=start, column=1).value == "项目支出绩效自评表" and _find(ws, "项目全称").row == start + 2
    assert _problems(path) == [f"文件 {path} 工作表「政府购买法律服务」第2个项目（第{start}–{bottom}行）: 找不到「项目名称」"
                               "（查找的标签：项目名称、项目(政策)名称、政策名称、项目(政策)全称、部门(单位)名称、单位名称、部门名称）"]


def test_second_form_beside_with_no_empty_column_is_named(tmp_path):
    path, _ = _two_forms(tmp_path, cols=10)  # A–J, then K–T
    head = _find(openpyxl.load_workbook(path).active, "三级指标").row
    problems = _problems(path)
    assert problems[0] == (f"文件 {path} 工作表「政府购买法律服务」: 第{head}行有并排的两张绩效指标表（「三级指标」表头在 D{head}、"
                           f"N{head}），它们之间没有空列，无法分开读取；请把每个项目放在单独的工作表或上下排列")


def test_the_same_form_twice_counts_once(tmp_path):
    model = sample(HB / "02_gonggong_falv_fuwu.yaml")
    path = build(tmp_path / "twice.xlsx", [(model.name, model), (model.name, model)], "hubei", Typing(), stacked=True)
    forms = read_form_workbook(path)
    assert [f.source for f in forms] == [f"{path}「{model.name}」第1个项目"]
    assert forms[0].findings == [f"文件 {path}: 工作表「{model.name}」第2个项目与工作表「{model.name}」第1个项目是同一项目"
                                 f"「{model.name}」（{model.unit}、2024年度），内容相同，只计一次（工作表「{model.name}」第2个项目未计入）"]
    copy = build(tmp_path / "copy.xlsx", [(model.name, model), ("副本", model)], "hubei", Typing())
    forms = read_form_workbook(copy)
    assert len(forms) == 1 and "工作表「副本」与工作表「" in forms[0].findings[0]
    results = _score(copy, "hubei")
    assert len(results) == 1 and results[0].budget_executed == model.budget.executed
    assert results[0].warnings[0] == forms[0].findings[0]


def test_the_same_project_with_different_content_is_an_error_for_both(tmp_path):
    model = sample(HB / "02_gonggong_falv_fuwu.yaml")
    other = model.model_copy(update={"budget": model.budget.model_copy(update={"executed": Decimal(1)})})
    path = build(tmp_path / "differ.xlsx", [(model.name, model), ("旧稿", other)], "hubei", Typing())
    what = f"同一项目「{model.name}」（{model.unit}、2024年度），但内容不同，无法确定以哪一份为准；请核对后只保留一份"
    assert _problems(path) == [f"文件 {path} 工作表「{model.name}」: 与工作表「旧稿」是{what}",
                               f"文件 {path} 工作表「旧稿」: 与工作表「{model.name}」是{what}"]
