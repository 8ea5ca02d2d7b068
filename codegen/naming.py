"""All naming in one collision-safe place: JSON names, Python identifiers, classes, modules, paths."""

from __future__ import annotations

import keyword
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from pydantic import BaseModel

if TYPE_CHECKING:
    from codegen.spec.model import Spec

# What each kind of generated module binds itself (imports, module constants, the locals of its
# functions) and the builtins it annotates with or calls. A name from the source that becomes an
# identifier in such a module must be none of these, or it hides one: a column `text` hides
# `sqlalchemy.text` in its model's class body, a path parameter `handlers` the handlers module.
# tests/test_naming.py renders projects of every kind and fails when a module binds a name missing here.
_PYTHON_TYPES = frozenset({"Any", "Decimal", "Literal", "UUID", "date", "datetime", "time", "timedelta"})
_BUILTINS_USED = frozenset({"bool", "bytes", "dict", "float", "int", "isinstance", "list", "str", "tuple"})
MODEL_MODULE = _PYTHON_TYPES | _BUILTINS_USED | frozenset({
    "annotations", "Base", "Mapped", "mapped_column", "text", "FetchedValue", "ForeignKey",
    "ForeignKeyConstraint", "PrimaryKeyConstraint", "UniqueConstraint", "CheckConstraint", "Enum", "ARRAY",
    "Integer", "SmallInteger", "BigInteger", "String", "Text", "Boolean", "Float", "Numeric", "Date",
    "DateTime", "Time", "Interval", "Uuid", "JSON", "LargeBinary", "NullType", "UuidText", "SqliteDateTime",
    "SqliteDate", "SqliteTime", "MysqlTime", "MysqlFloat", "SqliteNumeric", "SqliteBoolean", "SqliteJSON",
    "VARBINARY", "AsText", "AsNumber", "AsWkt", "sa", "sqlalchemy",
})
SCHEMA_MODULE = _PYTHON_TYPES | _BUILTINS_USED | frozenset({
    "annotations", "AnyText", "ClassVar", "Field", "LocalDateTime", "LocalTime", "ReadSchema", "WriteSchema",
    "UpdateSchema", "required", "pydantic",
})
ROUTE_MODULE = _PYTHON_TYPES | _BUILTINS_USED | frozenset({
    "annotations", "APIRouter", "Annotated", "Answer", "BaseModel", "Blueprint", "Body", "JSONResponse",
    "NULLABLE", "OPENAPI_CREATE", "OPENAPI_DELETE", "OPENAPI_WRITE", "OPTIONAL", "PREFIX", "Path", "Query",
    "Header", "Cookie", "ReadAccess", "WriteAccess", "Request", "Resource", "Response", "SessionDep",
    "Base64Key",
    "SkipValidation", "blueprint", "components", "conditions", "contract_params", "endpoint", "get_session",
    "get_settings", "item_key", "item_response", "no_content", "operation", "page_response", "query_params",
    "request", "resource", "responses", "router", "shaped", "stored_response", "validate_as", "validate_body",
    # the locals of route functions, beside which key and path parameters sit
    "accept", "body", "checks", "headers", "item", "items", "key", "page", "params", "row", "rows", "session",
    "values", "where", "response", "BeforeValidator",
})
OPERATION_MODULE = _PYTHON_TYPES | _BUILTINS_USED | frozenset({
    "annotations", "APIRouter", "Annotated", "Blueprint", "Path", "Query", "Header", "Cookie", "RawBody",
    "ReadAccess", "WriteAccess", "Response", "NotImplementedOperation", "blueprint", "call", "components",
    "endpoint", "handlers", "read_body", "router", "raw", "body", "request", "session", "BeforeValidator",
})
# The package modules that import every resource module by its bare name.
PACKAGE_MODULE = frozenset({"annotations", "APIRouter", "Blueprint", "ROUTERS", "BLUEPRINTS"})
# Files a resource module sits beside (app/schemas/base.py, tests/test_policy.py...).
MODULE_FILES = frozenset({"base", "deps", "policy", "operations", "openapi_document", "samples", "tables",
                          "credentials", "conftest"})
