"""The template context of a project generated from an API description: operations, models, document.

Added to the project context by `add_api_context`; a database project gets `api: null`,
`operation_groups: []` and `resource.api: null`, so its templates render as before.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from codegen.render.layout import Call, assign_list, fit, lay_out
from codegen.render.api_models import ModelBuilder
from codegen.render.api_routes import Operations, Target, resource_routes
from codegen.render.pyliteral import py_str
from codegen.render.types import portable_default, sqlalchemy_type
from codegen.schemas import deref, is_json, object_shape, types_of
from codegen.spec.model import Field, LogicalType, Operation, Resource, Response, Spec

Context = dict[str, Any]
_TOKEN = re.compile(r"\{([^{}/]+)\}")


# What every problem body holds, and the JSON type of each member (`errors` only in 422s: `{loc, msg}` items).
_PROBLEM_MEMBERS = {"type": "string", "title": "string", "status": "integer", "detail": "string", "errors": "array"}


def _holds_problem_member(name: str, schema: Mapping[str, Any], models: Mapping[str, Any]) -> bool:
    """Whether a documented property accepts what the problem body already has under its name."""
    kinds = [k for k in types_of(schema) if k != "null"]
    if isinstance(schema.get("enum"), list) or "const" in schema:
        return False
    wanted = _PROBLEM_MEMBERS[name]
    if kinds and wanted not in kinds and not (wanted == "integer" and "number" in kinds):
        return False
    if name != "errors" or not schema.get("items"):
        return True
    shape = object_shape(schema["items"], models)
    if shape is None:
        return False
    properties, required = shape
    fits = {"loc": "array", "msg": "string"}
    return set(required) <= set(fits) and deref(schema["items"], models).get("additionalProperties") is not False \
        and all(not types_of(deref(properties[n], models)) or fits[n] in types_of(deref(properties[n], models))
                for n in fits if n in properties)


def _extras(schema: Mapping[str, Any], models: Mapping[str, Any]) -> dict[str, Any] | None:
    """Members a problem body needs to validate against a documented error schema: those it lacks, and
    those it has in another type than documented (a `status` that is a string, `errors` of other items)."""
    shape = object_shape(schema, models)
    if shape is None:
        return None
    properties, required = shape
    extras: dict[str, Any] = {}
    for name, prop in properties.items():
        resolved = deref(prop, models)
        kinds = [k for k in types_of(resolved) if k != "null"]
        enum = [resolved["const"]] if "const" in resolved else resolved.get("enum")
        collides = name in _PROBLEM_MEMBERS
        if collides and _holds_problem_member(name, resolved, models):
            continue
        if isinstance(enum, list) and enum:
            extras[name] = enum[0]
        elif kinds and kinds[0] in ("integer", "number"):
            extras[name] = "$status"
        elif kinds and kinds[0] == "string":
            extras[name] = "$detail"
        elif name in required or collides:
            extras[name] = {"boolean": False, "array": [], "object": {}}.get(kinds[0] if kinds else "", None)
    return extras


def _shape(response: Response, models: Mapping[str, Any]) -> list[Any] | None:
    if not response.content:
        return None
    kinds = [m.media_type for m in response.content]
    if "application/problem+json" in kinds:
        media = next(m for m in response.content if m.media_type == "application/problem+json")
    else:
        media = next((m for m in response.content if is_json(m.media_type) and "*" not in m.media_type),
                     response.content[0])
    if not is_json(media.media_type) or "*" in media.media_type:
        return [media.media_type, None]
    return [media.media_type, _extras(media.schema_, models) or {}]


def error_shapes(spec: Spec, models: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Per operationId and status (`404`, `4XX`, `default`): the media type and members errors take."""
    result: dict[str, dict[str, Any]] = {}
    for operation in spec.operations:
        shapes = {r.status: _shape(r, models) for r in operation.responses if not r.status.startswith(("1", "2", "3"))}
        kept = {status: shape for status, shape in shapes.items() if shape is not None}
        if kept:
            result[operation.operation_id] = kept
    return result


def _migration(spec: Spec) -> list[Context]:
    """Per table: its name, `create` (the `op.create_table` call) and `drop`, laid out as black would."""
    tables = []
    for resource in spec.resources:
        columns = [_column(resource, field) for field in resource.fields]
        create = fit("op.create_table(", [py_str(resource.table), *columns], ")", 4)
        drop = lay_out(Call("op.drop_table(", (py_str(resource.table),)), 4)
        tables.append({"name": resource.table, "create": create, "drop": drop})
    return tables


def _column(resource: Resource, field: Field) -> Call:
    args: list[str | Call] = [py_str(field.column), _column_type(field)]
    if field.name in resource.primary_key:
        args.append("primary_key=True")
        args.append("autoincrement=True" if field.autoincrement else "autoincrement=False")
    args.append(f"nullable={field.nullable and field.name not in resource.primary_key}")
    default = portable_default(field)
    if default is not None:
        args.append(Call("server_default=sa.text(", (py_str(default),)))
    return Call("sa.Column(", tuple(args))


def _column_type(field: Field) -> str | Call:
    """`sa.` and the column type; a native enum as a call (black may give its values lines of their own)."""
    if field.type is LogicalType.ENUM and field.native_enum and field.enum_values:
        name = (f"name={py_str(field.enum_name)}",) if field.enum_name else ()
        return Call("sa.Enum(", (*(py_str(value) for value in field.enum_values), *name))
    return "sa." + sqlalchemy_type(field).expr


