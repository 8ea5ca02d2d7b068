"""Real-world MariaDB/MySQL and SQLite schemas (tests/fixtures/realworld/my_*.sql, lite_*.sql), in the style of
the public sample databases users bring (sakila, employees, classicmodels, world, a WordPress-like blog):
labelled ENUM/SET, numbers and times at their edges (unsigned BIGINT at its max, DECIMAL(65,30), TIME over
24 hours and negative, zero dates), spatial, FULLTEXT and JSON columns, binary keys, names with spaces, dots,
dashes and backticks or named like Python's, pydantic's and SQLAlchemy's own attributes, composite keys out of
column order, keyless tables, views with ALGORITHM/DEFINER, triggers, invisible and generated columns; on
SQLite WITHOUT ROWID and STRICT tables, untyped columns, declared types SQLite only reads the affinity of,
booleans kept as words, dates that are no date, a foreign key to a missing table.

Fast: both targets' code compiles and hides no name, and the types that read such values are chosen. Slow:
the projects pass their own tests (one target per dialect, MariaDB's on an empty scratch database; both with
CODEGEN_REALWORLD_FULL=1), and both, serving the loaded database, answer every call of
tests/probe.py, read every listed row back by its key (keys holding `/`, `%`, `?`, `#`, spaces, bytes) and
answer the values as stored (TIME beyond a day, unsigned BIGINT at its max, booleans kept as words).
"""

from __future__ import annotations

import os
import sqlite3
import sys
import types
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path
from typing import Any

import databases
import harness
import httpx
import pytest
from conftest import require_server
from probe import _segment, collections, probe
from shadowing import files_collisions

from codegen import api

TARGETS = ("fastapi", "flask")
FIXTURES = Path(__file__).parent / "fixtures" / "realworld"
SCHEMAS = {"sqlite": "lite_shop.sql", "mariadb": "my_shop.sql"}
DIALECT_PARAMS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("mariadb", id="mariadb", marks=pytest.mark.server),
]


