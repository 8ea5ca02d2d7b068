"""The ETL jobs end to end, on a SQLite copy of the schema into DuckDB.

Every job runs as `python -m etl run` would run it from cron: a full load, then an
incremental run after changing and adding rows, with the JSON lines, exit codes, run log
and personal-data transforms checked against the source.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from etl.jobs import JOBS
from etl.model import Column, Job

ROOT = Path(__file__).resolve().parent.parent
ROWS = 5
# Jobs of tables in a named schema need that schema; SQLite has none.
TESTED = [job for job in JOBS if job.source_schema is None]
_DECLARED = {
    "integer": "INTEGER",
    "small_integer": "SMALLINT",
    "big_integer": "BIGINT",
    "boolean": "BOOLEAN",
    "float": "REAL",
    "date": "DATE",
    "datetime": "TIMESTAMP",
    "datetime_tz": "TIMESTAMP",
    "time": "TIME",
    "binary": "BLOB",
}


def declared(column: Column) -> str:
    """A SQLite column type for the column's source type."""
    if column.read_type == "decimal":
        return f"DECIMAL({column.precision or 10}, {column.scale or 0})"
    return _DECLARED.get(column.read_type, "TEXT")


def value(job: Job, column: Column, n: int) -> Any:
    """A valid source value for row `n` (unique per row where it can be)."""
    kind = column.read_type
    for check in job.checks:
        if check.check == "accepted_values" and column.name in check.columns:
            return check.values[n % len(check.values)]
    if kind in ("integer", "small_integer", "big_integer"):
        return n
    if kind == "boolean":
        return n % 2
    if kind == "float":
        return n + 0.5
    if kind == "decimal":
        scale = column.scale or 0
        whole = n if (column.precision or 10) - scale >= 3 else 0
        return f"{whole}.{'5' * scale}" if scale else str(whole)
    if kind == "date":
        return f"2024-01-{n:02d}"
    if kind in ("datetime", "datetime_tz"):
        return f"2024-01-{n:02d} 10:00:00"
    if kind == "time":
        return f"10:00:{n:02d}"
    if kind == "binary":
        return bytes([n % 256, 1])
    if kind == "uuid":
        return f"00000000-0000-0000-0000-{n:012d}"
    if kind == "interval":
        return f"{n} days"
    if kind == "json":
        return json.dumps({"n": n})
    return f"value-{n:04d}"


def source_columns(job: Job) -> list[Column]:
    seen: dict[str, Column] = {}
    for column in job.columns:
        seen.setdefault(column.source, column)
    return list(seen.values())


def insert(connection: sqlite3.Connection, job: Job, n: int) -> None:
    columns = source_columns(job)
    names = ", ".join(f'"{c.source}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    row = [value(job, c, n) for c in columns]
    connection.execute(
        f'INSERT INTO "{job.source_table}" ({names}) VALUES ({marks})', row
    )


@pytest.fixture
def workspace(tmp_path: Path) -> dict[str, Any]:
    """A SQLite source holding ROWS rows per job table, and the environment of a run."""
    source = tmp_path / "source.db"
    with sqlite3.connect(source) as connection:
        created: set[str] = set()
        for job in TESTED:
            if job.source_table in created:
                continue
            created.add(job.source_table)
            body = ", ".join(f'"{c.source}" {declared(c)}' for c in source_columns(job))
            connection.execute(f'CREATE TABLE "{job.source_table}" ({body})')
            for n in range(1, ROWS + 1):
                insert(connection, job, n)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ETL_", "DASK_"))
    }
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{source}",
            "ETL_DESTINATION": str(tmp_path / "out.duckdb"),
            "ETL_HASH_SALT": "test-salt",
            "ETL_ENGINE": "local",
        }
    )
    return {"source": source, "destination": tmp_path / "out.duckdb", "env": env}


def etl(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "etl", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def lines(done: subprocess.CompletedProcess[str]) -> dict[str, dict[str, Any]]:
    return {entry["job"]: entry for entry in map(json.loads, done.stdout.splitlines())}


def test_list_names_every_job(workspace: dict[str, Any]) -> None:
    done = etl(workspace["env"], "list")
    assert done.returncode == 0, done.stderr
    assert [line.split("\t")[0] for line in done.stdout.splitlines()] == [
        job.name for job in JOBS
    ]


def test_unknown_job_is_a_usage_error(workspace: dict[str, Any]) -> None:
    done = etl(workspace["env"], "run", "no_such_job")
    assert done.returncode == 2
    assert done.stdout == ""


@pytest.mark.skipif(not TESTED, reason="no job reads a table SQLite can hold")
def test_full_then_incremental(workspace: dict[str, Any]) -> None:
    env = workspace["env"]
    names = [job.name for job in TESTED]
    done = etl(env, "run", *names)
    assert done.returncode == 0, done.stderr
    first = lines(done)
    assert sorted(first) == sorted(names)
    for job in TESTED:
        assert first[job.name]["status"] == "ok"
        assert first[job.name]["rows_read"] == ROWS
        assert first[job.name]["rows_written"] == ROWS
    with duckdb.connect(str(workspace["destination"]), read_only=True) as db:
        for job in TESTED:
            assert db.execute(f'SELECT count(*) FROM "{job.table}"').fetchone() == (
                ROWS,
            )
            for column in job.columns:
                if any(op in ("hash", "mask") for op in column.ops):
                    clear = {str(value(job, column, n)) for n in range(1, ROWS + 1)}
                    loaded = {
                        row[0]
                        for row in db.execute(
                            f'SELECT "{column.name}" FROM "{job.table}"'
                        ).fetchall()
                    }
                    assert (
                        not clear & loaded
                    ), f"{job.name}.{column.name} reached the destination in clear"
        runs = db.execute("SELECT job, status FROM _etl_runs").fetchall()
        assert sorted(runs) == sorted((name, "ok") for name in names)

    incremental = [job for job in TESTED if job.mode == "incremental" and job.key]
    with sqlite3.connect(workspace["source"]) as connection:
        for job in incremental:
            insert(connection, job, ROWS + 1)
            cursor = job.cursor_column
            assert cursor is not None
            if job.cursor_is_time:
                connection.execute(
                    f'UPDATE "{job.source_table}" SET "{cursor.source}" = ? '
                    "WHERE rowid = 1",
                    ["2030-01-01 00:00:00"],
                )
    done = etl(env, "run", *names)
    assert done.returncode == 0, done.stderr
    second = lines(done)
    with duckdb.connect(str(workspace["destination"]), read_only=True) as db:
        for job in incremental:
            assert (
                second[job.name]["rows_read"] <= 3
            )  # the changed row, the new one, the boundary
            keys = ", ".join(f'"{name}"' for name in job.key)
            total, distinct = db.execute(
                f'SELECT count(*), count(DISTINCT ({keys})) FROM "{job.table}"'
            ).fetchone()
            assert total == distinct == ROWS + 1
        for job in TESTED:
            if job not in incremental and job.write_disposition == "replace":
                assert db.execute(f'SELECT count(*) FROM "{job.table}"').fetchone() == (
                    ROWS,
                )


@pytest.mark.skipif(not TESTED, reason="no job reads a table SQLite can hold")
def test_a_failed_job_exits_1_and_commits_nothing(workspace: dict[str, Any]) -> None:
    job = TESTED[0]
    env = {
        **workspace["env"],
        "DATABASE_URL": f"sqlite:///{workspace['source'].parent / 'missing.db'}",
    }
    done = etl(env, "run", job.name)
    assert done.returncode == 1
    assert lines(done)[job.name]["status"] == "failed"
