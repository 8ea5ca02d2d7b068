"""Format generated Python with the pinned black, only where black would change something."""

from __future__ import annotations

import ast
import hashlib
import io
import os
import re
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from codegen.cache import cache_root, installed_version
from codegen.errors import TemplateError

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import black

LINE_LENGTH = 88  # black's default; tests/test_format.py checks it against the pinned black
# Files below this many lines in all are formatted in this process: a pool costs more to start.
_POOL_THRESHOLD = 4000


def needs_black(source: str) -> bool:
    """True when the source may differ from black's output.

    The built-in templates emit black's style (tested on every golden output and on the
    property tests of tests/test_format.py); what they cannot foresee is a line made too long
    by long names, which black must split.
    """
    if _LONG_LINE.search(source) is None:
        return False  # no line is long (the lines `splitlines` finds are parts of these)
    return bool(_long_lines(source))


def _long_lines(source: str) -> list[int]:
    """The numbers of the lines longer than black's limit that black may change."""
    long = [number for number, line in enumerate(source.splitlines(), 1)
            if len(line) > LINE_LENGTH and not _black_keeps(line)]
    if long and ('"""' in source or "'''" in source):
        inside = _inside_strings(source)
        long = [number for number in long if number not in inside]
    return long


# A line longer than black's limit, between newlines: one C-speed scan rules most files out.
_LONG_LINE = re.compile(r"^[^\n]{%d}" % (LINE_LENGTH + 1), re.MULTILINE)


def _black_keeps(line: str) -> bool:
    """Long lines black never splits: comments, one-line docstrings, a string alone as an element
    of a bracket a trailing comma keeps open (`"text",` or `"key": "text",`), and a name bound to
    a string that would not fit in parentheses either."""
    text = line.strip()
    if text.startswith("#"):
        return True
    if len(text) >= 6 and text.startswith('"""') and text.endswith('"""') and '"""' not in text[3:-3]:
        return True
    if _STRING_ELEMENT.fullmatch(text):
        return True
    bound = _STRING_BINDING.fullmatch(text)
    return bound is not None and len(line) - len(line.lstrip()) + 4 + len(bound.group(1)) > LINE_LENGTH


_STRING = r'[rRbBuUfF]{0,2}"(?:[^"\\\n]|\\.)*"'
_STRING_ELEMENT = re.compile(rf"(?:{_STRING}: )?{_STRING},")
_STRING_BINDING = re.compile(rf"[A-Za-z_][A-Za-z0-9_]* = ({_STRING})")


def _inside_strings(source: str) -> set[int]:
    """Numbers of the lines black cannot change whatever their length: those wholly inside a
    string that spans lines, and the first line of a docstring that spans lines.

    Black never splits a string; it re-indents a docstring's lines and moves its closing quotes
    when they do not fit, so a string's last line is not among these.
    """
    import tokenize

    found: set[int] = set()
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return found  # black reports what is wrong
    for index, token in enumerate(tokens):
        (first, column), (last, _) = token.start, token.end
        if token.type != tokenize.STRING or first == last:
            continue
        found.update(range(first + 1, last))
        before = token.line.splitlines()[0][:column] if token.line else ""
        after = tokens[index + 1].type if index + 1 < len(tokens) else tokenize.ENDMARKER
        if not before.strip() and after == tokenize.NEWLINE and token.string.startswith(('"""', "'''")):
            found.add(first)  # a docstring (or a string statement): black keeps its first line
    return found


@lru_cache(maxsize=1)
def _mode() -> black.Mode:
    import black

    return black.Mode(line_length=LINE_LENGTH)


def black_version() -> str:
    """The version of the black that formats the output."""
    import black

    return str(black.__version__)


def black_format(source: str) -> str:
    """Format one module with the pinned black."""
    import black

    return black.format_str(source, mode=_mode())


def _cache_dir() -> Path:
    # The version read from black's installed distribution: importing black costs 0.2 s, and a
    # cache hit needs none of it.
    return cache_root() / f"black-{installed_version('black') or black_version()}"


