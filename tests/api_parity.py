"""The same requests to two projects generated from one API description (FastAPI and Flask): same answers?

`requests_for(document)` derives requests from the served /openapi.json: every operation with valid,
missing, malformed and out-of-range parameters in each location, bodies of every kind (bad JSON, wrong
shapes, other media types, no body), no key, a read key and a write key, methods the path does not
serve, and trailing slashes. `compare` sends each one to both servers in turn (both start from an empty
database, so writes give the same rows) and reports every answer that differs in status, a header a
client reads, or body bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

HEADERS = ("content-type", "location", "www-authenticate", "allow", "x-total-count")
BAD_VALUES = ("abc", "", "-1", "1.5", "99999999999999999999999", "true", "é%", "x" * 300)
BODIES = (
    ("application/json", b"{"),
    ("application/json", b"{}"),
    ("application/json", b"[]"),
    ("application/json", b'"x"'),
    ("application/json", b"null"),
    ("application/json", b'{"id": 1, "name": "n", "tag": "t"}'),
    ("application/json", b'{"id": "abc", "name": 5}'),
    ("application/json", b'{"name": "n", "unknown": 1}'),
    ("application/json", b"\xff\xfe\x00"),
    ("application/json; charset=utf-8", b'{"name": "x"}'),
    ("text/plain", b"hello"),
    ("application/x-www-form-urlencoded", b"name=n&id=3"),
    ("application/xml", b"<a/>"),
    (None, b'{"name": "n"}'),
)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD")


@dataclass(frozen=True)
class Sent:
    """One request: method, path, query pairs, headers, body."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None

    def __str__(self) -> str:
        return f"{self.method} {self.path} {list(self.query)} {dict(self.headers)} {self.body!r}"


@dataclass
class ParityReport:
    """How many requests both servers answered, and the ones they answered differently."""

    compared: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    differences: list[str] = field(default_factory=list)


def _resolve(document: dict[str, Any], schema: Any) -> dict[str, Any]:
    for _ in range(10):
        if not isinstance(schema, dict) or not str(schema.get("$ref", "")).startswith("#/"):
            break
        node: Any = document
        for part in schema["$ref"][2:].split("/"):
            node = node.get(part.replace("~1", "/").replace("~0", "~"), {})
        schema = node
    return schema if isinstance(schema, dict) else {}


def _valid(document: dict[str, Any], schema: Any) -> str:
    """A value the parameter's schema accepts, as sent in a URL or header."""
    schema = _resolve(document, schema)
    if schema.get("enum"):
        value = schema["enum"][0]
        return str(value).lower() if isinstance(value, bool) else str(value)
    declared = schema.get("type") or []
    kinds = [k for k in ([declared] if isinstance(declared, str) else declared) if k != "null"]
    kind = kinds[0] if kinds else "string"
    if kind in ("integer", "number"):
        return str(int(schema.get("minimum", schema.get("exclusiveMinimum", 0))) + 1)
    if kind == "boolean":
        return "true"
    if kind == "array":
        return _valid(document, schema.get("items", {}))
    formats = {"uuid": "00000000-0000-0000-0000-000000000001", "date": "2020-01-01"}
    return formats.get(str(schema.get("format")), "x" * max(1, int(schema.get("minLength", 1))))


def _example(document: dict[str, Any], schema: Any, depth: int = 0) -> Any:
    """A JSON value the schema accepts, for the common shapes (required members only)."""
    schema = _resolve(document, schema)
    for key in ("oneOf", "anyOf"):
        if schema.get(key):
            return _example(document, schema[key][0], depth + 1)
    if schema.get("allOf"):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = _example(document, part, depth + 1)
            merged.update(value if isinstance(value, dict) else {})
        return merged
    declared = schema.get("type") or ("object" if "properties" in schema else "string")
    kind = next((k for k in ([declared] if isinstance(declared, str) else declared) if k != "null"), "string")
    if kind == "object":
        properties = schema.get("properties", {})
        required = [name for name in schema.get("required", []) if name in properties]
        if depth > 4:
            return {}
        return {name: _example(document, properties[name], depth + 1) for name in required}
    if kind == "array":
        return []
    if schema.get("enum"):
        return schema["enum"][0]
    if kind in ("integer", "number"):
        return int(schema.get("minimum", 0)) + 1
    if kind == "boolean":
        return True
    return _valid(document, schema)


