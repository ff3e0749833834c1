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
from .clihelp import ChineseCommand, ChineseHelp, chinese_metavar
from .errors import printable
from .resources import PRESETS, TEMPLATE_NAMES, province_at

if TYPE_CHECKING:
    from .policy import Policy

# Each command imports the library it calls (pydantic, yaml, openpyxl …) inside itself, so
# ``--help`` costs about click and a command pays only for what it uses.


class _OwnBadParameter(click.BadParameter):
    """A bad option value whose message is perfscore's own (already in Chinese)."""


def _policy(ctx: click.Context, param: click.Parameter, value: str | None) -> Policy | None:
    if value is None:  # each file's own: its policy:, else its folder's perfscore.yaml, else default
        return None
    from .errors import PerfscoreError
    from .policy import load_policy

    try:
        return load_policy(value)
    except PerfscoreError as exc:
        raise _OwnBadParameter(str(exc), ctx, param) from None


def _param_name(param: click.Parameter | None, ctx: click.Context | None) -> str:
    if param is None:
        return ""
    if isinstance(param, click.Option):
        return "/".join(param.opts)
    return chinese_metavar((param.human_readable_name or param.name or "").upper())


def _expected(param: click.Parameter | None) -> str:
    """What a parameter takes, in Chinese, from its type (never click's wording)."""
    kind = param.type if param is not None else None
    if isinstance(kind, click.IntRange):
        low, high = kind.min, kind.max
        if low is not None and high is not None:
            return f"应为 {low} 到 {high} 之间的整数"
        return f"应为不小于 {low} 的整数" if low is not None else f"应为不大于 {high} 的整数"
    if isinstance(kind, click.Choice):
        return "可选: " + " / ".join(map(str, kind.choices))
    if kind is click.INT:
        return "应为整数"
    if isinstance(kind, click.Path):
        return "文件不存在，或不是文件"
    return "值无效"


def usage_message(exc: click.UsageError) -> str:
    """A click usage error as one Chinese line (perfscore's words, whatever click's)."""
    ctx = exc.ctx
    if isinstance(exc, _NoCommand):
        return exc.message
    if isinstance(exc, _OwnBadParameter):
        return f"{_param_name(exc.param, ctx)}: {exc.message}"
    if isinstance(exc, click.MissingParameter):
        name = _param_name(exc.param, ctx)
        if isinstance(exc.param, click.Option):
            return f"缺少选项 {name}"
        return f"缺少参数 {name}（请至少给出一个）" if exc.param is not None and exc.param.nargs == -1 else f"缺少参数 {name}"
    if isinstance(exc, click.BadParameter):
        return f"{_param_name(exc.param, ctx) or '参数'} 的值无效：{_expected(exc.param)}"
    if isinstance(exc, click.NoSuchOption):
        close = [p for p in getattr(exc, "possibilities", []) or []]
        hint = f"（是否想用 {' / '.join(sorted(close))}？）" if close else ""
        return f"没有选项 {printable(exc.option_name)}{hint}"
    if isinstance(exc, click.BadOptionUsage):
        return f"选项 {printable(exc.option_name)} 用法不对（缺少它的值？）"
    if isinstance(exc, click.BadArgumentUsage):
        return "参数不对（多余的参数，或缺少参数）"
    return "命令行用法不对"


class _NoCommand(click.UsageError):
    pass


def _command_path(ctx: click.Context | None) -> str:
    """``perfscore`` and the subcommand, whatever name the program was started by."""
    names = []
    while ctx is not None and ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(["perfscore", *reversed(names)])


class ChineseGroup(ChineseHelp, click.Group):
    """The command group whose usage errors are one Chinese line (and a pointer to --help),
    exit code 2, never click's English; its help pages in Chinese (clihelp); a bare
    ``perfscore`` lists the commands."""

    command_class = ChineseCommand

    def resolve_command(self, ctx: click.Context, args: list[str]):
        name = click.utils.make_str(args[0])
        if self.get_command(ctx, name) is None and not ctx.resilient_parsing and not name.startswith("-"):
            known = " / ".join(self.list_commands(ctx))
            raise _NoCommand(f"没有命令「{printable(name)}」（可用的命令: {known}）", ctx)
        return super().resolve_command(ctx, args)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not (sys.argv[1:] if args is None else list(args)):
            args = ["--help"]
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            command = _command_path(exc.ctx)
            click.echo(printable(f"{usage_message(exc)}；用 {command} --help 查看用法"), err=True)
            if not standalone_mode:
                raise
            sys.exit(2)
        except click.Abort:
            click.echo("已中断", err=True)
            if not standalone_mode:
                raise
            sys.exit(1)
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)


