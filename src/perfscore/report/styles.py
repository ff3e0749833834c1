"""Report styles: the jinja2 templates that word the 自评综述 and the 说明 paragraphs
(a province's ``provinces/<name>/report_style.j2``, or a style file beside the policy file
that names it). A policy file comes from a unit's folder, so a style is data: it renders in jinja2's
sandbox and can never run code (SCORING.md §10)."""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import functools
import re
from decimal import Decimal
from pathlib import Path

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator
from jinja2.runtime import Macro
from jinja2.sandbox import MAX_RANGE, ImmutableSandboxedEnvironment, SecurityError
from jinja2.visitor import NodeTransformer

from ..errors import InputError
from ..limits import MAX_STYLE_STEPS, MAX_STYLE_TEXT
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


class _Budget:
    """What one rendering may still make: characters of text and loop items."""

    def __init__(self) -> None:
        self.text = MAX_STYLE_TEXT
        self.steps = MAX_STYLE_STEPS

    def spend_text(self, n: int) -> None:
        self.text -= n
        if self.text < 0:
            raise StyleLimit(f"文风模板输出的文字超过 {MAX_STYLE_TEXT} 个字符（上限），拒绝渲染")

    def spend_step(self) -> None:
        self.steps -= 1
        if self.steps < 0:
            raise StyleLimit(f"文风模板的循环超过 {MAX_STYLE_STEPS} 次（上限），拒绝渲染")


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("style_budget", default=None)


@contextlib.contextmanager
def _rendering():
    """Each entry point (loading a style, one macro) renders under a fresh budget."""
    token = _BUDGET.set(_Budget())
    try:
        yield
    finally:
        _BUDGET.reset(token)


def _budget() -> _Budget:
    budget = _BUDGET.get()
    if budget is None:
        raise StyleLimit("文风模板只能经 style_text 渲染")
    return budget


def _size(value) -> int:
    return len(value) if isinstance(value, (str, list, tuple, dict)) else 0


def _sized(value):
    """Any one string or list a style builds holds at most MAX_STYLE_TEXT characters or items."""
    if _size(value) > MAX_STYLE_TEXT:
        raise StyleLimit(f"文风模板生成的文字超过 {MAX_STYLE_TEXT} 个字符（上限），拒绝渲染")
    return value


def _check_args(args, kwargs) -> None:
    """A width, count or repeat passed to a filter or method is at most MAX_STYLE_TEXT."""
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_STYLE_TEXT:
            raise StyleLimit(f"文风模板的参数 {value} 超出上限 {MAX_STYLE_TEXT}")


def _check_format(text: str) -> None:
    """A format string (``%`` or ``str.format``) asks for no width above MAX_STYLE_TEXT."""
    if any(len(d) > len(str(MAX_STYLE_TEXT)) for d in re.findall(r"[0-9]+", text[:MAX_STYLE_TEXT])):
        raise StyleLimit("文风模板格式串中的宽度超出上限")  # '{:>999999999}', '%999999999d'


def _bounded_join(sep, items) -> str:
    sep, out, total = str(sep), [], 0
    for item in items:
        text = str(item)
        total += len(text) + (len(sep) if out else 0)
        if total > MAX_STYLE_TEXT:
            _sized(" " * (MAX_STYLE_TEXT + 1))  # refused with the one message
        out.append(text)
    return sep.join(out)


def _bounded_replace(s, old, new, count=None) -> str:
    s, old, new = str(s), str(old), str(new)
    times = s.count(old) if count is None or count < 0 else min(count, s.count(old))
    if len(s) + times * len(new) > MAX_STYLE_TEXT:
        _sized(" " * (MAX_STYLE_TEXT + 1))
    return s.replace(old, new, -1 if count is None else count)


@jinja2.pass_context
def _style_out(context, value):
    text = str(value)
    _budget().spend_text(len(text))
    return text


@jinja2.pass_context
def _style_loop(context, iterable):
    budget = _budget()
    for item in iterable:
        budget.spend_step()
        yield item


@jinja2.pass_context
def _style_concat(context, values):
    return _bounded_join("", values)


