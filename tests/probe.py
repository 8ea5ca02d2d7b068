"""Call every resource of a served project the way a new user would, and collect what answered 5xx or broke
the contract's basic shape: list, get the first item, sort by every field, filter by every field (with a value
read from the list), and create an item from a listed one.

`probe(base_url, headers)` reads the project's own `/openapi.json` to find the resources, so it works on any
project generated from a database, whatever its names.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx


# Paths every project answers itself, no resources.
SERVICE_PATHS = frozenset({"/healthz", "/livez", "/readyz", "/metrics", "/docs", "/openapi.json"})


@dataclass
class Report:
    """What a probe sent and what went wrong."""

    requests: int = 0
    failures: list[str] = field(default_factory=list)
    # How long the /openapi.json the probe read took to answer, where a caller timed it.
    document_seconds: float | None = None

    def check(self, response: httpx.Response, expected: tuple[int, ...], what: str) -> bool:
        """Count the request; note it as a failure unless its status is expected (never a 5xx)."""
        self.requests += 1
        if response.status_code in expected and response.status_code < 500:
            return True
        body = response.text[:300].replace("\n", " ")
        self.failures.append(
            f"{what}: {response.request.method} {response.request.url} -> " f"{response.status_code} {body}"
        )
        return False


@dataclass(frozen=True)
class Collection:
    """A list path of the served API, its item path (None without one) and whether it takes creates."""

    path: str
    item: str | None
    key: tuple[str, ...]
    creatable: bool


def collections(document: dict[str, Any]) -> Iterator[Collection]:
    """The resources of an OpenAPI document generated from a database: `/x` with `/x/{a}/{b}` beside it."""
    paths = document.get("paths", {})
    for path, operations in sorted(paths.items()):
        if "{" in path or "get" not in operations or path in SERVICE_PATHS:
            continue
        items = [
            p
            for p in paths
            if p.startswith(path + "/{")
            and p.count("/") >= path.count("/") + 1
            and all(part.startswith("{") for part in p[len(path) + 1 :].split("/"))
        ]
        item = min(items, key=len) if items else None
        key = tuple(part.strip("{}") for part in item[len(path) + 1 :].split("/")) if item else ()
        yield Collection(path, item, key, "post" in operations)


def _item_path(collection: Collection, row: dict[str, Any], names: tuple[str, ...]) -> str:
    return collection.path + "".join("/" + _segment(row[name]) for name in names)


def _segment(value: Any) -> str:
    """A key value as one path segment: percent-encoded, dots too where the value is a dot segment (`..`),
    which a client would otherwise resolve away."""
    text = quote(str(value), safe="")
    return text.replace(".", "%2E") if text in (".", "..") else text


def _key_names(collection: Collection, row: dict[str, Any]) -> tuple[str, ...]:
    """The JSON names of the item path's parameters, which are Python names (`class_` for `class`)."""
    return tuple(name if name in row else name.rstrip("_") for name in collection.key)


def _filter_value(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _Client(httpx.Client):
    """An HTTP client whose dropped connections become 599 answers: a probe goes on after one."""

    def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        try:
            return super().send(request, **kwargs)
        except httpx.TransportError as exc:
            return httpx.Response(599, text=f"no answer: {exc}", request=request)


def probe(base_url: str, headers: dict[str, str] | None = None, write: bool = True) -> Report:
    """Every resource listed, its first item read, sorted and filtered by each field, one item created."""
    report = Report()
    with _Client(base_url=base_url, headers=headers or {}, timeout=30) as client:
        document = client.get("/openapi.json").json()
        for collection in collections(document):
            _probe_collection(client, collection, report, write)
    return report


def _probe_collection(client: httpx.Client, collection: Collection, report: Report, write: bool) -> None:
    listed = client.get(collection.path, params={"limit": 5})
    if not report.check(listed, (200,), "list"):
        return
    rows = listed.json()["items"]
    fields = list(rows[0]) if rows else []
    for name in fields:
        for order in (name, f"-{name}"):
            response = client.get(collection.path, params={"sort": order, "limit": 3})
            report.check(response, (200, 422), f"sort {order}")
        value = _filter_value(rows[0][name])
        if value is not None:
            response = client.get(collection.path, params={f"{name}__eq": value, "limit": 3})
            if report.check(response, (200, 422), f"filter {name}") and response.status_code == 200:
                if not response.json()["items"]:
                    report.failures.append(f"filter {name}={value!r} on {collection.path} found no row")
        report.check(
            client.get(collection.path, params={f"{name}__isnull": "true"}), (200,), f"isnull {name}"
        )
    if rows and collection.item is not None:
        names = _key_names(collection, rows[0])
        if all(rows[0].get(name) is not None for name in names):
            report.check(client.get(_item_path(collection, rows[0], names)), (200,), "get")
    if write and collection.creatable and rows:
        response = client.post(collection.path, json=rows[0])
        report.check(response, (201, 409, 422), "create from a listed row")


def main() -> None:  # pragma: no cover - a manual tool: python tests/probe.py URL [KEY]
    """Probe a served project from the command line."""
    import sys

    headers = {"X-API-Key": sys.argv[2]} if len(sys.argv) > 2 else {}
    report = probe(sys.argv[1], headers)
    print(json.dumps({"requests": report.requests, "failures": report.failures}, indent=2))


if __name__ == "__main__":
    main()