POLICY_OPTION = click.option(
    "--policy", "-p", default=None, callback=_policy, metavar="NAME|FILE",
    help=f"评分规则: 预设 {' / '.join(PRESETS)}，或规则文件 (YAML/JSON)，或省份目录；优先于项目文件的 policy 和目录中的 "
         "perfscore.yaml（都没有时为 default）。",
)
FILES = click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))


def _example(command: str) -> str:
    """The last lines of a command's --help: one real example (\\b keeps click from rewrapping it)."""
    return f"\b\n例:\n  {command}"


def _fail(message: str) -> None:
    """Print one message; each of its lines with control characters escaped."""
    click.echo("\n".join(printable(line) for line in str(message).split("\n")), err=True)


@click.group(cls=ChineseGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="perfscore", help="显示版本并退出。")
def main() -> None:
    """perfscore：绩效自评表评分、填表、复核与汇总。"""


@main.command(epilog=_example("perfscore score samples/liaoning_chaoyang_2024/zhengti.yaml --explain"))
@FILES
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", help="输出格式。")
@click.option("--explain", is_flag=True, help="列出每个得分的计算过程。")
@POLICY_OPTION
def score(files: tuple[Path, ...], fmt: str, explain: bool, policy: Policy | None) -> None:
    """为项目文件、目录、自评表或平铺工作簿 (.yaml/.json/.xlsx) 评分。"""
    from . import api
    from .output import dumps, format_text, result_dict, terminal_width

    results, failures = api.score_files(files, policy)
    _fail_all(failures, fmt)
    if fmt == "json":
        if not api.single_input(files) or len(results) > 1:
            click.echo(dumps([result_dict(r) for r in results]))
        elif results:
            click.echo(dumps(result_dict(results[0])))
    elif results:
        width = terminal_width()
        click.echo("\n\n".join(format_text(r, explain, width) for r in results))
    sys.exit(1 if failures else 0)


@main.command(epilog=_example("perfscore check samples/hubei_qiaokou_2024"))
@FILES
@POLICY_OPTION
def check(files: tuple[Path, ...], policy: Policy | None) -> None:
    """检查文件（或目录下的每个文件），列出每个文件的全部问题（不输出评分）。"""
    from . import api

    checks = api.check_files(files, policy)
    for c in checks:
        if c.problems:
            click.echo(f"{printable(c.source)}: {len(c.problems)} 个问题", err=True)
            for p in c.problems:
                _fail(printable(p))
        else:
            click.echo(f"{printable(c.source)}: 无问题")
    sys.exit(1 if any(c.problems for c in checks) else 0)


def _fail_all(failures, fmt: str = "text") -> None:
    """Each failure's lines on stderr; with ``--format json`` one JSON object a line instead
    (``output.failure_dict``: the lines and each problem's 指标, 字段, 单元格 and path)."""
    if fmt == "json":
        import json

        from .output import failure_dict

        for failure in failures:
            _fail(json.dumps(failure_dict(failure), ensure_ascii=False))
        return
    for failure in failures:
        for line in failure.lines():
            _fail(printable(line))  # a name's LF stays inside its own line


def _write_or_fail(write, *args) -> None:
    """Run a library function that writes one file; report it, or the error and exit 1."""
    from .errors import PerfscoreError

    try:
        written = write(*args)
    except PerfscoreError as exc:
        _fail(str(exc))
        sys.exit(1)
    click.echo(f"已写入 {printable(written)}")


def _template(ctx: click.Context, param: click.Parameter, value: str | None) -> str | Path | None:
    """A shipped template's name (national, hubei, …), a template file or a province folder."""
    if value is None or value in TEMPLATE_NAMES:
        return value
    path = Path(value)
    if not (path.is_file() or (path.is_dir() and province_at(path) is not None)):
        raise _OwnBadParameter(
            f"「{value}」既不是内置模板（{'、'.join(TEMPLATE_NAMES)}）也不是存在的模板文件", ctx, param
        )
    return path


TEMPLATE_OPTION = click.option(
    "--template", "-t", callback=_template, metavar="NAME|FILE",
    help=f"模板: 内置模板 {' / '.join(TEMPLATE_NAMES)}，"
         "或模板文件 (.xlsx，旁边有同名 .map.yaml)，或省份目录；默认为评分规则指定的模板或内置的项目表/整体表模板。",
)


def _out_option(help_text: str):
    return click.option("-o", "--output", "output", required=True, type=click.Path(path_type=Path), help=help_text)


