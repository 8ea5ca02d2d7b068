"""Build a deterministic synthetic database for the benchmarks (SQLite by default, or PostgreSQL).

    .venv/bin/python bench/synth_db.py                       # bench/out/synth300.sqlite, 300 tables
    .venv/bin/python bench/synth_db.py bench/out/x.sqlite --tables 50
    .venv/bin/python bench/synth_db.py --url postgresql+psycopg://postgres@127.0.0.1:5432/synth300
    .venv/bin/python bench/synth_db.py --mutate              # add one column to table 17 of an existing db

Every table has 15 columns: an integer primary key, a required varchar, up to two nullable foreign
keys to earlier tables, and a deterministic mix of varchar(n), text, numeric(10,2), date, timestamp,
boolean, integer, bigint and float columns; some tables carry a unique constraint, some an index or
two, and every table a handful of rows. The same arguments always give the same schema and rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import decimal
import os
import random
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    inspect,
    text,
)
from sqlalchemy.engine import Connection, Engine, make_url

BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "out"

DEFAULT_TABLES = 300
DEFAULT_ROWS = 5
DEFAULT_SEED = 20240917
COLUMNS_PER_TABLE = 15
MUTATE_TABLE_INDEX = 17
MUTATE_COLUMN = "added_note"

_NOUNS = (
    "account", "order", "invoice", "customer", "product", "shipment", "payment", "vendor",
    "employee", "project", "ticket", "asset", "contract", "branch", "warehouse", "region",
    "campaign", "lead", "course", "student", "booking", "device", "sensor", "reading",
    "policy", "claim", "recipe", "supplier", "batch", "route",
)
# Column name pools per kind; a name already used in a table gets a numeric suffix.
_POOLS: dict[str, tuple[str, ...]] = {
    "varchar": ("code", "title", "label", "email", "city", "status", "slug", "phone", "country", "color"),
    "text": ("description", "notes", "body", "summary", "remarks"),
    "numeric": ("price", "amount", "balance", "total", "weight", "discount"),
    "date": ("birth_date", "due_date", "start_date", "end_date", "valid_from"),
    "timestamp": ("created_at", "updated_at", "seen_at", "closed_at", "synced_at"),
    "boolean": ("is_active", "is_archived", "flagged", "verified", "is_public"),
    "integer": ("quantity", "rank", "score", "position", "level"),
    "bigint": ("external_id", "counter", "bytes_used"),
    "float": ("ratio", "latitude", "longitude", "rating"),
}
_KINDS = tuple(_POOLS)
_LENGTHS = (20, 40, 80, 120, 255)
_NAME_RE = re.compile(r"^(%s)_\d{3,}$" % "|".join(_NOUNS))


@dataclass
class ColumnPlan:
    """One planned column."""

    name: str
    kind: str  # a key of _POOLS, or "pk" / "name" / "fk"
    length: int | None = None
    target: str | None = None  # for "fk": the referenced table


@dataclass
class TablePlan:
    """One planned table."""

    index: int
    name: str
    columns: list[ColumnPlan] = field(default_factory=list)
    uniques: list[list[str]] = field(default_factory=list)
    indexes: list[list[str]] = field(default_factory=list)


def table_name(index: int) -> str:
    """The name of the table at `index` (a noun picked by index, then the zero-padded index)."""
    return f"{_NOUNS[(index * 7) % len(_NOUNS)]}_{index:03d}"


def plan_schema(tables: int = DEFAULT_TABLES, seed: int = DEFAULT_SEED) -> list[TablePlan]:
    """The deterministic plan of `tables` tables; the same arguments give the same plan."""
    plans: list[TablePlan] = []
    for index in range(tables):
        rng = random.Random(f"{seed}:{index}")
        plan = TablePlan(index=index, name=table_name(index))
        used: set[str] = set()

        def take(base: str) -> str:
            name, n = base, 2
            while name in used:
                name, n = f"{base}_{n}", n + 1
            used.add(name)
            return name

        plan.columns.append(ColumnPlan(take("id"), "pk"))
        plan.columns.append(ColumnPlan(take("name"), "name", length=rng.choice(_LENGTHS)))
        targets: list[int] = []
        if index > 0 and rng.random() < 0.7:
            targets.append(rng.randrange(index))
        if index > 1 and rng.random() < 0.3:
            second = rng.randrange(index)
            if second not in targets:
                targets.append(second)
        for target in targets:
            target_name = table_name(target)
            plan.columns.append(ColumnPlan(take(f"{target_name}_id"), "fk", target=target_name))
        while len(plan.columns) < COLUMNS_PER_TABLE:
            if rng.random() < 0.5:
                kind = _KINDS[(len(plan.columns) + index) % len(_KINDS)]
            else:
                kind = rng.choice(_KINDS)
            length = rng.choice(_LENGTHS) if kind == "varchar" else None
            plan.columns.append(ColumnPlan(take(rng.choice(_POOLS[kind])), kind, length=length))
        varchars = [c.name for c in plan.columns if c.kind == "varchar"]
        if index % 4 == 1 and varchars:
            plan.uniques.append([varchars[0]])
        if index % 8 == 5:
            plan.uniques.append(["name", plan.columns[-1].name])
        plain = [c.name for c in plan.columns if c.kind in ("integer", "date", "timestamp", "varchar")]
        if index % 3 == 0 and plain:
            plan.indexes.append([plain[-1]])
        if index % 6 == 0 and len(plain) >= 2:
            plan.indexes.append([plain[0], plain[1]])
        fk_columns = [c.name for c in plan.columns if c.kind == "fk"]
        if index % 5 == 2 and fk_columns:
            plan.indexes.append([fk_columns[0]])
        plans.append(plan)
    return plans


def _column(plan: ColumnPlan) -> Column[Any]:
    kind = plan.kind
    if kind == "pk":
        return Column(plan.name, Integer, primary_key=True)
    if kind == "name":
        return Column(plan.name, String(plan.length), nullable=False)
    if kind == "fk":
        return Column(plan.name, Integer, ForeignKey(f"{plan.target}.id", ondelete="SET NULL"), nullable=True)
    types: dict[str, Any] = {
        "varchar": String(plan.length),
        "text": Text(),
        "numeric": Numeric(10, 2),
        "date": Date(),
        "timestamp": DateTime(),
        "boolean": Boolean(),
        "integer": Integer(),
        "bigint": BigInteger(),
        "float": Float(),
    }
    return Column(plan.name, types[kind], nullable=True)


def build_metadata(plans: list[TablePlan]) -> MetaData:
    """SQLAlchemy tables for the plan (the same for every dialect)."""
    metadata = MetaData()
    for plan in plans:
        table = Table(plan.name, metadata, *[_column(c) for c in plan.columns])
        for n, cols in enumerate(plan.uniques):
            table.append_constraint(UniqueConstraint(*cols, name=f"uq_{plan.name}_{n}"))
    return metadata


def create_indexes(conn: Connection, metadata: MetaData, plans: list[TablePlan]) -> None:
    """The planned indexes, in plan order (a Table keeps its indexes in a set: its order varies)."""
    for plan in plans:
        table = metadata.tables[plan.name]
        for n, cols in enumerate(plan.indexes):
            Index(f"ix_{plan.name}_{n}", *[table.c[c] for c in cols]).create(conn)


def _value(plan: TablePlan, column: ColumnPlan, row: int, rows: int, rng: random.Random) -> Any:
    kind = column.kind
    unique = any(column.name in cols for cols in plan.uniques)
    if kind == "pk":
        return row + 1
    if kind == "name":
        return f"{plan.name} row {row + 1}"[: column.length]
    if kind == "fk":
        return None if rng.random() < 0.3 else rng.randint(1, rows)
    if kind == "varchar":
        return (f"{column.name}-{plan.index}-{row}" if unique else f"{column.name} {rng.randint(0, 999)}")[
            : column.length
        ]
    if kind == "text":
        return f"{column.name} of {plan.name}, row {row + 1}. " * rng.randint(1, 3)
    if kind == "numeric":
        return decimal.Decimal(rng.randint(0, 9_999_999)) / 100
    if kind == "date":
        return dt.date(2020, 1, 1) + dt.timedelta(days=rng.randint(0, 2000))
    if kind == "timestamp":
        return dt.datetime(2020, 1, 1) + dt.timedelta(seconds=rng.randint(0, 60_000_000))
    if kind == "boolean":
        return rng.random() < 0.5
    if kind in ("integer", "bigint"):
        return row if unique else rng.randint(0, 10**6 if kind == "integer" else 10**12)
    if kind == "float":
        return round(rng.uniform(-90, 90), 4)
    raise AssertionError(kind)


def _rows(plan: TablePlan, rows: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(f"{seed}:{plan.index}:rows")
    return [{c.name: _value(plan, c, row, rows, rng) for c in plan.columns} for row in range(rows)]


def _populate(engine: Engine, metadata: MetaData, plans: list[TablePlan], rows: int, seed: int) -> None:
    metadata.create_all(engine)
    with engine.begin() as conn:
        create_indexes(conn, metadata, plans)
        for plan in plans:  # earlier tables first, so every foreign key finds its row
            if rows:
                conn.execute(metadata.tables[plan.name].insert(), _rows(plan, rows, seed))


def fingerprint(tables: int, rows: int, seed: int) -> int:
    """A number stored in SQLite's user_version, so that scripts can tell whether a file fits."""
    return (tables * 1_000_003 + rows * 7_919 + seed) % (2**31 - 1)


