"""The template context of a project generated from an API description: operations, models, document.

Added to the project context by `add_api_context`; a database project gets `api: null`,
`operation_groups: []` and `resource.api: null`, so its templates render as before.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from codegen import naming
from codegen.render.api_models import ModelBuilder, constraint_args
from codegen.render.imports import Imports
from codegen.render.layout import fit
from codegen.render.pyliteral import py_str
from codegen.render.types import portable_default, sqlalchemy_type
from codegen.schemas import deref, is_json, object_shape, types_of
from codegen.spec.model import Field, LogicalType, Operation, Parameter, Resource, Response, Spec

Context = dict[str, Any]
_PARAM_CLASS = {"path": "Path", "query": "Query", "header": "Header", "cookie": "Cookie"}
_READS = ("get", "head", "options")
_TOKEN = re.compile(r"\{([^{}/]+)\}")
CONTRACT_PARAMS = ("limit", "offset", "sort")


def _docline(operation: Operation) -> str:
    text = operation.summary or operation.description or f"{operation.method.upper()} {operation.path}"
    line = text.strip().splitlines()[0].strip().replace("\\", "\\\\").replace('"""', "'''").rstrip('"')
    line = line if len(line) <= 72 else line[:69].rstrip() + "..."
    return line if line.endswith((".", "!", "?")) else line + "."


def _status(operation: Operation) -> tuple[int, bool]:
    """The first documented success status (200 when none) and whether it has a body."""
    for response in operation.responses:
        if response.status.isdigit() and response.status.startswith("2"):
            return int(response.status), bool(response.content) and response.status != "204"
    return 200, True


def _route_path(operation: Operation) -> str:
    attributes = {p.name: p.attribute for p in operation.parameters if p.location == "path"}
    return _TOKEN.sub(lambda m: "{" + attributes.get(m.group(1), m.group(1)) + "}", operation.path)


class _Signatures:
    """Typed parameters of routes and handlers, sharing the model builder."""

    def __init__(self, builder: ModelBuilder) -> None:
        self.builder = builder

    def param(self, operation: Operation, param: Parameter, imports: Imports, route: bool = True) -> Context:
        schema = param.schema_
        resolved = deref(schema, self.builder.models)
        kinds = [k for k in types_of(resolved) if k != "null"]
        hint = naming.pascal_case(f"{operation.function}_{param.attribute}") or "Parameter"
        annotation = self.builder.expr_outside(schema, hint, imports)
        scalar = len(kinds) == 1 and kinds[0] in ("string", "integer", "number", "boolean")
        listy = kinds == ["array"] and param.location == "query" and param.explode is not False
        if not (scalar or listy or annotation.startswith("Literal[")) or "components." in annotation:
            annotation = "str"
        args = constraint_args(resolved, kinds[0]) if scalar and annotation in ("str", "int", "float") else []
        if param.location in ("header", "cookie") or (param.location != "path" and param.attribute != param.name):
            args.insert(0, f"alias={py_str(param.name)}")
        helper = _PARAM_CLASS[param.location]
        if route:
            imports.update([("fastapi", helper), ("typing", "Annotated")])
        optional = not param.required
        plain = f"{annotation} | None" if optional and not annotation.endswith("None") else annotation
        typed = f"{param.attribute}: Annotated[{plain}, {helper}({', '.join(args)})]"
        return {"attribute": param.attribute, "typed": typed + (" = None" if optional else ""),
                "plain": f"{param.attribute}: {plain}" + (" = None" if optional else ""), "optional": optional}

    def params(self, operation: Operation, imports: Imports, route: bool = True) -> list[Context]:
        entries = [self.param(operation, p, imports, route) for p in operation.parameters]
        return sorted(entries, key=lambda e: e["optional"])


def _access(operation: Operation) -> str:
    return "ReadAccess" if operation.method in _READS else "WriteAccess"


