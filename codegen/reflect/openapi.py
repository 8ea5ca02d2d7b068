"""Turn an API description (Swagger 2.0, OpenAPI 3.0 or 3.1) into the intermediate spec.

Operations keep their operationIds (or get stable derived names), paths, parameters, bodies,
status codes and tags; component schemas become named models; collection and item paths
over one schema become resources (see `openapi_resources`).
"""

from __future__ import annotations

from pathlib import Path, PurePath
from typing import Any
from urllib.parse import urlparse

from codegen import naming
from codegen.reflect.openapi_load import HTTP_METHODS, Documents, load_description
from codegen.reflect.openapi_schema import SchemaRegistry
from codegen.spec.model import (
    SPEC_VERSION,
    Api,
    MediaType,
    Model,
    Operation,
    Parameter,
    RequestBody,
    Response,
    SecurityScheme,
    Source,
    Spec,
)

_SCHEMA_KEYS_2 = ("type", "format", "items", "enum", "default", "minimum", "maximum", "exclusiveMinimum",
                  "exclusiveMaximum", "minLength", "maxLength", "pattern", "minItems", "maxItems",
                  "uniqueItems", "multipleOf", "x-nullable")
_OAUTH_FLOWS_2 = {"implicit": "implicit", "password": "password", "application": "clientCredentials",
                  "accessCode": "authorizationCode"}


def _text(value: Any) -> str | None:
    return str(value).strip() if isinstance(value, str) and value.strip() else None


