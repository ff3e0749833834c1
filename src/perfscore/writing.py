"""Writing outputs so that nothing is lost: a temporary file in the target directory,
fsync, then ``os.replace`` — readers see the old file or the new one, never half of
one. Temporary files carry ``TEMP_PREFIX`` so a later batch run can clean up after a
killed one."""

from __future__ import annotations

import errno
import os
import re
import tempfile
import unicodedata
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

from .errors import OutputError

TEMP_PREFIX = ".perfscore-tmp-"
NAME_LIMIT = 60  # characters of a project name kept in a file name (3 bytes each in UTF-8)

_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def safe_file_name(name: str) -> str:
    """A project name as a file name: no separators, no traversal, no control characters."""
    text = unicodedata.normalize("NFC", name)
    text = _UNSAFE.sub("_", text)
    text = re.sub(r"\.{2,}", ".", text).strip(" ._")
    text = text[:NAME_LIMIT].rstrip(" .")
    return text or "未命名项目"


def numbered_names(bases: list[str], suffix: str = ".xlsx") -> list[str]:
    """One file name per base, in order; clashes get （2）, （3） … (case-insensitive)."""
    taken: set[str] = set()
    names = []
    for base in bases:
        candidate, n = f"{base}{suffix}", 1
        while candidate.casefold() in taken:
            n += 1
            candidate = f"{base}（{n}）{suffix}"
        taken.add(candidate.casefold())
        names.append(candidate)
    return names


def _reason(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "磁盘已满"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "没有写入权限"
    if exc.errno == errno.EROFS:
        return "没有写入权限（只读文件系统）"
    if exc.errno == errno.ENOENT:
        return "目录不存在"
    if exc.errno == errno.EISDIR:
        return "已有同名目录"
    if exc.errno == errno.ENOTDIR:
        return "上级路径不是目录"
    return exc.strerror or str(exc)


def _new_file_mode(path: Path) -> int:
    """Keep an existing file's mode; a new file gets 0666 less the umask (mkstemp's 0600
    would hide the report from colleagues on a shared folder)."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        pass
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o644


@contextmanager
def atomic_file(path: Path) -> Iterator[IO[bytes]]:
    """A binary file that replaces ``path`` when the block ends without error; on any
    error the temporary file is removed, and OS errors become ``OutputError``."""
    path = Path(path)
    try:
        fd, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
    except OSError as exc:
        raise OutputError(f"无法写入 {path}: {_reason(exc)}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(temp, _new_file_mode(path))
        os.replace(temp, path)
    except BaseException as exc:
        try:
            os.unlink(temp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise OutputError(f"无法写入 {path}: {_reason(exc)}") from None
        raise
    try:  # make the rename itself durable; not every file system allows it
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (readers see the old file or the new one)."""
    with atomic_file(path) as fh:
        fh.write(data)
