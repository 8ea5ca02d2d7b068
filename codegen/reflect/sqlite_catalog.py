"""SQLite's catalog read in a few statements, and the facts SQLAlchemy's SQLite reflection loses.

SQLAlchemy's SQLite dialect reflects one table at a time: a `PRAGMA` per table and per kind of
fact, one per index, and a `SELECT sql FROM sqlite_master` per table and fact (about 4,200
statements for 300 tables, most of the reflection time). `read_catalog` reads the same rows in
bulk through SQLite's table-valued PRAGMA functions (`pragma_table_xinfo`, `pragma_foreign_key_list`,
`pragma_index_list`, `pragma_index_info`, each joined with `sqlite_master`: one statement per
kind). `replay_connection` then hands those rows to the dialect's own reflection methods in place
of the statements they would run, so the result is the dialect's, computed by its own code: only
where the rows come from changes. A statement the catalog does not hold (another SQLAlchemy
version's wording, a name spelled in another case, a temporary table) runs on the database as
before.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from codegen.reflect.types import TypeInfo
from codegen.spec.model import LogicalType

if TYPE_CHECKING:
    from codegen.reflect.database import TableInfo

# Per table (and view): the PRAGMAs the dialect and `recover_sqlite_facts` read.
_TABLE_PRAGMAS = ("table_xinfo", "table_info", "foreign_key_list", "index_list")
# `_get_table_sql` of SQLAlchemy's SQLite dialect (2.x), without and with a schema; its result is the
# object's `sql` in sqlite_master (the temp schema comes second in the UNION, and is checked empty).
_TABLE_SQL = (
    "SELECT sql FROM  (SELECT * FROM {schema}sqlite_master UNION ALL"
    "   SELECT * FROM {schema}sqlite_temp_master) WHERE name = ? AND type in ('table', 'view')",
    "SELECT sql FROM {schema}sqlite_master WHERE name = ? AND type in ('table', 'view')",
)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class SqliteCatalog:
    """The rows of every per-table PRAGMA of one schema, keyed by the statement that returns them."""

    schema: str | None
    replies: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    table_sql: dict[str, str | None] = field(default_factory=dict)
    sql_statements: frozenset[str] = frozenset()
    temp_empty: bool = False
    master: list[tuple[Any, ...]] = field(default_factory=list)  # every row: type, name, tbl_name, sql
    prefix: str = "PRAGMA main."
    quote: Callable[[str], str] = _quote

    def reply(self, statement: str, parameters: Any) -> list[tuple[Any, ...]] | None:
        """The rows `statement` returns, or None when the catalog does not know them."""
        if not parameters:
            rows = self.replies.get(statement)
            if rows is None and self.temp_empty and statement.startswith("PRAGMA temp."):
                pragma = statement[len("PRAGMA temp.") :].split("(", 1)[0]
                if pragma in _TABLE_PRAGMAS or pragma == "index_info":
                    return []  # nothing lives in the temp schema
            return rows
        one = isinstance(parameters, (tuple, list)) and len(parameters) == 1
        if statement in self.sql_statements and one:
            name = parameters[0]
            if isinstance(name, str) and name in self.table_sql:
                return [(self.table_sql[name],)]
        return None

    def rows(self, pragma: str, name: str) -> list[tuple[Any, ...]] | None:
        """What the unqualified `PRAGMA pragma("name")` returns, when the catalog knows it.

        Unqualified, SQLite looks in temp, then main: the same rows as main's when temp is empty.
        """
        if self.schema is not None or not self.temp_empty:
            return None
        return self.replies.get(f"{self.prefix}{pragma}({self.quote(name)})")


def read_catalog(conn: Connection, schema: str | None) -> SqliteCatalog | None:
    """Every per-table PRAGMA row of `schema` (None: main), one statement per PRAGMA; None if unavailable."""
    if sqlite3.sqlite_version_info < (3, 16):  # the table-valued PRAGMA functions
        return None
    quote = conn.dialect.identifier_preparer.quote_identifier  # as the dialect quotes its statements
    prefix = f"PRAGMA {quote(schema)}." if schema is not None else "PRAGMA main."
    schema_expr = f"{quote(schema)}." if schema is not None else ""
    master = f"{schema_expr or 'main.'}sqlite_master"
    arg = (schema if schema is not None else "main",)
    catalog = SqliteCatalog(schema, prefix=prefix, quote=quote)
    try:
        catalog.temp_empty = not conn.exec_driver_sql("SELECT count(*) FROM sqlite_temp_master").scalar()
        catalog.master = [tuple(row) for row in conn.exec_driver_sql(
            f"SELECT type, name, tbl_name, sql FROM {master}").all()]
        objects = [(name, kind, sql) for kind, name, _, sql in catalog.master if kind in ("table", "view")]
        names = [str(row[0]) for row in objects]
        for pragma in _TABLE_PRAGMAS:
            try:
                rows = conn.exec_driver_sql(
                    f"SELECT m.name, p.* FROM {master} AS m, pragma_{pragma}(m.name, ?) AS p"
                    " WHERE m.type IN ('table', 'view')",
                    arg,
                ).all()
            except DBAPIError:
                continue  # e.g. table_xinfo before SQLite 3.26: those statements run one by one
            grouped = _grouped(rows)
            for name in names:
                catalog.replies[f"{prefix}{pragma}({quote(name)})"] = grouped.get(name, [])
        index_rows = conn.exec_driver_sql(
            f"SELECT il.name, p.* FROM {master} AS m, pragma_index_list(m.name, ?) AS il,"
            " pragma_index_info(il.name, ?) AS p WHERE m.type IN ('table', 'view')",
            arg + arg,
        ).all()
    except DBAPIError:
        return None  # a view that no longer compiles, a module not loaded: the dialect reports it its way
    for index, info in _grouped(index_rows).items():
        catalog.replies[f"{prefix}index_info({quote(index)})"] = info
    for row in objects:
        catalog.table_sql.setdefault(str(row[0]), row[2])
    if schema is None and not catalog.temp_empty:
        catalog.table_sql.clear()  # the UNION with temp could answer otherwise: ask the database
    catalog.sql_statements = frozenset(template.format(schema=schema_expr) for template in _TABLE_SQL)
    return catalog


def _grouped(rows: Sequence[Any]) -> dict[str, list[tuple[Any, ...]]]:
    """Rows `(object name, pragma columns...)` by object name, in the order SQLite returned them."""
    grouped: dict[str, list[tuple[Any, ...]]] = {}
    for row in rows:
        values = tuple(row)
        grouped.setdefault(str(values[0]), []).append(values[1:])
    return grouped


class _Result:
    """The part of a cursor result the dialect's reflection methods read."""

    _soft_closed = False

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self._rows = rows

    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self._rows)

    all = fetchall

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(list(self._rows))


