"""One type map per output: logical type -> SQLAlchemy column type and Python/pydantic annotation."""

from __future__ import annotations

import re
from dataclasses import dataclass

from codegen.render.pyliteral import py_str
from codegen.spec.model import Field, LogicalType

# logical type -> (annotation, import module or "", import name or "")
PYTHON_TYPES: dict[LogicalType, tuple[str, str, str]] = {
    LogicalType.STRING: ("str", "", ""),
    LogicalType.TEXT: ("str", "", ""),
    LogicalType.INTEGER: ("int", "", ""),
    LogicalType.SMALL_INTEGER: ("int", "", ""),
    LogicalType.BIG_INTEGER: ("int", "", ""),
    LogicalType.BOOLEAN: ("bool", "", ""),
    LogicalType.FLOAT: ("float", "", ""),
    LogicalType.DECIMAL: ("Decimal", "decimal", "Decimal"),
    LogicalType.DATE: ("date", "datetime", "date"),
    LogicalType.DATETIME: ("datetime", "datetime", "datetime"),
    LogicalType.TIME: ("time", "datetime", "time"),
    LogicalType.INTERVAL: ("timedelta", "datetime", "timedelta"),
    LogicalType.UUID: ("UUID", "uuid", "UUID"),
    LogicalType.JSON: ("Any", "typing", "Any"),
    LogicalType.BINARY: ("bytes", "", ""),
    LogicalType.ENUM: ("str", "", ""),
    LogicalType.UNKNOWN: ("str", "", ""),  # served as its text form (see SERVED)
}

# logical type -> SQLAlchemy type class (imported from `sqlalchemy`)
SQLALCHEMY_TYPES: dict[LogicalType, str] = {
    LogicalType.STRING: "String",
    LogicalType.TEXT: "Text",
    LogicalType.INTEGER: "Integer",
    LogicalType.SMALL_INTEGER: "SmallInteger",
    LogicalType.BIG_INTEGER: "BigInteger",
    LogicalType.BOOLEAN: "Boolean",
    LogicalType.FLOAT: "Float",
    LogicalType.DECIMAL: "Numeric",
    LogicalType.DATE: "Date",
    LogicalType.DATETIME: "DateTime",
    LogicalType.TIME: "Time",
    LogicalType.INTERVAL: "Interval",
    LogicalType.UUID: "Uuid",
    LogicalType.JSON: "JSON",
    LogicalType.BINARY: "LargeBinary",
    LogicalType.ENUM: "String",
    LogicalType.UNKNOWN: "String",  # in an array: read as the driver gives it; never written
}

# The type capability table: columns the API cannot read, compare or sort as the driver gives them,
# by a word of their database type (and the dialects where the word means that), and the
# app/column_types.py type that serves them through an expression (read, filtered and sorted by it).
# Every other column is served as is; a type SQLAlchemy does not know (xml, point, cube, ranges,
# ltree, hstore...) is served as its text form, whatever its name.
# (PostGIS' geometry is served as its text, hex EWKB: the tests' scratch database may lack PostGIS.)
_MYSQL_SPATIAL = frozenset({"GEOMETRY", "POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING",
                            "MULTIPOLYGON", "GEOMETRYCOLLECTION"})
SERVED: tuple[tuple[frozenset[str], frozenset[str] | None, str], ...] = (
    (frozenset({"MONEY"}), None, "AsNumber"),
    (_MYSQL_SPATIAL, frozenset({"mysql"}), "AsWkt"),
)
_TYPE_WORD = re.compile(r"[A-Z][A-Z0-9_]*")
# An array of a domain, as reflect/types.py names it (`email (TEXT)[]`): the driver knows no such array.
_DOMAIN_ARRAY = re.compile(r" \(.+\)\[\]$")

_ZONED = frozenset({LogicalType.DATETIME, LogicalType.TIME})
# MySQL's single precision FLOAT: FLOAT, FLOAT(M,D), FLOAT(p) up to 24 bits.
_SINGLE = re.compile(r"(?i)^FLOAT(?:\s*\(\s*(?:\d+\s*,\s*\d+|[0-9]|1[0-9]|2[0-4])\s*\))?(?:\s+UNSIGNED)?$")