@main.command(epilog=_example("perfscore fill samples/liaoning_chaoyang_2024/zhengti.yaml -o 整体.xlsx"))
@FILES
@TEMPLATE_OPTION
@_out_option("输出文件 (.xlsx)；多个输入时为输出目录。")
@POLICY_OPTION
def fill(files: tuple[Path, ...], template: str | Path | None, output: Path, policy: Policy | None) -> None:
    """评分并填入自评表模板 (Excel)。"""
    from . import api

    _, failures = api.fill_files(files, output, policy, template, on_written=lambda p: click.echo(f"已写入 {printable(p)}"))
    _fail_all(failures)
    sys.exit(1 if failures else 0)


@main.command("import", epilog=_example("perfscore import examples/qiaokou_flat.xlsx -o 项目文件"))
@click.argument("sheets", nargs=-1, required=True, type=click.Path(path_type=Path))
@TEMPLATE_OPTION
@_out_option("输出的项目文件 (.yaml 或 .json)；多个自评表时为输出目录。")
def import_(sheets: tuple[Path, ...], template: Path | None, output: Path) -> None:
    """把自评表 (.xlsx，或目录下的每个自评表) 读回为项目文件，原表得分记为 reported。"""
    from . import api

    written, failures = api.import_files(sheets, output, template)
    for path in written:
        click.echo(f"已写入 {printable(path)}")
    _fail_all(failures)
    sys.exit(1 if failures else 0)


@main.command(epilog=_example("perfscore audit examples/qiaokou_flat.xlsx"))
@click.argument("sheets", nargs=-1, required=True, type=click.Path(path_type=Path))
@TEMPLATE_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="输出格式。")
@click.option("--targets", type=click.Path(path_type=Path), default=None,
              help="绩效目标表：逐个指标对照申报的目标（缺失、新增、目标降低/提高、运算符或单位变动、年初预算数）。")
@POLICY_OPTION
def audit(sheets: tuple[Path, ...], template: str | Path | None, fmt: str, targets: Path | None, policy: Policy | None) -> None:
    """复核自评表：重新计算并列出与原表不一致的每个单元格；--targets 时对照绩效目标表。"""
    from . import api
    from .output import dumps

    results, failures = api.audit_files(sheets, policy, template)
    _fail_all(failures, fmt)
    checked, target_failures = api.audit_targets(sheets, targets, policy) if targets is not None else ([], [])
    _fail_all(target_failures)
    if fmt == "text":
        for c in checked:
            if c.findings:
                click.echo("\n".join(printable(f.line(c.source)) for f in c.findings))
            else:
                click.echo(f"{printable(c.source)}: 与绩效目标表（{printable(c.declared)}）一致")
    target_bad = any(c.blocking for c in checked) or bool(target_failures)
    for result in results:
        if fmt == "json":
            continue
        if result.findings:
            click.echo("\n".join(printable(f.line()) for f in result.findings))
        else:
            click.echo(f"{printable(result.file)}: 与重新计算的结果一致（总分 {result.result.total}，等级 {result.result.grade}）")
    if fmt == "json":
        payload = [r.as_dict() for r in results]
        by_file = {c.source: c for c in checked}
        for entry in payload:
            if entry["file"] in by_file:
                entry["targets"] = by_file[entry["file"]].as_dict()["findings"]
        one = api.single_input(sheets) and len(results) <= 1
        click.echo(dumps((payload[0] if payload else []) if one else payload))
    sys.exit(1 if failures or target_bad or any(r.findings for r in results) else 0)


@main.command(epilog=_example("perfscore init -o 我的项目.yaml"))
@_out_option("输出文件: .xlsx 空白自评表，或 .yaml 带注释的项目文件。")
@click.option("--kind", type=click.Choice(["project", "department"]), default=None,
              help="项目表或整体表（默认: 模板的类型，否则项目表）。")
@TEMPLATE_OPTION
@click.option("--from", "targets", type=click.Path(path_type=Path), default=None,
              help="绩效目标表 (.xlsx/.xls/.ods，或含目标表的 .docx/.pdf)：为其中每个申报项目生成项目文件（-o 以 .xlsx 结尾或给出 -t 时为自评表），指标、目标、年初预算数照申报填好。")
@POLICY_OPTION
def init(output: Path, kind: str | None, template: str | Path | None, targets: Path | None, policy: Policy | None) -> None:
    """生成空白自评表 (.xlsx) 或项目文件模板 (.yaml)；--from 绩效目标表 时按申报内容生成。"""
    from .sheets.fill import write_blank
    from .sheets.templates import policy_template

    if targets is not None:
        from . import api
        from .projectfile import TEXT_SUFFIXES

        if template is not None and output.suffix.lower() in TEXT_SUFFIXES:
            _fail(f"提示：-t {template} 是自评表的表样，只用于 -o 以 .xlsx 结尾的自评表；"
                  f"{output} 是项目文件，不用表样，-t 已忽略")
        written, notes, failures = api.init_from_targets(targets, output, policy, template)
        for path in written:
            click.echo(f"已写入 {printable(path)}")
        for note in notes:
            _fail(note)
        _fail_all(failures)
        sys.exit(1 if failures or not written else 0)
    if template is None:
        template = policy_template(policy, kind or "project")
    _write_or_fail(write_blank, output, kind, template, policy)


