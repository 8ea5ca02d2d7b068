"""ETL jobs (`codegen generate --etl`): spec, rendering, and generated jobs run for real on Sakila.

The end-to-end tests generate a project with `--etl --etl-engine dask`, install it once (its venv
has the ETL's pinned dependencies, dask included) and drive `python -m etl` as cron would, on
Sakila in SQLite and PostgreSQL into DuckDB and PostgreSQL: counts and exact decimal sums match
the source, an incremental rerun brings exactly the changed and added rows, a run killed with
SIGKILL and rerun ends where an uninterrupted run ends, personal data never arrives in clear,
and the Dask engine on a local cluster loads what the local engine loads.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import shutil
import signal
import sqlite3
import struct
import subprocess
import termios
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

import databases
from codegen import api
from codegen.errors import SpecError
from codegen.reflect.etl import find_cursor
from codegen.spec.io import dump_spec, parse_spec
from conftest import in_ci, require_server

# Its tests share module-scoped fixtures: one xdist worker runs them all (tests/conftest.py).
pytestmark = pytest.mark.xdist_group("etl")

REPO = Path(__file__).resolve().parents[1]
SAKILA = databases.SAKILA_SQLITE
SAKILA_TABLES = (
    "actor",
    "address",
    "category",
    "city",
    "country",
    "customer",
    "film",
    "film_actor",
    "film_category",
    "film_text",
    "inventory",
    "language",
    "payment",
    "rental",
    "staff",
    "store",
)
# Sakila's personal data as the reflector marks it, with what reaches the destination.
PERSONAL = {
    ("customer", "email"): "hash",
    ("customer", "first_name"): "hash",
    ("address", "phone"): "mask",
    ("address", "address"): "hash",
    ("staff", "email"): "hash",
    ("staff", "password"): "drop",
}


# -- spec and rendering (fast) ---------------------------------------------------------------------


def _sakila_spec(etl: bool = True) -> Any:
    return api.reflect(f"sqlite:///{SAKILA}", name="sakila", etl=etl)


def test_plain_specs_have_no_jobs_and_no_etl_files() -> None:
    spec = _sakila_spec(etl=False)
    assert spec.etl == []
    assert not any(field.personal_data for resource in spec.resources for field in resource.fields)
    files = api.generate_files(spec, "fastapi", {"auth": "apikey"})
    assert not any(path.startswith("etl/") or path == "tests/test_etl.py" for path in files)
    assert "duckdb" not in files["pyproject.toml"]


def test_reflector_fills_jobs_with_cursor_disposition_and_personal_data() -> None:
    spec = _sakila_spec()
    jobs = {job.name: job for job in spec.etl}
    assert len(jobs) == len(spec.resources)
    payment = jobs["payment"]
    assert (payment.mode, payment.cursor, payment.write_disposition) == (
        "incremental",
        "last_update",
        "merge",
    )
    assert jobs["customer_list"].mode == "full" and jobs["customer_list"].write_disposition == "replace"
    customer = {t.field: t.op for t in jobs["customer"].transforms}
    assert customer["email"] == "hash" and customer["first_name"] == "hash"
    assert {t.field: t.op for t in jobs["staff"].transforms}["password"] == "drop"
    assert spec.resource("customer").field("email").personal_data
    chinook = (
        api.reflect("sqlite:///examples/chinook.sqlite", etl=True) if (REPO / "examples").exists() else None
    )
    if chinook is not None:  # no timestamp: the integer key is the cursor
        album = {job.name: job for job in chinook.etl}["album"]
        assert (album.mode, album.cursor) == ("incremental", "album_id")
        assert find_cursor(chinook.resource("playlist_track")) is None


def test_jobs_round_trip_and_hand_edits_are_validated() -> None:
    spec = _sakila_spec()
    text_ = dump_spec(spec)
    assert parse_spec(text_, "spec.yaml") == spec
    edited = text_.replace("cursor: last_update", "cursor: last_updat", 1)
    with pytest.raises(SpecError, match="/etl/0/cursor: no field 'last_updat'"):
        parse_spec(edited, "spec.yaml")
    old = text_.split("etl:\n")[0]  # a spec written before jobs existed still loads
    assert parse_spec(old, "old.yaml").etl == []


def test_etl_output_is_black_stable_and_only_adds_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODEGEN_CACHE_DIR", str(tmp_path / "cache"))
    spec = _sakila_spec()
    options = {"auth": "apikey", "etl": True, "etl_engine": "dask", "etl_scheduler": "airflow"}
    fast = api.generate_files(spec, "fastapi", options)
    strict = api.generate_files(spec, "fastapi", options, strict_format=True)
    assert [path for path in fast if fast[path] != strict[path]] == []
    plain = api.generate_files(spec.model_copy(update={"etl": []}), "fastapi", {"auth": "apikey"})
    changed = sorted(path for path in plain if path in fast and plain[path] != fast[path])
    assert changed == [
        ".codegen/manifest.json",
        ".codegen/options.json",
        ".codegen/spec.yaml",
        ".env.example",
        ".gitignore",
        "README.md",
        "pyproject.toml",
    ]
    added = sorted(set(fast) - set(plain))
    assert "etl/dask_engine.py" in added and "etl/airflow_dag.py" in added and "tests/test_etl.py" in added
    assert '"duckdb==' in fast["pyproject.toml"] and '"distributed==' in fast["pyproject.toml"]
    for path in added:
        if path.endswith(".py"):
            compile(fast[path], path, "exec")


def test_single_column_and_long_names_stay_black_stable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODEGEN_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "odd.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE solo (solo_id INTEGER PRIMARY KEY)")
        long = "an_extremely_long_column_name_that_pushes_every_line_past_the_limit"
        connection.execute(
            f"CREATE TABLE wide ({long}_id INTEGER PRIMARY KEY, {long}_email VARCHAR(80), "
            f"{long}_status TEXT CHECK ({long}_status IN ('open', 'closed')))"
        )
    spec = api.reflect(f"sqlite:///{path}", etl=True)
    options = {"auth": "apikey", "etl": True, "etl_scheduler": "dagster"}
    fast = api.generate_files(spec, "fastapi", options)
    strict = api.generate_files(spec, "fastapi", options, strict_format=True)
    assert [p for p in fast if p.startswith("etl/") and fast[p] != strict[p]] == []


def test_the_flask_target_gets_the_same_etl_package() -> None:
    spec = _sakila_spec()
    fastapi = api.generate_files(spec, "fastapi", {"auth": "apikey", "etl": True})
    flask = api.generate_files(spec, "flask", {"auth": "apikey", "etl": True})
    etl_files = [path for path in fastapi if path.startswith("etl/") or path == "tests/test_etl.py"]
    assert etl_files and all(flask[path] == fastapi[path] for path in etl_files)
    assert '"duckdb==' in flask["pyproject.toml"] and '"etl*"' in flask["pyproject.toml"]


def test_etl_context_is_documented() -> None:
    from codegen.render.context import project_context
    from codegen.render.contextdoc import undocumented
    from codegen.render.etl import etl_context

    spec = _sakila_spec()
    context = project_context(spec, {"auth": "apikey"})
    context["etl"] = etl_context(spec, {"etl": True, "etl_engine": "dask"})
    assert undocumented(context) == []


def test_generate_options_are_checked() -> None:
    with pytest.raises(Exception, match="--etl-engine"):
        api.etl_options(True, engine="spark")
    with pytest.raises(Exception, match="need --etl"):
        api.etl_options(False, engine="dask")
    assert api.etl_options(False) == {}
    assert api.etl_options(True, "dask", "dagster") == {
        "etl": True,
        "etl_engine": "dask",
        "etl_scheduler": "dagster",
    }


# -- the generated jobs, run for real --------------------------------------------------------------


@pytest.fixture(scope="module")
def etl_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The interpreter of an installed project generated with --etl --etl-engine dask."""
    from harness import install_project

    project = tmp_path_factory.mktemp("etl") / "sakila"
    api.generate(f"sqlite:///{SAKILA}", project, name="sakila", etl=True, etl_engine="dask")
    return install_project(project, label="etl")


