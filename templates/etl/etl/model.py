"""The records `etl/jobs.py` declares: jobs, their columns, transforms and checks."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One destination column: where it comes from, its type, and what happens on the
    way.

    `type` is the logical type in the destination, `source_type` the one in the source
    when a `cast` transform changes it. `ops` run in order: `trim`, `hash` (salted
    SHA-256) and `mask` (all but the last `keep` characters become `*`).
    """

    name: str
    source: str
    type: str
    source_type: str | None = None
    precision: int | None = None
    scale: int | None = None
    nullable: bool = True
    key: bool = False
    ops: tuple[str, ...] = ()
    keep: int = 0

    @property
    def read_type(self) -> str:
        """The logical type of the column in the source."""
        return self.source_type or self.type


@dataclass(frozen=True)
class Check:
    """A data check: `on_fail` is `fail` (nothing committed), `warn` or `skip`."""

    check: str
    columns: tuple[str, ...] = ()
    values: tuple[str, ...] = ()
    min_rows: int | None = None
    max_rows: int | None = None
    max_age_seconds: int | None = None
    on_fail: str = "fail"

    @property
    def row_level(self) -> bool:
        """True for checks decided row by row while reading."""
        return self.check in ("not_null", "accepted_values")


@dataclass(frozen=True)
class Job:
    """One resource moved from the source database into the destination."""

    name: str
    source_table: str
    table: str
    columns: tuple[Column, ...]
    source_schema: str | None = None
    destination: str | None = None
    mode: str = "full"
    cursor: str | None = None
    lookback_seconds: int = 0
    write_disposition: str = "replace"
    batch_size: int = 50_000
    schedule: str | None = None
    checks: tuple[Check, ...] = ()

    def column(self, name: str) -> Column:
        """The column called `name`."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def key(self) -> tuple[str, ...]:
        """Destination names of the primary key columns."""
        return tuple(column.name for column in self.columns if column.key)

    @property
    def cursor_column(self) -> Column | None:
        """The cursor column of an incremental job."""
        return self.column(self.cursor) if self.cursor else None

    @property
    def cursor_is_time(self) -> bool:
        """True when the cursor is a date or timestamp (else a monotonic integer)."""
        column = self.cursor_column
        return column is not None and column.read_type in ("date", "datetime")
