"""Where codegen keeps what it may recompute: black's output, compiled templates, reflected and parsed
specs (compressed JSON files), and in one SQLite table (`memo_load`, `memo_store`) rendered projects,
each template's output, each resource's template context and each reflected SQLite table.

Every entry is keyed by a digest of everything its value is computed from, so an entry can be
missing but never stale: the rendered files of a project are keyed by the spec, the target, the
options, the bytes of every codegen module and template (built-in and overrides) and the versions
of the libraries that shape the output (`render_key`).
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import sqlite3
import sys
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from importlib.util import find_spec
from pathlib import Path
from typing import Any

# The libraries whose code shapes the rendered files (Jinja renders, black formats, pydantic dumps the
# spec, PyYAML writes it); their installed distributions are part of every render key.
_LIBRARIES = ("jinja2", "markupsafe", "black", "pydantic", "pydantic_core", "yaml")
_RENDER_FORMAT = "render-1"
_RENDER_ENTRIES = 8  # rendered projects kept; the least recently used go first


def cache_root() -> Path:
    """`CODEGEN_CACHE_DIR`, else `$XDG_CACHE_HOME/codegen`, else `~/.cache/codegen`."""
    explicit = os.environ.get("CODEGEN_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(base) / "codegen"


def builtin_templates_root() -> Path:
    """The built-in template folder: inside the installed package, else the repository's templates/
    (here, not in `render.env`, so that digests need no Jinja)."""
    package = Path(__file__).resolve().parent
    packaged = package / "templates"
    return packaged if packaged.is_dir() else package.parent / "templates"


def tree_digest(root: Path, pattern: str = "*") -> str:
    """SHA-256 of every file's relative path and bytes under `root` (links followed, caches skipped)."""
    digest = hashlib.sha256()
    if not root.is_dir():
        digest.update(b"missing")
        return digest.hexdigest()
    for path in sorted(root.rglob(pattern)):
        if "__pycache__" in path.parts or not path.is_file():
            continue
        digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _library_stamp(name: str) -> str:
    """Which installed copy of a library this is: its location, its module file's size and time, and the
    version in its distribution's folder name."""
    spec = find_spec(name)
    if spec is None or spec.origin is None:
        return f"{name}: absent"
    origin = Path(spec.origin)
    stat = origin.stat()
    if spec.submodule_search_locations:  # a package (its __init__ may be compiled, as black's is)
        site, folder = origin.parent.parent, origin.parent.name
    else:
        site, folder = origin.parent, origin.name.split(".")[0]
    try:
        dists = sorted(entry for entry in os.listdir(site)
                       if entry.endswith((".dist-info", ".egg-info")) and entry.lower().startswith(
                           (folder.lower() + "-", name.lower() + "-")))
    except OSError:
        dists = []
    return f"{name}: {origin} {stat.st_size} {stat.st_mtime_ns} {dists}"


def installed_version(name: str) -> str | None:
    """A library's version from its installed distribution's folder name, without importing it."""
    spec = find_spec(name)
    if spec is None or spec.origin is None or not spec.submodule_search_locations:
        return None
    site = Path(spec.origin).parent.parent
    try:
        found = [entry[len(name) + 1 : -len(".dist-info")] for entry in os.listdir(site)
                 if entry.endswith(".dist-info") and entry.lower().startswith(name.lower() + "-")]
    except OSError:
        return None
    return found[0] if len(found) == 1 else None


_PINNED: dict[tuple[Any, ...], str] | None = None


@contextmanager
def pinned_code() -> Iterator[None]:
    """Within the block, `code_digest` reads codegen's files once (one command's worth of work).

    A render stored in the cache is checked against a fresh digest (`fresh=True`) all the same.
    """
    global _PINNED
    outer = _PINNED
    _PINNED = {} if outer is None else outer
    try:
        yield
    finally:
        _PINNED = outer


def code_digest(templates: bool = True, libraries: tuple[str, ...] = _LIBRARIES, fresh: bool = False) -> str:
    """SHA-256 of codegen's own code: its modules, the built-in templates (unless told not to), the
    given libraries' installed copies, and the Python version.

    `fresh`: the files as they are now, modules included; a value computed from what the process
    runs is stored only when this equals the key it was looked up under.
    """
    memo = _PINNED if _PINNED is not None and not fresh else None
    if memo is not None and (templates, libraries) in memo:
        return memo[(templates, libraries)]
    digest = _code_digest(templates, libraries, memo, fresh)
    if memo is not None:
        memo[(templates, libraries)] = digest
    return digest


def _code_digest(templates: bool, libraries: tuple[str, ...], memo: dict[tuple[Any, ...], str] | None,
                 fresh: bool) -> str:
    def tree(root: Path, pattern: str = "*") -> str:
        if memo is None:
            return tree_digest(root, pattern)
        if ("tree", root, pattern) not in memo:
            memo[("tree", root, pattern)] = tree_digest(root, pattern)
        return memo[("tree", root, pattern)]

    # The modules this process runs were read when it started (not when it asks): a module edited
    # since then may be loaded in its old form. So keys name the code as it was at the start, and a
    # fresh digest (checked before anything is stored) compares the files as they are now.
    python = tree_digest(_PACKAGE, "*.py") if fresh else _LOADED_PYTHON
    parts = [
        _RENDER_FORMAT,
        sys.version,
        python,
        tree(builtin_templates_root()) if templates else "",
        *(_library_stamp(name) for name in libraries),
    ]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


_PACKAGE = Path(__file__).resolve().parent
# codegen's Python code as this process loaded it: read when codegen.cache is first imported, which
# codegen.api (imported before any rendering or reflecting) does at once.
_LOADED_PYTHON = tree_digest(_PACKAGE, "*.py")


