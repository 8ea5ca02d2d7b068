"""Facts SQLAlchemy's SQLite reflection loses, recovered from SQLite's own catalog (PRAGMAs)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection

from codegen.reflect.types import TypeInfo
from codegen.spec.model import LogicalType

if TYPE_CHECKING:
    from codegen.reflect.database import TableInfo


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _recover_on_delete(conn: Connection, table: TableInfo) -> None:
    """`ON DELETE` written on a column (`x INT REFERENCES t ON DELETE CASCADE`)."""
    rows = conn.execute(text(f"PRAGMA foreign_key_list({_quote(table.name)})")).all()
    actions: dict[tuple[str, tuple[str, ...]], str] = {}
    grouped: dict[int, list[tuple[str, str, str]]] = {}
    for row in rows:
        grouped.setdefault(row.id, []).append((row.table, row._mapping["from"], row.on_delete))
    for entries in grouped.values():
        target = entries[0][0]
        cols = tuple(entry[1] for entry in entries)
        if entries[0][2] and entries[0][2].upper() != "NO ACTION":
            actions[(target, cols)] = entries[0][2].upper()
    for fk in table.foreign_keys:
        action = actions.get((fk.target_table, tuple(fk.columns)))
        if action and not fk.on_delete:
            fk.on_delete = action


def _recover_uniques(conn: Connection, table: TableInfo) -> None:
    """Inline `UNIQUE` (origin 'u') and unique indexes the inspector missed."""
    known = {tuple(cols) for _, cols in table.unique_keys}
    pk = tuple(table.primary_key)
    for row in conn.execute(text(f"PRAGMA index_list({_quote(table.name)})")).all():
        if not row.unique or row.origin == "pk":
            continue
        info = conn.execute(text(f"PRAGMA index_info({_quote(row.name)})")).all()
        cols = tuple(str(entry.name) for entry in sorted(info, key=lambda e: e.seqno) if entry.name)
        if cols and cols not in known and cols != pk:
            known.add(cols)
            name = None if row.name.startswith("sqlite_autoindex_") else str(row.name)
            table.unique_keys.append((name, list(cols)))


def _recover_rowid_alias(conn: Connection, table: TableInfo) -> None:
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


def _recover_declared_types(conn: Connection, table: TableInfo) -> None:
    """SQLAlchemy reads an unknown declared type (UUID, GEOMETRY) as NUMERIC affinity, i.e. decimal."""
    known = set(conn.dialect.ischema_names)  # type: ignore[attr-defined]
    rows = conn.execute(text(f"PRAGMA table_info({_quote(table.name)})")).all()
    declared = {str(row.name): str(row.type) for row in rows}
    for column in table.columns:
        match = re.match(r"[\w ]+", declared.get(column.name, ""))
        base = match[0].strip() if match else ""
        if base and base.upper() not in known and column.type.type is LogicalType.DECIMAL:
            column.type = _declared_type(base) or column.type


def recover_sqlite_facts(conn: Connection, tables: list[TableInfo]) -> None:
    """Fill in declared types, ON DELETE actions, inline UNIQUEs and rowid keys for every SQLite table."""
    for table in tables:
        _recover_declared_types(conn, table)
        if table.kind != "table":
            continue
        _recover_on_delete(conn, table)
        _recover_uniques(conn, table)
        _recover_rowid_alias(conn, table)