def _decorator(operation: Operation, status: int, extra: list[str] | None = None) -> str:
    args = [py_str(_route_path(operation)), f"operation_id={py_str(operation.operation_id)}"]
    if operation.tags:
        args.append("tags=[" + ", ".join(py_str(t) for t in operation.tags) + "]")
    if status != 200:
        args.append(f"status_code={status}")
    args.append(f"dependencies=[{_access(operation)}]")
    return fit(f"@router.{operation.method}(", args + (extra or []), ")")


class _Operations:
    """Contexts of the operation modules (one per first tag) and of the handler modules."""

    def __init__(self, spec: Spec, builder: ModelBuilder) -> None:
        self.spec = spec
        self.builder = builder
        self.signatures = _Signatures(builder)

    def body_table(self, operation: Operation, imports: Imports) -> str | None:
        body = operation.request_body
        if body is None:
            return None
        entries = []
        hint = naming.pascal_case(operation.function) + "Body"
        for media in body.content:
            kind = media.media_type
            annotation = self.builder.expr_outside(media.schema_, hint, imports) if (
                is_json(kind) or "form" in kind) else ("str" if kind.startswith("text/") else "bytes")
            if annotation == "Any":
                imports.add("typing", "Any")
            entries.append(f"{py_str(kind)}: {annotation}")
        return "{" + ", ".join(entries) + "}"

    def operation(self, operation: Operation, imports: Imports, handler_imports: Imports) -> Context:
        params = self.signatures.params(operation, imports)
        self.signatures.params(operation, handler_imports, route=False)
        status, _ = _status(operation)
        table = self.body_table(operation, imports)
        hint = naming.pascal_case(operation.function) + "Body"
        body_plain = None
        if operation.request_body is not None:
            body_type = " | ".join(dict.fromkeys(
                self.builder.expr_outside(m.schema_, hint, handler_imports) if (is_json(m.media_type) or "form" in
                m.media_type) else ("str" if m.media_type.startswith("text/") else "bytes")
                for m in operation.request_body.content)) or "Any"
            if "Any" in body_type:
                handler_imports.add("typing", "Any")
            optional = not operation.request_body.required
            body_plain = f"body: {body_type}" + (" | None = None" if optional and "None" not in body_type else "")
        route_params = [p["typed"] for p in params]
        if table is not None:
            route_params.insert(0, "raw: RawBody")
            imports.update([("app.runtime", "RawBody"), ("app.runtime", "read_body")])
        name = operation.function
        calls = [f"{p['attribute']}={p['attribute']}" for p in params]
        if table is not None:
            calls.append("body=body")
        handler_params = ["*", *([body_plain] if body_plain else []), *[p["plain"] for p in params]]
        return {
            "function": name,
            "operation_id": operation.operation_id,
            "doc": _docline(operation),
            "decorator": _decorator(operation, status),
            "signature": fit(f"def {name}(", route_params, ") -> Response:"),
            "body_constant": f"{name.upper()}_BODY" if table is not None else None,
            "body_table": table,
            "body_required": bool(operation.request_body and operation.request_body.required),
            "call": fit("return call(", ["handlers", py_str(name), str(status), *calls], ")", 4),
            "handler_signature": fit(f"def {name}(", handler_params if len(handler_params) > 1 else [],
                                     ") -> Any:"),
            "where": f"{operation.method.upper()} {operation.path}",
        }

    def groups(self) -> list[Context]:
        grouped: dict[str, list[Operation]] = {}
        for operation in self.spec.operations:
            if operation.resource is None:
                grouped.setdefault(operation.tags[0] if operation.tags else "default", []).append(operation)
        modules: list[str] = []
        result = []
        for label, operations in grouped.items():
            module = naming.module_name(label, modules)
            modules.append(module)
            imports = Imports([("fastapi", "APIRouter"), ("fastapi", "Response"), ("app.runtime", "call"),
                               ("app.auth", "ReadAccess" if any(o.method in _READS for o in operations)
                                else "WriteAccess"),
                               ("app.handlers", f"{module} as handlers")])
            if any(o.method not in _READS for o in operations):
                imports.add("app.auth", "WriteAccess")
            handler_imports = Imports([("typing", "Any"), ("app.runtime", "NotImplementedOperation")])
            entries = [self.operation(o, imports, handler_imports) for o in operations]
            result.append({"module": module, "label": label, "operations": entries,
                           "imports": imports.render(), "handler_imports": handler_imports.render()})
        return result


