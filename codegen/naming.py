"""All naming in one collision-safe place: JSON names, Python identifiers, classes, modules, paths."""

from __future__ import annotations

import keyword
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from pydantic import BaseModel

# Names the generated modules import or declare; an attribute or class with one of these names
# would shadow it inside the generated class body or module.
GENERATED_NAMES = frozenset(
    {
        "Annotated", "Any", "Base", "BaseModel", "ConfigDict", "Decimal", "Field", "Literal",
        "Mapped", "Optional", "UUID", "date", "datetime", "mapped_column", "relationship",
        "time", "timedelta", "uuid", "decimal", "sa", "metadata", "registry", "sqlalchemy",
        "str", "int", "float", "bool", "bytes", "list", "dict", "object", "type_annotation_map",
        "settings", "router", "session", "request", "response", "json", "fields", "pydantic",
        "body", "resource", "values", "item", "where",
    }
)
# Names the generated module of an API description's models imports or declares.
MODEL_RESERVED = frozenset(
    {
        "Annotated", "Any", "ApiModel", "BaseModel", "ConfigDict", "Discriminator", "Field", "Literal",
        "Tag", "UUID", "date", "datetime", "time", "discriminate", "Union", "ClassVar",
    }
)
# Attributes of pydantic's BaseModel: a field with one of these names shadows a method.
PYDANTIC_NAMES = frozenset(name for name in dir(BaseModel) if not name.startswith("_"))
RESERVED_ATTRIBUTES = GENERATED_NAMES | PYDANTIC_NAMES | frozenset(keyword.kwlist)

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_WORD = re.compile(r"[^\w]+")


def _ascii_fold(text: str) -> str:
    """Letters with accents lose them; other Unicode letters stay (they are valid identifiers)."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@lru_cache(maxsize=65536)
def snake_case(name: str) -> str:
    """`AlbumId` -> `album_id`, `Order Details` -> `order_details`, `HTTPCode` -> `http_code`."""
    text = _CAMEL_BOUNDARY.sub("_", _ascii_fold(name))
    text = _NON_WORD.sub("_", text).strip("_").lower()
    return re.sub(r"_+", "_", text)


def _identifier_text(text: str) -> str:
    """`text` with every character that cannot stand in an identifier made `_`."""
    if f"a{text}".isidentifier():
        return text.strip("_")
    cleaned = "".join(char if f"a{char}".isidentifier() else "_" for char in text)
    return re.sub(r"_+", "_", cleaned).strip("_")


def kebab_case(name: str) -> str:
    """`invoice_line` -> `invoice-line`."""
    return snake_case(name).replace("_", "-")


def pascal_case(name: str) -> str:
    """`invoice_line` -> `InvoiceLine`."""
    return "".join(part[:1].upper() + part[1:] for part in snake_case(name).split("_") if part)


def unique_name(base: str, taken: Iterable[str], separator: str = "_") -> str:
    """`base`, or `base_2`, `base_3`... whichever is not taken yet."""
    used = set(taken)
    if base not in used:
        return base
    counter = 2
    while f"{base}{separator}{counter}" in used:
        counter += 1
    return f"{base}{separator}{counter}"


def json_name(column: str, taken: Iterable[str]) -> str:
    """The JSON key of a column: snake_case, never empty, unique among `taken`."""
    base = snake_case(column) or "column"
    return unique_name(base, taken)


def python_identifier(name: str, taken: Iterable[str], reserved: frozenset[str] = RESERVED_ATTRIBUTES) -> str:
    """A valid, readable Python attribute for a JSON name; keywords and shadowing names get `_`."""
    ident = _identifier_text(snake_case(name)) or "field"
    if not ident.isidentifier() or ident[0].isdigit():
        ident = f"n_{ident}"
    if ident in reserved:
        ident = f"{ident}_"
    return unique_name(ident, taken)


def class_name(name: str, taken: Iterable[str]) -> str:
    """A PascalCase class name that shadows nothing the generated modules import."""
    ident = _identifier_text(pascal_case(name)) or "Resource"
    if ident[0].isdigit():
        ident = f"T{ident}"
    if ident in GENERATED_NAMES or keyword.iskeyword(ident):
        ident = f"{ident}Record"
    return unique_name(ident, taken, separator="")


def module_name(name: str, taken: Iterable[str]) -> str:
    """A module file name (without .py): a snake identifier that is not a keyword."""
    ident = _identifier_text(snake_case(name)) or "resource"
    if ident[0].isdigit():
        ident = f"t_{ident}"
    if keyword.iskeyword(ident) or ident in {"base", "deps"}:
        ident = f"{ident}_"
    return unique_name(ident, taken)


def collection_path(table: str, schema: str | None, taken: Iterable[str]) -> str:
    """`/invoice-line`, or `/sales/order` for a table of a non-default schema; unique."""
    segment = kebab_case(table) or "resource"
    path = f"/{kebab_case(schema)}/{segment}" if schema else f"/{segment}"
    return unique_name(path, taken, separator="-")


def relation_name(columns: list[str], target: str, taken: Iterable[str]) -> str:
    """Name of a many-to-one relation: `artist_id` -> `artist`, else `<column>_<target>`."""
    if len(columns) == 1 and columns[0].endswith("_id") and len(columns[0]) > 3:
        base = columns[0][: -len("_id")]
    elif len(columns) == 1:
        base = f"{columns[0]}_{target}"
    else:
        base = target
    return unique_name(base, taken)
