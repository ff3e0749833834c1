"""Generate the shipped templates: perfscore's own two (project_sheet.xlsx,
department_sheet.xlsx), the national layouts (national_project.xlsx,
national_department.xlsx) beside this script, and the provinces' own in their folders
(provinces/liaoning/project.xlsx, provinces/hubei/project.xlsx, provinces/shanxi/project.xlsx).

Run:  python templates/build_templates.py [FOLDER]   (default: every file where it ships;
      with FOLDER: the same tree under FOLDER, provinces/<name>/ included)

The output is byte-reproducible: openpyxl's zip timestamps and docProps/core.xml dates
are replaced by a fixed date, so re-running the script changes nothing in git. The bytes
depend on openpyxl's version: the shipped files were made with OPENPYXL_VERSION below.

Layout follows the official forms (预算项目(政策)绩效自评表, 部门（单位）整体绩效自评表):
12 columns A..L, one styled template row per table (the renderer clones it), values
written by the program (no formulas). Cell addresses used here must match the
*.map.yaml files beside the templates.
"""

from __future__ import annotations

import io
import re
import sys
import zipfile
from pathlib import Path

from openpyxl import Workbook

OPENPYXL_VERSION = "3.1.5"  # the openpyxl the shipped templates were generated with
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.page import PageMargins

HERE = Path(__file__).resolve().parent
FIXED_ZIP_DATE = (2024, 1, 1, 0, 0, 0)
FIXED_ISO_DATE = "2024-01-01T00:00:00Z"

FONT_NAME = "宋体"
FONT_SIZE = 10.5  # 五号
FMT_AMOUNT = "0.00"
FMT_PERCENT = "0.00%"
FMT_SCORE = "0.00"
# Shows 2024 as "(2024 年度)"; the 4th section does the same for a text "2024".
FMT_YEAR = '"("0" 年度)";;;"("@" 年度)"'

# Column widths sized for the longest standard names: 二级 服务对象满意度指标 /
# 可持续影响指标 (9 CJK characters = ~18 units at 10.5 pt), 三级 names wrap in C.
WIDTHS = {
    "A": 11, "B": 20, "C": 26, "D": 6, "E": 10, "F": 6,
    "G": 10, "H": 9, "I": 9, "J": 9, "K": 22, "L": 22,
}
INDICATOR_HEADERS = [
    "一级指标", "二级指标", "三级指标", "运算符号", "指标值", "度量单位",
    "全年完成值", "完成程度", "分值", "得分", "偏差原因", "改进措施",
]
# number format / horizontal alignment per indicator column
INDICATOR_COLUMNS = {
    "A": ("General", "center"), "B": ("General", "center"), "C": ("General", "left"),
    "D": ("General", "center"), "E": ("General", "center"), "F": ("General", "center"),
    "G": ("General", "center"), "H": (FMT_PERCENT, "center"), "I": (FMT_SCORE, "center"),
    "J": (FMT_SCORE, "center"), "K": ("General", "left"), "L": ("General", "left"),
}
GRADES = '"优,良,中,差"'

thin = Side(style="thin", color="000000")
BORDER = Border(left=thin, right=thin, top=thin, bottom=thin)
NO_BORDER = Border()


def _font(bold: bool = False, size: float = FONT_SIZE) -> Font:
    return Font(name=FONT_NAME, size=size, bold=bold, charset=134)


def _style(ws, ref: str, *, value=None, bold=False, size=FONT_SIZE, fmt="General",
           horizontal="center", vertical="center", border=True) -> None:
    """Style every cell of ref (a cell or a range), merge a range, put value top-left."""
    cells = ws[ref]
    if not isinstance(cells, tuple):
        cells = ((cells,),)
    elif not isinstance(cells[0], tuple):
        cells = (cells,)
    for row in cells:
        for c in row:
            c.font = _font(bold, size)
            c.number_format = fmt
            c.alignment = Alignment(horizontal=horizontal, vertical=vertical, wrap_text=True)
            c.border = BORDER if border else NO_BORDER
    if ":" in ref:
        ws.merge_cells(ref)
    if value is not None:
        cells[0][0].value = value


def _label(ws, ref: str, text: str) -> None:
    _style(ws, ref, value=text, bold=True)


def _new_sheet(title: str):
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for col, width in WIDTHS.items():
        ws.column_dimensions[col].width = width
    ws.sheet_format.defaultRowHeight = 18
    return wb, ws


