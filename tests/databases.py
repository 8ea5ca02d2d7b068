"""Test databases: the corpus (Chinook, Sakila) and our hard schema, loaded into SQLite, PostgreSQL, MariaDB.

Every loader returns a SQLAlchemy URL to a fresh database (or a fresh SQLite file) that holds the same
rows on every run. `drop_all()` removes everything this process created; `conftest.py` calls it at the
end of the session.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

from sqlalchemy import (
    CHAR,
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    create_engine,
    inspect,
    select,
    text,
)
from sqlalchemy import types as sqltypes
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool
from sqlalchemy.schema import AddConstraint, CheckConstraint, PrimaryKeyConstraint, UniqueConstraint

DIALECTS = ("sqlite", "postgresql", "mariadb")
SERVER_DIALECTS = ("postgresql", "mariadb")
KINDS = ("chinook", "sakila", "hard", "hostile")

CORPUS = Path(os.environ.get("CODEGEN_CORPUS", "/work/shared/corpus/db"))
CHINOOK_SQLITE = CORPUS / "chinook" / "Chinook_Sqlite.sqlite"
CHINOOK_SCRIPTS = {
    "postgresql": CORPUS / "chinook-scripts" / "Chinook_PostgreSql.sql",
    "mariadb": CORPUS / "chinook-scripts" / "Chinook_MySql.sql",
}
SAKILA_SQLITE = CORPUS / "sakila-sqlite" / "sakila.sqlite"
HARD_DIR = Path(__file__).parent / "fixtures" / "hard"
HARD_SCRIPTS = {dialect: HARD_DIR / f"{dialect}.sql" for dialect in DIALECTS}
HOSTILE_DIR = Path(__file__).parent / "fixtures" / "hostile"
# The other schemas of the hostile schema: on PostgreSQL inside its database, on MariaDB databases of their
# own (named per process, as every database here).
HOSTILE_SCHEMAS = ("hr", "sales")

# Where the servers are; override for another machine (the database part is the admin database).
URL_VARIABLES = {"postgresql": "CODEGEN_TEST_POSTGRES_URL", "mariadb": "CODEGEN_TEST_MARIADB_URL"}
DEFAULT_ADMIN_URLS = {
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "mariadb": "mysql+pymysql://root@127.0.0.1:3306/test",
}
ADMIN_URLS = {dialect: os.environ.get(URL_VARIABLES[dialect], default)
              for dialect, default in DEFAULT_ADMIN_URLS.items()}
START_COMMANDS = {
    "postgresql": "sudo service postgresql start  (or: pg_ctlcluster 15 main start)",
    "mariadb": "sudo service mariadb start  (or: mysqld_safe &)",
}

# Rows per table, keyed by the table name folded to lower case without underscores
# (Chinook is PascalCase in SQLite and MySQL, snake_case in PostgreSQL).
CHINOOK_ROWS = {
    "album": 347, "artist": 275, "customer": 59, "employee": 8, "genre": 25, "invoice": 412,
    "invoiceline": 2240, "mediatype": 5, "playlist": 18, "playlisttrack": 8715, "track": 3503,
}
SAKILA_ROWS = {
    "actor": 200, "address": 603, "category": 16, "city": 600, "country": 109, "customer": 599,
    "film": 1000, "filmactor": 5462, "filmcategory": 1000, "filmtext": 1000, "inventory": 4581,
    "language": 6, "payment": 16049, "rental": 16044, "staff": 2, "store": 2,
}
assert sum(CHINOOK_ROWS.values()) == 15_607 and sum(SAKILA_ROWS.values()) == 47_273

# The five Sakila views, written once with CONCAT() so that PostgreSQL and MariaDB both accept them
# (SQLite's `||` means OR in MariaDB, and PostgreSQL will not compare CHAR(1) `active` with 1).
SAKILA_VIEWS = {
    "customer_list": """
        SELECT cu.customer_id AS id, CONCAT(cu.first_name, ' ', cu.last_name) AS name,
               a.address AS address, a.postal_code AS zip_code, a.phone AS phone,
               city.city AS city, country.country AS country,
               CASE WHEN cu.active = '1' THEN 'active' ELSE '' END AS notes, cu.store_id AS sid
        FROM customer AS cu JOIN address AS a ON cu.address_id = a.address_id
        JOIN city ON a.city_id = city.city_id JOIN country ON city.country_id = country.country_id""",
    "film_list": """
        SELECT film.film_id AS fid, film.title AS title, film.description AS description,
               category.name AS category, film.rental_rate AS price, film.length AS length,
               film.rating AS rating, CONCAT(actor.first_name, ' ', actor.last_name) AS actors
        FROM category LEFT JOIN film_category ON category.category_id = film_category.category_id
        LEFT JOIN film ON film_category.film_id = film.film_id
        JOIN film_actor ON film.film_id = film_actor.film_id
        JOIN actor ON film_actor.actor_id = actor.actor_id""",
    "staff_list": """
        SELECT s.staff_id AS id, CONCAT(s.first_name, ' ', s.last_name) AS name,
               a.address AS address, a.postal_code AS zip_code, a.phone AS phone,
               city.city AS city, country.country AS country, s.store_id AS sid
        FROM staff AS s JOIN address AS a ON s.address_id = a.address_id
        JOIN city ON a.city_id = city.city_id JOIN country ON city.country_id = country.country_id""",
    "sales_by_store": """
        SELECT s.store_id AS store_id, CONCAT(c.city, ',', cy.country) AS store,
               CONCAT(m.first_name, ' ', m.last_name) AS manager, SUM(p.amount) AS total_sales
        FROM payment AS p
        INNER JOIN rental AS r ON p.rental_id = r.rental_id
        INNER JOIN inventory AS i ON r.inventory_id = i.inventory_id
        INNER JOIN store AS s ON i.store_id = s.store_id
        INNER JOIN address AS a ON s.address_id = a.address_id
        INNER JOIN city AS c ON a.city_id = c.city_id
        INNER JOIN country AS cy ON c.country_id = cy.country_id
        INNER JOIN staff AS m ON s.manager_staff_id = m.staff_id
        GROUP BY s.store_id, CONCAT(c.city, ',', cy.country), CONCAT(m.first_name, ' ', m.last_name)""",
    "sales_by_film_category": """
        SELECT c.name AS category, SUM(p.amount) AS total_sales
        FROM payment AS p
        INNER JOIN rental AS r ON p.rental_id = r.rental_id
        INNER JOIN inventory AS i ON r.inventory_id = i.inventory_id
        INNER JOIN film AS f ON i.film_id = f.film_id
        INNER JOIN film_category AS fc ON f.film_id = fc.film_id
        INNER JOIN category AS c ON fc.category_id = c.category_id
        GROUP BY c.name""",
}

BATCH_ROWS = 5_000

# Everything this process created, for drop_all(): (dialect, database name) and temporary directories.
_created_databases: list[tuple[str, str]] = []
_created_dirs: list[Path] = []


class LoadError(RuntimeError):
    """A test database could not be built as expected."""


# -- servers -----------------------------------------------------------------------------------------


def _admin_engine(dialect: str) -> Engine:
    """An autocommit engine on the server's admin database, for CREATE and DROP DATABASE."""
    url = make_url(ADMIN_URLS[dialect])
    args = {"connect_timeout": 3}
    return create_engine(url, isolation_level="AUTOCOMMIT", connect_args=args, poolclass=NullPool)


