"""What `perfscore serve` trusts (issue 19): a policy is only the page's choice or a file
uploaded in the same request; messages never name the server's paths; a page of another
origin cannot post; a killed server's uploads go at the next start; a finished job's
downloads stay their hour, bounded by size."""

import io
import json
import time
import zipfile
from decimal import Decimal

import pytest
from click.testing import CliRunner

pytest.importorskip("starlette")
pytest.importorskip("multipart")
from starlette.testclient import TestClient  # noqa: E402

from perfscore.cli import main  # noqa: E402
from perfscore.web import app as web_app  # noqa: E402
from perfscore.web.app import SESSION_PREFIX, create_app  # noqa: E402

from conftest import GOUMAI, QIAOKOU, decimals, part, text_part, wait_job, zip_part  # noqa: E402
# a policy under which 98.32 is 差: if it is ever applied, the grade shows it
HARSH = "preset: default\ngrade_bands: {优: 99.99, 良: 99.98, 中: 99.97}\n"


def goumai_with(line: str) -> str:
    return GOUMAI.read_text("utf-8") + f"\n{line}\n"


def test_a_perfscore_yaml_above_the_temp_folder_never_applies(tmp_path):
    parent = tmp_path / "shared"
    temp_root = parent / "temp"
    temp_root.mkdir(parents=True)
    for folder in (tmp_path, parent, temp_root):
        (folder / "perfscore.yaml").write_text(HARSH, "utf-8")
    with TestClient(create_app(temp_root=temp_root)) as client:
        [result] = decimals(client.post("/api/score", files=[part(GOUMAI)]).text)["results"]
        zipped = decimals(client.post("/api/score", files=[zip_part("朝阳.zip", {"朝阳/a.yaml": GOUMAI.read_bytes()})]).text)
    assert (result["total"], result["grade"], result["policy"]) == (Decimal("98.32"), "优", "财预〔2020〕10号通用规则")
    assert [(r["grade"], r["policy"]) for r in zipped["results"]] == [("优", "财预〔2020〕10号通用规则")]


def test_an_uploaded_folder_policy_applies_to_its_folder_and_is_named_by_its_path(tmp_path, monkeypatch):
    members = {f"桥口区/{p.name}": p.read_bytes() for p in sorted(QIAOKOU.glob("*.yaml"))}
    members["其他/a.yaml"] = GOUMAI.read_bytes()  # beside the folder, not below it: the default
    with TestClient(create_app(temp_root=tmp_path / "temp")) as client:
        body = decimals(client.post("/api/score", files=[zip_part("上传.zip", members)]).text)
    assert body["failures"] == []
    by_file = {r["file"]: r for r in body["results"]}
    assert by_file["上传.zip/其他/a.yaml"]["policy"] == "财预〔2020〕10号通用规则"
    monkeypatch.chdir(QIAOKOU.parent)
    for path in sorted(QIAOKOU.glob("[0-9]*.yaml")):
        result = by_file[f"上传.zip/桥口区/{path.name}"]
        assert result["policy"] == "上传.zip/桥口区/perfscore.yaml"
        expected = decimals(CliRunner().invoke(main, ["score", f"{QIAOKOU.name}/{path.name}", "--format", "json"]).stdout)
        assert (result["total"], result["grade"]) == (expected["total"], expected["grade"]), path.name


def test_a_project_policy_naming_a_server_file_is_refused_alike_whether_it_exists_or_not(tmp_path):
    secret = tmp_path / "server" / "rules.yaml"
    secret.parent.mkdir()
    secret.write_text(HARSH, "utf-8")
    temp_root = tmp_path / "temp"
    specs = [str(secret), str(secret.parent / "missing.yaml"), "../../../../../../etc/passwd", "../../rules.yaml"]
    with TestClient(create_app(temp_root=temp_root)) as client:
        answers = [decimals(client.post("/api/score", files=[text_part("项目.yaml", goumai_with(f"policy: '{spec}'"))]).text)
                   for spec in specs]
        beside = decimals(client.post("/api/score", files=[
            text_part("项目.yaml", goumai_with("policy: rules.yaml")), text_part("rules.yaml", HARSH)]).text)
    messages = []
    for spec, body in zip(specs, answers):
        assert body["results"] == []
        [failure] = body["failures"]
        messages.append(failure["error"].replace(spec, "SPEC"))
        assert failure["error"].startswith("文件 项目.yaml「政府购买法律服务」的评分规则")
        assert str(temp_root) not in failure["error"] and SESSION_PREFIX not in failure["error"]
    assert len(set(messages)) == 1, messages  # nothing tells which server paths exist
    # a policy file uploaded beside the project is its own choice, named by its upload path
    [result] = beside["results"]
    assert (result["grade"], result["policy"]) == ("差", "rules.yaml")


