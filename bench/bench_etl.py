"""Benchmark the generated ETL job beside the practical limit and the usual tools, in one run.

    .venv/bin/python bench/bench_etl.py                 # 1,000,000 rows, 3 repeats
    .venv/bin/python bench/bench_etl.py --rows 200000 --repeats 1 --no-postgres

A 1,000,000-row SQLite table (integer key, exact DECIMAL(9,2), timestamps, text, one personal
field) is loaded end to end (interpreter start included) by:

- into DuckDB: the job `codegen generate --etl` generates (`python -m etl run`), DuckDB's own
  SQLite reader (`CREATE TABLE AS SELECT * FROM sqlite_scan(...)`, the practical limit), and a
  plain dlt pipeline (`sql_database` source, pyarrow backend, duckdb destination);
- into PostgreSQL: the generated job, and Arrow then COPY (the whole table read into Arrow by
  ADBC, written as CSV by pyarrow, `COPY ... FROM STDIN` by psycopg);
- peak memory (max RSS) of the generated job at several batch sizes and table sizes.

Each figure is the median of the repeats, the contenders taking turns. The generated project is
installed with tests/harness.py (wheelhouse, its own venv); the peers live in a tools venv under
bench/out/etl-tools. Figures go to stdout (one line each) and bench/out/etl_results.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
OUT = BENCH / "out"
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(BENCH))

from benchlib import machine  # noqa: E402

TOOLS = OUT / "etl-tools"
TOOL_PINS = [
    "duckdb==1.5.5",
    "duckdb-extension-sqlite==1.5.5",
    "duckdb-extensions==1.5.5",
    "dlt[duckdb]==1.31.0",
    "sqlalchemy==2.1.9",
    "pyarrow==26.0.1",
    "adbc-driver-sqlite==1.13.0",
    "psycopg[binary]==3.3.9",
]
PG_ADMIN = os.environ.get("CODEGEN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_BENCH_DB = "cg_bench_etl"

DUCKDB_OWN = """
import sys, duckdb
from duckdb_extensions import extension_importer
source, target = sys.argv[1], sys.argv[2]
con = duckdb.connect(target)
extension_importer.import_extension("sqlite")
con.execute("LOAD sqlite")
con.execute(f"CREATE TABLE ledger AS SELECT * FROM sqlite_scan('{source}', 'ledger')")
print(con.execute("SELECT count(*) FROM ledger").fetchone()[0])
"""
DLT = """
import sys, dlt
from dlt.sources.sql_database import sql_database
source, target, work = sys.argv[1], sys.argv[2], sys.argv[3]
pipeline = dlt.pipeline(pipeline_name="bench", destination=dlt.destinations.duckdb(target),
                        dataset_name="main", pipelines_dir=work)
data = sql_database(f"sqlite:///{source}", table_names=["ledger"], backend="pyarrow")
info = pipeline.run(data, write_disposition="replace")
print(info)
"""
ARROW_COPY = """
import io, sys
import adbc_driver_sqlite.dbapi, psycopg, pyarrow.csv as pcsv
source, url = sys.argv[1], sys.argv[2]
with adbc_driver_sqlite.dbapi.connect(source) as con:
    cur = con.cursor()
    cur.execute("SELECT entry_id, customer_id, email, CAST(amount AS TEXT) AS amount, created_at, note, last_update "
                "FROM ledger")
    table = cur.fetch_arrow_table()
buffer = io.BytesIO()
pcsv.write_csv(table, buffer, pcsv.WriteOptions(include_header=False))
with psycopg.connect(url) as pg:
    pg.execute("DROP TABLE IF EXISTS ledger_copy")
    pg.execute("CREATE TABLE ledger_copy (entry_id integer, customer_id integer, email text, amount numeric(9,2), "
               "created_at timestamp, note text, last_update timestamp)")
    with pg.cursor().copy("COPY ledger_copy FROM STDIN (FORMAT csv)") as copy:
        copy.write(buffer.getbuffer())
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build_source(path: Path, rows: int) -> None:
    """A deterministic payment-like table (same arguments, same bytes)."""
    if path.exists():
        return
    rng = random.Random(20261123)
    base = dt.datetime(2024, 1, 1)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    with sqlite3.connect(partial) as con:
        con.execute(
            "CREATE TABLE ledger (entry_id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, "
            "email VARCHAR(60) NOT NULL, amount DECIMAL(9, 2) NOT NULL, created_at TIMESTAMP NOT NULL, "
            "note TEXT, last_update TIMESTAMP NOT NULL)"
        )

        def generate():
            for n in range(1, rows + 1):
                moment = (base + dt.timedelta(seconds=n * 7)).strftime("%Y-%m-%d %H:%M:%S")
                yield (
                    n,
                    rng.randint(1, 600),
                    f"user{n}@example.com",
                    f"{rng.randint(0, 9999999) / 100:.2f}",
                    moment,
                    None if n % 3 else f"note {n}",
                    moment,
                )

        con.executemany("INSERT INTO ledger VALUES (?, ?, ?, ?, ?, ?, ?)", generate())
    partial.rename(path)


