"""Random database schemas with rows, for the property test of generated projects (test_property_projects.py).

`schemas(dialect)` is a hypothesis strategy of `Schema`s: a few tables in one or more schemas, with names
drawn from the ones generated code uses itself, every column type of the dialect, single, composite (in
any key order) or no primary keys, nullable and required foreign keys, CHECK and unique constraints, keyless
views, and rows that satisfy all of it. `Schema.script(names)` is the SQL that builds it, with the real
schema names put in (PostgreSQL schemas of the database, MariaDB databases of the server).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

# Names generated modules bind or read themselves, and shapes names take in real databases.
HOSTILE = (
    "text",
    "name",
    "status",
    "type",
    "id",
    "select",
    "metadata",
    "query",
    "json",
    "self",
    "cls",
    "session",
    "request",
    "response",
    "key",
    "params",
    "item",
    "values",
    "body",
    "Resource",
    "Mapped",
    "mapped_column",
    "String",
    "Field",
    "BaseModel",
    "date",
    "datetime",
    "Any",
    "router",
    "resource",
    "settings",
    "handlers",
    "call",
    "t",
    "count",
    "index",
    "page",
    "rows",
    "class",
    "from",
    "order",
    "limit",
    "sort",
    "fields",
    "Order Details",
    "2nd place",
    "naïve",
    "e-mail",
    "a.b",
    "ÜberCol",
)


@dataclass(frozen=True)
class Kind:
    """A column type of a dialect: its SQL, how to write a value of it, whether it can key or be checked."""

    sql: str
    values: str  # int, small, text, date, stamp, decimal, float, bool, json, uuid, blob, or the literal
    keyable: bool = False


_COMMON = {
    "int": Kind("INTEGER", "int", True),
    "small": Kind("SMALLINT", "small", True),
    "text": Kind("VARCHAR(20)", "text", True),
    "date": Kind("DATE", "date", True),
    "decimal": Kind("DECIMAL(8, 2)", "decimal"),
    "float": Kind("REAL", "float"),
}
KINDS: dict[str, list[Kind]] = {
    "sqlite": [
        *_COMMON.values(),
        Kind("TEXT", "text"),
        Kind("DATETIME", "stamp", True),
        Kind("BOOLEAN", "bool"),
        Kind("BLOB", "blob"),
        Kind("JSON", "json"),
        Kind("UUID", "uuid"),
        Kind("NUMERIC", "decimal"),
        Kind("POINT", "'(1,2)'"),
        Kind("MONEY", "'12.50'"),
        Kind("", "'anything'"),
    ],
    "postgresql": [
        *_COMMON.values(),
        Kind("TEXT", "text"),
        Kind("TIMESTAMP", "stamp", True),
        Kind("BOOLEAN", "bool"),
        Kind("BYTEA", "blob"),
        Kind("JSONB", "json"),
        Kind("JSON", "json"),
        Kind("UUID", "uuid"),
        Kind("MONEY", "'12.34'"),
        Kind("XML", "'<a>1</a>'"),
        Kind("POINT", "'(1,2)'"),
        Kind("TSVECTOR", "'fat cat'"),
        Kind("INT4RANGE", "'[1,5)'"),
        Kind("INET", "'10.0.0.1'"),
        Kind("BIT(3)", "B'101'"),
        Kind("INTERVAL", "'1 day 02:00'"),
        Kind("INTEGER[]", "'{1,2}'"),
        Kind("TEXT[]", "'{a,b}'"),
        Kind("CUBE", "'(1,2,3)'"),
        Kind("TIMESTAMPTZ", "stamp"),
        Kind("TIME", "'12:30:00'"),
        Kind("CITEXT", "text"),
    ],
    "mariadb": [
        *_COMMON.values(),
        Kind("TEXT", "text"),
        Kind("DATETIME(6)", "stamp", True),
        Kind("TINYINT(1)", "bool"),
        Kind("BLOB", "blob"),
        Kind("JSON", "json"),
        Kind("UUID", "uuid"),
        Kind("YEAR", "2024"),
        Kind("SET('a','b','c')", "'a,c'"),
        Kind("ENUM('x','y')", "'y'"),
        Kind("BIT(3)", "b'101'"),
        Kind("POINT", "POINT(1, 2)"),
        Kind("INET6", "'::1'"),
        Kind("TIME", "'12:30:00'"),
        Kind("TINYINT", "small"),
        Kind("MEDIUMINT UNSIGNED", "int"),
        Kind("DOUBLE", "float"),
        Kind("BINARY(4)", "blob"),
    ],
}


@dataclass
class Column:
    name: str
    kind: Kind
    nullable: bool = True
    serial: bool = False


@dataclass
class Table:
    schema: int  # 0: the default schema, else the n-th extra one
    name: str
    columns: list[Column]
    key: list[str] = field(default_factory=list)  # in key order
    uniques: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)  # SQL, with {col:<name>} placeholders
    foreign: list[tuple[list[str], int, list[str]]] = field(default_factory=list)  # cols, table, key cols
    rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class View:
    schema: int
    name: str
    table: int
    columns: list[str]


@dataclass
class Schema:
    dialect: str
    extra_schemas: int
    tables: list[Table]
    views: list[View]

    def script(self, names: list[str], default: str | None = None) -> str:
        """The SQL building it; `names[n]`: the real name of the n-th extra schema, `default` the name of
        the default one where an unqualified name would mean another (a MariaDB table's own database)."""
        return _Writer(self, names, default).script()


def _names(draw: Any, count: int, avoid: set[str]) -> list[str]:
    pool = st.one_of(st.sampled_from(HOSTILE), st.from_regex(r"\A[a-zA-Z][a-zA-Z0-9_]{0,10}\Z"))
    found: list[str] = []
    while len(found) < count:
        name = draw(pool)
        if name.lower() not in {n.lower() for n in found} | avoid:
            found.append(name)
    return found


@st.composite
def schemas(draw: Any, dialect: str) -> Schema:
    """A random schema of the dialect, with rows."""
    extra = 0 if dialect == "sqlite" else draw(st.integers(0, 2))
    count = draw(st.integers(2, 4))
    table_names = _names(draw, count, set())
    tables = [_table(draw, dialect, index, name, extra) for index, name in enumerate(table_names)]
    for index, table in enumerate(tables):
        _foreign_keys(draw, tables, index)
        _rows(draw, tables, table)
    views = []
    if draw(st.booleans()):
        source = draw(st.integers(0, len(tables) - 1))
        columns = draw(
            st.lists(
                st.sampled_from([c.name for c in tables[source].columns]),
                min_size=1,
                max_size=4,
                unique_by=str.lower,
            )
        )
        view_name = _names(draw, 1, {n.lower() for n in table_names})[0]
        views.append(View(draw(st.integers(0, extra)), view_name, source, columns))
    return Schema(dialect, extra, tables, views)


def _table(draw: Any, dialect: str, index: int, name: str, extra: int) -> Table:
    kinds = KINDS[dialect]
    width = draw(st.integers(2, 6))
    names = _names(draw, width, set())
    columns = [Column(n, draw(st.sampled_from(kinds)), draw(st.booleans())) for n in names]
    table = Table(draw(st.integers(0, extra)), name, columns)
    shape = draw(st.sampled_from(["serial", "natural", "composite", "none"]))
    keyable = [c for c in columns if c.kind.keyable]
    if shape == "serial":
        columns[0].kind, columns[0].serial, columns[0].nullable = _COMMON["int"], True, False
        table.key = [columns[0].name]
    elif shape == "natural" and keyable:
        table.key = [keyable[0].name]
    elif shape == "composite" and len(keyable) >= 2:
        table.key = draw(st.permutations([c.name for c in keyable[:3]]))
    for column in columns:
        if column.name in table.key:
            column.nullable = False
    _constraints(draw, table)
    return table


def _constraints(draw: Any, table: Table) -> None:
    """A CHECK per number or text column now and then, a unique key, a date-order CHECK."""
    for column in table.columns:
        if column.serial or not draw(st.booleans()):
            continue
        if column.kind.values in ("int", "small"):
            table.checks.append(f"{{col:{column.name}}} BETWEEN 1 AND 50")
        elif column.kind.values == "text" and column.name not in table.key:
            table.checks.append(f"{{length:{column.name}}} <= 5")
    candidates = [
        c
        for c in table.columns
        if c.kind.values in ("int", "text", "bool", "date") and not c.serial and c.name not in table.key
    ]
    if candidates and draw(st.booleans()):
        table.uniques.append(draw(st.sampled_from(candidates)).name)
    dates = [c for c in table.columns if c.kind.values == "date" and c.name not in table.key]
    if len(dates) >= 2:
        dates[1].nullable = True
        table.checks.append(
            f"{{col:{dates[1].name}}} IS NULL OR {{col:{dates[1].name}}} > {{col:{dates[0].name}}}"
        )


def _foreign_keys(draw: Any, tables: list[Table], index: int) -> None:
    """Now and then a foreign key to an earlier table's key: nullable or required, one or more columns."""
    table = tables[index]
    parents = [i for i in range(index) if tables[i].key]
    if not parents or not draw(st.booleans()):
        return
    parent = tables[draw(st.sampled_from(parents))]
    required = draw(st.booleans())
    names = _names(draw, len(parent.key), {c.name.lower() for c in table.columns})
    columns = []
    for name, key in zip(names, parent.key, strict=True):
        kind = next(c.kind for c in parent.columns if c.name == key)
        columns.append(Column(f"{name}", _COMMON["int"] if kind.sql == "INTEGER" else kind, not required))
    table.columns += columns
    table.foreign.append(([c.name for c in columns], tables.index(parent), list(parent.key)))


def _rows(draw: Any, tables: list[Table], table: Table) -> None:
    """Up to three rows: keys and unique values distinct, CHECKs and foreign keys holding."""
    two_valued = any(c.kind.values == "bool" for c in table.columns if c.name in table.uniques)
    count = draw(st.integers(0, 2 if two_valued else 3))  # a unique boolean holds two rows at most
    fk_columns = {c: (parent, key[i]) for cols, parent, key in table.foreign for i, c in enumerate(cols)}
    for number in range(1, count + 1):
        row: dict[str, Any] = {}
        for column in table.columns:
            if column.serial:
                continue
            if column.name in fk_columns:
                parent, key = fk_columns[column.name]
                rows = tables[parent].rows
                if not rows:
                    if not column.nullable:
                        return  # no parent to point at: the table stays empty
                    row[column.name] = None
                    continue
                position = (number - 1) % len(rows)
                serial = any(c.serial and c.name == key for c in tables[parent].columns)
                row[column.name] = position + 1 if serial else rows[position][key]
                continue
            null = column.nullable and column.name not in table.uniques and draw(st.booleans())
            row[column.name] = None if null else _value(column.kind, number)
        table.rows.append(row)


def _value(kind: Kind, number: int) -> Any:
    """A value for the n-th row (distinct across rows, inside every CHECK the strategy writes)."""
    values = {
        "int": number,
        "small": number,
        "text": f"v{number}",
        "decimal": f"{number}.25",
        "float": number + 0.5,
        "date": (date(2024, 1, 1) + timedelta(days=number)).isoformat(),
        "stamp": (datetime(2024, 1, 1, 8) + timedelta(minutes=number)).isoformat(sep=" "),
        "bool": number % 2 == 1,
        "json": {"n": number},
        "uuid": f"00000000-0000-0000-0000-{number:012d}",
        "blob": bytes([number, 255]),
    }
    return values.get(kind.values, kind.values)


class _Writer:
    """The SQL of a schema, in its dialect's quoting."""

    def __init__(self, schema: Schema, names: list[str], default: str | None) -> None:
        self.schema = schema
        self.names = names
        self.default = default
        self.dialect = schema.dialect

    def quote(self, name: str) -> str:
        if self.dialect == "mariadb":
            return "`" + name.replace("`", "``") + "`"
        return '"' + name.replace('"', '""') + '"'

    def qualified(self, schema: int, name: str) -> str:
        owner = self.names[schema - 1] if schema else self.default
        return f"{self.quote(owner)}.{self.quote(name)}" if owner else self.quote(name)

    def script(self) -> str:
        parts = []
        if self.dialect == "postgresql":
            parts.append("CREATE EXTENSION IF NOT EXISTS cube; CREATE EXTENSION IF NOT EXISTS citext;")
            parts += [f"CREATE SCHEMA {self.quote(name)};" for name in self.names]
        parts += [self.create(table) for table in self.schema.tables]
        for table in self.schema.tables:
            parts += [self.insert(table, row) for row in table.rows]
        for view in self.schema.views:
            source = self.schema.tables[view.table]
            columns = ", ".join(self.quote(c) for c in view.columns)
            parts.append(
                f"CREATE VIEW {self.qualified(view.schema, view.name)} AS SELECT {columns} "
                f"FROM {self.qualified(source.schema, source.name)};"
            )
        return "\n".join(parts) + "\n"

    def column(self, column: Column, table: Table) -> str:
        if column.serial:
            serial = {"postgresql": "SERIAL", "mariadb": "INT AUTO_INCREMENT", "sqlite": "INTEGER"}[
                self.dialect
            ]
            return f"{self.quote(column.name)} {serial} NOT NULL"
        kind = column.kind.sql
        if self.dialect == "mariadb" and kind in ("TEXT", "BLOB", "JSON") and column.name in table.key:
            kind = "VARCHAR(20)"
        null = "" if column.nullable else " NOT NULL"
        return f"{self.quote(column.name)} {kind}{null}".replace("  ", " ")

    def create(self, table: Table) -> str:
        lines = [self.column(column, table) for column in table.columns]
        if table.key:
            serial_key = (
                self.dialect == "sqlite" and table.key == [table.columns[0].name] and table.columns[0].serial
            )
            if serial_key:
                lines[0] = f"{self.quote(table.key[0])} INTEGER PRIMARY KEY"
            else:
                lines.append("PRIMARY KEY (" + ", ".join(self.quote(c) for c in table.key) + ")")
        lines += [f"UNIQUE ({self.quote(name)})" for name in table.uniques]
        lines += [f"CHECK ({self.check(sql)})" for sql in table.checks]
        for columns, parent, key in table.foreign:
            target = self.schema.tables[parent]
            lines.append(
                "FOREIGN KEY ("
                + ", ".join(self.quote(c) for c in columns)
                + ") REFERENCES "
                + self.qualified(target.schema, target.name)
                + " ("
                + ", ".join(self.quote(c) for c in key)
                + ")"
            )
        return (
            f"CREATE TABLE {self.qualified(table.schema, table.name)} (\n    "
            + ",\n    ".join(lines)
            + "\n);"
        )

    def check(self, sql: str) -> str:
        length = {"postgresql": "char_length", "mariadb": "char_length", "sqlite": "length"}[self.dialect]
        out = sql
        while "{col:" in out or "{length:" in out:
            start = min(i for i in (out.find("{col:"), out.find("{length:")) if i >= 0)
            end = out.index("}", start)
            tag, name = out[start + 1 : end].split(":", 1)
            written = self.quote(name) if tag == "col" else f"{length}({self.quote(name)})"
            out = out[:start] + written + out[end + 1 :]
        return out

    def insert(self, table: Table, row: dict[str, Any]) -> str:
        columns = ", ".join(self.quote(name) for name in row)
        values = ", ".join(self.literal(value, self.kind(table, name)) for name, value in row.items())
        return f"INSERT INTO {self.qualified(table.schema, table.name)} ({columns}) VALUES ({values});"

    @staticmethod
    def kind(table: Table, name: str) -> Kind:
        return next(c.kind for c in table.columns if c.name == name)

    def literal(self, value: Any, kind: Kind) -> str:
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return ("1" if value else "0") if self.dialect == "sqlite" else ("TRUE" if value else "FALSE")
        if isinstance(value, bytes):
            return ("'\\x" + value.hex() + "'") if self.dialect == "postgresql" else f"X'{value.hex()}'"
        if isinstance(value, dict):
            return "'" + str(value).replace("'", '"') + "'"
        if isinstance(value, (int, float)):
            return str(value)
        if kind.values not in ("text", "date", "stamp", "decimal", "uuid"):
            return str(value)  # the kind's own SQL literal
        return "'" + str(value).replace("'", "''") + "'"
