"""Run ETL jobs: extract (Arrow), transform and check (DuckDB), load (one transaction).

A run of a job is one transaction in the destination: the rows, the new cursor in
`_etl_state` and the run's line in `_etl_runs` are committed together, or not at all. A
run that is killed leaves the destination as the last committed run left it, and the
next run starts from there.

Incremental runs read the rows whose cursor is at or above the last committed value.
The read is one statement, so it sees one snapshot of the source; the largest cursor it
returns becomes the new mark, and rows changed while the run is in progress carry a
later cursor that the next run reads. The boundary value is read again (`>=`) and
merged by primary key: nothing is missed and nothing is duplicated. Reads in several
statements (the Dask engine) take the high-water mark first and read up to it.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


from etl.destinations import Destination, connected, destination_setting
from etl.model import Job
from etl.sources import RowCounter, Source, cursor_text
from etl.transform import (
    Transformer,
    describe,
    ident,
    row_check_outcome,
    row_check_sql,
    table_check_sql,
)


class JobFailed(RuntimeError):
    """A check with on_fail=fail failed: nothing of the run is committed."""


class JobSkipped(RuntimeError):
    """A table check with on_fail=skip failed: the run's load is skipped."""


@dataclass
class Result:
    """The outcome of one job run, as printed on stdout and stored in `_etl_runs`."""

    job: str
    status: str = "ok"
    rows_read: int = 0
    rows_written: int = 0
    rows_rejected: int = 0
    seconds: float = 0.0
    message: str | None = None
    cursor_from: str | None = None
    cursor_to: str | None = None
    warnings: list[str] = field(default_factory=list)

    def line(self) -> str:
        """The JSON line of the contract."""
        return json.dumps(
            {
                "job": self.job,
                "status": self.status,
                "rows_read": self.rows_read,
                "rows_written": self.rows_written,
                "rows_rejected": self.rows_rejected,
                "seconds": round(self.seconds, 3),
            }
        )


class Progress:
    """A progress bar on a terminal (stderr), nothing otherwise."""

    def __init__(self, job: str, total: int | None, enabled: bool) -> None:
        self.bar: Any = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(
                total=total,
                desc=job,
                unit=" rows",
                unit_scale=True,
                file=sys.stderr,
                leave=True,
            )

    def update(self, rows: int) -> None:
        if self.bar is not None:
            self.bar.update(rows)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def plan_window(
    job: Job, source: Source, state: str | None, full: bool, snapshot: bool
) -> tuple[str, str | None]:
    """(WHERE of the read, the high-water mark, or None when the loaded rows give the
    new cursor).

    A read in one statement sees one snapshot of the source, so the largest cursor among
    the rows it returns is the mark: rows committed later are read by the next run
    (`>=`). Reads split into several statements (Dask partitions) take the mark first
    and read up to it.
    """
    if job.cursor is None:
        return "", None
    high = None if snapshot else source.high_water(job)
    if full or state is None:
        return source.window(job, None, high, open_end=snapshot), high
    strict = job.write_disposition == "append" and not job.key
    return source.window(job, state, high, strict=strict, open_end=snapshot), high


def _dedupe(job: Job, table: str, columns: list[str]) -> str:
    """The rows of `table`, one per key (the one with the largest cursor)."""
    names = ", ".join(ident(name) for name in columns)
    if not job.key:
        return f"SELECT {names} FROM {ident(table)}"
    keys = ", ".join(ident(name) for name in job.key)
    order = f"{ident(job.cursor)} DESC NULLS LAST" if job.cursor else keys
    return (
        f"SELECT {names} FROM (SELECT {names}, row_number() OVER "
        f"(PARTITION BY {keys} ORDER BY {order}) "
        f"AS __etl_rn FROM {ident(table)}) AS d WHERE __etl_rn = 1"
    )


def _key_match(job: Job, left: str, right: str) -> str:
    return " AND ".join(f"{left}.{ident(k)} = {right}.{ident(k)}" for k in job.key)


