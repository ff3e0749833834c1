"""`perfscore serve`'s app through Starlette's TestClient: every answer of the JSON API,
the page's jobs, the limits, and upload names that must never leave the temp folder."""

import io
import json
import os
import stat
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

pytest.importorskip("starlette")
pytest.importorskip("multipart")
from starlette.testclient import TestClient  # noqa: E402

from perfscore.cli import main  # noqa: E402
from perfscore.policy import load_policy  # noqa: E402
from perfscore.scoring import score_sheet  # noqa: E402
from perfscore.projectfile import read_sheet_file  # noqa: E402
from perfscore.sheets.fill import fill_sheet  # noqa: E402
from perfscore.web.app import create_app  # noqa: E402
from perfscore.web.uploads import safe_relative  # noqa: E402

from conftest import BROKEN, FLAT, GOOD, GOUMAI, ROOT, SAMPLES, ZHENGTI, decimals, part, text_part, wait_job  # noqa: E402
MB = 1024 * 1024


@pytest.fixture
def temp_root(tmp_path):
    return tmp_path / "temp"


@pytest.fixture
def client(temp_root):
    with TestClient(create_app(temp_root=temp_root)) as c:
        yield c


def cli(tmp_path, monkeypatch, *args):
    """The CLI run in the folder of its inputs, so its messages name them as the page does."""
    monkeypatch.chdir(tmp_path)
    return CliRunner().invoke(main, [str(a) for a in args])


def scored_part(result: dict) -> dict:
    """A /api/score result less what it adds to the CLI's JSON: its source file and rules."""
    return {k: v for k, v in result.items() if k not in ("file", "policy")}


def assert_cleaned(temp_root: Path):
    """No upload or output is left: only the running servers' own folders and their locks."""
    left = [p for p in temp_root.rglob("*") if p.is_file() and p.name != "lock"] if temp_root.exists() else []
    assert left == []


# -- /api/score ---------------------------------------------------------------------------------

