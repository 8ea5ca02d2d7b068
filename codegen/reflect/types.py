"""Map reflected SQLAlchemy column types to the spec's logical types, with an explicit fallback."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import types as sqltypes
from sqlalchemy.dialects import postgresql

from codegen.spec.model import LogicalType


@dataclass(frozen=True)
class TypeInfo:
    """What a column's type says, source-neutral."""

    type: LogicalType
    db_type: str
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    timezone: bool = False
    enum_values: list[str] = field(default_factory=list)
    enum_name: str | None = None
    enum_schema: str | None = None
    native_enum: bool = False
    item_type: LogicalType | None = None
    exact: bool = True


# Checked in order: subclasses before their bases (Enum before String, Float before Numeric).
_GENERIC: list[tuple[type[sqltypes.TypeEngine[object]], LogicalType]] = [
    (sqltypes.Boolean, LogicalType.BOOLEAN),
    (sqltypes.Text, LogicalType.TEXT),
    (sqltypes.String, LogicalType.STRING),
    (sqltypes.SmallInteger, LogicalType.SMALL_INTEGER),
    (sqltypes.BigInteger, LogicalType.BIG_INTEGER),
    (sqltypes.Integer, LogicalType.INTEGER),
    (sqltypes.Float, LogicalType.FLOAT),
    (sqltypes.Numeric, LogicalType.DECIMAL),
    (sqltypes.DateTime, LogicalType.DATETIME),
    (sqltypes.Date, LogicalType.DATE),
    (sqltypes.Time, LogicalType.TIME),
    (sqltypes.Interval, LogicalType.INTERVAL),
    (postgresql.INTERVAL, LogicalType.INTERVAL),  # not a subclass of Interval
    (sqltypes.Uuid, LogicalType.UUID),
    (sqltypes.JSON, LogicalType.JSON),
    (sqltypes._Binary, LogicalType.BINARY),
]
# Dialect types that are strings on the wire, by class name (no dialect import needed).
_STRING_LIKE = {"INET", "CIDR", "MACADDR", "MACADDR8", "TSVECTOR", "CITEXT", "BIT", "XML", "SET", "LTREE"}
_NUMERIC_LIKE = {"MONEY": LogicalType.DECIMAL, "YEAR": LogicalType.INTEGER, "OID": LogicalType.INTEGER}


def _db_type(column_type: sqltypes.TypeEngine[object], dialect: object) -> str:
    try:
        return str(column_type.compile(dialect=dialect))  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - any type that cannot compile still gets a name
        return type(column_type).__name__


def sqlite_affinity(declared: str) -> LogicalType:
    """SQLite's own rules (section 3.1 of its datatype page) for a declared type it does not know."""
    upper = declared.upper()
    if "INT" in upper:
        return LogicalType.INTEGER
    if any(word in upper for word in ("CHAR", "CLOB", "TEXT")):
        return LogicalType.TEXT
    if "BLOB" in upper:
        return LogicalType.BINARY
    if any(word in upper for word in ("REAL", "FLOA", "DOUB")):
        return LogicalType.FLOAT
    return LogicalType.UNKNOWN


def _is_mysql_boolean(column_type: sqltypes.TypeEngine[object]) -> bool:
    """MySQL and MariaDB spell BOOLEAN as TINYINT(1), and reflect it so."""
    return type(column_type).__name__ == "TINYINT" and getattr(column_type, "display_width", None) == 1


def _base_info(column_type: sqltypes.TypeEngine[object], db_type: str) -> TypeInfo:
    if isinstance(column_type, sqltypes.Enum):
        native = bool(getattr(column_type, "native_enum", False)) and column_type.name is not None
        return TypeInfo(
            LogicalType.ENUM,
            db_type,
            enum_values=[str(value) for value in column_type.enums],
            enum_name=column_type.name,
            enum_schema=getattr(column_type, "schema", None) if native else None,
            native_enum=native,
        )
    if _is_mysql_boolean(column_type):
        return TypeInfo(LogicalType.BOOLEAN, db_type)
    if type(column_type).__name__ == "SET":  # MySQL's SET is a String of the members' longest length
        members = [str(value) for value in getattr(column_type, "values", ())]
        return TypeInfo(LogicalType.STRING, db_type, enum_values=members)
    if isinstance(column_type, sqltypes.ARRAY):
        item = map_type(column_type.item_type, None)
        if not item.exact or "MONEY" in item.db_type.upper():
            # Their items have no JSON value (inet, money as `$1.00`...): the whole array is served as
            # its text, `{10.0.0.1,10.0.0.2}`.
            return TypeInfo(LogicalType.UNKNOWN, db_type, exact=False)
        if type(column_type.item_type).__name__ == "DOMAIN":
            db_type = f"{item.db_type}[]"  # `email (TEXT)[]`: render/types.py serves it as TEXT[]
        # An array of enum items keeps their labels (and the enum's name), which its models declare.
        return TypeInfo(LogicalType.ARRAY, db_type, item_type=item.type, exact=item.exact,
                        timezone=item.timezone, enum_values=item.enum_values, enum_name=item.enum_name,
                        enum_schema=item.enum_schema, native_enum=item.native_enum)
    for generic, logical in _GENERIC:
        if isinstance(column_type, generic):
            return _with_params(column_type, logical, db_type)
    name = type(column_type).__name__.upper()
    if name in _STRING_LIKE:
        # Served as text; written only where the driver binds text to it (CITEXT).
        return TypeInfo(LogicalType.STRING, db_type, exact=name == "CITEXT")
    if name in _NUMERIC_LIKE:
        return TypeInfo(_NUMERIC_LIKE[name], db_type)
    return TypeInfo(LogicalType.UNKNOWN, db_type, exact=False)


