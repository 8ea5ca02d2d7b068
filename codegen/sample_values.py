"""Sample values of the generated tests: Python expressions over a counter `n`, by column type.

An expression calls the helpers of the project's `tests/values.py` (templates/_shared/tests/values.py);
`evaluate` runs it here with the same helpers, so that reflection can ask a database which expressions
its CHECK constraints accept (reflect/samples.py), and render can write the one chosen (render/samples.py).
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass, field
from functools import cache
from types import ModuleType
from typing import Any

from codegen.cache import builtin_templates_root
from codegen.render.pyliteral import py_literal, py_str
from codegen.spec.model import LogicalType

HELPERS_FILE = ("_shared", "tests", "values.py")
_CALLED = re.compile(r"\b([a-z_]+)\(")
_IDENTIFIER = re.compile(r'"((?:[^"]|"")+)"|`([^`]+)`|\[([^\]]+)\]|([^\W\d]\w*)')


@dataclass(frozen=True)
class Shape:
    """What the samples of a column depend on: its logical type and size."""

    type: LogicalType
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    timezone: bool = False
    enum_values: tuple[str, ...] = field(default=())
    item_type: LogicalType | None = None
    db_type: str = ""


# Integer columns narrower than their logical type, by a word of their database type: (low, high).
_NARROW = {"TINYINT": (1, 127), "YEAR": (1901, 2155)}


_CONSTANT = {
    LogicalType.INTEGER: "n",
    LogicalType.SMALL_INTEGER: "n",
    LogicalType.BIG_INTEGER: "n",
    LogicalType.BOOLEAN: "True",
    LogicalType.FLOAT: "n + 0.5",
    LogicalType.DATE: "day(n)",
    LogicalType.TIME: "clock(n)",
    LogicalType.INTERVAL: "duration(n)",
    LogicalType.UUID: "uuid(n)",
    LogicalType.JSON: '{"n": n}',
    LogicalType.BINARY: "blob(n)",
}


def default_expr(shape: Shape) -> str | None:
    """The expression a column's samples use unless a CHECK asks for another; None if none exists."""
    kind = shape.type
    if kind in (LogicalType.STRING, LogicalType.TEXT) and shape.enum_values:  # MySQL's SET: a member
        return py_str(shape.enum_values[0])
    if kind in (LogicalType.STRING, LogicalType.TEXT):
        return f"text(n, {shape.length})" if shape.length else "text(n)"
    if kind in (LogicalType.INTEGER, LogicalType.SMALL_INTEGER, LogicalType.BIG_INTEGER):
        words = set(re.findall(r"[A-Z]+", shape.db_type.upper()))
        bounds = next((_NARROW[word] for word in _NARROW if word in words), None)
        return f"number(n, {bounds[0]}, {bounds[1]})" if bounds else "n"
    if kind is LogicalType.BINARY and shape.length:
        return f"blob(n, {shape.length})"
    if kind is LogicalType.ENUM:
        return py_str(shape.enum_values[0]) if shape.enum_values else None
    if kind is LogicalType.DECIMAL:
        return f"decimal(n, {shape.precision or 10}, {shape.scale if shape.scale is not None else 2})"
    if kind is LogicalType.DATETIME:
        return "moment(n, tz=True)" if shape.timezone else "moment(n)"
    if kind is LogicalType.ARRAY:
        item = default_expr(Shape(shape.item_type or LogicalType.UNKNOWN, enum_values=shape.enum_values,
                                  timezone=shape.timezone))
        return f"[{item}]" if item else None
    return _CONSTANT.get(kind)


def candidates(shape: Shape) -> list[str]:
    """Expressions to try, the default first, when a CHECK constraint reads the column."""
    first = default_expr(shape)
    found = [first] if first else []
    kind = shape.type
    if kind in (LogicalType.STRING, LogicalType.TEXT):
        widths = dict.fromkeys(w for w in (shape.length, 3, 5, 8, 2, 1) if w and w <= (shape.length or 99))
        for width in widths:
            found += [f"letters(n, {width})", f"lower(n, {width})", f"digits(n, {width})"]
        if (shape.length or 99) >= 22:
            found.append("email(n)")
    elif kind in (LogicalType.INTEGER, LogicalType.SMALL_INTEGER, LogicalType.BIG_INTEGER):
        found += ["number(n, 1, 9999)", "number(n, 1, 999)", "number(n, 1, 99)", "number(n, 1, 9)",
                  "number(n, 0, 1)", "-n"]
    elif kind is LogicalType.DECIMAL:
        precision, scale = shape.precision or 10, shape.scale if shape.scale is not None else 2
        for whole in (4, 3, 2, 1):
            if precision - scale >= whole:
                found.append(f"decimal(n, {scale + whole}, {scale}, low=1)")
    elif kind is LogicalType.FLOAT:
        found += ["n % 999 + 0.5", "n % 99 + 0.5", "n % 9 + 0.5"]
    elif kind is LogicalType.DATE:
        found += ["day(n, 1)", "day(n, 366)", "day(n, 3653)"]
    elif kind is LogicalType.DATETIME:
        tz = ", tz=True" if shape.timezone else ""
        found += [f"moment(n{tz}, offset=1)", f"moment(n{tz}, offset=525600)"]
    elif kind is LogicalType.ENUM:
        found += [py_str(value) for value in shape.enum_values[1:]]
    elif kind is LogicalType.BOOLEAN:
        found.append("False")
    return found


@cache
def helpers() -> ModuleType:
    """The module of the generated tests' value helpers, loaded from the built-in templates."""
    path = builtin_templates_root().joinpath(*HELPERS_FILE)
    spec = importlib.util.spec_from_file_location("codegen_sample_helpers", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def evaluate(expr: str, n: int) -> Any:
    """The value of a sample expression for counter `n`, as the generated tests compute it."""
    code, names = _compiled(expr)
    return eval(code, {"__builtins__": {}}, {**names, "n": n})  # noqa: S307 - our own expressions


@cache
def _compiled(expr: str) -> tuple[Any, dict[str, Any]]:
    return compile(expr, "<sample>", "eval"), {name: getattr(helpers(), name) for name in helper_names(expr)}


def helper_names(expr: str) -> list[str]:
    """The helpers of tests/values.py that an expression calls."""
    module = helpers()
    return sorted({name for name in _CALLED.findall(expr) if callable(getattr(module, name, None))})


def pick_expr(values: list[Any]) -> str:
    """The expression cycling through `values` (JSON-ready values read from the source's rows)."""
    return f"pick(n, {py_literal(tuple(values))})"


def checked_columns(sql: str, columns: list[str]) -> set[str]:
    """The columns of `columns` a CHECK's SQL names (in any quoting, case-insensitively)."""
    named = set()
    for match in _IDENTIFIER.finditer(sql):
        quoted = match[1].replace('""', '"') if match[1] else None
        named.add((quoted or match[2] or match[3] or match[4]).lower())
    return {column for column in columns if column.lower() in named}


@cache
def injective(expr: str, counters: range) -> bool:
    """True when the expression gives a different value for every counter of `counters`."""
    values = [repr(evaluate(expr, n)) for n in counters]
    return len(set(values)) == len(values)
