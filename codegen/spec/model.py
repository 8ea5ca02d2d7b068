"""The intermediate API spec: frozen, typed, versioned records between every source and target."""

from __future__ import annotations

from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field as PydanticField

SPEC_VERSION = "1"


class Record(BaseModel):
    """Base of every spec record: immutable, no unknown keys, keys in declaration order."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)


class LogicalType(str, Enum):
    """Source-neutral column types; each target maps them with one table of its own."""

    STRING = "string"
    TEXT = "text"
    INTEGER = "integer"
    SMALL_INTEGER = "small_integer"
    BIG_INTEGER = "big_integer"
    BOOLEAN = "boolean"
    FLOAT = "float"
    DECIMAL = "decimal"
    DATE = "date"
    DATETIME = "datetime"
    TIME = "time"
    INTERVAL = "interval"
    UUID = "uuid"
    JSON = "json"
    BINARY = "binary"
    ENUM = "enum"
    ARRAY = "array"
    UNKNOWN = "unknown"


class Diagnostic(Record):
    """Something the reflector could not map exactly, kept in the spec for a human to read."""

    level: Literal["info", "warning"] = "warning"
    where: str
    message: str


class Source(Record):
    """Where the spec came from; never holds a credential."""

    kind: Literal["database", "openapi", "spec"]
    url: str
    dialect: str | None = None
    schemas: list[str] = []
    include: list[str] = []
    exclude: list[str] = []


class Field(Record):
    """One column of a resource: its JSON name, Python attribute, source column and type."""

    name: str
    attribute: str
    column: str
    type: LogicalType
    db_type: str
    nullable: bool = True
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    timezone: bool = False
    enum_values: list[str] = []
    enum_name: str | None = None
    enum_schema: str | None = None
    native_enum: bool = False
    item_type: LogicalType | None = None
    default: str | None = None
    autoincrement: bool = False
    identity: bool = False
    comment: str | None = None
    read_only: bool = False
    hidden: bool = False
    personal_data: bool = False
    # How the generated tests make a value for the field: a Python expression over the counter `n`
    # (helpers of the project's tests/values.py), chosen at reflection as one the table's CHECKs accept;
    # null: the type's own sample.
    sample: str | None = None

    @property
    def generated(self) -> bool:
        """True when the database fills the value on insert (autoincrement or identity)."""
        return self.autoincrement or self.identity

    @property
    def optional_on_create(self) -> bool:
        """True when a create request may leave the field out."""
        return self.nullable or self.generated or self.default is not None


class Check(Record):
    """A CHECK constraint of a table, its SQL as the database gives it."""

    name: str | None = None
    sql: str


class UniqueKey(Record):
    """A unique constraint or unique index, by field names."""

    name: str | None = None
    fields: list[str]


class Index(Record):
    """A non-unique index, by field names."""

    name: str | None = None
    fields: list[str]


class Relationship(Record):
    """A relation seen from one resource; fields are field names on each side."""

    name: str
    kind: Literal["many_to_one", "one_to_many", "many_to_many"]
    target: str
    fields: list[str]
    target_fields: list[str]
    through: str | None = None
    through_fields: list[str] = []
    through_target_fields: list[str] = []
    on_delete: str | None = None
    constraint: str | None = None


class Resource(Record):
    """A table or view served under one collection path."""

    name: str
    class_name: str
    module: str
    table: str
    db_schema: str | None = PydanticField(default=None, alias="schema")
    kind: Literal["table", "view", "materialized_view"] = "table"
    path: str
    read_only: bool = False
    primary_key: list[str] = []
    fields: list[Field]
    unique_keys: list[UniqueKey] = []
    indexes: list[Index] = []
    relationships: list[Relationship] = []
    checks: list[Check] = []
    comment: str | None = None
    schema_name: str | None = None
    # A view's SELECT, in the source's SQL: the generated tests create the view from it.
    definition: str | None = None
    # Why the generated tests cannot make rows the table's CHECKs accept (they skip creating rows).
    sample_blocker: str | None = None

    model_config = ConfigDict(populate_by_name=True)

    def field(self, name: str) -> Field:
        """The field called `name`; KeyError when there is none."""
        for field in self.fields:
            if field.name == name:
                return field
        raise KeyError(name)

    @property
    def key_fields(self) -> list[Field]:
        """The fields of the primary key, in key order."""
        return [self.field(name) for name in self.primary_key]


class Parameter(Record):
    """An operation parameter of an API description, its schema in JSON Schema 2020-12."""

    name: str
    location: Literal["path", "query", "header", "cookie"]
    attribute: str = ""
    required: bool = False
    description: str | None = None
    deprecated: bool = False
    style: str | None = None
    explode: bool | None = None
    schema_: dict[str, Any] = PydanticField(default_factory=dict, alias="schema")

    model_config = ConfigDict(populate_by_name=True)


class MediaType(Record):
    """One media type of a request or response body, with its schema (empty: any content)."""

    media_type: str
    schema_: dict[str, Any] = PydanticField(default_factory=dict, alias="schema")

    model_config = ConfigDict(populate_by_name=True)


class RequestBody(Record):
    """The body of an operation: one entry per media type it accepts."""

    required: bool = False
    description: str | None = None
    content: list[MediaType] = []


class Response(Record):
    """One documented response: a status code, `4XX`-style range or `default`."""

    status: str
    description: str = ""
    content: list[MediaType] = []
    headers: dict[str, dict[str, Any]] = {}


class Operation(Record):
    """An operation of an API description; `resource` and `crud` tie it to a resource it serves."""

    operation_id: str
    function: str = ""
    method: str
    path: str
    tags: list[str] = []
    summary: str | None = None
    description: str | None = None
    deprecated: bool = False
    parameters: list[Parameter] = []
    request_body: RequestBody | None = None
    responses: list[Response] = []
    security: list[dict[str, list[str]]] | None = None
    resource: str | None = None
    crud: Literal["list", "get", "create", "replace", "update", "delete"] | None = None


class Model(Record):
    """A named schema of an API description (names kept), in JSON Schema 2020-12."""

    name: str
    class_name: str
    schema_: dict[str, Any] = PydanticField(default_factory=dict, alias="schema")

    model_config = ConfigDict(populate_by_name=True)


class SecurityScheme(Record):
    """A security scheme of an API description, as OpenAPI 3 writes it."""

    name: str
    definition: dict[str, Any] = {}


class Api(Record):
    """What an API description says about itself: version read, info block, prefix, security."""

    openapi: str
    info: dict[str, Any] = {}
    base_path: str = ""
    servers: list[dict[str, Any]] = []
    tags: list[dict[str, Any]] = []
    security: list[dict[str, list[str]]] = []
    security_schemes: list[SecurityScheme] = []


class EtlTransform(Record):
    """One per-field transform of an ETL job, applied in order before checks and loading.

    `rename` (to: the new name), `cast` (to: a logical type), `trim` (strip whitespace), `drop`;
    `hash` (salted SHA-256, hex) and `mask` (every character becomes `*` but the last `keep`,
    shown only when they are less than half the value) are for personal data. A field marked `personal_data` is hashed when no transform of the job
    hashes, masks or drops it: it never reaches a destination in clear.
    """

    field: str
    op: Literal["rename", "cast", "trim", "drop", "hash", "mask"]
    to: str | None = None
    keep: int = 0


class EtlCheck(Record):
    """A data check of an ETL job and what a failure does.

    Row checks (`not_null`, `accepted_values`) look at every row read; table checks (`unique`,
    `row_count`, `freshness`) at the destination table after the load, before it is committed.
    `on_fail`: `fail` fails the job and commits nothing; `warn` loads and records a warning;
    `skip` rejects the offending rows (row checks) or skips this run's load (table checks).
    """

    check: Literal["not_null", "unique", "accepted_values", "row_count", "freshness"]
    fields: list[str] = []
    values: list[str] = []
    min_rows: int | None = None
    max_rows: int | None = None
    max_age_seconds: int | None = None
    on_fail: Literal["warn", "skip", "fail"] = "fail"


class EtlJob(Record):
    """An ETL job moving one resource into an analytics destination.

    `destination`: a DuckDB file or a database URL without a password; by default the project's
    `ETL_DESTINATION` (itself `etl.duckdb` by default). `table`: the destination table (default:
    the resource name). `incremental` reads rows whose `cursor` is at or above the last committed
    value (less `lookback_seconds` for a timestamp cursor) and at or below the high-water mark
    taken when the run starts; `merge` replaces rows by primary key, keeping one row per key.
    """

    name: str
    resource: str
    destination: str | None = None
    table: str | None = None
    mode: Literal["full", "incremental"] = "full"
    cursor: str | None = None
    lookback_seconds: int = 0
    write_disposition: Literal["replace", "append", "merge"] = "replace"
    batch_size: int = 50_000
    schedule: str | None = None
    transforms: list[EtlTransform] = []
    checks: list[EtlCheck] = []


class Spec(Record):
    """The whole intermediate spec: the one contract between sources and targets."""

    spec_version: Literal["1"]
    name: str
    source: Source
    api: Api | None = None
    resources: list[Resource] = []
    models: list[Model] = []
    operations: list[Operation] = []
    etl: list[EtlJob] = []
    diagnostics: list[Diagnostic] = []

    def resource(self, name: str) -> Resource:
        """The resource called `name`; KeyError when there is none."""
        for resource in self.resources:
            if resource.name == name:
                return resource
        raise KeyError(name)