def _title_rows(ws, title: str) -> None:
    _style(ws, "A1:L1", value=title, bold=True, size=16, border=False)
    ws.row_dimensions[1].height = 32
    _style(ws, "A2:L2", fmt=FMT_YEAR, border=False)  # field: year
    ws.row_dimensions[2].height = 20


def _goal_rows(ws, row: int, label: str, left: str, right: str) -> None:
    """年度总体目标 | 年初设定目标 / 全年完成情况 and two wide wrapped text cells below."""
    _label(ws, f"A{row}:B{row + 1}", label)
    _label(ws, f"C{row}:G{row}", left)
    _label(ws, f"H{row}:L{row}", right)
    _style(ws, f"C{row + 1}:G{row + 1}", horizontal="left", vertical="top")   # goal
    _style(ws, f"H{row + 1}:L{row + 1}", horizontal="left", vertical="top")   # achieved
    ws.row_dimensions[row].height = 20
    ws.row_dimensions[row + 1].height = 150


def _indicator_table(ws, header_row: int) -> int:
    """Header + the one styled template row; returns the template row."""
    for i, text in enumerate(INDICATOR_HEADERS):
        col = "ABCDEFGHIJKL"[i]
        _label(ws, f"{col}{header_row}", text)
    ws.row_dimensions[header_row].height = 30
    row = header_row + 1
    for col, (fmt, horizontal) in INDICATOR_COLUMNS.items():
        _style(ws, f"{col}{row}", fmt=fmt, horizontal=horizontal)
    # 得分 below 分值 shows in light orange (presentation only, no cell formulas).
    ws.conditional_formatting.add(
        f"J{row}",
        FormulaRule(formula=[f"AND(ISNUMBER(J{row}),ISNUMBER(I{row}),J{row}<I{row})"],
                    fill=PatternFill(start_color="FFF2CC", end_color="FFF2CC", fill_type="solid")),
    )
    return row


def _footer(ws, first_row: int, labels: list[str]) -> int:
    """Footer rows label (A:I) | value (J:L); returns the last row."""
    for i, text in enumerate(labels):
        r = first_row + i
        _label(ws, f"A{r}:I{r}", text)
        fmt = "General" if text == "等级" else FMT_SCORE
        _style(ws, f"J{r}:L{r}", fmt=fmt)
        ws.row_dimensions[r].height = 20
    last = first_row + len(labels) - 1
    dv = DataValidation(type="list", formula1=GRADES, allow_blank=True)
    dv.error = "等级只能是 优、良、中、差"
    dv.errorTitle = "等级"
    dv.showErrorMessage = True
    ws.add_data_validation(dv)
    dv.add(f"J{last}")  # 等级 is the last footer row
    return last


def _page_setup(ws, last_row: int, title_row: int) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.6, header=0.3, footer=0.3)
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.print_area = f"A1:L{last_row}"
    ws.print_title_rows = f"{title_row}:{title_row}"


CLOSING = (("填报单位（盖章）：", "填报人："), ("联系电话：", "填报日期："))
OPERATORS = '"≥,≤,=,>,<"'
GRADE_WORDS = '"全部或基本达成预期指标,部分达成预期指标并具有一定效果,未达成预期指标且效果较差"'


def _ref(spec: str, row: int) -> str:
    a, _, b = spec.partition(":")
    return f"{a}{row}:{b}{row}" if b else f"{a}{row}"


def _closing(ws, row: int, cols: tuple[str, str, str, str]) -> int:
    """The lines real forms end with, below the form: 填报单位（盖章） | 填报人 over 联系电话 |
    填报日期 (cols: label, value, label, value column specs such as "A:B"). The 填报单位 value
    cell (the first value cell) is the map field ``reporting_unit``; the others are left to the
    unit. Returns the last row."""
    for r, labels in zip((row, row + 1), CLOSING):
        for (label_col, value_col), text in zip(((cols[0], cols[1]), (cols[2], cols[3])), labels):
            _style(ws, _ref(label_col, r), value=text, horizontal="right", border=False)
            _style(ws, _ref(value_col, r), horizontal="left", border=False)
        ws.row_dimensions[r].height = 22
    return row + 1