class _Reader:
    """Reads operations of one description with its schema registry."""

    def __init__(self, docs: Documents, data: dict[str, Any], version: str) -> None:
        self.docs = docs
        self.data = data
        self.version = version
        self.schemas = SchemaRegistry(docs, version)
        self.consumes = list(data.get("consumes") or ["application/json"])
        self.produces = list(data.get("produces") or ["application/json"])

    # -- parameters -----------------------------------------------------------------------------

    def _param_schema(self, base: Path, param: dict[str, Any]) -> dict[str, Any]:
        if self.version == "2.0":
            raw = {key: value for key, value in param.items() if key in _SCHEMA_KEYS_2}
            return self.schemas.normalize(raw, base)
        if isinstance(param.get("schema"), dict):
            return self.schemas.normalize(param["schema"], base)
        content = param.get("content")
        if isinstance(content, dict) and content:
            first = next(iter(content.values()))
            return self.schemas.normalize((first or {}).get("schema"), base)
        return {}

    def parameters(self, item: dict[str, Any], operation: dict[str, Any]) -> list[tuple[Path, dict[str, Any]]]:
        """Path-item and operation parameters, resolved; the operation's win on (name, in)."""
        merged: dict[tuple[str, str], tuple[Path, dict[str, Any]]] = {}
        for source in (item.get("parameters"), operation.get("parameters")):
            for raw in source if isinstance(source, list) else []:
                base, param = self.docs.follow(self.docs.root, raw)
                if isinstance(param, dict):
                    merged[(str(param.get("name")), str(param.get("in")))] = (base, param)
        return list(merged.values())

    @staticmethod
    def attribute(key: tuple[str, ...], taken: list[str]) -> str:
        """The Python name of parameter (name, in), none of `taken`; ASCII in a path (Flask's rules need it)."""
        name, location = key
        attribute = naming.python_identifier(name, taken, naming.RESERVED_PARAMETERS)
        if location == "path" and not attribute.isascii():
            attribute = naming.unique_name("path_parameter", taken)
        return attribute

    def parameter(self, base: Path, param: dict[str, Any], attribute: str) -> Parameter:
        """One path, query, header or cookie parameter with its Python name."""
        name = str(param["name"])
        location = str(param["in"])
        explode = param.get("explode")
        if self.version == "2.0" and param.get("collectionFormat") not in (None, "multi"):
            explode = False
        return Parameter(
            name=name, location=location, attribute=attribute,  # type: ignore[arg-type]
            required=bool(param.get("required", location == "path")),
            description=_text(param.get("description")), deprecated=bool(param.get("deprecated", False)),
            style=param.get("style") if isinstance(param.get("style"), str) else None,
            explode=explode if isinstance(explode, bool) else None,
            schema_=self._param_schema(base, param),
        )

    # -- bodies ---------------------------------------------------------------------------------

    def _content(self, base: Path, content: Any) -> list[MediaType]:
        if not isinstance(content, dict):
            return []
        return [MediaType(media_type=str(kind), schema_=self.schemas.normalize((media or {}).get("schema"), base))
                for kind, media in content.items()]

    def request_body(self, operation: dict[str, Any], params: list[tuple[Path, dict[str, Any]]]) -> RequestBody | None:
        """The body: 3.x `requestBody`, or 2.0 `in: body` / `in: formData` parameters."""
        if self.version != "2.0":
            if "requestBody" not in operation:
                return None
            base, body = self.docs.follow(self.docs.root, operation["requestBody"])
            return RequestBody(required=bool(body.get("required", False)),
                               description=_text(body.get("description")),
                               content=self._content(base, body.get("content")))
        consumes = list(operation.get("consumes") or self.consumes)
        for base, param in params:
            if param.get("in") == "body":
                schema = self.schemas.normalize(param.get("schema"), base)
                return RequestBody(required=bool(param.get("required", False)),
                                   description=_text(param.get("description")),
                                   content=[MediaType(media_type=kind, schema_=schema) for kind in consumes])
        form = [(base, p) for base, p in params if p.get("in") == "formData"]
        if not form:
            return None
        properties = {str(p["name"]): self._param_schema(base, p) for base, p in form}
        required = [str(p["name"]) for _, p in form if p.get("required")]
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        kinds = [k for k in consumes if k in ("multipart/form-data", "application/x-www-form-urlencoded")]
        return RequestBody(required=bool(required), content=[MediaType(media_type=k, schema_=schema)
                                                             for k in kinds or ["application/x-www-form-urlencoded"]])

    def responses(self, operation: dict[str, Any]) -> list[Response]:
        """Every documented response, in the description's order."""
        produces = list(operation.get("produces") or self.produces)
        result = []
        for status, raw in (operation.get("responses") or {}).items():
            base, response = self.docs.follow(self.docs.root, raw)
            if not isinstance(response, dict):
                continue
            if self.version == "2.0":
                content = []
                if response.get("schema") is not None:
                    schema = self.schemas.normalize(response["schema"], base)
                    content = [MediaType(media_type=kind, schema_=schema) for kind in produces]
            else:
                content = self._content(base, response.get("content"))
            headers = {}
            for name, header in (response.get("headers") or {}).items():
                h_base, resolved = self.docs.follow(base, header)
                raw_schema = resolved if self.version == "2.0" else (resolved or {}).get("schema")
                if self.version == "2.0":
                    raw_schema = {k: v for k, v in (resolved or {}).items() if k in _SCHEMA_KEYS_2}
                headers[str(name)] = {"schema": self.schemas.normalize(raw_schema, h_base)}
            result.append(Response(status=str(status).upper() if "x" in str(status).lower() else str(status),
                                   description=str(response.get("description") or ""),
                                   content=content, headers=headers))
        return result

    # -- operations -----------------------------------------------------------------------------

    def operations(self) -> list[Operation]:
        """Every operation, in the order the description lists them, with unique Python names."""
        raw: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = []
        for path, item in (self.data.get("paths") or {}).items():
            _, item = self.docs.follow(self.docs.root, item)
            for method in (key for key in item if key in HTTP_METHODS):
                raw.append((str(path), method, item, item[method]))
        explicit = {str(op["operationId"]) for _, _, _, op in raw if isinstance(op.get("operationId"), str)}
        # Names are given in an order of their own (naming.allocate), not the description's.
        unnamed = [i for i, (_, _, _, op) in enumerate(raw) if not isinstance(op.get("operationId"), str)]
        made = naming.allocate([(f"{raw[i][1]} {raw[i][0]}",) for i in unnamed],
                               lambda key, taken: naming.unique_name(naming.snake_case(key[0]) or key[0].split()[0],
                                                                     taken),
                               explicit)
        generated = dict(zip(unnamed, made, strict=True))
        op_ids = [generated.get(i, str(op.get("operationId"))) for i, (_, _, _, op) in enumerate(raw)]
        functions = naming.allocate([(op_id,) for op_id in op_ids],
                                    lambda key, taken: naming.python_identifier(key[0], taken,
                                                                                naming.RESERVED_FUNCTIONS))
        named = zip(raw, op_ids, functions, strict=True)
        return [self.operation(*found, op_id, function, functions) for found, op_id, function in named]

    def operation(self, path: str, method: str, item: dict[str, Any], operation: dict[str, Any],
                  op_id: str, function: str, functions: list[str]) -> Operation:
        """One operation; its parameters' Python names are none of the `functions` beside them."""
        params = self.parameters(item, operation)
        kept = [(base, p) for base, p in params if p.get("in") in ("path", "query", "header", "cookie")]
        attributes = naming.allocate([(str(p["name"]), str(p["in"])) for _, p in kept],
                                     self.attribute, functions)
        parameters = [self.parameter(base, p, attribute) for (base, p), attribute in zip(kept, attributes, strict=True)]
        security = operation.get("security")
        return Operation(
            operation_id=op_id, function=function, method=method, path=path,
            tags=[str(tag) for tag in operation.get("tags") or []],
            summary=_text(operation.get("summary")), description=_text(operation.get("description")),
            deprecated=bool(operation.get("deprecated", False)), parameters=parameters,
            request_body=self.request_body(operation, params), responses=self.responses(operation),
            security=security if isinstance(security, list) else None,
        )

    # -- the API itself -------------------------------------------------------------------------

    def security_schemes(self) -> list[SecurityScheme]:
        """Security schemes in OpenAPI 3 form (2.0 `securityDefinitions` converted)."""
        if self.version == "2.0":
            raw = self.data.get("securityDefinitions") or {}
            return [SecurityScheme(name=str(name), definition=_scheme_2(d)) for name, d in raw.items()]
        raw = (self.data.get("components") or {}).get("securitySchemes") or {}
        result = []
        for name, value in raw.items():
            _, scheme = self.docs.follow(self.docs.root, value)
            definition = {k: v for k, v in (scheme or {}).items() if not str(k).startswith("x-")}
            result.append(SecurityScheme(name=str(name), definition=definition))
        return result

    def servers(self) -> tuple[list[dict[str, Any]], str]:
        """The servers and the description's own prefix (basePath, or the first server's path)."""
        if self.version == "2.0":
            base_path = str(self.data.get("basePath") or "").rstrip("/")
            host = self.data.get("host")
            schemes = self.data.get("schemes") or ["https"]
            servers = [{"url": f"{schemes[0]}://{host}{base_path}"}] if host else []
            return servers, base_path
        servers = [{k: v for k, v in s.items() if not str(k).startswith("x-")}
                   for s in self.data.get("servers") or [] if isinstance(s, dict)]
        if not servers:
            return [], ""
        url = str(servers[0].get("url", ""))
        for name, variable in (servers[0].get("variables") or {}).items():
            url = url.replace("{" + str(name) + "}", str((variable or {}).get("default", "")))
        return servers, urlparse(url).path.rstrip("/")

    def api(self) -> Api:
        """The info block, prefix, tags and security of the description."""
        servers, base_path = self.servers()
        info = {k: v for k, v in (self.data.get("info") or {}).items() if not str(k).startswith("x-")}
        return Api(
            openapi=str(self.data.get("openapi") or self.data.get("swagger")),
            info=info, base_path=base_path, servers=servers,
            tags=[{k: v for k, v in t.items() if not str(k).startswith("x-")}
                  for t in self.data.get("tags") or [] if isinstance(t, dict)],
            security=list(self.data.get("security") or []),
            security_schemes=self.security_schemes(),
        )


