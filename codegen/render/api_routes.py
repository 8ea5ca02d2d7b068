"""The route modules of a project generated from an API description, as each target writes them.

FastAPI routes declare their parameters with `fastapi.Query(...)` and friends and their access
as a dependency; Flask views wear `@blueprint.<method>(rule)` and `@endpoint(operationId,
access=...)` (`app/endpoints.py`), whose `Query(...)` markers take the same arguments. Both
validate with the same pydantic types, so both answer the same request the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from codegen import naming
from codegen.render.api_models import ModelBuilder, constraint_args
from codegen.render.imports import Imports
from codegen.render.layout import fit, tuple_literal
from codegen.render.pyliteral import py_str
from codegen.schemas import deref, is_json, json_schema_of, object_shape, types_of
from codegen.spec.model import Operation, Parameter, Resource, Spec

Context = dict[str, Any]
_PARAM_CLASS = {"path": "Path", "query": "Query", "header": "Header", "cookie": "Cookie"}
_READS = ("get", "head", "options")
_TOKEN = re.compile(r"\{([^{}/]+)\}")
# Flask's shortcut decorators; other methods go through `@blueprint.route(rule, methods=[...])`.
_FLASK_SHORTCUTS = ("get", "post", "put", "patch", "delete")
CONTRACT_PARAMS = ("limit", "offset", "sort")
_LITERAL = re.compile(r"Literal\[[^\[\]]*\]")


@dataclass(frozen=True)
class Target:
    """What differs between the targets' route modules: where helpers come from, how a route is declared."""

    name: str

    @property
    def flask(self) -> bool:
        return self.name == "flask"

    @property
    def markers(self) -> str:
        """The module of `Path`, `Query`, `Header`, `Cookie` (and `RawBody`)."""
        return "app.endpoints" if self.flask else "fastapi"

    @property
    def raw_body(self) -> str:
        return "app.endpoints" if self.flask else "app.runtime"

    def decorator(self, operation: Operation, status: int) -> str:
        """The decorator lines of a route (on the module's `router` or `blueprint`)."""
        if not self.flask:
            args = [py_str(_route_path(operation, "{}")), f"operation_id={py_str(operation.operation_id)}"]
            if operation.tags:
                args.append("tags=[" + ", ".join(py_str(t) for t in operation.tags) + "]")
            if status != 200:
                args.append(f"status_code={status}")
            args.append(f"dependencies=[{access(operation)}]")
            return fit(f"@router.{operation.method}(", args, ")")
        rule = py_str(_route_path(operation, "<>"))
        if operation.method in _FLASK_SHORTCUTS:
            route = fit(f"@blueprint.{operation.method}(", [rule], ")")
        else:
            route = fit("@blueprint.route(", [rule, f"methods=[{py_str(operation.method.upper())}]"], ")")
        kind = "read" if operation.method in _READS else "write"
        args = [py_str(operation.operation_id), f'access="{kind}"']
        if operation.tags:  # what access policies name the operation by, as FastAPI's route tags
            args.append(f"tag={py_str(operation.tags[0])}")
        return route + "\n" + fit("@endpoint(", args, ")")


def access(operation: Operation) -> str:
    """The FastAPI access dependency of an operation."""
    return "ReadAccess" if operation.method in _READS else "WriteAccess"


def docline(operation: Operation) -> str:
    """The one-line docstring of a route."""
    text = operation.summary or operation.description or f"{operation.method.upper()} {operation.path}"
    line = text.strip().splitlines()[0].strip().replace("\\", "\\\\").replace('"""', "'''").rstrip('"')
    line = line if len(line) <= 72 else line[:69].rstrip() + "..."
    return line if line.endswith((".", "!", "?")) else line + "."


def success_status(operation: Operation) -> tuple[int, bool]:
    """The first documented success status (200 when none) and whether it has a body."""
    for response in operation.responses:
        if response.status.isdigit() and response.status.startswith("2"):
            return int(response.status), bool(response.content) and response.status != "204"
    return 200, True


def _route_path(operation: Operation, brackets: str) -> str:
    """The path with Python names for its parameters: `{pet_id}` (FastAPI) or `<pet_id>` (Flask)."""
    attributes = {p.name: p.attribute for p in operation.parameters if p.location == "path"}
    opening, closing = brackets[0], brackets[1]
    return _TOKEN.sub(lambda m: opening + attributes.get(m.group(1), m.group(1)) + closing, operation.path)