def _typing_aids(ws, operator: str | None, actual: str) -> None:
    """Drop-down lists where a unit types a closed set: 运算符号 (a warning, never a refusal:
    ＝ and the words still read) and the grade words in 全年完成值 (a suggestion: numbers stay
    allowed), with an input message on 全年完成值 saying how to type a percent."""
    if operator:
        dv = DataValidation(type="list", formula1=OPERATORS, allow_blank=True, errorStyle="warning")
        dv.errorTitle = "运算符号"
        dv.error = "运算符号请选择 ≥、≤、=、>、<（也可填写「不低于」等文字）"
        dv.showErrorMessage = True
        ws.add_data_validation(dv)
        dv.add(operator)
    dv = DataValidation(type="list", formula1=GRADE_WORDS, allow_blank=True)
    dv.showErrorMessage = False
    dv.showInputMessage = True
    dv.promptTitle = "全年完成值"
    dv.prompt = "数量填数字（可带单位，如 8次）；百分数输入 95% 或 95；定性指标从下拉列表选择等级"
    ws.add_data_validation(dv)
    dv.add(actual)


def build_project():
    wb, ws = _new_sheet("项目绩效自评表")
    _title_rows(ws, "预算项目(政策)绩效自评表")
    _label(ws, "A3:B3", "项目(政策)名称")
    _style(ws, "C3:L3", horizontal="left")                       # name
    _label(ws, "A4:B4", "主管部门")
    _style(ws, "C4:F4", horizontal="left")                       # department
    _label(ws, "G4:H4", "实施单位")
    _style(ws, "I4:L4", horizontal="left")                       # unit
    _label(ws, "A5:B6", "项目资金")
    for ref, text in [("C5:D5", "年初预算数(万元)"), ("E5:F5", "全年预算数(万元)"),
                      ("G5:H5", "全年执行数(万元)"), ("I5:J5", "执行率"),
                      ("K5", "分值"), ("L5", "得分")]:
        _label(ws, ref, text)
    for ref, fmt in [("C6:D6", FMT_AMOUNT), ("E6:F6", FMT_AMOUNT), ("G6:H6", FMT_AMOUNT),
                     ("I6:J6", FMT_PERCENT), ("K6", FMT_SCORE), ("L6", FMT_SCORE)]:
        _style(ws, ref, fmt=fmt)
    for r in (3, 4, 5, 6):
        ws.row_dimensions[r].height = 22
    _goal_rows(ws, 7, "年度总体目标", "年初设定目标", "全年实际完成情况")
    row = _indicator_table(ws, 9)
    _typing_aids(ws, f"D{row}", f"G{row}")
    last = _footer(ws, row + 1, ["指标自评得分小计", "预算执行率得分", "减分项", "总分", "等级"])
    last = _closing(ws, last + 1, ("A:B", "C:F", "G:H", "I:L"))
    _page_setup(ws, last, 9)
    return wb


def build_department():
    wb, ws = _new_sheet("整体绩效自评表")
    _title_rows(ws, "部门（单位）整体绩效自评表")
    _label(ws, "A3:B3", "部门（单位）名称")
    _style(ws, "C3:L3", horizontal="left")                       # name
    _label(ws, "A4:B4", "部门年初预算支出金额(万元)")
    _style(ws, "C4:L4", fmt=FMT_AMOUNT, horizontal="left")       # budget_initial
    for r in (3, 4):
        ws.row_dimensions[r].height = 22
    # 年度主要任务: the label merge A5:B6 ends on the template row, so it grows with the tasks.
    _label(ws, "A5:B6", "年度主要任务")
    for ref, text in [("C5:G5", "任务名称/对应项目"), ("H5", "项目下达金额(万元)"),
                      ("I5", "项目执行金额(万元)"), ("J5", "项目执行率"),
                      ("K5", "分值"), ("L5", "得分")]:
        _label(ws, ref, text)
    ws.row_dimensions[5].height = 30
    _style(ws, "C6:G6", horizontal="left")                       # tasks.name (merged per row)
    for ref, fmt in [("H6", FMT_AMOUNT), ("I6", FMT_AMOUNT), ("J6", FMT_PERCENT),
                     ("K6", FMT_SCORE), ("L6", FMT_SCORE)]:
        _style(ws, ref, fmt=fmt)
    _goal_rows(ws, 7, "年度总体目标", "年初设定目标", "全年完成情况")
    row = _indicator_table(ws, 9)
    _typing_aids(ws, f"D{row}", f"G{row}")
    last = _footer(ws, row + 1, ["指标自评得分小计", "预算执行得分", "减分项", "总分", "等级"])
    last = _closing(ws, last + 1, ("A:B", "C:F", "G:H", "I:L"))
    _page_setup(ws, last, 9)
    return wb


