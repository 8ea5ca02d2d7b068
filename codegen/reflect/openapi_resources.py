"""Find resources in an API description: a collection path and an item path over one schema.

`/pets` (GET: an array of Pet, POST: a Pet or a subset of it) with `/pets/{petId}` (GET: a Pet,
PUT/PATCH/DELETE) over component schema `Pet` becomes a resource the generated project keeps
in its own database; its key is the field the item path parameter names (`petId` -> `id`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from codegen import naming
from codegen.sample_values import pick_expr
from codegen.schemas import deref, json_schema_of, object_shape, ref_name, types_of
from codegen.spec.model import Diagnostic, Field, LogicalType, Model, Operation, Resource

_ITEM = re.compile(r"^(?P<collection>/[^{}]*?)/\{(?P<param>[^{}/]+)\}$")
_SCALARS = {"integer", "number", "string", "boolean"}
_STRING_FORMATS = {"date": LogicalType.DATE, "uuid": LogicalType.UUID}
# The generated tests' samples (tests/values.py) of string formats the description's models validate: the
# column keeps the text a client sends, the model checks it.
_FORMAT_SAMPLES = {"date-time": "moment(n, tz=True)", "time": "clock(n)"}
_Shape = tuple[dict[str, Any], list[str]]


def _success(operation: Operation) -> Any:
    for response in operation.responses:
        if response.status.startswith("2"):
            return response
    return None


def _response_schema(operation: Operation) -> Mapping[str, Any] | None:
    response = _success(operation)
    return json_schema_of(response.content) if response is not None else None


def _body_schema(operation: Operation) -> Mapping[str, Any] | None:
    body = operation.request_body
    return json_schema_of(body.content) if body is not None else None


@dataclass
class _Candidate:
    collection: str
    item: str
    param: str
    schema: str | None = None
    roles: dict[str, Operation] = field(default_factory=dict)


class _Finder:
    def __init__(self, operations: list[Operation], models: list[Model]) -> None:
        self.operations = operations
        self.models = {m.name: m.schema_ for m in models}

    def _list_item(self, schema: Mapping[str, Any] | None) -> str | None:
        """The model an array response holds (a bare array, or a named array schema)."""
        if schema is None:
            return None
        schema = deref(schema, self.models) if ref_name(schema) and "items" not in schema else schema
        if types_of(schema) != ["array"] or not isinstance(schema.get("items"), dict):
            return None
        return ref_name(schema["items"])

    def _subset(self, body: Mapping[str, Any] | None, model: str) -> bool:
        if body is None:
            return False
        if ref_name(body) == model:
            return True
        inner, outer = object_shape(body, self.models), object_shape({"$ref": f"#/components/schemas/{model}"},
                                                                     self.models)
        return inner is not None and outer is not None and set(inner[0]) <= set(outer[0]) and bool(inner[0])

    def _only_key_required(self, operation: Operation, allowed: set[str]) -> bool:
        return all(not p.required or (p.location == "path" and p.name in allowed) for p in operation.parameters)

    @staticmethod
    def _answers_item(operation: Operation, model: str) -> bool:
        """Whether a write answers what a resource's write does: the item, or nothing (not another schema)."""
        response = _success(operation)
        schema = json_schema_of(response.content) if response is not None and response.content else None
        return not schema or ref_name(schema) == model

    def candidates(self) -> list[_Candidate]:
        by_path: dict[str, dict[str, Operation]] = {}
        for operation in self.operations:
            by_path.setdefault(operation.path, {})[operation.method] = operation
        found = []
        for path in by_path:
            match = _ITEM.match(path)
            if match is None or match["collection"] not in by_path or "{" in match["collection"]:
                continue
            found.append(self._candidate(match["collection"], path, match["param"], by_path))
        return [c for c in found if c.schema is not None and len(c.roles) >= 2]

    def _candidate(self, collection: str, item: str, param: str,
                   by_path: dict[str, dict[str, Operation]]) -> _Candidate:
        candidate = _Candidate(collection, item, param)
        outer, inner = by_path[collection], by_path[item]
        got = ref_name(_response_schema(inner["get"]) or {}) if "get" in inner else None
        listed = self._list_item(_response_schema(outer["get"])) if "get" in outer else None
        model = got or listed
        if model is None or (got and listed and got != listed) or object_shape({"$ref": "#/components/schemas/"
                                                                                 + model}, self.models) is None:
            return candidate
        candidate.schema = model
        if listed == model and self._only_key_required(outer["get"], set()):
            candidate.roles["list"] = outer["get"]
        if got == model and self._only_key_required(inner["get"], {param}):
            candidate.roles["get"] = inner["get"]
        post = outer.get("post")
        if post and self._subset(_body_schema(post), model) and self._only_key_required(post, set()) and \
                self._answers_item(post, model):
            candidate.roles["create"] = post
        for method, role in (("put", "replace"), ("patch", "update")):
            operation = inner.get(method)
            if operation and self._subset(_body_schema(operation), model) and \
                    self._only_key_required(operation, {param}) and self._answers_item(operation, model):
                candidate.roles[role] = operation
        delete = inner.get("delete")
        if delete and self._only_key_required(delete, {param}) and self._answers_item(delete, model):
            candidate.roles["delete"] = delete
        return candidate


