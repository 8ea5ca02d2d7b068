"""The intermediate API spec: frozen, typed, versioned records between every source and target."""

from __future__ import annotations

from enum import Enum
from typing import Literal

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
    native_enum: bool = False
    item_type: LogicalType | None = None
    default: str | None = None
    autoincrement: bool = False
    identity: bool = False
    comment: str | None = None
    read_only: bool = False
    hidden: bool = False
    personal_data: bool = False

    @property
    def generated(self) -> bool:
        """True when the database fills the value on insert (autoincrement or identity)."""
        return self.autoincrement or self.identity

    @property
    def optional_on_create(self) -> bool:
        """True when a create request may leave the field out."""
        return self.nullable or self.generated or self.default is not None


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
    comment: str | None = None

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
    """An operation parameter of an OpenAPI source."""

    name: str
    location: Literal["path", "query", "header", "cookie"]
    required: bool = False
    schema_: dict[str, object] = PydanticField(default_factory=dict, alias="schema")

    model_config = ConfigDict(populate_by_name=True)


class Operation(Record):
    """An operation of an OpenAPI source that is not plain CRUD over a resource."""

    operation_id: str
    method: str
    path: str
    tags: list[str] = []
    summary: str | None = None
    parameters: list[Parameter] = []
    request_body: dict[str, object] | None = None
    responses: dict[str, dict[str, object]] = {}
    resource: str | None = None


class EtlJob(Record):
    """An ETL job moving one resource into an analytics destination."""

    name: str
    resource: str
    mode: Literal["full", "incremental"] = "full"
    cursor: str | None = None
    write_disposition: Literal["replace", "append", "merge"] = "replace"
    batch_size: int = 50_000
    schedule: str | None = None


class Spec(Record):
    """The whole intermediate spec: the one contract between sources and targets."""

    spec_version: Literal["1"]
    name: str
    source: Source
    resources: list[Resource] = []
    operations: list[Operation] = []
    etl: list[EtlJob] = []
    diagnostics: list[Diagnostic] = []

    def resource(self, name: str) -> Resource:
        """The resource called `name`; KeyError when there is none."""
        for resource in self.resources:
            if resource.name == name:
                return resource
        raise KeyError(name)