def build_sqlite(path: Path, tables: int = DEFAULT_TABLES, rows: int = DEFAULT_ROWS,
                 seed: int = DEFAULT_SEED) -> Path:
    """Write the synthetic database to `path` (replacing it), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    plans = plan_schema(tables, seed)
    engine = create_engine(f"sqlite:///{tmp}")
    try:
        _populate(engine, build_metadata(plans), plans, rows, seed)
        with engine.begin() as conn:
            conn.execute(text(f"PRAGMA user_version = {fingerprint(tables, rows, seed)}"))
    except BaseException:
        engine.dispose()
        tmp.unlink(missing_ok=True)
        raise
    engine.dispose()
    os.replace(tmp, path)
    return path


def sqlite_state(path: Path) -> tuple[int, bool] | None:
    """(user_version, mutated) of an existing SQLite file, or None when it is not there."""
    if not path.exists():
        return None
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            version = int(conn.execute(text("PRAGMA user_version")).scalar_one())
            columns = conn.execute(text(f'PRAGMA table_info("{table_name(MUTATE_TABLE_INDEX)}")')).all()
    finally:
        engine.dispose()
    return version, any(row[1] == MUTATE_COLUMN for row in columns)


def ensure_sqlite(path: Path, tables: int = DEFAULT_TABLES, rows: int = DEFAULT_ROWS,
                  seed: int = DEFAULT_SEED) -> bool:
    """Build `path` unless it already holds this exact, unmutated database; True when it was built."""
    state = sqlite_state(path)
    if state == (fingerprint(tables, rows, seed), False):
        return False
    build_sqlite(path, tables, rows, seed)
    return True


def _create_postgres_database(url_text: str) -> None:
    url = make_url(url_text)
    name = url.database
    if not name:
        raise SystemExit(f"{url.render_as_string()}: the URL names no database")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
            if not exists:
                conn.execute(text('CREATE DATABASE "%s"' % name.replace('"', '""')))
    finally:
        admin.dispose()


def build_postgres(url_text: str, tables: int = DEFAULT_TABLES, rows: int = DEFAULT_ROWS,
                   seed: int = DEFAULT_SEED) -> None:
    """Create the database if missing, drop earlier synthetic tables, and build the schema again."""
    _create_postgres_database(url_text)
    plans = plan_schema(tables, seed)
    engine = create_engine(url_text)
    try:
        with engine.begin() as conn:
            existing = inspect(conn).get_table_names()
            synthetic = [name for name in existing if _NAME_RE.match(name)]
            others = sorted(set(existing) - set(synthetic))
            if others:
                print(f"note: leaving {len(others)} other table(s) alone: {', '.join(others[:5])}",
                      file=sys.stderr)
            for name in synthetic:
                conn.execute(text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
        _populate(engine, build_metadata(plans), plans, rows, seed)
    finally:
        engine.dispose()


def mutate(url_text: str, column: str = MUTATE_COLUMN) -> bool:
    """Add one nullable column to table 17 ("change one table"); False when it is already there.

    `column` names it (benchmarks that repeat the change give each round its own, so that no
    round meets a schema an earlier one has seen).
    """
    name = table_name(MUTATE_TABLE_INDEX)
    engine = create_engine(url_text)
    try:
        with engine.begin() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns(name)}
            if column in columns:
                return False
            conn.execute(text(f'ALTER TABLE "{name}" ADD COLUMN "{column}" VARCHAR(60)'))
    finally:
        engine.dispose()
    return True


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file."""
    return f"sqlite:///{path}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", nargs="?", type=Path,
                        help="SQLite file to write (default: bench/out/synth<N>.sqlite)")
    parser.add_argument("--url",
                        help="build on this PostgreSQL URL instead (the database is created if missing)")
    parser.add_argument("--tables", type=int, default=DEFAULT_TABLES, help="number of tables (default 300)")
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="rows per table (default 5)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the schema and the rows")
    parser.add_argument("--mutate", action="store_true",
                        help=f"do not build: add column {MUTATE_COLUMN!r} to table 17 "
                             "of an existing database")
    parser.add_argument("--column", default=MUTATE_COLUMN,
                        help=f"with --mutate: the column's name (default {MUTATE_COLUMN})")
    args = parser.parse_args(argv)
    if args.url and args.path:
        parser.error("give a SQLite path or --url, not both")
    if args.tables < MUTATE_TABLE_INDEX + 1 and args.mutate:
        parser.error(f"--mutate needs at least {MUTATE_TABLE_INDEX + 1} tables")
    path = args.path or OUT_DIR / f"synth{args.tables}.sqlite"
    url = args.url or sqlite_url(path)
    start = time.perf_counter()
    if args.mutate:
        if not args.url and not path.exists():
            print(f"error: {path}: no such database; build it first", file=sys.stderr)
            return 2
        changed = mutate(url, args.column)
        what = "added to" if changed else "was already in"
        print(f"{url}: column {args.column} {what} table {table_name(MUTATE_TABLE_INDEX)}")
        return 0
    if args.url:
        build_postgres(args.url, args.tables, args.rows, args.seed)
    else:
        build_sqlite(path, args.tables, args.rows, args.seed)
    print(f"{url}: {args.tables} tables x {COLUMNS_PER_TABLE} columns, {args.rows} rows each "
          f"(seed {args.seed}) in {time.perf_counter() - start:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