# --------------------------------------------------------------------------- official layouts
#
# The official forms as units fill them: the labels exactly as the forms print them, 宋体,
# thin borders, merged label cells, A4 landscape fitted to one page wide with the indicator
# header repeated on every page. Each has one styled template row per table; where a form
# prints no 完成程度 column, a hidden column beyond the print area (header 完成程度) carries it,
# so an explicit completion of a qualitative indicator survives a fill and read-back.

FMT_YEAR_CN = '"（"0"年度）";;;"（"@"年度）"'  # 2024 shows as "（2024年度）"
DASH = "—"


def _official_sheet(title: str, widths: dict[str, float], hidden: str | None = None):
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for col, width in widths.items():
        ws.column_dimensions[col].width = width
    if hidden:
        ws.column_dimensions[hidden].width = 10
        ws.column_dimensions[hidden].hidden = True
    ws.sheet_format.defaultRowHeight = 18
    return wb, ws


def _official_title(ws, last_col: str, title: str, year_fmt: str = FMT_YEAR_CN) -> None:
    _style(ws, f"A1:{last_col}1", value=title, bold=True, size=16, border=False)
    ws.row_dimensions[1].height = 30
    _style(ws, f"A2:{last_col}2", fmt=year_fmt, border=False)  # field: year
    ws.row_dimensions[2].height = 20


def _heights(ws, rows, height: float) -> None:
    for r in rows:
        ws.row_dimensions[r].height = height


def _hidden_completion(ws, col: str, header_rows: str, row: int) -> None:
    """The hidden 完成程度 column: header and template-row cell, outside the print area."""
    _label(ws, f"{col}{header_rows}", "完成程度")
    _style(ws, f"{col}{row}", fmt=FMT_PERCENT)


def _official_print(ws, last_col: str, last_row: int, titles: str) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.6, header=0.3, footer=0.3)
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.print_area = f"A1:{last_col}{last_row}"
    ws.print_title_rows = titles


def _national_budget(ws, top: int, label: str, cols: list[str]) -> None:
    """项目资金（万元）: header 年初预算数 … 得分, rows 年度资金总额 and 其中：当年财政拨款 /
    上年结转资金 / 其他资金 (their 分值 and 得分 print "—"). cols: the six value cells' refs
    (column letters or ranges like "H:I") after the B:C row label."""
    _label(ws, f"A{top}:A{top + 4}", label)
    _style(ws, f"B{top}:C{top}")
    heads = ["年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"]
    fmts = [FMT_AMOUNT, FMT_AMOUNT, FMT_AMOUNT, FMT_SCORE, FMT_PERCENT, FMT_SCORE]
    rows = ["年度资金总额", "其中：当年财政拨款", "上年结转资金", "其他资金"]
    for i, text in enumerate(rows):
        r = top + 1 + i
        _label(ws, f"B{r}:C{r}", text)
        for j, (col, fmt) in enumerate(zip(cols, fmts)):
            a, _, b = col.partition(":")
            ref = f"{a}{r}:{b}{r}" if b else f"{a}{r}"
            _style(ws, ref, fmt=fmt, value=DASH if i and j in (3, 5) else None)
    for col, text in zip(cols, heads):
        a, _, b = col.partition(":")
        _label(ws, f"{a}{top}:{b}{top}" if b else f"{a}{top}", text)
    _heights(ws, range(top, top + 5), 20)


def _goal_block(ws, row: int, left: str, right: str, label: str = "年度总体目标",
                left_text: str = "预期目标", right_text: str = "实际完成情况", first: str = "A") -> None:
    """年度总体目标 | 预期目标 / 实际完成情况 and the two wrapped text cells below.
    left/right: column ranges such as "B:E" and "F:I"."""
    (l1, l2), (r1, r2) = left.split(":"), right.split(":")
    _label(ws, f"{first}{row}:{first}{row + 1}" if len(first) == 1 else f"{first[0]}{row}:{first[1]}{row + 1}", label)
    _label(ws, f"{l1}{row}:{l2}{row}", left_text)
    _label(ws, f"{r1}{row}:{r2}{row}", right_text)
    _style(ws, f"{l1}{row + 1}:{l2}{row + 1}", horizontal="left", vertical="top")  # goal
    _style(ws, f"{r1}{row + 1}:{r2}{row + 1}", horizontal="left", vertical="top")  # achieved
    ws.row_dimensions[row].height = 20
    ws.row_dimensions[row + 1].height = 60


