"""The OpenAPI 3.1 document a project generated from an API description serves at /openapi.json.

Built from the spec alone: the description's info block, operationIds, paths, parameter names,
schema names and security; list operations of resources gain the contract's paging, sorting and
filter parameters where the description does not use those names already.
"""

from __future__ import annotations

import json
import json.encoder
from typing import Any

from codegen.spec.model import Field, LogicalType, Operation, Parameter, Resource, Spec

_FIELD_SCHEMAS: dict[LogicalType, dict[str, Any]] = {
    LogicalType.INTEGER: {"type": "integer"},
    LogicalType.SMALL_INTEGER: {"type": "integer"},
    LogicalType.BIG_INTEGER: {"type": "integer"},
    LogicalType.FLOAT: {"type": "number"},
    LogicalType.BOOLEAN: {"type": "boolean"},
    LogicalType.DATE: {"type": "string", "format": "date"},
    LogicalType.UUID: {"type": "string", "format": "uuid"},
}


def _parameter(param: Parameter) -> dict[str, Any]:
    result: dict[str, Any] = {"name": param.name, "in": param.location}
    if param.description:
        result["description"] = param.description
    if param.required or param.location == "path":
        result["required"] = True
    if param.deprecated:
        result["deprecated"] = True
    if param.style:
        result["style"] = param.style
    if param.explode is not None:
        result["explode"] = param.explode
    result["schema"] = param.schema_
    return result


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def _field_schema(field: Field) -> dict[str, Any]:
    if field.type is LogicalType.ENUM and field.enum_values:
        return {"type": "string", "enum": list(field.enum_values)}
    return dict(_FIELD_SCHEMAS.get(field.type, {"type": "string"}))


def contract_parameters(resource: Resource, taken: set[str]) -> list[dict[str, Any]]:
    """limit, offset, sort and the filters of every field, left out where the name is taken."""
    added = [
        _query("limit", {"type": "integer", "minimum": 0, "maximum": 1000, "default": 50}, "Page size."),
        _query("offset", {"type": "integer", "minimum": 0, "default": 0}, "Rows to skip."),
        _query("sort", {"type": "string"}, "Comma-separated fields, `-` for descending."),
    ]
    for field in resource.fields:
        if field.hidden:
            continue
        schema = _field_schema(field)
        added.append(_query(field.name, schema, f"{field.name} equals"))
        operators = ["ne", "lt", "le", "gt", "ge", "in", "isnull"]
        if schema.get("type") == "string" and "format" not in schema:
            operators[-1:-1] = ["like", "ilike"]
        for operator in operators:
            kind = {"isnull": {"type": "boolean"}, "in": {"type": "string"}, "like": {"type": "string"},
                    "ilike": {"type": "string"}}.get(operator, schema)
            added.append(_query(f"{field.name}__{operator}", kind, f"{field.name} {operator}"))
    return [param for param in added if param["name"] not in taken]


def _operation(operation: Operation, resources: dict[str, Resource]) -> dict[str, Any]:
    result: dict[str, Any] = {"operationId": operation.operation_id}
    for key in ("tags", "summary", "description"):
        value = getattr(operation, key)
        if value:
            result[key] = value
    if operation.deprecated:
        result["deprecated"] = True
    parameters = [_parameter(p) for p in operation.parameters]
    if operation.crud == "list" and operation.resource in resources:
        taken = {p.name for p in operation.parameters}
        parameters += contract_parameters(resources[operation.resource], taken)
    if parameters:
        result["parameters"] = parameters
    body = operation.request_body
    if body is not None:
        request: dict[str, Any] = {}
        if body.description:
            request["description"] = body.description
        request["content"] = {m.media_type: {"schema": m.schema_} for m in body.content}
        if body.required:
            request["required"] = True
        result["requestBody"] = request
    responses: dict[str, Any] = {}
    for response in operation.responses:
        entry: dict[str, Any] = {"description": response.description}
        if response.headers:
            entry["headers"] = response.headers
        if response.content:
            entry["content"] = {m.media_type: {"schema": m.schema_} for m in response.content}
        responses[response.status] = entry
    result["responses"] = responses or {"default": {"description": "any response"}}
    if operation.security is not None:
        result["security"] = operation.security
    return result


