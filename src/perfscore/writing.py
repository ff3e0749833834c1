"""Writing outputs so that nothing is lost: a temporary file in the target directory,
fsync, then ``os.replace`` — readers see the old file or the new one, never half of
one. Temporary files carry ``TEMP_PREFIX`` so a later batch run can clean up after a
killed one."""

from __future__ import annotations

import contextvars
import errno
import os
import re
import unicodedata
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Callable, Iterable, Iterator

from .errors import OutputError, PerfscoreError, printable

TEMP_PREFIX = ".perfscore-tmp-"
NAME_LIMIT = 60  # characters of a project name kept in a file name (3 bytes each in UTF-8)
NAME_BYTES = 255  # bytes of UTF-8 in one path component (ext4, APFS; NTFS's 255 UTF-16 units hold as many CJK)

# separators, Windows' forbidden characters, C0/C1 controls, bidi and other invisible format controls
_UNSAFE = re.compile(r'[\x00-\x1f\x7f-\x9f/\\:*?"<>|\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]+')
# names Windows reserves for devices, with or without an extension (CON, con.txt, COM1, LPT9 …)
_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|COM[0-9¹²³]|LPT[0-9¹²³])(\..*)?$", re.IGNORECASE)


def safe_file_name(name: str) -> str:
    """A project name as a file name: no separators, no traversal, no control or bidi
    characters, no Windows device name (CON, NUL, COM1 …), no leading ``-`` (an option
    to whoever passes it to a command)."""
    text = unicodedata.normalize("NFC", name)
    text = _UNSAFE.sub("_", text)
    text = re.sub(r"\.{2,}", ".", text).strip(" ._-")
    text = text[:NAME_LIMIT].rstrip(" .")
    if _RESERVED.match(text):
        text = f"_{text}"
    return text or "未命名项目"


def fit_name(stem: str, suffix: str = "", limit: int = NAME_BYTES) -> str:
    """``stem + suffix`` within ``limit`` bytes of UTF-8: the stem is cut at a character,
    the suffix (the extension, a （2）) always kept."""
    room = limit - len(suffix.encode("utf-8"))
    data = stem.encode("utf-8")
    if len(data) > room:
        stem = data[:max(room, 0)].decode("utf-8", "ignore").rstrip(" .") or "_"
    return stem + suffix


def fit_file_name(name: str, reserve: int = 0) -> str:
    """A file name within NAME_BYTES - ``reserve`` bytes, keeping its extension (``reserve``:
    room for a （2） added later)."""
    dot = name.rfind(".")
    stem, suffix = (name[:dot], name[dot:]) if 0 < dot and len(name) - dot <= 16 else (name, "")
    return fit_name(stem, suffix, NAME_BYTES - reserve)


def numbered_names(bases: Iterable[str], suffix: str = ".xlsx") -> Iterator[str]:
    """One file name per base, in order, as the bases come; clashes get （2）, （3） …
    (case-insensitive). Each keeps ``suffix`` and fits NAME_BYTES (a long base is cut)."""
    taken: set[str] = set()
    for base in bases:
        candidate, n = fit_name(base, suffix), 1
        while candidate.casefold() in taken:
            n += 1
            candidate = fit_name(base, f"（{n}）{suffix}")
        taken.add(candidate.casefold())
        yield candidate


_REASONS = {
    errno.ENOSPC: "磁盘已满", errno.EDQUOT: "磁盘已满（超出配额）", errno.EFBIG: "文件过大",
    errno.EACCES: "没有写入权限", errno.EPERM: "没有写入权限", errno.EROFS: "没有写入权限（只读文件系统）",
    errno.ENOENT: "目录不存在", errno.EISDIR: "已有同名目录", errno.ENOTDIR: "上级路径不是目录",
    errno.EEXIST: "已有同名文件", errno.ENOTEMPTY: "目录不是空的", errno.EBUSY: "正被占用",
    errno.ENAMETOOLONG: "文件名太长", errno.ELOOP: "符号链接循环", errno.EXDEV: "不在同一个文件系统上",
    errno.EIO: "读写出错（I/O 错误）", errno.EMFILE: "打开的文件太多", errno.ENFILE: "打开的文件太多",
    errno.ENOMEM: "内存不足", errno.ETXTBSY: "文件正被占用", errno.EINVAL: "路径无效",
}