def _indicator_cells(ws, row: int, spec: dict[str, tuple[str, str]]) -> None:
    """The styled template row: column -> (number format, horizontal alignment)."""
    for col, (fmt, horizontal) in spec.items():
        _style(ws, f"{col}{row}", fmt=fmt, horizontal=horizontal)


# national 财预〔2020〕10号 项目支出绩效自评表: label column A, 8-column indicator table B..I
NATIONAL_WIDTHS = {"A": 13, "B": 12, "C": 21, "D": 30, "E": 18, "F": 24, "G": 9, "H": 9, "I": 36}
NATIONAL_INDICATORS = {
    "B": ("General", "center"), "C": ("General", "center"), "D": ("General", "left"),
    "E": ("General", "center"), "F": ("General", "center"), "G": (FMT_SCORE, "center"),
    "H": (FMT_SCORE, "center"), "I": ("General", "left"),
}
NATIONAL_HEADERS = ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
                    "偏差原因分析及改进措施"]


def _national_indicators(ws, header: int) -> int:
    """绩效指标 | 一级指标 … 偏差原因分析及改进措施, the template row, the 总分 row and the closing
    lines; returns the last row."""
    row = header + 1
    _label(ws, f"A{header}:A{row}", "绩效指标")  # ends on the template row: grows with the rows
    for col, text in zip("BCDEFGHI", NATIONAL_HEADERS):
        _label(ws, f"{col}{header}", text)
    ws.row_dimensions[header].height = 30
    _indicator_cells(ws, row, NATIONAL_INDICATORS)
    _hidden_completion(ws, "J", str(header), row)
    total = row + 1
    _label(ws, f"A{total}:F{total}", "总分")
    _style(ws, f"G{total}", fmt=FMT_SCORE, value=100)
    _style(ws, f"H{total}", fmt=FMT_SCORE)                      # total
    _style(ws, f"I{total}")
    ws.row_dimensions[total].height = 20
    _typing_aids(ws, None, f"F{row}")
    return _closing(ws, total + 1, ("A", "B:D", "E", "F:I"))


def build_national_project():
    wb, ws = _official_sheet("项目支出绩效自评表", NATIONAL_WIDTHS, hidden="J")
    _official_title(ws, "I", "项目支出绩效自评表")
    _label(ws, "A3", "项目名称")
    _style(ws, "B3:I3", horizontal="left")                       # name
    _label(ws, "A4", "主管部门")
    _style(ws, "B4:E4", horizontal="left")                       # department
    _label(ws, "F4", "实施单位")
    _style(ws, "G4:I4", horizontal="left")                       # unit
    _heights(ws, (3, 4), 20)
    _national_budget(ws, 5, "项目资金（万元）", ["D", "E", "F", "G", "H", "I"])
    _goal_block(ws, 10, "B:E", "F:I")
    last = _national_indicators(ws, 12)
    _official_print(ws, "I", last, "12:12")
    return wb


def build_national_department():
    wb, ws = _official_sheet("部门整体支出绩效自评表", NATIONAL_WIDTHS, hidden="J")
    _official_title(ws, "I", "部门整体支出绩效自评表")
    _label(ws, "A3", "部门（单位）名称")
    _style(ws, "B3:I3", horizontal="left")                       # name
    ws.row_dimensions[3].height = 30
    # 年度主要任务: the label A4:A5 ends on the template row, so it grows with the tasks
    _label(ws, "A4:A5", "年度主要任务")
    for ref, text in [("B4:D4", "任务名称"), ("E4", "全年预算数"), ("F4", "全年执行数"),
                      ("G4", "分值"), ("H4", "执行率"), ("I4", "得分")]:
        _label(ws, ref, text)
    ws.row_dimensions[4].height = 20
    _style(ws, "B5:D5", horizontal="left")                       # tasks.name (merged per row)
    for ref, fmt in [("E5", FMT_AMOUNT), ("F5", FMT_AMOUNT), ("G5", FMT_SCORE), ("H5", FMT_PERCENT),
                     ("I5", FMT_SCORE)]:
        _style(ws, ref, fmt=fmt)
    _label(ws, "A6:D6", "年度资金总额")
    for ref, fmt in [("E6", FMT_AMOUNT), ("F6", FMT_AMOUNT), ("G6", FMT_SCORE), ("H6", FMT_PERCENT),
                     ("I6", FMT_SCORE)]:
        _style(ws, ref, fmt=fmt)
    ws.row_dimensions[6].height = 20
    _goal_block(ws, 7, "B:E", "F:I")
    last = _national_indicators(ws, 9)
    _official_print(ws, "I", last, "9:9")
    return wb


