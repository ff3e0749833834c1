"""The ``perfscore`` command: a thin click layer over the library.

Exit codes: 0 done; 1 a file could not be scored (or an audit found differences);
2 usage error. Errors are one Chinese line per problem on stderr, never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from . import __version__
from .resources import PRESETS

if TYPE_CHECKING:
    from .policy import Policy

# Each command imports the library it calls (pydantic, yaml, openpyxl …) inside itself, so
# ``--help`` costs about click and a command pays only for what it uses.


def _policy(ctx: click.Context, param: click.Parameter, value: str | None) -> Policy:
    from .errors import PerfscoreError
    from .policy import load_policy

    try:
        return load_policy(value)
    except PerfscoreError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


POLICY_OPTION = click.option(
    "--policy", "-p", default="default", callback=_policy, metavar="NAME|FILE",
    help=f"评分规则: 预设 {' / '.join(PRESETS)}，或规则文件 (YAML/JSON)。",
)
FILES = click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))


def _fail(message: str) -> None:
    click.echo(message, err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="perfscore")
def main() -> None:
    """perfscore: 绩效自评表评分 (score budget performance self-evaluation sheets)."""


@main.command()
@FILES
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", help="输出格式。")
@click.option("--explain", is_flag=True, help="列出每个得分的计算过程。")
@POLICY_OPTION
def score(files: tuple[Path, ...], fmt: str, explain: bool, policy: Policy) -> None:
    """为项目文件、目录、自评表或平铺工作簿 (.yaml/.json/.xlsx) 评分。"""
    from . import api
    from .output import dumps, format_text, result_dict

    results, failures = api.score_files(files, policy)
    _fail_all(failures)
    if fmt == "json":
        if not api.single_input(files) or len(results) > 1:
            click.echo(dumps([result_dict(r) for r in results]))
        elif results:
            click.echo(dumps(result_dict(results[0])))
    elif results:
        click.echo("\n\n".join(format_text(r, explain) for r in results))
    sys.exit(1 if failures else 0)


@main.command()
@FILES
@POLICY_OPTION
def check(files: tuple[Path, ...], policy: Policy) -> None:
    """检查文件（或目录下的每个文件），列出每个文件的全部问题（不输出评分）。"""
    from . import api

    checks = api.check_files(files, policy)
    for c in checks:
        if c.problems:
            click.echo(f"{c.source}: {len(c.problems)} 个问题", err=True)
            _fail("\n".join(map(str, c.problems)))
        else:
            click.echo(f"{c.source}: 无问题")
    sys.exit(1 if any(c.problems for c in checks) else 0)


def _fail_all(failures) -> None:
    for failure in failures:
        _fail("\n".join(failure.lines()))


def _write_or_fail(write, *args) -> None:
    """Run a library function that writes one file; report it, or the error and exit 1."""
    from .errors import PerfscoreError

    try:
        written = write(*args)
    except PerfscoreError as exc:
        _fail(str(exc))
        sys.exit(1)
    click.echo(f"已写入 {written}")


def _template(ctx: click.Context, param: click.Parameter, value: str | None) -> str | Path | None:
    """A shipped template's name (national, hubei, …) or a template file."""
    from .sheets.fill import TEMPLATE_NAMES

    if value is None or value in TEMPLATE_NAMES:
        return value
    path = Path(value)
    if not path.is_file():
        raise click.BadParameter(
            f"「{value}」既不是内置模板（{'、'.join(TEMPLATE_NAMES)}）也不是存在的模板文件", ctx, param
        )
    return path


TEMPLATE_OPTION = click.option(
    "--template", "-t", callback=_template, metavar="NAME|FILE",
    help="模板: 内置模板 project / department / national / national_department / liaoning / hubei / shanxi，"
         "或模板文件 (.xlsx，旁边有同名 .map.yaml)；默认为评分规则指定的模板或内置的项目表/整体表模板。",
)


def _out_option(help_text: str):
    return click.option("-o", "--output", "output", required=True, type=click.Path(path_type=Path), help=help_text)


@main.command()
@FILES
@TEMPLATE_OPTION
@_out_option("输出文件 (.xlsx)；多个输入时为输出目录。")
@POLICY_OPTION
def fill(files: tuple[Path, ...], template: str | Path | None, output: Path, policy: Policy) -> None:
    """评分并填入自评表模板 (Excel)。"""
    from . import api

    _, failures = api.fill_files(files, output, policy, template, on_written=lambda p: click.echo(f"已写入 {p}"))
    _fail_all(failures)
    sys.exit(1 if failures else 0)


