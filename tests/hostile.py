"""A generated corpus of hostile inputs (about 150), and a runner that puts each through the
real CLI under a 4 GB address-space limit.

    python tests/hostile.py DIR            # write the corpus into DIR, print its cases
    python tests/hostile.py --run DIR      # run every case of DIR in-process (CliRunner), JSON out

Each case is (name, argv, expect, total): ``expect`` is ``"ok"`` (exit 0, and when ``total``
is given, ``score --format json`` gives that 总分), ``"fail"`` (exit 1 with exactly one
Chinese line on stderr, nothing on stdout), ``"either"`` (one of the two) or ``"usage"``
(exit 2, one Chinese line) or ``"partial"`` (a batch: exit 1, its summary on stdout, one line
per failed project on stderr). Families: bad numbers, YAML bombs and mistakes, special files
(FIFOs, links to /dev/zero, symlink loops), huge sheet dimensions, bad zips, names with
control characters, duplicate names in flat workbooks, usage errors, report styles that try to
leave jinja2's sandbox (each would touch a MARKER_* file) or to exhaust time and memory, policies
passing themselves off as another, and a perfscore.yaml above the folder the user named. The inputs are made
here, fresh each run; none of them is one of tests/bad_inputs/.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import struct
import sys
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from conftest import CHAOYANG  # noqa: E402  (tests/ is on the path, as for the test files)

BASE = CHAOYANG / "fazhi_jianshe.yaml"
MEMORY_LIMIT = 4 * 1024**3
CASE_SECONDS = 60


@dataclass
class Case:
    name: str
    argv: list[str]
    expect: str  # ok | fail | either | usage
    total: str | None = None  # the 总分 an "ok" case must give
    family: str = ""
    lines: int = 1  # the lines of a "fail" case (one per input or flat-workbook project that fails;
    # 0: any number, for an input with several defects)
    cwd: str = ""  # the folder the case runs in (the corpus folder when empty)
    shows: str = ""  # text an "ok" case's stdout must hold (the policy shown by where it came from)


def _base() -> dict:
    return yaml.safe_load(BASE.read_text(encoding="utf-8"))


def _dump(data: dict) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


class Corpus:
    def __init__(self, folder: Path):
        self.folder = folder
        self.cases: list[Case] = []
        folder.mkdir(parents=True, exist_ok=True)

    def file(self, family: str, name: str, content: bytes | str, expect: str, total: str | None = None,
             command: str = "score", extra: tuple[str, ...] = (), lines: int = 1) -> Path:
        path = self.folder / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        self.add(family, name, [command, str(path), *extra], expect, total, lines)
        return path

    def add(self, family: str, name: str, argv: list[str], expect: str, total: str | None = None, lines: int = 1,
            cwd: str = "", shows: str = "") -> None:
        self.cases.append(Case(name, argv, expect, total, family, lines, cwd, shows))


def compound_file(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE2 compound file (512-byte sectors, streams ≥ 4096 bytes, one FAT sector)."""
    sectors: list[bytes] = []
    fat: list[int] = []
    starts = {}
    for name, body in streams.items():
        body = body + b"\x00" * (-len(body) % 512)
        starts[name] = len(sectors)
        n = len(body) // 512
        for i in range(n):
            sectors.append(body[i * 512 : (i + 1) * 512])
            fat.append(len(sectors) if i + 1 < n else 0xFFFFFFFE)
    dir_sid = len(sectors)
    entries = [("Root Entry", 5, 0xFFFFFFFE, 0)] + [(n, 2, starts[n], len(b)) for n, b in streams.items()]
    directory = b""
    for name, kind, start, size in entries:
        raw = name.encode("utf-16-le") + b"\x00\x00"
        entry = raw.ljust(64, b"\x00") + struct.pack("<HBB", len(raw), kind, 1)
        # the directory tree: the root's child is the first stream, each stream the next's left sibling
        child = 1 if kind == 5 and len(entries) > 1 else 0xFFFFFFFF
        right = len(directory) // 128 + 1 if kind == 2 and len(directory) // 128 + 1 < len(entries) else 0xFFFFFFFF
        entry += struct.pack("<III", 0xFFFFFFFF, right, child)
        entry = entry.ljust(0x74, b"\x00") + struct.pack("<II", start, size) + b"\x00" * 4
        directory += entry
    directory = directory.ljust(-(-len(directory) // 512) * 512, b"\x00")
    for i in range(len(directory) // 512):
        sectors.append(directory[i * 512 : (i + 1) * 512])
        fat.append(len(sectors) if i + 1 < len(directory) // 512 else 0xFFFFFFFE)
    fat_sid = len(sectors)
    fat.append(0xFFFFFFFD)
    sectors.append(struct.pack(f"<{128}I", *(fat + [0xFFFFFFFF] * (128 - len(fat)))))
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16 + struct.pack("<HHHH", 0x3E, 3, 0xFFFE, 9)
    header += struct.pack("<H", 6) + b"\x00" * 6 + struct.pack("<IIIIIIIII", 0, 1, dir_sid, 0, 4096, 0xFFFFFFFE, 0,
                                                                0xFFFFFFFE, 0)
    header += struct.pack("<I", fat_sid) + struct.pack("<I", 0xFFFFFFFF) * 108
    return header + b"".join(sectors)



# -- families ------------------------------------------------------------------------------

BAD_NUMBERS = [
    "1e-400次", "1e999999999999次", "9" * 5000 + "次", "≥5²次", "0x1F次", "1_000次", "NaN次", "inf次", "-inf次",
    "1e300次", "１２次", "2.5.1次", "--2次", "+-2次", "1/0次", "0/0次", "2次次", "次2", "", "  ", "≥", "约2次",
    "2～3次", "2-3次", "二次半", "½次", "2,,0次", "1,2,3次", "2e+5次", "1:30", "1:30.5", "020", "0b101次", "Ⅻ次",
    "2\u00a0次", "2\u200b次", "\u202e2次",
]
BAD_BUDGETS = ["26,6", "1e-400", "1e999999999999", "0.0000000001", "9" * 400, "-5", "１０", "10万元万元", "NaN", "∞"]


def numbers(c: Corpus) -> None:
    for n, text in enumerate(BAD_NUMBERS):
        data = _base()
        data["indicators"][0]["actual"] = text
        c.file("numbers", f"num_actual_{n:02d}.yaml", _dump(data), "either")
    for n, text in enumerate(["≥" + t for t in ("1e-400次", "9" * 3000 + "次", "5²次", "–5%", "≥5%", "≮5%")]):
        data = _base()
        data["indicators"][0]["target"] = text
        c.file("numbers", f"num_target_{n:02d}.yaml", _dump(data), "either")
    for n, text in enumerate(BAD_BUDGETS):
        data = _base()
        data["budget"]["executed"] = text
        c.file("numbers", f"num_budget_{n:02d}.yaml", _dump(data), "either")
    raw = BASE.read_text(encoding="utf-8")
    for n, text in enumerate(["1e-400", "1e999999999999", "9" * 5000, "1:30.5", ".nan", ".inf", "0o17", "0x10"]):
        c.file("numbers", f"num_yaml_{n:02d}.yaml", raw.replace("  executed: 10 ", f"  executed: {text} ", 1), "either")


def yaml_family(c: Corpus) -> None:
    raw = BASE.read_text(encoding="utf-8")
    laughs = "a: &a [" + ",".join(["x"] * 10) + "]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 10) + "]\n" for i in range(8))
    c.file("yaml", "bomb_list.yaml", laughs + "name: *i\n", "fail")
    c.file("yaml", "bomb_key.yaml", laughs + "? *i\n: 1\n", "fail")
    c.file("yaml", "bomb_number.yaml", raw.replace("  executed: 10 ", "  executed: *i ", 1).replace(
        "kind: project", laughs + "kind: project", 1), "fail")
    data = _base()
    c.file("yaml", "bomb_completion.yaml", laughs + _dump(data).replace(
        "actual: 2 次", "actual: 2 次\n  completion: *i", 1), "fail")
    c.file("yaml", "deep_list.yaml", "name: " + "[" * 5000 + "]" * 5000 + "\n", "fail")
    c.file("yaml", "deep_map.yaml", "".join(" " * i + f"k{i}:\n" for i in range(3000)) + " " * 3000 + "v: 1\n", "fail")
    c.file("yaml", "deep_json.json", '{"a":' * 20000 + "1" + "}" * 20000, "fail")
    c.file("yaml", "fullwidth_colon.yaml", raw.replace("  initial: 10 ", "  initial：10 ", 1), "fail")
    c.file("yaml", "tab_indent.yaml", raw.replace("  executed: 10 ", "\texecuted: 10 ", 1), "fail")
    c.file("yaml", "utf16.yaml", raw.encode("utf-16"), "fail")
    c.file("yaml", "utf16be.yaml", raw.encode("utf-16-be"), "fail")
    c.file("yaml", "utf32.yaml", raw.encode("utf-32"), "fail")
    c.file("yaml", "gbk.yaml", raw.encode("gbk", "replace"), "fail")
    c.file("yaml", "empty.yaml", "", "fail")
    c.file("yaml", "comment_only.yaml", "# 只有注释\n", "fail")
    c.file("yaml", "scalar.yaml", "42\n", "fail")
    c.file("yaml", "list_top.yaml", "- 1\n- 2\n", "fail")
    c.file("yaml", "nul_bytes.yaml", raw.encode("utf-8").replace(b"kind", b"ki\x00nd", 1), "fail")
    c.file("yaml", "random_bytes.yaml", bytes(range(256)) * 40, "fail")
    c.file("yaml", "dup_key.yaml", raw.replace("kind: project", "kind: project\nkind: department", 1), "fail")
    c.file("yaml", "python_tag.yaml", "!!python/object/apply:os.system ['echo pwned']\n", "fail")
    c.file("yaml", "merge_key.yaml", "x: &x {name: a}\n<<: *x\n", "fail", lines=0)
    c.file("yaml", "huge_string.yaml", raw.replace("name: 法治建设", "name: " + "长" * 2_000_000, 1), "either")
    c.file("yaml", "many_indicators.json", json.dumps(dict(_base(), indicators=_base()["indicators"] * 3000),
                                                       ensure_ascii=False), "either")
    c.file("yaml", "unterminated.yaml", 'name: "法治建设\nkind: project\n', "fail")
    c.file("yaml", "crlf.yaml", raw.replace("\n", "\r\n"), "ok", "BASE")
    c.file("yaml", "bom_utf8.yaml", "\ufeff" + raw, "either")
    c.file("yaml", "trailing_space.yaml", raw.replace("\n", "   \n"), "ok", "BASE")
    c.file("yaml", "as_json.json", json.dumps(_base(), ensure_ascii=False), "ok", "BASE")
    c.file("yaml", "json_nan.json", json.dumps(_base(), ensure_ascii=False).replace('"executed": 10', '"executed": NaN'),
           "fail")
    c.file("yaml", "json_big_exponent.json",
           json.dumps(_base(), ensure_ascii=False).replace('"executed": 10', '"executed": 1e999999'), "fail")


def special_files(c: Corpus) -> None:
    f = c.folder
    for name in ("fifo.yaml", "fifo.xlsx", "fifo.json"):
        os.mkfifo(f / name)
        c.add("special", name, ["score", str(f / name)], "fail")
    for name in ("zero.yaml", "zero.xlsx"):
        os.symlink("/dev/zero", f / name)
        c.add("special", name, ["score", str(f / name)], "fail")
    os.symlink(f / "loop_b.yaml", f / "loop_a.yaml")
    os.symlink(f / "loop_a.yaml", f / "loop_b.yaml")
    c.add("special", "loop_a.yaml", ["score", str(f / "loop_a.yaml")], "fail")
    os.symlink(f / "nowhere.yaml", f / "dangling.yaml")
    c.add("special", "dangling.yaml", ["score", str(f / "dangling.yaml")], "fail")
    (f / "dir.yaml").mkdir()
    c.add("special", "dir.yaml", ["score", str(f / "dir.yaml")], "either")
    c.add("special", "missing.yaml", ["score", str(f / "missing.yaml")], "fail")
    c.add("special", "devnull.yaml", ["score", "/dev/null"], "fail")
    loopdir = f / "loopdir"
    loopdir.mkdir()
    os.symlink(loopdir, loopdir / "again")
    (loopdir / "p.yaml").write_text(BASE.read_text(encoding="utf-8"), encoding="utf-8")
    c.add("special", "loopdir", ["score", str(loopdir)], "ok", "BASE")


def _filled_sheet() -> bytes:
    from perfscore.policy import load_policy
    from perfscore.projectfile import read_sheet_file
    from perfscore.scoring import score_sheet
    from perfscore.sheets.fill import sheet_data
    from perfscore.sheets.templates import template_for

    scored = score_sheet(read_sheet_file(BASE), load_policy("default"))
    return template_for("project").render(sheet_data(scored))


def _rezip(data: bytes, change) -> bytes:
    """``data`` with each member passed through ``change(name, bytes)`` (None drops it)."""
    zin = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            body = change(info.filename, zin.read(info))
            if body is not None:
                zout.writestr(info.filename, body)
    return out.getvalue()


def _sheet_part(name: str) -> bool:
    return name.startswith("xl/worksheets/") and name.endswith(".xml")


def dimensions(c: Corpus) -> None:
    sheet = _filled_sheet()
    c.file("dimension", "sheet_ok.xlsx", sheet, "ok", "BASE")

    def stray(ref: str):
        def change(name, body):
            if _sheet_part(name):
                return body.replace(b"</sheetData>", f'<row r="{re.sub(r"[A-Z]", "", ref)}"><c r="{ref}" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'.encode(), 1)
            return body
        return change

    for ref in ("XFD1048576", "A1048576", "ZZ99999", "AAAA1", "A99999999"):
        c.file("dimension", f"stray_{ref}.xlsx", _rezip(sheet, stray(ref)), "fail")
    c.file("dimension", "stray_XFD1.xlsx", _rezip(sheet, stray("XFD1")), "either")  # 40 × 16384: large, not absurd

    def dimension(ref: str):
        def change(name, body):
            if _sheet_part(name):
                return re.sub(rb'<dimension ref="[^"]*"/>', f'<dimension ref="{ref}"/>'.encode(), body, count=1)
            return body
        return change

    for ref in ("A1:XFD1048576", "A1:ZZZZ9", "XFD1048576", "A1:B-3", "garbage"):
        c.file("dimension", f"dim_{re.sub(r'[^A-Za-z0-9]', '_', ref)}.xlsx", _rezip(sheet, dimension(ref)), "either")
    c.file("dimension", "flat_stray.xlsx", _rezip(_flat_book([("甲局", "办公经费")]), stray("XFD1048576")), "fail")


def bad_zips(c: Corpus) -> None:
    sheet = _filled_sheet()
    c.file("zip", "truncated.xlsx", sheet[: len(sheet) // 2], "fail")
    c.file("zip", "truncated_tail.xlsx", sheet[:-30], "fail")
    flipped = bytearray(sheet)
    flipped[len(sheet) // 3] ^= 0xFF
    c.file("zip", "flipped_byte.xlsx", bytes(flipped), "either")
    c.file("zip", "ole2.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4000, "fail")
    c.file("zip", "empty.xlsx", b"", "fail")
    c.file("zip", "text.xlsx", "项目名称,分值\n法治建设,100\n", "fail")
    empty = io.BytesIO()
    zipfile.ZipFile(empty, "w").close()
    c.file("zip", "empty_zip.xlsx", empty.getvalue(), "fail")
    c.file("zip", "no_workbook.xlsx", _rezip(sheet, lambda n, b: None if n == "xl/workbook.xml" else b), "fail")
    c.file("zip", "no_sheet.xlsx", _rezip(sheet, lambda n, b: None if _sheet_part(n) else b), "fail")
    c.file("zip", "no_rels.xlsx", _rezip(sheet, lambda n, b: None if n == "_rels/.rels" else b), "fail")
    c.file("zip", "bad_xml.xlsx", _rezip(sheet, lambda n, b: b[: len(b) // 2] if _sheet_part(n) else b), "fail")
    c.file("zip", "latin1_xml.xlsx", _rezip(sheet, lambda n, b: b.replace(b"UTF-8", b"ISO-8859-1").decode(
        "utf-8").encode("gbk", "replace") if _sheet_part(n) else b), "either")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", b"\0" * (200 * 1024 * 1024))
    c.file("zip", "bomb.xlsx", bomb.getvalue(), "fail")
    many = io.BytesIO()
    with zipfile.ZipFile(many, "w", zipfile.ZIP_STORED) as z:
        for i in range(10_050):
            z.writestr(f"x/{i}.xml", b"")
    c.file("zip", "many_members.xlsx", many.getvalue(), "fail")
    lying = bytearray(sheet)  # a member's declared size smaller than what it inflates to
    zin = zipfile.ZipFile(io.BytesIO(sheet))
    info = next(i for i in zin.infolist() if _sheet_part(i.filename))
    lying[info.header_offset + 22: info.header_offset + 26] = (10).to_bytes(4, "little")
    c.file("zip", "lying_size.xlsx", bytes(lying), "either")
    encrypted = bytearray(sheet)
    encrypted[6] |= 1
    c.file("zip", "encrypted_flag.xlsx", bytes(encrypted), "either")
    c.file("zip", "rezipped.xlsx", _rezip(sheet, lambda n, b: b), "ok", "BASE")  # another zip writer: same sheet
    evil = io.BytesIO(sheet)
    with zipfile.ZipFile(evil, "a") as z:  # a member that would escape if anything extracted it
        z.writestr("../../evil.xml", b"<x/>")
    c.file("zip", "traversal.xlsx", evil.getvalue(), "either")
    c.file("zip", "xls_named.xlsx", b"\x09\x08\x10\x00\x00\x06\x05\x00" + b"\0" * 512, "fail")


def control_names(c: Corpus) -> None:
    names = ["法治\r\n文件 x.yaml: 无问题", "法治\x1b[2J\x1b[31m红", "法治\u202egpj.exe", "CON", "NUL", "-rf 法治",
             "法治\x00空", "法治\u2066隔离\u2069", "\x1b]0;title\x07法治", "法治\t建设"]
    for n, name in enumerate(names):
        data = _base()
        data["name"] = name
        c.file("names", f"name_{n:02d}.yaml", _dump(data), "ok", "BASE")
    for n, stem in enumerate(["坏\r\n文件 x.yaml: 无问题", "坏\x1b[31m红", "坏\u202eyaml.exe"]):
        data = _base()
        data["indicators"][0]["actual"] = "8人"  # unit mismatch: one line naming the file
        c.file("names", f"{stem}_{n}.yaml", _dump(data), "fail")


def _flat_book(pairs: list[tuple[str, str]], with_unit: bool = False, units_in_indicators: list | None = None) -> bytes:
    import openpyxl

    from perfscore.flat import INDICATOR_COLUMNS, PROJECT_COLUMNS

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "项目"
    ws.append(list(PROJECT_COLUMNS)[:7])
    for unit, name in pairs:
        ws.append([name, unit, unit, 2024, 10, 10, 10])
    ws = wb.create_sheet("指标")
    header = list(INDICATOR_COLUMNS)[:9] + (["实施单位"] if with_unit else [])
    ws.append(header)
    for i, (unit, name) in enumerate(pairs):
        actual = "10次" if i == 0 else "5次"  # the first project completes, the others half
        row = [name, "产出指标", "数量指标", "培训次数", "≥10次", actual, 90, None, None]
        ws.append(row + ([unit] if with_unit else []))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def flat_names(c: Corpus) -> None:
    two = [("甲局", "办公经费"), ("乙局", "办公经费")]
    c.file("flat", "flat_same_name_units.xlsx", _flat_book(two, with_unit=True), "either")
    c.add("flat", "flat_same_name_units_batch", ["batch", str(c.folder / "flat_same_name_units.xlsx"), "-o",
                                                 str(c.folder / "out_flat_units"), "-q"], "ok")
    c.file("flat", "flat_same_name_no_unit.xlsx", _flat_book(two), "fail", lines=2)
    c.file("flat", "flat_one.xlsx", _flat_book([("甲局", "办公经费")]), "ok", "100.00")
    c.file("flat", "flat_dup_same_unit.xlsx", _flat_book([("甲局", "办公经费"), ("甲局", "办公经费")], with_unit=True),
           "either", lines=0)
    c.file("flat", "flat_three.xlsx", _flat_book([("甲局", "a"), ("乙局", "a"), ("丙局", "a")]), "fail", lines=3)


def usage(c: Corpus) -> None:
    base = str(BASE)
    for n, argv in enumerate([
        ["bogus"], ["batch", base, "-o", str(c.folder / "u"), "--jobs", "abc"], ["batch", base, "-o", str(c.folder / "u"), "--jobs", "0"],
        ["batch"], ["score"], ["score", base, "--format", "xml"], ["score", base, "--nope"], ["batch", base, "-o"],
        ["fill", base], ["init", "-o", str(c.folder / "x.xlsx"), "--kind", "nope"], ["score", base, "--policy", "nope"],
        ["audit", base, "--template", str(c.folder / "nope.xlsx")], ["\x1b[31mred"],
    ]):
        c.add("usage", f"usage_{n:02d}", argv, "usage")
    c.add("usage", "jobs_huge", ["batch", base, "-o", str(c.folder / "out_jobs"), "-q", "--jobs", "100000"], "ok")


def outputs(c: Corpus) -> None:
    base = str(BASE)
    existing = c.folder / "existing.txt"
    existing.write_text("x", encoding="utf-8")
    c.add("outputs", "fill_dev_full", ["fill", base, "-o", "/dev/full"], "fail")
    c.add("outputs", "fill_two_onto_file", ["fill", base, base, "-o", str(existing)], "fail")
    c.add("outputs", "fill_under_file", ["fill", base, "-o", str(existing / "x.xlsx")], "fail")
    c.add("outputs", "batch_onto_file", ["batch", base, "-o", str(existing), "-q"], "fail")
    c.add("outputs", "batch_dev_full", ["batch", base, "-o", "/dev/full", "-q"], "fail")
    c.add("outputs", "import_onto_dir", ["import", str(c.folder / "sheet_ok.xlsx"), "-o", str(c.folder)], "either")


# -- report styles, policies (issue 19) ------------------------------------------------------

# each would touch MARKER_<name> (or print a module's globals) outside jinja2's sandbox
STYLE_ESCAPES = {
    "cycler": "{{ cycler.__init__.__globals__.os.popen('touch MARKER').read() }}",
    "lipsum": "{{ lipsum.__globals__['os'].popen('touch MARKER').read() }}",
    "attr": "{{ (cycler|attr('__init__')|attr('__globals__'))['os'].popen('touch MARKER').read() }}",
    "mro": ("{% for c in ''.__class__.__mro__[1].__subclasses__() %}{% if c.__name__ == 'Popen' %}"
            "{{ c(['touch', 'MARKER']).wait() }}{% endif %}{% endfor %}"),
    "self": "{{ self._TemplateReference__context.cycler.__init__.__globals__.os.popen('touch MARKER').read() }}",
    "format": "{{ '{0.__init__.__globals__[os].popen}'.format(cycler) }}",
    "range_globals": "{{ range.__globals__['os'].popen('touch MARKER').read() }}",
    "filter_globals": "{{ (''|attr('__class__')).__init__.__globals__ }}",
}
# each would run for hours or take gigabytes without the style budget (limits.py MAX_STYLE_*)
STYLE_BOMBS = {
    "lines": "{% for i in range(100000) %}{% for j in range(100000) %}" + "长" * 100 + "\n{% endfor %}{% endfor %}",
    "loops": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "range": "{{ range(10 ** 9) | list | length }}",
    "concat": "{% set a = 'x' * 100000 %}{% set b = a~a~a~a~a~a~a~a~a~a %}{% set c = b~b~b~b~b~b~b~b~b~b %}{{ (c~c~c~c~c~c~c~c~c~c) | length }}",
    "join": "{% set a = 'x' * 100000 %}{{ ([a] * 100000) | join | length }}",
    "replace": "{% set a = 'x' * 100000 %}{{ a.replace('', a) | length }}",
    "width": "{{ '{:>999999999}'.format(1) }}{{ '%999999999d' % 1 }}",
    "power": "{{ (10 ** 1000) ** 1000 }}",
    "repeat": "{{ 'x' * 100000000 }}",
    "recursion": "{% macro r(n) %}{{ r(n) }}{% endmacro %}{{ r(1) }}",
}
MACROS = ("lead", "project", "department", "overview")


def _unit(c: Corpus, folder: str, policy: str, style: str | None = None) -> Path:
    unit = c.folder / folder
    unit.mkdir(parents=True, exist_ok=True)
    (unit / "x.yaml").write_text(BASE.read_text(encoding="utf-8"), encoding="utf-8")
    (unit / "perfscore.yaml").write_text(policy, encoding="utf-8")
    if style is not None:
        (unit / "evil.j2").write_text(style, encoding="utf-8")
    return unit


def _macros(body: str) -> str:
    return "".join(f"{{% macro {m}(a, b=None) %}}{body}{{% endmacro %}}\n" for m in MACROS)


def style_escapes(c: Corpus) -> None:
    """At the style's top level (rendered when its policy loads: ``score`` refuses) and in every
    macro (rendered by a batch's report: that project fails, the batch finishes)."""
    for name, payload in STYLE_ESCAPES.items():
        payload = payload.replace("MARKER", str(c.folder / f"MARKER_{name}"))
        top = _unit(c, f"escape_top_{name}", "preset: default\nreport_style: evil.j2\n", payload + _macros("x"))
        c.add("style_escape", f"escape_top_{name}", ["score", str(top / "x.yaml")], "fail")
        inside = _unit(c, f"escape_{name}", "preset: default\nreport_style: evil.j2\n", _macros(payload))
        c.add("style_escape", f"escape_batch_{name}", ["batch", str(inside), "-o", str(c.folder / f"out_escape_{name}"),
                                                       "-q"], "partial")


def style_bombs(c: Corpus) -> None:
    for name, payload in STYLE_BOMBS.items():
        top = _unit(c, f"bomb_top_{name}", "preset: default\nreport_style: evil.j2\n", payload + _macros("x"))
        c.add("style_bomb", f"bomb_top_{name}", ["score", str(top / "x.yaml")], "fail")
        inside = _unit(c, f"bomb_{name}", "preset: default\nreport_style: evil.j2\n", _macros(payload))
        c.add("style_bomb", f"bomb_score_{name}", ["score", str(inside / "x.yaml")], "ok", "BASE")  # not rendered
        c.add("style_bomb", f"bomb_batch_{name}", ["batch", str(inside), "-o", str(c.folder / f"out_bomb_{name}"), "-q"],
              "partial")


def policy_spoofing(c: Corpus) -> None:
    """A policy never shows a name it gives itself: ``name:`` is refused, and a file named
    default.yaml is shown by its path, never as the default preset."""
    strict = "preset: default\ngrade_bands: {优: 99.99, 良: 99.98, 中: 99.97}\n"
    for n, name in enumerate(["default", "财预〔2020〕10号通用规则", "liaoning", "../default"]):
        unit = _unit(c, f"spoof_name_{n}", f"name: '{name}'\n{strict}")
        c.add("policy_spoof", f"spoof_name_{n}", ["score", str(unit / "x.yaml")], "fail")
    unit = _unit(c, "spoof_file", strict)
    (unit / "default.yaml").write_text(strict, encoding="utf-8")
    (unit / "perfscore.yaml").unlink()
    c.add("policy_spoof", "spoof_default_yaml", ["score", "x.yaml", "-p", "default.yaml"], "ok", "BASE",
          cwd=str(unit), shows="评分规则: default.yaml")
    unit = _unit(c, "spoof_folder", strict)
    c.add("policy_spoof", "spoof_folder_shown", ["score", "spoof_folder/x.yaml"], "ok", "BASE",
          shows="评分规则: spoof_folder/perfscore.yaml")


def parent_policies(c: Corpus) -> None:
    """A perfscore.yaml above the folder the user named applies to nothing: each of these would
    refuse every input (a broken policy, an escaping style, a bomb) if it were read."""
    for n, policy in enumerate(["grade_bands: [\n", "preset: default\nreport_style: evil.j2\n", "name: default\n"]):
        up = c.folder / f"parent_{n}"
        inner = up / "unit"
        inner.mkdir(parents=True, exist_ok=True)
        (up / "perfscore.yaml").write_text(policy, encoding="utf-8")
        (up / "evil.j2").write_text(STYLE_ESCAPES["cycler"].replace("MARKER", str(c.folder / f"MARKER_parent_{n}"))
                                    + _macros(STYLE_BOMBS["loops"]), encoding="utf-8")
        (inner / "x.yaml").write_text(BASE.read_text(encoding="utf-8"), encoding="utf-8")
        c.add("parent_policy", f"parent_{n}_score", ["score", "x.yaml"], "ok", "BASE", cwd=str(inner))
        c.add("parent_policy", f"parent_{n}_batch", ["batch", str(inner), "-o", str(c.folder / f"out_parent_{n}"), "-q"],
              "ok")


FAMILIES = [numbers, yaml_family, special_files, dimensions, bad_zips, control_names, flat_names, usage, outputs,
            style_escapes, style_bombs, policy_spoofing, parent_policies]


def build(folder: Path) -> list[Case]:
    corpus = Corpus(folder)
    for family in FAMILIES:
        family(corpus)
    return corpus.cases


# -- running -------------------------------------------------------------------------------

def limit_memory() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def outcome(code: int | None, stdout: str, stderr: str) -> dict:
    return {"code": code, "stdout": stdout, "stderr": stderr}


def run_in_process(cases: list[Case]) -> list[dict]:
    """Each case through CliRunner, one at a time, each under an alarm."""
    from click.testing import CliRunner

    from perfscore.cli import main

    def alarm(*_):
        raise TimeoutError("hang")

    signal.signal(signal.SIGALRM, alarm)
    out = []
    home = os.getcwd()
    for case in cases:
        signal.alarm(CASE_SECONDS)
        try:
            os.chdir(case.cwd or home)
            result = CliRunner().invoke(main, case.argv)
            crash = result.exception if result.exception is not None and not isinstance(result.exception, SystemExit) else None
            entry = outcome(result.exit_code, result.stdout, result.stderr)
            if crash is not None:
                entry["crash"] = f"{type(crash).__name__}: {crash}"[:500]
        except TimeoutError:
            entry = outcome(None, "", "")
            entry["crash"] = "hang"
        finally:
            signal.alarm(0)
            os.chdir(home)
        out.append(entry)
    return out


def dump_cases(cases: list[Case], path: Path) -> None:
    path.write_text(json.dumps([asdict(c) for c in cases], ensure_ascii=False), encoding="utf-8")


def main(argv: list[str]) -> None:
    if argv[:1] == ["--run"]:
        limit_memory()
        cases = [Case(**c) for c in json.loads(Path(argv[1]).read_text(encoding="utf-8"))]
        json.dump(run_in_process(cases), sys.stdout, ensure_ascii=True)
        return
    for case in build(Path(argv[0])):
        print(case.family, case.expect, case.name)


if __name__ == "__main__":
    main(sys.argv[1:])
