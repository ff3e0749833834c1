"""An offline bundle for a machine without the internet (``perfscore bundle``).

OUTDIR holds ``wheels/`` (perfscore's own wheel and every runtime dependency's wheel for
one platform and each Python version asked for, fetched by ``pip download --platform
--python-version --only-binary=:all:``), the launcher ``启动perfscore.bat`` (CRLF, GBK:
it makes a venv in OUTDIR on first run, installs with ``--no-index --find-links wheels``
and starts ``perfscore serve``) and a Chinese README.txt.

perfscore's own wheel: an editable install (PEP 610 ``direct_url.json``) is built from its
source tree with ``pip wheel --no-deps``; an ordinary installed copy is packed again from
the files its RECORD lists (perfscore is pure Python, so the copy is the wheel).

Everything is written in a sibling folder ``.perfscore-tmp-bundle-<name>.<pid>`` and renamed
to OUTDIR at the end: a failed run leaves no OUTDIR and nothing aside.

pip evaluates environment markers on the machine that runs it, not on the target: a
dependency needed only on the target platform would be missed (none is today; the
launcher's ``--no-index`` install would then fail loudly, never install half).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from .errors import DownloadError, InputError, OutputError, printable
from .writing import TEMP_PREFIX, os_reason

if TYPE_CHECKING:
    from importlib import metadata

# subprocess, zipfile, urllib, importlib.metadata … are imported where used: `import
# perfscore.api` (every command) does not pay for them.

PYTHONS = ("3.11", "3.12", "3.13")
DEFAULT_PLATFORM = "win_amd64"
CURRENT = "current"  # no --platform: this machine's own tags
LAUNCHER = "启动perfscore.bat"
README = "README.txt"
WHEELS = "wheels"
VENV = "venv"  # made by the launcher inside the bundle

_PLATFORM = re.compile(r"^[a-z0-9_.]+$")
_PYTHON = re.compile(r"^3\.[0-9]{1,2}$")
_SKIPPED_INFO = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json", "WHEEL"}


@dataclass(frozen=True)
class Bundle:
    """A written bundle: its folder, the wheels' file names and the total size in bytes."""

    path: Path
    wheels: tuple[str, ...]
    size: int


def write_bundle(output: Path | str, platform: str = DEFAULT_PLATFORM, pythons: Iterable[str] | None = None,
                 on_step: Callable[[str], None] | None = None) -> Bundle:
    """Write the offline bundle for ``platform`` (a wheel platform tag such as win_amd64, or
    ``current`` for this machine) and ``pythons`` (default 3.11, 3.12, 3.13) to ``output``,
    which must not exist or be an empty folder. ``on_step`` hears one Chinese line per
    step. Raises InputError (bad platform or version), OutputError (OUTDIR) or
    DownloadError (pip)."""
    output = Path(output)
    versions = tuple(pythons or PYTHONS)
    _check_target(platform, versions)
    _check_output(output)
    step = on_step or (lambda _line: None)
    aside = output.parent / f"{TEMP_PREFIX}bundle-{output.name}.{os.getpid()}"
    try:
        shutil.rmtree(aside, ignore_errors=True)
        wheels = aside / WHEELS
        try:
            wheels.mkdir(parents=True)
        except OSError as exc:
            raise OutputError(f"无法写入 {printable(output)}: {os_reason(exc)}") from None
        step("正在生成 perfscore 自身的 wheel")
        own = own_wheel(wheels)
        for version in versions:
            target = "本机" if platform == CURRENT else platform
            step(f"正在下载依赖包（{target}，Python {version}）")
            _download(own, wheels, platform, version)
        names = tuple(sorted(p.name for p in wheels.iterdir() if p.suffix == ".whl"))
        _write(aside / LAUNCHER, launcher_bytes(True, platform == DEFAULT_PLATFORM, versions))
        _write(aside / README, readme_text(platform, versions, len(names)).replace("\n", "\r\n").encode("utf-8-sig"))
        size = sum(p.stat().st_size for p in aside.rglob("*") if p.is_file())
        _check_output(output)
        try:
            if output.is_dir():
                output.rmdir()  # empty (checked): the bundle takes its place
            os.rename(aside, output)
        except OSError as exc:
            raise OutputError(f"无法写入 {printable(output)}: {os_reason(exc)}") from None
    finally:
        shutil.rmtree(aside, ignore_errors=True)
    return Bundle(output, names, size)