def data_key(*parts: Any) -> str:
    """SHA-256 of JSON-able parts."""
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def render_key(spec: Any, target: str, options: Mapping[str, Any], templates: Path | None,
               fresh: bool = False) -> str:
    """The key of a rendered, formatted project (without `.codegen/`): the spec's data (or its
    `data_key`), target, options, override templates, codegen's code."""
    overrides = tree_digest(templates) if templates is not None else None
    return data_key(code_digest(fresh=fresh), overrides, target, options, spec)


def load_render(key: str) -> dict[str, str] | None:
    """The rendered files stored under `key` (in the memo table, as `marshal` bytes), or None."""
    data = memo_load(_RENDER_FORMAT, [key]).get(key)
    if not isinstance(data, bytes):
        return None
    try:
        files = marshal.loads(data)
    except (EOFError, ValueError, TypeError):
        return None
    if not isinstance(files, dict) or not all(isinstance(t, str) for t in files.values()):
        return None
    return files


def store_render(key: str, files: Mapping[str, str]) -> bool:
    """Keep rendered files under `key`: `marshal` writes and reads a project's megabytes of text several
    times faster than compressed JSON."""
    return memo_store(_RENDER_FORMAT, {key: marshal.dumps(dict(files))}, keep=_RENDER_ENTRIES)


def load_entry(kind: str, key: str) -> Any:
    """The value stored under `key` in the folder `kind`, or None."""
    path = cache_root() / kind / f"{key}.json.z"
    try:
        data = json.loads(zlib.decompress(path.read_bytes()).decode("utf-8"))
        os.utime(path)  # recently used: kept longest
    except (OSError, ValueError, zlib.error):
        return None
    return data.get("value") if isinstance(data, dict) and data.get("key") == key else None


def store_entry(kind: str, key: str, value: Any, keep: int = _RENDER_ENTRIES) -> bool:
    """Keep a JSON value under `key` (atomically); the least recently used beyond `keep` entries go.

    False when the cache cannot be written: it only costs time.
    """
    folder = cache_root() / kind
    payload = zlib.compress(json.dumps({"key": key, "value": value}, ensure_ascii=False).encode("utf-8"), 1)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{key}.{os.getpid()}.tmp"
        tmp.write_bytes(payload)
        os.replace(tmp, folder / f"{key}.json.z")
        entries = sorted(folder.glob("*.json.z"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in entries[keep:]:
            old.unlink(missing_ok=True)
    except OSError:
        return False
    return True


# -- a table of many small values: the per-template renders and per-resource contexts ------------------

_MEMO_FILE = "memo-1.sqlite3"
_MEMO_ROWS = 20_000  # rows kept per kind (a template's output, a resource's context...); least recently used go


def _memo_connection() -> sqlite3.Connection:
    folder = cache_root()
    folder.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(folder / _MEMO_FILE, timeout=10, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    # `used` apart from the values: marking a hit rewrites a small row, not the value's pages
    connection.execute("CREATE TABLE IF NOT EXISTS memo (kind TEXT NOT NULL, key TEXT NOT NULL, value,"
                       " PRIMARY KEY (kind, key))")
    connection.execute("CREATE TABLE IF NOT EXISTS used (kind TEXT NOT NULL, key TEXT NOT NULL,"
                       " at INTEGER NOT NULL, PRIMARY KEY (kind, key))")
    return connection


def memo_load(kind: str, keys: Iterable[str]) -> dict[str, str | bytes]:
    """The values (text or bytes) stored under `keys` in the memo table, those found; {} when it cannot be
    read. Like every entry here, a value is keyed by a digest of everything it is computed from."""
    wanted = json.dumps(sorted(set(keys)))
    if wanted == "[]":
        return {}
    try:
        connection = _memo_connection()
        try:
            rows = connection.execute(
                "SELECT key, value FROM memo WHERE kind = ? AND key IN (SELECT value FROM json_each(?))",
                (kind, wanted),
            ).fetchall()
            if rows:  # recently used: kept longest
                connection.execute(
                    "UPDATE used SET at = ? WHERE kind = ? AND key IN (SELECT value FROM json_each(?))",
                    (time.time_ns(), kind, json.dumps([key for key, _ in rows])),
                )
        finally:
            connection.close()
    except (OSError, sqlite3.Error):
        return {}
    return dict(rows)


def memo_store(kind: str, values: Mapping[str, str | bytes], keep: int = _MEMO_ROWS) -> bool:
    """Keep values (text or bytes) under their keys; beyond `keep` rows of `kind`, the least recently used go.

    False when the table cannot be written: it only costs time.
    """
    if not values:
        return True
    now = time.time_ns()
    try:
        connection = _memo_connection()
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany("INSERT OR REPLACE INTO memo (kind, key, value) VALUES (?, ?, ?)",
                                   [(kind, key, value) for key, value in values.items()])
            connection.executemany("INSERT OR REPLACE INTO used (kind, key, at) VALUES (?, ?, ?)",
                                   [(kind, key, now) for key in values])
            excess = connection.execute("SELECT count(*) FROM used WHERE kind = ?", (kind,)).fetchone()[0] - keep
            if excess > 0:
                old = connection.execute("SELECT kind, key FROM used WHERE kind = ? ORDER BY at LIMIT ?",
                                         (kind, excess)).fetchall()
                connection.executemany("DELETE FROM memo WHERE kind = ? AND key = ?", old)
                connection.executemany("DELETE FROM used WHERE kind = ? AND key = ?", old)
            connection.execute("COMMIT")
        finally:
            connection.close()
    except (OSError, sqlite3.Error):
        return False
    return True


@contextmanager
def collector_paused() -> Iterator[None]:
    """No garbage collection while unpacking many long-lived objects from the cache."""
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
