"""Read a job's rows from the source as Arrow record batches, typed from the spec.

- SQLite and PostgreSQL: ADBC (Apache Arrow's database drivers) streams Arrow batches
  straight from the driver, no Python object per value. SQLite has no column types of
  its own, so every column is CAST to the storage class its spec type needs; when a
  column has no value in the first batch, the query leads with one typed row (dropped
  before anything else sees it), so the driver never infers a type from the data.
- Any other SQLAlchemy dialect (MySQL, MariaDB, ...): SQLAlchemy streams rows, converted
  to Arrow with the types from the spec.

Decimals and other values a driver might round are read as text and cast exactly later.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from etl.model import Job

PROTO = "__etl_proto"
_SQLITE_CLASS = {
    "integer": "INTEGER",
    "small_integer": "INTEGER",
    "big_integer": "INTEGER",
    "boolean": "INTEGER",
    "float": "REAL",
    "binary": "BLOB",
}
_SQLITE_PROTO = {"INTEGER": "0", "REAL": "0.0", "TEXT": "''", "BLOB": "x''"}
# PostgreSQL values read as text: exact (numeric) or not Arrow-native everywhere.
_PG_TEXT = {
    "decimal",
    "json",
    "uuid",
    "enum",
    "array",
    "unknown",
    "interval",
    "string",
    "text",
}
_TIME_LITERAL = re.compile(r"^[0-9][0-9 T:.+\-]*$")


class RowCounter:
    """Rows read from the source (the typed first row of a SQLite read is not one of
    them)."""

    def __init__(self, on_batch: Any = None) -> None:
        self.rows = 0
        self.on_batch = on_batch

    def add(self, batch: pa.RecordBatch) -> None:
        rows = batch.num_rows
        if batch.num_rows and batch.schema.names[0] == PROTO:
            import pyarrow.compute as pc

            rows -= int(pc.sum(batch.column(0)).as_py() or 0)
        self.rows += rows
        if self.on_batch is not None:
            self.on_batch(rows)


class SourceError(RuntimeError):
    """The source could not be read."""


def source_url() -> str:
    """The source database: ETL_SOURCE_URL, else DATABASE_URL (the API's own
    database)."""
    raw = os.environ.get("ETL_SOURCE_URL") or os.environ.get("DATABASE_URL")
    if not raw:
        raise SourceError("set DATABASE_URL (or ETL_SOURCE_URL) to the source database")
    return raw


def dialect_of(url: str) -> str:
    """`sqlite`, `postgresql`, `mysql`, ...: the SQLAlchemy dialect of a URL, without
    the driver."""
    scheme = url.split("://", 1)[0].split("+", 1)[0]
    return "postgresql" if scheme == "postgres" else scheme


def quote(name: str, dialect: str) -> str:
    """An identifier quoted for the dialect."""
    if dialect in ("mysql", "mariadb"):
        return "`" + name.replace("`", "``") + "`"
    return '"' + name.replace('"', '""') + '"'


def literal(value: str, is_time: bool) -> str:
    """A cursor value as a SQL literal; values come from the source itself and are
    checked."""
    if not is_time:
        return str(int(value))
    if not _TIME_LITERAL.match(value):
        raise SourceError(f"cursor value {value!r} is not a date or timestamp")
    return "'" + value + "'"


def cursor_text(value: Any) -> str | None:
    """A cursor value as stored in the state table: ISO text for times, digits for
    integers."""
    if value is None:
        return None
    if isinstance(value, (dt.datetime, dt.date)):
        return (
            value.isoformat(sep=" ")
            if isinstance(value, dt.datetime)
            else value.isoformat()
        )
    return str(value)


def shift_back(value: str, seconds: int) -> str:
    """A timestamp cursor moved back by `seconds` (the lookback), in the same style."""
    if not seconds:
        return value
    moment = dt.datetime.fromisoformat(value) - dt.timedelta(seconds=seconds)
    return moment.isoformat(sep=" ")


class Source:
    """One source database; `batches(job, ...)` streams a job's rows."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or source_url()
        self.dialect = dialect_of(self.url)
        self._connection: Any = None

    # -- connections ------------------------------------------------------------------------------

    def _adbc(self) -> Any:
        if self._connection is None:
            if self.dialect == "sqlite":
                import adbc_driver_sqlite.dbapi

                path = self.url.split("://", 1)[1][1:].split("?", 1)[
                    0
                ]  # sqlite:///relative, sqlite:////absolute
                if not path or path == ":memory:":
                    raise SourceError("an in-memory SQLite database cannot be a source")
                self._connection = adbc_driver_sqlite.dbapi.connect(
                    os.path.abspath(path)
                )
            else:
                import adbc_driver_postgresql.dbapi

                uri = (
                    "postgresql://" + self.url.split("://", 1)[1]
                )  # libpq reads SQLAlchemy's URL as is
                self._connection = adbc_driver_postgresql.dbapi.connect(uri)
        return self._connection

    @property
    def native(self) -> bool:
        """True when ADBC reads this source."""
        return self.dialect in ("sqlite", "postgresql")

    def close(self) -> None:
        """Close the connection, if one was opened."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    # -- SQL ----------------------------------------------------------------------------------------

    def table(self, job: Job) -> str:
        """The job's source table, schema-qualified."""
        name = quote(job.source_table, self.dialect)
        return (
            f"{quote(job.source_schema, self.dialect)}.{name}"
            if job.source_schema
            else name
        )

    def _select_item(self, source: str, read_type: str) -> str:
        column = quote(source, self.dialect)
        if self.dialect == "sqlite":
            return f"CAST({column} AS {_SQLITE_CLASS.get(read_type, 'TEXT')})"
        if self.dialect == "postgresql" and read_type in _PG_TEXT:
            return f"CAST({column} AS TEXT)"
        return column

    def query(self, job: Job, where: str = "", proto: bool = True) -> str:
        """SELECT of the job's columns (each once, by source name) with an optional
        WHERE.

        On SQLite the first column is the marker `__etl_proto` (0 for every source row);
        with `proto` a typed first row (marker 1) leads the rows, for ADBC's driver
        takes each column's type from the first batch: a column with no value there must
        not be guessed.
        """
        items = [
            self._select_item(c.source, c.read_type)
            + " AS "
            + quote(c.source, self.dialect)
            for c in _read_columns(job)
        ]
        tail = f" FROM {self.table(job)}" + (f" WHERE {where}" if where else "")
        if self.dialect != "sqlite":
            return f"SELECT {', '.join(items)}{tail}"
        if not proto:
            return f"SELECT 0 AS {PROTO}, {', '.join(items)}{tail}"
        first = ", ".join(
            _SQLITE_PROTO[_SQLITE_CLASS.get(c.read_type, "TEXT")]
            + " AS "
            + quote(c.source, self.dialect)
            for c in _read_columns(job)
        )
        body = f"SELECT {', '.join(items)}{tail}"
        return f"SELECT 1 AS {PROTO}, {first} UNION ALL SELECT 0, * FROM ({body})"

    def needs_proto(self, job: Job, where: str = "") -> bool:
        """True when a column has no value in the first batch (then ADBC could not type
        it)."""
        counts = ", ".join(
            f"count({quote(c.source, self.dialect)})" for c in _read_columns(job)
        )
        inner = f"SELECT * FROM {self.table(job)}" + (
            f" WHERE {where}" if where else ""
        )
        cursor = self._adbc().cursor()
        try:
            cursor.execute(
                f"SELECT {counts} FROM ({inner} LIMIT {int(job.batch_size)})"
            )
            row = cursor.fetchone() or ()
        finally:
            cursor.close()
        return not row or any(not count for count in row)

    def window(
        self,
        job: Job,
        low: str | None,
        high: str | None,
        strict: bool = False,
        open_end: bool = False,
    ) -> str:
        """The WHERE of a read: cursor from `low` (inclusive, or exclusive when strict)
        up to `high`.

        Without `low` every row up to `high` (rows without a cursor too); with
        `open_end` there is no upper bound (the read is one snapshot and its largest
        cursor becomes the mark).
        """
        column = job.cursor_column
        if column is None:
            return ""
        name = quote(column.source, self.dialect)
        is_time = job.cursor_is_time
        if high is None and not open_end:
            return "1 = 0" if low is not None else ""
        upper = "" if open_end else f"{name} <= {literal(str(high), is_time)}"
        if low is None:
            return f"({upper} OR {name} IS NULL)" if upper else ""
        start = shift_back(low, job.lookback_seconds) if is_time else low
        lower = f"{name} {'>' if strict else '>='} {literal(start, is_time)}"
        return f"{lower} AND {upper}" if upper else lower

    # -- reading ------------------------------------------------------------------------------------

    def scalar(self, sql: str) -> Any:
        """The first value of the first row of a query."""
        if self.native:
            cursor = self._adbc().cursor()
            try:
                cursor.execute(sql)
                row = cursor.fetchone()
            finally:
                cursor.close()
            return row[0] if row else None
        from sqlalchemy import create_engine, text
        from sqlalchemy.pool import NullPool

        engine = create_engine(self.url, poolclass=NullPool)
        try:
            with engine.connect() as connection:
                return connection.execute(text(sql)).scalar()
        finally:
            engine.dispose()

    def high_water(self, job: Job) -> str | None:
        """The largest cursor value in the source now: the end of this run's window."""
        column = job.cursor_column
        if column is None:
            return None
        name = quote(column.source, self.dialect)
        if self.dialect == "sqlite" and job.cursor_is_time:
            return cursor_text(
                self.scalar(f"SELECT CAST(MAX({name}) AS TEXT) FROM {self.table(job)}")
            )
        return cursor_text(self.scalar(f"SELECT MAX({name}) FROM {self.table(job)}"))

    def key_range(self, job: Job) -> tuple[int, int] | None:
        """(min, max) of a single integer key, for splitting a read into partitions."""
        keys = [c for c in job.columns if c.key]
        if len(keys) != 1 or keys[0].read_type not in (
            "integer",
            "small_integer",
            "big_integer",
        ):
            return None
        name = quote(keys[0].source, self.dialect)
        low = self.scalar(f"SELECT MIN({name}) FROM {self.table(job)}")
        high = self.scalar(f"SELECT MAX({name}) FROM {self.table(job)}")
        return None if low is None else (int(low), int(high))

    def batches(self, job: Job, where: str = "") -> Iterator[pa.RecordBatch]:
        """The job's rows as Arrow batches of at most `job.batch_size` rows."""
        if self.native:
            yield from self._adbc_batches(job, where)
        else:
            yield from self._sqlalchemy_batches(job, where)

    def reader(
        self, job: Job, where: str = "", counter: RowCounter | None = None
    ) -> pa.RecordBatchReader:
        """The job's rows as one Arrow stream (what DuckDB scans), counted as they
        pass."""
        counter = counter if counter is not None else RowCounter()
        batches = self.batches(job, where)
        first = next(batches, None)
        if first is None:
            return pa.RecordBatchReader.from_batches(self.empty_schema(job), iter(()))

        def counted() -> Iterator[pa.RecordBatch]:
            for batch in itertools.chain((first,), batches):
                counter.add(batch)
                yield batch

        return pa.RecordBatchReader.from_batches(first.schema, counted())

    def empty_schema(self, job: Job) -> pa.Schema:
        """The Arrow schema of a read that returned no rows."""
        fields = [(c.source, _arrow_type(c.read_type)) for c in _read_columns(job)]
        if self.dialect == "sqlite":
            fields.insert(0, (PROTO, pa.int64()))
        return pa.schema(fields)

    def _adbc_batches(self, job: Job, where: str) -> Iterator[pa.RecordBatch]:
        cursor = self._adbc().cursor()
        try:
            proto = False
            if self.dialect == "sqlite":
                cursor.adbc_statement.set_options(
                    **{"adbc.sqlite.query.batch_rows": str(job.batch_size)}
                )
                proto = self.needs_proto(job, where)
            cursor.execute(self.query(job, where, proto))
            for batch in cursor.fetch_record_batch():
                offset = 0
                while offset < batch.num_rows:
                    yield batch.slice(offset, job.batch_size)
                    offset += job.batch_size
        finally:
            cursor.close()

    def _sqlalchemy_batches(self, job: Job, where: str) -> Iterator[pa.RecordBatch]:
        from sqlalchemy import create_engine, text
        from sqlalchemy.pool import NullPool

        columns = _read_columns(job)
        schema = pa.schema([(c.source, _arrow_type(c.read_type)) for c in columns])
        engine = create_engine(self.url, poolclass=NullPool)
        try:
            with engine.connect() as connection:
                result = connection.execution_options(stream_results=True).execute(
                    text(self.query(job, where))
                )
                while rows := result.fetchmany(job.batch_size):
                    arrays = [
                        pa.array(
                            [_plain(row[i], c.read_type) for row in rows],
                            type=schema.field(i).type,
                        )
                        for i, c in enumerate(columns)
                    ]
                    yield pa.RecordBatch.from_arrays(arrays, schema=schema)
        finally:
            engine.dispose()


def _read_columns(job: Job) -> list[Any]:
    """The columns to read, each source column once (two destination columns may share
    one)."""
    seen: dict[str, Any] = {}
    for column in job.columns:
        seen.setdefault(column.source, column)
    return list(seen.values())


_ARROW = {
    "integer": pa.int64(),
    "small_integer": pa.int64(),
    "big_integer": pa.int64(),
    "boolean": pa.bool_(),
    "float": pa.float64(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us"),
    "datetime_tz": pa.timestamp("us", tz="UTC"),
    "time": pa.time64("us"),
    "binary": pa.binary(),
}


def _arrow_type(read_type: str) -> pa.DataType:
    return _ARROW.get(read_type, pa.string())


def _plain(value: Any, read_type: str) -> Any:
    """A driver value in the Arrow type of its column (text for exact or exotic
    values)."""
    if value is None or read_type in _ARROW:
        return value
    return value if isinstance(value, str) else str(value)