def _key_property(param: str, model: str, properties: Mapping[str, Any]) -> str | None:
    """The property an item path parameter names: itself, `petId` -> `id`, or the only `id`."""
    if param in properties:
        return param
    snake = naming.snake_case(param)
    prefix = naming.snake_case(model) + "_"
    for name in properties:
        if naming.snake_case(name) in (snake, snake.removeprefix(prefix)):
            return str(name)
    if "id" in properties and snake.endswith("id"):
        return "id"
    return None


def _logical(schema: Mapping[str, Any], models: Mapping[str, Any]) -> tuple[LogicalType, str, list[str]]:
    """The logical type, the source type text, and enum values of a property."""
    schema = deref(schema, models)
    kinds = [k for k in types_of(schema) if k != "null"]
    fmt = str(schema.get("format") or "")
    enum = [v for v in schema.get("enum") or [] if v is not None]
    if len(kinds) != 1 or kinds[0] not in _SCALARS:
        return LogicalType.JSON, "json", []
    kind = kinds[0]
    text = f"{kind}({fmt})" if fmt else kind
    if kind == "integer":
        return (LogicalType.BIG_INTEGER if fmt == "int64" else LogicalType.INTEGER), text, []
    if kind == "number":
        return LogicalType.FLOAT, text, []
    if kind == "boolean":
        return LogicalType.BOOLEAN, text, []
    if enum and all(isinstance(v, str) for v in enum):
        return LogicalType.ENUM, text, [str(v) for v in enum]
    return _STRING_FORMATS.get(fmt, LogicalType.STRING), text, []