@pytest.mark.parametrize("field,value,label", [
    ("template", "{project: SPEC}", "的表样"), ("report_style", "SPEC", "的文风"),
])
def test_a_policy_file_naming_a_server_file_is_refused_alike(tmp_path, field, value, label):
    server_file = tmp_path / "server" / "style.j2"
    server_file.parent.mkdir()
    server_file.write_text("{{ 1 }}", "utf-8")
    specs = [str(server_file), str(server_file.parent / "missing.j2")]
    answers = []
    with TestClient(create_app(temp_root=tmp_path / "temp")) as client:
        for spec in specs:
            rules = f"preset: default\n{field}: {value.replace('SPEC', repr(spec))}\n"
            chosen = client.post("/api/score", files=[part(GOUMAI), ("policy_file", ("规则.yaml", rules.encode()))])
            folder = client.post("/api/score", files=[zip_part("单位.zip", {
                "单位/perfscore.yaml": rules.encode(), "单位/a.yaml": GOUMAI.read_bytes()})])
            assert chosen.status_code == 400
            answers.append(chosen.json()["error"].replace(spec, "SPEC"))
            [failure] = folder.json()["failures"]
            answers.append(failure["error"].replace(spec, "SPEC"))
    assert answers[0] == answers[2] and answers[1] == answers[3], answers
    assert all(str(tmp_path) not in a and "perfscore-" not in a and label in a for a in answers)


def test_posts_from_another_origin_are_refused(tmp_path):
    temp_root = tmp_path / "temp"
    with TestClient(create_app(temp_root=temp_root), base_url="http://127.0.0.1:8765") as client:
        for origin in ("http://evil.example", "null", "http://127.0.0.1:9999", "https://127.0.0.1:8765.evil.example"):
            answer = client.post("/api/jobs", files=[part(GOUMAI)], headers={"origin": origin})
            assert answer.status_code == 403 and "另一个网页" in answer.json()["error"], origin
            assert client.post("/api/score", files=[part(GOUMAI)], headers={"origin": origin}).status_code == 403
        assert client.app.app.state.jobs.jobs == {}  # nothing was started
        same = client.post("/api/score", files=[part(GOUMAI)], headers={"origin": "http://127.0.0.1:8765"})
        assert same.status_code == 200 and decimals(same.text)["results"][0]["total"] == Decimal("98.32")
        assert client.get("/", headers={"origin": "http://evil.example"}).status_code == 200  # reading the page is harmless


def test_the_folders_a_killed_server_left_are_removed_at_the_next_start(tmp_path):
    temp_root = tmp_path / "temp"
    dead = temp_root / f"{SESSION_PREFIX}dead"
    (dead / "perfscore-web-x" / "in").mkdir(parents=True)
    (dead / "perfscore-web-x" / "in" / "上传.yaml").write_text("kind: project\n", "utf-8")
    (dead / "lock").touch()  # its server died: nobody holds the lock
    old_unlocked = temp_root / f"{SESSION_PREFIX}old"
    old_unlocked.mkdir()  # killed before it took its lock, long ago
    (old_unlocked / "x").touch()
    past = time.time() - 3600
    import os

    os.utime(old_unlocked, (past, past))
    starting = temp_root / f"{SESSION_PREFIX}starting"
    starting.mkdir()  # a server starting this second, not yet locked
    other = temp_root / "someone-else"
    other.mkdir()
    running = create_app(temp_root=temp_root)
    live = running.app.state.settings.session
    assert not dead.exists() and not old_unlocked.exists()
    assert starting.exists() and other.exists() and live.exists()
    create_app(temp_root=temp_root)  # a second server: the first one's folder is locked, so kept
    assert live.exists()
    running.app.state.settings.close()
    assert not live.exists()


def test_finished_downloads_stay_their_hour_bounded_by_size_not_count(tmp_path, monkeypatch):
    with TestClient(create_app(temp_root=tmp_path / "temp")) as client:
        jobs = [client.post("/api/jobs", files=[part(GOUMAI)]).json()["job"] for _ in range(12)]
        for job in jobs:
            wait_job(client, job)
        first = client.get(f"/api/jobs/{jobs[0]}/download/sheets.zip")
        assert first.status_code == 200 and zipfile.ZipFile(io.BytesIO(first.content)).namelist()
        clock = time.time() + web_app.JOB_TTL + 1
        monkeypatch.setattr(web_app.time, "time", lambda: clock)
        client.post("/api/jobs", files=[part(GOUMAI)])
        assert client.get(f"/api/jobs/{jobs[0]}").status_code == 404  # an hour on: gone
    with TestClient(create_app(temp_root=tmp_path / "temp2", keep=1)) as small:
        a = small.post("/api/jobs", files=[part(GOUMAI)]).json()["job"]
        wait_job(small, a)
        assert small.get(f"/api/jobs/{a}/download/summary.xlsx").status_code == 200
        b = small.post("/api/jobs", files=[part(GOUMAI)]).json()["job"]
        wait_job(small, b)
        gone = small.get(f"/api/jobs/{a}")
        assert gone.status_code == 404 and "过期" in gone.json()["error"]  # past the size bound the oldest goes first