def run_job(
    job: Job, full_refresh: bool = False, engine: str = "local", progress: bool = False
) -> Result:
    """Run one job to the end; never raises for a job failure (the result says so)."""
    result = Result(job.name)
    started = time.perf_counter()
    started_at = (
        dt.datetime.now(dt.timezone.utc).replace(tzinfo=None).isoformat(sep=" ")
    )
    run_id = uuid.uuid4().hex
    setting = destination_setting(job.destination)
    try:
        with connected(setting) as destination:
            destination.ensure_meta()
            try:
                _load(
                    job,
                    destination,
                    result,
                    full_refresh,
                    engine,
                    progress,
                    run_id,
                    started_at,
                )
            except Exception as exc:
                destination.rollback()
                if isinstance(exc, JobSkipped):
                    result.status, result.message = "ok", f"skipped: {exc}"
                    result.rows_rejected, result.rows_written = result.rows_read, 0
                else:
                    result.status, result.message = "failed", _one_line(exc)
                result.seconds = time.perf_counter() - started
                destination.begin()
                destination.log_run(_run_row(result, run_id, started_at))
                destination.commit()
                return result
    except (
        Exception
    ) as exc:  # noqa: BLE001 - cannot reach the destination: still one result
        result.status, result.message = "failed", _one_line(exc)
    result.seconds = time.perf_counter() - started
    return result


def _run_row(result: Result, run_id: str, started_at: str) -> dict[str, Any]:
    message = (
        "; ".join(([result.message] if result.message else []) + result.warnings)
        or None
    )
    return {
        "run_id": run_id,
        "job": result.job,
        "started_at": started_at,
        "status": result.status,
        "rows_read": result.rows_read,
        "rows_written": result.rows_written,
        "rows_rejected": result.rows_rejected,
        "seconds": result.seconds,
        "cursor_from": result.cursor_from,
        "cursor_to": result.cursor_to,
        "message": message,
    }


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def _load(
    job: Job,
    destination: Destination,
    result: Result,
    full_refresh: bool,
    engine: str,
    show_progress: bool,
    run_id: str,
    started_at: str,
) -> None:
    started = time.perf_counter()
    source = Source()
    try:
        destination.begin()
        destination.lock(job.name)
        incremental = job.mode == "incremental" and not full_refresh
        state = destination.state(job.name) if incremental else None
        snapshot = engine != "dask" and not _transformed_cursor(job)
        where, new_cursor = plan_window(job, source, state, not incremental, snapshot)
        replace = full_refresh or (
            job.mode == "full" and job.write_disposition == "replace"
        )
        transformer = Transformer(
            job,
            _transform_connection(destination),
            proto=source.dialect == "sqlite",
            text_uuids=destination.kind == "postgresql",
        )
        columns = transformer.schema()
        names = [name for name, _ in columns]
        staging = f"{job.table}__etl_new" if replace else f"_etl_stage_{job.name}"
        destination.drop_table(staging)
        destination.create_table(staging, columns)
        total = _count(source, job, where) if show_progress else None
        bar = Progress(job.name, total, show_progress)
        stats = None
        mark = job.cursor if job.cursor is not None and snapshot else None
        try:
            if engine == "dask":
                from etl.dask_engine import load_partitioned

                result.rows_read = load_partitioned(
                    job, source, where, transformer, destination, staging, bar.update
                )
            else:
                counter = RowCounter(bar.update)
                data = source.reader(job, where, counter)
                stats = destination.load(
                    staging, transformer, data, job.batch_size, mark
                )
                result.rows_read = counter.rows
        finally:
            bar.close()
        # The count, the row checks and the new cursor: from the load itself when it could
        # count them on the way, else from one scan of the loaded rows.
        indexes, counts = row_check_sql(job)
        if stats is None or counts:
            items = ["count(*)", *counts, *([f"max({ident(mark)})"] if mark else [])]
            summary = destination.row(
                f"SELECT {', '.join(items)} FROM {ident(staging)}"
            )
            stats = (summary[0], summary[-1] if mark else None)
        else:
            summary = (stats[0],)
        loaded = int(stats[0] or 0)
        result.rows_rejected = result.rows_read - loaded
        tally = {index: int(n or 0) for index, n in zip(indexes, summary[1:])}
        if mark:
            new_cursor = cursor_text(stats[1]) or state
        failures, warnings = row_check_outcome(job, tally, result.rows_rejected)
        result.warnings += warnings
        if failures:
            raise JobFailed("check failed: " + "; ".join(failures))
        if replace:
            result.rows_written = loaded
            _table_checks(job, destination, staging, result)
            destination.drop_table(job.table)
            destination.execute(
                f"ALTER TABLE {ident(staging)} RENAME TO {ident(job.table)}"
            )
        else:
            destination.create_table(job.table, columns, if_not_exists=True)
            result.rows_written = _merge(job, destination, staging, names)
            destination.drop_table(staging)
            _table_checks(job, destination, job.table, result)
        result.cursor_from, result.cursor_to = state, new_cursor
        if new_cursor is not None:
            destination.set_state(job.name, new_cursor, run_id)
        result.seconds = time.perf_counter() - started
        destination.log_run(_run_row(result, run_id, started_at))
        destination.commit()
    finally:
        source.close()