class Signatures:
    """Typed parameters of routes and handlers, sharing the model builder."""

    def __init__(self, builder: ModelBuilder, target: Target) -> None:
        self.builder = builder
        self.target = target

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
        renamed = param.location != "path" and param.attribute != param.name
        if param.location in ("header", "cookie") or renamed:
            args.insert(0, f"alias={py_str(param.name)}")
        helper = _PARAM_CLASS[param.location]
        if route:
            imports.update([(self.target.markers, helper), ("typing", "Annotated")])
        optional = not param.required
        plain = f"{annotation} | None" if optional and not annotation.endswith("None") else annotation
        parsed = self._parsed_literals(resolved, plain, imports) if route else plain
        typed = f"{param.attribute}: Annotated[{parsed}, {helper}({', '.join(args)})]"
        default = " = None" if optional else ""
        return {"attribute": param.attribute, "typed": typed + default,
                "plain": f"{param.attribute}: {plain}{default}", "optional": optional}

    def _parsed_literals(self, schema: Mapping[str, Any], annotation: str, imports: Imports) -> str:
        """A literal of numbers or booleans read from a parameter's text first (`"3"` -> 3): pydantic
        compares a literal's values with the text as it is."""
        items = deref(schema.get("items") or {}, self.builder.models) if types_of(schema) == ["array"] else schema
        values = [items["const"]] if "const" in items else items.get("enum")
        if not values or any(isinstance(value, str) for value in values):
            return annotation
        literal = _LITERAL.search(annotation)
        if literal is None:
            return annotation
        self.builder.parses_scalars = True
        imports.update([("pydantic", "BeforeValidator"), ("app", "components")])
        wrapped = f"Annotated[{literal[0]}, BeforeValidator(components.parse_scalar)]"
        return annotation[:literal.start()] + wrapped + annotation[literal.end():]

    def params(self, operation: Operation, imports: Imports, route: bool = True) -> list[Context]:
        entries = [self.param(operation, p, imports, route) for p in operation.parameters]
        return sorted(entries, key=lambda e: e["optional"])


class Operations:
    """Contexts of the operation modules (one per first tag) and of the handler modules."""

    def __init__(self, spec: Spec, builder: ModelBuilder, target: Target) -> None:
        self.spec = spec
        self.builder = builder
        self.target = target
        self.signatures = Signatures(builder, target)

    def _media_type(self, kind: str, schema: Any, hint: str, imports: Imports) -> str:
        if is_json(kind) or "form" in kind:
            return self.builder.expr_outside(schema, hint, imports)
        return "str" if kind.startswith("text/") else "bytes"

    def body_table(self, operation: Operation, imports: Imports) -> str | None:
        body = operation.request_body
        if body is None:
            return None
        entries = []
        hint = naming.pascal_case(operation.function) + "Body"
        for media in body.content:
            annotation = self._media_type(media.media_type, media.schema_, hint, imports)
            if annotation == "Any":
                imports.add("typing", "Any")
            entries.append(f"{py_str(media.media_type)}: {annotation}")
        return "{" + ", ".join(entries) + "}"

    def _handler_body(self, operation: Operation, handler_imports: Imports) -> str | None:
        if operation.request_body is None:
            return None
        hint = naming.pascal_case(operation.function) + "Body"
        body_type = " | ".join(dict.fromkeys(
            self._media_type(m.media_type, m.schema_, hint, handler_imports)
            for m in operation.request_body.content)) or "Any"
        if "Any" in body_type:
            handler_imports.add("typing", "Any")
        optional = not operation.request_body.required
        return f"body: {body_type}" + (" | None = None" if optional and "None" not in body_type else "")

    def operation(self, operation: Operation, imports: Imports, handler_imports: Imports) -> Context:
        params = self.signatures.params(operation, imports)
        self.signatures.params(operation, handler_imports, route=False)
        status, _ = success_status(operation)
        table = self.body_table(operation, imports)
        body_plain = self._handler_body(operation, handler_imports)
        route_params = [p["typed"] for p in params]
        if table is not None:
            route_params.insert(0, "raw: RawBody")
            imports.update([(self.target.raw_body, "RawBody"), ("app.bodies", "read_body")])
        name = operation.function
        calls = [f"{p['attribute']}={p['attribute']}" for p in params]
        if table is not None:
            calls.append("body=body")
        handler_params = ["*", *([body_plain] if body_plain else []), *[p["plain"] for p in params]]
        return {
            "function": name,
            "operation_id": operation.operation_id,
            "doc": docline(operation),
            "decorator": self.target.decorator(operation, status),
            "signature": fit(f"def {name}(", route_params, ") -> Response:"),
            "body_constant": f"{name.upper()}_BODY" if table is not None else None,
            "body_table": table,
            "body_required": bool(operation.request_body and operation.request_body.required),
            "call": fit("return call(", ["handlers", py_str(name), str(status), *calls], ")", 4),
            "handler_signature": fit(f"def {name}(", handler_params if len(handler_params) > 1 else [],
                                     ") -> Any:"),
            "where": f"{operation.method.upper()} {operation.path}",
        }

    def _imports(self, module: str, operations: list[Operation]) -> Imports:
        if self.target.flask:
            return Imports([("flask", "Blueprint"), ("flask", "Response"), ("app.endpoints", "endpoint"),
                            ("app.runtime", "call"), ("app.handlers", f"{module} as handlers")])
        imports = Imports([("fastapi", "APIRouter"), ("fastapi", "Response"), ("app.runtime", "call"),
                           ("app.auth", "ReadAccess" if any(o.method in _READS for o in operations)
                            else "WriteAccess"),
                           ("app.handlers", f"{module} as handlers")])
        if any(o.method not in _READS for o in operations):
            imports.add("app.auth", "WriteAccess")
        return imports

    def groups(self) -> list[Context]:
        grouped: dict[str, list[Operation]] = {}
        for operation in self.spec.operations:
            if operation.resource is None:
                grouped.setdefault(operation.tags[0] if operation.tags else "default", []).append(operation)
        # app/routes/__init__.py imports a group as `<module>_operations` beside the resource modules.
        modules = [r.module.removesuffix("_operations") for r in self.spec.resources
                   if r.module.endswith("_operations")]
        blueprints = [naming.blueprint_name(r.name) for r in self.spec.resources] + list(naming.RESERVED_BLUEPRINTS)
        result = []
        for label, operations in grouped.items():
            module = naming.module_name(label, modules)
            modules.append(module)
            blueprint = naming.unique_name(f"{module}_operations", blueprints)
            blueprints.append(blueprint)
            imports = self._imports(module, operations)
            handler_imports = Imports([("typing", "Any"), ("app.runtime", "NotImplementedOperation")])
            entries = [self.operation(o, imports, handler_imports) for o in operations]
            result.append({"module": module, "label": label, "blueprint": blueprint, "operations": entries,
                           "imports": imports.render(), "handler_imports": handler_imports.render()})
        return result


