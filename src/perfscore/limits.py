"""The limits every workbook reader applies (form, flat, template, .xlsx, .xls, .ods), in one
place, and the checks that apply them. Each counts what a file holds, never what it declares:
cells with content, merged ranges, sheets; a declared extent (``<dimension>``, an empty last
row, whole-column formats) costs nothing and is read past. Each check runs before the reader
allocates for what it counts, and refuses with one Chinese line naming the file and sheet.

Why these numbers (a 自评表 has a few hundred cells, a dozen merged ranges on a few sheets; a
flat workbook of a whole province a few hundred thousand cells):

- ``MAX_FILE_BYTES`` 100 MB: ten times the largest budget-system export seen.
- ``MAX_CELLS`` 2,000,000 cells with content per sheet: a 200,000-row flat workbook.
- ``MIN_EXTENT_CELLS``/``EXTENT_PER_CELL``/``MAX_EXTENT_CELLS``: python-calamine builds a
  sheet as a dense grid from A1 to its last cell with content (about 40 bytes a cell: one
  cell at XFD1048576 is a 512 GB allocation). The grid may be 2,000,000 cells whatever the
  content, 64 times the cells with content above that, and never more than 10,000,000
  (about 400 MB): a stray cell far from a small table is refused, naming it.
- ``MAX_MERGES`` 20,000 merged ranges, ``MAX_MERGED_AREA`` 1,000,000 cells inside them in all
  (each merged cell is one entry of the reader's lookup, about 200 bytes): a form merges a
  few hundred cells.
- ``MAX_SHEETS`` 256 sheets: budget-system exports have a dozen.
- ``MAX_PAGES`` 2,000 pages of a PDF, ``MAX_TABLES`` 256 tables of a document (a .docx or a
  PDF: a table is read as a sheet is): a 决算公开 runs to a hundred pages and a few dozen tables.
- ``MAX_REPEAT`` 1,024: an .ods row or cell repeated more than this is read as this many
  (LibreOffice repeats the empty cells to column AMJ and rows to 1048576; content repeated
  that far is not a form).
"""

from __future__ import annotations

import errno
import os
import stat

from .errors import InputError, SheetError
from .xlsx.refs import col_letters

MAX_FILE_BYTES = 100 * 1024 * 1024
MAX_CELLS = 2_000_000
MIN_EXTENT_CELLS = 2_000_000
EXTENT_PER_CELL = 64
MAX_EXTENT_CELLS = 10_000_000
MAX_MERGES = 20_000
MAX_MERGED_AREA = 1_000_000
MAX_SHEETS = 256
MAX_PAGES = 2000
MAX_TABLES = 256
MAX_REPEAT = 1024
MAX_ROW = 1_048_576
MAX_COL = 16_384


def cell_name(r: int, c: int) -> str:
    return f"{col_letters(c)}{r}"


def check_sheet_count(count: int, label: str) -> None:
    if count > MAX_SHEETS:
        raise SheetError(f"{label}: 有 {count} 个工作表，超过上限 {MAX_SHEETS}，拒绝读取")


def check_document(pages: int, tables: int, label: str) -> None:
    """A .docx or PDF: its pages (0 for a .docx) and its tables."""
    if pages > MAX_PAGES:
        raise SheetError(f"{label}: PDF 有 {pages} 页，超过上限 {MAX_PAGES} 页，拒绝读取")
    if tables > MAX_TABLES:
        raise SheetError(f"{label}: 有 {tables} 个表格，超过上限 {MAX_TABLES}，拒绝读取")


def check_cell_count(count: int, where: str) -> None:
    if count > MAX_CELLS:
        raise SheetError(f"{where}: 有内容的单元格超过 {MAX_CELLS} 个，拒绝读取")