def _key(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def _cached(cache: Path, key: str) -> str | None:
    try:
        return (cache / key[:2] / key).read_text(encoding="utf-8")
    except OSError:
        return None


def _store(cache: Path, key: str, text: str) -> bool:
    """Keep black's output for next time; False when the cache cannot be written (it only costs time)."""
    try:
        folder = cache / key[:2]
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{key}.{os.getpid()}"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, folder / key)
    except OSError:
        return False
    return True


def format_sources(sources: dict[str, str], strict: bool = False) -> dict[str, str]:
    """Black-formatted `.py` sources by path; others unchanged. `strict` sends every file to black."""
    result = dict(sources)
    todo = {p: s for p, s in sources.items() if p.endswith(".py") and (strict or needs_black(s))}
    if not todo:
        return result
    cache = _cache_dir()
    missing: dict[str, str] = {}
    for path, source in todo.items():
        hit = _cached(cache, _key(source))
        if hit is None:
            missing[path] = source
        else:
            result[path] = hit
    for path, (text, error) in zip(missing, _run_black(missing.values(), strict), strict=True):
        if error is not None:
            raise TemplateError(f"{path}: the templates produced invalid Python: {error}")
        result[path] = text
        _store(cache, _key(missing[path]), text)
    return result


def _format_or_error(source: str, strict: bool = False) -> tuple[str, str | None]:
    """Black's output, or the first line of its complaint (picklable for the pool).

    Unless `strict`, only the top-level statements holding a long line go through black when
    that gives black's output for the whole file (`_long_statements`): black's time grows with
    the file, and one long line in a large module would otherwise cost seconds.
    """
    try:
        spans = None if strict else _long_statements(source)
        if spans is None:
            return black_format(source), None
        return _format_spans(source, spans), None
    except Exception as exc:  # noqa: BLE001 - black's InvalidInput and its internal errors alike
        return source, str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _format_strict(source: str) -> tuple[str, str | None]:
    return _format_or_error(source, strict=True)


def _run_black(sources: Iterable[str], strict: bool = False) -> list[tuple[str, str | None]]:
    items = list(sources)
    total_lines = sum(source.count("\n") for source in items)
    workers = min(os.cpu_count() or 1, 8)
    one = _format_strict if strict else _format_or_error
    if total_lines < _POOL_THRESHOLD or workers < 2 or len(items) < 2:
        return [one(source) for source in items]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        chunk = max(1, len(items) // (workers * 4))
        return list(pool.map(one, items, chunksize=chunk))


def _long_statements(source: str) -> list[tuple[int, int]] | None:
    """The line spans (0-based, end excluded) of the top-level statements holding a long line,
    when formatting only those gives black's output for the whole file; else None.

    The rest of a generated file is in black's style already (`needs_black`), and black lays out
    a top-level statement the same whether alone or in its module, given the same target
    versions. Those it infers from the whole module: `from __future__ import annotations` makes
    them 3.7 and later, where every version has the trailing commas black adds after `*args`;
    what else depends on them (parenthesized context managers, except clauses without parentheses
    from 3.14) is left to a run over the whole file, as are module-level strings (black would take
    one alone for a module docstring), statements sharing a line, and `fmt:` comments.
    """
    if "fmt:" in source or "\t" in source:
        return None
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None  # black says what is wrong
    if not any(isinstance(node, ast.ImportFrom) and node.module == "__future__"
               and any(alias.name == "annotations" for alias in node.names) for node in tree.body):
        return None
    long = _long_lines(source)
    spans: list[tuple[int, int]] = []
    previous_end = 0
    for node in tree.body:
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        last = node.end_lineno or node.lineno
        if first <= previous_end:
            return None  # two statements on one line
        previous_end = last
        if not any(first <= number <= last for number in long):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) or _version_dependent(node):
            return None
        spans.append((first - 1, last))
    covered = sum(1 for number in long if any(a < number <= b for a, b in spans))
    return spans if covered == len(long) else None


def _version_dependent(node: ast.AST) -> bool:
    """Whether black's layout of the statement may depend on the target versions beyond 3.7+."""
    for inner in ast.walk(node):
        if isinstance(inner, (ast.With, ast.AsyncWith)):
            return True
        if isinstance(inner, ast.ExceptHandler) and isinstance(inner.type, ast.Tuple):
            return True
    return False


@lru_cache(maxsize=1)
def _statement_mode() -> black.Mode:
    import black

    versions = {v for v in black.TargetVersion if v.value >= black.TargetVersion.PY37.value}
    return black.Mode(line_length=LINE_LENGTH, target_versions=versions)


def _format_spans(source: str, spans: list[tuple[int, int]]) -> str:
    import black

    lines = source.splitlines(keepends=True)
    parts: list[str] = []
    position = 0
    for start, end in spans:
        parts.extend(lines[position:start])
        parts.append(black.format_str("".join(lines[start:end]), mode=_statement_mode()))
        position = end
    parts.extend(lines[position:])
    return "".join(parts)
