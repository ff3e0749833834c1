"""api.score_bytes: a file's content scored in memory, with no disk access."""

import builtins
import io
import os
from contextlib import contextmanager
from pathlib import Path

import pytest

from perfscore import api
from perfscore.errors import Failure
from perfscore.policy import load_policy, preset_policy
from perfscore.projectfile import read_sheet_file

from conftest import CHAOYANG, FLAT, GOUMAI, QIAOKOU, ROOT
from formbuilder import build

BAD = ROOT / "tests" / "bad_inputs"


def figures(items):
    return [(x.source, x.name, x.total, x.grade) if not isinstance(x, Failure) else ("失败", x.source, x.problems)
            for x in items]


PACKAGE = Path(api.__file__).resolve().parent
OWN = (str(PACKAGE), str(PACKAGE.parents[1] / "templates"))  # perfscore's presets, provinces and 表样 (an editable install's)


@contextmanager
def no_disk():
    """Within the block, opening, reading, listing or stat-ing any file fails (and is
    recorded), except perfscore's own shipped resources, which every command reads live."""
    seen = []

    def guard(original):
        def checked(*args, **kwargs):
            target = args[0] if args else None
            if isinstance(target, (str, os.PathLike)):
                where = os.path.abspath(os.fspath(target))
                if where.startswith(OWN) or any(own.startswith(where.rstrip(os.sep) + os.sep) for own in OWN):
                    return original(*args, **kwargs)  # in perfscore's resources, or a folder above them (realpath)
            seen.append(target)
            raise AssertionError(f"disk access: {target!r}")
        return checked

    with pytest.MonkeyPatch.context() as monkeypatch:
        for owner, name in [(builtins, "open"), (io, "open"), (os, "open"), (os, "stat"), (os, "lstat"), (os, "scandir"),
                            (os, "listdir"), (Path, "read_bytes"), (Path, "read_text"), (Path, "open"), (Path, "stat")]:
            monkeypatch.setattr(owner, name, guard(getattr(owner, name)))
        yield seen
    assert seen == []


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Inputs of every kind: project files, a filled sheet, a flat workbook, an official form."""
    root = tmp_path_factory.mktemp("bytes")
    filled, failures = api.fill_files([GOUMAI], root / "goumai.xlsx", load_policy("liaoning"))
    assert not failures
    form = build(root / "form.xlsx", [(GOUMAI.stem, read_sheet_file(GOUMAI))], "liaoning")
    return [*sorted(CHAOYANG.glob("[!p]*.yaml")), *filled, FLAT, form]


def test_bytes_score_as_the_files_do_without_touching_the_disk(files):
    rules = preset_policy("liaoning")
    want = [figures(api.score_files([path], rules)[0]) for path in files]
    held = [(str(path), path.read_bytes()) for path in files]
    api.score_bytes(*held[0], policy=rules)  # the process's first call loads perfscore's own presets and templates
    api.score_bytes(*held[-1], policy=rules)
    api.score_bytes(*held[-2], policy=rules)
    with no_disk():
        got = [figures(api.score_bytes(name, data, policy=rules)) for name, data in held]
    assert got == want
    goumai = [row for rows in got for row in rows if row[1] == "政府购买法律服务"]
    assert {(str(row[2]), row[3]) for row in goumai} == {("98.32", "优")}
    assert len(goumai) == 3  # the project file, its filled sheet, its form


def test_a_preset_by_name_and_the_sheets_own_policy():
    data = GOUMAI.read_bytes()
    api.score_bytes("warm.yaml", data)
    with no_disk():
        [named] = api.score_bytes("a/goumai.yaml", data, policy="liaoning")
        [default] = api.score_bytes("a/goumai.yaml", data)  # no folder: no perfscore.yaml applies
        own = api.score_bytes("a/goumai.yaml", data.replace(b"kind: project", b"kind: project\npolicy: liaoning", 1))
        [unknown] = api.score_bytes("a/goumai.yaml", data, policy="rules.yaml")
        [file_named] = api.score_bytes("a/goumai.yaml", data.replace(b"kind: project", b"kind: project\npolicy: rules.yaml", 1))
    assert (named.source, named.policy, str(named.total), named.grade) == ("a/goumai.yaml", "liaoning", "98.32", "优")
    assert default.policy == "default" and own[0].policy == "liaoning"
    assert isinstance(unknown, Failure) and "rules.yaml" in unknown.problems[0].message
    assert isinstance(file_named, Failure) and "rules.yaml" in file_named.problems[0].message
    assert file_named.problems[0].message.startswith("文件 a/goumai.yaml")


def test_bad_content_is_its_failure_as_from_a_file():
    for path in sorted(BAD.iterdir()):
        if path.name == "expected.yaml" or not path.is_file():
            continue
        from_file = api.score_files([path])
        want = [(x.source, [p.message for p in x.problems]) for x in from_file[1]]
        got = [(x.source, [p.message for p in x.problems]) for x in api.score_bytes(str(path), path.read_bytes())
               if isinstance(x, Failure)]
        assert got == want, path.name
        assert len(from_file[0]) == len(api.score_bytes(str(path), path.read_bytes())) - len(got), path.name


def test_too_large_content_is_refused():
    [failure] = api.score_bytes("big.yaml", b"#" * (50 * 1024 * 1024 + 1))
    assert isinstance(failure, Failure) and "大小超过上限" in failure.problems[0].message
    [failure] = api.score_bytes("big.xlsx", b"PK\x03\x04" + b"\0" * (50 * 1024 * 1024))
    assert isinstance(failure, Failure) and "big.xlsx" in failure.problems[0].message


def test_the_dask_example_gives_the_batch_results(tmp_path, monkeypatch, capsys):
    pytest.importorskip("dask.bag")
    import re

    from perfscore.batch import run_batch

    [example] = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "dask.md").read_text(encoding="utf-8"), re.S)
    monkeypatch.chdir(ROOT)  # the example names the sample folder from the repository
    namespace: dict = {}
    exec(compile(example, "docs/dask.md", "exec"), namespace)  # runs it on the 朝阳 samples, local processes
    printed = capsys.readouterr().out
    outcome = run_batch([Path("samples/liaoning_chaoyang_2024")], tmp_path / "out", load_policy("liaoning"), jobs=1)
    want = [(d.source, d.name, d.total, d.grade) for d in outcome.results]
    got = sorted((r.source, r.name, r.total, r.grade) for r in namespace["results"])
    assert got == sorted(want) and len(got) == 5 and not namespace["failures"] and not outcome.failures
    assert "samples/liaoning_chaoyang_2024/zhengfu_goumai_falv_fuwu.yaml 政府购买法律服务 98.32 优" in printed
    # another folder, its own rules, the threaded scheduler
    results, failures = namespace["score_folder"](QIAOKOU, "hubei", scheduler="threads")
    outcome = run_batch([QIAOKOU], tmp_path / "hubei", load_policy("hubei"), jobs=1)
    assert sorted((r.source, r.name, r.total, r.grade) for r in results) == sorted(
        (d.source, d.name, d.total, d.grade) for d in outcome.results)
    assert [f.source for f in failures] == [f.source for f in outcome.failures]