def _style_range(*args):
    rng = range(*args)
    if len(rng) > MAX_RANGE:
        raise StyleLimit(f"文风模板的 range 超过 {MAX_RANGE} 项（上限）")
    return rng


class _Bounds(NodeTransformer):
    """Rewrites a style's syntax tree so that every piece of text it writes, every loop item and
    every ``~`` go through the budget (the filters above, which a style cannot bypass)."""

    @staticmethod
    def _through(node, name):
        return nodes.Filter(node, name, [], [], None, None, lineno=node.lineno)

    def visit_Output(self, node):
        self.generic_visit(node)
        node.nodes = [self._through(child, "_style_out") for child in node.nodes]
        return node

    def visit_For(self, node):
        self.generic_visit(node)
        node.iter = self._through(node.iter, "_style_loop")
        return node

    def visit_Concat(self, node):
        self.generic_visit(node)
        return self._through(nodes.List(node.nodes, lineno=node.lineno), "_style_concat")


class _BoundedCodeGenerator(CodeGenerator):
    def visit_Template(self, node, frame=None):
        _Bounds().visit(node)
        node.set_environment(self.environment)
        return super().visit_Template(node, frame)


# the filters a style may use: none that pads, repeats, batches or sums (each a way to a bomb),
# and neither float nor round: a style's amounts and scores are printed with num/cn (Decimal,
# 四舍五入), never through binary floats or round()'s half-to-even
STYLE_FILTERS = ("abs", "attr", "capitalize", "count", "d", "default", "dictsort", "first", "format",
                 "groupby", "int", "items", "join", "last", "length", "list", "lower", "map", "max", "min", "reject",
                 "rejectattr", "replace", "reverse", "select", "selectattr", "sort", "string", "title",
                 "trim", "unique", "upper", "wordcount")


def _bounded_filter(func, formats: bool = False):
    @functools.wraps(func)  # keeps jinja2's pass_context/pass_eval_context mark
    def bounded(*args, **kwargs):
        _check_args(args, kwargs)
        if formats and args:  # ``format``: ``value % args``
            _check_format(str(args[0]))
        return _sized(func(*args, **kwargs))
    return bounded


@jinja2.pass_eval_context
def _join_filter(eval_ctx, value, d="", attribute=None):
    if attribute is not None:
        value = (eval_ctx.environment.getitem(v, attribute) for v in value)
    return _bounded_join(d, value)


@jinja2.pass_eval_context
def _replace_filter(eval_ctx, s, old, new, count=None):
    return _bounded_replace(s, old, new, count)


