"""Report styles: the jinja2 templates that word the 自评综述 and the 说明 paragraphs
(a province's ``provinces/<name>/report_style.j2``, or a style file beside the policy file
that names it). A policy file comes from a unit's folder, so a style is data: it renders in jinja2's
sandbox and can never run code (SCORING.md §10)."""

from __future__ import annotations

import functools
from decimal import Decimal
from pathlib import Path

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from ..errors import InputError
from ..resources import style_path
from ..values import format_number

NUMERALS = "〇一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 23 → 二十三 (for 一是、二是 … and section numbers)."""
    if n < 10:
        return NUMERALS[n]
    if n < 20:
        return "十" + (NUMERALS[n - 10] if n > 10 else "")
    if n < 100:
        return NUMERALS[n // 10] + "十" + (NUMERALS[n % 10] if n % 10 else "")
    return str(n)


STYLE_MACROS = ("lead", "project", "department", "overview")
MAX_REPEAT = 100_000  # characters or items a style's ``*`` may make; a style is data, never a bomb
MAX_POWER = 1_000


def _style_source(name: str) -> str:
    path = Path(name) if Path(name).is_absolute() else style_path(name)  # a province's report_style.j2
    return path.read_text("utf-8")


class StyleLimit(SecurityError):
    """A style asked for more than a style may make (its message is perfscore's own)."""


class StyleEnvironment(ImmutableSandboxedEnvironment):
    """A report style renders in jinja2's sandbox (a policy file, and so its style, comes from
    a unit's folder: data, never code): no attribute starting with ``_``, no function
    internals, no mutation of the facts, ``str.format`` checked too; no globals but ``range``
    (the sandbox's bounded one); ``*`` and ``**`` bounded."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator, left, right):
        if operator == "**" and isinstance(right, (int, Decimal)) and (
                abs(right) > MAX_POWER or isinstance(left, int) and left.bit_length() * abs(right) > 64 * MAX_POWER):
            raise StyleLimit(f"文风模板的乘方 {right} 次超出上限")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int) and len(seq) * times > MAX_REPEAT:
                    raise StyleLimit(f"文风模板重复出的内容超过 {MAX_REPEAT} 个字符")
        return super().call_binop(context, operator, left, right)


@functools.lru_cache(maxsize=1)
def style_environment() -> jinja2.Environment:
    """Plain-text templates (no escaping: the report escapes what they return), sandboxed."""
    env = StyleEnvironment(
        loader=jinja2.FunctionLoader(_style_source), autoescape=False, trim_blocks=True, lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.globals = {"range": env.globals["range"]}
    env.filters["cn"] = chinese_number
    env.filters["num"] = format_number
    return env


def _style_name(style: str) -> str:
    return Path(style).name if Path(style).is_absolute() else style


def check_style(style: str, where: str) -> None:
    """A style file that does not compile, or lacks a macro, is refused when its policy is
    loaded (one line naming the file and the line), not when the report is written."""
    try:
        module = _style(style)
    except jinja2.TemplateSyntaxError as exc:
        raise InputError(f"{where}: 文风模板「{_style_name(style)}」第 {exc.lineno} 行有误: {exc.message}") from None
    except (jinja2.TemplateError, OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{where}: 文风模板「{_style_name(style)}」无法使用: {style_problem(exc)}") from None
    missing = [m for m in STYLE_MACROS if not callable(getattr(module, m, None))]
    if missing:
        raise InputError(f"{where}: 文风模板「{_style_name(style)}」缺少宏 {'、'.join(missing)}")


def style_problem(exc: BaseException) -> str:
    if isinstance(exc, StyleLimit):
        return str(exc)
    if isinstance(exc, SecurityError):  # the sandbox refused: never the library's words
        return "用到了不允许的属性或方法（文风模板在沙箱中渲染，不能调用程序代码）"
    if isinstance(exc, (OSError, UnicodeDecodeError)):
        return "无法读取（须为 UTF-8 文本）"
    return str(getattr(exc, "message", None) or exc) or type(exc).__name__


def squash(text: str) -> str:
    """A style template's output as one paragraph: each line stripped, the lines joined
    (Chinese needs no space between them; spaces inside a line are kept)."""
    return "".join(line.strip() for line in str(text).splitlines())


@functools.lru_cache(maxsize=16)
def _style(name: str):
    return style_environment().get_template(name).module


def style_text(style: str, macro: str, *args) -> str:
    """One macro of a style template (``project``, ``department``, ``overview``, ``lead``…)
    rendered as one paragraph; a style that fails (a forbidden attribute, a missing fact) is
    an InputError naming the style."""
    try:
        return squash(getattr(_style(style), macro)(*args))
    except (jinja2.TemplateError, ArithmeticError, TypeError, ValueError, LookupError, AttributeError) as exc:
        raise InputError(f"文风模板「{_style_name(style)}」的 {macro}: {style_problem(exc)}") from None


__all__ = ["style_text", "check_style", "style_environment", "squash", "chinese_number", "StyleEnvironment"]
