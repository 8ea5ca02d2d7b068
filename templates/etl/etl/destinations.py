"""Destinations: a DuckDB file (the default) or PostgreSQL, one transaction per job run.

- DuckDB: Arrow batches are inserted by DuckDB itself (zero-copy scan of the Arrow
  memory).
- PostgreSQL: ADBC's driver ingests Arrow batches with binary COPY.

Each destination also holds the ETL's own tables: `_etl_state` (the committed cursor of
each job) and `_etl_runs` (one row per run: rows read, written, rejected, duration,
status).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa

from etl.transform import Transformer, ident

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DESTINATION = "etl.duckdb"
DUCKDB_MEMORY_LIMIT = "256MB"
_PG = {
    "VARCHAR": "text",
    "INTEGER": "integer",
    "SMALLINT": "smallint",
    "BIGINT": "bigint",
    "BOOLEAN": "boolean",
    "DOUBLE": "double precision",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "TIMESTAMPTZ": "timestamptz",
    "TIME": "time",
    "INTERVAL": "interval",
    "UUID": "text",
    "BLOB": "bytea",
}
STATE_TABLE = "_etl_state"
RUNS_TABLE = "_etl_runs"


class DestinationError(RuntimeError):
    """The destination could not be opened or written."""


def destination_setting(job_destination: str | None = None) -> str:
    """The job's own destination, else ETL_DESTINATION, else etl.duckdb in the project
    root."""
    if job_destination:
        return job_destination
    configured = os.environ.get("ETL_DESTINATION")
    if configured:
        return configured
    return str(PROJECT_ROOT / DEFAULT_DESTINATION)


def open_destination(setting: str) -> Destination:
    """A destination from a setting: a DuckDB path, `duckdb:///path`, or a PostgreSQL
    URL."""
    if "://" not in setting:
        return DuckDBDestination(setting)
    scheme, rest = setting.split("://", 1)
    base = scheme.split("+", 1)[0]
    if base == "duckdb":
        return DuckDBDestination(rest[1:] if rest.startswith("/") else rest)
    if base in ("postgresql", "postgres"):
        return PostgresDestination("postgresql://" + rest)
    raise DestinationError(
        f"unsupported destination {scheme}:// (use a DuckDB file or postgresql://)"
    )


class Destination:
    """What the runner needs from a destination; SQL here is valid in DuckDB and
    PostgreSQL."""

    kind = ""

    def execute(self, sql: str) -> None:
        raise NotImplementedError

    def scalar(self, sql: str) -> Any:
        raise NotImplementedError

    def begin(self) -> None:
        raise NotImplementedError

    def commit(self) -> None:
        raise NotImplementedError

    def rollback(self) -> None:
        raise NotImplementedError

    def append(self, table: str, data: pa.Table | pa.RecordBatchReader) -> None:
        """Append Arrow rows (already transformed) to an existing table, columns in
        table order."""
        raise NotImplementedError

    def load(
        self,
        table: str,
        transformer: Transformer,
        data: pa.RecordBatchReader,
        batch_rows: int,
        cursor: str | None = None,
    ) -> tuple[int, Any] | None:
        """Transform a stream of source rows and append them to `table`, batch by batch.

        Returns (rows loaded, largest `cursor` value) when the load counted them on the
        way, else None (the caller asks the table).
        """
        raise NotImplementedError

    def row(self, sql: str) -> tuple[Any, ...]:
        """The first row of a query."""
        raise NotImplementedError

    def column_type(self, duckdb_type: str) -> str:
        return duckdb_type

    def lock(self, job: str) -> None:
        """Hold off a second run of the same job until this transaction ends."""

    def close(self) -> None:
        raise NotImplementedError

    def table_exists(self, name: str) -> bool:
        raise NotImplementedError

    # -- shared ------------------------------------------------------------------------------------

    def create_table(
        self, name: str, columns: list[tuple[str, str]], if_not_exists: bool = False
    ) -> None:
        body = ", ".join(
            f"{ident(column)} {self.column_type(type_)}" for column, type_ in columns
        )
        guard = "IF NOT EXISTS " if if_not_exists else ""
        self.execute(f"CREATE TABLE {guard}{ident(name)} ({body})")

    def drop_table(self, name: str) -> None:
        self.execute(f"DROP TABLE IF EXISTS {ident(name)}")

    def ensure_meta(self) -> None:
        """Create the state and run-log tables (committed on their own)."""
        self.begin()
        self.create_table(
            STATE_TABLE,
            [
                ("job", "VARCHAR"),
                ("cursor", "VARCHAR"),
                ("run_id", "VARCHAR"),
                ("updated_at", "TIMESTAMP"),
            ],
            if_not_exists=True,
        )
        self.create_table(
            RUNS_TABLE,
            [
                ("run_id", "VARCHAR"),
                ("job", "VARCHAR"),
                ("started_at", "TIMESTAMP"),
                ("finished_at", "TIMESTAMP"),
                ("status", "VARCHAR"),
                ("rows_read", "BIGINT"),
                ("rows_written", "BIGINT"),
                ("rows_rejected", "BIGINT"),
                ("seconds", "DOUBLE"),
                ("cursor_from", "VARCHAR"),
                ("cursor_to", "VARCHAR"),
                ("message", "VARCHAR"),
            ],
            if_not_exists=True,
        )
        self.commit()

    def state(self, job: str) -> str | None:
        value = self.scalar(
            f"SELECT cursor FROM {STATE_TABLE} WHERE job = {_text(job)}"
        )
        return None if value is None else str(value)

    def set_state(self, job: str, cursor: str | None, run_id: str) -> None:
        self.execute(f"DELETE FROM {STATE_TABLE} WHERE job = {_text(job)}")
        value = "NULL" if cursor is None else _text(cursor)
        self.execute(
            f"INSERT INTO {STATE_TABLE} VALUES "
            f"({_text(job)}, {value}, {_text(run_id)}, {_utc_now()})"
        )

    def log_run(self, run: dict[str, Any]) -> None:
        values = [
            _text(run["run_id"]),
            _text(run["job"]),
            f"CAST({_text(run['started_at'])} AS TIMESTAMP)",
            _utc_now(),
            _text(run["status"]),
            str(int(run["rows_read"])),
            str(int(run["rows_written"])),
            str(int(run["rows_rejected"])),
            repr(float(run["seconds"])),
            _nullable(run.get("cursor_from")),
            _nullable(run.get("cursor_to")),
            _nullable(run.get("message")),
        ]
        self.execute(f"INSERT INTO {RUNS_TABLE} VALUES ({', '.join(values)})")


def _utc_now() -> str:
    """The current time in UTC as a TIMESTAMP literal (times in the ETL tables are
    UTC)."""
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    return f"CAST('{now.isoformat(sep=' ')}' AS TIMESTAMP)"


def _text(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _nullable(value: str | None) -> str:
    return "NULL" if value is None else _text(value)


class DuckDBDestination(Destination):
    """A DuckDB database file; the connection doubles as the transform engine."""

    kind = "duckdb"

    def __init__(self, path: str) -> None:
        import duckdb

        self.path = path
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.connection = duckdb.connect(path)
        except duckdb.IOException as exc:  # another process holds the file
            raise DestinationError(f"{path}: {exc}") from None
        # DuckDB caches the blocks it writes up to its memory limit (80% of RAM by default): a
        # bound keeps a run's memory flat however large the table (it spills beyond it).
        limit = os.environ.get("ETL_DUCKDB_MEMORY_LIMIT") or DUCKDB_MEMORY_LIMIT
        self.connection.execute("SET memory_limit = ?", [limit]).fetchall()

    def execute(self, sql: str) -> None:
        self.connection.execute(sql).fetchall()  # DuckDB wants every result consumed

    def scalar(self, sql: str) -> Any:
        rows = self.connection.execute(sql).fetchall()
        return rows[0][0] if rows else None

    def begin(self) -> None:
        self.execute("BEGIN TRANSACTION")

    def commit(self) -> None:
        self.execute("COMMIT")

    def rollback(self) -> None:
        try:
            self.execute("ROLLBACK")
        except Exception:  # noqa: BLE001 - no transaction open
            pass

    def append(self, table: str, data: pa.Table | pa.RecordBatchReader) -> None:
        self.connection.register("__etl_rows", data)
        try:
            self.connection.execute(
                f"INSERT INTO {ident(table)} SELECT * FROM __etl_rows"
            ).fetchall()
        finally:
            self.connection.unregister("__etl_rows")

    def load(
        self,
        table: str,
        transformer: Transformer,
        data: pa.RecordBatchReader,
        batch_rows: int,
        cursor: str | None = None,
    ) -> tuple[int, Any] | None:
        # One statement: DuckDB scans the Arrow stream, transforms and writes it (row groups go to
        # the file as they fill, so memory follows the batch size, not the table).
        self.connection.register("__etl_batch", data)
        try:
            self.connection.execute(
                f"INSERT INTO {ident(table)} {transformer.select}"
            ).fetchall()
        finally:
            self.connection.unregister("__etl_batch")
        return None  # counting the loaded rows in DuckDB is cheap: the runner asks

    def row(self, sql: str) -> tuple[Any, ...]:
        return tuple(self.connection.execute(sql).fetchall()[0])

    def table_exists(self, name: str) -> bool:
        return bool(
            self.scalar(
                "SELECT count(*) FROM information_schema.tables "
                f"WHERE table_name = {_text(name)}"
            )
        )

    def close(self) -> None:
        self.connection.close()


class PostgresDestination(Destination):
    """A PostgreSQL database; rows arrive by binary COPY through ADBC."""

    kind = "postgresql"

    def __init__(self, uri: str) -> None:
        import adbc_driver_postgresql.dbapi

        try:
            self.connection = adbc_driver_postgresql.dbapi.connect(uri)
        except Exception as exc:  # noqa: BLE001 - the driver's errors vary
            raise DestinationError(
                f"cannot connect to the PostgreSQL destination: {exc}"
            ) from None
        self.cursor = self.connection.cursor()

    def column_type(self, duckdb_type: str) -> str:
        if duckdb_type.startswith("DECIMAL"):
            return "numeric" + duckdb_type[len("DECIMAL") :].replace(" ", "")
        return _PG.get(duckdb_type, duckdb_type)

    def execute(self, sql: str) -> None:
        self.cursor.execute(sql)

    def scalar(self, sql: str) -> Any:
        self.cursor.execute(sql)
        row = self.cursor.fetchone()
        return row[0] if row else None

    def begin(self) -> None:
        pass  # ADBC's DB-API connection is not in autocommit: a transaction is open

    def commit(self) -> None:
        self.connection.commit()

    def rollback(self) -> None:
        try:
            self.connection.rollback()
        except Exception:  # noqa: BLE001 - connection already gone
            pass

    def lock(self, job: str) -> None:
        self.execute(f"SELECT pg_advisory_xact_lock(hashtext({_text('etl:' + job)}))")

    def append(self, table: str, data: pa.Table | pa.RecordBatchReader) -> None:
        self.cursor.adbc_ingest(table, data, mode="append")

    def load(
        self,
        table: str,
        transformer: Transformer,
        data: pa.RecordBatchReader,
        batch_rows: int,
        cursor: str | None = None,
    ) -> tuple[int, Any] | None:
        # DuckDB transforms the stream; ADBC sends it with one binary COPY.
        stream = transformer.stream(data, batch_rows, cursor)
        self.cursor.adbc_ingest(table, stream, mode="append")
        return transformer.loaded, transformer.cursor_max

    def row(self, sql: str) -> tuple[Any, ...]:
        self.cursor.execute(sql)
        return tuple(self.cursor.fetchone())

    def table_exists(self, name: str) -> bool:
        return (
            self.scalar(f"SELECT to_regclass({_text(ident(name))}) IS NOT NULL") is True
        )

    def close(self) -> None:
        self.cursor.close()
        self.connection.close()


@contextmanager
def connected(setting: str) -> Iterator[Destination]:
    """A destination opened for one block and closed after it."""
    destination = open_destination(setting)
    try:
        yield destination
    finally:
        destination.close()
