"""The xlsx package: safe zip open (size, member count, zip bomb, old .xls, encrypted
files), the members' raw bytes for copying unchanged, relationships, the workbook's sheets and
shared strings, and the deflate level used per render.
"""

from __future__ import annotations

import html
import io
import os
import posixpath
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, SheetError
from ..limits import MAX_CELLS as MAX_CELLS_BOUND, MAX_COL, MAX_ROW, MIN_EXTENT_CELLS
from ..limits import MAX_FILE_BYTES, check_cell_count, read_bytes  # read_bytes: regular files only, bounded
from ..limits import check_extent as limits_check_extent
from .cells import parse_attrs, unxesc
from .numfmt import format_kind
from .refs import col_index

#: A workbook whose members declare more than this many uncompressed bytes in total is
#: refused before anything is inflated (zip bomb).
MAX_UNCOMPRESSED_BYTES = MAX_FILE_BYTES
MAX_ZIP_MEMBERS = 10_000

#: zlib level for the parts deflated per render (the worksheet). 1 is ~2x faster than 6
#: on these sheets and costs a few percent of size.
DEFLATE_LEVEL = 1


OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAIN_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
OTHER_MAIN_CTS = (
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    "application/vnd.ms-excel.template.macroEnabled.main+xml",
)



# --------------------------------------------------------------------------- zip parts


@dataclass
class Member:
    name: str
    name_b: bytes
    flag: int
    dostime: int
    dosdate: int
    method: int = 8
    crc: int = 0
    csize: int = 0
    usize: int = 0
    data: bytes = b""          # compressed payload (static members)
    dynamic: str = ""          # "" | "sheet" | other dynamic part


LOCAL = struct.Struct("<IHHHHHIIIHH")
CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHI")
U32 = struct.Struct("<I")


