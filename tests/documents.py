"""Documents holding a filled form, for the document reader's tests and bench: a Word
自评报告 built with python-docx from a filled sheet's cells (prose and an unrelated table
around the form, merges as gridSpan/vMerge), and a sheet made printable (borders, wrapped
text, rows tall enough for their text, one page wide) for LibreOffice to print to PDF."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Border, Side

from perfscore.textwidth import cell_width
from perfscore.values import format_number

WIDTH = 18  # every column, in Excel characters


def shown(cell) -> str | None:
    """A cell's text as the sheet shows it (a percent cell 0.8317 as 83.17%)."""
    v = cell.value
    if v is None:
        return None
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        d = Decimal(repr(v))  # float-ok: the number openpyxl read back
        if "%" in (cell.number_format or ""):
            return f"{format_number(d * 100)}%"
        return format_number(d)
    return str(v)


def _merged(ws) -> dict[tuple[int, int], tuple[int, int, int, int]]:
    out = {}
    for rng in ws.merged_cells.ranges:
        out[(rng.min_row, rng.min_col)] = (rng.min_row, rng.min_col, rng.max_row, rng.max_col)
    return out


def title_rows(ws) -> int:
    """The rows above the form that hold only a title in their first cell."""
    n = 0
    for r in range(1, ws.max_row + 1):
        filled = [c for c in range(1, ws.max_column + 1) if ws.cell(r, c).value is not None]
        if filled and filled != [1]:
            break
        n = r
    return n


def word_report(sheet: Path, out: Path) -> Path:
    """A 自评报告 in Word: headings and prose, an unrelated table (资金来源), then each
    worksheet of ``sheet`` that holds a form: its title as paragraphs, its table with the
    sheet's merges; more prose after."""
    import docx

    doc = docx.Document()
    doc.add_heading("2024年度项目支出绩效自评报告", level=1)
    doc.add_paragraph("一、项目基本情况。本项目资金由市财政安排，绩效目标包括决策咨询建议数量、"
                      "法律建议稿及说明数量等，各项目的自评表附后。" * 2)
    other = doc.add_table(rows=3, cols=3)
    for r, row in enumerate((("资金来源", "金额（万元）", "占比"), ("一般公共预算", "26.6", "100%"),
                             ("合计", "26.6", "100%"))):
        for c, text in enumerate(row):
            other.cell(r, c).text = text
    doc.add_paragraph("二、绩效自评结果。自评表如下：")
    for ws in openpyxl.load_workbook(sheet).worksheets:
        if not any(v in ("三级指标", "指标名称") for row in ws.iter_rows(values_only=True) for v in row):
            continue
        titles = title_rows(ws)
        for r in range(1, titles + 1):
            doc.add_paragraph(shown(ws.cell(r, 1)) or "")
        _word_table(doc, ws, titles + 1)
        doc.add_paragraph("（自评表完）")
    doc.add_paragraph("三、存在的问题及改进措施。下一步将加强预算执行管理，提高资金使用效益。")
    doc.save(out)
    return out


def _word_table(doc, ws, top: int) -> None:
    cols = ws.max_column
    table = doc.add_table(rows=ws.max_row - top + 1, cols=cols)
    table.style = "Table Grid"
    merged = _merged(ws)
    covered = set()
    for (r0, c0), (_, _, r1, c1) in merged.items():
        covered |= {(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)} - {(r0, c0)}
    for r in range(top, ws.max_row + 1):
        for c in range(1, cols + 1):
            if (r, c) in covered:
                continue
            text = shown(ws.cell(r, c))
            target = table.cell(r - top, c - 1)
            if (r, c) in merged:
                _, _, r1, c1 = merged[(r, c)]
                target = target.merge(table.cell(r1 - top, c1 - 1))
            if text is not None:
                target.text = text


def printable(sheet: Path, out: Path, stretch: int = 1, all_rows: bool = False) -> Path:
    """The workbook as a unit prints it: each sheet's form ruled below its title rows,
    wrapped text, rows tall enough for their text (the rows above the indicator table, or
    ``all_rows``, ``stretch`` times, to run the form over pages),
    landscape, one page wide."""
    wb = openpyxl.load_workbook(sheet)
    thin = Side(style="thin")
    for ws in wb.worksheets:
        first_row = title_rows(ws) + 1
        merged = _merged(ws)
        widths = {c: WIDTH for c in range(1, ws.max_column + 1)}
        for row in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=ws.max_column):
            for cell in row:  # a long text gets columns wide enough to fit in 25 lines
                text = shown(cell) or ""
                r0, c0, r1, c1 = merged.get((cell.row, cell.column), (cell.row, cell.column, cell.row, cell.column))
                if r0 == r1:
                    each = math.ceil(cell_width(text) / 25 / (c1 - c0 + 1)) + 2
                    for c in range(c0, c1 + 1):
                        widths[c] = max(widths[c], each)
        for c, width in widths.items():
            ws.column_dimensions[openpyxl.utils.get_column_letter(c)].width = width
        heights: dict[int, float] = {}
        header = next((r for r in range(1, ws.max_row + 1) if "三级指标" in [ws.cell(r, c).value for c in range(1, 12)]),
                      ws.max_row)
        for row in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=ws.max_column):
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="center")
                if cell.row >= first_row:
                    cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
                text = shown(cell)
                if not text:
                    continue
                r0, c0, r1, c1 = merged.get((cell.row, cell.column), (cell.row, cell.column, cell.row, cell.column))
                chars = sum(widths[c] for c in range(c0, c1 + 1)) - 2
                lines = sum(max(1, math.ceil(cell_width(part) / chars)) for part in text.split("\n"))
                need = (lines * 15 + 6) / (r1 - r0 + 1)  # float-ok: row heights in points
                for r in range(r0, r1 + 1):
                    heights[r] = max(heights.get(r, 15), need)
        for r, h in heights.items():
            ws.row_dimensions[r].height = min(h * stretch if r < header or all_rows else h, 409)
        ws.page_setup.orientation = "landscape"
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
    wb.save(out)
    return out