@pytest.fixture(scope="module", params=DIALECT_PARAMS)
def realworld(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """(dialect, URL) of the dialect's real-world database, loaded once per module, dropped after it."""
    dialect = str(request.param)
    script = (FIXTURES / SCHEMAS[dialect]).read_text(encoding="utf-8")
    if dialect == "sqlite":
        path = tmp_path_factory.mktemp("realworld") / "shop.sqlite"
        with closing(sqlite3.connect(path)) as conn:
            conn.executescript(script)
        yield dialect, f"sqlite:///{path}"
        return
    require_server(dialect)
    name = databases.database_name("realworldmy")
    try:
        url = databases.create_database(dialect, name)
        databases.run_script(dialect, url, script)
        yield dialect, url
    finally:
        databases.drop_database(dialect, name)


@pytest.fixture(scope="module")
def spec(realworld: tuple[str, str]) -> Any:
    """The reflected spec of the real-world database."""
    return api.reflect(realworld[1])


def _model(spec: Any, table: str, target: str = "fastapi") -> str:
    files = api.generate_files(spec, target, {"auth": "apikey"})
    resource = next(r for r in spec.resources if r.table == table)
    return files[f"app/models/{resource.module}.py"]


@pytest.mark.parametrize("target", TARGETS)
def test_realworld_code_compiles_and_hides_no_name(spec: Any, target: str) -> None:
    files = api.generate_files(spec, target, {"auth": "apikey"})
    assert files_collisions(files) == []


def test_realworld_types_read_what_is_stored(realworld: tuple[str, str], spec: Any) -> None:
    dialect, _ = realworld
    if dialect == "mariadb":
        lines = next(r for r in spec.resources if r.table == "order line.items")
        assert "price `each`" in [f.column for f in lines.fields]  # SQLAlchemy keeps the backticks doubled
        assert "VARBINARY(16)" in _model(spec, "blob_key")  # a BLOB is no key on MariaDB
        assert "VARBINARY(4)" in _model(spec, "binary_key")
        assert "MysqlTime()" in _model(spec, "time_edges")  # 838:59:59 is no time of day
        assert "approx: Mapped[float | None] = mapped_column(MysqlFloat())" in _model(spec, "number_edges")
    else:
        model = _model(spec, "declared")
        for name in ("SqliteDate()", "SqliteBoolean()", "SqliteNumeric(10, 5)", "SqliteJSON()"):
            assert name in model


def test_keys_holding_a_slash_stay_one_segment(spec: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    files = api.generate_files(spec, "fastapi", {"auth": "apikey"})
    module = types.ModuleType("realworld_representation")
    monkeypatch.setitem(sys.modules, module.__name__, module)  # its dataclasses look themselves up there
    exec(compile(files["app/representation.py"], "app/representation.py", "exec"), module.__dict__)
    routing_path, key_segment = module.routing_path, module.key_segment
    assert routing_path(b"/p/a%2fb%3Fc%23d%25e%252F%C3%BC?x=%2F") == "/p/a%2Fb?c#d%25e%252Fü".encode()
    assert key_segment("a%2Fb?c#d%25e%252F") == "a/b?c#d%e%2F"


def _key_types(document: dict[str, Any], item: str) -> dict[str, str]:
    parameters = document["paths"][item]["get"].get("parameters", [])
    return {p["name"]: p.get("schema", {}).get("type", "") for p in parameters if p.get("in") == "path"}


def _rows_by_key(client: httpx.Client, document: dict[str, Any]) -> tuple[int, list[str]]:
    """Every listed row (up to 50 per resource) read back by its key: (requests, failures).

    A row whose key its type does not describe (SQLite keeps text in an INTEGER key that is no rowid) has
    no path the API documents: left out."""
    sent, failures = 0, []
    for collection in collections(document):
        if collection.item is None:
            continue
        listed = client.get(collection.path, params={"limit": 50})
        if listed.status_code != 200:
            continue  # the probe reports it
        types = _key_types(document, collection.item)
        for row in listed.json()["items"]:
            names = tuple(name if name in row else name.rstrip("_") for name in collection.key)
            if any(row.get(name) is None for name in names):
                continue
            if any(types.get(p) == "integer" and type(row[n]) is not int for p, n in zip(collection.key, names)):
                continue
            path = collection.path + "".join("/" + _segment(row[name]) for name in names)
            got = client.get(path)
            sent += 1
            if got.status_code != 200 or got.json() != row:
                failures.append(f"GET {path} -> {got.status_code} {got.text[:200]} (listed {row})")
    return sent, failures


def _stored_values(client: httpx.Client, dialect: str) -> list[str]:
    """Values only these schemas hold, answered as stored."""
    wrong = []
    if dialect == "mariadb":
        durations = {row["duration"] for row in client.get("/time-edges", params={"limit": 50}).json()["items"]}
        if not {"838:59:59", "-00:00:01"} <= durations:
            wrong.append(f"TIME beyond a day: {sorted(map(str, durations))}")
        top = client.get("/number-edges", params={"label__eq": "max"}).json()["items"]
        if [row["huge"] for row in top] != [18446744073709551615]:
            wrong.append(f"unsigned BIGINT max: {top}")
        for label in ("max", "two"):  # a FLOAT found by the value answered for it (single precision)
            listed = client.get("/number-edges", params={"label__eq": label}).json()["items"][0]["approx"]
            found = client.get("/number-edges", params={"approx__eq": str(listed)}).json()["items"]
            if label not in [row["label"] for row in found]:
                wrong.append(f"FLOAT {listed} of {label!r} not found by its value")
    else:
        rows = client.get("/declared", params={"limit": 50}).json()["items"]
        if [row["yes_no"] for row in rows] != [True, False, None, False]:
            wrong.append(f"booleans kept as words: {[row['yes_no'] for row in rows]}")
        if [row["born"] for row in rows] != ["2024-01-02", "2024-13-45", None, ""]:
            wrong.append(f"dates that are no date: {[row['born'] for row in rows]}")
    return wrong


# The target whose own tests run per dialect (both with CODEGEN_REALWORLD_FULL=1): the two targets' tests
# differ in their client only, and both projects are served and probed either way; one each stays fast.
OWN_TESTS = {"sqlite": "fastapi", "mariadb": "flask"}


def _own_tests(dialect: str, target: str) -> bool:
    """Whether the project of `target` runs its own tests on `dialect`."""
    return OWN_TESTS[dialect] == target or bool(os.environ.get("CODEGEN_REALWORLD_FULL"))


def _run(dialect: str, url: str, project: Path, target: str) -> tuple[list[str], int, int]:
    """One generated project: its own tests, then served on the database: (problems, probed, read back)."""
    label = f"realworld/{dialect}/{target}"
    python = harness.install_project(project, label)
    problems = []
    if _own_tests(dialect, target):
        environment = {}
        scratch = databases.database_name(f"realworldmy{target}")
        if dialect != "sqlite":  # an empty database of each project's own: the two run at once
            environment["TEST_DATABASE_URL"] = databases.create_database(dialect, scratch)
        try:
            done = harness.run_project_tests(python, project, environment, label=label)
        finally:
            if dialect != "sqlite":
                databases.drop_database(dialect, scratch)
        counts = harness.summary_counts(done.stdout)
        if done.returncode != 0 or not counts.get("passed"):
            problems.append(f"its own tests: {counts}\n{done.stdout[-5000:]}")
    write, _, keys = harness.api_keys()
    with harness.serve(python, project, {"DATABASE_URL": url, "API_KEYS": keys}) as base:
        report = probe(base, {"X-API-Key": write})
        with httpx.Client(base_url=base, headers={"X-API-Key": write}, timeout=30) as client:
            sent, failures = _rows_by_key(client, client.get("/openapi.json").json())
            failures += _stored_values(client, dialect)
    return [f"{target}: {failure}" for failure in problems + report.failures + failures], report.requests, sent


@pytest.mark.slow
def test_realworld_projects_pass_their_tests_and_answer_every_call(
    realworld: tuple[str, str], spec: Any, tmp_path: Path
) -> None:
    dialect, url = realworld
    for target in TARGETS:
        api.generate(url, tmp_path / target, target=target)
    with ThreadPoolExecutor(len(TARGETS)) as pool:  # one project's tests while the other is served
        runs = list(pool.map(lambda target: _run(dialect, url, tmp_path / target, target), TARGETS))
    problems = [problem for found, _, _ in runs for problem in found]
    for _, requests, sent in runs:
        assert requests > 20 * len(spec.resources) and sent > len(spec.resources)
    assert not problems, "\n".join(problems)