@main.command(epilog=_example("perfscore batch samples/ -o 输出"))
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@_out_option("输出目录。")
@click.option("--sheets", is_flag=True, help="同时为每个项目生成填好的自评表。")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, metavar="N",
              help="并行进程数（默认: CPU 核数，最多 8）。")
@click.option("--quiet", "-q", is_flag=True, help="不显示进度条。")
@click.option("--targets", type=click.Path(path_type=Path), default=None,
              help="绩效目标表：逐个项目对照申报的目标，结果写入问题清单和 summary.xlsx 的「问题」表（不写入说明）。")
@POLICY_OPTION
def batch(inputs: tuple[Path, ...], output: Path, sheets: bool, jobs: int | None, quiet: bool, targets: Path | None,
          policy: Policy | None) -> None:
    """批量评分：输出 summary.xlsx、summary.sqlite、report.md、report.html（和 --sheets 自评表）。"""
    from . import api
    from .errors import PerfscoreError
    from .terms import GRADES

    show = not quiet and sys.stderr.isatty()
    import signal

    def stop(signum, frame):  # SIGTERM: remove the half-built set on the way out, like Ctrl-C
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread (an embedding program): leave signals alone
        previous = None
    try:
        with click.progressbar(length=0, label="评分中", file=sys.stderr if show else _Null()) as bar:
            def progress(done: int, total: int) -> None:
                bar.length = total
                bar.update(done - bar.pos)

            outcome = api.run_batch(inputs, output, policy, sheets=sheets, jobs=jobs, progress=progress, targets=targets)
    except PerfscoreError as exc:
        _fail(str(exc))
        sys.exit(1)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    for warning in outcome.warnings:
        _fail(warning)
    _fail_all(outcome.failures)
    _fail_all(outcome.duplicates)
    grades = {g: sum(1 for r in outcome.results if r.grade == g) for g in GRADES}
    click.echo(
        f"已评分 {len(outcome.results)} 个，失败 {len(outcome.failures)} 个"
        + (f"，重复提交 {len(outcome.duplicates)} 个未重复计入" if outcome.duplicates else "") + "（"
        + "，".join(f"{g} {n}" for g, n in grades.items()) + f"），用时 {outcome.seconds:.1f} 秒；输出目录 {printable(output)}"
    )
    if outcome.targets is not None:
        checked, unmatched = outcome.targets
        found = sum(len(c.findings) for c in checked)
        click.echo(f"对照绩效目标表：{len(checked)} 个项目，{found} 处不符，{len(unmatched)} 个项目未找到申报（见问题清单）", err=True)
    sys.exit(1 if outcome.failures else 0)


@main.command(epilog=_example("perfscore serve --port 8800"))
@click.option("--host", default="127.0.0.1", show_default=True, metavar="地址", help="监听地址（默认只允许本机访问）。")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(1, 65535), metavar="端口号", help="端口。")
@click.option("--no-browser", is_flag=True, help="不自动打开浏览器。")
def serve(host: str, port: int, no_browser: bool) -> None:
    """启动本机网页：在浏览器中上传自评表，查看得分并下载填好的表。"""
    from .web import serve as run_server

    run_server(host, port, not no_browser)


@main.command(epilog=_example("perfscore bundle -o perfscore离线包"))
@_out_option("输出目录（不存在的目录或空目录）。")
@click.option("--platform", default="win_amd64", metavar="平台",
              help="目标平台：win_amd64（64 位 Windows，默认）或 current（本机）。")
@click.option("--python", "pythons", multiple=True, metavar="版本", help="目标 Python 版本，可重复（默认 3.11、3.12、3.13）。")
def bundle(output: Path, platform: str, pythons: tuple[str, ...]) -> None:
    """生成离线安装包（需联网）：perfscore 与全部依赖包、双击启动的 .bat 和中文说明，拷到不能上网的电脑上使用。"""
    from . import api
    from .errors import PerfscoreError

    try:
        made = api.write_bundle(output, platform, pythons, on_step=lambda line: click.echo(f"{line}……", err=True))
    except PerfscoreError as exc:
        _fail(str(exc))
        sys.exit(1)
    click.echo(f"已写入 {printable(made.path)}（{len(made.wheels)} 个 wheel，共 {made.size / 1e6:.1f} MB）")


class _Null:
    def write(self, _text: str) -> None:
        pass

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


if __name__ == "__main__":  # pragma: no cover
    main()
