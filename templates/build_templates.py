"""Generate templates/project_sheet.xlsx and templates/department_sheet.xlsx.

Run:  python templates/build_templates.py   (writes both files beside this script)

The output is byte-reproducible: openpyxl's zip timestamps and docProps/core.xml dates
are replaced by a fixed date, so re-running the script changes nothing in git.

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
    last = _footer(ws, row + 1, ["指标自评得分小计", "预算执行率得分", "减分项", "总分", "等级"])
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
    last = _footer(ws, row + 1, ["指标自评得分小计", "预算执行得分", "减分项", "总分", "等级"])
    _page_setup(ws, last, 9)
    return wb


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
    out_dir = Path(argv[0]) if argv else HERE
    save(build_project(), out_dir / "project_sheet.xlsx")
    save(build_department(), out_dir / "department_sheet.xlsx")
    print(f"已生成 {out_dir / 'project_sheet.xlsx'} 和 {out_dir / 'department_sheet.xlsx'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
