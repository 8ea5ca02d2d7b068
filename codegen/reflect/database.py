"""Read a live database through SQLAlchemy's batched inspector into typed source objects."""

from __future__ import annotations

import fnmatch
import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL, Connection, Engine, Inspector, make_url
from sqlalchemy.engine.reflection import ObjectKind, ObjectScope
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SAWarning, SQLAlchemyError
from sqlalchemy.types import TypeEngine

from codegen.errors import SourceError
from codegen.reflect.mariadb_catalog import mariadb_column_checks
from codegen.reflect.types import TypeInfo, map_type, parse_check_enum, parse_json_check, sqlite_affinity
from codegen.spec.model import LogicalType

if TYPE_CHECKING:
    from codegen.reflect.sqlite_catalog import TableMemo

SECRET_QUERY_KEYS = frozenset({"password", "passwd", "pwd", "secret", "token", "sslpassword", "sslkey"})

# The pip requirement that brings a DBAPI module SQLAlchemy asks for; codegen itself depends on the first
# two (postgresql+psycopg, mysql+pymysql), so that a plain install reads those URLs.
DRIVER_PACKAGES = {
    "psycopg": "psycopg[binary]",
    "pymysql": "pymysql",
    "psycopg2": "psycopg2-binary",
    "MySQLdb": "mysqlclient",
    "mysql": "mysql-connector-python",
    "mariadb": "mariadb",
    "asyncpg": "asyncpg",
    "pg8000": "pg8000",
    "pyodbc": "pyodbc",
    "pymssql": "pymssql",
    "oracledb": "oracledb",
    "cx_Oracle": "cx_Oracle",
}

# A URL without a driver gets the one codegen brings (SQLAlchemy's default, psycopg2 or mysqlclient, is
# not installed with it).
BUNDLED_DRIVERS = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg",
                   "mysql": "mysql+pymysql", "mariadb": "mysql+pymysql"}

# `user:password@` in a URL that does not parse, to be masked in the error message.
_PASSWORD_IN_TEXT = re.compile(r"(://[^:/@]*:)[^@]*@")

Progress = Callable[[str], None]


@dataclass
class ColumnInfo:
    """One reflected column."""

    name: str
    type: TypeInfo
    nullable: bool
    default: str | None = None
    autoincrement: bool = False
    identity: bool = False
    comment: str | None = None
    sample: str | None = None  # a sample expression the table's CHECKs accept (reflect/samples.py)
    generated_always: bool = False


@dataclass
class ForeignKeyInfo:
    """One reflected foreign key."""

    name: str | None
    columns: list[str]
    target_schema: str | None
    target_table: str
    target_columns: list[str]
    on_delete: str | None = None


@dataclass
class TableInfo:
    """One reflected table or view, before naming and relationships."""

    schema: str | None
    name: str
    kind: str
    columns: list[ColumnInfo]
    primary_key: list[str] = field(default_factory=list)
    foreign_keys: list[ForeignKeyInfo] = field(default_factory=list)
    unique_keys: list[tuple[str | None, list[str]]] = field(default_factory=list)
    indexes: list[tuple[str | None, list[str]]] = field(default_factory=list)
    comment: str | None = None
    notes: list[str] = field(default_factory=list)
    checks: list[tuple[str | None, str]] = field(default_factory=list)  # (name, SQL) of each CHECK
    definition: str | None = None  # a view's SELECT, as the database gives it
    sample_blocker: str | None = None  # why no sample row satisfies the CHECKs (reflect/samples.py)


@dataclass
class DatabaseInfo:
    """Everything reflected from one database."""

    url: str
    dialect: str
    database: str | None
    schemas: list[str]
    tables: list[TableInfo]


def redact_url(url: URL) -> str:
    """The URL as text with its password and secret query parameters removed."""
    secrets = [key for key in url.query if key.lower() in SECRET_QUERY_KEYS]
    clean = url.difference_update_query(secrets)._replace(password=None)
    return clean.render_as_string(hide_password=False)