# Names the generated module of an API description's models imports or declares.
MODEL_RESERVED = frozenset(
    {
        "Annotated", "Any", "ApiModel", "BaseModel", "ConfigDict", "Discriminator", "Field", "Literal",
        "Tag", "UUID", "date", "datetime", "time", "discriminate", "Union", "ClassVar", "Callable",
        "parse_scalar",
    }
)
# Attributes of pydantic's BaseModel and of SQLAlchemy's declarative classes: a field of either
# name shadows a method or breaks the mapping.
PYDANTIC_NAMES = frozenset(name for name in dir(BaseModel) if not name.startswith("_"))
DECLARATIVE_NAMES = frozenset({"metadata", "registry", "type_annotation_map", "query"})
KEYWORDS = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist)
# A field's Python attribute names a column of a model, a field of its schemas and a key parameter of
# its routes; an operation parameter's, a parameter of an operation's route and handler.
RESERVED_ATTRIBUTES = (MODEL_MODULE | SCHEMA_MODULE | ROUTE_MODULE | PYDANTIC_NAMES | DECLARATIVE_NAMES
                       | KEYWORDS)
RESERVED_PARAMETERS = ROUTE_MODULE | OPERATION_MODULE | KEYWORDS
# An operation's function is a route of an operations module or, where it serves a resource, of the
# resource's routes module.
RESERVED_FUNCTIONS = OPERATION_MODULE | ROUTE_MODULE | KEYWORDS
# A field of a model of an API description's components (app/components.py).
RESERVED_MODEL_FIELDS = SCHEMA_MODULE | MODEL_RESERVED | PYDANTIC_NAMES | KEYWORDS
# Class names: the PascalCase names any module a resource's classes appear in binds.
RESERVED_CLASSES = frozenset(
    name for name in MODEL_MODULE | SCHEMA_MODULE | ROUTE_MODULE | MODEL_RESERVED if name[:1].isupper()
) | frozenset({"TestClient", "FlaskClient"})
# The classes each resource adds to its schema and routes modules: `Album` gives `AlbumRead`...
CLASS_SUFFIXES = ("", "Base", "Create", "Replace", "Update", "Read", "Page", "Expanded")
# The route functions of a resource: `get_album`...
ROUTE_VERBS = ("list", "get", "create", "replace", "update", "delete")

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


def identifier_part(text: str) -> str:
    """`text` as it can stand after a prefix in an identifier (`list_x_by_<part>`): never empty."""
    return _identifier_text(text) or "x"


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


def allocate(keys: Sequence[tuple[str, ...]], make: Callable[[tuple[str, ...], list[str]], str],
             taken: Iterable[str] = ()) -> list[str]:
    """`make(key, taken)` for each key, given out in an order of the keys themselves, not of the list.

    A description's paths, parameters and properties are mappings: listed in another order, the same
    names still get the same identifiers (`a_b` stays `a_b` and `a-b` becomes `a_b_2`, wherever each
    is written). Keys whose first member is already what `make` makes of it go first, then by key.
    """
    pool = list(taken)
    made: dict[int, str] = {}
    for index in sorted(range(len(keys)), key=lambda i: (make(keys[i], []) != keys[i][0], keys[i])):
        made[index] = make(keys[index], pool)
        pool.append(made[index])
    return [made[index] for index in range(len(keys))]


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


def class_name(name: str, taken: Iterable[str], reserved: frozenset[str] = RESERVED_CLASSES) -> str:
    """A PascalCase class name that is none of `reserved` (what the generated modules import)."""
    ident = _identifier_text(pascal_case(name)) or "Resource"
    if ident[0].isdigit():
        ident = f"T{ident}"
    if ident in reserved or keyword.iskeyword(ident):
        ident = f"{ident}Record"
    return unique_name(ident, taken, separator="")


def resource_class_name(name: str, taken: Iterable[str]) -> str:
    """The class name of a resource, whose classes (`X`, `XRead`, `XPage`...) shadow nothing the generated
    modules import and meet no class of a resource named earlier (`taken`: `Album` and `AlbumRead`)."""
    ident = _identifier_text(pascal_case(name)) or "Resource"
    if ident[0].isdigit():
        ident = f"T{ident}"
    if any(f"{ident}{suffix}" in RESERVED_CLASSES for suffix in CLASS_SUFFIXES) or keyword.iskeyword(ident):
        ident = f"{ident}Record"
    used = {f"{other}{suffix}" for other in taken for suffix in CLASS_SUFFIXES}
    counter, candidate = 2, ident
    while any(f"{candidate}{suffix}" in used for suffix in CLASS_SUFFIXES):
        candidate, counter = f"{ident}{counter}", counter + 1
    return candidate


