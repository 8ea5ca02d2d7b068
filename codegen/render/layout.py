"""Lay out calls and signatures the way black leaves them, so black has nothing to change."""

from __future__ import annotations

from dataclasses import dataclass

from codegen.format import LINE_LENGTH


def fit(head: str, args: list[str | Call], tail: str, indent: int = 0) -> str:
    """`head(args)tail` on one line when it fits; else one argument per line with a trailing comma.

    Black keeps both forms as they are: the first because it fits, the second because of its
    magic trailing comma. An argument that is a `Call` is laid out as `lay_out` does.
    """
    pad = " " * indent
    line = pad + head + ", ".join(flat(arg) for arg in args) + tail
    if len(line) <= LINE_LENGTH or not args:
        return line
    lines = [text for arg in args for text in _lines(arg, indent + 4, ",")]
    return "\n".join([pad + head, *lines, pad + tail])


def tuple_literal(values: list[str]) -> str:
    """A tuple of string literals: `("a",)`, `("a", "b")`, `()`."""
    from codegen.render.pyliteral import py_literal

    return py_literal(tuple(values))


# -- calls and lists laid out exactly as black would lay them out -----------------------------------
#
# `fit` writes a form black keeps (one argument per line with a magic trailing comma) but
# not always the one black would choose for the one-line form. The generated output has always been
# black's choice, so where a line may grow long (long names, many columns) these helpers compute
# that choice:
#
# - the whole call on one line when it fits;
# - else black's right-hand split: the opening bracket ends the first line, the arguments follow
#   on one line one level deeper when they fit there, and the closing bracket gets its own line;
# - else one argument per line with a trailing comma added, each argument laid out the same way.
#
# An argument that is a single atom (a name, a number, a string) is never split, and a lone
# argument gets no trailing comma: black only adds one where it splits at commas.


@dataclass(frozen=True)
class Call:
    """`head` + arguments joined by ", " + `tail`, e.g. `sa.Column(` ... `)`; arguments are atoms or calls."""

    head: str
    args: tuple[str | Call, ...]
    tail: str = ")"


def flat(node: str | Call) -> str:
    """The node on one line."""
    if isinstance(node, str):
        return node
    return node.head + ", ".join(flat(arg) for arg in node.args) + node.tail


def lay_out(node: str | Call, indent: int = 0, suffix: str = "") -> str:
    """The lines black writes for `node` followed by `suffix` (such as "," in a list), at `indent`."""
    return "\n".join(_lines(node, indent, suffix))


def _lines(node: str | Call, indent: int, suffix: str) -> list[str]:
    pad = " " * indent
    line = pad + flat(node) + suffix
    if len(line) <= LINE_LENGTH or isinstance(node, str) or not node.args:
        return [line]
    inner = " " * (indent + 4)
    body = inner + ", ".join(flat(arg) for arg in node.args)
    if len(body) <= LINE_LENGTH or (len(node.args) == 1 and isinstance(node.args[0], str)):
        middle = [body]
    elif len(node.args) == 1:
        middle = _lines(node.args[0], indent + 4, "")
    else:
        middle = [text for arg in node.args for text in _lines(arg, indent + 4, ",")]
    return [pad + node.head, *middle, pad + node.tail + suffix]


def assign_list(name: str, items: list[str]) -> str:
    """`name = [items]` at module level, as black writes it: a list display that does not fit
    gets one item per line and a trailing comma even where the items would fit on one line."""
    if len(items) < 2:
        return lay_out(Call(f"{name} = [", tuple(items), "]"))
    return fit(f"{name} = [", list(items), "]")