def _transformed_cursor(job: Job) -> bool:
    """True when the cursor's loaded value is not its source value (then the source
    gives the mark)."""
    column = job.cursor_column
    return column is not None and (bool(column.ops) or column.source_type is not None)


def _transform_connection(destination: Destination) -> Any:
    """DuckDB transforms on the destination's own connection when it is DuckDB (no
    copy)."""
    return (
        getattr(destination, "connection", None)
        if destination.kind == "duckdb"
        else None
    )


def _count(source: Source, job: Job, where: str) -> int | None:
    try:
        value = source.scalar(
            f"SELECT count(*) FROM {source.table(job)}"
            + (f" WHERE {where}" if where else "")
        )
        return int(value)
    except Exception:  # noqa: BLE001 - the bar works without a total
        return None


def _merge(job: Job, destination: Destination, staging: str, names: list[str]) -> int:
    """Move the staged rows into the table; the number of rows written."""
    target = ident(job.table)
    rows = _dedupe(job, staging, names)
    columns = ", ".join(ident(name) for name in names)
    if job.write_disposition == "merge" and job.key:
        written = int(destination.scalar(f"SELECT count(*) FROM ({rows}) AS s") or 0)
        destination.execute(
            f"DELETE FROM {target} AS t USING {ident(staging)} AS s "
            f"WHERE {_key_match(job, 't', 's')}"
        )
        destination.execute(f"INSERT INTO {target} ({columns}) {rows}")
        return written
    if job.key:  # append: rows whose key is new
        fresh = (
            f"SELECT {columns} FROM ({rows}) AS s WHERE NOT EXISTS "
            f"(SELECT 1 FROM {target} AS t WHERE {_key_match(job, 't', 's')})"
        )
        written = int(destination.scalar(f"SELECT count(*) FROM ({fresh}) AS f") or 0)
        destination.execute(f"INSERT INTO {target} ({columns}) {fresh}")
        return written
    written = int(destination.scalar(f"SELECT count(*) FROM {ident(staging)}") or 0)
    destination.execute(
        f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {ident(staging)}"
    )
    return written


def _table_checks(
    job: Job, destination: Destination, table: str, result: Result
) -> None:
    """Unique, row_count and freshness on the loaded table, before the commit."""
    for check in job.checks:
        if check.row_level:
            continue
        value = destination.scalar(table_check_sql(check, ident(table), job))
        problem = None
        if check.check == "unique" and value:
            problem = f"unique({', '.join(check.columns)}): {value} duplicated key(s)"
        elif check.check == "row_count":
            count = int(value or 0)
            if (check.min_rows is not None and count < check.min_rows) or (
                check.max_rows is not None and count > check.max_rows
            ):
                problem = (
                    f"row_count: {count} not in [{check.min_rows}, {check.max_rows}]"
                )
        elif check.check == "freshness":
            age = _age_seconds(value)
            if age is None or age > (check.max_age_seconds or 0):
                problem = (
                    f"freshness: newest value {describe(value)} "
                    f"is older than {check.max_age_seconds} s"
                )
        if problem is None:
            continue
        if check.on_fail == "fail":
            raise JobFailed("check failed: " + problem)
        if check.on_fail == "skip":
            raise JobSkipped(problem)
        result.warnings.append(problem)


def _age_seconds(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    now = dt.datetime.now(value.tzinfo) if value.tzinfo else dt.datetime.now()
    return (now - value).total_seconds()


def run_jobs(
    jobs: Iterable[Job],
    full_refresh: bool = False,
    engine: str = "local",
    progress: bool | None = None,
    out: Any = None,
) -> list[Result]:
    """Run jobs one after the other, printing each one's JSON line as it finishes."""
    out = out or sys.stdout
    show = sys.stderr.isatty() if progress is None else progress
    results = []
    for job in jobs:
        result = run_job(job, full_refresh=full_refresh, engine=engine, progress=show)
        for warning in result.warnings:
            print(f"etl: {job.name}: warning: {warning}", file=sys.stderr)
        if result.message:
            print(f"etl: {job.name}: {result.message}", file=sys.stderr)
        print(result.line(), file=out, flush=True)
        results.append(result)
    return results
