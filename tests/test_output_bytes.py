"""Every writer's output bytes stay as they were (refactors must not change a byte).

The digests in golden/output_sha256.json were made by this file's ``outputs`` from the
code before the xlsx/ split. A deliberate change of output regenerates them with
``PERFSCORE_UPDATE_GOLDEN=1 pytest tests/test_output_bytes.py`` (and says so in the commit).
"""

import hashlib
import json
import os
from pathlib import Path

from perfscore.cli import main

from click.testing import CliRunner


def project_files(folder):
    """A sample folder's project files (its perfscore.yaml is the folder's policy, not a project)."""
    return [p for p in sorted(folder.glob("*.yaml")) if p.name != "perfscore.yaml"]

from conftest import QIAOKOU, ROOT
GOLDEN = Path(__file__).resolve().parent / "golden" / "output_sha256.json"


def outputs(tmp: Path) -> dict[str, str]:
    """Run the writers over the shipped samples; file name → sha256 of its bytes."""
    runner = CliRunner()
    for sub in ("fill", "init", "flat"):
        (tmp / sub).mkdir()
    cwd = os.getcwd()
    os.chdir(ROOT)  # sources are named relative to the repository, as a user would type them
    try:
        commands = [
            ["batch", "samples/liaoning_chaoyang_2024", "-o", str(tmp / "liaoning"), "--sheets", "-q", "-j", "1",
             "--policy", "liaoning"],
            ["batch", "examples/qiaokou_flat.xlsx", "samples/hubei_qiaokou_2024", "-o", str(tmp / "hubei"),
             "--sheets", "-q", "-j", "1", "--policy", "hubei"],
            ["fill", "samples/liaoning_chaoyang_2024/zhengti.yaml", "-o", str(tmp / "fill" / "zhengti.xlsx"),
             "--policy", "liaoning"],
            ["init", "-o", str(tmp / "init" / "blank.xlsx")],
            ["init", "-o", str(tmp / "init" / "blank_department.xlsx"), "--kind", "department"],
        ]
        for args in commands:
            result = runner.invoke(main, args)
            assert result.exit_code == 0, (args, result.output)
    finally:
        os.chdir(cwd)
    from flatbuilder import write_flat_workbook
    from perfscore.projectfile import read_sheet_file

    sheets = [read_sheet_file(p) for p in project_files(QIAOKOU)]
    write_flat_workbook(sheets, tmp / "flat" / "flat.xlsx")
    return {p.relative_to(tmp).as_posix(): hashlib.sha256(content(p)).hexdigest() for p in sorted(tmp.rglob("*")) if p.is_file()}


def content(path: Path) -> bytes:
    """A file's bytes; for summary.sqlite its SQL dump (a database file's bytes depend on the
    SQLite library's version, its schema and rows do not)."""
    if path.suffix != ".sqlite":
        return path.read_bytes()
    import sqlite3

    con = sqlite3.connect(path)
    try:
        return "\n".join(con.iterdump()).encode("utf-8")
    finally:
        con.close()


def test_output_bytes_unchanged(tmp_path):
    got = outputs(tmp_path)
    if os.environ.get("PERFSCORE_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    want = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert len(got) > 20  # every sheet, summary.xlsx, the reports, the fills
    assert got == want
