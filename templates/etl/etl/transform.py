"""Transforms and row checks, run by DuckDB over Arrow data (vectorized, in-process).

Every column is cast to the type the spec gives it (never one guessed from the data),
then its transforms run in order; personal data is hashed (salted SHA-256) or masked
here, before any row can reach a destination. Row checks count or drop offending rows.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import duckdb
import pyarrow as pa

from etl.model import Check, Column, Job
from etl.sources import PROTO

_DUCKDB = {
    "string": "VARCHAR",
    "text": "VARCHAR",
    "enum": "VARCHAR",
    "json": "VARCHAR",
    "array": "VARCHAR",
    "unknown": "VARCHAR",
    "integer": "INTEGER",
    "small_integer": "SMALLINT",
    "big_integer": "BIGINT",
    "boolean": "BOOLEAN",
    "float": "DOUBLE",
    "date": "DATE",
    "datetime": "TIMESTAMP",
    "datetime_tz": "TIMESTAMPTZ",
    "time": "TIME",
    "interval": "INTERVAL",
    "uuid": "UUID",
    "binary": "BLOB",
}


def duckdb_type(
    type_: str, precision: int | None = None, scale: int | None = None
) -> str:
    """The DuckDB type of a logical type; decimals keep their precision and scale
    (exact)."""
    if type_ == "decimal":
        if precision is None or precision > 38:
            return "DECIMAL(38, 10)"
        return f"DECIMAL({precision}, {scale or 0})"
    return _DUCKDB.get(type_, "VARCHAR")


def output_type(column: Column) -> str:
    """The DuckDB type of the column as loaded (hashed or masked values are text)."""
    if any(op in ("hash", "mask") for op in column.ops):
        return "VARCHAR"
    if "trim" in column.ops:
        return "VARCHAR"
    return duckdb_type(column.type, column.precision, column.scale)


def ident(name: str) -> str:
    """A DuckDB (and PostgreSQL) quoted identifier."""
    return '"' + name.replace('"', '""') + '"'


def string(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def column_expression(column: Column) -> str:
    """The SQL expression that turns the source value into the loaded value."""
    value = ident(column.source)
    read = duckdb_type(column.read_type, column.precision, column.scale)
    expression = f"CAST({value} AS {read})"
    if column.source_type is not None:
        target = duckdb_type(column.type, column.precision, column.scale)
        expression = f"CAST({expression} AS {target})"
    for op in column.ops:
        if op == "trim":
            expression = f"trim(CAST({expression} AS VARCHAR))"
        elif op == "hash":
            expression = (
                f"sha256(getvariable('etl_salt') || CAST({expression} AS VARCHAR))"
            )
        elif op == "mask":
            text = f"CAST({expression} AS VARCHAR)"
            keep = int(column.keep)
            # The tail is kept only where it is less than half the value: a mask never shows it all.
            expression = (
                f"CASE WHEN length({text}) > {2 * keep} "
                f"THEN repeat('*', length({text}) - {keep}) "
                f"|| right({text}, {keep}) ELSE repeat('*', length({text})) END"
            )
    return expression


def violation(check: Check) -> str:
    """The condition a row violates the (row-level) check by."""
    names = [ident(name) for name in check.columns]
    if check.check == "not_null":
        return " OR ".join(f"{name} IS NULL" for name in names)
    values = ", ".join(string(value) for value in check.values)
    return " OR ".join(
        f"({name} IS NOT NULL AND CAST({name} AS VARCHAR) NOT IN ({values}))"
        for name in names
    )


class Transformer:
    """A job's casts, transforms and `skip` row checks as one DuckDB SELECT over Arrow
    data."""

    def __init__(
        self,
        job: Job,
        connection: duckdb.DuckDBPyConnection | None = None,
        proto: bool = False,
        text_uuids: bool = False,
    ) -> None:
        self.job = job
        self.connection = connection if connection is not None else duckdb.connect()
        self.connection.execute(
            "SET VARIABLE etl_salt = ?", [os.environ.get("ETL_HASH_SALT", "")]
        ).fetchall()
        items = []
        for column in job.columns:
            expression = column_expression(column)
            if (
                text_uuids and output_type(column) == "UUID"
            ):  # PostgreSQL receives them as text
                expression = f"CAST({expression} AS VARCHAR)"
            items.append(f"{expression} AS {ident(column.name)}")
        inner = f"SELECT {', '.join(items)} FROM __etl_batch" + (
            f" WHERE {PROTO} = 0" if proto else ""
        )
        # Row checks are decided on the loaded values (after casts and transforms).
        skips = [
            f"NOT coalesce({violation(c)}, false)"
            for c in job.checks
            if c.row_level and c.on_fail == "skip"
        ]
        self.select = f"SELECT * FROM ({inner}) AS t" + (
            " WHERE " + " AND ".join(skips) if skips else ""
        )
        self.rejected = 0
        self.loaded = 0
        self.cursor_max: Any = None

    def apply(self, batch: pa.RecordBatch | pa.Table) -> pa.Table:
        """One transformed batch (for the Dask workers); rejected rows are counted."""
        con = self.connection
        con.register("__etl_batch", batch)
        try:
            table = con.sql(self.select).to_arrow_table()
        finally:
            con.unregister("__etl_batch")
        read = batch.num_rows
        if batch.num_rows and batch.schema.names[0] == PROTO:
            read -= sum(1 for value in batch.column(0).to_pylist() if value)
        self.rejected += read - table.num_rows
        return table

    def stream(
        self, data: pa.RecordBatchReader, batch_rows: int, cursor: str | None = None
    ) -> pa.RecordBatchReader:
        """The transformed rows of an Arrow stream, as a stream (nothing materialized).

        As the batches pass, `loaded` counts them and `cursor_max` keeps the largest
        value of the `cursor` column, so no second scan of the loaded rows is needed.
        """
        self.connection.register("__etl_batch", data)
        reader = self.connection.sql(self.select).to_arrow_reader(batch_rows)
        self.loaded, self.cursor_max = 0, None

        def counted() -> Iterator[pa.RecordBatch]:
            import pyarrow.compute as pc

            for batch in reader:
                self.loaded += batch.num_rows
                if cursor is not None and batch.num_rows:
                    value = pc.max(batch.column(cursor)).as_py()
                    if value is not None and (
                        self.cursor_max is None or value > self.cursor_max
                    ):
                        self.cursor_max = value
                yield batch

        return pa.RecordBatchReader.from_batches(reader.schema, counted())

    def schema(self) -> list[tuple[str, str]]:
        """(name, DuckDB type) of every output column."""
        return [(c.name, output_type(c)) for c in self.job.columns]


def row_check_sql(job: Job) -> tuple[list[int], list[str]]:
    """(check indexes, SQL counting the offending rows) of each `warn` or `fail` row
    check."""
    indexes = [
        i for i, c in enumerate(job.checks) if c.row_level and c.on_fail != "skip"
    ]
    return indexes, [
        f"count(*) FILTER (WHERE {violation(job.checks[i])})" for i in indexes
    ]


def row_check_outcome(
    job: Job, tally: dict[int, int], rejected: int = 0
) -> tuple[list[str], list[str]]:
    """(failures, warnings) of the row checks from their counts over the run."""
    failures, warnings = [], []
    for index, count in sorted(tally.items()):
        if not count:
            continue
        check = job.checks[index]
        text = f"{check.check}({', '.join(check.columns)}): {count} row(s)"
        (failures if check.on_fail == "fail" else warnings).append(text)
    if rejected:
        warnings.append(f"{rejected} row(s) rejected by skip checks")
    return failures, warnings


def table_check_sql(check: Check, table: str, job: Job) -> str:
    """A query returning the number of violations (row_count: the row count) of a table
    check."""
    if check.check == "unique":
        names = ", ".join(ident(name) for name in check.columns)
        duplicates = f"SELECT {names} FROM {table} GROUP BY {names} HAVING count(*) > 1"
        return f"SELECT count(*) FROM ({duplicates}) AS d"
    if check.check == "row_count":
        return f"SELECT count(*) FROM {table}"
    column = check.columns[0] if check.columns else job.cursor
    return f"SELECT max({ident(column or '')}) FROM {table}"


def describe(value: Any) -> str:
    """A short text for a check's observed value."""
    return "none" if value is None else str(value)
