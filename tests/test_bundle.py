"""perfscore bundle: an offline bundle for Windows (and for this machine, which proves that
it installs with --no-index and scores). The bundles need the package index; they are
built once per platform (module fixtures) and skip when pip cannot reach it."""

import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from perfscore import __version__
from perfscore.bundle import LAUNCHER, README, TEMP_PREFIX, WHEELS, launcher_bytes
from perfscore.cli import main

from conftest import GOUMAI, ROOT
THIS_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
BIN = "Scripts" if os.name == "nt" else "bin"
# pip with no configuration and no index: only the bundle's wheels can be installed
OFFLINE = {**{k: v for k, v in os.environ.items() if not k.startswith("PIP_")},
           "PIP_CONFIG_FILE": os.devnull, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


@pytest.fixture(scope="module")
def index_reachable():
    """One quick pip download of a small win_amd64 wheel; skip when it fails."""
    with tempfile.TemporaryDirectory() as dest:
        try:
            done = subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--platform", "win_amd64",
                 "--python-version", "3.12", "--implementation", "cp", "--timeout", "5", "--retries", "0",
                 "--disable-pip-version-check", "--dest", dest, "pyyaml"],
                capture_output=True, timeout=60)
        except subprocess.TimeoutExpired:
            done = None
    if done is None or done.returncode != 0:
        pytest.skip("the package index cannot be reached (pip download failed)")


def _bundle(out: Path, *options: str) -> Path:
    result = CliRunner().invoke(main, ["bundle", "-o", str(out), *options])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return out


@pytest.fixture(scope="module")
def windows_bundle(index_reachable, tmp_path_factory):
    return _bundle(tmp_path_factory.mktemp("win") / "离线包")


@pytest.fixture(scope="module")
def native_bundle(index_reachable, tmp_path_factory):
    """The bundle for this machine and this Python, installed offline in a fresh venv."""
    base = tmp_path_factory.mktemp("native")
    bundle = _bundle(base / "bundle", "--platform", "current", "--python", THIS_PYTHON)
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=OFFLINE)
    install = subprocess.run([str(venv / BIN / "python"), "-m", "pip", "install", "--no-index", "--find-links",
                              str(bundle / WHEELS), "perfscore"], capture_output=True, text=True, env=OFFLINE)
    assert install.returncode == 0, install.stdout + install.stderr
    return bundle, venv


def _tags(name: str) -> tuple[str, str, str, str]:
    """(distribution, python tag, abi tag, platform tag) of a wheel's file name."""
    parts = name[:-len(".whl")].split("-")
    return parts[0].lower(), parts[-3], parts[-2], parts[-1]


@pytest.mark.network
def test_windows_bundle_holds_win_amd64_wheels_for_each_python(windows_bundle):
    wheels = [_tags(p.name) for p in (windows_bundle / WHEELS).glob("*.whl")]
    for dist in ("pydantic_core", "pyyaml", "python_calamine"):
        found = {(py, plat) for name, py, _abi, plat in wheels if name == dist}
        assert found == {("cp311", "win_amd64"), ("cp312", "win_amd64"), ("cp313", "win_amd64")}, dist
    assert ("perfscore", "py3", "none", "any") in wheels
    # nothing built for another platform slipped in
    assert {plat for *_, plat in wheels} <= {"win_amd64", "any"}


def _lines(data: bytes) -> list[str]:
    assert b"\n" not in data.replace(b"\r\n", b"")  # CRLF only: cmd misreads labels after a bare LF
    return data.decode("gbk").split("\r\n")


@pytest.mark.parametrize("offline", [True, False])
def test_the_launcher_makes_a_venv_installs_and_starts_the_page(offline):
    """Both launchers (the bundle's, the source tree's): GBK and CRLF; the venv made only when
    perfscore.exe is not there yet; installed offline from wheels/ (the bundle) or from the
    folder itself; then `perfscore serve`, which opens the browser. Every label jumped to exists."""
    lines = _lines(launcher_bytes(offline))
    venv = "venv" if offline else ".venv"
    assert f'set "VENV=%HERE%{venv}"' in lines
    assert lines.index('if exist "%VENV%\\Scripts\\perfscore.exe" goto run') < lines.index('%PY% -m venv "%VENV%"')
    install = [line for line in lines if "pip install" in line]
    assert len(install) == 1
    if offline:
        assert install[0].endswith(f'pip install --no-index --find-links "%HERE%{WHEELS}" perfscore')
    else:
        assert install[0].endswith('pip install "%HERE%."') and "--no-index" not in install[0]
    assert '"%VENV%\\Scripts\\perfscore.exe" serve' in lines
    # read under another code page than GBK's, no Chinese character's byte becomes | ^ % & < >
    wide = {c for line in lines for c in line if ord(c) > 127}
    assert not {c for c in wide if set(c.encode("gbk")) & set(b"|^%&<>")}
    labels = {line[1:] for line in lines if line.startswith(":")}
    jumps = {line.rsplit("goto ", 1)[1] for line in lines if "goto " in line}
    assert jumps <= labels and {"install", "run", "nopython", "failed"} <= labels