def optional_fields(resource: Resource, models: Mapping[str, Any]) -> list[str]:
    """Fields a response leaves out when null: the description neither requires nor allows null."""
    shape = object_shape({"$ref": f"#/components/schemas/{resource.schema_name}"}, models) or ({}, [])
    properties, required = shape
    result = []
    for field in resource.fields:
        schema = deref(properties.get(field.name, {}), models)
        if field.name not in required and "null" not in types_of(schema):
            result.append(field.name)
    return result


def _described_body(operation: Operation, signatures: Signatures, imports: Imports) -> str | None:
    """`validate_as(Type, body)`: the description's own schema checks what the resource schema cannot."""
    body = operation.request_body
    schema = json_schema_of(body.content) if body is not None else None
    if schema is None:
        return None
    kind = signatures.builder.expr_outside(schema, naming.pascal_case(operation.function) + "Body", imports)
    if "components." not in kind:
        return None
    imports.add("app.bodies", "validate_as")
    return f"validate_as({kind}, body)"


def py_str_dict(values: dict[str, str]) -> str:
    """A dict of strings as a black-stable literal."""
    return "{" + ", ".join(f"{py_str(k)}: {py_str(v)}" for k, v in values.items()) + "}"


def _list_params(operation: Operation, resource: Resource) -> tuple[dict[str, str], list[str]]:
    """Described query parameters the contract's list parameters do not know: renamed or dropped."""
    fields = {f.name for f in resource.fields}
    renames: dict[str, str] = {}
    dropped: list[str] = []
    for param in operation.parameters:
        if param.location == "query" and param.name in CONTRACT_PARAMS and not _contract_reads(param, fields):
            dropped.append(param.name)  # the description's own meaning: validated, not the contract's
        if param.location != "query" or param.name in CONTRACT_PARAMS or param.name in fields:
            continue
        if param.name.removesuffix("s") in fields:
            renames[param.name] = param.name.removesuffix("s") + "__in"
        else:
            dropped.append(param.name)
    return renames, dropped