def _sample(schema: Mapping[str, Any], models: Mapping[str, Any]) -> str | None:
    """A path segment the parameter's schema accepts, or None when none is easy to know."""
    schema = deref(schema, models)
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return str(schema["enum"][0])
    kinds = [k for k in types_of(schema) if k != "null"]
    if kinds and kinds[0] in ("integer", "number"):
        low = schema.get("minimum", 1)
        return str(int(low) + 1 if schema.get("exclusiveMinimum") is not None else int(low))
    formats = {"uuid": "00000000-0000-0000-0000-000000000001", "date": "2020-01-01",
               "date-time": "2020-01-01T00:00:00Z"}
    if schema.get("format") in formats:
        return formats[str(schema["format"])]
    if "pattern" in schema or (kinds and kinds[0] not in ("string", "boolean")):
        return None
    return "true" if kinds == ["boolean"] else "x" * max(1, int(schema.get("minLength", 1)))


def _described_sample(resource: Resource, fields: list[Context], models: Mapping[str, Any]) -> list[Context]:
    """Sample body members, less optional ones only the description can shape (JSON, patterns)."""
    # The description's own schema checks every create body (validate_as).
    properties = (object_shape({"$ref": f"#/components/schemas/{resource.schema_name}"}, models) or ({}, []))[0]
    result = []
    for entry in fields:
        field = resource.field(entry["name"])
        shaped = field.type is LogicalType.JSON or "pattern" in deref(properties.get(field.name, {}), models)
        if not (shaped and field.nullable):
            result.append(entry)
    return result


def operation_tests(spec: Spec, models: Mapping[str, Any]) -> list[Context]:
    """Per operation no resource serves: a request and the status it must get (501, or 422 without inputs)."""
    tests = []
    for operation in spec.operations:
        if operation.resource is not None:
            continue
        values = {p.name: _sample(p.schema_, models) for p in operation.parameters if p.location == "path"}
        if any(v is None for v in values.values()):
            continue
        path = _TOKEN.sub(lambda m: str(values.get(m.group(1), m.group(1))), operation.path)
        needs = any(p.required and p.location != "path" for p in operation.parameters) or bool(
            operation.request_body and operation.request_body.required)
        tests.append({"operation_id": operation.operation_id, "method": operation.method,
                      "url": (spec.api.base_path if spec.api else "") + path, "status": 422 if needs else 501})
    return tests


# Keys no test row has, tried in turn against the item path parameter's schema (its pattern, lengths).
_MISSING_STRINGS = ("missing", "zzzz", "0", "9999", "ffffffff-ffff-ffff-ffff-ffffffffffff", "Z" * 24,
                    "0" * 24, "f" * 24, "x", "missing-key-0")


def _missing_key(operations: list[Operation], models: Mapping[str, Any], default: str) -> str | None:
    """The item path suffix of the 404 test: a key the item path parameter's schema accepts (so that
    the answer is 404, not 422), or None when no candidate fits (the test then skips)."""
    get = next((o for o in operations if o.crud == "get"), None)
    params = [p for p in get.parameters if p.location == "path"] if get else []
    if len(params) != 1:
        return default
    schema = deref(params[0].schema_, models)
    kinds = [k for k in types_of(schema) if k != "null"]
    if kinds and kinds[0] in ("integer", "number"):
        high = schema.get("maximum", schema.get("exclusiveMaximum", 2147483647) - 1)
        low = schema.get("minimum", schema.get("exclusiveMinimum", -(2**31)) + 1)
        return f"/{int(high) - 1}" if int(high) - 1 >= low else None
    if schema.get("format") == "uuid":
        return "/ffffffff-ffff-ffff-ffff-ffffffffffff"
    pattern = schema.get("pattern")
    for candidate in _MISSING_STRINGS:
        length_ok = schema.get("minLength", 0) <= len(candidate) <= schema.get("maxLength", 10**6)
        if length_ok and (not isinstance(pattern, str) or _searches(pattern, candidate)):
            return "/" + candidate
    return None


def _searches(pattern: str, value: str) -> bool:
    try:
        return re.search(pattern, value) is not None
    except re.error:
        return False


def add_api_context(spec: Spec, context: Context) -> Context:
    """`api`, `operation_groups` and each resource's `api`: null and empty for a database project."""
    context["operation_groups"] = []
    for entry in context["resources"]:
        entry["api"] = None
    if spec.api is None:
        context["api"] = None
        return context
    from codegen.render.api_document import dump_json, openapi_document

    builder = ModelBuilder(spec.models)
    target = Target(context["target"])
    by_name = {entry["name"]: entry for entry in context["resources"]}
    served: dict[str | None, list[Operation]] = {}
    for operation in spec.operations:
        served.setdefault(operation.resource, []).append(operation)
    for resource in spec.resources:
        entry = by_name[resource.name]
        entry["api"] = resource_routes(spec, resource, builder, target, served.get(resource.name, []))
        entry["sample"]["fields"] = _described_sample(resource, entry["sample"]["fields"], builder.models)
        entry["missing_path"] = _missing_key(served.get(resource.name, []), builder.models, entry["missing_path"])
    context["operation_groups"] = Operations(spec, builder, target).groups()
    shapes = error_shapes(spec, builder.models)
    context["api"] = {
        "title": str(spec.api.info.get("title") or spec.name),
        "version": str(spec.api.info.get("version") or "0.1.0"),
        "base_path": spec.api.base_path,
        "components": builder.context(),
        "document": dump_json(openapi_document(spec, context["auth"])),
        "error_shapes": dump_json(shapes),
        "tables": _migration(spec),
        "operation_ids": [o.operation_id for o in spec.operations],
        "operation_ids_code": assign_list("OPERATION_IDS", [py_str(o.operation_id) for o in spec.operations]),
        "operation_tests": operation_tests(spec, builder.models),
    }
    return context