def _scheme_2(definition: dict[str, Any]) -> dict[str, Any]:
    kind = definition.get("type")
    description = {"description": definition["description"]} if "description" in definition else {}
    if kind == "basic":
        return {"type": "http", "scheme": "basic", **description}
    if kind == "apiKey":
        return {"type": "apiKey", "name": definition.get("name"), "in": definition.get("in"), **description}
    flow: dict[str, Any] = {"scopes": definition.get("scopes") or {}}
    for key in ("authorizationUrl", "tokenUrl"):
        if key in definition:
            flow[key] = definition[key]
    name = _OAUTH_FLOWS_2.get(str(definition.get("flow")), "implicit")
    return {"type": "oauth2", "flows": {name: flow}, **description}


def _class_names(names: list[str]) -> dict[str, str]:
    """Python class names of the models: the schema name itself wherever it is a safe identifier."""
    result: dict[str, str] = {}
    taken: list[str] = []
    for name in names:
        if name.isidentifier() and name.isascii() and name not in naming.MODEL_RESERVED and name[:1].isupper():
            candidate = naming.unique_name(name, taken, separator="")
        else:
            candidate = naming.class_name(name, [*taken, *naming.MODEL_RESERVED])
        taken.append(candidate)
        result[name] = candidate
    return result


def reflect_openapi(source: str, name: str | None = None) -> Spec:
    """The spec of an API description file; the same file always gives the same spec."""
    from codegen.reflect.openapi_resources import find_resources

    docs, data, version = load_description(Path(source), source)
    reader = _Reader(docs, data, version)
    operations = reader.operations()
    api = reader.api()
    schemas = reader.schemas.resolve_all()
    classes = _class_names(list(schemas))
    models = [Model(name=key, class_name=classes[key], schema_=value) for key, value in schemas.items()]
    resources, operations, diagnostics = find_resources(operations, models)
    project = naming.snake_case(name or PurePath(source).stem) or "api"
    return Spec(
        spec_version=SPEC_VERSION,
        name=project,
        source=Source(kind="openapi", url=source),
        api=api,
        resources=resources,
        models=models,
        operations=operations,
        diagnostics=diagnostics,
    )