def _with_params(column_type: sqltypes.TypeEngine[object], logical: LogicalType, db_type: str) -> TypeInfo:
    if logical in (LogicalType.STRING, LogicalType.TEXT):
        length = getattr(column_type, "length", None)
        if logical is LogicalType.STRING and length is None:
            logical = LogicalType.TEXT
        return TypeInfo(logical, db_type, length=length)
    if logical is LogicalType.DECIMAL:
        return TypeInfo(
            logical,
            db_type,
            precision=getattr(column_type, "precision", None),
            scale=getattr(column_type, "scale", None),
        )
    if logical in (LogicalType.DATETIME, LogicalType.TIME):
        return TypeInfo(logical, db_type, timezone=bool(getattr(column_type, "timezone", False)))
    if logical is LogicalType.BINARY:
        return TypeInfo(logical, db_type, length=getattr(column_type, "length", None))
    return TypeInfo(logical, db_type)


def map_type(column_type: sqltypes.TypeEngine[object], dialect: object) -> TypeInfo:
    """The logical type of a reflected column type; UNKNOWN (exact=False) when nothing fits."""
    db_type = _db_type(column_type, dialect)
    if type(column_type).__name__ == "DOMAIN" and hasattr(column_type, "data_type"):
        inner = map_type(column_type.data_type, dialect)
        return TypeInfo(**{**inner.__dict__, "db_type": f"{column_type.name} ({inner.db_type})"})
    if isinstance(column_type, sqltypes.TypeDecorator) and not isinstance(column_type, sqltypes.Interval):
        column_type = column_type.impl_instance  # Interval decorates DateTime but is no datetime
    return _base_info(column_type, db_type)


# A column as a CHECK writes it: "quoted", `quoted`, [quoted] (any characters but the quote) or bare.
_COLUMN = r"(?:\"(?P<dq>[^\"]+)\"|`(?P<bq>[^`]+)`|\[(?P<sq>[^\]]+)\]|(?P<bare>[^\s\"`\[\]():]+))"
# A list of quoted values and casts, up to its closing bracket (a `]` inside quotes does not close it).
_VALUES = r"(?P<values>(?:'(?:[^']|'')*'|[^'\]])*)"
_IN_LIST = re.compile(
    rf"^[\s(]*{_COLUMN}\)?(?:::[\w ]+)?\s+IN\s*\((?P<values>.*)\)[\s)]*$",
    re.IGNORECASE | re.DOTALL,
)
_ANY_ARRAY = re.compile(
    rf"^[\s(]*{_COLUMN}\)?(?:::[\w ]+)?\s*=\s*ANY\s*\(\(?ARRAY\[{_VALUES}\]",
    re.IGNORECASE | re.DOTALL,
)
_QUOTED = re.compile(r"'((?:[^']|'')*)'")


def parse_check_enum(sqltext: str) -> tuple[str, list[str]] | None:
    """`rating IN ('G','PG')` (any dialect's spelling) -> ("rating", ["G", "PG"]); else None."""
    for pattern in (_IN_LIST, _ANY_ARRAY):
        match = pattern.match(sqltext.strip())
        if match:
            values = [value.replace("''", "'") for value in _QUOTED.findall(match["values"])]
            rest = _QUOTED.sub("", match["values"])
            if values and not re.search(r"[^\s,:\w]", rest.replace("character varying", "")):
                column = match["dq"] or match["bq"] or match["sq"] or match["bare"]
                return column, values
    return None


_JSON_VALID = re.compile(rf"^[\s(]*json_valid\s*\(\s*{_COLUMN}\s*\)[\s)]*$", re.IGNORECASE)


def parse_json_check(sqltext: str) -> str | None:
    """`json_valid(`doc`)` (how MariaDB marks a JSON column) -> "doc"; else None."""
    match = _JSON_VALID.match(sqltext.strip())
    return (match["dq"] or match["bq"] or match["sq"] or match["bare"]) if match else None