def check_extent(cells: int, far_row: tuple[int, int], far_col: tuple[int, int], where: str) -> None:
    """Refuse a sheet whose cells with content span a grid out of proportion to how many
    they are; ``far_row``/``far_col``: (row, column) of the cell with the largest row and of
    the one with the largest column."""
    rows, cols = far_row[0], far_col[1]
    if rows > MAX_ROW or cols > MAX_COL:
        far = far_row if rows > MAX_ROW else far_col
        raise SheetError(f"{where}: 单元格（第 {far[0]} 行、第 {far[1]} 列）超出 Excel 的范围，文件可能已损坏")
    limit = min(MAX_EXTENT_CELLS, max(MIN_EXTENT_CELLS, EXTENT_PER_CELL * cells))
    if rows * cols > limit:
        names = "、".join(dict.fromkeys(cell_name(*rc) for rc in (far_row, far_col)))
        raise SheetError(
            f"{where}: 单元格 {names} 使表格范围达到 {cell_name(rows, cols)}（{rows} 行 × {cols} 列），"
            f"而有内容的单元格只有 {cells} 个，拒绝读取：请删除远处多余的单元格后另存"
        )


def check_merge_count(count: int, where: str) -> None:
    if count > MAX_MERGES:
        raise SheetError(f"{where}: 合并单元格区域超过 {MAX_MERGES} 个，拒绝读取")


def check_merges(merges: list[tuple[int, int, int, int]], rows: int, cols: int, where: str) -> list[tuple[int, int, int, int]]:
    """The merged ranges (r0, c0, r1, c1) clipped to the cells with content (``rows`` ×
    ``cols``: a merge reaching past them covers only empty cells there), refused when too
    many or too large in all."""
    check_merge_count(len(merges), where)
    out, area = [], 0
    for r0, c0, r1, c1 in merges:
        r0, c0 = max(r0, 1), max(c0, 1)
        r1, c1 = min(r1, rows), min(c1, cols)
        if r1 < r0 or c1 < c0 or (r0, c0) == (r1, c1):
            continue
        area += (r1 - r0 + 1) * (c1 - c0 + 1)
        if area > MAX_MERGED_AREA:
            raise SheetError(
                f"{where}: 合并单元格区域共超过 {MAX_MERGED_AREA} 个单元格（到 {cell_name(r0, c0)}:{cell_name(r1, c1)} 时），"
                "拒绝读取"
            )
        out.append((r0, c0, r1, c1))
    return out


# ------------------------------------------------------------------ reading a file


def _megabytes(limit: int) -> str:
    return f"{limit // 1048576} MB" if limit >= 1048576 else f"{limit} 字节"


def read_bytes(path: str | os.PathLike[str], limit: int) -> bytes:
    """A regular file's bytes, at most ``limit``: FIFOs, devices (a link to /dev/zero named
    .yaml), directories and symlink loops are refused before anything blocks or reads without
    bound; every failure is a Chinese line naming the file."""
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise InputError(f"文件 {path}: 是目录")
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"文件 {path}: 不是普通文件（管道、设备或特殊文件），拒绝读取")
        if info.st_size > limit:
            raise InputError(f"文件 {path}: 大小超过上限 {_megabytes(limit)}，拒绝读取")
        with open(path, "rb") as handle:  # read(limit + 1) alone would allocate limit bytes for each file
            data = handle.read(info.st_size + 1)
            if len(data) > info.st_size:  # it grew since, or its size says nothing (/proc)
                data += handle.read(limit + 1 - len(data))
    except FileNotFoundError:
        raise InputError(f"文件 {path}: 不存在") from None
    except PermissionError:
        raise InputError(f"文件 {path}: 没有读取权限") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(f"文件 {path}: 符号链接循环，无法打开") from None
        if exc.errno == errno.ENAMETOOLONG:
            raise InputError(f"文件 {path}: 路径过长") from None
        raise InputError(f"文件 {path}: 无法读取（系统错误 {errno.errorcode.get(exc.errno, exc.errno)}）") from None
    if len(data) > limit:
        raise InputError(f"文件 {path}: 大小超过上限 {_megabytes(limit)}，拒绝读取")
    return data


# A report style (a jinja2 file that may come from a unit's folder) renders under a budget: its
# text, the items its loops walk and any one string it builds. The longest shipped 说明 is a few
# thousand characters; a style that writes 2,000,000 (about 6 MB of UTF-8) or walks 1,000,000 loop
# items in one macro is a bomb, refused in well under a second and a few tens of MB.
MAX_STYLE_TEXT = 2_000_000
MAX_STYLE_STEPS = 1_000_000
