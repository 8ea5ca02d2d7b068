"""Lay out calls and signatures the way black leaves them, so black has nothing to change."""

from __future__ import annotations

from codegen.format import LINE_LENGTH


def fit(head: str, args: list[str], tail: str, indent: int = 0) -> str:
    """`head(args)tail` on one line when it fits; else one argument per line with a trailing comma.

    Black keeps both forms as they are: the first because it fits, the second because of its
    magic trailing comma.
    """
    pad = " " * indent
    line = f"{pad}{head}{', '.join(args)}{tail}"
    if len(line) <= LINE_LENGTH or not args:
        return line
    inner = "".join(f"{pad}    {arg},\n" for arg in args)
    return f"{pad}{head}\n{inner}{pad}{tail}"


def tuple_literal(values: list[str]) -> str:
    """A tuple of string literals: `("a",)`, `("a", "b")`, `()`."""
    from codegen.render.pyliteral import py_literal

    return py_literal(tuple(values))
