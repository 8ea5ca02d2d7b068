"""Sample values the database itself accepts: for each column a CHECK constraint reads, a sample
expression (codegen/sample_values.py) whose values pass every CHECK of the table, asked of the database.

The generated tests create rows from these expressions; a table whose CHECKs no candidate satisfies gets
`sample_blocker`, and its tests that create rows skip, saying which CHECK. Candidates are tried in order:
the type's default, other shapes of values (letters, digits, bounded numbers, later dates), null for a
nullable column (a CHECK passes on NULL), and last the distinct values the column holds (never for
personal data or unique columns).
"""

from __future__ import annotations

import json
import re
from base64 import b64decode
from decimal import Decimal
from itertools import islice, product
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from codegen.reflect.database import ColumnInfo, TableInfo
from codegen.reflect.types import parse_check_enum, parse_json_check
from codegen.sample_values import (
    Shape,
    candidates,
    checked_columns,
    default_expr,
    evaluate,
    injective,
    pick_expr,
)
from codegen.spec.model import LogicalType

# The counters the generated tests reach (a session makes a few hundred rows; patches add 1000).
COUNTERS = (1, 2, 3, 7, 10, 25, 26, 99, 100, 101, 250, 500, 999, 1000, 1001, 1500)
DISTINCT = range(1, 1600)
MAX_COMBINATIONS = 512
REAL_VALUES = 20
_PERSONAL = re.compile(r"name|mail|phone|address|birth|ssn|passw|iban|card", re.IGNORECASE)


_DOMAIN = re.compile(r"^\S+ \(.+\)$")  # how reflect/types.py names a domain: `positive_int (INTEGER)`


def choose_samples(conn: Connection, tables: list[TableInfo]) -> None:
    """Set `sample` on the columns the CHECKs of each table read, or the table's `sample_blocker`."""
    for table in tables:
        checks = [(sql, sql) for _, sql in table.checks
                  if not (parse_check_enum(sql) or parse_json_check(sql))]
        if conn.dialect.name == "postgresql":  # a domain's own CHECKs run on the cast to it
            quote = conn.dialect.identifier_preparer.quote
            checks += [(f"the domain {c.type.db_type} of {c.name}", f"{quote(c.name)} IS NULL OR TRUE")
                       for c in table.columns if _DOMAIN.match(c.type.db_type)]
        if table.kind == "table" and checks:
            _Table(conn, table, checks).choose()


def check_columns(sql: str, columns: list[ColumnInfo]) -> list[ColumnInfo]:
    """The columns a CHECK's SQL names, in table order."""
    named = checked_columns(sql, [column.name for column in columns])
    return [column for column in columns if column.name in named]