def connect(url_text: str) -> tuple[Engine, URL]:
    """An engine for the URL, failing with one clear line on a bad URL or a missing driver."""
    try:
        url = make_url(url_text)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        shown = _PASSWORD_IN_TEXT.sub(r"\1***@", url_text)
        raise SourceError(f"{shown!r} is not a database URL (dialect+driver://user@host/db)") from None
    _check_sqlite_file(url)
    url = url.set(drivername=BUNDLED_DRIVERS.get(url.drivername, url.drivername))
    try:
        engine = create_engine(url)
    except NoSuchModuleError:
        raise SourceError(f"{redact_url(url)}: no SQLAlchemy dialect {url.drivername!r}") from None
    except ImportError as exc:
        module = (exc.name or "").split(".")[0]
        package = DRIVER_PACKAGES.get(module, module)
        raise SourceError(
            f"{redact_url(url)}: database driver {module!r} not installed; install it with: "
            f"pip install {package!r}"
        ) from None
    return engine, url


def _check_sqlite_file(url: URL) -> None:
    """SQLite creates a missing database file on connect; reading a schema must not leave one behind."""
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in ("", ":memory:") or database.startswith("file:"):
        return
    if not Path(database).is_file():
        raise SourceError(f"{redact_url(url)}: no such database file")


def _short_reason(exc: DBAPIError) -> str:
    lines = str(exc.orig).strip().splitlines() or [type(exc.orig).__name__]
    return lines[0].strip()


def _matches(name: str, schema: str | None, patterns: Iterable[str]) -> bool:
    qualified = f"{schema}.{name}" if schema else name
    return any(fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(qualified, p) for p in patterns)


def _selected(names: Iterable[str], schema: str | None, include: list[str], exclude: list[str]) -> list[str]:
    return sorted(
        name
        for name in names
        if (not include or _matches(name, schema, include)) and not _matches(name, schema, exclude)
    )


def _safe(call: Callable[[], dict[Any, Any]]) -> dict[Any, Any]:
    """A batched inspector call, or nothing where the dialect does not implement it."""
    try:
        return call()
    except NotImplementedError:
        return {}


# PostgreSQL's partitions (of a declaratively partitioned table, at any depth) with their parent: the
# parent is the table a client reads and writes, its partitions are where the database keeps the rows.
_PARTITIONS = (
    "SELECT c.relname, p.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " JOIN pg_inherits i ON i.inhrelid = c.oid JOIN pg_class p ON p.oid = i.inhparent"
    " WHERE c.relispartition AND n.nspname = :schema"
)


def partitions(conn: Any, schema: str | None) -> dict[str, str]:
    """{partition: the partitioned table it belongs to} of a PostgreSQL schema (nothing elsewhere)."""
    if conn.dialect.name != "postgresql":
        return {}
    rows = conn.execute(text(_PARTITIONS), {"schema": schema or conn.dialect.default_schema_name}).all()
    parents = {str(name): str(parent) for name, parent in rows}
    roots: dict[str, str] = {}
    for name, parent in parents.items():
        while parent in parents:  # a partition that is partitioned itself: its rows are the root's
            parent = parents[parent]
        roots[name] = parent
    return roots


def _object_names(inspector: Inspector, schema: str | None, parts: dict[str, str]) -> dict[str, str]:
    """{name: kind} of the tables, views and materialized views of a schema; the partitions `parts` left
    out (their partitioned table serves their rows)."""
    kinds: dict[str, str] = {
        name: "table" for name in inspector.get_table_names(schema=schema) if name not in parts
    }
    kinds.update({name: "view" for name in inspector.get_view_names(schema=schema)})
    try:
        materialized = inspector.get_materialized_view_names(schema=schema)
    except NotImplementedError:  # the dialect has no materialized views
        materialized = []
    kinds.update({name: "materialized_view" for name in materialized})
    return kinds


def _mapped_type(column_type: Any, dialect: Any, memo: dict[Any, TypeInfo] | None) -> TypeInfo:
    """`map_type`, once per distinct type of a reflection: a 300-table schema has a few dozen.

    Two types of the same class with the same attributes map alike (map_type reads nothing else).
    """
    if memo is None:
        return map_type(column_type, dialect)
    try:
        key = (type(column_type), tuple(sorted((k, type(v), v) for k, v in vars(column_type).items())))
        hash(key)
    except TypeError:  # an attribute that is a list (enum values) or a dict: no memo
        return map_type(column_type, dialect)
    if key not in memo:
        memo[key] = map_type(column_type, dialect)
    return memo[key]