# 辽宁 预算项目(政策)绩效自评表 (seed 000): 年度目标值 over 运算符号 / 内容 / 度量单位, 未完成原因分析 over
# 经费保障 … 其他 / 原因说明, 改进措施; the footer prints 小计, 执行率得分, 减分项 and 总得分 in one row.
LIAONING_WIDTHS = {
    "A": 6, "B": 11, "C": 20, "D": 28, "E": 6, "F": 9, "G": 6, "H": 12, "I": 9, "J": 7, "K": 7,
    "L": 6, "M": 6, "N": 6, "O": 6, "P": 6, "Q": 24, "R": 24,
}
LIAONING_INDICATORS = {
    "B": ("General", "center"), "C": ("General", "center"), "D": ("General", "left"),
    "E": ("General", "center"), "F": ("General", "center"), "G": ("General", "center"),
    "H": ("General", "center"), "I": (FMT_PERCENT, "center"), "J": (FMT_SCORE, "center"),
    "K": (FMT_SCORE, "center"), "L": ("General", "center"), "M": ("General", "center"),
    "N": ("General", "center"), "O": ("General", "center"), "P": ("General", "center"),
    "Q": ("General", "left"), "R": ("General", "left"),
}


def build_liaoning_project():
    wb, ws = _official_sheet("预算项目(政策)绩效自评表", LIAONING_WIDTHS)
    _official_title(ws, "R", "预算项目(政策)绩效自评表", year_fmt=FMT_YEAR)
    for r, text in ((3, "项目(政策)名称"), (4, "主管部门"), (5, "实施单位")):
        _label(ws, f"A{r}:C{r}", text)
        _style(ws, f"D{r}:R{r}", horizontal="left")              # name / department / unit
    _label(ws, "A6:C6", "项目预算金额（万元）")
    _style(ws, "D6:F6", fmt=FMT_AMOUNT)                           # budget_adjusted
    _label(ws, "G6:I6", "全年执行数（万元）")
    _style(ws, "J6:L6", fmt=FMT_AMOUNT)                           # budget_executed
    _label(ws, "M6:N6", "执行率")
    _style(ws, "O6:R6", fmt=FMT_PERCENT)                          # execution_rate
    _heights(ws, range(3, 7), 20)
    _goal_block(ws, 7, "D:K", "L:R", left_text="年初设定目标", right_text="全年实际完成情况", first="AC")
    # two header rows
    _label(ws, "A9:A11", "绩效指标")                               # ends on the template row
    for ref, text in [("B9:B10", "一级指标"), ("C9:C10", "二级指标"), ("D9:D10", "三级指标"),
                      ("E9:G9", "年度目标值"), ("H9:H10", "全年完成值"), ("I9:I10", "完成程度"),
                      ("J9:J10", "分值"), ("K9:K10", "得分"), ("L9:Q9", "未完成原因分析"),
                      ("R9:R10", "改进措施"), ("E10", "运算符号"), ("F10", "内容"), ("G10", "度量单位"),
                      ("L10", "经费保障"), ("M10", "制度保障"), ("N10", "人员保障"),
                      ("O10", "硬件条件保障"), ("P10", "其他"), ("Q10", "原因说明")]:
        _label(ws, ref, text)
    ws.row_dimensions[9].height = 20
    ws.row_dimensions[10].height = 42
    _indicator_cells(ws, 11, LIAONING_INDICATORS)
    for ref, text, value_ref in [("A12:C12", "指标自评得分小计", "D12"), ("E12:H12", "预算执行率得分", "I12"),
                                 ("J12:L12", "减分项", "M12"), ("N12:P12", "绩效自评总得分", "Q12:R12")]:
        _label(ws, ref, text)
        _style(ws, value_ref, fmt=FMT_SCORE)
    ws.row_dimensions[12].height = 22
    _typing_aids(ws, "E11", "H11")
    last = _closing(ws, 13, ("A:C", "D:H", "I:L", "M:R"))
    _official_print(ws, "R", last, "9:10")
    return wb


