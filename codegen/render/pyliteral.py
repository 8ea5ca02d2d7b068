"""Python literals spelled the way black writes them, so generated code is black-stable."""

from __future__ import annotations


def py_str(value: str) -> str:
    """A string literal in black's preferred quotes: double, unless that needs more escapes."""
    single = repr(value)
    if single.startswith('"'):
        return single
    body = single[1:-1]
    unescaped = body.replace("\\'", "'")
    double_body = _escape_double(unescaped)
    if double_body.count('\\"') > body.count("\\'"):
        return single
    return f'"{double_body}"'


def _escape_double(body: str) -> str:
    """Escape bare double quotes in a repr body (backslash sequences are already escaped)."""
    out = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            out.append(body[index : index + 2])
            index += 2
            continue
        out.append('\\"' if char == '"' else char)
        index += 1
    return "".join(out)


def py_list(values: list[str]) -> str:
    """`["a", "b"]`, black-stable for short lists."""
    return "[" + ", ".join(py_str(value) for value in values) + "]"


def py_literal(value: object) -> str:
    """A black-stable literal for str, int, float, bool, None and lists or tuples of them."""
    if isinstance(value, str):
        return py_str(value)
    if isinstance(value, list):
        return "[" + ", ".join(py_literal(item) for item in value) + "]"
    if isinstance(value, tuple):
        inner = ", ".join(py_literal(item) for item in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    raise TypeError(f"no Python literal for {type(value).__name__}")
