"""Facts SQLAlchemy's MySQL reflection loses on MariaDB, recovered from information_schema."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from codegen.reflect.database import TableInfo

# Table-level CHECKs come back too (SQLAlchemy sees those already; a second look changes nothing), but
# without a filter on LEVEL, which MariaDB only has since 10.5.10.
_COLUMN_CHECKS = text(
    "SELECT TABLE_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS "
    "WHERE CONSTRAINT_SCHEMA = :schema ORDER BY TABLE_NAME, CONSTRAINT_NAME"
)


def mariadb_column_checks(
    conn: Connection, tables: list[TableInfo]
) -> dict[tuple[str | None, str], list[str]]:
    """CHECKs written on a column (`type VARCHAR(9) CHECK (type IN (...))`, JSON's json_valid), by table.

    MariaDB shows them inside the column definition, where SQLAlchemy does not look.
    """
    current = conn.execute(text("SELECT DATABASE()")).scalar()
    wanted = {(table.schema, table.name) for table in tables}
    checks: dict[tuple[str | None, str], list[str]] = {}
    for schema in sorted({table.schema for table in tables}, key=lambda name: name or ""):
        try:
            rows = conn.execute(_COLUMN_CHECKS, {"schema": schema or current}).all()
        except DBAPIError:
            return {}  # before MariaDB 10.2.22 the view has no TABLE_NAME: nothing to recover
        for table_name, clause in rows:
            if (schema, table_name) in wanted:
                checks.setdefault((schema, str(table_name)), []).append(str(clause))
    return checks