@main.command("import")
@click.argument("sheets", nargs=-1, required=True, type=click.Path(path_type=Path))
@TEMPLATE_OPTION
@_out_option("输出的项目文件 (.yaml 或 .json)；多个自评表时为输出目录。")
def import_(sheets: tuple[Path, ...], template: Path | None, output: Path) -> None:
    """把自评表 (.xlsx，或目录下的每个自评表) 读回为项目文件，原表得分记为 reported。"""
    from . import api

    written, failures = api.import_files(sheets, output, template)
    for path in written:
        click.echo(f"已写入 {path}")
    _fail_all(failures)
    sys.exit(1 if failures else 0)


@main.command()
@click.argument("sheets", nargs=-1, required=True, type=click.Path(path_type=Path))
@TEMPLATE_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="输出格式。")
@POLICY_OPTION
def audit(sheets: tuple[Path, ...], template: str | Path | None, fmt: str, policy: Policy) -> None:
    """复核自评表：重新计算并列出与原表不一致的每个单元格。"""
    from . import api
    from .output import dumps

    results, failures = api.audit_files(sheets, policy, template)
    _fail_all(failures)
    for result in results:
        if fmt == "json":
            continue
        if result.findings:
            click.echo("\n".join(f.line() for f in result.findings))
        else:
            click.echo(f"{result.file}: 与重新计算的结果一致（总分 {result.result.total}，等级 {result.result.grade}）")
    if fmt == "json":
        payload = [r.as_dict() for r in results]
        one = api.single_input(sheets) and len(results) <= 1
        click.echo(dumps((payload[0] if payload else []) if one else payload))
    sys.exit(1 if failures or any(r.findings for r in results) else 0)


@main.command()
@_out_option("输出文件: .xlsx 空白自评表，或 .yaml 带注释的项目文件。")
@click.option("--kind", type=click.Choice(["project", "department"]), default=None,
              help="项目表或整体表（默认: 模板的类型，否则项目表）。")
@TEMPLATE_OPTION
@POLICY_OPTION
def init(output: Path, kind: str | None, template: str | Path | None, policy: Policy) -> None:
    """生成空白自评表 (.xlsx) 或项目文件模板 (.yaml)。"""
    from .sheets.fill import policy_template, write_blank

    if template is None:
        template = policy_template(policy, kind or "project")
    _write_or_fail(write_blank, output, kind, template)


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@_out_option("输出目录。")
@click.option("--sheets", is_flag=True, help="同时为每个项目生成填好的自评表。")
@click.option("--jobs", "-j", type=click.IntRange(1, 256), default=None, help="并行进程数（默认: CPU 核数）。")
@click.option("--quiet", "-q", is_flag=True, help="不显示进度条。")
@POLICY_OPTION
def batch(inputs: tuple[Path, ...], output: Path, sheets: bool, jobs: int | None, quiet: bool, policy: Policy) -> None:
    """批量评分：输出 summary.xlsx、report.md、report.html（和 --sheets 自评表）。"""
    from . import api
    from .errors import PerfscoreError
    from .terms import GRADES

    show = not quiet and sys.stderr.isatty()
    try:
        with click.progressbar(length=0, label="评分中", file=sys.stderr if show else _Null()) as bar:
            def progress(done: int, total: int) -> None:
                bar.length = total
                bar.update(done - bar.pos)

            outcome = api.run_batch(inputs, output, policy, sheets=sheets, jobs=jobs, progress=progress)
    except PerfscoreError as exc:
        _fail(str(exc))
        sys.exit(1)
    _fail_all(outcome.failures)
    grades = {g: sum(1 for r in outcome.results if r.grade == g) for g in GRADES}
    click.echo(
        f"已评分 {len(outcome.results)} 个，失败 {len(outcome.failures)} 个（"
        + "，".join(f"{g} {n}" for g, n in grades.items()) + f"），用时 {outcome.seconds:.1f} 秒；输出目录 {output}"
    )
    sys.exit(1 if outcome.failures else 0)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址（默认只允许本机访问）。")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(1, 65535), help="端口。")
@click.option("--no-browser", is_flag=True, help="不自动打开浏览器。")
def serve(host: str, port: int, no_browser: bool) -> None:
    """启动本机网页：在浏览器中上传自评表，查看得分并下载填好的表。"""
    from .web import serve as run_server

    run_server(host, port, not no_browser)


class _Null:
    def write(self, _text: str) -> None:
        pass

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


if __name__ == "__main__":  # pragma: no cover
    main()