def test_the_launcher_takes_only_a_python_the_wheels_are_for():
    lines = _lines(launcher_bytes(True, amd64=True))
    assert "for %%V in (3.13 3.12 3.11) do (" in lines and '    py -%%V-64 -c pass >nul 2>&1' in lines
    assert any("in [(3, 13), (3, 12), (3, 11)] and sys.maxsize > 2**32" in line for line in lines)
    lines = _lines(launcher_bytes(True, amd64=False, versions=["3.12"]))
    assert "for %%V in (3.12) do (" in lines and '    py -%%V -c pass >nul 2>&1' in lines
    assert any("sys.version_info[:2] in [(3, 12)] else 1)" in line for line in lines)


def test_the_source_tree_carries_its_launcher():
    """The launcher at the top of the code (the zip a clerk downloads) is the generated one."""
    assert (ROOT / LAUNCHER).read_bytes() == launcher_bytes(offline=False)


@pytest.mark.network
def test_windows_bundle_has_the_launcher_and_a_chinese_readme(windows_bundle):
    assert (windows_bundle / LAUNCHER).read_bytes() == launcher_bytes(offline=True)
    readme = (windows_bundle / README).read_bytes()
    assert readme.startswith("\ufeff".encode("utf-8")) and b"\n" not in readme.replace(b"\r\n", b"")
    wheel_count = len(list((windows_bundle / WHEELS).glob("*.whl")))
    text = readme.decode("utf-8-sig")
    assert f"{WHEELS} 文件夹，{wheel_count} 个 .whl 文件" in text and f"双击「{LAUNCHER}」" in text
    assert "Python 3.11、3.12、3.13" in text and "win_amd64" in text
    assert sorted(p.name for p in windows_bundle.iterdir()) == sorted([LAUNCHER, README, WHEELS])


@pytest.mark.network
def test_native_bundle_installs_offline_and_scores_the_sample(native_bundle):
    _, venv = native_bundle
    done = subprocess.run([str(venv / BIN / "perfscore"), "score", str(GOUMAI), "--policy", "liaoning", "--format", "json"],
                          capture_output=True, text=True, env=OFFLINE)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout, parse_float=Decimal)
    assert (data["name"], data["total"], data["grade"]) == ("政府购买法律服务", Decimal("98.32"), "优")


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as wheel:
        return {name: wheel.read(name) for name in wheel.namelist()}


@pytest.mark.network
def test_an_installed_copy_packs_the_same_wheel(native_bundle, tmp_path):
    """The venv's perfscore is an ordinary install (no source tree): its own_wheel packs the
    installed files again, file for file the wheel it was installed from, with a valid RECORD."""
    bundle, venv = native_bundle
    code = "import sys; from pathlib import Path; from perfscore.bundle import own_wheel; print(own_wheel(Path(sys.argv[1])))"
    done = subprocess.run([str(venv / BIN / "python"), "-c", code, str(tmp_path)], capture_output=True, text=True, env=OFFLINE)
    assert done.returncode == 0, done.stderr
    packed = _members(Path(done.stdout.strip()))
    shipped = _members(next((bundle / WHEELS).glob("perfscore-*.whl")))
    info = f"perfscore-{__version__}.dist-info"
    own = {f"{info}/RECORD", f"{info}/WHEEL"}
    assert set(packed) == set(shipped)
    assert {n: d for n, d in packed.items() if n not in own} == {n: d for n, d in shipped.items() if n not in own}
    assert any(n.startswith("perfscore/templates/") and n.endswith(".xlsx") for n in packed)
    record = packed[f"{info}/RECORD"].decode().splitlines()
    for line in record:
        name, digest, size = line.rsplit(",", 2)
        if name.endswith("RECORD"):
            continue
        data = packed[name]
        expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        assert (digest, int(size)) == (f"sha256={expected}", len(data)), name
    assert len(record) == len(packed)


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(TEMP_PREFIX)]


def test_an_existing_file_or_a_folder_with_files_is_never_touched(tmp_path):
    taken = tmp_path / "taken"
    taken.write_text("mine")
    full = tmp_path / "full"
    full.mkdir()
    (full / "a.txt").write_text("mine")
    for out, reason in ((taken, "已有同名文件"), (full, "目录不是空的")):
        result = CliRunner().invoke(main, ["bundle", "-o", str(out)])
        assert result.exit_code == 1
        assert result.output.count("\n") == 1 and reason in result.output and "Traceback" not in result.output
    assert taken.read_text() == "mine" and [p.name for p in full.iterdir()] == ["a.txt"]
    assert _leftovers(tmp_path) == []


def test_a_bad_platform_or_python_is_one_line(tmp_path):
    for options, word in ((["--platform", "Windows 10"], "平台"), (["--python", "3"], "Python 版本")):
        result = CliRunner().invoke(main, ["bundle", "-o", str(tmp_path / "out"), *options])
        assert result.exit_code == 1 and result.output.count("\n") == 1 and word in result.output
    assert list(tmp_path.iterdir()) == []


def test_pip_failing_leaves_no_folder(tmp_path, monkeypatch):
    """No index (as on a machine without the internet): one Chinese line, exit 1, and
    neither OUTDIR nor anything aside."""
    for key in [k for k in os.environ if k.startswith("PIP_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    result = CliRunner().invoke(main, ["bundle", "-o", str(tmp_path / "out")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    last = result.output.strip().splitlines()[-1]
    assert "失败" in last and "软件包索引" in last
    assert list(tmp_path.iterdir()) == []