@functools.cache
def server_available(dialect: str) -> str | None:
    """None when the dialect's server answers (always for SQLite), else the reason why not."""
    if dialect == "sqlite":
        return None
    if dialect not in ADMIN_URLS:
        return f"unknown dialect {dialect!r}"
    engine = _admin_engine(dialect)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        lines = str(getattr(exc, "orig", exc)).strip().splitlines()
        where = engine.url.render_as_string(hide_password=True)
        return f"{dialect} at {where}: {lines[0] if lines else type(exc).__name__}"
    finally:
        engine.dispose()
    return None


def database_name(kind: str) -> str:
    """The database name this process uses for `kind` (the pid keeps parallel runs apart)."""
    return f"cg_{kind}_{os.getpid()}"


def server_url(dialect: str, name: str, password: str | None = None) -> str:
    """The URL of database `name` on the dialect's server, optionally with a password put in."""
    url = make_url(ADMIN_URLS[dialect]).set(database=name)
    if password is not None:
        url = url.set(password=password)
    return url.render_as_string(hide_password=False)


def _quote(dialect: str, name: str) -> str:
    if dialect == "mariadb":
        return "`" + name.replace("`", "``") + "`"
    return '"' + name.replace('"', '""') + '"'


def _drop_statement(dialect: str, name: str) -> str:
    force = " WITH (FORCE)" if dialect == "postgresql" else ""
    return f"DROP DATABASE IF EXISTS {_quote(dialect, name)}{force}"