def _operation(document: dict[str, Any], prefix: str, path: str, method: str,
               operation: dict[str, Any], served: set[str]) -> Iterator[Sent]:
    params = operation.get("parameters", [])
    in_path = {p["name"]: _valid(document, p.get("schema")) for p in params if p["in"] == "path"}
    required = [(p["name"], p["in"], _valid(document, p.get("schema")))
                for p in params if p["in"] != "path" and p.get("required")]

    def url(values: dict[str, str]) -> str:
        return prefix + re.sub(r"\{([^}]+)\}", lambda m: values.get(m.group(1), "x"), path)

    def sent(verb: str, values: dict[str, str], extra: tuple[tuple[str, str, str], ...] = (),
             key: str | None = "write", content_type: str | None = None, body: bytes | None = None) -> Sent:
        query: list[tuple[str, str]] = []
        headers: list[tuple[str, str]] = []
        cookies: list[tuple[str, str]] = []
        for name, where, value in [*required, *extra]:
            {"query": query, "header": headers, "cookie": cookies}[where].append((name, value))
        if cookies:
            headers.append(("Cookie", "; ".join(f"{k}={v}" for k, v in cookies)))
        if key:
            headers.append(("X-API-Key", key))
        if content_type:
            headers.append(("Content-Type", content_type))
        return Sent(verb, url(values), tuple(query), tuple(headers), body)

    verb = method.upper()
    for key in ("write", "read", None):
        yield sent(verb, in_path, key=key)
    for name in in_path:
        for bad in BAD_VALUES[:5]:
            yield sent(verb, {**in_path, name: bad})
    for param in (p for p in params if p["in"] != "path"):
        good = _valid(document, param.get("schema"))
        for value in (*BAD_VALUES, good):
            yield sent(verb, in_path, ((param["name"], param["in"], value),))
        if param["in"] == "query":
            yield sent(verb, in_path, ((param["name"], "query", "1"), (param["name"], "query", "abc")))
    if required:
        yield Sent(verb, url(in_path), headers=(("X-API-Key", "write"),))
    if "requestBody" in operation:
        content = operation["requestBody"].get("content", {})
        described = [(kind, json.dumps(_example(document, media.get("schema"))).encode())
                     for kind, media in content.items() if "json" in kind]
        for content_type, body in [*described, *BODIES]:
            for key in ("write", None):
                yield sent(verb, in_path, key=key, content_type=content_type, body=body)
    for other in METHODS:
        if other.lower() not in served:
            yield sent(other, in_path)


def requests_for(document: dict[str, Any]) -> list[Sent]:
    """Every request this module sends for the document, in a fixed order."""
    prefix = document["servers"][0]["url"].rstrip("/")
    result: list[Sent] = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            result += _operation(document, prefix, path, method, operation, set(item))
    result += [Sent(s.method, s.path + "/", s.query, s.headers, s.body) for s in result[::25]]
    result += [Sent("GET", prefix + "/no/such/path"), Sent("GET", "/healthz"), Sent("POST", "/healthz")]
    return result


def _answer(response: httpx.Response, base: str, method: str) -> tuple[Any, ...]:
    headers = tuple((response.headers.get(name) or "").replace(base, "") for name in HEADERS)
    return response.status_code, headers, b"" if method == "HEAD" else response.content


def compare(requests: list[Sent], first: str, second: str, keys: dict[str, str]) -> ParityReport:
    """Send each request to both servers (`keys` maps "read"/"write" to the keys to send)."""
    report = ParityReport()
    with httpx.Client(base_url=first) as one, httpx.Client(base_url=second) as two:
        for request in requests:
            headers = [(k, keys.get(v, v) if k == "X-API-Key" else v) for k, v in request.headers]
            encoded = [(k, v.encode()) for k, v in headers]
            answers = []
            for client, base in ((one, first), (two, second)):
                response = client.request(request.method, request.path, params=list(request.query),
                                          headers=encoded, content=request.body)
                answers.append(_answer(response, base, request.method))
            report.compared += 1
            report.statuses[answers[0][0]] = report.statuses.get(answers[0][0], 0) + 1
            if answers[0] != answers[1]:
                report.differences.append(f"{request}\n  first:  {answers[0]}\n  second: {answers[1]}")
    return report
