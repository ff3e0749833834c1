"""Number formats and error cells of an old .xls (BIFF8), which python-calamine does not expose.

Only what a value reader lacks is read here: the compound file's streams, the workbook's
``FORMAT``/``XF`` records and ``FILEPASS`` (encryption), and per sheet the XF index of each
number cell (``NUMBER``, ``RK``, ``MULRK``, ``FORMULA``) and the error cells (``BOOLERR``,
``FORMULA`` with an error result). Values themselves come from python-calamine.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from . import formats as _grid

ENDOFCHAIN, FREESECT = 0xFFFFFFFE, 0xFFFFFFFF
_ERRORS = {0x00: "#NULL!", 0x07: "#DIV/0!", 0x0F: "#VALUE!", 0x17: "#REF!", 0x1D: "#NAME?", 0x24: "#NUM!", 0x2A: "#N/A"}


class BiffError(ValueError):
    """A compound file or BIFF stream that cannot be parsed."""


def cfb_streams(data: bytes) -> dict[str, bytes]:
    """The top-level streams of an OLE2 compound file, by name."""
    if len(data) < 512:
        raise BiffError("short header")
    shift = struct.unpack_from("<H", data, 0x1E)[0]
    mini_shift = struct.unpack_from("<H", data, 0x20)[0]
    if shift not in (9, 12) or mini_shift != 6:
        raise BiffError("sector size")
    size = 1 << shift
    first_dir, = struct.unpack_from("<I", data, 0x30)
    cutoff, first_minifat, n_minifat, first_difat, n_difat = struct.unpack_from("<IIIII", data, 0x38)
    nsect = (len(data) - 512 + size - 1) // size

    def sector(sid: int) -> bytes:
        if sid >= nsect:
            raise BiffError("sector out of range")
        off = 512 + sid * size
        return data[off : off + size]

    difat = list(struct.unpack_from("<109I", data, 0x4C))
    sid, guard = first_difat, 0
    while sid not in (ENDOFCHAIN, FREESECT) and guard < n_difat + 1:
        block = struct.unpack(f"<{size // 4}I", sector(sid))
        difat.extend(block[:-1])
        sid, guard = block[-1], guard + 1
    fat: list[int] = []
    for s in difat:
        if s in (ENDOFCHAIN, FREESECT):
            continue
        fat.extend(struct.unpack(f"<{size // 4}I", sector(s)))

    def chain(start: int, table: list[int]) -> list[int]:
        out, sid = [], start
        while sid not in (ENDOFCHAIN, FREESECT):
            if sid >= len(table) or len(out) > len(table):
                raise BiffError("broken chain")
            out.append(sid)
            sid = table[sid]
        return out

    directory = b"".join(sector(s) for s in chain(first_dir, fat))
    entries = []
    for off in range(0, len(directory) - 127, 128):
        name_len, kind = struct.unpack_from("<HB", directory, off + 0x40)
        name = directory[off : off + max(0, name_len - 2)].decode("utf-16-le", "replace")
        start, length = struct.unpack_from("<II", directory, off + 0x74)
        entries.append((name, kind, start, length))
    if not entries or entries[0][1] != 5:
        raise BiffError("no root entry")
    root = entries[0]
    mini_stream = b"".join(sector(s) for s in chain(root[2], fat)) if root[2] not in (ENDOFCHAIN, FREESECT) else b""
    minifat: list[int] = []
    if n_minifat and first_minifat not in (ENDOFCHAIN, FREESECT):
        for s in chain(first_minifat, fat):
            minifat.extend(struct.unpack(f"<{size // 4}I", sector(s)))
    streams = {}
    for name, kind, start, length in entries[1:]:
        if kind != 2:
            continue
        if length < cutoff:
            body = b"".join(mini_stream[s * 64 : s * 64 + 64] for s in chain(start, minifat))
        else:
            body = b"".join(sector(s) for s in chain(start, fat))
        streams[name] = body[:length]
    return streams


@dataclass(slots=True)
class SheetInfo:
    formats: dict[tuple[int, int], str] = field(default_factory=dict)  # 1-based cell → percent/date
    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    hidden_rows: set[int] = field(default_factory=set)  # 1-based rows whose ROW record has fDyZero


@dataclass(slots=True)
class BookInfo:
    encrypted: bool = False
    sheets: dict[str, SheetInfo] = field(default_factory=dict)


def _records(book: bytes, pos: int):
    n = len(book)
    while pos + 4 <= n:
        rid, length = struct.unpack_from("<HH", book, pos)
        body = book[pos + 4 : pos + 4 + length]
        yield rid, body
        if rid == 0x000A:  # EOF
            return
        pos += 4 + length


def _unicode(body: bytes, pos: int, count: int) -> str:
    flags = body[pos]
    pos += 1
    if flags & 0x08:
        pos += 2
    if flags & 0x04:
        pos += 4
    if flags & 0x01:
        return body[pos : pos + 2 * count].decode("utf-16-le", "replace")
    return body[pos : pos + count].decode("latin-1")


def read_book(book: bytes) -> BookInfo:
    """Formats and errors of a BIFF8 workbook stream; BiffError for other BIFF versions."""
    if len(book) < 8:
        raise BiffError("short stream")
    rid, _ = struct.unpack_from("<HH", book, 0)
    version, = struct.unpack_from("<H", book, 4)
    if rid != 0x0809 or version != 0x0600:
        raise BiffError("not BIFF8")
    info = BookInfo()
    codes: dict[int, str] = {}
    xf_formats: list[int] = []
    bounds: list[tuple[str, int]] = []
    for rid, body in _records(book, 0):
        if rid == 0x002F:  # FILEPASS
            info.encrypted = True
            return info
        if rid == 0x041E and len(body) >= 5:  # FORMAT
            ifmt, cch = struct.unpack_from("<HH", body, 0)
            codes[ifmt] = _unicode(body, 4, cch)
        elif rid == 0x00E0 and len(body) >= 4:  # XF
            xf_formats.append(struct.unpack_from("<H", body, 2)[0])
        elif rid == 0x0085 and len(body) >= 8:  # BOUNDSHEET8
            pos, = struct.unpack_from("<I", body, 0)
            sheet_type = body[5]
            name = _unicode(body, 7, body[6])
            if sheet_type == 0:
                bounds.append((name, pos))
    kinds = [_grid.format_kind(codes.get(f), f) for f in xf_formats]

    def kind(xf: int) -> str:
        return kinds[xf] if xf < len(kinds) else _grid.NUMBER

    for name, pos in bounds:
        sheet = SheetInfo()
        for rid, body in _records(book, pos):
            if rid in (0x0203, 0x027E, 0x0006) and len(body) >= 6:  # NUMBER, RK, FORMULA
                r, c, xf = struct.unpack_from("<HHH", body, 0)
                if rid == 0x0006 and len(body) >= 14 and body[12:14] == b"\xff\xff":
                    if body[6] == 2:
                        sheet.errors[(r + 1, c + 1)] = _ERRORS.get(body[8], "#N/A")
                    continue
                k = kind(xf)
                if k != _grid.NUMBER:
                    sheet.formats[(r + 1, c + 1)] = k
            elif rid == 0x00BD and len(body) >= 6:  # MULRK
                r, c0 = struct.unpack_from("<HH", body, 0)
                for i in range((len(body) - 6) // 6):
                    xf, = struct.unpack_from("<H", body, 4 + 6 * i)
                    k = kind(xf)
                    if k != _grid.NUMBER:
                        sheet.formats[(r + 1, c0 + 1 + i)] = k
            elif rid == 0x0208 and len(body) >= 14:  # ROW: fDyZero (0x20) is a hidden row
                if struct.unpack_from("<H", body, 12)[0] & 0x20:
                    sheet.hidden_rows.add(struct.unpack_from("<H", body, 0)[0] + 1)
            elif rid == 0x0205 and len(body) >= 8:  # BOOLERR
                r, c = struct.unpack_from("<HH", body, 0)
                if body[7] == 1:
                    sheet.errors[(r + 1, c + 1)] = _ERRORS.get(body[6], "#N/A")
        info.sheets[name] = sheet
    return info