# 湖北 项目绩效自评表 (seed 004): 项目类别 / 项目属性 / 项目类型 lines, 预算执行情况（万元）（20分）,
# 年初目标值（A） / 实际完成值（B）, 得分 only (no 分值: the level shares come from the policy),
# 总分, then the project's 偏差大或目标未完成原因分析 and 改进措施及结果应用方案 rows.
HUBEI_WIDTHS = {"A": 12, "B": 12, "C": 24, "D": 48, "E": 30, "F": 30, "G": 14}
HUBEI_INDICATORS = {
    "B": ("General", "center"), "C": ("General", "center"), "D": ("General", "left"),
    "E": ("General", "center"), "F": ("General", "center"), "G": (FMT_SCORE, "center"),
}


def build_hubei_project():
    wb, ws = _official_sheet("项目绩效自评表（湖北）", HUBEI_WIDTHS, hidden="H")
    _official_title(ws, "G", "项目绩效自评表")
    _label(ws, "A3:B3", "项目名称")
    _style(ws, "C3:G3", horizontal="left")                       # name
    _label(ws, "A4:B4", "主管部门")
    _style(ws, "C4:D4", horizontal="left")                       # department
    _label(ws, "E4", "项目实施单位")
    _style(ws, "F4:G4", horizontal="left")                       # unit
    for r, label, text in ((5, "项目类别", "1. 部门预算项目 □　　2. 财政专项资金 □"),
                           (6, "项目属性", "1. 持续性项目 □　　2. 新增性项目 □"),
                           (7, "项目类型", "1. 常年性项目 □　　2. 延续性项目 □　　3. 一次性项目 □")):
        _label(ws, f"A{r}:B{r}", label)
        _style(ws, f"C{r}:G{r}", value=text, horizontal="left")
    _label(ws, "A8:B9", "预算执行情况（万元）（20分）")
    _style(ws, "C8")
    for ref, text in [("D8", "预算数（A）"), ("E8", "执行数（B）"), ("F8", "执行率（B/A）"), ("G8", "得分")]:
        _label(ws, ref, text)
    _label(ws, "C9", "年度财政资金总额")
    for ref, fmt in [("D9", FMT_AMOUNT), ("E9", FMT_AMOUNT), ("F9", FMT_PERCENT), ("G9", FMT_SCORE)]:
        _style(ws, ref, fmt=fmt)
    _heights(ws, range(3, 10), 20)
    _label(ws, "A10:A11", "年度绩效目标")                           # ends on the template row
    for col, text in zip("BCDEFG", ["一级指标", "二级指标", "三级指标", "年初目标值（A）", "实际完成值（B）", "得分"]):
        _label(ws, f"{col}10", text)
    ws.row_dimensions[10].height = 30
    _indicator_cells(ws, 11, HUBEI_INDICATORS)
    _hidden_completion(ws, "H", "10", 11)
    _label(ws, "A12:F12", "总分")
    _style(ws, "G12", fmt=FMT_SCORE)                              # total
    _label(ws, "A13:B13", "偏差大或目标未完成原因分析")
    _style(ws, "C13:G13", horizontal="left", vertical="top")
    _label(ws, "A14:B14", "改进措施及结果应用方案")
    _style(ws, "C14:G14", horizontal="left", vertical="top")
    ws.row_dimensions[12].height = 20
    _heights(ws, (13, 14), 40)
    _typing_aids(ws, None, "F11")
    last = _closing(ws, 15, ("A:B", "C:D", "E", "F:G"))
    _official_print(ws, "G", last, "10:10")
    return wb


