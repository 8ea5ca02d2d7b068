"""Format generated Python with the pinned black, only where black would change something."""

from __future__ import annotations

import hashlib
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
    return any(len(line) > LINE_LENGTH and not _black_keeps(line) for line in source.splitlines())


# A line longer than black's limit, between newlines: one C-speed scan rules most files out.
_LONG_LINE = re.compile(r"^[^\n]{%d}" % (LINE_LENGTH + 1), re.MULTILINE)


def _black_keeps(line: str) -> bool:
    """Long lines black never splits: comments and one-line docstrings."""
    text = line.strip()
    if text.startswith("#"):
        return True
    return len(text) >= 6 and text.startswith('"""') and text.endswith('"""') and '"""' not in text[3:-3]


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
    for path, (text, error) in zip(missing, _run_black(missing.values()), strict=True):
        if error is not None:
            raise TemplateError(f"{path}: the templates produced invalid Python: {error}")
        result[path] = text
        _store(cache, _key(missing[path]), text)
    return result


def _format_or_error(source: str) -> tuple[str, str | None]:
    """Black's output, or the first line of its complaint (picklable for the pool)."""
    try:
        return black_format(source), None
    except Exception as exc:  # noqa: BLE001 - black's InvalidInput and its internal errors alike
        return source, str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _run_black(sources: Iterable[str]) -> list[tuple[str, str | None]]:
    items = list(sources)
    total_lines = sum(source.count("\n") for source in items)
    workers = min(os.cpu_count() or 1, 8)
    if total_lines < _POOL_THRESHOLD or workers < 2 or len(items) < 2:
        return [_format_or_error(source) for source in items]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        chunk = max(1, len(items) // (workers * 4))
        return list(pool.map(_format_or_error, items, chunksize=chunk))