@pytest.mark.slow
def test_generated_etl_tests_pass_out_of_the_box(etl_python: Path) -> None:
    """The project's own ETL tests (SQLite into DuckDB), run by pytest inside the project."""
    from harness import project_env, summary_counts

    project = etl_python.parent.parent.parent
    done = subprocess.run([str(etl_python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_etl.py"],
                          cwd=project, env=project_env({}, etl_python), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    counts = summary_counts(done.stdout)
    assert counts.get("passed", 0) >= 4 and not counts.get("failed") and not counts.get("skipped"), counts


def _generate(source: str, directory: Path, **options: Any) -> Path:
    api.generate(source, directory, name="sakila", etl=True, **options)
    return directory


def run_etl(
    python: Path, project: Path, env: dict[str, str], *args: str
) -> tuple[int, dict[str, dict[str, Any]]]:
    from harness import project_env

    done = subprocess.run(
        [str(python), "-m", "etl", *args],
        cwd=project,
        capture_output=True,
        text=True,
        env=project_env(env, python),
        timeout=300,
    )
    results = {entry["job"]: entry for entry in map(json.loads, done.stdout.splitlines())}
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, results


def _rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()


_READER = """
import duckdb, json, sys
for line in sys.stdin:
    request = json.loads(line)
    try:
        with duckdb.connect(request["db"], read_only=True) as connection:
            answer = {"rows": connection.execute(request["sql"]).fetchall()}
    except Exception as exc:
        answer = {"error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(answer, default=str), flush=True)
"""


@pytest.fixture(scope="module")
def duckdb_reader(etl_python: Path) -> Iterator[Any]:
    """Query a DuckDB file (or a PostgreSQL URL): DuckDB runs in one helper process of the project's venv."""
    helper = subprocess.Popen(
        [str(etl_python), "-c", _READER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )

    def read(destination: str, sql: str) -> list[Any]:
        if destination.startswith("postgresql"):
            return [
                list(row)
                for row in _rows(destination.replace("postgresql://", "postgresql+psycopg://", 1), sql)
            ]
        assert helper.stdin is not None and helper.stdout is not None
        helper.stdin.write(json.dumps({"db": destination, "sql": sql}) + "\n")
        helper.stdin.flush()
        answer = json.loads(helper.stdout.readline())
        assert "error" not in answer, answer.get("error")
        return [list(row) for row in answer["rows"]]

    yield read
    assert helper.stdin is not None
    helper.stdin.close()
    helper.wait(timeout=30)


def _source(kind: str, tmp_path: Path) -> str:
    if kind == "sqlite":
        path = tmp_path / "sakila.sqlite"
        shutil.copyfile(SAKILA, path)
        return f"sqlite:///{path}"
    require_server("postgresql")
    url = databases.create_database("postgresql", databases.database_name("etlsakila"))
    databases._build_sakila("postgresql", url)
    return url


def _destination(kind: str, tmp_path: Path, name: str = "etldest") -> str:
    if kind == "duckdb":
        return str(tmp_path / f"{name}.duckdb")
    require_server("postgresql")
    url = databases.create_database("postgresql", databases.database_name(name))
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _source_totals(url: str) -> dict[str, int]:
    return {table: _rows(url, f"SELECT count(*) FROM {table}")[0][0] for table in SAKILA_TABLES}


def _destinations(tmp_path: Path) -> list[str]:
    """DuckDB always; PostgreSQL when its server answers (under CI it must)."""
    found = [_destination("duckdb", tmp_path)]
    if databases.server_available("postgresql") is None or in_ci():
        found.append(_destination("postgresql", tmp_path))
    return found


@pytest.mark.slow
@pytest.mark.parametrize(
    "source_kind",
    [
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.server),
    ],
)
def test_sakila_full_then_incremental(
    source_kind: str, etl_python: Path, duckdb_reader: Any, tmp_path: Path
) -> None:
    """Into DuckDB and PostgreSQL from one source: the same checks on each destination."""
    source = _source(source_kind, tmp_path)
    destinations = _destinations(tmp_path)
    project = _generate(source, tmp_path / "project")
    envs = {
        destination: {
            "DATABASE_URL": source,
            "ETL_DESTINATION": destination,
            "ETL_HASH_SALT": "s3cret",
            "ETL_ENGINE": "local",
        }
        for destination in destinations
    }
    totals = _source_totals(source)
    sums = {
        (table, column): _rows(source, f"SELECT sum({column}) FROM {table}")[0][0]
        for table, column in (("payment", "amount"), ("film", "rental_rate"), ("film", "replacement_cost"))
    }
    for destination, env in envs.items():
        code, first = run_etl(etl_python, project, env, "run")
        assert code == 0, first
        assert all(result["status"] == "ok" for result in first.values())
        for table, count in totals.items():
            assert first[table]["rows_read"] == count and first[table]["rows_written"] == count
            assert duckdb_reader(destination, f"SELECT count(*) FROM {table}") == [[count]]
        for (table, column), expected in sums.items():
            loaded = duckdb_reader(destination, f"SELECT CAST(sum({column}) AS VARCHAR) FROM {table}")[0][0]
            assert Decimal(str(loaded)) == Decimal(str(expected)).quantize(Decimal("0.01")), (table, column)
        assert duckdb_reader(
            destination,
            "SELECT data_type FROM information_schema.columns "
            "WHERE table_name = 'payment' AND column_name = 'amount'",
        )[0][0].lower() in ("decimal(5,2)", "numeric")
        _assert_no_clear_personal_data(source, destination, duckdb_reader)

    # Change two payments, add one: exactly those arrive; nothing duplicates.
    later = "2031-01-01 00:00:00"
    statements = [
        f"UPDATE payment SET amount = amount + 1, last_update = '{later}' WHERE payment_id IN (1, 2)",
        "INSERT INTO payment (payment_id, customer_id, staff_id, rental_id, amount, payment_date, last_update) "
        f"VALUES (99999, 1, 1, 1, 12.34, '{later}', '{later}')",
    ]
    old_mark = _rows(source, "SELECT CAST(max(last_update) AS VARCHAR) FROM payment")[0][0]
    _execute(source, statements)
    window = _rows(source, f"SELECT count(*) FROM payment WHERE last_update >= '{old_mark}'")[0][0]
    expected_sum = _rows(source, "SELECT sum(amount) FROM payment")[0][0]
    changed = (
        "SELECT payment_id, CAST(amount AS VARCHAR) FROM payment WHERE payment_id IN (1, 2, 99999) ORDER BY 1"
    )
    for destination, env in envs.items():
        code, second = run_etl(etl_python, project, env, "run", "payment", "actor")
        assert code == 0
        assert second["actor"]["rows_written"] == second["actor"]["rows_read"]  # the boundary rows only
        assert second["payment"]["rows_read"] == window  # the 3 changed rows and the rows at the old mark
        assert [[key, Decimal(str(value))] for key, value in duckdb_reader(destination, changed)] == [
            [key, Decimal(str(value)).quantize(Decimal("0.01"))] for key, value in _rows(source, changed)
        ]
        total, distinct, amount = duckdb_reader(
            destination,
            "SELECT count(*), count(DISTINCT payment_id), CAST(sum(amount) AS VARCHAR) FROM payment",
        )[0]
        assert total == distinct == 16_050
        assert Decimal(str(amount)) == Decimal(str(expected_sum)).quantize(Decimal("0.01"))
        runs = duckdb_reader(
            destination, "SELECT job, status FROM _etl_runs WHERE job = 'payment' " "ORDER BY finished_at"
        )
        assert runs == [["payment", "ok"], ["payment", "ok"]]


def _execute(url: str, statements: list[str]) -> None:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


def _assert_no_clear_personal_data(source: str, destination: str, read: Any) -> None:
    for (table, column), op in PERSONAL.items():
        columns = [
            row[0]
            for row in read(
                destination,
                "SELECT column_name FROM information_schema.columns " f"WHERE table_name = '{table}'",
            )
        ]
        if op == "drop":
            assert column not in columns
            continue
        clear = {
            str(row[0]) for row in _rows(source, f"SELECT {column} FROM {table}") if row[0] not in (None, "")
        }
        loaded = {str(row[0]) for row in read(destination, f"SELECT {column} FROM {table}")}
        assert clear and not clear & loaded, f"{table}.{column} reached the destination in clear"


# -- killed runs -----------------------------------------------------------------------------------

BIG_ROWS = 200_000


def _big_source(path: Path) -> str:
    """A payment-like table: integer key, exact decimal, timestamp cursor, personal email."""
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE ledger (entry_id INTEGER PRIMARY KEY, email VARCHAR(60) NOT NULL, "
            "amount DECIMAL(9, 2) NOT NULL, last_update TIMESTAMP NOT NULL)"
        )
        connection.executemany(
            "INSERT INTO ledger VALUES (?, ?, ?, ?)",
            (
                (n, f"user{n}@example.com", f"{n % 100000}.{n % 100:02d}", f"2024-01-01 {n % 24:02d}:00:00")
                for n in range(1, BIG_ROWS + 1)
            ),
        )
    return f"sqlite:///{path}"


@pytest.fixture
def big_project(tmp_path: Path) -> tuple[Path, str]:
    """A project whose one job has a small batch size (edited in the spec), over a 200k-row table."""
    source = _big_source(tmp_path / "big.sqlite")
    spec = api.reflect(source, name="ledger", etl=True)
    job = spec.etl[0].model_copy(update={"batch_size": 5000})
    spec_path = tmp_path / "ledger.yaml"
    spec_path.write_text(dump_spec(spec.model_copy(update={"etl": [job]})), encoding="utf-8")
    project = tmp_path / "project"
    api.generate(str(spec_path), project, etl=True)
    return project, source


def _change_many(source: str) -> None:
    _execute(
        source,
        [
            "UPDATE ledger SET amount = amount + 1, last_update = '2030-01-01 00:00:00' WHERE entry_id % 2 = 0",
            "INSERT INTO ledger SELECT entry_id + 1000000, email, amount, '2030-01-02 00:00:00' FROM ledger "
            "WHERE entry_id <= 50000",
        ],
    )


@pytest.mark.slow
def test_killed_run_resumes_to_the_same_result(
    etl_python: Path, big_project: tuple[Path, str], duckdb_reader: Any, tmp_path: Path
) -> None:
    from harness import project_env

    project, source = big_project
    reference, killed = str(tmp_path / "reference.duckdb"), str(tmp_path / "killed.duckdb")
    base = {"DATABASE_URL": source, "ETL_HASH_SALT": "s", "ETL_ENGINE": "local"}
    for destination in (reference, killed):
        assert run_etl(etl_python, project, {**base, "ETL_DESTINATION": destination}, "run")[0] == 0
    _change_many(source)
    assert run_etl(etl_python, project, {**base, "ETL_DESTINATION": reference}, "run")[0] == 0

    # The victim's stderr is a terminal, so it draws its progress bar: kill it as soon as the bar
    # shows the load started and not finished (under 100 %), which also checks the bar itself. On
    # a quiet machine the whole load takes a fraction of a second (158k rows at about 1M rows/s),
    # so waiting for a bar between 1 % and 99 % could see the run end first: the kill may land
    # before the first batch as well as after some. Either way the killed run must leave nothing.
    master, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # a real terminal's size
    victim = subprocess.Popen(
        [str(etl_python), "-m", "etl", "run"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=terminal,
        env=project_env({**base, "ETL_DESTINATION": killed}, etl_python),
    )
    os.close(terminal)
    shown = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and victim.poll() is None:
        if select.select([master], [], [], 0.2)[0]:
            try:
                shown += os.read(master, 65536)
            except OSError:  # the victim closed its terminal: it has finished
                break
            if any(int(percent) < 100 for percent in re.findall(rb"(\d+)%\|", shown)):
                break
    os.kill(victim.pid, signal.SIGKILL)
    out, _ = victim.communicate(timeout=30)
    os.close(master)
    assert victim.returncode == -signal.SIGKILL and out == b"", f"not killed before it finished: {shown[-300:]!r}"
    assert duckdb_reader(killed, "SELECT count(*) FROM _etl_runs") == [[1]]  # nothing of the killed run

    assert run_etl(etl_python, project, {**base, "ETL_DESTINATION": killed}, "run")[0] == 0
    query = "SELECT count(*), count(DISTINCT entry_id), CAST(sum(amount) AS VARCHAR), max(last_update) FROM ledger"
    assert duckdb_reader(killed, query) == duckdb_reader(reference, query)
    assert duckdb_reader(killed, "SELECT cursor FROM _etl_state") == duckdb_reader(
        reference, "SELECT cursor FROM _etl_state"
    )
    expected = _rows(source, "SELECT count(*), sum(amount) FROM ledger")[0]
    count, _, total, _ = duckdb_reader(killed, query)[0]
    assert count == expected[0] == BIG_ROWS + 50_000
    assert Decimal(str(total)) == Decimal(str(expected[1])).quantize(Decimal("0.01"))


# -- the Dask engine -------------------------------------------------------------------------------


@pytest.mark.slow
def test_dask_engine_on_a_local_cluster_loads_what_the_local_engine_loads(
    etl_python: Path, big_project: tuple[Path, str], duckdb_reader: Any, tmp_path: Path
) -> None:
    _, source = big_project
    project = tmp_path / "dask_project"
    spec_path = tmp_path / "ledger_dask.yaml"  # four partitions of 50,000 rows
    spec_path.write_text(
        (tmp_path / "ledger.yaml").read_text().replace("batch_size: 5000", "batch_size: 50000")
    )
    api.generate(str(spec_path), project, etl=True, etl_engine="dask")
    assert (project / "etl" / "dask_engine.py").is_file()
    local, dask = str(tmp_path / "local.duckdb"), str(tmp_path / "dask.duckdb")
    base = {"DATABASE_URL": source, "ETL_HASH_SALT": "s", "ETL_DASK_WORKERS": "2"}
    code, results = run_etl(etl_python, project, {**base, "ETL_DESTINATION": dask}, "run")
    assert code == 0 and results["ledger"]["rows_read"] == BIG_ROWS
    assert (
        run_etl(etl_python, project, {**base, "ETL_DESTINATION": local, "ETL_ENGINE": "local"}, "run")[0] == 0
    )
    query = (
        "SELECT count(*), count(DISTINCT entry_id), CAST(sum(amount) AS VARCHAR), "
        "count(DISTINCT email), min(email) FROM ledger"
    )
    assert duckdb_reader(dask, query) == duckdb_reader(local, query)
    assert "@" not in duckdb_reader(dask, query)[0][4]  # hashed on the workers too
    _change_many(source)
    assert run_etl(etl_python, project, {**base, "ETL_DESTINATION": dask}, "run")[0] == 0
    count, distinct = duckdb_reader(dask, "SELECT count(*), count(DISTINCT entry_id) FROM ledger")[0]
    assert count == distinct == BIG_ROWS + 50_000


@pytest.fixture(autouse=True, scope="module")
def _drop_etl_databases() -> Iterator[None]:
    yield
    for kind in ("etlsakila", "etldest"):
        if databases.server_available("postgresql") is None:
            databases.drop_database("postgresql", databases.database_name(kind))
