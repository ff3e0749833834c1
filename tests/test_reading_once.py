"""Reading a workbook once (issue 25): every member inflated once for all of its readers, the
extent check's upper bound never passing a sheet the cell-by-cell check refuses, the
formulas of one layout kept without one sheet's edits leaking into another's audit, and the
server's collector pause always undone."""

from __future__ import annotations

import gc
import re
import shutil
import sys
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_formulas import filled, rewrite  # noqa: E402

from perfscore.errors import SheetError  # noqa: E402
from perfscore.policy import load_policy  # noqa: E402
from perfscore.xlsx import package  # noqa: E402


def _sheet_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read("xl/worksheets/sheet1.xml").decode()


def _cell_by_cell(xml: bytes) -> str:
    """check_extent's outcome without its upper bound: '' or the message it refuses with."""
    bound = package._within_bound
    package._within_bound = lambda _xml: False
    try:
        package.check_extent(xml, "表")
    except SheetError as exc:
        return str(exc)
    finally:
        package._within_bound = bound
    return ""


def _variants(xml: str) -> dict[str, str]:
    """A filled sheet's XML and odd rewrites of it: stray far cells, cells and rows without
    an address, lower-case and prefixed tags, addresses Excel has no room for."""
    def stray(ref: str, row: str | None = None) -> str:
        row = row if row is not None else re.sub(r"[A-Za-z]", "", ref)
        return xml.replace("</sheetData>", f'<row r="{row}"><c r="{ref}" t="inlineStr"><is><t>x</t></is></c></row></sheetData>', 1)

    out = {"as filled": xml}
    for ref in ("XFD1048576", "A1048576", "ZZ99999", "XFD1", "AB3000", "AAAA1", "A99999999", "a5", "xfd9"):
        out[f"stray {ref}"] = stray(ref)
    out["cell without a column"] = stray("123")
    out["cell without a row"] = stray("B", row="40")
    out["row beyond Excel"] = stray("B7", row="123456789")
    out["no addresses"] = re.sub(r' r="[A-Za-z]*[0-9]+"', "", xml)
    out["prefixed"] = xml.replace("<c ", "<x:c ").replace("</c>", "</x:c>").replace("<row ", "<x:row ")
    out["prefixed stray"] = out["prefixed"].replace(
        "</sheetData>", '<x:row r="1048576"><x:c r="XFD1048576"><x:v>1</x:v></x:c></x:row></sheetData>', 1)
    many = "".join(f'<c r="{col}{r}"><v>1</v></c>' for r in range(1, 60) for col in ("A", "K", "CV"))
    out["a wide block"] = xml.replace("</sheetData>", f"<row>{many}</row></sheetData>", 1)
    return out


def test_the_extent_bound_never_passes_what_the_cell_by_cell_check_refuses(tmp_path):
    xml = _sheet_xml(filled(tmp_path))
    refused = []
    for name, text in _variants(xml).items():
        body = text.encode()
        slow = _cell_by_cell(body)
        if package._within_bound(body):
            assert slow == "", name
        try:
            package.check_extent(body, "表")
            fast = ""
        except SheetError as exc:
            fast = str(exc)
        assert fast == slow, name
        if slow:
            refused.append(name)
    # the far cells are still refused, naming the cell
    assert {"stray XFD1048576", "stray A1048576", "stray AAAA1", "stray A99999999", "cell without a column",
            "prefixed stray"} <= set(refused)
    assert package._within_bound(xml.encode())  # a filled sheet itself passes on the bound


def _count_inflations(monkeypatch) -> list[str]:
    seen: list[str] = []
    original = package.inflate_member

    def counted(data, info):
        seen.append(info.filename)
        return original(data, info)

    monkeypatch.setattr(package, "inflate_member", counted)
    return seen


def test_a_filled_sheet_and_an_official_form_are_inflated_once(tmp_path, monkeypatch):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from formbuilder import Typing, build

    from perfscore.inputs import Input, read_path
    from perfscore.projectfile import read_sheet_file

    sheet = filled(tmp_path)
    model = read_sheet_file(Path(__file__).resolve().parent.parent / "samples" / "liaoning_chaoyang_2024"
                            / "zhengfu_goumai_falv_fuwu.yaml")
    form = build(tmp_path / "form.xlsx", [(model.name[:31], model)], "national", Typing(numbers=True))
    for path, reader in ((sheet, "template"), (form, "form")):
        seen = _count_inflations(monkeypatch)
        [item] = read_path(path, policy=load_policy("liaoning"))
        assert isinstance(item, Input) and item.reader == reader
        assert len(seen) == len(set(seen)) and "xl/worksheets/sheet1.xml" in seen, (reader, seen)
        monkeypatch.undo()
    assert str(item.sheet.name) == model.name


def test_one_layout_audited_twice_keeps_each_sheets_own_edits(tmp_path):
    from conftest import audited

    clean = filled(tmp_path)
    (tmp_path / "edited").mkdir()
    edited = tmp_path / "edited" / clean.name
    shutil.copy(clean, edited)
    rewrite(edited, lambda x: re.sub(r'(<c r="J19" s="\d+")><f>.*?</f>', r"\1><f>98.32</f>", x))
    policy = load_policy("liaoning")
    first = audited(clean, policy)
    second = audited(edited, policy)
    third = audited(clean, policy)
    assert first.findings == [] and third.findings == []
    assert [(f.cell, f.discrepancy.label) for f in second.findings] == [("J19", "总分（公式与 perfscore 写入的不同）")]
    assert first.result.total == second.result.total == third.result.total


def test_the_collector_runs_again_after_requests_that_overlap():
    pytest.importorskip("starlette")
    from perfscore.web.app import _gc_paused

    assert gc.isenabled()
    with _gc_paused:
        assert not gc.isenabled()
        with _gc_paused:   # a second request at the same time
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:   # a process that runs without the collector keeps it off
        with _gc_paused:
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_large_sheet_is_checked_cell_by_cell(tmp_path, monkeypatch):
    """The bound is for small sheets: a large one never builds its list of tags (memory in
    proportion to its cells) and is checked as before."""
    xml = _sheet_xml(filled(tmp_path)).encode()
    assert package._within_bound(xml)
    monkeypatch.setattr(package, "_BOUND_BYTES", len(xml) - 1)
    assert not package._within_bound(xml)
    package.check_extent(xml, "表")
