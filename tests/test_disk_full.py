"""A full disk (ENOSPC) or an exhausted quota (EDQUOT) while writing any output is one Chinese
line naming the output, a non-zero exit and no traceback; what was there before stays whole
and nothing half-written or aside is left (issue 19).

The disk fills where perfscore writes: every output file goes through ``writing.atomic_file``,
whose file fails here once a few KB are written; a batch's scratch spool (an unlinked temporary
file) also fails when it is closed with data still buffered, as on a real full disk, where that
second error used to hide the first behind a traceback."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from perfscore import batch, writing
from perfscore.cli import main

from conftest import CHAOYANG, FLAT, GOUMAI, SAMPLES  # noqa: E402

TARGETS = SAMPLES / "targets" / "liaoning_chaoyang_2024_mubiao.xlsx"
ROOM = 4096  # bytes an output file may take before the disk is full
REASONS = {errno.ENOSPC: "磁盘已满", errno.EDQUOT: "磁盘已满（超出配额）"}


class _FullFile:
    """A written file on a disk that fills after ROOM bytes in all (``room``: shared by the files)."""

    def __init__(self, real, code: int, room: list[int]):
        self._real, self._code, self._room = real, code, room

    def write(self, data) -> int:
        self._room[0] -= len(data)
        if self._room[0] < 0:
            raise OSError(self._code, os.strerror(self._code))
        return self._real.write(data)

    def __getattr__(self, name):
        return getattr(self._real, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._real.close()


class _UnflushedSpool:
    """The batch's scratch file: closing it flushes buffered data, which a full disk refuses."""

    def __init__(self, real, code: int):
        self._real, self._code = real, code

    def close(self) -> None:
        self._real.close()
        raise OSError(self._code, os.strerror(self._code))

    def __getattr__(self, name):
        return getattr(self._real, name)


def fill_disk(monkeypatch, code: int) -> None:
    fdopen, temporary, room = os.fdopen, tempfile.TemporaryFile, [ROOM]

    def full_fdopen(fd, mode="r", *args, **kwargs):
        real = fdopen(fd, mode, *args, **kwargs)
        return _FullFile(real, code, room) if "w" in mode else real

    monkeypatch.setattr(writing.os, "fdopen", full_fdopen)
    monkeypatch.setattr(batch.tempfile, "TemporaryFile", lambda *a, **k: _UnflushedSpool(temporary(*a, **k), code))


@pytest.fixture(params=sorted(REASONS))
def full_disk(request, monkeypatch):
    fill_disk(monkeypatch, request.param)
    return REASONS[request.param]


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


CASES = {
    "batch": ["batch", str(CHAOYANG), "-o", "{out}/set", "--sheets", "-q"],
    "batch_one_job": ["batch", str(CHAOYANG), "-o", "{out}/set", "-j", "1", "-q"],
    "fill": ["fill", str(GOUMAI), "-o", "{out}/f.xlsx"],
    "fill_folder": ["fill", str(CHAOYANG), "-o", "{out}/filled"],
    "init": ["init", "-o", "{out}/blank.xlsx"],
    "init_from": ["init", "--from", str(TARGETS), "-o", "{out}/from"],
    "init_from_sheets": ["init", "--from", str(TARGETS), "-t", "project", "-o", "{out}/from"],
    "import_flat": ["import", str(FLAT), "-o", "{out}/imported"],
}


def _whole(path: Path) -> None:
    if path.suffix == ".xlsx":
        openpyxl.load_workbook(path).close()
    elif path.suffix == ".yaml":
        assert isinstance(yaml.safe_load(path.read_text("utf-8")), dict)


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_full_disk_is_one_line_and_leaves_nothing_half_written(case, full_disk, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "f.xlsx").write_bytes(b"an earlier file")  # replaced whole or not at all
    result = CliRunner().invoke(main, [a.replace("{out}", str(out)) for a in CASES[case]])
    text = result.output + result.stderr
    assert result.exit_code != 0, text
    assert "Traceback" not in text and not isinstance(result.exception, OSError)
    failed = [line for line in text.splitlines() if full_disk in line]
    assert failed, text
    assert all(line.startswith("无法写入") and line.endswith(f": {full_disk}") and str(out) in line
               for line in failed), failed
    after = _tree(out)
    assert not [name for name in after if writing.TEMP_PREFIX in name], after  # nothing half-written or aside
    assert after.pop("f.xlsx") == b"an earlier file"  # fill -o f.xlsx did not finish: the earlier file stays
    if case.startswith("batch"):
        assert after == {}  # the set is all or nothing
    for name in after:  # a command writing one file per project keeps the ones it finished, each whole
        _whole(out / name)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no lock, no spool


def test_a_batch_on_a_full_disk_keeps_the_previous_set(tmp_path, monkeypatch):
    """A first run writes a whole set; the disk then fills: the second run changes nothing."""
    out = tmp_path / "set"
    assert CliRunner().invoke(main, ["batch", str(CHAOYANG), "-o", str(out), "--sheets", "-q"]).exit_code == 0
    before = _tree(out)
    fill_disk(monkeypatch, errno.ENOSPC)
    result = CliRunner().invoke(main, ["batch", str(CHAOYANG), "-o", str(out), "--sheets", "-q"])
    text = result.output + result.stderr
    assert result.exit_code == 1 and "Traceback" not in text
    lines = {line for line in text.splitlines() if line.strip()}  # stdout and stderr may both be in output
    assert len(lines) == 1 and lines.pop().endswith(": 磁盘已满") and str(out) in text, text
    assert _tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["set"]  # no aside set, no lock left