# Types SQLite cannot hold: a schema using them is tested against TEST_DATABASE_URL.
NOT_ON_SQLITE = frozenset({LogicalType.ARRAY})


# SQLite's dates and times, which are text: written as SQLite writes them, read back as they are where
# they are no date (app/column_types.py).
# Numbers, booleans and JSON, which SQLite may hold as any text, are read keeping what they cannot convert.
_SQLITE_TYPES = {
    LogicalType.DATE: "SqliteDate",
    LogicalType.DATETIME: "SqliteDateTime",
    LogicalType.TIME: "SqliteTime",
    LogicalType.DECIMAL: "SqliteNumeric",
    LogicalType.BOOLEAN: "SqliteBoolean",
    LogicalType.JSON: "SqliteJSON",
}


@dataclass(frozen=True)
class TypeRef:
    """A type expression and the (module, name) imports it needs."""

    expr: str
    imports: tuple[tuple[str, str], ...] = ()


def served_through(field: Field, dialect: str | None) -> str | None:
    """The app/column_types.py type a column is read, compared and sorted through, if any."""
    words = set(_TYPE_WORD.findall(field.db_type.upper()))
    for names, dialects, served in SERVED:
        if served == "AsNumber" and field.type is not LogicalType.DECIMAL:
            continue  # a MONEY SQLite reads by its affinity, nothing more
        if words & names and (dialects is None or dialect in dialects):
            return served
    if field.type is LogicalType.ARRAY and _DOMAIN_ARRAY.search(field.db_type):
        return "AsTextArray"
    return "AsText" if field.type is LogicalType.UNKNOWN else None


def python_type(field: Field) -> TypeRef:
    """The Python annotation of a field's value, without `| None`."""
    if field.type is LogicalType.ENUM and field.enum_values:
        values = ", ".join(py_str(value) for value in field.enum_values)
        return TypeRef(f"Literal[{values}]", (("typing", "Literal"),))
    if field.type is LogicalType.ARRAY:
        if field.item_type in (None, LogicalType.UNKNOWN):
            return TypeRef("list[Any]", (("typing", "Any"),))
        if field.item_type is LogicalType.ENUM and field.enum_values:
            values = ", ".join(py_str(value) for value in field.enum_values)
            return TypeRef(f"list[Literal[{values}]]", (("typing", "Literal"),))
        item = PYTHON_TYPES[field.item_type]
        imports = ((item[1], item[2]),) if item[1] else ()
        return TypeRef(f"list[{item[0]}]", imports)
    expr, module, name = PYTHON_TYPES[field.type]
    return TypeRef(expr, ((module, name),) if module else ())


def schema_python_type(field: Field) -> TypeRef:
    """The annotation of a field in the API's schemas: local date-times and times say they are
    local (OpenAPI's `date-time` and `time` formats require an offset)."""
    if field.type in (LogicalType.DATETIME, LogicalType.TIME) and not field.timezone:
        name = "LocalDateTime" if field.type is LogicalType.DATETIME else "LocalTime"
        return TypeRef(name, (("app.column_types", name),))
    return python_type(field)


def model_python_type(field: Field) -> TypeRef:
    """The annotation inside `Mapped[...]`: enums are plain strings in the model."""
    if field.type is LogicalType.ENUM:
        return TypeRef("str")
    if field.type is LogicalType.ARRAY and field.item_type is LogicalType.ENUM:
        return TypeRef("list[str]")
    return python_type(field)


def _sa_args(field: Field) -> str:
    if field.type is LogicalType.STRING and field.length:
        return str(field.length)
    if field.type is LogicalType.ENUM and (field.length or field.enum_values):
        return str(field.length or max(len(value) for value in field.enum_values))
    if field.type is LogicalType.DECIMAL and field.precision is not None:
        scale = f", {field.scale}" if field.scale is not None else ""
        return f"{field.precision}{scale}"
    if field.type in (LogicalType.DATETIME, LogicalType.TIME) and field.timezone:
        return "timezone=True"
    return ""


