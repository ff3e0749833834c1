"""Uploaded files into a private folder: names that never leave it, zips unpacked safely.

Nothing here reads a sheet: it only turns request parts into files under ``root``
(the engine reads them) and says, in Chinese, what it refused and why.
"""

from __future__ import annotations

import re
import shutil
import stat
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from .engine import INPUT_SUFFIXES, fit_file_name  # what `perfscore batch` reads of a folder; other files are left out, and listed

SUFFIXES_SHOWN = " ".join(sorted(INPUT_SUFFIXES, key=lambda s: (s not in (".xlsx", ".xls"), s)))
MAX_ZIP_MEMBERS = 10_000
CHUNK = 1 << 16
_BAD_CHARS = re.compile(r'[\x00-\x1f\x7f:*?"<>|]')
# names Windows keeps for devices, with any extension: a server on Windows cannot create them
_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


class UploadError(Exception):
    """A request the user must change (one Chinese line); answered with ``status``."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


UNIQUE_RESERVE = 16  # bytes a name keeps free for the （2） … that _unique may add


def safe_relative(name: str) -> Path | None:
    """An uploaded or zipped name as a relative path with no way out of its folder:
    separators of both kinds split, drive letters, '.', '..' and empty parts dropped,
    control and reserved characters replaced. None when nothing is left."""
    text = unicodedata.normalize("NFC", name or "")
    parts = []
    for part in re.split(r"[\\/]+", text):
        if not parts and re.fullmatch(r"[A-Za-z]:", part.strip()):
            continue  # a drive letter, not a folder
        part = _BAD_CHARS.sub("_", part).strip().rstrip(". ")  # Windows drops trailing dots and spaces
        if part.split(".")[0].upper() in _DEVICES:
            part = "_" + part
        if part:  # "", ".", ".." and "..." all end up empty here
            parts.append(fit_file_name(part, reserve=UNIQUE_RESERVE))
    return Path(*parts) if parts else None


def _unique(root: Path, relative: Path) -> Path:
    """``root/relative``, or a sibling （2）, （3） … when that name is taken."""
    target = root / relative
    n = 1
    while target.exists():
        n += 1
        target = root / relative.with_name(f"{relative.stem}（{n}）{relative.suffix}")
    if root.resolve() not in target.resolve().parents:  # belt and braces: never outside root
        raise UploadError(f"文件名「{relative}」不安全")
    return target


@dataclass
class Saved:
    """The inputs saved from one request and what was refused (as failures of the batch)."""

    paths: list[Path] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (file as uploaded, Chinese message)
    ignored: list[str] = field(default_factory=list)  # files of a type perfscore does not read (readme.txt), as uploaded
    budget: list[int] = field(default_factory=lambda: [0])  # bytes all zips of the request may still unpack to


def _copy_limited(src: BinaryIO, target: Path, budget: list[int]) -> bool:
    """Copy at most ``budget[0]`` bytes; False (and nothing left behind) when more came."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "xb") as out:
        while chunk := src.read(CHUNK):
            budget[0] -= len(chunk)
            if budget[0] < 0:
                break
            out.write(chunk)
    if budget[0] < 0:
        target.unlink(missing_ok=True)
        return False
    return True


def _member_name(info: zipfile.ZipInfo) -> str:
    """A member's name as its maker wrote it: by the zip's own UTF-8 flag; without it,
    zipfile decodes the bytes as cp437, so take them back and try UTF-8 (Linux ``zip``,
    macOS), then GBK (Windows' own zip tool in China)."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    for encoding in ("utf-8", "gbk"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


def save_zip(src: BinaryIO, shown: str, root: Path, folder: Path, saved: Saved, unzip_limit: int) -> None:
    """Unpack the input files of a zip into ``root/folder``. Symlinks, encrypted members and
    names that would leave the folder are refused; past ``unzip_limit`` bytes (a zip bomb)
    the whole zip is refused and nothing of it kept."""
    try:
        archive = zipfile.ZipFile(src)
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        saved.refused.append((shown, f"文件 {shown}: 不是有效的 zip 压缩包"))
        return
    if len(members) > MAX_ZIP_MEMBERS:
        saved.refused.append((shown, f"文件 {shown}: 压缩包中有 {len(members)} 个文件，超过 {MAX_ZIP_MEMBERS} 个的上限"))
        return
    budget = saved.budget
    kept: list[Path] = []
    refused: list[tuple[str, str]] = []
    for info in members:
        name = _member_name(info)
        if info.is_dir():
            continue
        relative = safe_relative(name)
        where = f"{shown}/{name}"
        if relative is None or relative.parts[0] == "__MACOSX" or any(p.startswith(".") for p in relative.parts):
            continue
        if relative.suffix.lower() not in INPUT_SUFFIXES:
            saved.ignored.append(where)
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            refused.append((where, f"文件 {where}: 是符号链接，已跳过"))
            continue
        if info.flag_bits & 0x1:
            refused.append((where, f"文件 {where}: 已加密，无法读取"))
            continue
        target = _unique(root, folder / relative)
        try:
            with archive.open(info) as member:
                ok = _copy_limited(member, target, budget)
        except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError, RuntimeError, zlib.error):
            target.unlink(missing_ok=True)
            refused.append((where, f"文件 {where}: 压缩数据损坏或压缩方式不支持，无法解压"))
            continue
        except OSError as exc:  # "a" and "a/b.yaml" in one zip, a full disk
            target.unlink(missing_ok=True)
            refused.append((where, f"文件 {where}: 无法保存（{exc.strerror or type(exc).__name__}）"))
            continue
        if not ok:
            for path in kept:
                path.unlink(missing_ok=True)
            shutil.rmtree(root / folder, ignore_errors=True)
            saved.refused.append((shown, f"文件 {shown}: 解压后超过 {unzip_limit // 1024 // 1024} MB 的上限，已拒绝"))
            return
        kept.append(target)
    saved.paths.extend(kept)
    saved.refused.extend(refused)


def save_upload(src: BinaryIO, filename: str, root: Path, saved: Saved, unzip_limit: int) -> None:
    """One ``files`` part: a sheet or project file saved as is, a .zip unpacked into a folder
    named after it."""
    relative = safe_relative(filename) or Path("未命名文件")
    if relative.suffix.lower() == ".zip":
        save_zip(src, str(relative), root, _unique(root, relative).relative_to(root), saved, unzip_limit)
        return
    if relative.suffix.lower() not in INPUT_SUFFIXES:
        if not any(p.startswith(".") for p in relative.parts):  # .DS_Store and the like: not worth a word
            saved.ignored.append(relative.as_posix())
        return
    try:
        target = _unique(root, relative)
        _copy_limited(src, target, [1 << 62])
    except OSError as exc:  # "a" and "a/b.yaml" in one request: a file where a folder must go
        saved.refused.append((str(relative), f"文件 {relative}: 无法保存（{exc.strerror or type(exc).__name__}）"))
        return
    saved.paths.append(target)