def _optional_fields(resource: Resource, models: Mapping[str, Any]) -> list[str]:
    """Fields a response leaves out when null: the description neither requires nor allows null."""
    shape = object_shape({"$ref": f"#/components/schemas/{resource.schema_name}"}, models) or ({}, [])
    properties, required = shape
    result = []
    for field in resource.fields:
        schema = deref(properties.get(field.name, {}), models)
        if field.name not in required and "null" not in types_of(schema):
            result.append(field.name)
    return result


def _described_body(operation: Operation, signatures: _Signatures, imports: Imports) -> str | None:
    """`validate_as(Type, body)`: the description's own schema checks what the resource schema cannot."""
    from codegen.schemas import json_schema_of

    body = operation.request_body
    schema = json_schema_of(body.content) if body is not None else None
    if schema is None:
        return None
    kind = signatures.builder.expr_outside(schema, naming.pascal_case(operation.function) + "Body", imports)
    if "components." not in kind:
        return None
    imports.add("app.runtime", "validate_as")
    return f"validate_as({kind}, body)"


def _resource_operation(operation: Operation, resource: Resource, signatures: _Signatures,
                        imports: Imports) -> Context:
    status, has_body = _status(operation)
    params = signatures.params(operation, imports)
    fields = {f.name for f in resource.fields}
    route_params = ["session: SessionDep", *[p["typed"] for p in params]]
    renames: dict[str, str] = {}
    dropped: list[str] = []
    cls = resource.class_name
    if operation.crud == "list":
        route_params.insert(0, "request: Request")  # before the session
        for param in operation.parameters:
            if param.location != "query" or param.name in CONTRACT_PARAMS or param.name in fields:
                continue
            if param.name.removesuffix("s") in fields:
                renames[param.name] = param.name.removesuffix("s") + "__in"
            else:
                dropped.append(param.name)
    body = {"create": "Create", "replace": "Replace", "update": "Update"}.get(str(operation.crud))
    if body:
        route_params.insert(1, f"body: {cls}{body}")
        imports.add(f"app.schemas.{resource.module}", f"{cls}{body}")
    keys = [p.attribute for p in operation.parameters if p.location == "path"]
    return {
        "crud": operation.crud, "function": operation.function, "doc": _docline(operation),
        "decorator": _decorator(operation, status),
        "signature": fit(f"def {operation.function}(", route_params, ") -> Response:"),
        "status": status, "has_body": has_body, "key": ", ".join(keys),
        "check": _described_body(operation, signatures, imports) if body else None,
        "params": fit("params = contract_params(", ["request", py_str_dict(renames), _tuple(dropped)], ")", 4),
    }


def py_str_dict(values: dict[str, str]) -> str:
    """A dict of strings as a black-stable literal."""
    return "{" + ", ".join(f"{py_str(k)}: {py_str(v)}" for k, v in values.items()) + "}"


def _tuple(values: list[str]) -> str:
    from codegen.render.layout import tuple_literal

    return tuple_literal(values)


def _resource_context(spec: Spec, resource: Resource, builder: ModelBuilder) -> Context:
    imports = Imports([("fastapi", "APIRouter"), ("fastapi", "Response"), ("fastapi.responses", "JSONResponse"),
                       ("app.db", "SessionDep"), ("app.query", "Resource"), ("app.runtime", "shaped"),
                       (f"app.models.{resource.module}", resource.class_name),
                       (f"app.schemas.{resource.module}", f"{resource.class_name}Read")])
    signatures = _Signatures(builder)
    operations = [o for o in spec.operations if o.resource == resource.name]
    contexts = [_resource_operation(o, resource, signatures, imports) for o in operations]
    for operation in operations:
        imports.add("app.auth", _access(operation))
    roles = {o.crud for o in operations}
    if "list" in roles:
        imports.update([("fastapi", "Request"), ("app.runtime", "contract_params")])
    if roles & {"get", "replace", "update", "delete"}:
        imports.add("app.runtime", "item_key")
    nullable = [f.attribute for f in resource.fields if f.nullable and not f.read_only
                and f.name not in resource.primary_key]
    return {
        "prefix": spec.api.base_path if spec.api else "",
        "operations": contexts,
        "imports": imports.render(),
        "optional": _tuple(_optional_fields(resource, builder.models)),
        "nullable": _tuple(nullable),
        "roles": sorted(r for r in roles if r),
        "status": {c["crud"]: c["status"] for c in contexts},
        "has_body": {c["crud"]: c["has_body"] for c in contexts},
    }