class _ReplayConnection(Connection):
    """A Connection whose catalog statements are answered from a `SqliteCatalog`; the rest runs for real.

    A subclass only so that the dialect's `isinstance(connection, Connection)` checks pass; it never
    opens anything itself, and every other attribute is the real connection's.
    """

    def __init__(self, real: Connection, catalog: SqliteCatalog) -> None:  # noqa: D107 - no super(): a view
        self._replay_real = real
        self._replay_catalog = catalog

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["_replay_real"], name)

    # Connection's own methods would run on this object: hand them to the real connection.
    def execute(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return self._replay_real.execute(*args, **kwargs)

    def scalar(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return self._replay_real.scalar(*args, **kwargs)

    def scalars(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return self._replay_real.scalars(*args, **kwargs)

    def exec_driver_sql(self, statement: str, parameters: Any = None, execution_options: Any = None) -> Any:
        rows = self._replay_catalog.reply(statement, parameters)
        if rows is None:
            return self._replay_real.exec_driver_sql(statement, parameters, execution_options)
        return _Result(rows)


def replay_connection(conn: Connection, catalog: SqliteCatalog) -> Connection:
    """`conn` for the dialect's reflection methods, with the catalog's rows in place of their PRAGMAs."""
    return _ReplayConnection(conn, catalog)


# -- reflected tables kept between runs --------------------------------------------------------------------

_TABLE_MEMO = "sqlite-table-1"


class TableMemo:
    """Reflected tables of the main schema kept in codegen's cache, each under the catalog rows it is read from.

    A table's key holds its rows in `sqlite_master` (the table, its indexes and triggers), every PRAGMA row
    of it and of its indexes, and the definition and columns of each table its foreign keys name (the
    dialect reads a referred table's key when a foreign key names no columns), with the SQLite version,
    codegen's code and SQLAlchemy's installed copy: the same key is the same `TableInfo`, after
    `recover_sqlite_facts`. So only the tables whose rows changed since a reflection are reflected again.
    """

    def __init__(self, conn: Connection, catalog: SqliteCatalog) -> None:
        self.conn, self.catalog = conn, catalog
        self.code = _reflection_code(fresh=False)
        self.keys: dict[str, str] = {}
        self.fresh: list[TableInfo] = []
        self.reused: set[int] = set()
        self.rows_of: dict[str, list[tuple[Any, ...]]] = {}  # sqlite_master rows by tbl_name
        self.objects: dict[str, list[tuple[Any, ...]]] = {}  # tables and views by lower-case name
        for row in catalog.master:
            self.rows_of.setdefault(row[2], []).append(row)
            if row[0] in ("table", "view"):
                self.objects.setdefault(str(row[1]).lower(), []).append(row)

    def _key(self, name: str, kind: str) -> str:
        import hashlib

        catalog, quote = self.catalog, self.catalog.quote
        reply = catalog.replies.get
        own = self.rows_of.get(name, [])
        pragmas = [reply(f"{catalog.prefix}{pragma}({quote(name)})") for pragma in _TABLE_PRAGMAS]
        indexes = [reply(f"{catalog.prefix}index_info({quote(str(row[1]))})") for row in pragmas[3] or []]
        referred = sorted({str(row[2]).lower() for row in pragmas[2] or []})
        targets = [(row, reply(f"{catalog.prefix}table_info({quote(str(row[1]))})"))
                   for target in referred for row in self.objects.get(target, [])]
        text = repr((_TABLE_MEMO, self.code, sqlite3.sqlite_version, name, kind, own, pragmas, indexes, targets))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def load(self, kinds: dict[str, str], names: list[str]) -> dict[str, TableInfo]:
        """The tables of `names` whose rows are unchanged since they were kept."""
        from codegen import cache

        self.keys = {name: self._key(name, kinds[name]) for name in names}
        found = cache.memo_load(_TABLE_MEMO, self.keys.values())
        tables = {}
        with cache.collector_paused():  # thousands of new, long-lived objects: nothing to collect
            for name, key in self.keys.items():
                table = _table_from_bytes(found.get(key))
                if table is not None and table.name == name:
                    tables[name] = table
                    self.reused.add(id(table))
        return tables

    def keep(self, tables: list[TableInfo]) -> None:
        """Note the tables reflected anew (stored by `store`, once `recover_sqlite_facts` completed them)."""
        self.fresh.extend(table for table in tables if id(table) not in self.reused)

    def store(self) -> None:
        """Keep the new tables, unless the schema or codegen's code changed while they were read."""
        from codegen import cache

        if not self.fresh or _reflection_code(fresh=True) != self.code:
            return
        master = self.catalog.prefix[len("PRAGMA "):] + "sqlite_master"
        try:
            now = [tuple(row) for row in self.conn.exec_driver_sql(
                f"SELECT type, name, tbl_name, sql FROM {master}").all()]
        except DBAPIError:
            return
        if now != self.catalog.master:
            return
        values = {}
        for table in self.fresh:
            data = _table_to_bytes(table)
            if data is not None and table.name in self.keys:
                values[self.keys[table.name]] = data
        cache.memo_store(_TABLE_MEMO, values)


def _reflection_code(fresh: bool) -> str:
    from codegen import cache

    return cache.code_digest(templates=False, libraries=("sqlalchemy",), fresh=fresh)


def _table_to_bytes(table: TableInfo) -> bytes | None:
    import marshal
    from dataclasses import asdict

    data = asdict(table)
    for column in data["columns"]:
        kind = column["type"]
        kind["type"] = kind["type"].value
        kind["item_type"] = kind["item_type"].value if kind["item_type"] is not None else None
    try:
        return marshal.dumps(data)
    except ValueError:
        return None


def _table_from_bytes(data: Any) -> TableInfo | None:
    import marshal

    from codegen.reflect.database import ColumnInfo, ForeignKeyInfo, TableInfo

    if not isinstance(data, bytes):
        return None
    try:
        raw = marshal.loads(data)
        columns = []
        for column in raw.pop("columns"):
            kind = column.pop("type")
            kind["type"] = LogicalType(kind["type"])
            kind["item_type"] = LogicalType(kind["item_type"]) if kind["item_type"] is not None else None
            columns.append(ColumnInfo(type=TypeInfo(**kind), **column))
        fks = [ForeignKeyInfo(**fk) for fk in raw.pop("foreign_keys")]
        return TableInfo(columns=columns, foreign_keys=fks, **raw)
    except (EOFError, ValueError, TypeError, KeyError, AttributeError):
        return None


# -- facts SQLAlchemy loses ------------------------------------------------------------------------------

Pragma = Callable[[str, str], list[tuple[Any, ...]]]


def _pragma_reader(conn: Connection, catalog: SqliteCatalog | None) -> Pragma:
    """`rows(pragma, name)`: the unqualified PRAGMA's rows, from the catalog when it holds them."""

    def rows(pragma: str, name: str) -> list[tuple[Any, ...]]:
        known = catalog.rows(pragma, name) if catalog is not None else None
        if known is not None:
            return known
        return [tuple(row) for row in conn.execute(text(f"PRAGMA {pragma}({_quote(name)})")).all()]

    return rows


def _recover_on_delete(rows: Pragma, table: TableInfo) -> None:
    """`ON DELETE` written on a column (`x INT REFERENCES t ON DELETE CASCADE`)."""
    actions: dict[tuple[str, tuple[str, ...]], str] = {}
    grouped: dict[int, list[tuple[str, str, str]]] = {}
    # foreign_key_list: id, seq, table, from, to, on_update, on_delete, match
    for row in rows("foreign_key_list", table.name):
        grouped.setdefault(row[0], []).append((row[2], row[3], row[6]))
    for entries in grouped.values():
        target = entries[0][0]
        cols = tuple(entry[1] for entry in entries)
        if entries[0][2] and entries[0][2].upper() != "NO ACTION":
            actions[(target, cols)] = entries[0][2].upper()
    for fk in table.foreign_keys:
        action = actions.get((fk.target_table, tuple(fk.columns)))
        if action and not fk.on_delete:
            fk.on_delete = action


def _recover_uniques(rows: Pragma, table: TableInfo) -> None:
    """Inline `UNIQUE` (origin 'u') and unique indexes the inspector missed."""
    known = {tuple(cols) for _, cols in table.unique_keys}
    pk = tuple(table.primary_key)
    # index_list: seq, name, unique, origin, partial; index_info: seqno, cid, name
    for row in rows("index_list", table.name):
        if not row[2] or row[3] == "pk" or (len(row) > 4 and row[4]):
            continue  # not unique, the key itself, or partial (`WHERE ...`: it keys only some rows)
        info = rows("index_info", row[1])
        cols = tuple(str(entry[2]) for entry in sorted(info, key=lambda e: e[0]) if entry[2])
        if cols and cols not in known and cols != pk:
            known.add(cols)
            name = None if row[1].startswith("sqlite_autoindex_") else str(row[1])
            table.unique_keys.append((name, list(cols)))


def _recover_rowid_alias(table: TableInfo) -> None:
    """A single `INTEGER PRIMARY KEY` column is SQLite's rowid: the database fills it."""
    if len(table.primary_key) != 1:
        return
    for column in table.columns:
        if column.name == table.primary_key[0] and column.type.db_type.upper() == "INTEGER":
            column.autoincrement = True


_UUID_NAMES = frozenset({"UUID", "GUID", "UNIQUEIDENTIFIER"})


def _declared_type(declared: str) -> TypeInfo | None:
    """The type of a declared name SQLAlchemy does not know: uuid, datetime, unknown, or None (a number)."""
    base = declared.upper()
    if any(word in base for word in ("DEC", "NUM", "MONEY")):
        return None
    if base in _UUID_NAMES:
        return TypeInfo(LogicalType.UUID, declared)
    if base.startswith(("TIMESTAMP", "DATETIME")):
        return TypeInfo(LogicalType.DATETIME, declared, timezone="TIME ZONE" in base or base.endswith("TZ"))
    return TypeInfo(LogicalType.UNKNOWN, declared, exact=False)


# A declared name whose SQLite affinity matches what its words say: an integer word (`BIGINT`, `INT8`),
# a text word (`VARCHAR`, `BLOB SUB_TYPE TEXT`), a real or a blob one. `POINT`, `INTERVAL` and
# `INT4RANGE` hold `INT` (integer affinity) but name no integer.
_INTEGER_WORD = re.compile(r"^(?:TINY|SMALL|MEDIUM|BIG)?INT(?:EGER)?\d*$")
_OTHER_WORDS = re.compile(r"CHAR|CLOB|TEXT|STRING|^REAL|^FLOA|^DOUB|^BLOB|BINARY$")


def _named_as_its_affinity(declared: str) -> bool:
    words = re.findall(r"[A-Z0-9_]+", declared.upper())
    return any(_INTEGER_WORD.match(word) or _OTHER_WORDS.search(word) for word in words)


def _recover_declared_types(rows: Pragma, known: set[str], table: TableInfo) -> None:
    """A declared type SQLAlchemy does not know it reads by affinity: `UUID` or `GEOMETRY` as NUMERIC,
    i.e. decimal, `POINT` or `INTERVAL` as INTEGER (both hold `INT`). Such columns hold whatever was
    written, mostly text: they are read as what their name says, else as unknown (served as text)."""
    # table_info: cid, name, type, notnull, dflt_value, pk
    declared = {str(row[1]): str(row[2]) for row in rows("table_info", table.name)}
    for column in table.columns:
        match = re.match(r"[\w ]+", declared.get(column.name, ""))
        base = match[0].strip() if match else ""
        if not base or base.upper() in known:
            continue
        if column.type.type is LogicalType.DECIMAL:
            column.type = _declared_type(base) or column.type
        elif not _named_as_its_affinity(base) and column.type.type is not LogicalType.UNKNOWN:
            column.type = _declared_type(base) or TypeInfo(LogicalType.UNKNOWN, base, exact=False)


def recover_sqlite_facts(
    conn: Connection, tables: list[TableInfo], catalog: SqliteCatalog | None = None
) -> None:
    """Fill in declared types, ON DELETE actions, inline UNIQUEs and rowid keys for every SQLite table.

    With the catalog of the main schema, its rows stand in for the PRAGMAs of main's tables.
    """
    rows = _pragma_reader(conn, catalog)
    plain = _pragma_reader(conn, None)
    known = set(conn.dialect.ischema_names)  # type: ignore[attr-defined]
    for table in tables:
        read = rows if table.schema is None else plain
        _recover_declared_types(read, known, table)
        if table.kind != "table":
            continue
        _recover_on_delete(read, table)
        _recover_uniques(read, table)
        _recover_rowid_alias(table)

