"""Long names keep their extension (issue 19): wherever an output file name is derived from a
project or input name and shortened, a 300-character name still ends in .xlsx/.yaml and each
path component stays within 255 bytes of UTF-8 (writing.NAME_BYTES) — in fill's outputs in a
folder, init --from's one file per project, batch's filled sheets, the web's downloads and the
web's saved uploads."""

from __future__ import annotations

import io
import urllib.parse
import zipfile
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from perfscore.cli import main
from perfscore.writing import NAME_BYTES, fit_file_name, numbered_names

from conftest import CHAOYANG, GOUMAI  # noqa: E402
from targetbuilder import sample_tables, write_budget_public  # noqa: E402

LONG = ("政府购买法律服务项目" * 30)[:300]  # 300 characters, 900 bytes of UTF-8


def _fits(name: str, suffix: str) -> None:
    assert name.endswith(suffix), name
    assert len(name.encode("utf-8")) <= NAME_BYTES, (len(name.encode("utf-8")), name)


def _renamed(text: str, name: str) -> str:
    data = yaml.safe_load(text)
    data["name"] = name
    return yaml.safe_dump(data, allow_unicode=True)


def test_names_are_cut_before_their_extension_never_through_it():
    names = list(numbered_names([LONG, LONG, LONG + "乙", "短"], ".yaml"))
    for name in names[:3]:
        _fits(name, ".yaml")
    assert names[1].endswith("（2）.yaml") and names[2].endswith("（3）.yaml")  # the same after the cut: numbered
    assert names[3] == "短.yaml"
    assert names[0].startswith("政府购买法律服务项目") and len(set(names)) == 4
    _fits(fit_file_name(LONG + ".xlsx", reserve=16), ".xlsx")
    assert len(fit_file_name(LONG + ".xlsx", reserve=16).encode("utf-8")) <= NAME_BYTES - 16
    assert fit_file_name("a" * 300 + ".tar.gz").endswith(".gz")
    assert fit_file_name("表.xlsx") == "表.xlsx"


def test_fill_into_a_folder_keeps_xlsx_for_long_input_names(tmp_path):
    """Two inputs whose names fill 240 bytes: the second's （2） does not push it past 255."""
    stem = ("法" * 80)  # 240 bytes: + .yaml is a legal input name
    inputs = tmp_path / "in"
    inputs.mkdir()
    text = _renamed(GOUMAI.read_text("utf-8"), LONG)
    (inputs / f"{stem}.yaml").write_text(text, "utf-8")
    (inputs / f"{stem}.yml").write_text(text, "utf-8")
    result = CliRunner().invoke(main, ["fill", str(inputs), "-o", str(tmp_path / "out"), "-p", "liaoning"])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(names) == 2
    for name in names:
        _fits(name, ".xlsx")
        openpyxl.load_workbook(tmp_path / "out" / name).close()
    assert any(name.endswith("（2）.xlsx") for name in names)


def test_init_from_keeps_yaml_and_xlsx_for_a_long_project_name(tmp_path):
    tables = [t for t, _, _ in sample_tables(CHAOYANG)][:2]
    tables[0].name = LONG
    tables[1].name = LONG + "二期"
    targets = write_budget_public(tables, tmp_path / "目标表.xlsx")
    for args, suffix in ((["-o", str(tmp_path / "yaml")], ".yaml"), (["-t", "project", "-o", str(tmp_path / "xlsx")], ".xlsx")):
        result = CliRunner().invoke(main, ["init", "--from", str(targets), *args])
        assert result.exit_code == 0, result.output
        folder = Path(args[-1])
        names = sorted(p.name for p in folder.iterdir())
        assert len(names) == 2, names
        for name in names:
            _fits(name, suffix)
        if suffix == ".yaml":
            assert {yaml.safe_load((folder / n).read_text("utf-8"))["name"] for n in names} == {LONG, LONG + "二期"}


def test_batch_sheets_keep_xlsx_for_a_long_project_name(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.yaml").write_text(_renamed(GOUMAI.read_text("utf-8"), LONG), "utf-8")
    (inputs / "b.yaml").write_text(_renamed(GOUMAI.read_text("utf-8"), LONG + "二期"), "utf-8")
    result = CliRunner().invoke(main, ["batch", str(inputs), "-o", str(tmp_path / "out"), "--sheets", "-q"])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "out" / "sheets").iterdir())
    assert len(names) == 2
    for name in names:
        _fits(name, ".xlsx")


@pytest.fixture
def client(tmp_path):
    pytest.importorskip("starlette")
    pytest.importorskip("multipart")
    from starlette.testclient import TestClient

    from perfscore.web.app import create_app

    with TestClient(create_app(temp_root=tmp_path / "temp")) as c:
        yield c


def _download_name(answer) -> str:
    disposition = answer.headers["content-disposition"]
    return urllib.parse.unquote(disposition.split("filename*=utf-8''", 1)[1])


def test_web_uploads_and_downloads_keep_their_extensions(client):
    """A 300-character upload name is read (not left out as a file of unknown type), and the
    filled sheets' names in the answer keep .xlsx within 255 bytes."""
    text = _renamed(GOUMAI.read_text("utf-8"), LONG).encode("utf-8")
    upload = f"{LONG}.yaml"
    answer = client.post("/api/score", files=[("files", (upload, text))], data={"policy": "liaoning"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert len(body["results"]) == 1 and body["ignored"] == [] and body["failures"] == []
    assert body["results"][0]["file"].endswith(".yaml")

    one = client.post("/api/fill", files=[("files", (upload, text))], data={"policy": "liaoning"})
    assert one.status_code == 200
    _fits(_download_name(one), ".xlsx")
    openpyxl.load_workbook(io.BytesIO(one.content)).close()

    two = client.post("/api/fill", files=[("files", (upload, text)), ("files", ("b.yaml", text))],
                      data={"policy": "liaoning"})
    assert two.status_code == 200
    members = zipfile.ZipFile(io.BytesIO(two.content)).namelist()
    sheets = [m for m in members if m.endswith(".xlsx")]
    assert len(sheets) == 2
    for member in sheets:
        for component in member.split("/"):
            assert len(component.encode("utf-8")) <= NAME_BYTES
        _fits(member.split("/")[-1], ".xlsx")