def _check_target(platform: str, versions: tuple[str, ...]) -> None:
    if not _PLATFORM.match(platform):
        raise InputError(f"平台「{printable(platform)}」无效：应为 wheel 的平台标签，如 win_amd64、win32，或 {CURRENT}（本机）")
    for version in versions:
        if not _PYTHON.match(version):
            raise InputError(f"Python 版本「{printable(version)}」无效：应如 3.12")


def _check_output(output: Path) -> None:
    if output.is_symlink() or (output.exists() and not output.is_dir()):
        raise OutputError(f"无法写入 {printable(output)}: 已有同名文件，不会覆盖（请给出一个不存在的目录或空目录）")
    if output.is_dir():
        try:
            entries = os.listdir(output)
        except OSError as exc:
            raise OutputError(f"无法写入 {printable(output)}: {os_reason(exc)}") from None
        if entries:
            raise OutputError(f"无法写入 {printable(output)}: 目录不是空的（请给出一个不存在的目录或空目录）")
    elif not output.parent.is_dir():
        raise OutputError(f"无法写入 {printable(output)}: 上级目录 {printable(output.parent)} 不存在")


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise OutputError(f"无法写入 {printable(path)}: {os_reason(exc)}") from None


def _pip(args: list[str], what: str) -> None:
    """Run pip of this interpreter; a failure is one Chinese line with pip's last error."""
    import importlib.util
    import subprocess

    if importlib.util.find_spec("pip") is None:
        raise DownloadError(f"{what}时失败：当前 Python 环境没有 pip（{printable(sys.executable)}）")
    command = [sys.executable, "-m", "pip", *args, "--disable-pip-version-check", "--no-input"]
    try:
        done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              encoding="utf-8", errors="replace")
    except OSError as exc:
        raise DownloadError(f"{what}时失败：无法运行 pip（{os_reason(exc)}）") from None
    if done.returncode != 0:
        lines = [line.strip() for line in (done.stderr + "\n" + done.stdout).splitlines() if line.strip()]
        errors = [line for line in lines if line.startswith("ERROR")] or lines[-1:]
        detail = f"；pip: {printable(errors[0])[:300]}" if errors else ""
        raise DownloadError(f"{what}时失败（请检查这台电脑能否访问软件包索引）{detail}")


def _download(own: Path, wheels: Path, platform: str, version: str) -> None:
    args = ["download", "--dest", str(wheels), "--find-links", str(wheels), "--only-binary=:all:",
            "--implementation", "cp", "--python-version", version]
    if platform != CURRENT:
        args += ["--platform", platform]
    target = "本机" if platform == CURRENT else platform
    _pip([*args, str(own)], f"下载依赖包（{target}，Python {version}）")


def own_wheel(dest: Path) -> Path:
    """perfscore's own wheel in ``dest``: built from the source tree of an editable install,
    else packed from the installed copy's files. Returns the wheel's path."""
    from importlib import metadata

    try:
        dist = metadata.distribution("perfscore")
    except metadata.PackageNotFoundError:
        raise DownloadError("生成 perfscore 的 wheel 失败：perfscore 没有安装（请用 pip install 安装后再运行）") from None
    source = _editable_source(dist)
    if source is not None:
        return _built_wheel(source, dest)
    return _packed_wheel(dist, dest)


def _editable_source(dist: metadata.Distribution) -> Path | None:
    import json
    from urllib.parse import urlparse
    from urllib.request import url2pathname

    try:
        info = json.loads(dist.read_text("direct_url.json") or "{}")
    except ValueError:
        return None
    url = urlparse(info.get("url", ""))
    if not info.get("dir_info", {}).get("editable") or url.scheme != "file":
        return None
    return Path(url2pathname(url.path))  # file:///C:/x is C:\x on Windows