class _Table:
    """The sample search of one table."""

    def __init__(self, conn: Connection, table: TableInfo, checks: list[tuple[str, str]]) -> None:
        self.conn = conn
        self.table = table
        self.checks = checks
        self.dialect = conn.dialect.name
        self.unique = {cols[0] for _, cols in table.unique_keys if len(cols) == 1} | (
            set(table.primary_key) if len(table.primary_key) == 1 else set())
        self.fixed = {c for fk in table.foreign_keys for c in fk.columns}
        self._types: dict[str, str] | None = None

    def writable(self, column: ColumnInfo) -> bool:
        generated = column.autoincrement or column.identity
        keyed = column.name in self.table.primary_key and len(self.table.primary_key) > 1
        return column.type.exact and column.name not in self.fixed and (keyed or not generated)

    def choose(self) -> None:
        for group, sqls in self.groups():
            chosen = self.search(group, sqls)
            if chosen is None:
                labels = "; ".join(label for label, sql in self.checks if sql in sqls)
                self.table.sample_blocker = f"no sample row satisfies its CHECK ({labels})"
                return
            for column, expr in zip(group, chosen, strict=True):
                column.sample = None if expr == default_expr(_shape(column)) else expr

    def groups(self) -> list[tuple[list[ColumnInfo], list[str]]]:
        """The writable columns of the CHECKs, in groups that share a CHECK, with their CHECKs."""
        groups: list[tuple[list[str], list[str]]] = []
        for _, sql in self.checks:
            names = [c.name for c in check_columns(sql, self.table.columns) if self.writable(c)]
            if not names:
                continue
            joined = [g for g in groups if set(g[0]) & set(names)]
            merged = list(dict.fromkeys([n for g in joined for n in g[0]] + names))
            groups = [g for g in groups if g not in joined]
            groups.append((merged, [s for g in joined for s in g[1]] + [sql]))
        by_name = {column.name: column for column in self.table.columns}
        return [([by_name[name] for name in names], sqls) for names, sqls in groups]

    def search(self, columns: list[ColumnInfo], sqls: list[str]) -> tuple[str, ...] | None:
        """The first combination of candidates whose values pass every CHECK, or None."""
        for extra in (False, True):
            options = [self.options(column, extra) for column in columns]
            if extra and options == [self.options(column, False) for column in columns]:
                return None
            for combination in islice(product(*options), MAX_COMBINATIONS):
                if self.accepted(columns, combination, sqls):
                    return combination
        return None

    def options(self, column: ColumnInfo, real: bool) -> list[str]:
        shape = _shape(column)
        found = candidates(shape) + (["None"] if column.nullable else [])
        if column.name in self.unique:
            found = [expr for expr in found if expr != "None" and injective(expr, DISTINCT)]
        if real and column.name not in self.unique and not _PERSONAL.search(column.name):
            values = self.real_values(column)
            if values:
                found.append(pick_expr(values))
        return found

    def real_values(self, column: ColumnInfo) -> list[Any]:
        quote = self.conn.dialect.identifier_preparer.quote
        name = quote(column.name)
        table = self.qualified()
        query = f"SELECT DISTINCT {name} FROM {table} WHERE {name} IS NOT NULL ORDER BY {name}"
        try:
            with self.conn.begin_nested():
                rows = self.conn.execute(text(query + f" LIMIT {REAL_VALUES}")).all()
        except DBAPIError:
            return []
        return [_json_ready(row[0]) for row in rows]

    def qualified(self) -> str:
        preparer = self.conn.dialect.identifier_preparer
        name = preparer.quote(self.table.name)
        return f"{preparer.quote_schema(self.table.schema)}.{name}" if self.table.schema else name

    def accepted(self, columns: list[ColumnInfo], exprs: tuple[str, ...], sqls: list[str]) -> bool:
        """Ask the database whether the CHECKs pass for the combination's values at every counter."""
        rows, params = [], {}
        for index, n in enumerate(COUNTERS):
            cells = []
            for position, (column, expr) in enumerate(zip(columns, exprs, strict=True)):
                key = f"v{index}_{position}"
                params[key] = _bound(evaluate(expr, n), column, self.dialect)
                cells.append(self.cell(key, column))
            rows.append(cells)
        query = self.query(columns, rows, sqls)
        try:
            with self.conn.begin_nested():
                return self.conn.execute(text(query), params).scalar() == 0
        except DBAPIError:
            return False

    def cell(self, key: str, column: ColumnInfo) -> str:
        if self.dialect != "postgresql":
            return f":{key}"
        return f"CAST(:{key} AS {self.types()[column.name]})"

    def types(self) -> dict[str, str]:
        """PostgreSQL's own names of the columns' types (domains and schema-qualified enums kept)."""
        if self._types is None:
            query = ("SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a"
                     " WHERE a.attrelid = CAST(:table AS regclass) AND a.attnum > 0 AND NOT a.attisdropped")
            rows = self.conn.execute(text(query), {"table": self.qualified()}).all()
            self._types = {str(name): str(kind) for name, kind in rows}
        return self._types

    def query(self, columns: list[ColumnInfo], rows: list[list[str]], sqls: list[str]) -> str:
        quote = self.conn.dialect.identifier_preparer.quote
        names = [quote(column.name) for column in columns]
        failing = " OR ".join(f"({sql}) IS FALSE" for sql in sqls)
        if self.dialect == "postgresql":
            values = ", ".join("(" + ", ".join(cells) + ")" for cells in rows)
            source = f"(VALUES {values}) AS t ({', '.join(names)})"
        else:
            selects = " UNION ALL ".join(
                "SELECT " + ", ".join(f"{cell} AS {name}" for cell, name in zip(cells, names, strict=True))
                for cells in rows
            )
            source = f"({selects}) AS t"
        return f"SELECT count(*) FROM {source} WHERE {failing}"


def _shape(column: ColumnInfo) -> Shape:
    info = column.type
    return Shape(info.type, info.length, info.precision, info.scale, info.timezone, tuple(info.enum_values),
                 info.item_type, info.db_type)


def _bound(value: Any, column: ColumnInfo, dialect: str) -> Any:
    """A sample value (JSON-ready, as the API takes it) as the driver binds it for the column's type."""
    kind = column.type.type
    if value is None:
        return None
    if kind is LogicalType.BINARY:
        return b64decode(value)
    if kind is LogicalType.JSON or (kind is LogicalType.ARRAY and dialect != "postgresql"):
        return json.dumps(value)
    if kind is LogicalType.DECIMAL:
        return float(value) if dialect == "sqlite" else Decimal(value)
    return value


def _json_ready(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