def test_score_seed_is_exactly_the_cli_json(client, temp_root, tmp_path, monkeypatch):
    answer = client.post("/api/score", files=[part(GOUMAI)], data={"policy": "liaoning"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    body = decimals(answer.text)
    assert body["failures"] == []
    [result] = body["results"]
    assert (result["total"], result["grade"]) == (Decimal("98.32"), "优")
    (tmp_path / GOUMAI.name).write_bytes(GOUMAI.read_bytes())
    expected = cli(tmp_path, monkeypatch, "score", GOUMAI.name, "--policy", "liaoning", "--format", "json")
    assert expected.exit_code == 0
    assert scored_part(result) == decimals(expected.stdout)
    assert (result["file"], result["policy"]) == (GOUMAI.name, "辽宁省")
    assert_cleaned(temp_root)


def test_score_several_files_in_order_with_department_sheet(client):
    answer = client.post("/api/score", files=[part(GOUMAI), part(ZHENGTI)], data={"policy": "liaoning"})
    body = decimals(answer.text)
    assert [(r["name"], r["total"], r["grade"]) for r in body["results"]] == [
        ("政府购买法律服务", Decimal("98.32"), "优"), (read_sheet_file(ZHENGTI).name, Decimal("94.30"), "优")]


def test_broken_file_is_a_failure_with_the_cli_message(client, temp_root, tmp_path, monkeypatch):
    answer = client.post("/api/score", files=[text_part("坏.yaml", BROKEN), part(GOUMAI)], data={"policy": "liaoning"})
    assert answer.status_code == 200
    body = decimals(answer.text)
    assert [r["total"] for r in body["results"]] == [Decimal("98.32")]
    (tmp_path / "坏.yaml").write_text(BROKEN, encoding="utf-8")
    expected = cli(tmp_path, monkeypatch, "score", "坏.yaml", "--policy", "liaoning")
    assert expected.exit_code == 1
    assert [(f["file"], f["error"]) for f in body["failures"]] == [("坏.yaml", expected.stderr.strip())]
    assert body["failures"][0]["error"].startswith("文件 坏.yaml「坏项目」第1个指标「培训场次」")
    assert_cleaned(temp_root)


@pytest.mark.parametrize("name,data", [
    ("garbage.xlsx", b"PK\x03\x04 not really a workbook"),
    ("binary.yaml", bytes(range(256)) * 8),
    ("empty.json", b""),
])
def test_unreadable_files_are_failures_never_500(client, name, data):
    answer = client.post("/api/score", files=[("files", (name, data))])
    assert answer.status_code == 200
    [failure] = answer.json()["failures"]
    assert failure["file"] == name and failure["error"].startswith(f"文件 {name}")
    assert client.post("/api/score", files=[part(GOUMAI)]).status_code == 200  # still serving


def test_flat_workbook_scores_every_project(client):
    body = decimals(client.post("/api/score", files=[part(FLAT)], data={"policy": "hubei"}).text)
    assert len(body["results"]) > 1
    assert all(r["grade"] in "优良中差" for r in body["results"])


def test_policy_preset_file_and_errors(client, tmp_path, monkeypatch):
    default = decimals(client.post("/api/score", files=[part(GOUMAI)]).text)["results"][0]
    liaoning = decimals(client.post("/api/score", files=[part(GOUMAI)], data={"policy": "liaoning"}).text)["results"][0]
    policy = ROOT / "tests" / "policies" / "linear.yaml"
    by_file = client.post("/api/score", files=[part(GOUMAI), ("policy_file", (policy.name, policy.read_bytes()))])
    (tmp_path / GOUMAI.name).write_bytes(GOUMAI.read_bytes())
    (tmp_path / policy.name).write_bytes(policy.read_bytes())
    expected = cli(tmp_path, monkeypatch, "score", GOUMAI.name, "--policy", policy.name, "--format", "json")
    assert scored_part(decimals(by_file.text)["results"][0]) == decimals(expected.stdout)
    assert decimals(by_file.text)["results"][0]["policy"] == f"规则文件 {policy.name}"
    assert default["total"] == Decimal("98.32") and liaoning["total"] == Decimal("98.32")

    unknown = client.post("/api/score", files=[part(GOUMAI)], data={"policy": "/etc/passwd"})
    assert unknown.status_code == 400
    assert unknown.json()["error"].startswith("评分规则「/etc/passwd」不是预设")
    bad = client.post("/api/score", files=[part(GOUMAI), ("policy_file", ("规则.yaml", b"grades: [1, 2]\n"))])
    assert bad.status_code == 400
    message = bad.json()["error"]
    assert "规则.yaml" in message and "perfscore-web" not in message


def test_request_errors_are_chinese_4xx(client):
    none = client.post("/api/score", data={"policy": "liaoning"})
    assert none.status_code == 400 and none.json()["error"].startswith("请选择至少一个文件")
    as_json = client.post("/api/score", json={"files": ["x.yaml"]})
    assert as_json.status_code == 400
    missing = client.get("/api/nothing")
    assert missing.status_code == 404 and missing.json()["error"] == "找不到这个地址"
    wrong = client.get("/api/score")
    assert wrong.status_code == 405 and "请求方法" in wrong.json()["error"]
    assert client.post("/api/score", files=[part(GOUMAI)]).status_code == 200


def test_a_scoring_error_comes_with_its_indicator_and_field(client, temp_root):
    bad = GOOD.replace('actual: "8次"', 'actual: "8吨"')
    assert bad != GOOD
    body = client.post("/api/score", files=[text_part("单位错.yaml", bad)]).json()
    [failure] = body["failures"]
    [problem] = failure["problems"]
    assert (problem["indicator"], problem["field"]) == ("培训场次", "全年完成值")
    assert problem["message"] == failure["error"] and "单位" in problem["message"]
    assert_cleaned(temp_root)


# -- /api/fill and /api/batch -------------------------------------------------------------------------

def test_fill_one_project_answers_an_xlsx_that_opens(client, temp_root):
    answer = client.post("/api/fill", files=[part(GOUMAI)], data={"policy": "liaoning"})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "filename*=utf-8''" in answer.headers["content-disposition"]
    ws = openpyxl.load_workbook(io.BytesIO(answer.content), data_only=True)["项目绩效自评表"]
    values = [c.value for row in ws.iter_rows() for c in row]
    assert "政府购买法律服务" in values and 98.32 in values
    assert_cleaned(temp_root)


def test_fill_several_answers_a_zip(client, temp_root):
    answer = client.post("/api/fill", files=[part(GOUMAI), part(ZHENGTI), text_part("坏.yaml", BROKEN)],
                         data={"policy": "liaoning"})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    names = sorted(archive.namelist())
    assert "政府购买法律服务.xlsx" in names and len([n for n in names if n.endswith(".xlsx")]) == 2
    assert "坏.yaml" in archive.read("失败清单.txt").decode("utf-8")
    for name in names:
        if name.endswith(".xlsx"):
            openpyxl.load_workbook(io.BytesIO(archive.read(name)))
    assert_cleaned(temp_root)


def test_fill_with_nothing_scorable_is_422_with_the_message(client, temp_root):
    answer = client.post("/api/fill", files=[text_part("坏.yaml", BROKEN)])
    assert answer.status_code == 422
    body = answer.json()
    assert body["error"].startswith("文件 坏.yaml") and body["failures"][0]["file"] == "坏.yaml"
    assert_cleaned(temp_root)


def test_batch_zip_holds_summary_reports_and_sheets(client, temp_root):
    answer = client.post("/api/batch", files=[part(GOUMAI), part(ZHENGTI), text_part("坏.yaml", BROKEN)],
                         data={"policy": "liaoning"})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    names = set(archive.namelist())
    assert {"summary.xlsx", "report.md", "report.html", "sheets/政府购买法律服务.xlsx"} <= names
    assert len([n for n in names if n.startswith("sheets/")]) == 2
    report = archive.read("report.md").decode("utf-8")
    assert "98.32" in report and "94.3" in report and "坏.yaml" in report
    assert "perfscore-web" not in report  # sources are the uploaded names, not the temp folder
    summary = openpyxl.load_workbook(io.BytesIO(archive.read("summary.xlsx")))
    cells = [c.value for ws in summary for row in ws.iter_rows() for c in row]
    assert "政府购买法律服务" in cells
    assert_cleaned(temp_root)


@pytest.mark.parametrize("how", ["policy_file", "folder"])
def test_batch_is_the_cli_batch_for_the_same_files_and_policy_file(client, tmp_path, temp_root, monkeypatch, how):
    """One door: /api/batch writes what `perfscore batch --sheets` writes for the same files
    under the same policy file, its report_funds (涉及资金 from 全年预算数, where liaoning's own is the
    全年执行数) and report_style (hubei's, not liaoning's own) too."""
    rules = "preset: liaoning\nreport_funds: budget\nreport_style: hubei\n"
    folder = tmp_path / "单位"
    folder.mkdir()
    for path in (GOUMAI, ZHENGTI):
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "坏.yaml").write_text(BROKEN, "utf-8")
    files = [text_part(f"单位/{p.name}", p.read_text("utf-8")) for p in sorted(folder.iterdir())]
    if how == "policy_file":
        (tmp_path / "规则.yaml").write_text(rules, "utf-8")
        answer = client.post("/api/batch", files=[*files, ("policy_file", ("规则.yaml", rules.encode()))])
        run = cli(tmp_path, monkeypatch, "batch", "单位", "-o", "出", "--sheets", "-q", "--policy", "规则.yaml")
    else:
        (folder / "perfscore.yaml").write_text(rules, "utf-8")
        answer = client.post("/api/batch", files=[*files, text_part("单位/perfscore.yaml", rules)])
        run = cli(tmp_path, monkeypatch, "batch", "单位", "-o", "出", "--sheets", "-q")
    assert answer.status_code == 200 and run.exit_code == 1, run.output  # 坏.yaml failed, the others scored
    web = zipfile.ZipFile(io.BytesIO(answer.content))
    out = tmp_path / "出"
    assert sorted(web.namelist()) == sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    report = web.read("report.md").decode("utf-8")
    assert report == (out / "report.md").read_text("utf-8")
    assert web.read("report.html").decode("utf-8") == (out / "report.html").read_text("utf-8")
    # the policy file's figures and words, not the preset's: 涉及资金 26.6 (政府购买法律服务's 全年预算数;
    # liaoning's own basis would give its 全年执行数 22.12), the 自评综述 in hubei's wording (seed 004)
    assert "涉及资金（全年预算数，万元）" in report and "坏.yaml" in report
    assert "涉及项目1个，资金26.6万元" in report and "资金22.12万元" not in report
    assert "存在的问题及原因：" in report and "发现的主要问题" not in report

    def cells(data: bytes) -> list:
        book = openpyxl.load_workbook(io.BytesIO(data))
        return [[c.value for row in ws.iter_rows() for c in row] for ws in book]

    assert cells(web.read("summary.xlsx")) == cells((out / "summary.xlsx").read_bytes())
    assert_cleaned(temp_root)


# -- limits ----------------------------------------------------------------------------------------------

def test_upload_over_the_limit_is_413_in_chinese(temp_root):
    with TestClient(create_app(max_upload=1 * MB, temp_root=temp_root)) as small:
        big = small.post("/api/score", files=[("files", ("big.yaml", b"#" * (2 * MB)))])
        assert big.status_code == 413
        assert big.json()["error"].startswith("上传内容超过 1 MB 的上限")

        def chunks():  # no Content-Length: the limit is counted as the body streams in
            yield b"--x\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.yaml\"\r\n\r\n"
            for _ in range(40):
                yield b"#" * 65536
            yield b"\r\n--x--\r\n"

        streamed = small.post("/api/score", content=chunks(),
                              headers={"content-type": "multipart/form-data; boundary=x"})
        assert streamed.status_code == 413 and "1 MB" in streamed.json()["error"]
        assert small.post("/api/score", files=[part(GOUMAI)]).status_code == 200
    assert_cleaned(temp_root)


# -- names that must stay inside the temp folder ---------------------------------------------------------

@pytest.mark.parametrize("name,expected", [
    ("../../etc/x.yaml", "etc/x.yaml"),
    ("/etc/x.yaml", "etc/x.yaml"),
    ("..\\..\\Windows\\x.yaml", "Windows/x.yaml"),
    ("C:\\Users\\a\\x.yaml", "Users/a/x.yaml"),
    ("a/./b/../x.yaml", "a/b/x.yaml"),
    ("...", None),
    ("con<>:|?.yaml", "con_____.yaml"),
    ("x/CON.yaml", "x/_CON.yaml"),
    ("lpt1", "_lpt1"),
])
def test_safe_relative(name, expected):
    got = safe_relative(name)
    assert (got.as_posix() if got else None) == expected


def test_traversal_names_never_leave_the_temp_folder(client, tmp_path, temp_root):
    outside = tmp_path / "outside"
    outside.mkdir()
    names = ["../../x.yaml", "../../../outside/y.yaml", f"{outside}/z.yaml", "..\\..\\w.yaml"]
    answer = client.post("/api/score", files=[text_part(n, GOOD) for n in names])
    body = answer.json()
    assert body["failures"] == [] and len(body["results"]) == 4
    assert list(outside.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outside", "temp"]
    broken = client.post("/api/score", files=[text_part("../../etc/坏.yaml", BROKEN)]).json()
    assert broken["failures"][0]["file"] == "etc/坏.yaml"
    assert broken["failures"][0]["error"].startswith("文件 etc/坏.yaml")
    assert_cleaned(temp_root)


def zip_bytes(members: dict[str, bytes], symlinks: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    return buffer.getvalue()


def test_zip_of_a_folder_scores_each_input(client):
    data = zip_bytes({
        "项目/朝阳/goumai.yaml": GOUMAI.read_bytes(), "项目/zhengti.yaml": ZHENGTI.read_bytes(),
        "项目/说明.txt": b"not an input", "__MACOSX/._goumai.yaml": b"junk", "项目/.hidden.yaml": b"junk",
    })
    body = decimals(client.post("/api/score", files=[("files", ("项目.zip", data))], data={"policy": "liaoning"}).text)
    assert body["failures"] == []
    assert sorted(r["total"] for r in body["results"]) == [Decimal("94.30"), Decimal("98.32")]
    broken = zip_bytes({"a/坏.yaml": BROKEN.encode("utf-8")})
    failure = client.post("/api/score", files=[("files", ("b.zip", broken))]).json()["failures"][0]
    assert failure["file"] == "b.zip/a/坏.yaml" and failure["error"].startswith("文件 b.zip/a/坏.yaml")


def test_zip_members_traversal_symlink_bomb_and_garbage(client, tmp_path, temp_root):
    data = zip_bytes({"../../evil.yaml": GOOD.encode("utf-8"), "/abs/evil2.yaml": GOOD.encode("utf-8")},
                     symlinks={"link.yaml": "/etc/passwd"})
    body = client.post("/api/score", files=[("files", ("x.zip", data))]).json()
    assert sorted(f["file"] for f in body["failures"]) == ["x.zip/link.yaml"]
    assert "符号链接" in body["failures"][0]["error"]
    assert len(body["results"]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["temp"]

    with TestClient(create_app(max_upload=1 * MB, temp_root=temp_root, unzip_limit=2 * MB)) as small:
        bomb = zip_bytes({"a.yaml": b"#" * (3 * MB), "b.yaml": GOOD.encode("utf-8")})
        assert len(bomb) < MB
        answer = small.post("/api/score", files=[("files", ("bomb.zip", bomb))])
        assert answer.status_code == 200
        assert answer.json() == {"results": [], "ignored": [], "failures": [
            {"file": "bomb.zip", "name": "", "unit": "", "error": "文件 bomb.zip: 解压后超过 2 MB 的上限，已拒绝",
             "problems": [{"message": "文件 bomb.zip: 解压后超过 2 MB 的上限，已拒绝", "indicator": "", "field": "", "cell": "", "path": ""}]}]}
    garbage = client.post("/api/score", files=[("files", ("g.zip", b"not a zip"))]).json()
    assert garbage["failures"] == [{"file": "g.zip", "name": "", "unit": "", "error": "文件 g.zip: 不是有效的 zip 压缩包",
             "problems": [{"message": "文件 g.zip: 不是有效的 zip 压缩包", "indicator": "", "field": "", "cell": "", "path": ""}]}]
    empty = client.post("/api/score", files=[("files", ("e.zip", zip_bytes({"readme.txt": b"x"})))])
    assert empty.status_code == 400 and "没有可读取的文件" in empty.json()["error"] and "e.zip/readme.txt" in empty.json()["error"]
    assert_cleaned(temp_root)


def test_corrupt_zip_member_and_name_clash_are_failures(client):
    good = zip_bytes({"a/b.yaml": GOOD.encode("utf-8"), "c.yaml": GOOD.encode("utf-8")})
    corrupt = bytearray(good)
    at = corrupt.index(b"c.yaml") + len("c.yaml")  # the deflated data of c.yaml follows its name
    corrupt[at:at + 20] = b"\xff" * 20
    body = client.post("/api/score", files=[("files", ("z.zip", bytes(corrupt)))]).json()
    assert len(body["results"]) == 1
    assert body["failures"][0]["file"] == "z.zip/c.yaml" and "无法解压" in body["failures"][0]["error"]
    clash = client.post("/api/score", files=[text_part("a.yaml", GOOD), text_part("a.yaml/b.yaml", GOOD)]).json()
    refused = {f["file"]: f["error"] for f in clash["failures"]}
    assert refused["a.yaml/b.yaml"].startswith("文件 a.yaml/b.yaml: 无法保存")
    assert [r["file"] for r in clash["results"]] == ["a.yaml"]


def test_stray_files_are_ignored_and_listed_as_batch_leaves_them(client):
    """A folder as the clerk has it: its rules, its projects, a readme and an old Word file
    (.doc: a .docx or .pdf is read, for the forms among its tables)."""
    folder = SAMPLES / "liaoning_chaoyang_2024"
    members = {f"朝阳/{p.name}": p.read_bytes() for p in sorted(folder.glob("*.yaml"))}
    members |= {"朝阳/readme.txt": b"notes", "朝阳/说明.doc": b"\xd0\xcf\x11\xe0"}
    answer = client.post("/api/score", files=[("files", ("朝阳.zip", zip_bytes(members))), ("files", ("备注.txt", b"x"))])
    body = decimals(answer.text)
    assert body["failures"] == []
    assert sorted(body["ignored"]) == sorted(["朝阳.zip/朝阳/readme.txt", "朝阳.zip/朝阳/说明.doc", "备注.txt"])
    assert len(body["results"]) == len(list(folder.glob("*.yaml"))) - 1  # perfscore.yaml is the rules, not a project
    assert {r["policy"] for r in body["results"]} == {"朝阳.zip/朝阳/perfscore.yaml"}
    only = client.post("/api/score", files=[("files", ("notes.doc", b"hello"))])
    assert only.status_code == 400 and "notes.doc" in only.json()["error"] and ".docx" in only.json()["error"]


def test_zip_names_from_windows_gbk_are_recovered(client):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("abcdefgh.yaml", GOOD.encode("utf-8"))  # 8 bytes, as 培训项目 in GBK
    raw = buffer.getvalue().replace(b"abcdefgh.yaml", "培训项目.yaml".encode("gbk"))
    body = client.post("/api/score", files=[("files", ("w.zip", raw))]).json()
    assert body["failures"] == [] and len(body["results"]) == 1
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("abcd.yaml", BROKEN.encode("utf-8"))
    raw = broken.getvalue().replace(b"abcd.yaml", "坏表.yaml".encode("gbk"))
    failure = client.post("/api/score", files=[("files", ("w.zip", raw))]).json()["failures"][0]
    assert failure["file"] == "w.zip/坏表.yaml"


def test_zip_names_in_utf8_without_the_flag_are_read_as_utf8(client):
    """Linux `zip` writes UTF-8 names without the zip's UTF-8 flag."""
    name = "朝阳/坏表.yaml"
    placeholder = "x" * len(name.encode("utf-8"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(placeholder, BROKEN.encode("utf-8"))
    raw = buffer.getvalue().replace(placeholder.encode(), name.encode("utf-8"))
    assert zipfile.ZipFile(io.BytesIO(raw)).infolist()[0].flag_bits & 0x800 == 0
    failure = client.post("/api/score", files=[("files", ("l.zip", raw))]).json()["failures"][0]
    assert failure["file"] == "l.zip/朝阳/坏表.yaml"


# -- the page and its jobs -------------------------------------------------------------------------------------

def test_page_is_chinese_and_self_contained(client):
    page = client.get("/")
    assert page.status_code == 200
    for term in ("绩效自评表评分", "评分规则", "开始评分", "50 MB", "财预〔2020〕10号通用规则", "辽宁省", "湖北省",
                 "按各文件夹的规则文件", "下载的自评表表样", ".xls", ".ods"):
        assert term in page.text
    import re

    choices = re.findall(r"<option[^>]*>([^<]*)</option>", page.text)
    assert len(choices) >= 4 + 8
    assert [c for c in choices if re.search(r"[A-Za-z]", c)] == []  # a clerk reads no code words
    assert "report.md" not in re.sub(r"<[^>]+>", "", page.text)  # nor a file name for a button
    assert "http://" not in page.text and "https://" not in page.text  # no CDN: works offline
    for asset in ("/static/app.js", "/static/app.css"):
        assert asset in page.text
        assert client.get(asset).status_code == 200
    script = client.get("/static/app.js").text
    for term in ("一级指标", "二级指标", "三级指标", "指标值", "完成值", "完成程度", "分值", "得分", "偏差原因"):
        assert term in script
    assert "innerHTML" not in script  # data goes in as text, never as markup
    style = client.get("/static/app.css").text
    assert "@media print" in style and "#form" in style.split("@media print", 1)[1]  # printing leaves the form out


def test_job_shows_results_findings_and_downloads(client, tmp_path, temp_root):
    sheet = tmp_path / "handed_in.xlsx"
    fill_sheet(score_sheet(read_sheet_file(GOUMAI), load_policy("liaoning")), sheet)
    wb = openpyxl.load_workbook(sheet)
    wb["项目绩效自评表"]["J12"] = 10  # 得分 of 资金使用合规率 printed as 10 instead of 12.5
    wb.save(sheet)
    started = client.post("/api/jobs", files=[part(GOUMAI), part(sheet), text_part("坏.yaml", BROKEN)],
                          data={"policy": "liaoning"})
    assert started.status_code == 202
    job = started.json()["job"]
    status = wait_job(client, job)
    assert (status["done"], status["total"]) == (3, 3)
    by_file = {r["file"]: r for r in status["results"]}
    seed = by_file[GOUMAI.name]
    assert (seed["total"], seed["grade"], seed["execution_rate"], seed["execution_score"]) == ("98.32", "优", "83.16%", "8.32")
    assert [i["name"] for i in seed["indicators"]][0] == "决策咨询建议数量"
    findings = by_file["handed_in.xlsx"]["findings"]
    # the score typed over its formula, and (openpyxl drops every cached value) each formula left uncalculated
    assert {"cell": "J12", "label": "第3个指标「资金使用合规率」得分", "reported": "10", "computed": "12.5"} in findings
    assert any(f["cell"] == "J12" and "公式被改成了数值" in f["label"] for f in findings)
    assert all(f["cell"] == "J12" or "公式没有缓存值" in f["label"] for f in findings)
    assert status["failures"][0]["file"] == "坏.yaml"

    one = client.get(f"/api/jobs/{job}/download/{seed['sheet']}")
    assert one.status_code == 200
    assert 98.32 in [c.value for row in openpyxl.load_workbook(io.BytesIO(one.content), data_only=True).active.iter_rows() for c in row]
    for name in ("summary.xlsx", "report.md", "report.html", "sheets.zip", "batch.zip"):
        got = client.get(f"/api/jobs/{job}/download/{name}")
        assert got.status_code == 200 and got.content, name
    # the batch set is `perfscore batch`'s: the seed and its filled sheet are one project handed
    # in twice, and their contents differ (a typed-over score), so neither is counted
    report = client.get(f"/api/jobs/{job}/download/report.md").text
    assert "与 handed\\_in.xlsx 是同一项目" in report and "重复提交且不一致" in report
    assert client.get(f"/api/jobs/{job}/download/../../etc/passwd").status_code == 404
    assert client.get(f"/api/jobs/{job}/download/nothing.xlsx").status_code == 404
    assert client.delete(f"/api/jobs/{job}").status_code == 204
    gone = client.get(f"/api/jobs/{job}")
    assert gone.status_code == 404 and "已过期" in gone.json()["error"]
    assert_cleaned(temp_root)


def test_job_bad_request_is_answered_at_once(client):
    answer = client.post("/api/jobs", files=[part(GOUMAI)], data={"policy": "nope"})
    assert answer.status_code == 400 and "不是预设" in answer.json()["error"]


def test_serve_warns_for_other_hosts_and_opens_the_browser(monkeypatch, capsys):
    import uvicorn

    import perfscore.web as web

    opened = []

    def fake_run(self):
        self.started = True
        import time

        time.sleep(0.3)

    monkeypatch.setattr(uvicorn.Server, "run", fake_run)
    monkeypatch.setattr(web.webbrowser, "open", lambda url: opened.append(url))
    web.serve("0.0.0.0", 0, True)
    err = capsys.readouterr().err
    assert "警告" in err and "其他电脑" in err
    assert opened == ["http://127.0.0.1:0/"]
    web.serve("127.0.0.1", 0, False)
    assert "警告" not in capsys.readouterr().err


def test_serve_refuses_a_taken_port():
    import socket

    import perfscore.web as web

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SystemExit, match="端口已被占用"):
            web.serve("127.0.0.1", port, False)


def test_other_commands_do_not_import_the_web_stack():
    import subprocess
    import sys

    code = "import sys, perfscore.cli; print(any(m.split('.')[0] in ('starlette', 'uvicorn', 'multipart') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ)
    assert out.stdout.strip() == "False"


def test_on_loopback_only_loopback_host_names_are_served(temp_root):
    from perfscore.web.app import LOOPBACK_NAMES

    with TestClient(create_app(temp_root=temp_root, hosts=LOOPBACK_NAMES), base_url="http://127.0.0.1:8765") as local:
        assert local.get("/").status_code == 200
        assert local.get("/", headers={"host": "localhost:8765"}).status_code == 200
        assert local.get("/", headers={"host": "[::1]:8765"}).status_code == 200
        rebound = local.post("/api/score", files=[part(GOUMAI)], headers={"host": "evil.example:8765"})
        assert rebound.status_code == 400 and "本机地址" in rebound.json()["error"]
    assert_cleaned(temp_root)


def test_a_running_job_reports_progress_and_the_page_keeps_answering(client, monkeypatch):
    import threading

    from perfscore.web import engine

    release, first_done = threading.Event(), threading.Event()
    real = engine.score_files

    def slow(paths, root, policy, progress=None):
        if progress is None:  # /api/score, not the job
            return real(paths, root, policy)

        def step(n):
            progress(n)
            first_done.set()
            release.wait(10)

        return real(paths, root, policy, step)

    monkeypatch.setattr(engine, "score_files", slow)
    started = client.post("/api/jobs", files=[part(GOUMAI), part(ZHENGTI), text_part("c.yaml", GOOD)],
                          data={"policy": "liaoning"}).json()
    assert first_done.wait(10)
    running = client.get(f"/api/jobs/{started['job']}").json()
    assert (running["done"], running["total"], running["finished"]) == (1, 3, False)
    assert "results" not in running
    assert client.get(f"/api/jobs/{started['job']}/download/report.md").status_code == 409
    assert client.get("/").status_code == 200  # the server answers while the job runs
    assert client.post("/api/score", files=[part(GOUMAI)]).status_code == 200
    release.set()
    status = wait_job(client, started["job"])
    assert [r["total"] for r in status["results"]][:1] == ["98.32"] and len(status["results"]) == 3


@pytest.mark.parametrize("folder", sorted(p.name for p in SAMPLES.iterdir() if any(p.glob("*.yaml"))))  # unit folders, not targets/
def test_every_sample_and_its_filled_sheet_come_back_with_the_cli_numbers(client, tmp_path, monkeypatch, folder):
    policy = "liaoning" if folder.startswith("liaoning") else "hubei"
    sources = sorted(p for p in (SAMPLES / folder).glob("*.yaml") if p.name != "perfscore.yaml")
    for path in sources:  # the same projects as handed-in sheets, filled by `perfscore fill`
        (tmp_path / path.name).write_bytes(path.read_bytes())
        assert cli(tmp_path, monkeypatch, "fill", path.name, "-o", f"{path.stem}.xlsx", "--policy", policy).exit_code == 0
    inputs = [tmp_path / p.name for p in sources] + [tmp_path / f"{p.stem}.xlsx" for p in sources]
    body = decimals(client.post("/api/score", files=[part(p) for p in inputs], data={"policy": policy}).text)
    assert body["failures"] == []
    expected = []
    for path in inputs:
        run = cli(tmp_path, monkeypatch, "score", path.name, "--policy", policy, "--format", "json")
        assert run.exit_code == 0, run.stderr
        expected.append(decimals(run.stdout))
    assert [scored_part(r) for r in body["results"]] == expected


@pytest.mark.parametrize("suffix", ["xlsx", "xls", "ods"])
def test_official_forms_come_back_with_the_cli_numbers(client, tmp_path, monkeypatch, suffix):
    """A hand-filled national form, as .xlsx and as LibreOffice's .xls and .ods, posted to
    /api/score gives exactly what `perfscore score` gives for the same file (.xls and .ods
    skip without LibreOffice, which writes them)."""
    from formbuilder import Typing, build, convert, soffice

    if suffix != "xlsx" and not soffice():
        pytest.skip("LibreOffice (soffice) is not installed: no .xls/.ods to post")
    model = read_sheet_file(GOUMAI)
    path = build(tmp_path / "国家表样.xlsx", [(model.name, model)], "national", Typing(numbers=True))
    if suffix != "xlsx":
        [path] = convert([path], suffix, tmp_path / suffix, tmp_path / "lo-profile")
    answer = client.post("/api/score", files=[part(path)], data={"policy": "liaoning"})
    body = decimals(answer.text)
    assert body["failures"] == [], path.name
    [result] = body["results"]
    assert (result["total"], result["grade"]) == (Decimal("98.32"), "优"), path.name
    expected = cli(path.parent, monkeypatch, "score", path.name, "--policy", "liaoning", "--format", "json")
    assert expected.exit_code == 0 and scored_part(result) == decimals(expected.stdout), path.name


def test_an_edited_project_scores_again_exactly_as_the_cli_and_downloads_its_sheet(client, tmp_path, monkeypatch):
    job = client.post("/api/jobs", files=[part(GOUMAI)], data={"policy": "liaoning"}).json()["job"]
    [first] = wait_job(client, job)["results"]
    assert (first["total"], first["policy"], first["index"]) == ("98.32", "辽宁省", 0)
    model = first["model"]
    assert model["indicators"][0]["actual"] == "5 条"
    model["indicators"][0]["actual"] = "2 条"  # 决策咨询建议数量 = 4 条: half done
    w1, w2 = Decimal(model["indicators"][1]["weight"]), Decimal(model["indicators"][2]["weight"])
    model["indicators"][1]["weight"], model["indicators"][2]["weight"] = str(w1 - 2), str(w2 + 2)  # still 100 in all
    answer = client.post(f"/api/jobs/{job}/projects/0/score", json={"model": model})
    assert answer.status_code == 200
    edited = answer.json()
    (tmp_path / "edited.json").write_text(json.dumps(model, ensure_ascii=False), "utf-8")
    expected = decimals(cli(tmp_path, monkeypatch, "score", "edited.json", "--policy", "liaoning", "--format", "json").stdout)
    assert (Decimal(edited["total"]), edited["grade"]) == (expected["total"], expected["grade"])
    assert Decimal(edited["total"]) != Decimal("98.32") and edited["policy"] == "辽宁省"
    assert edited["indicators"][0]["score"] == format(expected["indicators"][0]["score"], "f")

    sheet = client.post(f"/api/jobs/{job}/projects/0/sheet", json={"model": model})
    assert sheet.status_code == 200, sheet.text
    values = [c.value for row in openpyxl.load_workbook(io.BytesIO(sheet.content), data_only=True).active.iter_rows() for c in row]
    assert float(expected["total"]) in values  # float-ok: openpyxl reads numbers as floats
    model["indicators"][0]["actual"] = None
    bad = client.post(f"/api/jobs/{job}/projects/0/score", json={"model": model})
    assert bad.status_code == 400 and "决策咨询建议数量" in bad.json()["error"] and "perfscore-" not in bad.json()["error"]
    assert client.post(f"/api/jobs/{job}/projects/7/score", json={"model": model}).status_code == 404
    assert client.post(f"/api/jobs/{job}/projects/0/score", content=b"{not json").status_code == 400


def test_downloads_in_the_chosen_template(client):
    job = client.post("/api/jobs", files=[part(GOUMAI)], data={"policy": "liaoning"}).json()["job"]
    [result] = wait_job(client, job)["results"]
    own = client.get(f"/api/jobs/{job}/download/{result['sheet']}")
    national = client.get(f"/api/jobs/{job}/download/{result['sheet']}?template=national")
    assert own.status_code == national.status_code == 200 and own.content != national.content
    for answer in (own, national):
        book = openpyxl.load_workbook(io.BytesIO(answer.content), data_only=True)
        assert 98.32 in [c.value for ws in book for row in ws.iter_rows() for c in row]
    bogus = client.get(f"/api/jobs/{job}/download/{result['sheet']}?template=../x")
    assert bogus.status_code == 400 and "表样" in bogus.json()["error"]