def sqlalchemy_type(field: Field, dialect: str | None = None) -> TypeRef:
    """The SQLAlchemy column type expression of a field (for a source of `dialect`)."""
    served = served_through(field, dialect)
    if served is not None:
        return TypeRef(f"{served}()", (("app.column_types", served),))
    if field.type is LogicalType.UUID and dialect == "sqlite":
        return TypeRef("UuidText()", (("app.column_types", "UuidText"),))
    if field.type is LogicalType.FLOAT and dialect == "mysql" and _SINGLE.match(field.db_type):
        return TypeRef("MysqlFloat()", (("app.column_types", "MysqlFloat"),))
    if field.type is LogicalType.TIME and dialect == "mysql" and not field.timezone:
        return TypeRef("MysqlTime()", (("app.column_types", "MysqlTime"),))
    if field.type in _SQLITE_TYPES and dialect == "sqlite":
        name = _SQLITE_TYPES[field.type]
        return TypeRef(f"{name}({_sa_args(field)})", (("app.column_types", name),))
    native = field.native_enum and field.enum_values
    if field.type is LogicalType.ENUM and native:
        return _native_enum(field)
    if field.type is LogicalType.ARRAY and field.item_type is LogicalType.ENUM and native:
        # The driver answers an array of a type it does not know as its text, `{a,"b c"}`: an ARRAY of
        # the Enum makes SQLAlchemy split it into its labels.
        item = _native_enum(field)
        return TypeRef(f"ARRAY({item.expr})", (("sqlalchemy", "ARRAY"), *item.imports))
    if field.type is LogicalType.BINARY and field.length and dialect == "mysql":
        # A BLOB can be no key or unique without a prefix length; VARBINARY also for BINARY(n), whose
        # padding would make a shorter value written in the tests no key of its row.
        return TypeRef(f"VARBINARY({field.length})", (("sqlalchemy", "VARBINARY"),))
    if field.type is LogicalType.ARRAY:
        item = SQLALCHEMY_TYPES[field.item_type or LogicalType.UNKNOWN]
        module = "sqlalchemy.types" if item == "NullType" else "sqlalchemy"
        # TIMESTAMPTZ[]: items bound without their zone would lose their offset in the cast.
        zone = "timezone=True" if field.timezone and field.item_type in _ZONED else ""
        return TypeRef(f"ARRAY({item}({zone}))", (("sqlalchemy", "ARRAY"), (module, item)))
    name = SQLALCHEMY_TYPES[field.type]
    if field.type is LogicalType.STRING and not field.length:
        name = "Text"  # a VARCHAR needs a length on MariaDB and MySQL
    module = "sqlalchemy.types" if name == "NullType" else "sqlalchemy"
    return TypeRef(f"{name}({_sa_args(field)})", ((module, name),))


def _native_enum(field: Field) -> TypeRef:
    values = ", ".join(py_str(value) for value in field.enum_values)
    name = f", name={py_str(field.enum_name)}" if field.enum_name else ""
    if field.enum_schema:
        name += f", schema={py_str(field.enum_schema)}"
    return TypeRef(f"Enum({values}{name})", (("sqlalchemy", "Enum"),))


_PORTABLE_DEFAULT = re.compile(r"^(?:'(?:[^']|'')*'|-?\d+(?:\.\d+)?|true|false|current_timestamp|current_date)$", re.I)
_CAST = re.compile(r"^\(?('(?:[^']|'')*'|-?\d+(?:\.\d+)?)\)?::[\w ]+(?:\[\])?$")


def portable_default(field: Field) -> str | None:
    """A server default that every dialect understands (for `create_all` in tests), else None."""
    if field.default is None:
        return None
    text = field.default.strip()
    cast = _CAST.match(text)
    if cast:
        text = cast.group(1)
    if text.lower() in ("now()", "current_timestamp()", "getdate()"):
        text = "CURRENT_TIMESTAMP"
    return text if _PORTABLE_DEFAULT.match(text) else None