def _default(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return None


def _field(prop: str, schema: Mapping[str, Any], required: bool, key: bool, models: Mapping[str, Any],
           names: tuple[str, str]) -> Field:
    kind, text, enum = _logical(schema, models)
    resolved = deref(schema, models)
    nullable = not required or "null" in types_of(resolved)
    if key and kind is LogicalType.BIG_INTEGER:
        kind = LogicalType.INTEGER  # SQLite fills only an INTEGER primary key
    attribute, column = names
    description = resolved.get("description") or schema.get("description")
    return Field(
        name=prop, attribute=attribute, column=column, type=kind, db_type=text,
        nullable=nullable and not key,
        length=resolved.get("maxLength") if kind is LogicalType.STRING else None,
        enum_values=enum,
        default=None if key else _default(resolved.get("default")),
        autoincrement=key and kind is LogicalType.INTEGER and not required,
        comment=str(description).strip().splitlines()[0] if isinstance(description, str) and description.strip()
        else None,
        read_only=bool(resolved.get("readOnly") or schema.get("readOnly")) and not key,
        hidden=bool(resolved.get("writeOnly") or schema.get("writeOnly")),
        sample=_sample(resolved, kind),
    )


def _sample(schema: Mapping[str, Any], kind: LogicalType) -> str | None:
    """The generated tests' sample of a property whose schema its type's default would not satisfy: a
    constant or an enum of numbers (a string enum is an ENUM field), a string format the models check."""
    values = [schema["const"]] if "const" in schema else [v for v in schema.get("enum") or [] if v is not None]
    if values and kind is not LogicalType.ENUM and all(isinstance(v, (str, int, float, bool)) for v in values):
        return pick_expr(values)
    return _FORMAT_SAMPLES.get(str(schema.get("format"))) if kind is LogicalType.STRING else None


def _body_shape(operation: Operation | None, models: Mapping[str, Any]) -> _Shape | None:
    """(properties, required) of an operation's JSON body, None without an object body."""
    body = _body_schema(operation) if operation is not None else None
    return object_shape(body, models) if body is not None else None


def _sent(shape: _Shape, models: Mapping[str, Any]) -> set[str]:
    """The members a request body must have: the required ones that are not `readOnly`."""
    properties, required = shape

    def read_only(schema: Mapping[str, Any]) -> bool:
        return bool(schema.get("readOnly") or deref(schema, models).get("readOnly"))

    return {name for name in required if not read_only(properties.get(name, {}))}


def _written_roles(candidate: _Candidate, resource: Resource,
                   models: Mapping[str, Any]) -> dict[str, Operation]:
    """The candidate's roles, less a create or replace whose body may leave out what a stored item needs."""
    # Such a body stays the description's: the operation gets a handler instead of a stricter schema.
    roles = dict(candidate.roles)
    for role in ("create", "replace"):
        shape = _body_shape(roles.get(role), models)
        if shape is None:
            continue
        given = _sent(shape, models)
        exempt = set(resource.primary_key) if role == "replace" else set()
        if any(not f.optional_on_create and (f.read_only or f.name not in given) and f.name not in exempt
               for f in resource.fields):
            del roles[role]
    return roles


def _resource(candidate: _Candidate, models: Mapping[str, Any], names: list[str], classes: list[str],
              modules: list[str]) -> Resource | None:
    assert candidate.schema is not None
    shape = object_shape({"$ref": "#/components/schemas/" + candidate.schema}, models)
    if shape is None:
        return None
    properties, required = shape
    key = _key_property(candidate.param, candidate.schema, properties)
    if key is None or _logical(properties[key], models)[0] not in (LogicalType.INTEGER, LogicalType.BIG_INTEGER,
                                                                    LogicalType.STRING, LogicalType.UUID):
        return None
    # The key is generated where the create body may leave it out, whatever the stored item requires.
    create = _body_shape(candidate.roles.get("create"), models)
    key_required = key in _sent(create if create is not None else shape, models)
    keys = [(str(p),) for p in properties]
    attributes = naming.allocate(keys, lambda key, taken: naming.python_identifier(key[0], taken))
    columns = naming.allocate(keys, lambda key, taken: naming.unique_name(naming.snake_case(key[0]) or "column", taken))
    fields = [_field(str(p), s, key_required if p == key else p in required, p == key, models, names)
              for (p, s), names in zip(properties.items(), zip(attributes, columns, strict=True), strict=True)]
    name = naming.unique_name(naming.snake_case(candidate.schema) or "resource", names)
    return Resource(
        name=name, class_name=naming.resource_class_name(candidate.schema, classes),
        module=naming.module_name(name, modules),
        table=name, path=candidate.collection, primary_key=[key], fields=fields, schema_name=candidate.schema,
    )


def find_resources(
    operations: list[Operation], models: list[Model]
) -> tuple[list[Resource], list[Operation], list[Diagnostic]]:
    """Resources, the operations (those a resource serves marked with it and their role), diagnostics."""
    finder = _Finder(operations, models)
    resources: list[Resource] = []
    roles: dict[str, tuple[str, str]] = {}
    names: list[str] = []
    classes: list[str] = []
    modules: list[str] = []
    used: set[str] = set()
    found = finder.candidates()
    position: dict[str, int] = {}
    # Which path pair serves a schema, and the names resources get, do not depend on the order of the
    # description's paths; the resources are then listed in that order.
    for candidate in sorted(found, key=lambda c: (str(c.schema), c.collection, c.item)):
        if candidate.schema in used:
            continue
        resource = _resource(candidate, finder.models, names, classes, modules)
        if resource is None:
            continue
        used.add(str(candidate.schema))
        position[resource.name] = found.index(candidate)
        resources.append(resource)
        names.append(resource.name)
        classes.append(resource.class_name)
        modules.append(resource.module)
        for role, operation in _written_roles(candidate, resource, finder.models).items():
            roles[operation.operation_id] = (resource.name, role)
    resources.sort(key=lambda resource: position[resource.name])
    marked = [op.model_copy(update={"resource": roles[op.operation_id][0], "crud": roles[op.operation_id][1]})
              if op.operation_id in roles else op for op in operations]
    diagnostics = _diagnostics(marked, resources)
    return resources, marked, diagnostics


def _diagnostics(operations: list[Operation], resources: list[Resource]) -> list[Diagnostic]:
    by_name = {r.name: r for r in resources}
    result = []
    for operation in operations:
        if operation.crud != "list" or operation.resource is None:
            continue
        fields = {f.name for f in by_name[operation.resource].fields}
        for param in operation.parameters:
            if param.location == "query" and param.name not in fields | {"limit", "offset", "sort"} \
                    and param.name.removesuffix("s") not in fields:
                result.append(Diagnostic(level="info", where=operation.operation_id,
                                         message=f"query parameter {param.name!r} is accepted but does not filter"))
    return result
