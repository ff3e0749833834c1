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
from .reading import read_sheet
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
            score_sheet(read_sheet(path), policy, str(path))
            click.echo(f"{path}: 无问题")
        except PerfscoreError as exc:
            problems = getattr(exc, "problems", [str(exc)])
            click.echo(f"{path}: {len(problems)} 个问题", err=True)
            _fail(str(exc))
            failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