def _built_wheel(source: Path, dest: Path) -> Path:
    """The wheel built by pip from a copy of the source tree (setuptools' build/ in the tree
    itself would keep deleted modules and put them into later wheels)."""
    import tempfile

    what = f"由源代码 {printable(source)} 生成 perfscore 的 wheel"
    with tempfile.TemporaryDirectory(prefix=TEMP_PREFIX) as work:
        tree, built = Path(work) / "source", Path(work) / "wheel"
        try:
            shutil.copytree(source, tree, symlinks=True, ignore=_not_source)
        except OSError as exc:
            raise DownloadError(f"{what}时失败：{os_reason(exc)}") from None
        _pip(["wheel", "--no-deps", "--wheel-dir", str(built), str(tree)], what)
        made = sorted(built.glob("perfscore-*.whl"))
        if not made:
            raise DownloadError(f"由源代码 {printable(source)} 生成 perfscore 的 wheel 失败：pip 没有生成 wheel")
        return Path(shutil.move(str(made[0]), dest / made[0].name))


def _not_source(folder: str, names: list[str]) -> set[str]:
    """What a wheel is never built from: hidden folders (.git, .venv), build output, caches."""
    return {n for n in names if n.startswith(".") or n in ("build", "dist", "__pycache__") or n.endswith(".egg-info")}


