"""The ``perfscore serve`` web app (Starlette): the page, its JSON API, and the jobs
behind a large upload's progress bar.

API (fixed):
- ``POST /api/score``  files (+ policy | policy_file) → {"results": [...], "failures": [...]}
- ``POST /api/fill``   the same inputs → the filled .xlsx (one project) or a .zip (several)
- ``POST /api/batch``  the same inputs → a .zip: summary.xlsx, report.md, report.html, sheets/

The page's own calls: ``POST /api/jobs`` (same inputs, answered at once with a job id),
``GET /api/jobs/{id}`` (progress, then results), downloads under ``/api/jobs/{id}/``.

Every upload goes to a private temp folder (mode 0700) removed once its answer is sent
(a job's, when the job is deleted or expires: an hour after it finished, sooner only when
the kept downloads pass a total size). The request folders live in the server's own
folder, locked while it runs: a server that was killed leaves it unlocked, and the next
start removes it. POSTs from a page of another origin are refused. Every error a user can
cause is a 4xx with one Chinese line: ``{"error": "..."}``.
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import __version__
from . import engine
from .uploads import SUFFIXES_SHOWN, Saved, UploadError, save_upload

HERE = Path(__file__).parent
MB = 1024 * 1024
DEFAULT_MAX_UPLOAD = 50 * MB
MAX_FILES = 5000  # parts per request
JOB_TTL = 3600  # seconds a finished job's downloads stay (the README promises an hour)
DEFAULT_KEEP = 1024 * MB  # what finished jobs may keep on disk; past it the oldest go first
SESSION_PREFIX = "perfscore-serve-"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BATCH_FILES = ("summary.xlsx", "report.md", "report.html")


def error(message: str, status: int = 400, **extra) -> Response:
    return _json({"error": message, **extra}, status)


def _json(payload: dict, status: int = 200) -> Response:
    # engine.dumps writes Decimals from their exact text, as `perfscore score --format json` does
    return Response(engine.dumps(payload), status_code=status, media_type="application/json")


def too_large_message(limit: int) -> str:
    return f"上传内容超过 {limit // MB} MB 的上限，请分批上传（上限可用环境变量 PERFSCORE_MAX_UPLOAD_MB 调整）"


# -- request size ---------------------------------------------------------------------------------

class _TooLarge(Exception):
    pass


class LimitUploads:
    """Refuses a request body over ``limit`` bytes with a Chinese 413, whether the size is
    declared (Content-Length) or only seen while it streams in; and, when ``hosts`` is
    given, a request whose Host is not one of them (a web page that points its own
    name at 127.0.0.1 must not reach this server)."""

    def __init__(self, app: ASGIApp, limit: int, hosts: set[str] | None = None):
        self.app, self.limit, self.hosts = app, limit, hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        if self.hosts is not None:
            host = headers.get(b"host", b"").decode("latin-1").lower()
            name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            if name not in self.hosts:
                await error("只接受通过本机地址（127.0.0.1 或 localhost）打开的页面", 400)(scope, receive, send)
                return
        origin = headers.get(b"origin")
        if origin is not None and scope.get("method") not in ("GET", "HEAD", "OPTIONS"):
            own = headers.get(b"host", b"").decode("latin-1").lower()
            seen_from = origin.decode("latin-1").lower()
            if seen_from.split("://", 1)[-1].rstrip("/") != own:
                await self._drain(receive)
                await error("只接受本页面发出的请求：另一个网页不能向本机的 perfscore 提交文件", 403)(scope, receive, send)
                return
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._drain(receive)
            await error(too_large_message(self.limit), 413)(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                if message.get("more_body"):
                    await self._drain(receive)
                raise _TooLarge()
            return message

        await self.app(scope, counted, send)

    async def _drain(self, receive: Receive) -> None:
        """Read what the client still sends (up to 1 GB), so a browser sees the answer
        instead of a reset connection."""
        left = 1024 * MB
        while left > 0:
            message = await receive()
            if message["type"] != "http.request":
                return
            left -= len(message.get("body", b""))
            if not message.get("more_body"):
                return


# -- inputs ----------------------------------------------------------------------------------------

@dataclass
class Inputs:
    root: Path  # the private temp folder
    saved: Saved
    rules: engine.Rules  # the page's choice, or each file's own among the files uploaded

    @property
    def folder(self) -> Path:
        return self.root / "in"


def _try_lock(path: Path):
    """An open handle holding an exclusive lock on ``path``, or None when another process
    holds it (or it cannot be opened). The lock ends with the process, however it ends."""
    try:
        handle = open(path, "a+b")
    except OSError:
        return None
    try:
        if os.name == "nt":
            import msvcrt

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


def sweep_dead_sessions(parent: Path, grace: float = 60.0) -> list[Path]:  # float-ok: seconds
    """Remove the folders of servers that no longer run (killed, so their uploads stayed):
    a session folder whose lock nobody holds. A folder without its lock yet is left for
    ``grace`` seconds (a server starting right now). The removed folders are returned."""
    removed = []
    try:
        candidates = [p for p in parent.iterdir() if p.name.startswith(SESSION_PREFIX) and p.is_dir() and not p.is_symlink()]
    except OSError:
        return removed
    for folder in candidates:
        lock = folder / "lock"
        if not lock.exists():
            try:
                young = time.time() - folder.stat().st_mtime < grace
            except OSError:
                continue
            if young:
                continue
        elif (handle := _try_lock(lock)) is None:
            continue  # its server is running
        else:
            handle.close()
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


class Settings:
    """Limits, and this server's own temp folder (locked while it runs)."""

    def __init__(self, max_upload: int, temp_root: Path | None, unzip_limit: int | None):
        self.max_upload = max_upload
        self.temp_root = temp_root
        self.unzip_limit = unzip_limit or 4 * max_upload
        parent = Path(temp_root) if temp_root is not None else Path(tempfile.gettempdir())
        parent.mkdir(parents=True, exist_ok=True)
        sweep_dead_sessions(parent)
        self.session = Path(tempfile.mkdtemp(prefix=SESSION_PREFIX, dir=parent))
        self._lock = _try_lock(self.session / "lock")

    def temp_folder(self) -> Path:
        self.session.mkdir(exist_ok=True)
        return Path(tempfile.mkdtemp(prefix="perfscore-web-", dir=self.session))

    def close(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None
        shutil.rmtree(self.session, ignore_errors=True)


async def read_inputs(request: Request, settings: Settings) -> Inputs:
    """The saved files and the policy of a request; UploadError when the user must change it."""
    try:
        form = await request.form(max_files=MAX_FILES, max_fields=100, max_part_size=MB)
    except _TooLarge:
        raise UploadError(too_large_message(settings.max_upload), 413) from None
    except (HTTPException, ValueError):
        # ValueError: python-multipart's own parse errors, which Starlette 0.44 lets through
        raise UploadError(f"上传内容无法解析：不是有效的表单（multipart/form-data），或文件超过 {MAX_FILES} 个") from None
    root = settings.temp_folder()
    try:
        uploads = [part for part in form.getlist("files") if isinstance(part, UploadFile)]
        if not uploads:
            raise UploadError(f"请选择至少一个文件：自评表、项目文件或文件夹的 .zip（可读取 {SUFFIXES_SHOWN} .zip）")
        policy, label = await _policy(form, root)
        saved = Saved(budget=[settings.unzip_limit])
        for part in uploads:
            await run_in_threadpool(save_upload, part.file, part.filename or "", root / "in", saved, settings.unzip_limit)
        if not saved.paths and not saved.refused:
            ignored = f"（已忽略 {'、'.join(saved.ignored[:5])}{' 等' if len(saved.ignored) > 5 else ''}）" if saved.ignored else ""
            raise UploadError(f"上传的文件中没有可读取的文件：perfscore 读取 {SUFFIXES_SHOWN} 和 .zip{ignored}")
        (root / "in").mkdir(exist_ok=True)
        return Inputs(root, saved, engine.Rules(root / "in", policy, label))
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    finally:
        await form.close()


async def _policy(form, root: Path) -> tuple[engine.Policy | None, str]:
    upload = form.get("policy_file")
    if isinstance(upload, UploadFile) and upload.filename:
        from .uploads import safe_relative

        name = safe_relative(upload.filename) or Path("policy.yaml")
        target = root / "policy" / name.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(await upload.read())
        return await run_in_threadpool(engine.policy_file, target, root / "policy"), f"规则文件 {target.name}"
    name = form.get("policy")
    if not (isinstance(name, str) and name.strip()):
        return None, ""  # each file's own among the uploads: its ``policy:``, its folder's perfscore.yaml, else default
    return engine.preset(name.strip()), engine.preset_label(name.strip())


class _GcPause:
    """The cyclic garbage collector held off while any request scores (``with _gc_paused:``),
    on again when the last one ends. A request builds hundreds of thousands of small objects
    that live until its answer is sent, so the collector's passes freed nothing and took a
    third of a 500-file /api/score, each pass holding the interpreter lock that the event
    loop needs for every other request. Reference counting still frees what a request drops."""

    def __init__(self) -> None:
        self.lock, self.holders, self.was_enabled = threading.Lock(), 0, False

    def __enter__(self) -> None:
        with self.lock:
            if self.holders == 0:
                self.was_enabled = gc.isenabled()
                gc.disable()
            self.holders += 1

    def __exit__(self, *exc: object) -> None:
        with self.lock:
            self.holders -= 1
            if self.holders == 0 and self.was_enabled:
                gc.enable()


_gc_paused = _GcPause()


def _score(inputs: Inputs, progress=None) -> tuple[list[engine.Scored], list[engine.Failure]]:
    with _gc_paused:
        scored, failures = engine.score_files(inputs.saved.paths, inputs.folder, inputs.rules, progress)
    refused = [engine.Failure(file, None, None, (message,)) for file, message in inputs.saved.refused]
    return scored, refused + failures


def _score_answer(inputs: Inputs) -> Response:
    """/api/score's answer: the inputs scored and the JSON of every result and failure (for
    500 files, a few hundred ms: never on the event loop)."""
    with _gc_paused:
        scored, failures = _score(inputs)
        return _json({"results": [engine.result_json(s) for s in scored],
                      "failures": [engine.failure_json(f) for f in failures],
                      "ignored": list(inputs.saved.ignored)})


def _zip(folder: Path, target: Path, members: list[Path], extra: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in members:
            archive.write(path, path.relative_to(folder).as_posix())
        for name, text in (extra or {}).items():
            archive.writestr(name, text)
    return target


def _failures_text(failures: list[engine.Failure]) -> dict[str, str]:
    if not failures:
        return {}
    return {"失败清单.txt": "\n".join(engine.failure_json(f)["error"] for f in failures) + "\n"}


# -- jobs (the page's progress bar) ------------------------------------------------------------------

@dataclass
class Job:
    id: str
    inputs: Inputs
    total: int
    done: int = 0
    finished: bool = False
    crashed: str | None = None
    ended: float = 0.0  # float-ok: wall clock
    scored: list = field(default_factory=list)
    failures: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self) -> None:
        try:
            self.scored, self.failures = _score(self.inputs, self._step)
        except Exception as exc:  # pragma: no cover - a bug, not a user's input
            self.crashed = f"评分时出现内部错误（{type(exc).__name__}），请把文件发给维护人员"
        finally:
            shutil.rmtree(self.inputs.folder, ignore_errors=True)  # the uploads: read, no longer needed
            self.ended = time.time()
            self.finished = True

    def _step(self, n: int) -> None:
        self.done += n

    def status(self) -> dict:
        out: dict = {"job": self.id, "total": self.total, "done": self.done, "finished": self.finished}
        if self.crashed:
            out["error"] = self.crashed
        if self.finished:
            names = engine.sheet_names(self.scored)
            out["results"] = [dict(engine.view_json(s), sheet=name, index=i)
                              for i, (s, name) in enumerate(zip(self.scored, names))]
            out["failures"] = [engine.failure_json(f) for f in self.failures]
            out["ignored"] = list(self.inputs.saved.ignored)
        return out

    def output(self, name: str, template: str = "") -> Path:
        """A download, written on first asking: a filled sheet, a batch file or a zip, in
        the chosen 表样 (``template``, one of engine.template_labels())."""
        out = self.inputs.root / "out" / (template or "auto")
        with self.lock:
            if name == "sheets.zip":
                target = out / "sheets.zip"
                if not target.exists():
                    written = engine.write_sheets(self.scored, out / "all", template)
                    _zip(out / "all", target, written, _failures_text(self.failures))
                return target
            if name in BATCH_FILES or name == "batch.zip":
                batch = out / "batch"
                if not (batch / "report.html").exists():
                    engine.write_batch(self.scored, self.failures, batch, template)
                if name != "batch.zip":
                    return batch / name
                target = out / "batch.zip"
                if not target.exists():
                    _zip(batch, target, sorted(p for p in batch.rglob("*") if p.is_file()))
                return target
            names = engine.sheet_names(self.scored)
            if name not in names:
                raise KeyError(name)
            target = out / "one" / name
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                engine.fill_one(self.scored[names.index(name)], target, template)
            return target

    def project(self, index: str) -> engine.Scored:
        if not (index.isdigit() and int(index) < len(self.scored)):
            raise KeyError(index)
        return self.scored[int(index)]


def _size(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*"):
        with contextlib.suppress(OSError):
            if path.is_file():
                total += path.stat().st_size
    return total


class Jobs:
    """The page's jobs. A finished job's downloads stay ``JOB_TTL`` seconds, unless the
    finished jobs together keep more than ``keep`` bytes: then the oldest go first."""

    def __init__(self, keep: int = DEFAULT_KEEP) -> None:
        self.jobs: dict[str, Job] = {}
        self.lock = threading.Lock()
        self.keep = keep

    def start(self, inputs: Inputs) -> Job:
        job = Job(uuid.uuid4().hex, inputs, total=len(inputs.saved.paths))
        with self.lock:
            self._expire()
            self.jobs[job.id] = job
        threading.Thread(target=job.run, name=f"perfscore-job-{job.id[:8]}", daemon=True).start()
        return job

    def _expire(self) -> None:
        now = time.time()
        finished = sorted((j for j in self.jobs.values() if j.finished), key=lambda j: j.ended)
        kept = []
        for job in finished:
            if now - job.ended > JOB_TTL:
                self._drop(job.id)
            else:
                kept.append((job, _size(job.inputs.root)))
        total = sum(size for _, size in kept)
        for job, size in kept:  # oldest first
            if total <= self.keep:
                break
            self._drop(job.id)
            total -= size

    def expire(self) -> None:
        with self.lock:
            self._expire()

    def _drop(self, job_id: str) -> None:
        job = self.jobs.pop(job_id, None)
        if job is not None:
            shutil.rmtree(job.inputs.root, ignore_errors=True)

    def get(self, job_id: str) -> Job:
        with self.lock:
            job = self.jobs.get(job_id)
        if job is None:
            raise UploadError("这次评分的结果已过期或已清除，请重新上传文件", 404)
        return job

    def delete(self, job_id: str) -> None:
        with self.lock:
            job = self.jobs.get(job_id)
            if job is not None and job.finished:
                self._drop(job_id)

    def close(self) -> None:
        with self.lock:
            for job_id in list(self.jobs):
                self._drop(job_id)


# -- the app -------------------------------------------------------------------------------------------

LOOPBACK_NAMES = {"127.0.0.1", "localhost", "[::1]"}


def create_app(max_upload: int = DEFAULT_MAX_UPLOAD, temp_root: Path | None = None,
               unzip_limit: int | None = None, hosts: set[str] | None = None,
               keep: int = DEFAULT_KEEP) -> ASGIApp:
    """The ASGI app. ``max_upload``: bytes per request; ``temp_root``: where the private temp
    folders go (the system's temp folder by default; the folders a killed server left
    there are removed now); ``unzip_limit``: bytes the zips of one request may unpack to
    (4 × max_upload by default); ``hosts``: the Host names accepted (any when None; `serve`
    on loopback passes LOOPBACK_NAMES); ``keep``: bytes finished jobs may keep for their hour."""
    settings = Settings(max_upload, temp_root, unzip_limit)
    jobs = Jobs(keep)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True)

    async def page(request: Request) -> Response:
        html = env.get_template("index.html.j2").render(
            presets=list(engine.preset_labels().items()),
            templates=engine.template_labels(), suffixes=SUFFIXES_SHOWN,
            limit_mb=max_upload // MB, version=__version__,
        )
        return HTMLResponse(html)

    async def api_score(request: Request) -> Response:
        inputs = await read_inputs(request, settings)
        try:  # scored and its JSON written in a worker thread: the loop answers other requests meanwhile
            return await run_in_threadpool(_score_answer, inputs)
        finally:
            await run_in_threadpool(shutil.rmtree, inputs.root, True)

    async def api_fill(request: Request) -> Response:
        inputs = await read_inputs(request, settings)
        try:
            scored, failures = await run_in_threadpool(_score, inputs)
            if not scored:
                shutil.rmtree(inputs.root, ignore_errors=True)
                return _unscored(failures)
            out = inputs.root / "out"
            written = await run_in_threadpool(engine.write_sheets, scored, out)
            cleanup = BackgroundTask(shutil.rmtree, inputs.root, ignore_errors=True)
            if len(written) == 1 and not failures:
                return FileResponse(written[0], media_type=XLSX, filename=written[0].name, background=cleanup)
            target = await run_in_threadpool(_zip, out, inputs.root / "自评表.zip", written, _failures_text(failures))
            return FileResponse(target, media_type="application/zip", filename=target.name, background=cleanup)
        except BaseException:
            shutil.rmtree(inputs.root, ignore_errors=True)
            raise

    async def api_batch(request: Request) -> Response:
        inputs = await read_inputs(request, settings)
        try:
            scored, failures = await run_in_threadpool(_score, inputs)
            out = inputs.root / "out"
            await run_in_threadpool(engine.write_batch, scored, failures, out)
            members = sorted(p for p in out.rglob("*") if p.is_file())
            target = await run_in_threadpool(_zip, out, inputs.root / "批量评分.zip", members)
            cleanup = BackgroundTask(shutil.rmtree, inputs.root, ignore_errors=True)
            return FileResponse(target, media_type="application/zip", filename=target.name, background=cleanup)
        except BaseException:
            shutil.rmtree(inputs.root, ignore_errors=True)
            raise

    async def job_start(request: Request) -> Response:
        inputs = await read_inputs(request, settings)
        job = jobs.start(inputs)
        return _json({"job": job.id, "total": job.total}, 202)

    async def job_status(request: Request) -> Response:
        job = jobs.get(request.path_params["job"])
        return _json(await run_in_threadpool(job.status))

    async def job_delete(request: Request) -> Response:
        jobs.delete(request.path_params["job"])
        return Response(status_code=204)

    def _template(request: Request) -> str:
        template = request.query_params.get("template", "")
        labels = engine.template_labels()
        if template not in labels:
            raise UploadError(f"没有表样「{template}」（可选: {'、'.join(labels.values())}）")
        return template

    async def job_download(request: Request) -> Response:
        job = jobs.get(request.path_params["job"])
        name = request.path_params["name"]
        if not job.finished:
            return error("评分尚未完成，请稍候", 409)
        try:
            path = await run_in_threadpool(job.output, name, _template(request))
        except KeyError:
            return error(f"没有名为「{name}」的下载文件", 404)
        kind = XLSX if name.endswith(".xlsx") else None
        # once sent, what it wrote counts toward the kept size
        return FileResponse(path, media_type=kind, filename=name, background=BackgroundTask(jobs.expire))

    async def _edited(request: Request) -> tuple[Job, engine.Scored]:
        """The job's project the clerk edited, scored again from the model the page sent."""
        job = jobs.get(request.path_params["job"])
        if not job.finished:
            raise UploadError("评分尚未完成，请稍候", 409)
        try:
            first = job.project(request.path_params["index"])
        except KeyError:
            raise UploadError("这次评分中没有这个项目", 404) from None
        try:
            body = await request.json()
        except ValueError:
            raise UploadError("修改后的项目内容无法读取（应为 JSON）") from None
        model = body.get("model") if isinstance(body, dict) else None
        return job, await run_in_threadpool(engine.rescore, first, model)

    async def project_score(request: Request) -> Response:
        job, edited = await _edited(request)
        name = engine.sheet_names(job.scored)[int(request.path_params["index"])]
        return _json(dict(engine.view_json(edited), sheet=name, index=int(request.path_params["index"])))

    async def project_sheet(request: Request) -> Response:
        job, edited = await _edited(request)
        template = _template(request)
        name = engine.sheet_names(job.scored)[int(request.path_params["index"])]
        folder = job.inputs.root / "edited" / uuid.uuid4().hex
        folder.mkdir(parents=True)
        target = await run_in_threadpool(engine.fill_one, edited, folder / name, template)
        return FileResponse(target, media_type=XLSX, filename=name,
                            background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))

    async def user_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, UploadError)
        return error(str(exc), exc.status)

    private = re.compile(
        "(?:" + "|".join(re.escape(str(p)) for p in {settings.session, settings.session.resolve()}) + r")[\\/][^\s:：」]*[\\/]")

    async def library_error(request: Request, exc: Exception) -> Response:
        # a policy or input the library refused: its own one-line Chinese message, and never
        # the private temp folder (a file in it is named by its own name)
        return error(private.sub("", str(exc)), 400)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        text = {404: "找不到这个地址", 405: "不支持这种请求方法"}.get(exc.status_code, "请求无效")
        return error(text, exc.status_code)

    async def server_error(request: Request, exc: Exception) -> Response:
        return error(f"服务器内部错误（{type(exc).__name__}），请把文件发给维护人员；服务仍在运行", 500)

    app = Starlette(
        routes=[
            Route("/", page),
            Route("/api/score", api_score, methods=["POST"]),
            Route("/api/fill", api_fill, methods=["POST"]),
            Route("/api/batch", api_batch, methods=["POST"]),
            Route("/api/jobs", job_start, methods=["POST"]),
            Route("/api/jobs/{job}", job_status, methods=["GET"]),
            Route("/api/jobs/{job}", job_delete, methods=["DELETE"]),
            Route("/api/jobs/{job}/download/{name:path}", job_download, methods=["GET"]),
            Route("/api/jobs/{job}/projects/{index}/score", project_score, methods=["POST"]),
            Route("/api/jobs/{job}/projects/{index}/sheet", project_sheet, methods=["POST"]),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        exception_handlers={
            UploadError: user_error, engine.PerfscoreError: library_error,
            HTTPException: http_error, Exception: server_error,
        },
        lifespan=_lifespan(jobs, settings),
    )
    app.state.jobs = jobs
    app.state.settings = settings
    return LimitUploads(app, max_upload, hosts)


def _lifespan(jobs: Jobs, settings: Settings):
    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        jobs.close()  # no job's files outlive the server
        settings.close()

    return lifespan


def _unscored(failures: list[engine.Failure]) -> Response:
    listed = [engine.failure_json(f) for f in failures]
    return error("\n".join(f["error"] for f in listed) or "没有可评分的项目", 422, failures=listed)


def max_upload_from_env() -> int:
    text = os.environ.get("PERFSCORE_MAX_UPLOAD_MB", "").strip()
    if not text:
        return DEFAULT_MAX_UPLOAD
    if not text.isdigit() or int(text) < 1:
        raise SystemExit(f"环境变量 PERFSCORE_MAX_UPLOAD_MB「{text}」应为正整数（MB）")
    return int(text) * MB


__all__ = ["create_app", "max_upload_from_env", "DEFAULT_MAX_UPLOAD"]
