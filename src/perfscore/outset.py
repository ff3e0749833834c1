"""An output folder that always holds one run's complete set.

A batch builds its whole set (summary.xlsx, summary.sqlite, report.md, report.html, sheets/) in a sibling
folder ``.perfscore-tmp-set-<name>.<pid>`` and, once every file is written and synced
(one pass for the set), swaps it with OUTDIR in a single atomic exchange
(``renameat2(RENAME_EXCHANGE)``; where that is unavailable, two renames). The previous set
then sits in the sibling folder and is removed. A run that fails or is killed before the
swap leaves OUTDIR as it was; whatever it left aside is removed by the next run.

A lock (``.<name>.perfscore-lock`` beside OUTDIR, held with ``flock``) keeps a second run off
the same OUTDIR; the kernel drops it when its process dies, so a stale lock is simply taken
over. OUTDIR itself may only hold an earlier set: nothing of the user's is ever moved or removed.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import shutil
import time
from pathlib import Path

from .errors import OutputError, printable
from .writing import TEMP_PREFIX, os_reason

SET_FILES = ("summary.xlsx", "summary.sqlite", "report.md", "report.html", "report.docx")
SHEETS = "sheets"
_SET_PREFIX = f"{TEMP_PREFIX}set-"


def _aside_dirs(parent: Path, name: str):
    """Sets left aside by earlier runs on OUTDIR ``name`` (``.perfscore-tmp-set-<name>.<pid>``)."""
    head = f"{_SET_PREFIX}{name}."
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(head) and entry.name[len(head):].isdigit():
            yield Path(entry.path)


def foreign_entry(outdir: Path) -> str | None:
    """The first entry of ``outdir`` that is not part of a perfscore output set (None if none)."""
    try:
        entries = sorted(os.scandir(outdir), key=lambda e: e.name)
    except FileNotFoundError:
        return None
    for entry in entries:
        if entry.name.startswith(TEMP_PREFIX) or (entry.name in SET_FILES and entry.is_file(follow_symlinks=False)):
            continue
        if entry.name == SHEETS and entry.is_dir(follow_symlinks=False):
            for sheet in os.scandir(entry.path):
                if not (sheet.is_file(follow_symlinks=False)
                        and (sheet.name.endswith(".xlsx") or sheet.name.startswith(TEMP_PREFIX))):
                    return f"{SHEETS}/{sheet.name}"
            continue
        return entry.name
    return None


class OutputSet:
    """``with OutputSet(outdir) as out:`` write into ``out.aside`` (and ``out.sheets``), then
    ``out.commit()``; leaving the block without a commit discards the new set."""

    def __init__(self, outdir: Path | str, sheets: bool = False):
        # a link to a folder: the set is swapped in where it points, the link stays
        self.outdir = Path(os.path.realpath(outdir) if os.path.islink(outdir) else os.path.abspath(outdir))
        self.want_sheets = sheets
        self.parent = self.outdir.parent
        self.name = self.outdir.name
        self.aside = self.parent / f"{_SET_PREFIX}{self.name}.{os.getpid()}"
        self.lock_path = self.parent / f".{self.name}.perfscore-lock"
        self._lock_fd: int | None = None
        self.committed = False

    @property
    def sheets(self) -> Path | None:
        return self.aside / SHEETS if self.want_sheets else None

    # -- lock --------------------------------------------------------------------------

    def _lock(self) -> None:
        for _ in range(10):
            try:
                fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as exc:
                raise OutputError(f"无法在 {printable(self.parent)} 中创建输出目录的锁文件: {os_reason(exc)}") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
                os.close(fd)
                if exc.errno in (errno.EWOULDBLOCK, errno.EACCES):
                    who = f"（进程 {holder}）" if holder.isdigit() else ""
                    raise OutputError(
                        f"输出目录 {printable(self.outdir)} 正被另一个 perfscore batch{who}使用：请等它结束，或换一个输出目录"
                    ) from None
                raise OutputError(f"无法锁定输出目录 {printable(self.outdir)}: {os_reason(exc)}") from None
            try:  # the file may have been unlinked by its last holder between our open and flock
                same = os.fstat(fd).st_ino == os.stat(self.lock_path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                os.ftruncate(fd, 0)
                os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
                self._lock_fd = fd
                return
            os.close(fd)
        raise OutputError(f"无法锁定输出目录 {printable(self.outdir)}")

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            try:
                os.unlink(self.lock_path)
            except OSError:
                pass
            os.close(self._lock_fd)
            self._lock_fd = None

    # -- the set -----------------------------------------------------------------------

    def __enter__(self) -> "OutputSet":
        shown = printable(self.outdir)
        if self.outdir == Path(os.path.realpath(os.getcwd())) or self.outdir in Path(os.getcwd()).resolve().parents:
            raise OutputError(f"输出目录 {shown} 是当前目录（或它的上级）：请用一个子目录，如 -o out")
        if self.outdir.exists() and not self.outdir.is_dir():
            raise OutputError(f"无法创建输出目录 {shown}: 已有同名文件")
        try:
            self.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"无法创建输出目录 {shown}: {os_reason(exc)}") from None
        self._lock()
        try:
            foreign = foreign_entry(self.outdir)
            if foreign is not None:
                raise OutputError(
                    f"输出目录 {shown} 中有不是 perfscore 输出的「{printable(foreign)}」：不会移动或删除它，请换一个空目录或 perfscore 的输出目录"
                )
            for stale in _aside_dirs(self.parent, self.name):  # left by a run that was killed
                shutil.rmtree(stale, ignore_errors=True)
            try:
                self.aside.mkdir()
                if self.want_sheets:
                    (self.aside / SHEETS).mkdir()
            except OSError as exc:
                raise OutputError(f"无法创建输出目录 {shown}: {os_reason(exc)}") from None
        except BaseException:
            self._discard()
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._discard()

    def _discard(self) -> None:
        try:
            for _ in range(5):  # a file that appeared while the tree was removed: remove again
                shutil.rmtree(self.aside, ignore_errors=True)
                if not os.path.lexists(self.aside):
                    break
                time.sleep(0.05)
        finally:
            self._unlock()

    def commit(self) -> None:
        """Make the new set durable (one sync pass) and swap it in for OUTDIR."""
        try:
            _sync_tree(self.aside)
            if self.outdir.is_dir():
                _exchange(self.aside, self.outdir)
            else:
                os.rename(self.aside, self.outdir)
            _fsync_dir(self.parent)
        except OSError as exc:
            raise OutputError(f"无法写入输出目录 {printable(self.outdir)}: {os_reason(exc)}") from None
        self.committed = True


# -- the system calls ----------------------------------------------------------------------

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _libc():
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:  # pragma: no cover - no C library to load
        return None


_LIBC = _libc()


def _exchange(a: Path, b: Path) -> None:
    """Swap two directories atomically; where the system cannot, two renames (a moment
    without ``b``, never a mixed set)."""
    fn = getattr(_LIBC, "renameat2", None) if _LIBC is not None else None
    if fn is not None:
        if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
            return
        err = ctypes.get_errno()
        if err not in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
            raise OSError(err, os.strerror(err), str(b))
    old = a.with_name(a.name + ".old")
    os.rename(b, old)
    os.rename(a, b)
    os.rename(old, a)


def _syncfs(path: Path) -> bool:
    fn = getattr(_LIBC, "syncfs", None) if _LIBC is not None else None
    if fn is None:
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        if fn(fd) != 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err), str(path))
    finally:
        os.close(fd)
    return True


def _sync_tree(root: Path) -> None:
    """Everything under ``root`` on disk: one ``syncfs`` of its file system, or else one
    ``fsync`` per file and folder."""
    if _syncfs(root):
        return
    for folder, _, files in os.walk(root):  # pragma: no cover - systems without syncfs
        for name in files:
            fd = os.open(os.path.join(folder, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(folder))


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # not every file system syncs a directory
        pass
    finally:
        os.close(fd)