def _extras(schema: Mapping[str, Any], models: Mapping[str, Any]) -> dict[str, Any] | None:
    """Members a problem body needs to validate against a documented error schema."""
    shape = object_shape(schema, models)
    if shape is None:
        return None
    properties, required = shape
    members = {"type": "$type", "title": "$title", "status": "$status", "detail": "$detail"}
    extras: dict[str, Any] = {}
    for name, prop in properties.items():
        resolved = deref(prop, models)
        kinds = [k for k in types_of(resolved) if k != "null"]
        enum = resolved.get("enum")
        if name in members and (kinds in (["string"], ["integer"], []) or not kinds):
            continue
        if isinstance(enum, list) and enum:
            extras[name] = enum[0]
        elif kinds and kinds[0] in ("integer", "number"):
            extras[name] = "$status"
        elif kinds and kinds[0] == "string":
            extras[name] = "$detail"
        elif name in required:
            extras[name] = {"boolean": False, "array": [], "object": {}}.get(kinds[0] if kinds else "", None)
        if name in ("type", "title", "status", "detail") and name not in extras:
            continue
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
    tables = []
    for resource in spec.resources:
        columns = []
        for field in resource.fields:
            columns.append(_column(resource, field))
        tables.append({"name": resource.table, "create": fit("op.create_table(", [py_str(resource.table), *columns],
                                                             ")", 4)})
    return tables


def _column(resource: Resource, field: Field) -> str:
    args = [py_str(field.column), "sa." + sqlalchemy_type(field).expr]
    if field.name in resource.primary_key:
        args.append("primary_key=True")
        args.append("autoincrement=True" if field.autoincrement else "autoincrement=False")
    args.append(f"nullable={field.nullable and field.name not in resource.primary_key}")
    default = portable_default(field)
    if default is not None:
        args.append(f"server_default=sa.text({py_str(default)})")
    return "sa.Column(" + ", ".join(args) + ")"


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


def add_api_context(spec: Spec, context: Context) -> Context:
    """`api`, `operation_groups` and each resource's `api`: null and empty for a database project."""
    context["operation_groups"] = []
    for entry in context["resources"]:
        entry["api"] = None
    if spec.api is None:
        context["api"] = None
        return context
    from codegen.render.api_document import openapi_document

    builder = ModelBuilder(spec.models)
    by_name = {entry["name"]: entry for entry in context["resources"]}
    for resource in spec.resources:
        entry = by_name[resource.name]
        entry["api"] = _resource_context(spec, resource, builder)
        # A JSON member's shape is the description's; optional ones are left out of sample bodies.
        loose = {f.name for f in resource.fields if f.type is LogicalType.JSON and f.nullable}
        entry["sample"]["fields"] = [f for f in entry["sample"]["fields"] if f["name"] not in loose]
    context["operation_groups"] = _Operations(spec, builder).groups()
    shapes = error_shapes(spec, builder.models)
    context["api"] = {
        "title": str(spec.api.info.get("title") or spec.name),
        "version": str(spec.api.info.get("version") or "0.1.0"),
        "base_path": spec.api.base_path,
        "components": builder.context(),
        "document": json.dumps(openapi_document(spec), indent=2, ensure_ascii=False) + "\n",
        "error_shapes": json.dumps(shapes, indent=2, ensure_ascii=False) + "\n",
        "tables": _migration(spec),
        "operation_ids": [o.operation_id for o in spec.operations],
        "operation_tests": operation_tests(spec, builder.models),
    }
    return context