def os_reason(exc: OSError) -> str:
    """An OS error in Chinese (never the system's English ``strerror``)."""
    reason = _REASONS.get(exc.errno) if exc.errno is not None else None
    if reason:
        return reason
    name = errno.errorcode.get(exc.errno, "") if exc.errno is not None else ""
    return f"系统错误 {name}".rstrip() if name else "系统错误"


_reason = os_reason


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


# Set while a batch writes into an output set that is synced once as a whole (outset.py):
# atomic_file then skips its own fsync calls.
_DEFERRED_SYNC: contextvars.ContextVar[bool] = contextvars.ContextVar("perfscore_deferred_sync", default=False)


@contextmanager
def deferred_sync() -> Iterator[None]:
    """Within this block ``atomic_file`` does not fsync: the caller syncs the whole set."""
    token = _DEFERRED_SYNC.set(True)
    try:
        yield
    finally:
        _DEFERRED_SYNC.reset(token)


@contextmanager
def atomic_file(path: Path) -> Iterator[IO[bytes]]:
    """A binary file that replaces ``path`` when the block ends without error; on any
    error the temporary file is removed, and OS errors become ``OutputError``."""
    path = Path(path)
    durable = not _DEFERRED_SYNC.get()
    if os.path.lexists(path) and not path.is_file():
        what = "是目录" if path.is_dir() else "不是普通文件（设备、管道或失效的链接）"
        raise OutputError(f"无法写入 {printable(path)}: {what}，不会覆盖")
    try:
        import tempfile  # imported when a file is written, not at start-up

        fd, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
    except OSError as exc:
        raise OutputError(f"无法写入 {printable(path)}: {_reason(exc)}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.chmod(temp, _new_file_mode(path))
        os.replace(temp, path)
    except BaseException as exc:
        try:
            os.unlink(temp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise OutputError(f"无法写入 {printable(path)}: {_reason(exc)}") from None
        raise
    if not durable:
        return
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


class Forked:
    """A writer running in a forked child (``fork_writer``)."""

    def __init__(self, pid: int, read: int, what: str):
        self.pid, self.read, self.what = pid, read, what

    def join(self) -> object:
        """Wait for the child; what its writer returned, or OutputError with its Chinese line."""
        import pickle

        with os.fdopen(self.read, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(self.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        if code == 0:
            return pickle.loads(data) if data else None
        message = data.decode("utf-8", "replace")
        if code == 1:
            raise OutputError(message)
        if code == 2:
            raise OutputError(f"无法写入 {self.what}: {message}")
        raise OutputError(f"无法写入 {self.what}（{message or '写入进程意外结束'}）")

    def abandon(self) -> None:
        """Stop the child and reap it (the caller failed: its part is not wanted)."""
        import signal

        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(self.pid, 0)
        os.close(self.read)


@contextmanager
def stopped_on_error(child: Forked | None) -> Iterator[None]:
    """The block runs beside ``child`` (None: no child); when the block fails, the child is
    stopped and reaped (its part is not wanted) and the error goes on."""
    try:
        yield
    except BaseException:
        if child is not None:
            child.abandon()
        raise


def fork_writer(write: Callable[[], object], what: str) -> Forked | None:
    """Run ``write`` in a forked child, so two cores write the parts of an output set;
    None where fork is missing (the caller writes inline). ``what`` names the output in
    the Chinese line of an error. The child never returns: it sends what ``write``
    returned (pickled) or its error's line through a pipe, and exits."""
    if not hasattr(os, "fork"):
        return None
    read, written = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child
        code = 0
        try:
            os.close(read)
            _die_with(parent)
            import pickle

            result = write()
            _write_all(written, pickle.dumps(result) if result is not None else b"")
        except PerfscoreError as exc:
            _write_all(written, str(exc).encode("utf-8"))
            code = 1
        except OSError as exc:
            _write_all(written, os_reason(exc).encode("utf-8"))
            code = 2
        except BaseException as exc:  # noqa: BLE001
            _write_all(written, f"内部错误 {type(exc).__name__}".encode("utf-8"))
            code = 3
        finally:
            os._exit(code)
    os.close(written)
    return Forked(pid, read, what)


def _die_with(parent: int) -> None:
    """Linux: the kernel kills this forked writer when its parent dies, so the child of an
    abandoned writer stops too; elsewhere nothing."""
    import ctypes
    import signal

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(3)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