# 山西: the national form with 年度指标值 split into 年初指标值 and 调整后指标值, 偏差原因分析 and 改进措施
# in columns of their own, and a 合计 row.
SHANXI_WIDTHS = {"A": 12, "B": 12, "C": 21, "D": 28, "E": 15, "F": 15, "G": 24, "H": 8, "I": 8, "J": 24, "K": 24}
SHANXI_INDICATORS = {
    "B": ("General", "center"), "C": ("General", "center"), "D": ("General", "left"),
    "E": ("General", "center"), "F": ("General", "center"), "G": ("General", "center"),
    "H": (FMT_SCORE, "center"), "I": (FMT_SCORE, "center"), "J": ("General", "left"), "K": ("General", "left"),
}


def build_shanxi_project():
    wb, ws = _official_sheet("项目支出绩效自评表（山西）", SHANXI_WIDTHS, hidden="L")
    _official_title(ws, "K", "项目支出绩效自评表")
    _label(ws, "A3", "项目名称")
    _style(ws, "B3:K3", horizontal="left")                       # name
    _label(ws, "A4", "主管部门")
    _style(ws, "B4:F4", horizontal="left")                       # department
    _label(ws, "G4", "实施单位")
    _style(ws, "H4:K4", horizontal="left")                       # unit
    _heights(ws, (3, 4), 20)
    _national_budget(ws, 5, "项目资金（万元）", ["D", "E", "F", "G", "H:I", "J:K"])
    _goal_block(ws, 10, "B:F", "G:K")
    _label(ws, "A12:A14", "绩效指标")                              # ends on the template row
    for ref, text in [("B12:B13", "一级指标"), ("C12:C13", "二级指标"), ("D12:D13", "三级指标"),
                      ("E12:F12", "年度指标值"), ("G12:G13", "实际完成值"), ("H12:H13", "分值"),
                      ("I12:I13", "得分"), ("J12:J13", "偏差原因分析"), ("K12:K13", "改进措施"),
                      ("E13", "年初指标值"), ("F13", "调整后指标值")]:
        _label(ws, ref, text)
    _heights(ws, (12, 13), 20)
    _indicator_cells(ws, 14, SHANXI_INDICATORS)
    _hidden_completion(ws, "L", "12:L13", 14)
    _label(ws, "A15:G15", "合计")
    _style(ws, "H15", fmt=FMT_SCORE, value=100)
    _style(ws, "I15", fmt=FMT_SCORE)                              # total
    _style(ws, "J15:K15")
    ws.row_dimensions[15].height = 20
    _typing_aids(ws, None, "G14")
    last = _closing(ws, 16, ("A:B", "C:E", "F:G", "H:K"))
    _official_print(ws, "K", last, "12:13")
    return wb


# file name -> builder, in the order they are written
BUILDERS = {
    "project_sheet.xlsx": build_project,
    "department_sheet.xlsx": build_department,
    "national_project.xlsx": build_national_project,
    "national_department.xlsx": build_national_department,
    "provinces/liaoning/project.xlsx": build_liaoning_project,
    "provinces/hubei/project.xlsx": build_hubei_project,
    "provinces/shanxi/project.xlsx": build_shanxi_project,
}
PROVINCE_PREFIX = "provinces/"


def _shipped_root() -> Path:
    """Where provinces/ lies: beside templates/ when installed (perfscore/provinces), under
    src/perfscore in the repository."""
    installed = HERE.parent / "provinces"
    return HERE.parent if installed.is_dir() else HERE.parent / "src" / "perfscore"


def _deterministic(data: bytes) -> bytes:
    """Fixed zip timestamps and core.xml dates, so the output is byte-reproducible."""
    zin = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            body = zin.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = body.decode("utf-8")
                text = re.sub(r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)",
                              rf"\g<1>{FIXED_ISO_DATE}\g<2>", text)
                body = text.encode("utf-8")
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_DATE)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            zout.writestr(zi, body)
    return out.getvalue()


def save(wb, path: Path) -> None:
    wb.properties.creator = "perfscore"
    wb.properties.lastModifiedBy = "perfscore"
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(_deterministic(buf.getvalue()))


def main(argv: list[str] | None = None) -> int:
    out_dir = Path(argv[0]) if argv else None
    for name, build in BUILDERS.items():
        if out_dir is not None:
            target = out_dir / name
        else:
            target = (_shipped_root() if name.startswith(PROVINCE_PREFIX) else HERE) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        save(build(), target)
    out_dir = out_dir or HERE
    print(f"已生成 {out_dir} 下的 {'、'.join(BUILDERS)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