def route_stem(resource: str) -> str:
    """What a resource's route functions are named after: `album` (`list_album`, `get_album`...), unless
    such a name is one a routes module imports (`get_settings` for a table `settings`)."""
    stem = resource
    while any(f"{verb}_{stem}" in ROUTE_MODULE for verb in ROUTE_VERBS):
        stem = f"{stem}_resource"
    return stem


def module_name(name: str, taken: Iterable[str]) -> str:
    """A module file name (without .py): a snake identifier that is not a keyword."""
    ident = _identifier_text(snake_case(name)) or "resource"
    if ident[0].isdigit():
        ident = f"t_{ident}"
    if keyword.iskeyword(ident) or ident in MODULE_FILES | PACKAGE_MODULE:
        ident = f"{ident}_"
    return unique_name(ident, taken)


# Paths every generated project answers itself (the service's and the documentation's).
RESERVED_PATHS = frozenset({"/healthz", "/livez", "/readyz", "/metrics", "/docs", "/openapi.json", "/redoc"})
# Blueprint names a Flask project registers itself: a resource's blueprint is named otherwise.
RESERVED_BLUEPRINTS = frozenset({"openapi", "docs", "swagger_ui", "service", "static"})


def collection_path(table: str, schema: str | None, taken: Iterable[str]) -> str:
    """`/invoice-line`, or `/sales/order` for a table of a non-default schema; unique, and none of the
    paths the project answers itself (a table `docs` is served at `/docs-2`)."""
    segment = kebab_case(table) or "resource"
    path = f"/{kebab_case(schema)}/{segment}" if schema else f"/{segment}"
    return unique_name(path, [*taken, *RESERVED_PATHS], separator="-")


def blueprint_name(resource: str) -> str:
    """The Flask blueprint of a resource: its name, unless the project registers a blueprint of it."""
    return f"{resource}_resource" if resource in RESERVED_BLUEPRINTS else resource


def relation_name(columns: list[str], target: str, taken: Iterable[str]) -> str:
    """Name of a many-to-one relation: `artist_id` -> `artist`, else `<column>_<target>`."""
    if len(columns) == 1 and columns[0].endswith("_id") and len(columns[0]) > 3:
        base = columns[0][: -len("_id")]
    elif len(columns) == 1:
        base = f"{columns[0]}_{target}"
    else:
        base = target
    return unique_name(base, taken)


def misnamed(spec: Spec) -> list[str]:
    """`/json/pointer: message` for each name of a (hand-edited) spec that generated code cannot use as
    it is: an attribute, parameter, function, class or module name that is no identifier, repeats one of
    its kind, or is reserved because the module it lands in uses it (see RESERVED_ATTRIBUTES...)."""
    found: list[str] = []

    def check(pointer: str, value: str, reserved: frozenset[str], taken: set[str], what: str) -> None:
        if not value.isidentifier() or keyword.iskeyword(value):
            found.append(f"{pointer}: {value!r} is not a Python identifier")
        elif value in reserved:
            found.append(f"{pointer}: {value!r} is a name generated code uses itself for {what}; "
                         "choose another")
        elif value in taken:
            found.append(f"{pointer}: {value!r} is used twice")
        taken.add(value)

    classes: set[str] = set()
    modules: set[str] = set()
    for r_index, resource in enumerate(spec.resources):
        at = f"/resources/{r_index}"
        check(f"{at}/class_name", resource.class_name, RESERVED_CLASSES, classes, "a class")
        check(f"{at}/module", resource.module, MODULE_FILES | PACKAGE_MODULE, modules, "a module")
        attributes: set[str] = set()
        for f_index, field in enumerate(resource.fields):
            check(f"{at}/fields/{f_index}/attribute", field.attribute, RESERVED_ATTRIBUTES, attributes,
                  "its models, schemas and routes")
    functions: set[str] = set()
    for o_index, operation in enumerate(spec.operations):
        at = f"/operations/{o_index}"
        if operation.function:
            check(f"{at}/function", operation.function, RESERVED_FUNCTIONS, functions,
                  "its operation modules")
        parameters: set[str] = set()
        for p_index, parameter in enumerate(operation.parameters):
            if parameter.attribute:
                check(f"{at}/parameters/{p_index}/attribute", parameter.attribute, RESERVED_PARAMETERS,
                      parameters, "its routes")
    return found