def _drop(conn: Any, dialect: str, name: str) -> None:
    """Drop database `name`; on MariaDB also when tables of another database refer to its own."""
    if dialect == "mariadb":
        conn.execute(text("SET FOREIGN_KEY_CHECKS = 0"))
    conn.execute(text(_drop_statement(dialect, name)))


def create_database(dialect: str, name: str) -> str:
    """A fresh, empty database `name` (dropped first if it exists); returns its URL."""
    _drop_stale_databases(dialect)
    engine = _admin_engine(dialect)
    try:
        with engine.connect() as conn:
            _drop(conn, dialect, name)
            if dialect == "postgresql":
                conn.execute(text(f"CREATE DATABASE {_quote(dialect, name)} "
                                  "ENCODING 'UTF8' TEMPLATE template0"))
            else:
                conn.execute(text(f"CREATE DATABASE {_quote(dialect, name)} "
                                  "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    finally:
        engine.dispose()
    if (dialect, name) not in _created_databases:
        _created_databases.append((dialect, name))
    return server_url(dialect, name)


def drop_database(dialect: str, name: str) -> None:
    """Drop database `name` if it exists, ending other sessions on it first."""
    engine = _admin_engine(dialect)
    try:
        with engine.connect() as conn:
            _drop(conn, dialect, name)
    finally:
        engine.dispose()
    if (dialect, name) in _created_databases:
        _created_databases.remove((dialect, name))


@functools.cache
def _drop_stale_databases(dialect: str) -> None:
    """Drop `cg_<kind>_<pid>` databases left behind by test processes that no longer run.

    This assumes that every test run using the server shares this machine's process ids (no
    second container on the same server), which holds here and on CI, where each job has its own.
    """
    pattern = re.compile(r"^cg_[a-z]+_(\d+)$")
    query = ("SELECT datname FROM pg_database" if dialect == "postgresql"
             else "SELECT schema_name FROM information_schema.schemata")
    engine = _admin_engine(dialect)
    try:
        with engine.connect() as conn:
            for (name,) in conn.execute(text(query)).all():
                match = pattern.match(name)
                if match and int(match[1]) != os.getpid() and not _pid_alive(int(match[1])):
                    _drop(conn, dialect, name)
    finally:
        engine.dispose()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def drop_all() -> None:
    """Remove every database and temporary file this process created."""
    for dialect, name in list(_created_databases):
        drop_database(dialect, name)
    for directory in list(_created_dirs):
        shutil.rmtree(directory, ignore_errors=True)
        _created_dirs.remove(directory)


# -- SQLite --------------------------------------------------------------------------------------------


def _sqlite_path(kind: str) -> Path:
    """A new file path in a temporary directory named `cg_<kind>_<pid>_...`."""
    _drop_stale_dirs()
    directory = Path(tempfile.mkdtemp(prefix=f"cg_{kind}_{os.getpid()}_"))
    _created_dirs.append(directory)
    return directory / f"{kind}.sqlite"


@functools.cache
def _drop_stale_dirs() -> None:
    """Remove the temporary directories of test processes that died before their cleanup."""
    for directory in Path(tempfile.gettempdir()).glob("cg_*_*_*"):
        match = re.fullmatch(r"cg_[a-z]+_(\d+)_\w+", directory.name)
        if match and directory.is_dir() and not _pid_alive(int(match[1])):
            shutil.rmtree(directory, ignore_errors=True)


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _copy_sqlite(source: Path, kind: str) -> str:
    target = _sqlite_path(kind)
    shutil.copyfile(source, target)
    target.chmod(0o644)
    return _sqlite_url(target)


# -- scripts ---------------------------------------------------------------------------------------------

# One line each in the corpus scripts; a comment line such as "Drop database if it exists" has no `;`.
_DATABASE_STATEMENT = re.compile(
    r"^[ \t]*(?:(?:DROP|CREATE)[ \t]+DATABASE\b[^;\n]*;|USE[ \t]+[^;\n]*;|\\c[ \t]+[^\n]*)[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)


def strip_database_statements(script: str) -> str:
    """The script without its own DROP/CREATE DATABASE, USE and psql `\\c` lines."""
    return _DATABASE_STATEMENT.sub("", script)


def run_script(dialect: str, url: str, script: str) -> None:
    """Execute a whole SQL script in one go through the dialect's driver; LoadError on failure."""
    try:
        _run_script(dialect, url, script)
    except Exception as exc:  # noqa: BLE001 - any driver's error becomes one short line
        lines = str(exc).strip().splitlines()
        first = lines[0][:300] if lines else ""
        raise LoadError(f"{dialect} script into {url}: {type(exc).__name__}: {first}") from None


def sqlite_file(path: Path, script: str) -> str:
    """A new SQLite file at `path` made by `script`; its URL."""
    with closing(sqlite3.connect(path)) as conn:
        conn.executescript(script)
    return f"sqlite:///{path}"


def _run_script(dialect: str, url: str, script: str) -> None:
    if dialect == "sqlite":
        path = make_url(url).database
        assert path
        with closing(sqlite3.connect(path)) as conn:
            conn.executescript(script)
        return
    if dialect == "postgresql":
        _run_postgres_script(url, script)
    else:
        _run_mariadb_script(url, script)


def _run_postgres_script(url: str, script: str) -> None:
    import psycopg

    parts = make_url(url)
    with psycopg.connect(host=parts.host, port=parts.port, user=parts.username, password=parts.password,
                         dbname=parts.database, autocommit=True) as conn:
        conn.execute(script.encode("utf-8"))  # no parameters: the simple protocol runs many statements


def _run_mariadb_script(url: str, script: str) -> None:
    import pymysql
    from pymysql.constants import CLIENT

    parts = make_url(url)
    conn = pymysql.connect(host=parts.host, port=parts.port or 3306, user=parts.username,
                           password=parts.password or "", database=parts.database, charset="utf8mb4",
                           client_flag=CLIENT.MULTI_STATEMENTS, autocommit=True)
    try:
        with conn.cursor() as cursor:
            cursor.execute(script)
            while cursor.nextset():  # an error in a later statement surfaces here
                pass
    finally:
        conn.close()


# -- checks ------------------------------------------------------------------------------------------------


def table_counts(url: str) -> dict[str, int]:
    """Rows per table (views left out) of the database at `url`."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            names = inspect(conn).get_table_names()
            preparer = conn.dialect.identifier_preparer
            return {
                name: int(conn.execute(text(f"SELECT COUNT(*) FROM {preparer.quote(name)}")).scalar_one())
                for name in names
            }
    finally:
        engine.dispose()


def check_counts(url: str, expected: dict[str, int], what: str) -> None:
    """Fail unless every table of `expected` holds exactly its number of rows."""
    counts = {name.lower().replace("_", ""): rows for name, rows in table_counts(url).items()}
    if counts != expected:
        raise LoadError(f"{what}: row counts {counts} differ from the expected {expected}")


# -- Chinook --------------------------------------------------------------------------------------------


def load_chinook(dialect: str) -> str:
    """A fresh Chinook database (15,607 rows) for the dialect; returns its URL."""
    if dialect == "sqlite":
        url = _copy_sqlite(CHINOOK_SQLITE, "chinook")
    else:
        url = create_database(dialect, database_name("chinook"))
        script = CHINOOK_SCRIPTS[dialect].read_text(encoding="utf-8")
        run_script(dialect, url, strip_database_statements(script))
    check_counts(url, CHINOOK_ROWS, f"chinook on {dialect}")
    return url


# -- Sakila ----------------------------------------------------------------------------------------------


def portable_type(column_type: sqltypes.TypeEngine[Any]) -> sqltypes.TypeEngine[Any]:
    """A SQLAlchemy generic type for a type reflected from SQLite."""
    if isinstance(column_type, sqltypes.SmallInteger):
        return SmallInteger()
    if isinstance(column_type, sqltypes.BigInteger):
        return BigInteger()
    if isinstance(column_type, sqltypes.Integer):
        return Integer()
    if isinstance(column_type, sqltypes.Numeric) and not isinstance(column_type, sqltypes.Float):
        return Numeric(column_type.precision, column_type.scale)
    if isinstance(column_type, sqltypes.DateTime):
        return DateTime()
    if isinstance(column_type, sqltypes.Date):
        return Date()
    if isinstance(column_type, sqltypes.CHAR):
        return CHAR(column_type.length)
    if isinstance(column_type, sqltypes.Text):
        return Text()
    if isinstance(column_type, sqltypes.String) and column_type.length:
        return String(column_type.length)
    if isinstance(column_type, sqltypes._Binary):
        return LargeBinary()
    return Text()


def _sakila_source() -> tuple[Engine, MetaData]:
    engine = create_engine(_sqlite_url(SAKILA_SQLITE), poolclass=NullPool)
    source = MetaData()
    source.reflect(engine, views=False)
    return engine, source


def _simple_default(default: str | None) -> str | None:
    """A literal SQLite default (number or quoted string) that every dialect reads the same way."""
    if default and re.fullmatch(r"-?\d+(\.\d+)?|'[^']*'", default.strip()):
        return default.strip()
    return None


def _copy_table_shape(table: Table, target: MetaData, inspector: Any) -> Table:
    """The table in `target` with portable types, key, uniques, checks and indexes, but no foreign keys."""
    raw = {column["name"]: column for column in inspector.get_columns(table.name)}
    single_key = len(table.primary_key.columns) == 1
    columns = [
        Column(
            column.name,
            portable_type(column.type),
            nullable=column.nullable,
            server_default=_default_clause(raw[column.name].get("default")),
            autoincrement=single_key and column.primary_key and isinstance(column.type, sqltypes.Integer),
        )
        for column in table.columns
    ]
    copy = Table(table.name, target, *columns)
    copy.append_constraint(PrimaryKeyConstraint(*[c.name for c in table.primary_key.columns]))
    for check in inspector.get_check_constraints(table.name):
        name = check.get("name")
        copy.append_constraint(CheckConstraint(text(check["sqltext"]), name=name.lower() if name else None))
    for index in inspector.get_indexes(table.name):
        if index["unique"]:
            copy.append_constraint(UniqueConstraint(*index["column_names"], name=index["name"]))
        else:
            Index(index["name"], *[copy.c[name] for name in index["column_names"]])
    return copy


def _default_clause(default: str | None) -> Any:
    literal = _simple_default(default)
    return text(literal) if literal is not None else None


def _foreign_keys(table: Table, target: Table, inspector: Any) -> list[ForeignKeyConstraint]:
    constraints = []
    for fk in inspector.get_foreign_keys(table.name):
        options = {key: value for key, value in (fk.get("options") or {}).items()
                   if key in ("ondelete", "onupdate") and value and value.upper() != "NO ACTION"}
        constraint = ForeignKeyConstraint(
            fk["constrained_columns"],
            [f"{fk['referred_table']}.{name}" for name in fk["referred_columns"]],
            name=fk["name"] or f"fk_{table.name}_{'_'.join(fk['constrained_columns'])}",
            **options,
        )
        target.append_constraint(constraint)
        constraints.append(constraint)
    return constraints


def _rows(conn: Any, table: Table) -> Iterator[list[dict[str, Any]]]:
    """The rows of a source table in key order, batched, strings kept as strings."""
    textual = {c.name for c in table.columns if isinstance(c.type, sqltypes.String)}
    result = conn.execute(select(table).order_by(*table.primary_key.columns))
    while batch := result.mappings().fetchmany(BATCH_ROWS):
        yield [{key: _as_text(v) if key in textual else v for key, v in row.items()} for row in batch]


def _as_text(value: Any) -> Any:
    """Sakila keeps an integer 1/0 in the CHAR(1) `customer.active`; a server wants text there."""
    return None if value is None else str(value)


def load_sakila(dialect: str) -> str:
    """A fresh Sakila database (47,273 rows) for the dialect; returns its URL."""
    if dialect == "sqlite":
        url = _copy_sqlite(SAKILA_SQLITE, "sakila")
    else:
        url = create_database(dialect, database_name("sakila"))
        _build_sakila(dialect, url)
    check_counts(url, SAKILA_ROWS, f"sakila on {dialect}")
    return url


def _build_sakila(dialect: str, url: str) -> None:
    """Tables first, then rows, then foreign keys (store and staff refer to each other), then views."""
    source_engine, source = _sakila_source()
    target_engine = create_engine(url, poolclass=NullPool)
    target = MetaData()
    try:
        with source_engine.connect() as source_conn, target_engine.begin() as conn:
            inspector = inspect(source_conn)
            pairs = [(table, _copy_table_shape(table, target, inspector)) for table in _by_name(source)]
            target.create_all(conn)
            for table, copy in pairs:
                for batch in _rows(source_conn, table):
                    conn.execute(copy.insert(), batch)
            if dialect == "mariadb":  # the rows were checked by SQLite; skip the table copy per ALTER
                conn.execute(text("SET FOREIGN_KEY_CHECKS = 0"))
            for table, copy in pairs:
                for constraint in _foreign_keys(table, copy, inspector):
                    conn.execute(AddConstraint(constraint))
            if dialect == "mariadb":
                conn.execute(text("SET FOREIGN_KEY_CHECKS = 1"))
            if dialect == "postgresql":
                _reset_sequences(conn, [copy for _, copy in pairs])
            for name, body in SAKILA_VIEWS.items():
                conn.execute(text(f"CREATE VIEW {name} AS {body}"))
    finally:
        source_engine.dispose()
        target_engine.dispose()


def _by_name(metadata: MetaData) -> list[Table]:
    return sorted(metadata.tables.values(), key=lambda table: table.name)


def _reset_sequences(conn: Any, tables: list[Table]) -> None:
    """Serial keys continue after the copied rows."""
    for table in tables:
        keys = list(table.primary_key.columns)
        if len(keys) == 1 and keys[0].autoincrement is True:
            conn.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', '{keys[0].name}'), "
                f"(SELECT MAX({keys[0].name}) FROM {table.name}))"
            ))


# -- the hard schema ----------------------------------------------------------------------------------


def load_hard(dialect: str) -> str:
    """Our hard schema (tests/fixtures/hard/<dialect>.sql) with its rows; returns its URL."""
    script = HARD_SCRIPTS[dialect].read_text(encoding="utf-8")
    if dialect == "sqlite":
        url = _sqlite_url(_sqlite_path("hard"))
    else:
        url = create_database(dialect, database_name("hard"))
    run_script(dialect, url, script)
    empty = [name for name, rows in table_counts(url).items() if rows == 0]
    if empty:
        raise LoadError(f"hard schema on {dialect}: tables without rows: {empty}")
    return url


def hostile_schemas(dialect: str, url: str) -> list[str]:
    """The schemas to reflect of the hostile database at `url` (none on SQLite: one file, one schema)."""
    if dialect == "sqlite":
        return []
    if dialect == "postgresql":
        return ["public", *HOSTILE_SCHEMAS, "item"]
    own = make_url(url).database or ""
    return [own, *(_hostile_database(schema) for schema in HOSTILE_SCHEMAS)]


def _hostile_database(schema: str) -> str:
    return f"cg_hostile{schema}_{os.getpid()}"


def load_hostile(dialect: str) -> str:
    """The hostile schema (tests/fixtures/hostile/<dialect>.sql) with its rows, in several schemas."""
    script = (HOSTILE_DIR / f"{dialect}.sql").read_text(encoding="utf-8")
    if dialect == "sqlite":
        url = _sqlite_url(_sqlite_path("hostile"))
    else:
        url = create_database(dialect, database_name("hostile"))
    if dialect == "mariadb":
        for schema in HOSTILE_SCHEMAS:
            create_database(dialect, _hostile_database(schema))
            script = script.replace("{" + schema + "}", _hostile_database(schema))
    run_script(dialect, url, script)
    return url


# -- the large schema ----------------------------------------------------------------------------------

LARGE_SCRIPT = Path(__file__).parent / "fixtures" / "large" / "postgresql.sql"
_SCHEMA_STATEMENT = re.compile(r'^CREATE SCHEMA "((?:[^"]|"")+)";$', re.MULTILINE)
# Rows of every table, view and materialized view of the given schemas, in one query.
_RELATION_ROWS = (
    "SELECT n.nspname, c.relname, (xpath('/row/c/text()', query_to_xml(format("
    "'SELECT count(*) AS c FROM %I.%I', n.nspname, c.relname), false, true, '')))[1]::text::int"
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind IN ('r', 'v', 'm') AND n.nspname = ANY(:schemas) ORDER BY 1, 2"
)


def large_schemas() -> list[str]:
    """The schemas to reflect of the large database: public and those its script creates."""
    script = LARGE_SCRIPT.read_text(encoding="utf-8")
    return ["public", *(name.replace('""', '"') for name in _SCHEMA_STATEMENT.findall(script))]


def relation_rows(url: str, schemas: list[str]) -> dict[str, int]:
    """Rows per `schema.name` of every table, view and materialized view of `schemas` (PostgreSQL)."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(_RELATION_ROWS), {"schemas": schemas}).all()
    finally:
        engine.dispose()
    return {f"{schema}.{name}": int(count) for schema, name, count in rows}


def load_large(dialect: str) -> str:
    """The large schema (tests/fixtures/large/postgresql.sql, 8 schemas, 400+ tables), rows in each."""
    if dialect != "postgresql":
        raise LoadError(f"the large schema is PostgreSQL only (tests/fixtures/large/postgresql.sql); "
                        f"there is none for {dialect}")
    url = create_database(dialect, database_name("large"))
    run_script(dialect, url, LARGE_SCRIPT.read_text(encoding="utf-8"))
    empty = [name for name, rows in relation_rows(url, large_schemas()).items() if rows == 0]
    if empty:
        raise LoadError(f"large schema: tables or views without rows: {empty}")
    return url


def load_empty(dialect: str) -> str:
    """A database (or SQLite file) with no tables at all."""
    if dialect == "sqlite":
        path = _sqlite_path("empty")
        sqlite3.connect(path).close()
        return _sqlite_url(path)
    return create_database(dialect, database_name("empty"))


LOADERS: dict[str, Callable[[str], str]] = {
    "chinook": load_chinook,
    "sakila": load_sakila,
    "hard": load_hard,
    "hostile": load_hostile,
    "large": load_large,
    "empty": load_empty,
}
