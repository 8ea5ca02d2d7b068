"""The bulk SQLite catalog: the same reflection as SQLAlchemy's inspector, in a handful of statements."""

from __future__ import annotations

import sqlite3
import sys
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine.reflection import ObjectKind
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.types import TypeEngine

from codegen import api
from codegen.reflect import database, sqlite_catalog
from codegen.reflect.sqlite_fingerprint import schema_fingerprint, sqlite_file
from codegen.spec.io import dump_spec
from corpus import REPO
from databases import sqlite_file as script_db

CHINOOK = REPO / "examples" / "chinook.sqlite"
SAKILA = Path("/work/shared/corpus/db/sakila-sqlite/sakila.sqlite")
HARD = REPO / "tests" / "fixtures" / "hard" / "sqlite.sql"

# Shapes the fixtures may lack: every one is a path through the dialect's reflection code.
EDGES = '''
CREATE TABLE "Parent ""Quoted""" (id INTEGER PRIMARY KEY, code VARCHAR(10) NOT NULL, UNIQUE (code));
CREATE TABLE child (
    id INTEGER PRIMARY KEY,
    parent_id INTEGER REFERENCES "PARENT ""QUOTED""" ON DELETE CASCADE,
    parent_code VARCHAR(10) CONSTRAINT fk_code REFERENCES "Parent ""Quoted""" (code) ON UPDATE CASCADE,
    total NUMERIC(10, 2) CHECK (total >= 0),
    kind TEXT CHECK (kind IN ('a', 'b')),
    label VARCHAR(20) UNIQUE,
    doubled INTEGER GENERATED ALWAYS AS (id * 2) VIRTUAL,
    stored TEXT GENERATED ALWAYS AS (upper(label)) STORED,
    geo GEOMETRY,
    uid UUID,
    odd "weird type" (3),
    untyped
);
CREATE INDEX ix_child_expr ON child (lower(label));
CREATE INDEX ix_child_partial ON child (kind) WHERE kind IS NOT NULL;
CREATE UNIQUE INDEX ux_child_pair ON child (parent_id, parent_code);
CREATE TABLE nokey (a TEXT, b TEXT) ;
CREATE TABLE wr (k TEXT PRIMARY KEY, v INTEGER) WITHOUT ROWID;
CREATE TABLE composite (a INTEGER, b INTEGER, c INTEGER, PRIMARY KEY (a, b),
    FOREIGN KEY (a, b) REFERENCES composite (a, b));
CREATE TABLE "orphan" (id INTEGER PRIMARY KEY, gone_id INTEGER REFERENCES missing_table (id));
CREATE VIEW child_view AS SELECT c.id, c.label, p.code FROM child AS c JOIN "Parent ""Quoted""" AS p
    ON p.id = c.parent_id;
'''




def _synthetic(path: Path) -> str:
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import synth_db
    finally:
        sys.path.remove(str(REPO / "bench"))
    synth_db.build_sqlite(path, tables=40, rows=1)
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def urls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("catalog")
    found = {
        "chinook": f"sqlite:///{CHINOOK}",
        "hard": script_db(folder / "hard.sqlite", HARD.read_text(encoding="utf-8")),
        "edges": script_db(folder / "edges.sqlite", EDGES),
        "synthetic": _synthetic(folder / "synth.sqlite"),
    }
    if SAKILA.exists():
        found["sakila"] = f"sqlite:///{SAKILA}"
    return found


def _comparable(value: Any) -> Any:
    """Reflected facts with SQLAlchemy types and clauses as text (they do not compare by value)."""
    if isinstance(value, dict):
        return {key: _comparable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_comparable(item) for item in value)
    if isinstance(value, ClauseElement):
        return f"clause: {value}"
    if isinstance(value, TypeEngine):
        return f"{type(value).__name__}: {value!r}"
    return value


def _both(url: str) -> tuple[dict[str, Any], dict[str, Any], Counter[str]]:
    """Every batched fact through the inspector, and through the catalog replay (plus what it forwarded)."""
    engine = create_engine(url)
    forwarded: Counter[str] = Counter()
    try:
        with engine.connect() as conn, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            inspector = inspect(conn)
            names = sorted(inspector.get_table_names() + inspector.get_view_names())
            args = {"schema": None, "filter_names": names, "kind": ObjectKind.ANY}
            plain = database._batch(inspector, args, None)
            catalog = sqlite_catalog.read_catalog(conn, None)
            assert catalog is not None
            replay = sqlite_catalog.replay_connection(conn, catalog)
            real = replay.exec_driver_sql.__func__  # type: ignore[attr-defined]

            def counting(self: Any, statement: str, parameters: Any = None, options: Any = None) -> Any:
                if self._replay_catalog.reply(statement, parameters) is None:
                    forwarded[statement.split("(")[0]] += 1
                return real(self, statement, parameters, options)

            type(replay).exec_driver_sql = counting  # type: ignore[method-assign]
            try:
                fresh = inspect(conn)  # its own reflection cache, filled through the replay
                bulk = database._batch(fresh, args, replay)
            finally:
                type(replay).exec_driver_sql = real  # type: ignore[method-assign]
    finally:
        engine.dispose()
    return _comparable(plain), _comparable(bulk), forwarded


