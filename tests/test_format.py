"""Formatting: the fast path equals the pinned black on schemas nobody wrote by hand."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import black
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codegen import api
from codegen.format import LINE_LENGTH, needs_black

NAME = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_ -éü"),
    min_size=1,
    max_size=48,
).filter(lambda s: s.strip(" -_") != "")
TYPES = st.sampled_from(["INTEGER", "VARCHAR(40)", "TEXT", "NUMERIC(12,4)", "DATE", "TIMESTAMP", "BOOLEAN",
                         "BLOB", "REAL", "CHAR(1)"])


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _build(path: Path, tables: list[tuple[str, list[tuple[str, str]], int]]) -> str:
    connection = sqlite3.connect(path)
    previous: str | None = None
    for table, columns, key_count in tables:
        defs = [f"{_quote(c)} {t} NOT NULL" if i < key_count else f"{_quote(c)} {t}"
                for i, (c, t) in enumerate(columns)]
        keys = ", ".join(_quote(c) for c, _ in columns[:key_count])
        extra = f", PRIMARY KEY ({keys})" if key_count else ""
        if previous is not None:
            defs.append(f"{_quote('parent ref')} INTEGER REFERENCES {_quote(previous)}")
        connection.execute(f"CREATE TABLE {_quote(table)} ({', '.join(defs)}{extra})")
        previous = table if key_count == 1 else previous
    connection.commit()
    connection.close()
    return f"sqlite:///{path}"


TABLES = st.lists(
    st.tuples(NAME, st.lists(st.tuples(NAME, TYPES), min_size=1, max_size=6, unique_by=lambda c: c[0].lower()),
              st.integers(0, 2)),
    min_size=1, max_size=4, unique_by=lambda t: t[0].lower(),
)


def test_line_length_is_blacks() -> None:
    assert black.DEFAULT_LINE_LENGTH == LINE_LENGTH


def test_needs_black_ignores_what_black_keeps() -> None:
    assert not needs_black("# " + "x" * 100 + "\n")
    assert not needs_black('    """' + "x" * 100 + '"""\n')
    assert needs_black("x = " + "1 + " * 30 + "1\n")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tables=TABLES)
def test_fast_path_equals_black(tables: list[tuple[str, list[tuple[str, str]], int]],
                                tmp_path_factory: pytest.TempPathFactory,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path_factory.mktemp("fmt")
    monkeypatch.setenv("CODEGEN_CACHE_DIR", str(folder / "cache"))
    tables = [(t, cols, min(k, len(cols))) for t, cols, k in tables]
    spec = api.reflect(_build(folder / "db.sqlite", tables))
    for target in api.TARGETS:
        fast = api.generate_files(spec, target, {"auth": "apikey"})
        strict = api.generate_files(spec, target, {"auth": "apikey"}, strict_format=True)
        assert [p for p in fast if fast[p] != strict[p]] == [], target
        for path, text in fast.items():
            if path.endswith(".py"):
                compile(text, path, "exec")
