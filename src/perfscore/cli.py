"""The ``perfscore`` command: a thin click layer over the library.

Exit codes: 0 done; 1 a file could not be scored (or an audit found differences);
2 usage error. Errors are one Chinese line per problem on stderr, never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__
from .errors import PerfscoreError
from .output import dumps, format_text, result_dict
from .policy import Policy, load_policy
from .reading import check_sheet, read_sheet
from .scoring import score_sheet


def _policy(ctx: click.Context, param: click.Parameter, value: str | None) -> Policy:
    try:
        return load_policy(value)
    except PerfscoreError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


POLICY_OPTION = click.option(
    "--policy", "-p", default="default", callback=_policy, metavar="NAME|FILE",
    help="评分规则: 预设 default / liaoning / hubei，或规则文件 (YAML/JSON)。",
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
    """为项目文件或自评表 (.yaml/.json/.xlsx) 评分。"""
    results, failed = [], False
    for path in files:
        try:
            results.append(score_sheet(read_sheet(path), policy, str(path)))
        except PerfscoreError as exc:
            _fail(str(exc))
            failed = True
    if fmt == "json":
        payload = [result_dict(r) for r in results]
        if len(files) == 1:
            if results:
                click.echo(dumps(payload[0]))
        else:
            click.echo(dumps(payload))
    elif results:
        click.echo("\n\n".join(format_text(r, explain) for r in results))
    sys.exit(1 if failed else 0)


@main.command()
@FILES
@POLICY_OPTION
def check(files: tuple[Path, ...], policy: Policy) -> None:
    """检查文件，列出每个文件的全部问题（不输出评分）。"""
    failed = False
    for path in files:
        try:
            problems = check_sheet(path, policy)
        except PerfscoreError as exc:
            problems = getattr(exc, "problems", [str(exc)])
        if problems:
            click.echo(f"{path}: {len(problems)} 个问题", err=True)
            _fail("\n".join(problems))
            failed = True
        else:
            click.echo(f"{path}: 无问题")
    sys.exit(1 if failed else 0)


def _write_or_fail(write, *args) -> None:
    """Run a library function that writes one file; report it, or the error and exit 1."""
    try:
        written = write(*args)
    except PerfscoreError as exc:
        _fail(str(exc))
        sys.exit(1)
    click.echo(f"已写入 {written}")


TEMPLATE_OPTION = click.option(
    "--template", "-t", type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="模板 (.xlsx，旁边有同名 .map.yaml)；默认为内置的项目表/整体表模板。",
)


def _out_option(help_text: str):
    return click.option("-o", "--output", "output", required=True, type=click.Path(path_type=Path), help=help_text)


@main.command()
@FILES
@TEMPLATE_OPTION
@_out_option("输出文件 (.xlsx)；多个输入时为输出目录。")
@POLICY_OPTION
def fill(files: tuple[Path, ...], template: Path | None, output: Path, policy: Policy) -> None:
    """评分并填入自评表模板 (Excel)。"""
    from .sheets.fill import check_output, fill_sheet

    failed, taken = False, set()
    for path in files:
        out = output if len(files) == 1 and output.suffix.lower() == ".xlsx" else output / f"{path.stem}.xlsx"
        n = 1
        while out in taken:  # two inputs with one stem (a/x.yaml, b/x.yaml) both survive
            n += 1
            out = output / f"{path.stem}（{n}）.xlsx"
        taken.add(out)
        try:
            check_output(out, list(files))
            out.parent.mkdir(parents=True, exist_ok=True)
            fill_sheet(score_sheet(read_sheet(path), policy, str(path)), out, template, policy)
            click.echo(f"已写入 {out}")
        except PerfscoreError as exc:
            _fail(str(exc))
            failed = True
    sys.exit(1 if failed else 0)


@main.command("import")
@click.argument("sheet", type=click.Path(path_type=Path))
@TEMPLATE_OPTION
@_out_option("输出的项目文件 (.yaml 或 .json)。")
def import_(sheet: Path, template: Path | None, output: Path) -> None:
    """把自评表 (.xlsx) 读回为项目文件，原表得分记为 reported。"""
    from .sheets.importing import write_project_file

    _write_or_fail(write_project_file, sheet, output, template)


@main.command()
@click.argument("sheets", nargs=-1, required=True, type=click.Path(path_type=Path))
@TEMPLATE_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="输出格式。")
@POLICY_OPTION
def audit(sheets: tuple[Path, ...], template: Path | None, fmt: str, policy: Policy) -> None:
    """复核自评表：重新计算并列出与原表不一致的每个单元格。"""
    from .sheets.audit import audit_sheet

    found, failed, payload = False, False, []
    for path in sheets:
        try:
            result = audit_sheet(path, policy, template)
        except PerfscoreError as exc:
            _fail(str(exc))
            failed = True
            continue
        found = found or bool(result.findings)
        if fmt == "json":
            payload.append(result.as_dict())
        elif result.findings:
            click.echo("\n".join(f.line() for f in result.findings))
        else:
            click.echo(f"{path}: 与重新计算的结果一致（总分 {result.result.total}，等级 {result.result.grade}）")
    if fmt == "json":
        click.echo(dumps(payload if len(sheets) > 1 else (payload[0] if payload else [])))
    sys.exit(1 if found or failed else 0)


@main.command()
@_out_option("输出文件: .xlsx 空白自评表，或 .yaml 带注释的项目文件。")
@click.option("--kind", type=click.Choice(["project", "department"]), default="project", help="项目表或整体表。")
@POLICY_OPTION
def init(output: Path, kind: str, policy: Policy) -> None:
    """生成空白自评表 (.xlsx，按评分规则自动计算) 或项目文件模板 (.yaml)。"""
    from .sheets.fill import write_blank

    _write_or_fail(write_blank, output, kind, policy)


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@_out_option("输出目录。")
@click.option("--sheets", is_flag=True, help="同时为每个项目生成填好的自评表。")
@click.option("--jobs", "-j", type=click.IntRange(1, 256), default=None, help="并行进程数（默认: CPU 核数）。")
@click.option("--quiet", "-q", is_flag=True, help="不显示进度条。")
@POLICY_OPTION
def batch(inputs: tuple[Path, ...], output: Path, sheets: bool, jobs: int | None, quiet: bool, policy: Policy) -> None:
    """批量评分：输出 summary.xlsx、report.md、report.html（和 --sheets 自评表）。"""
    from .batch import discover, run_batch

    files, _ = discover(inputs, skip=output)
    show = not quiet and sys.stderr.isatty()
    try:
        with click.progressbar(length=len(files), label="评分中", file=sys.stderr if show else _Null()) as bar:
            outcome = run_batch(inputs, output, policy, sheets=sheets, jobs=jobs, progress=bar.update)
    except PerfscoreError as exc:
        _fail(str(exc))
        sys.exit(1)
    for failure in outcome.failures:
        _fail("\n".join(failure.problems))
    grades = {g: sum(1 for r in outcome.results if r.grade == g) for g in ("优", "良", "中", "差")}
    click.echo(
        f"已评分 {len(outcome.results)} 个，失败 {len(outcome.failures)} 个（"
        + "，".join(f"{g} {n}" for g, n in grades.items()) + f"），用时 {outcome.seconds:.1f} 秒；输出目录 {output}"
    )
    sys.exit(1 if outcome.failures else 0)


class _Null:
    def write(self, _text: str) -> None:
        pass

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


if __name__ == "__main__":  # pragma: no cover
    main()