class StyleEnvironment(ImmutableSandboxedEnvironment):
    """A report style renders in jinja2's sandbox (a policy file, and so its style, comes from
    a unit's folder: data, never code): no attribute starting with ``_``, no function
    internals, no mutation of the facts, ``str.format`` checked too; no globals but a bounded
    ``range``; ``*``, ``**``, ``+``, ``%`` and ``~`` bounded; its text and loops under a budget
    (limits.py); only the filters in STYLE_FILTERS."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = _BoundedCodeGenerator

    def getattr(self, obj, attribute):
        """A fact's field (``r.total``: a field of one of perfscore's dataclasses holding text, a
        number, a flag or a list) as it is, without the sandbox's checks, which would pass it
        anyway; any other attribute through them."""
        fields = _FACT_FIELDS.get(type(obj))
        if fields is None:
            fields = _FACT_FIELDS.setdefault(type(obj), _fact_fields(type(obj)))
        if attribute in fields:
            value = getattr(obj, attribute)
            if type(value) in _FACT_VALUES:
                return value
        return super().getattr(obj, attribute)

    def call_binop(self, context, operator, left, right):
        if operator == "**" and isinstance(right, (int, Decimal)) and (
                abs(right) > MAX_POWER or isinstance(left, int) and left.bit_length() * abs(right) > 64 * MAX_POWER):
            raise StyleLimit(f"文风模板的乘方 {right} 次超出上限")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int) and len(seq) * times > MAX_REPEAT:
                    raise StyleLimit(f"文风模板重复出的内容超过 {MAX_REPEAT} 个字符")
        if operator == "%" and isinstance(left, str):
            _check_format(left)
            _check_args(right if isinstance(right, tuple) else (right,), {})
        return _sized(super().call_binop(context, operator, left, right))

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 (jinja2's own signature)
        if isinstance(__obj, Macro):
            return super().call(__context, __obj, *args, **kwargs)
        _check_args(args, kwargs)
        method = getattr(__obj, "__wrapped__", __obj)  # jinja2 ≥ 3.1.3 wraps str.format in getattr
        owner, name = getattr(method, "__self__", None), getattr(method, "__name__", "")
        if isinstance(owner, str) and name in ("format", "format_map"):
            _check_format(owner)
        if isinstance(owner, str) and name == "join" and len(args) == 1 and not kwargs:
            return _bounded_join(owner, args[0])
        if isinstance(owner, str) and name == "replace" and 2 <= len(args) <= 3 and not kwargs:
            return _bounded_replace(owner, *args)
        return _sized(super().call(__context, __obj, *args, **kwargs))


def _fact_fields(cls: type) -> frozenset[str]:
    if not dataclasses.is_dataclass(cls) or not cls.__module__.startswith("perfscore."):
        return frozenset()
    return frozenset(f.name for f in dataclasses.fields(cls) if not f.name.startswith("_"))


_FACT_FIELDS: dict[type, frozenset[str]] = {}
_FACT_VALUES = frozenset({str, bool, int, Decimal, list, tuple, type(None)})


@functools.lru_cache(maxsize=1)
def style_environment() -> jinja2.Environment:
    """Plain-text templates (no escaping: the report escapes what they return), sandboxed."""
    env = StyleEnvironment(
        loader=jinja2.FunctionLoader(_style_source), autoescape=False, trim_blocks=True, lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.globals = {"range": _style_range}
    filters = {name: _bounded_filter(env.filters[name], name == "format")
               for name in STYLE_FILTERS if name in env.filters}
    filters.update(join=_join_filter, replace=_replace_filter, cn=chinese_number, num=format_number,
                   _style_out=_style_out, _style_loop=_style_loop, _style_concat=_style_concat)
    env.filters = filters
    return env


def _style_name(style: str) -> str:
    return Path(style).name if Path(style).is_absolute() else style


def check_style(style: str, where: str) -> None:
    """A style file that does not compile, or lacks a macro, is refused when its policy is
    loaded (one line naming the file and the line), not when the report is written."""
    try:
        env = style_environment()
        for used in env.parse(_style_source(style)).find_all(nodes.Filter):
            if used.name not in env.filters or used.name.startswith("_"):
                raise InputError(f"{where}: 文风模板「{_style_name(style)}」第 {used.lineno} 行有误: 不能使用过滤器 "
                                 f"{used.name}（可用：{'、'.join(STYLE_FILTERS)}、cn、num）")
        with _rendering():
            module = _style(style)
    except jinja2.TemplateSyntaxError as exc:
        raise InputError(f"{where}: 文风模板「{_style_name(style)}」第 {exc.lineno} 行有误: {exc.message}") from None
    except (jinja2.TemplateError, OSError, UnicodeDecodeError, ArithmeticError, TypeError, ValueError, LookupError,
            AttributeError, RecursionError) as exc:
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
    if isinstance(exc, jinja2.UndefinedError):  # never the library's words
        return "用到了没有的数据或属性（可用的数据列在 perfscore 所带文风模板的开头）"
    if isinstance(exc, RecursionError):
        return "宏的调用层数过深（宏反复调用自身）"
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
        with _rendering():
            return squash(getattr(_style(style), macro)(*args))
    except (jinja2.TemplateError, ArithmeticError, TypeError, ValueError, LookupError, AttributeError,
            RecursionError) as exc:
        raise InputError(f"文风模板「{_style_name(style)}」的 {macro}: {style_problem(exc)}") from None


__all__ = ["style_text", "check_style", "style_environment", "squash", "chinese_number", "StyleEnvironment"]