def _packed_wheel(dist: metadata.Distribution, dest: Path) -> Path:
    """The installed files of ``dist`` (its package and its .dist-info, no caches, no
    install records) as a py3-none-any wheel with a new WHEEL and RECORD."""
    import zipfile

    name, version = dist.metadata["Name"].replace("-", "_"), dist.version
    info = f"{name}-{version}.dist-info"
    files = []
    for item in dist.files or []:
        parts = item.parts
        if not parts or parts[0] not in ("perfscore", info) or "__pycache__" in parts or item.suffix == ".pyc":
            continue
        if parts[0] == info and len(parts) == 2 and parts[1] in _SKIPPED_INFO:
            continue
        files.append((item.as_posix(), Path(item.locate()).read_bytes()))
    if not any(path.startswith("perfscore/") for path, _ in files):
        raise DownloadError("生成 perfscore 的 wheel 失败：找不到已安装的 perfscore 文件（安装记录 RECORD 不全）")
    files.append((f"{info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: perfscore bundle\nRoot-Is-Purelib: true\nTag: py3-none-any\n"))
    record = [f"{path},sha256={_digest(data)},{len(data)}" for path, data in files] + [f"{info}/RECORD,,"]
    files.append((f"{info}/RECORD", ("\n".join(record) + "\n").encode("utf-8")))
    path = dest / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as wheel:
        for member, data in sorted(files, key=lambda f: (f[0].startswith(info), f[0])):
            wheel.writestr(zipfile.ZipInfo(member, (1980, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return path


def _digest(data: bytes) -> str:
    import base64
    import hashlib

    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")


SOURCE_LAUNCHER_VENV = ".venv"  # the launcher at the top of the source tree, like the README's commands


def launcher_text(offline: bool = True, amd64: bool = True, versions: Iterable[str] = PYTHONS) -> str:
    """The Windows launcher (GBK when written; only the messages are Chinese). ``offline``:
    the bundle's, installing from its wheels with ``--no-index``; else the source tree's
    (the top folder of the code's zip), installing that folder from the package index.
    No parenthesised block holds a path, so a folder such as ``新建文件夹 (2)`` is safe.
    ``amd64``: only a 64-bit Python is taken (the wheels are win_amd64); ``versions``: the
    Pythons the wheels are for, the newest tried first."""
    tag, bits, word = ("-64", " and sys.maxsize > 2**32", "64 位的 ") if amd64 else ("", "", "")
    newest = sorted(set(versions), key=lambda v: tuple(map(int, v.split("."))), reverse=True)
    pairs = ", ".join(f"({v.replace('.', ', ')})" for v in newest)
    names = "、".join(reversed(newest[1:])) + f" 或 {newest[0]}" if len(newest) > 1 else newest[0]
    if offline:
        venv, source = VENV, f"{WHEELS} folder without the internet"
        install = f'"%VENV%\\Scripts\\python.exe" -m pip install --no-index --find-links "%HERE%{WHEELS}" perfscore'
        first = "第一次运行：正在建立 Python 环境并安装 perfscore（不需要联网，约 1 到 2 分钟）……"
    else:
        venv, source = SOURCE_LAUNCHER_VENV, "package index (this needs the internet once)"
        install = '"%VENV%\\Scripts\\python.exe" -m pip install "%HERE%."'
        first = "第一次运行：正在建立 Python 环境并从网上安装 perfscore 用到的软件包（需要联网，约 2 到 5 分钟）……"
    return rf"""@echo off
setlocal
rem perfscore launcher: the first run makes a Python environment ({venv}) in this folder and
rem installs perfscore from the {source}; every run starts the page.
title perfscore 绩效自评表评分
set "HERE=%~dp0"
set "VENV=%HERE%{venv}"
if exist "%VENV%\Scripts\perfscore.exe" goto run

set "PY="
for %%V in ({" ".join(newest)}) do (
  if not defined PY (
    py -%%V{tag} -c pass >nul 2>&1
    if not errorlevel 1 set "PY=py -%%V{tag}"
  )
)
if defined PY goto install
python -c "import sys; sys.exit(0 if sys.version_info[:2] in [{pairs}]{bits} else 1)" >nul 2>&1
if errorlevel 1 goto nopython
set "PY=python"

:install
echo {first}
%PY% -m venv "%VENV%"
if errorlevel 1 goto failed
{install}
if errorlevel 1 goto failed

:run
echo 正在启动 perfscore 网页，浏览器会自动打开（没有打开时请访问 http://127.0.0.1:8765 ）。
echo 用完后关闭这个窗口即停止。
"%VENV%\Scripts\perfscore.exe" serve
if errorlevel 1 pause
exit /b 0

:nopython
echo 没有找到 {word}Python {names}。请先安装 Python（见 README），再双击本文件。
pause
exit /b 1

:failed
echo 安装没有完成，原因见上面的信息。可删除本文件夹中的 {venv} 文件夹后再双击重试；
echo 仍不成功时，请把这个窗口截图发给技术人员。
pause
exit /b 1
"""


def launcher_bytes(offline: bool = True, amd64: bool = True, versions: Iterable[str] = PYTHONS) -> bytes:
    """The launcher as written: CRLF line ends (cmd misreads labels after bare LFs), GBK."""
    return launcher_text(offline, amd64, versions).replace("\n", "\r\n").encode("gbk")


def readme_text(platform: str, versions: Iterable[str], wheel_count: int) -> str:
    """The bundle's README.txt (Chinese; written as UTF-8 with BOM so Notepad reads it)."""
    from . import __version__

    pythons = "、".join(versions)
    target = "本机平台" if platform == CURRENT else platform
    bits, installer = ("64 位的 ", "Windows installer (64-bit)") if platform == DEFAULT_PLATFORM else ("", "Windows installer")
    return f"""perfscore {__version__} 离线安装包（{target}，Python {pythons}）

这个文件夹里有 perfscore 和它用到的全部软件包（{WHEELS} 文件夹，{wheel_count} 个 .whl 文件）。
安装和使用都不需要连接互联网，适合不能上网的单位内网电脑。

一、先安装 Python
  需要 {bits}Python {pythons} 之一。没有的话，在能上网的电脑上从 python.org 下载
  “{installer}”，用 U 盘拷到这台电脑上安装（勾选 “Add python.exe to PATH”）。

二、使用
  1. 把整个文件夹复制到这台电脑上（例如桌面），不要只复制其中的某个文件。
  2. 双击「{LAUNCHER}」。第一次运行会在本文件夹中建立 {VENV} 文件夹并安装 perfscore，
     约需 1 到 2 分钟；以后每次双击直接启动。
  3. 浏览器会自动打开评分网页；没有打开时，在浏览器地址栏输入 http://127.0.0.1:8765 。
     网页只在本机打开，文件不会发到别处。用完后关闭黑色的命令窗口即停止。

三、常见问题
  - 提示“Windows 已保护你的电脑”：点“更多信息”，再点“仍要运行”。
  - 提示没有找到 Python：见第一条；装好后重新双击。
  - 安装没有完成：删除本文件夹中的 {VENV} 文件夹后再双击；仍不成功时把窗口截图发给技术人员。
  - 想用命令行：在本文件夹中打开命令提示符 (cmd)，运行 {VENV}\\Scripts\\perfscore --help 。
  - 不是 Windows 的电脑：在本文件夹中运行
      python3 -m venv {VENV}
      {VENV}/bin/pip install --no-index --find-links {WHEELS} perfscore
      {VENV}/bin/perfscore serve

四、本文件夹的内容
  {LAUNCHER}    双击启动（第一次运行时安装）
  {README}            本说明
  {WHEELS}\\             安装用的软件包，不要删除或改名
"""