def tools_python() -> Path:
    python = TOOLS / "bin" / "python"
    marker = TOOLS / ("installed-" + hashlib.sha256("\n".join(TOOL_PINS).encode()).hexdigest()[:12])
    if not marker.exists():
        shutil.rmtree(TOOLS, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(TOOLS)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *TOOL_PINS],
            check=True,
        )
        marker.write_text("\n".join(TOOL_PINS) + "\n")
    return python


def project(source: Path, batch_size: int, directory: Path) -> Path:
    """A project generated with --etl from a spec whose job reads `batch_size` rows at a time."""
    from codegen import api
    from codegen.spec.io import dump_spec

    spec = api.reflect(f"sqlite:///{source}", name="ledger", etl=True)
    spec = spec.model_copy(update={"etl": [spec.etl[0].model_copy(update={"batch_size": batch_size})]})
    spec_file = directory.with_suffix(".yaml")
    spec_file.write_text(dump_spec(spec), encoding="utf-8")
    shutil.rmtree(directory, ignore_errors=True)
    api.generate(str(spec_file), directory, etl=True)
    return directory


def timed(
    command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
) -> tuple[float, int]:
    """(wall seconds, peak RSS in MiB) of a command run to the end; fails loudly on a non-zero exit."""
    started = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *command], cwd=cwd, env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{command[:3]} failed: {done.stderr[-2000:]}")
    peak_kib = int(done.stderr.strip().splitlines()[-1])
    return seconds, peak_kib // 1024