@pytest.mark.parametrize("name", ["chinook", "sakila", "hard", "edges", "synthetic"])
def test_catalog_replay_equals_the_inspector(urls: dict[str, str], name: str) -> None:
    if name not in urls:
        pytest.skip(f"{name} is not in the corpus here")
    plain, bulk, forwarded = _both(urls[name])
    assert bulk == plain
    # Only what the catalog does not hold runs for real: the names queries, a partial index's SQL,
    # a table referenced in another case or missing.
    names = "SELECT name FROM {} WHERE type='{}' AND name NOT LIKE 'sqlite~_%' ESCAPE '~' ORDER BY name"
    allowed = {names.format(master, kind) for master in ("sqlite_master", "sqlite_temp_master")
               for kind in ("table", "view")}
    allowed.add("SELECT sql FROM sqlite_master WHERE name = ? AND type = 'index'")
    unexpected = {statement: count for statement, count in forwarded.items() if statement not in allowed}
    if name != "edges":
        assert unexpected == {}
    else:  # the upper-cased reference and the missing table are asked for real
        assert sum(unexpected.values()) <= 12, unexpected


@pytest.mark.parametrize("name", ["chinook", "sakila", "hard", "edges", "synthetic"])
def test_bulk_reflection_gives_the_same_spec(urls: dict[str, str], name: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    if name not in urls:
        pytest.skip(f"{name} is not in the corpus here")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bulk = dump_spec(api.reflect(urls[name]))
        monkeypatch.setattr(sqlite_catalog, "read_catalog", lambda conn, schema: None)
        plain = dump_spec(api.reflect(urls[name]))
    assert bulk == plain


@pytest.mark.parametrize("name", ["chinook", "edges"])
def test_bulk_reflection_of_a_named_schema(urls: dict[str, str], name: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bulk = dump_spec(api.reflect(urls[name], schemas=["main"]))
        monkeypatch.setattr(sqlite_catalog, "read_catalog", lambda conn, schema: None)
        plain = dump_spec(api.reflect(urls[name], schemas=["main"]))
    assert bulk == plain


def test_reflection_runs_a_few_statements_whatever_the_table_count(tmp_path: Path) -> None:
    url = _synthetic(tmp_path / "synth.sqlite")
    engine = create_engine(url)
    statements: list[str] = []
    from sqlalchemy import event

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    with engine.connect() as conn:
        database._reflect_connection(conn, engine.url, url, [], [], [], None)
    engine.dispose()
    assert len(statements) < 20, statements


def test_a_temporary_table_makes_the_catalog_step_aside(tmp_path: Path) -> None:
    url = script_db(tmp_path / "t.sqlite", "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE);")
    engine = create_engine(url)
    with engine.connect() as conn:
        conn.exec_driver_sql("CREATE TEMP TABLE t (id INTEGER PRIMARY KEY, other TEXT)")
        catalog = sqlite_catalog.read_catalog(conn, None)
        assert catalog is not None and not catalog.temp_empty
        assert catalog.rows("table_info", "t") is None  # unqualified PRAGMAs would see temp.t first
        assert catalog.reply("PRAGMA temp.table_xinfo(\"t\")", None) is None
        assert catalog.table_sql == {}
    engine.dispose()


def test_fingerprint_follows_every_schema_change(tmp_path: Path) -> None:
    path = tmp_path / "f.sqlite"
    url = script_db(path, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);")
    seen = {schema_fingerprint(url)}
    changes = [
        "INSERT INTO t (name) VALUES ('data does not count')",
        "ALTER TABLE t ADD COLUMN extra VARCHAR(5)",
        "CREATE INDEX ix_t_name ON t (name)",
        "CREATE UNIQUE INDEX ux_t_extra ON t (extra)",
        "CREATE VIEW v AS SELECT id FROM t",
        "ALTER TABLE t RENAME COLUMN extra TO other",
        "DROP INDEX ix_t_name",
        "CREATE TABLE u (id INTEGER PRIMARY KEY REFERENCES t (id))",
        "DROP VIEW v",
    ]
    for number, change in enumerate(changes):
        connection = sqlite3.connect(path)
        connection.execute(change)
        connection.commit()
        connection.close()
        fingerprint = schema_fingerprint(url)
        assert fingerprint is not None
        if number == 0:
            assert fingerprint in seen
        else:
            assert fingerprint not in seen, change
        seen.add(fingerprint)


def test_fingerprint_only_for_plain_sqlite_files(tmp_path: Path) -> None:
    script_db(tmp_path / "a.sqlite", "CREATE TABLE t (id INTEGER)")
    assert sqlite_file(f"sqlite:///{tmp_path / 'a.sqlite'}") == tmp_path / "a.sqlite"
    assert schema_fingerprint(f"sqlite:///{tmp_path / 'a.sqlite'}") is not None
    for url in ["sqlite://", "sqlite:///:memory:", f"sqlite:///{tmp_path / 'a.sqlite'}?mode=ro",
                f"sqlite:///{tmp_path / 'missing.sqlite'}", "postgresql://u@h/db", f"sqlite:///{tmp_path}",
                "sqlite:///file:x?uri=true", f"sqlite+aiosqlite:///{tmp_path / 'a.sqlite'}"]:
        assert schema_fingerprint(url) is None, url
    assert not (tmp_path / "missing.sqlite").exists()