def _contract_reads(param: Parameter, fields: set[str]) -> bool:
    """Whether the contract's parameter of that name takes what the description sends: an integer
    `offset`, a `sort` of field names (not `sort=created` beside `direction=desc`)."""
    kinds = [k for k in types_of(param.schema_) if k != "null"]
    if param.name == "offset":
        return not kinds or set(kinds) <= {"integer", "number"}
    if param.name == "sort":
        values = param.schema_.get("enum") or (param.schema_.get("items") or {}).get("enum") or []
        return all(str(value).lstrip("-") in fields for value in values)
    return True


def _flask_returns(crud: str, has_body: bool, imports: Imports) -> str:
    """What a Flask view of a resource returns: (body, status[, headers]), or a Response without a body."""
    if crud not in ("list", "get") and not has_body:
        imports.update([("flask", "Response"), ("app.runtime", "no_content")])
        return "Response"
    imports.add("typing", "Any")
    item = "list[dict[str, Any]]" if crud == "list" else "dict[str, Any]"
    return f"tuple[{item}, int, dict[str, str]]" if crud in ("list", "create") else f"tuple[{item}, int]"


def _resource_operation(operation: Operation, resource: Resource, signatures: Signatures,
                        imports: Imports) -> Context:
    target = signatures.target
    status, has_body = success_status(operation)
    params = signatures.params(operation, imports)
    route_params = [p["typed"] for p in params]
    if not target.flask:
        route_params.insert(0, "session: SessionDep")
    renames: dict[str, str] = {}
    dropped: list[str] = []
    if operation.crud == "list":
        if not target.flask:
            route_params.insert(0, "request: Request")  # before the session
        renames, dropped = _list_params(operation, resource)
    body = {"create": "Create", "replace": "Replace", "update": "Update"}.get(str(operation.crud))
    if body:
        route_params.insert(0 if target.flask else 1, f"body: {resource.class_name}{body}")
        imports.add(f"app.schemas.{resource.module}", f"{resource.class_name}{body}")
    keys = [p.attribute for p in operation.parameters if p.location == "path"]
    returns = _flask_returns(str(operation.crud), has_body, imports) if target.flask else "Response"
    return {
        "crud": operation.crud, "function": operation.function, "doc": docline(operation),
        "decorator": target.decorator(operation, status),
        "signature": fit(f"def {operation.function}(", route_params, f") -> {returns}:"),
        "status": status, "has_body": has_body, "key": ", ".join(keys),
        "check": _described_body(operation, signatures, imports) if body else None,
        "params": fit("params = contract_params(", ["request", py_str_dict(renames), tuple_literal(dropped)],
                      ")", 4),
    }


def _resource_imports(resource: Resource, target: Target) -> Imports:
    cls, module = resource.class_name, resource.module
    own = [(f"app.models.{module}", cls), (f"app.schemas.{module}", f"{cls}Read"), ("app.query", "Resource"),
           ("app.runtime", "shaped")]
    if target.flask:
        return Imports([("flask", "Blueprint"), ("app.db", "get_session"), ("app.endpoints", "endpoint"),
                        *own])
    return Imports([("fastapi", "APIRouter"), ("fastapi", "Response"), ("fastapi.responses", "JSONResponse"),
                    ("app.db", "SessionDep"), *own])


def resource_routes(spec: Spec, resource: Resource, builder: ModelBuilder, target: Target,
                    operations: list[Operation] | None = None) -> Context:
    """The context of one resource's routes module (`resource.api`); `operations`: the resource's own,
    if the caller has them (else picked from the spec's)."""
    imports = _resource_imports(resource, target)
    signatures = Signatures(builder, target)
    if operations is None:
        operations = [o for o in spec.operations if o.resource == resource.name]
    contexts = [_resource_operation(o, resource, signatures, imports) for o in operations]
    if not target.flask:
        for operation in operations:
            imports.add("app.auth", access(operation))
    roles = {o.crud for o in operations}
    if "list" in roles:
        imports.update([("flask", "request") if target.flask else ("fastapi", "Request"),
                        ("app.runtime", "contract_params")])
    if roles & {"get", "replace", "update", "delete"}:
        imports.add("app.runtime", "item_key")
    nullable = [f.attribute for f in resource.fields if f.nullable and not f.read_only
                and f.name not in resource.primary_key]
    return {
        "prefix": spec.api.base_path if spec.api else "",
        "operations": contexts,
        "imports": imports.render(),
        "optional": tuple_literal(optional_fields(resource, builder.models)),
        "nullable": tuple_literal(nullable),
        "roles": sorted(r for r in roles if r),
        "status": {c["crud"]: c["status"] for c in contexts},
        "has_body": {c["crud"]: c["has_body"] for c in contexts},
    }