def pg_url(database: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + database


def reset_pg() -> bool:
    try:
        import psycopg
    except ImportError:
        return False
    try:
        with psycopg.connect(PG_ADMIN.replace("postgresql+psycopg", "postgresql"), autocommit=True) as con:
            con.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")
            con.execute(f"CREATE DATABASE {PG_BENCH_DB}")
    except Exception as exc:  # noqa: BLE001
        log(f"PostgreSQL not available ({exc}); skipping the PostgreSQL figures")
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-memory", action="store_true")
    args = parser.parse_args()
    from harness import install_project, project_env

    OUT.mkdir(exist_ok=True)
    load_before = f"{os.getloadavg()[0]:.2f}"
    source = OUT / f"ledger_{args.rows}.sqlite"
    log(f"building {source} ...")
    build_source(source, args.rows)
    work = Path(tempfile.mkdtemp(prefix="bench_etl_"))
    log("installing the generated project and the tools venv ...")
    main_project = project(source, 50_000, work / "ledger50k")
    python = install_project(main_project, label="bench-etl")
    tools = tools_python()
    env = project_env(
        {"DATABASE_URL": f"sqlite:///{source}", "ETL_HASH_SALT": "bench", "ETL_ENGINE": "local"}, python
    )

    def generated_duckdb() -> tuple[float, int]:
        target = work / "generated.duckdb"
        target.unlink(missing_ok=True)
        return timed(
            [str(python), "-m", "etl", "run", "--full-refresh"],
            {**env, "ETL_DESTINATION": str(target)},
            main_project,
        )

    def duckdb_own() -> tuple[float, int]:
        target = work / "own.duckdb"
        target.unlink(missing_ok=True)
        return timed([str(tools), "-c", DUCKDB_OWN, str(source), str(target)])

    def dlt_pipeline() -> tuple[float, int]:
        target = work / "dlt.duckdb"
        target.unlink(missing_ok=True)
        shutil.rmtree(work / "dlt", ignore_errors=True)
        return timed(
            [str(tools), "-c", DLT, str(source), str(target), str(work / "dlt")],
            {**os.environ, "RUNTIME__LOG_LEVEL": "WARNING"},
        )

    contenders = {
        "generated job -> duckdb": generated_duckdb,
        "duckdb sqlite_scan -> duckdb": duckdb_own,
        "dlt (pyarrow backend) -> duckdb": dlt_pipeline,
    }
    use_pg = not args.no_postgres and reset_pg()
    if use_pg:
        destination = pg_url(PG_BENCH_DB).replace("postgresql+psycopg", "postgresql")

        def generated_pg() -> tuple[float, int]:
            return timed(
                [str(python), "-m", "etl", "run", "--full-refresh"],
                {**env, "ETL_DESTINATION": destination},
                main_project,
            )

        def arrow_copy() -> tuple[float, int]:
            return timed([str(tools), "-c", ARROW_COPY, str(source), destination])

        contenders["generated job -> postgresql"] = generated_pg
        contenders["arrow then COPY -> postgresql"] = arrow_copy

    times: dict[str, list[float]] = {name: [] for name in contenders}
    peaks: dict[str, list[int]] = {name: [] for name in contenders}
    for name, step in contenders.items():  # warm-up (page cache, first imports), thrown away
        log(f"warm-up: {name}")
        step()
    for repeat in range(args.repeats):
        order = list(contenders.items())
        if repeat % 2:
            order.reverse()
        for name, step in order:
            seconds, peak = step()
            times[name].append(seconds)
            peaks[name].append(peak)
            log(f"  {name}: {seconds:.2f} s, {peak} MiB")

    def rate(name: str) -> float:
        return args.rows / statistics.median(times[name])

    lines = []
    for name in contenders:
        lines.append(
            f"etl_{args.rows}_rows: {name} {statistics.median(times[name]):.2f} s "
            f"(median of {len(times[name])}) = {rate(name) / 1000:.0f}k rows/s, "
            f"peak RSS {statistics.median(peaks[name]):.0f} MiB"
        )
    ratio = rate("generated job -> duckdb") / rate("duckdb sqlite_scan -> duckdb")
    lines.append(f"etl_goal_duckdb: generated job / DuckDB's own reader = {ratio:.2f} (goal >= 0.5)")
    lines.append(
        f"etl_vs_dlt: generated job / dlt = "
        f"{rate('generated job -> duckdb') / rate('dlt (pyarrow backend) -> duckdb'):.2f}x"
    )
    if use_pg:
        ratio_pg = rate("generated job -> postgresql") / rate("arrow then COPY -> postgresql")
        lines.append(f"etl_goal_postgresql: generated job / Arrow then COPY = {ratio_pg:.2f} (goal >= 0.8)")

    memory: dict[str, int] = {}
    if not args.no_memory:
        cases = [(args.rows, 10_000), (args.rows, 50_000), (args.rows, 200_000)]
        small = OUT / f"ledger_{args.rows // 4}.sqlite"
        build_source(small, args.rows // 4)
        cases.append((args.rows // 4, 50_000))
        cases.append((args.rows, -50_000))  # DuckDB memory limit 100MB (negative: a marker)
        for rows, batch in cases:
            limit = {"ETL_DUCKDB_MEMORY_LIMIT": "100MB"} if batch < 0 else {}
            batch = abs(batch)
            table = source if rows == args.rows else small
            directory = project(table, batch, work / f"ledger_{rows}_{batch}")
            label = f"{rows} rows, batch {batch}" + (", duckdb memory_limit 100MB" if limit else "")
            for kind, destination in (
                ("duckdb", str(work / "mem.duckdb")),
                *(
                    (("postgresql", pg_url(PG_BENCH_DB).replace("postgresql+psycopg", "postgresql")),)
                    if use_pg
                    else ()
                ),
            ):
                Path(work / "mem.duckdb").unlink(missing_ok=True)
                if limit and kind != "duckdb":
                    continue
                run_env = {
                    **env,
                    **limit,
                    "DATABASE_URL": f"sqlite:///{table}",
                    "ETL_DESTINATION": destination,
                }
                _, peak = timed([str(python), "-m", "etl", "run", "--full-refresh"], run_env, directory)
                memory[f"{label} -> {kind}"] = peak
                lines.append(f"etl_memory: generated job, {label} -> {kind}: peak RSS {peak} MiB")

    print("\n".join(lines))
    lines.append(
        f"etl_load_average: {load_before} at the start, {os.getloadavg()[0]:.2f} at the end "
        f"(2 cores; other sessions share the machine)"
    )
    results = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": machine(),
        "rows": args.rows,
        "times": times,
        "peaks_mib": peaks,
        "memory_mib": memory,
        "lines": lines,
    }
    (OUT / "etl_results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    shutil.rmtree(work, ignore_errors=True)
    if use_pg:
        drop_pg()


def drop_pg() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN.replace("postgresql+psycopg", "postgresql"), autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