# The scheme the project's own access control (`--auth`) checks, for a description that declares none:
# clients and the /docs page's "Authorize" then know how writes are let through.
OWN_SCHEMES = {
    "apikey": ("ApiKey", {"type": "apiKey", "in": "header", "name": "X-API-Key"}),
    "jwt": ("Bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}),
}
_READS = ("get", "head", "options")


def openapi_document(spec: Spec, auth: str = "none") -> dict[str, Any]:
    """The document, deterministic: paths and methods in the description's order; where the description
    declares no security scheme, the one of the project's access control (`auth`) on its writes."""
    assert spec.api is not None
    api = spec.api
    resources = {r.name: r for r in spec.resources}
    own = OWN_SCHEMES.get(auth) if not api.security_schemes else None
    paths: dict[str, dict[str, Any]] = {}
    for operation in spec.operations:
        described = _operation(operation, resources)
        if own and operation.method not in _READS and "security" not in described:
            described["security"] = [{own[0]: []}]
        paths.setdefault(operation.path, {})[operation.method] = described
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": api.info or {"title": spec.name, "version": "0.1.0"},
        "servers": [{"url": api.base_path or "/"}],
    }
    if api.tags:
        document["tags"] = api.tags
    document["paths"] = paths
    components: dict[str, Any] = {}
    if spec.models:
        components["schemas"] = {m.name: m.schema_ for m in spec.models}
    if api.security_schemes:
        components["securitySchemes"] = {s.name: s.definition for s in api.security_schemes}
    elif own:
        components["securitySchemes"] = {own[0]: own[1]}
    if components:
        document["components"] = components
    if api.security:
        document["security"] = api.security
    return document


def dump_json(value: Any) -> str:
    """`json.dumps(value, indent=2, ensure_ascii=False) + "\\n"`, byte for byte, several times faster.

    The standard library's indenting encoder is pure Python and passes every piece up through one
    generator per level of nesting; for a 5 MB document that was most of the context's time. This
    one appends each piece once. A container met again (the spec shares schema objects between
    operations) is copied from its first encoding, re-indented: JSON text has no raw newline but
    its layout's.
    """
    return _Dumper().dump(value) + "\n"


_encode_str = json.encoder.encode_basestring  # what ensure_ascii=False uses (the C version)


class _Dumper:
    def __init__(self) -> None:
        self.parts: list[str] = []
        # id of a container -> (level, first part, end part) of its encoding; None while encoding it.
        # The caller holds the whole value, so no id is reused while this runs.
        self.spans: dict[int, tuple[int, int, int] | None] = {}

    def dump(self, value: Any) -> str:
        self._value(value, 0)
        return "".join(self.parts)

    def _value(self, value: Any, level: int) -> None:
        parts = self.parts
        if isinstance(value, str):
            parts.append(_encode_str(value))
        elif value is None:
            parts.append("null")
        elif value is True:
            parts.append("true")
        elif value is False:
            parts.append("false")
        elif isinstance(value, int):
            parts.append(int.__repr__(value))
        elif isinstance(value, float):
            parts.append(_float(value))
        elif isinstance(value, (dict, list, tuple)):
            self._container(value, level)
        else:
            raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")

    def _container(self, value: dict[Any, Any] | list[Any] | tuple[Any, ...], level: int) -> None:
        parts = self.parts
        if not value:
            parts.append("{}" if isinstance(value, dict) else "[]")
            return
        key = id(value)
        if key in self.spans:
            span = self.spans[key]
            if span is None:
                raise ValueError("Circular reference detected")
            text = "".join(parts[span[1] : span[2]])
            parts.append(_reindent(text, span[0], level))
            return
        self.spans[key] = None
        start = len(parts)
        inner = "\n" + "  " * (level + 1)
        separator = inner
        if isinstance(value, dict):
            parts.append("{")
            for name, item in value.items():
                parts.append(separator + _encode_str(_key(name)) + ": ")
                separator = "," + inner
                self._value(item, level + 1)
            parts.append("\n" + "  " * level + "}")
        else:
            parts.append("[")
            for item in value:
                parts.append(separator)
                separator = "," + inner
                self._value(item, level + 1)
            parts.append("\n" + "  " * level + "]")
        self.spans[key] = (level, start, len(parts))


def _reindent(text: str, level: int, to: int) -> str:
    """`text`, encoded at nesting `level`, as it reads at nesting `to`."""
    if to == level:
        return text
    if to > level:
        return text.replace("\n", "\n" + "  " * (to - level))
    return text.replace("\n" + "  " * (level - to), "\n")


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


def _key(key: Any) -> str:
    """A member name as `json.dumps` writes a dict key that is not a string."""
    if isinstance(key, str):
        return key
    if key is True or key is False or key is None:
        return {True: "true", False: "false", None: "null"}[key]
    if isinstance(key, int):
        return int.__repr__(key)
    if isinstance(key, float):
        return _float(key)
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")