def dos_time(date_time: tuple[int, ...]) -> tuple[int, int]:
    y, mo, d, h, mi, s = date_time
    if y < 1980:
        y, mo, d, h, mi, s = 1980, 1, 1, 0, 0, 0
    return (h << 11) | (mi << 5) | (s // 2), ((y - 1980) << 9) | (mo << 5) | d


def raw_member(data: bytes, info: zipfile.ZipInfo) -> bytes:
    """The compressed bytes of one member, as stored."""
    off = info.header_offset
    if data[off : off + 4] != b"PK\x03\x04":
        raise zipfile.BadZipFile("bad local header")
    n, e = struct.unpack_from("<HH", data, off + 26)
    start = off + 30 + n + e
    raw = data[start : start + info.compress_size]
    if len(raw) != info.compress_size:
        raise zipfile.BadZipFile("truncated member")
    return raw


def inflate_member(data: bytes, info: zipfile.ZipInfo) -> bytes:
    """Inflate one member, never producing more than its declared size (zip bomb)."""
    raw = raw_member(data, info)
    if info.compress_type == zipfile.ZIP_STORED:
        out = raw
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        d = zlib.decompressobj(-15)
        out = d.decompress(raw, info.file_size + 1)
        if len(out) > info.file_size or d.unconsumed_tail:
            raise zipfile.BadZipFile("member larger than declared")
    else:
        raise zipfile.BadZipFile("unsupported compression")
    if len(out) != info.file_size or zlib.crc32(out) != info.CRC:
        raise zipfile.BadZipFile("bad CRC or size")
    return out


def checked_zip(data: bytes, label: str, broken: str) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    """The zip of a workbook's bytes and its members, once past the limits every reader
    applies: a readable directory, at most MAX_ZIP_MEMBERS parts, MAX_UNCOMPRESSED_BYTES
    inflated (read from the directory: nothing is inflated to find out), no encryption.
    ``broken`` names the file in the message of a broken zip (``.xlsx 文件``, ``工作簿``)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, struct.error):
        raise SheetError(f"{label}: {broken}已损坏（zip 结构无效）") from None
    if len(infos) > MAX_ZIP_MEMBERS:
        raise SheetError(f"{label}: 包含 {len(infos)} 个部件，超过上限 {MAX_ZIP_MEMBERS}，拒绝读取")
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise SheetError(
            f"{label}: 解压后共 {total / 1048576:.0f} MB，超过上限 {MAX_UNCOMPRESSED_BYTES / 1048576:.0f} MB，"
            "拒绝读取（可能是 zip 炸弹）"
        )
    if any(info.flag_bits & 0x1 for info in infos):
        raise SheetError(f"{label}: 工作簿已加密，请去掉密码后另存为 .xlsx")
    return zf, infos


def open_zip(path: Path, data: bytes, what: str = "文件") -> tuple[zipfile.ZipFile, dict[str, bytes]]:
    """Refuse what is not a sane .xlsx; return the zip and its inflated XML parts."""
    label = f"{what} {path}"
    if data[:8] == OLE2_MAGIC:
        raise SheetError(
            f"{label}: 是旧版 .xls 文件，或是加密（设了打开密码）的工作簿；请在 Excel/WPS 中去掉密码并另存为 .xlsx 后再试"
        )
    if data[:4] != b"PK\x03\x04":
        raise SheetError(f"{label}: 不是 .xlsx 文件（不是 zip 格式），可能已损坏")
    zf, infos = checked_zip(data, label, ".xlsx 文件")
    return zf, xml_parts(data, infos, label)


def xml_parts(data: bytes, infos: list[zipfile.ZipInfo], label: str) -> dict[str, bytes]:
    """The XML parts of a checked zip (``checked_zip``), each inflated once."""
    parts: dict[str, bytes] = {}
    for info in infos:
        low = info.filename.lower()
        if low.endswith((".xml", ".rels", ".vml")):
            try:
                parts[info.filename] = inflate_member(data, info)
            except (zipfile.BadZipFile, zlib.error, struct.error):
                raise SheetError(f"{label}: .xlsx 文件已损坏（部件 {info.filename} 无法解压）") from None
    return parts


def part_xml(parts: dict[str, bytes], name: str, label: str) -> str:
    try:
        return parts[name].decode("utf-8")
    except KeyError:
        raise SheetError(f"{label}: 缺少部件 {name}，不是有效的 .xlsx 文件") from None
    except UnicodeDecodeError:
        raise SheetError(f"{label}: 部件 {name} 不是 UTF-8 编码的 XML") from None


REL_RE = re.compile(r"<Relationship\b[^<>]*?/?>")


def parse_rels(xml: str) -> list[dict[str, str]]:
    return [dict(parse_attrs(m.group(0)[len("<Relationship") :])) for m in REL_RE.finditer(xml)]


def resolve_target(base_part: str, target: str) -> str:
    if target.startswith("/"):
        return target[1:]
    return posixpath.normpath(posixpath.join(posixpath.dirname(base_part), target))


def rels_name(part: str) -> str:
    d, n = posixpath.split(part)
    return posixpath.join(d, "_rels", n + ".rels")


_SHEET_ENTRY_RE = re.compile(r"<(?:\w+:)?sheet\b([^<>]*?)/?>")
# linear: no element's content runs past the start of the next one (see sheetxml)
_SI_RE = re.compile(r"<si>((?:[^<]++|<(?!/?si\b))*+)</si>|<si/>")
_RPH_RE = re.compile(r"<rPh\b(?:[^<]++|<(?!/?rPh\b))*+</rPh>")
_T_RE = re.compile(r"<t\b[^<>]*>([^<]*+)</t>")


def workbook_part(parts: dict[str, bytes], label: str) -> str:
    for rel in parse_rels(part_xml(parts, "_rels/.rels", label)):
        if rel.get("Type", "").endswith("/officeDocument"):
            return resolve_target("", rel.get("Target", ""))
    raise SheetError(f"{label}: 找不到工作簿部件，不是有效的 .xlsx 文件")


def sheet_entries(parts: dict[str, bytes], label: str) -> tuple[str, list[tuple[str, str, str]]]:
    """(workbook part, [(sheet name, its part, its state)]) in workbook order; the state is ''
    (visible), 'hidden' or 'veryHidden'."""
    wb_part = workbook_part(parts, label)
    wb_xml = part_xml(parts, wb_part, label)
    rels_part = rels_name(wb_part)
    rels = {r.get("Id"): r for r in parse_rels(part_xml(parts, rels_part, label))} if rels_part in parts else {}
    out = []
    body = wb_xml[wb_xml.find("<sheets") :] if "<sheets" in wb_xml else wb_xml
    for m in _SHEET_ENTRY_RE.finditer(body):
        attrs = dict(parse_attrs(m.group(1)))
        name = html.unescape(attrs.get("name", ""))
        rid = next((v for k, v in attrs.items() if k.endswith(":id") or k == "id"), None)
        rel = rels.get(rid)
        target = resolve_target(wb_part, rel["Target"]) if rel and rel.get("Target") else ""
        state = attrs.get("state", "")
        out.append((name, target, state if state in ("hidden", "veryHidden") else ""))
    return wb_part, out


def workbook_sheets(parts: dict[str, bytes], label: str) -> tuple[str, list[tuple[str, str]]]:
    """(workbook part, [(sheet name, worksheet part)]) in workbook order."""
    wb_part, entries = sheet_entries(parts, label)
    return wb_part, [(name, target) for name, target, _ in entries]


_XF_BLOCK_RE = re.compile(r"<(?:\w+:)?cellXfs\b[^<>]*>((?:[^<]++|<(?!/?(?:\w+:)?cellXfs\b))*+)</(?:\w+:)?cellXfs>")
_XF_RE = re.compile(r"<(?:\w+:)?xf\b([^<>]*?)/?>")
_NUMFMT_RE = re.compile(r"<(?:\w+:)?numFmt\b([^<>]*?)/?>")


def style_kinds(parts: dict[str, bytes], label: str) -> list[str]:
    """The number-format kind (``numfmt.PERCENT``, ``DATE``, ``NUMBER``) of each ``<cellXfs>``
    entry of the workbook's styles, by index (a cell's ``s=``); [] without styles."""
    wb_part = workbook_part(parts, label)
    rels_part = rels_name(wb_part)
    rels = parse_rels(part_xml(parts, rels_part, label)) if rels_part in parts else []
    styles = next((resolve_target(wb_part, rel.get("Target", "")) for rel in rels if rel.get("Type", "").endswith("/styles")),
                  None)
    if styles is None or styles not in parts:
        return []
    raw = parts[styles]
    kinds = _STYLE_KINDS.get(raw) if len(raw) <= _STYLE_CACHE_BYTES else None
    if kinds is None:
        kinds = _style_kinds(part_xml(parts, styles, label))
        if len(raw) <= _STYLE_CACHE_BYTES:
            if len(_STYLE_KINDS) >= 64:
                _STYLE_KINDS.clear()
            _STYLE_KINDS[raw] = kinds
    return list(kinds)


# a styles part's bytes → its kinds (the workbooks filled from one template share their
# styles): at most 64 parts of at most 256 KB are kept
_STYLE_KINDS: dict[bytes, tuple[str, ...]] = {}
_STYLE_CACHE_BYTES = 256 * 1024


def _style_kinds(xml: str) -> tuple[str, ...]:
    codes = {}
    for m in _NUMFMT_RE.finditer(xml):
        a = dict(parse_attrs(m.group(1)))
        if a.get("numFmtId", "").isdigit():
            codes[int(a["numFmtId"])] = html.unescape(a.get("formatCode", ""))
    block = _XF_BLOCK_RE.search(xml)
    kinds = []
    for m in _XF_RE.finditer(block.group(1) if block else ""):
        a = dict(parse_attrs(m.group(1)))
        fid = int(a["numFmtId"]) if a.get("numFmtId", "").isdigit() else 0
        kinds.append(format_kind(codes.get(fid), fid))
    return tuple(kinds)


def find_sheet(sheets: list[tuple[str, str]], name: str) -> int | None:
    for i, (n, _) in enumerate(sheets):
        if n == name:
            return i
    for i, (n, _) in enumerate(sheets):  # Excel sheet names are case-insensitive
        if n.casefold() == name.casefold():
            return i
    return None


def shared_strings(parts: dict[str, bytes], wb_part: str, label: str) -> list[str]:
    for rel in parse_rels(part_xml(parts, rels_name(wb_part), label)):
        if rel.get("Type", "").endswith("/sharedStrings"):
            name = resolve_target(wb_part, rel.get("Target", ""))
            if name in parts:
                xml = parts[name].decode("utf-8")
                out = []
                for si in _SI_RE.finditer(xml):
                    inner = _RPH_RE.sub("", si.group(1) or "")
                    texts = _T_RE.findall(inner)
                    out.append(unxesc(html.unescape("".join(texts))))
                return out
    return []



def deflate(data: bytes, level: int = DEFLATE_LEVEL) -> bytes:
    return zlib.compress(data, level, -15)



@dataclass(frozen=True)
class OpenWorkbook:
    """A workbook read once and checked (size, zip bomb, old .xls, encryption): its bytes,
    XML parts and (name, part) of each worksheet. Every reader of one input shares it."""

    path: Path
    data: bytes
    parts: dict[str, bytes]
    sheets: list[tuple[str, str]]

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.sheets]


def open_workbook(path: str | os.PathLike[str], data: bytes | None = None) -> OpenWorkbook:
    """Read and check a workbook (``data``: its bytes, held already; then nothing is read
    from ``path``, the name messages give); every problem is a SheetError naming the file."""
    path = Path(path)
    try:
        data = read_bytes(path, MAX_UNCOMPRESSED_BYTES) if data is None else data
    except InputError as exc:
        raise SheetError(exc.problems) from None
    if len(data) > MAX_UNCOMPRESSED_BYTES:
        raise SheetError(f"文件 {path}: 大小超过上限 {MAX_UNCOMPRESSED_BYTES // 1048576} MB，拒绝读取")
    _, parts = open_zip(path, data)
    return OpenWorkbook(path, data, parts, workbook_sheets(parts, f"文件 {path}")[1])


def sheet_names(path: str | os.PathLike[str]) -> list[str]:
    """The worksheet names of a workbook, checked as ``read`` checks it."""
    return open_workbook(path).names


# --------------------------------------------------------------------------- sheet extent

# one tag at a time, never past the next "<" or ">": linear in the sheet's size, whatever
# tags are left unclosed
_EXTENT_TAG_RE = re.compile(rb"<(?:\w+:)?(c|row)\b([^<>]*)>")
_EXTENT_REF_RE = re.compile(rb'\br="([A-Za-z]*)([0-9]*)"')
_EMPTY_CELL_RE = re.compile(rb"\s*(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>")


# every row or cell tag (prefixed or not, closed or not) and its first r="…", as check_extent
# reads it ("r" in the second group when the tag has one), for the bound below
_EXTENT_FAST_RE = re.compile(rb'<(?:\w+:)?(c|row)\b(?:[^<>]*?\b(r)="([A-Za-z]*)([0-9]*)")?')


_BOUND_BYTES = 4 * 1024 * 1024   # a 自评表's sheet is ~100 KB; a flat workbook's may be 100 MB


def _within_bound(xml: bytes) -> bool:
    """Whether a worksheet passes ``check_extent`` for certain, told from an upper bound that
    one C-level pass gives: every cell and row tag, the largest row and column any of them
    names, plus one step per tag for the tags that name none. A sheet this bound cannot clear
    (a large or odd one) is checked cell by cell; one past ``_BOUND_BYTES`` is never tried (its
    list of tags would cost memory in proportion to its cells)."""
    if len(xml) > _BOUND_BYTES:
        return False
    refs = _EXTENT_FAST_RE.findall(xml)
    cells = [(letters, digits) for tag, r, letters, digits in refs if tag == b"c" and r]
    letters = set(x for x, _ in cells)
    digits = set(d for _, d in cells) | set(d for tag, r, x, d in refs if tag == b"row" and r and d and not x)
    if (b"" in letters or any(len(x) > 3 for x in letters) or b"" in set(d for _, d in cells)
            or any(len(d) > 7 for d in digits)):
        return False   # an address check_extent refuses: let it name it
    steps = len(refs)  # a tag without an address is one row or one column past the one before
    rows = max(map(int, digits), default=0) + steps
    cols = max((col_index(x.decode("ascii").upper()) for x in letters), default=0) + steps
    return steps <= MAX_CELLS_BOUND and rows <= MAX_ROW and cols <= MAX_COL and rows * cols <= MIN_EXTENT_CELLS


def check_extent(xml: bytes, where: str) -> None:
    """Refuse a worksheet whose cells with content are too many, or lie too far apart for
    how many they are (limits.check_extent), before python-calamine builds its dense grid;
    ``where`` names the file and sheet. Only cells with content count: calamine, too,
    reads past the ``<dimension>``, empty rows and formatted empty cells. A sheet of a few
    thousand cells near A1 passes on an upper bound, without a look at each cell."""
    if _within_bound(xml):
        return
    cells, row, col = 0, 0, 0
    far_row, far_col = (0, 0), (0, 0)
    for m in _EXTENT_TAG_RE.finditer(xml):
        attrs = m.group(2)
        ref = _EXTENT_REF_RE.search(attrs) if b'r="' in attrs else None
        if m.group(1) == b"row":
            if attrs.endswith(b"/"):
                continue
            row = int(ref.group(2)) if ref is not None and ref.group(2) and not ref.group(1) and len(ref.group(2)) < 9 else row + 1
            col = 0
            continue
        if ref is not None:
            letters, digits = ref.group(1), ref.group(2)
            if not letters or not digits or len(letters) > 3 or len(digits) > 7:
                shown = (letters + digits).decode("ascii", "replace")[:20]
                raise SheetError(f"{where}: 单元格地址「{shown}」超出 Excel 的范围，文件可能已损坏")
            col, row = col_index(letters.decode('ascii')), int(digits)
        else:
            col += 1
        if attrs.endswith(b"/") or _EMPTY_CELL_RE.match(xml, m.end()):
            continue
        cells += 1
        if row > far_row[0]:
            far_row = (row, col)
        if col > far_col[1]:
            far_col = (row, col)
    check_cell_count(cells, where)
    if cells:
        limits_check_extent(cells, far_row, far_col, where)


# --------------------------------------------------------------------------- python-calamine


def _is_panic(exc: BaseException) -> bool:
    """A Rust panic inside python-calamine. PyO3 raises it as ``pyo3_runtime.PanicException``,
    a BaseException subclass each PyO3 extension creates for itself and exports nowhere, so
    it is known by its module and name; KeyboardInterrupt, SystemExit and the rest are not it."""
    kind = type(exc)
    return kind.__name__ == "PanicException" and kind.__module__ == "pyo3_runtime"


def calamine_sheets(data: bytes, names: list[str], label: str):
    """(values, merged ranges) of each named sheet of an .xlsx, one sheet at a time, from
    python-calamine: the one place perfscore calls it. The values are its dense grid from
    A1 (``to_python(skip_empty_area=False)``): the caller has applied ``check_extent`` to
    each sheet first. Any error of calamine's, and a panic in it, is a SheetError naming
    the file (and the sheet)."""
    from python_calamine import CalamineWorkbook

    try:
        try:
            wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        except Exception as exc:  # calamine's own error types
            if "Password" in type(exc).__name__:
                raise SheetError(f"{label}: 工作簿有密码保护，请去掉密码后另存为 .xlsx") from None
            raise SheetError(f"{label}: 工作簿已损坏，无法读取（{type(exc).__name__}）") from None
    except BaseException as exc:
        if not _is_panic(exc):
            raise
        raise SheetError(f"{label}: 工作簿已损坏，无法读取（读取程序内部错误）") from None
    try:
        for name in names:
            try:
                try:
                    sheet = wb.get_sheet_by_name(name)
                    rows, merged = sheet.to_python(skip_empty_area=False), sheet.merged_cell_ranges or []
                except Exception as exc:
                    raise SheetError(f"{label} 工作表「{name}」: 无法读取，工作簿已损坏（{type(exc).__name__}）") from None
            except BaseException as exc:
                if not _is_panic(exc):
                    raise
                raise SheetError(f"{label} 工作表「{name}」: 无法读取，工作簿已损坏（读取程序内部错误）") from None
            yield rows, merged
    finally:
        wb.close()