def _column_info(raw: dict[str, Any], dialect: Any, dialect_name: str,
                 memo: dict[Any, TypeInfo] | None = None) -> ColumnInfo:
    info = _mapped_type(raw["type"], dialect, memo)
    if info.type is LogicalType.UNKNOWN and dialect_name == "sqlite":
        declared = info.db_type if info.db_type != "NullType" else ""
        affinity = sqlite_affinity(declared)
        info = TypeInfo(affinity, declared or "(none)", exact=affinity is not LogicalType.UNKNOWN)
    default = raw.get("default")
    default = None if default is None or str(default).strip().upper() == "NULL" else str(default)
    identity = bool(raw.get("identity"))
    autoincrement = raw.get("autoincrement") is True or identity
    # GENERATED ALWAYS (an identity or a computed column): the database refuses a value for it.
    always = bool((raw.get("identity") or {}).get("always")) or raw.get("computed") is not None
    if default and default.lower().startswith("nextval("):
        autoincrement, default = True, None
    return ColumnInfo(
        name=raw["name"],
        type=info,
        nullable=bool(raw.get("nullable", True)),
        default=default,
        autoincrement=autoincrement,
        identity=identity,
        comment=raw.get("comment") or None,
        generated_always=always,
    )


def _enum_checks(checks: list[dict[str, Any]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for check in checks:
        parsed = parse_check_enum(str(check.get("sqltext", "")))
        if parsed:
            found[parsed[0]] = parsed[1]
    return found


def _apply_enum_checks(columns: list[ColumnInfo], enums: dict[str, list[str]]) -> None:
    lowered = {name.lower(): values for name, values in enums.items()}
    for column in columns:
        values = lowered.get(column.name.lower())
        if values and column.type.type in (LogicalType.STRING, LogicalType.TEXT):
            column.type = TypeInfo(
                LogicalType.ENUM,
                column.type.db_type,
                length=column.type.length,
                enum_values=values,
            )


def _apply_column_checks(tables: list[TableInfo], checks: dict[tuple[str | None, str], list[str]]) -> None:
    """CHECKs the inspector did not see: enum lists, and `json_valid(col)` marking a JSON column."""
    for table in tables:
        texts = checks.get((table.schema, table.name), [])
        _apply_enum_checks(table.columns, _enum_checks([{"sqltext": sqltext} for sqltext in texts]))
        json_columns = {name.lower() for name in map(parse_json_check, texts) if name}
        known = {sql for _, sql in table.checks}
        table.checks += [(None, sql) for sql in texts if sql not in known and not parse_json_check(sql)]
        for column in table.columns:
            textual = column.type.type in (LogicalType.TEXT, LogicalType.STRING)
            if textual and column.name.lower() in json_columns:
                column.type = TypeInfo(LogicalType.JSON, column.type.db_type)


def _table_info(key: tuple[str | None, str], kind: str, batch: dict[str, dict[Any, Any]], dialect: Any,
                memo: dict[Any, TypeInfo] | None = None) -> TableInfo:
    schema, name = key
    dialect_name = dialect.name
    columns = [_column_info(raw, dialect, dialect_name, memo) for raw in batch["columns"].get(key, [])]
    if kind != "table":
        for column in columns:
            column.default = None  # MariaDB lends a view its base columns' defaults; a view takes no inserts
    _apply_enum_checks(columns, _enum_checks(batch["checks"].get(key, [])))
    pk = batch["pk"].get(key) or {}
    key_columns = list(pk.get("constrained_columns") or [])
    for column in columns:
        if column.name in key_columns:
            column.nullable = False  # a key column cannot hold NULL, whatever the DDL left unsaid
    fks = [
        ForeignKeyInfo(
            name=fk.get("name"),
            columns=list(fk["constrained_columns"]),
            target_schema=fk.get("referred_schema"),
            target_table=fk["referred_table"],
            target_columns=list(fk["referred_columns"]),
            on_delete=(fk.get("options") or {}).get("ondelete"),
        )
        for fk in batch["fks"].get(key, [])
        if fk.get("referred_table") and fk.get("constrained_columns")
    ]
    fks.sort(key=lambda fk: (fk.columns, fk.target_schema or "", fk.target_table))
    uniques = [(u.get("name"), list(u["column_names"])) for u in batch["uniques"].get(key, [])]
    indexes: list[tuple[str | None, list[str]]] = []
    for index in batch["indexes"].get(key, []):
        cols = [c for c in index.get("column_names", []) if c is not None]
        if not cols or len(cols) != len(index.get("column_names", [])):
            continue  # an expression index has no plain field list
        options = index.get("dialect_options") or {}
        partial = any(options.get(f"{name}_where") is not None for name in ("postgresql", "sqlite"))
        if index.get("unique") and partial:
            continue  # a partial unique index keys only some rows: no key of the table
        target = uniques if index.get("unique") else indexes
        target.append((index.get("name"), cols))
    comment = (batch["comments"].get(key) or {}).get("text")
    checks = [(c.get("name"), str(c["sqltext"])) for c in batch["checks"].get(key, []) if c.get("sqltext")]
    return TableInfo(
        schema=schema,
        name=name,
        kind=kind,
        columns=columns,
        primary_key=key_columns,
        foreign_keys=fks,
        unique_keys=_dedupe_keys(uniques),
        indexes=_dedupe_keys(indexes),
        comment=comment or None,
        checks=checks,
    )


def _dedupe_keys(keys: list[tuple[str | None, list[str]]]) -> list[tuple[str | None, list[str]]]:
    seen: set[tuple[str, ...]] = set()
    result = []
    for name, cols in sorted(keys, key=lambda item: (item[1], item[0] or "")):
        if tuple(cols) not in seen:
            seen.add(tuple(cols))
            result.append((name, cols))
    return result


_FACTS = {
    "columns": "columns",
    "pk": "pk_constraint",
    "fks": "foreign_keys",
    "uniques": "unique_constraints",
    "indexes": "indexes",
    "checks": "check_constraints",
    "comments": "table_comment",
}


def _batch(inspector: Inspector, args: dict[str, Any], conn: Connection | None) -> dict[str, dict[Any, Any]]:
    """One batched call per kind of fact: the inspector's `get_multi_*`, or with `conn` the dialect's own
    `get_multi_*` on that connection (the SQLite catalog replay), as the inspector calls them."""

    def multi(fact: str) -> dict[Any, Any]:
        if conn is None:
            return dict(getattr(inspector, f"get_multi_{fact}")(**args))
        found = getattr(inspector.dialect, f"get_multi_{fact}")(
            conn, scope=ObjectScope.DEFAULT, info_cache=inspector.info_cache, **args
        )
        return dict(found)

    batch = {"columns": multi("columns")}
    for table_columns in batch["columns"].values():  # what Inspector.get_multi_columns adds
        for column in table_columns:
            if not isinstance(column["type"], TypeEngine):
                column["type"] = column["type"]()
    for key, fact in _FACTS.items():
        if key != "columns":
            batch[key] = _safe(lambda fact=fact: multi(fact))  # type: ignore[misc]
    if inspector.dialect.name in ("mysql", "mariadb"):
        _unescape_mysql_names(batch)
    return batch


def _unescape_mysql_names(batch: dict[str, dict[Any, Any]]) -> None:
    """Column names as the database has them: SQLAlchemy's MySQL reflection reads them from SHOW CREATE
    TABLE but keeps a backtick in a name doubled (`` `price ``each``` `` gives ``price ``each````)."""

    def plain(name: Any) -> Any:
        return name.replace("``", "`") if isinstance(name, str) else name

    for columns in batch["columns"].values():
        for column in columns:
            column["name"] = plain(column["name"])
    for pk in batch["pk"].values():
        if pk:
            pk["constrained_columns"] = [plain(name) for name in pk.get("constrained_columns") or []]
    for fks in batch["fks"].values():
        for fk in fks:
            fk["constrained_columns"] = [plain(name) for name in fk.get("constrained_columns") or []]
            fk["referred_columns"] = [plain(name) for name in fk.get("referred_columns") or []]
            fk["referred_table"] = plain(fk.get("referred_table"))
    for fact in ("uniques", "indexes"):
        for entries in batch[fact].values():
            for entry in entries:
                entry["column_names"] = [plain(name) for name in entry.get("column_names") or []]


def _reflect_schema(
    inspector: Inspector,
    schema: str | None,
    include: list[str],
    exclude: list[str],
    dialect: Any,
    replay: Connection | None = None,
    memo: TableMemo | None = None,
) -> list[TableInfo]:
    parts = partitions(inspector.bind, schema)
    kinds = _object_names(inspector, schema, parts)
    names = _selected(kinds, schema, include, exclude)
    if not names:
        return []
    known = memo.load(kinds, names) if memo is not None else {}
    todo = [name for name in names if name not in known]
    batch: dict[str, dict[Any, Any]] = {}
    if todo:
        args: dict[str, Any] = {"schema": schema, "filter_names": todo, "kind": ObjectKind.ANY}
        batch = _batch(inspector, args, replay)
    default_schema = inspector.default_schema_name
    types: dict[Any, TypeInfo] = {}
    views = [name for name in todo if kinds[name] != "table"]
    definitions = view_definitions(inspector.bind, schema or default_schema, views) if views else {}
    tables = []
    for name in names:
        if name in known:
            tables.append(known[name])
            continue
        key_schema = None if schema in (None, default_schema) else schema
        key = (key_schema, name) if (key_schema, name) in batch["columns"] else (schema, name)
        table = _table_info(key, kinds[name], batch, dialect, types)
        table.schema = key_schema
        table.definition = definitions.get(name)
        table.notes += _partition_notes(name, parts)
        tables.append(table)
    if memo is not None:
        memo.keep(tables)
    return tables


def _partition_notes(name: str, parts: dict[str, str]) -> list[str]:
    """What a partitioned table's spec says of its partitions (not served themselves)."""
    own = sorted(part for part, parent in parts.items() if parent == name)
    if not own:
        return []
    return [f"partitioned table: its rows are served here, not per partition ({', '.join(own)})"]


# The database's own name of each column's type, for the types SQLAlchemy does not know (`xml`, `cube`,
# `geometry`): it reflects them as NullType, a name that says nothing.
_TYPE_NAMES = {
    "postgresql": "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a"
                  " JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
                  " WHERE n.nspname = :schema AND a.attnum > 0 AND NOT a.attisdropped",
    "mysql": "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS"
             " WHERE TABLE_SCHEMA = :schema",
}


_VIEW_DEFINITIONS = {
    "postgresql": "SELECT c.relname, pg_get_viewdef(c.oid, true) FROM pg_class c"
                  " JOIN pg_namespace n ON n.oid = c.relnamespace"
                  " WHERE n.nspname = :schema AND c.relkind IN ('v', 'm')",
    "mysql": "SELECT TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS WHERE TABLE_SCHEMA = :schema",
    "sqlite": "SELECT name, sql FROM {schema}sqlite_master WHERE type = 'view'",
}
# SQLite keeps the whole statement: the SELECT starts after `AS` (a column list in brackets: left out).
_SQLITE_VIEW = re.compile(r"^\s*CREATE\s+(?:TEMP\w*\s+)?VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?"
                          r"(?:\"(?:[^\"]|\"\")*\"|`[^`]*`|\[[^\]]*\]|[^\s(]+)\s+AS\s+(?P<select>.*)$",
                          re.IGNORECASE | re.DOTALL)


def view_definitions(conn: Any, schema: str | None, names: list[str]) -> dict[str, str]:
    """The SELECT of each view, as the database gives it (MariaDB's without the name of the database it
    connects to, which the tests' scratch database stands in for)."""
    dialect = conn.dialect.name
    query = _VIEW_DEFINITIONS.get(dialect)
    if query is None:
        return {}
    if dialect == "sqlite":
        prefix = "" if schema in (None, "main") else '"' + schema.replace('"', '""') + '".'
        rows = conn.execute(text(query.format(schema=prefix))).all()
    else:
        rows = conn.execute(text(query), {"schema": schema}).all()
    wanted, found = set(names), {}
    for name, sql in rows:
        if name not in wanted or not sql:
            continue
        if dialect == "sqlite":
            match = _SQLITE_VIEW.match(str(sql))
            if match is None:
                continue
            sql = match["select"]
        if dialect == "mysql" and schema == conn.dialect.default_schema_name:
            sql = str(sql).replace(f"`{schema}`.", "")  # its own database is the scratch database
        found[str(name)] = str(sql).strip().rstrip(";").strip()
    return found


def _name_unknown_types(conn: Connection, tables: list[TableInfo]) -> None:
    """Put the database's type name in `db_type` where SQLAlchemy knew none (one query per schema)."""
    query = _TYPE_NAMES.get(conn.dialect.name)
    unknown = [t for t in tables if any(c.type.db_type == "NullType" for c in t.columns)]
    if query is None or not unknown:
        return
    default = conn.dialect.default_schema_name
    for schema in sorted({t.schema or default or "" for t in unknown}):
        rows = conn.execute(text(query), {"schema": schema}).all()
        names = {(str(table), str(column)): str(kind) for table, column, kind in rows}
        for table in (t for t in unknown if (t.schema or default or "") == schema):
            for column in table.columns:
                if column.type.db_type == "NullType" and (table.name, column.name) in names:
                    column.type = replace(column.type, db_type=names[(table.name, column.name)])


def reflect_database(
    url_text: str,
    schemas: list[str] | None = None,
    include: list[str] | None = None,
    exclude: list[str] | None = None,
    progress: Progress | None = None,
) -> DatabaseInfo:
    """Reflect tables and views of the given schemas (default: the connection's own)."""
    engine, url = connect(url_text)
    redacted = redact_url(url)
    try:
        with engine.connect() as conn, warnings.catch_warnings():
            # an unknown type becomes a diagnostic in the spec; the warning would only be noise
            warnings.filterwarnings("ignore", message="Did not recognize type", category=SAWarning)
            return _reflect_connection(conn, url, redacted, schemas or [], include or [], exclude or [], progress)
    except DBAPIError as exc:
        raise SourceError(f"{redacted}: {_short_reason(exc)}") from None
    except SQLAlchemyError as exc:
        raise SourceError(f"{redacted}: {type(exc).__name__}: {str(exc).splitlines()[0]}") from None
    finally:
        engine.dispose()


def _reflect_connection(
    conn: Connection,
    url: URL,
    redacted: str,
    schemas: list[str],
    include: list[str],
    exclude: list[str],
    progress: Progress | None,
) -> DatabaseInfo:
    inspector = inspect(conn)
    dialect = conn.dialect
    tables: list[TableInfo] = []
    main_catalog = None
    memo = None
    for schema in schemas or [None]:
        if progress:
            progress(f"reflecting schema {schema or inspector.default_schema_name}")
        if schema is not None and schema not in inspector.get_schema_names():
            raise SourceError(f"{redacted}: no schema {schema!r}")
        replay = None
        schema_memo = None
        if dialect.name == "sqlite":
            from codegen.reflect.sqlite_catalog import TableMemo, read_catalog, replay_connection

            catalog = read_catalog(conn, schema)
            if catalog is not None:
                replay = replay_connection(conn, catalog)
                main_catalog = catalog if schema is None else main_catalog
                if schema is None and catalog.temp_empty:  # main's tables, each kept under its own rows
                    memo = schema_memo = TableMemo(conn, catalog)
        tables.extend(_reflect_schema(inspector, schema, include, exclude, dialect, replay, schema_memo))
    reused = memo.reused if memo is not None else set()
    fresh = [table for table in tables if id(table) not in reused]
    if dialect.name == "sqlite":
        from codegen.reflect.sqlite_catalog import recover_sqlite_facts

        recover_sqlite_facts(conn, fresh, main_catalog)
    if getattr(dialect, "is_mariadb", False):
        _apply_column_checks(tables, mariadb_column_checks(conn, tables))
    _name_unknown_types(conn, tables)
    if any(table.checks for table in fresh):
        from codegen.reflect.samples import choose_samples

        choose_samples(conn, fresh)
    if memo is not None:
        memo.store()
    if not tables:
        raise SourceError(f"{redacted}: no tables or views to reflect (check --schema/--include/--exclude)")
    return DatabaseInfo(
        url=redacted,
        dialect=dialect.name,
        database=url.database,
        schemas=[s for s in schemas],
        tables=tables,
    )
