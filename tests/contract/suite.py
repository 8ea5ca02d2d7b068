"""The contract suite: every behaviour of CONTRACT.md, checked against a running API over real HTTP.

`run_contract(base_url, spec, write_key, read_key, database_url)` drives the server with httpx and
compares what it answers with the database itself (SQLAlchemy on the same DATABASE_URL). Everything is
derived from the spec (`.codegen/spec.yaml`): resource paths, keys, field types, lengths, enums,
relations. Nothing here knows any particular database, so it runs on schemas nobody has seen.

Writes clean up after themselves: every row the suite creates is deleted again (through the API, or
directly in the database when the API fails to), so the suite can run against real sample databases.
A create that the database refuses with 409 for a reason the spec cannot know (a CHECK constraint, a
trigger) skips the write checks of that resource with the reason recorded in the report.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import itertools
import json
import operator
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time as clock
import traceback
import uuid
import warnings
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from sqlalchemy import MetaData, Table, create_engine, event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SAWarning, SQLAlchemyError
from sqlalchemy.pool import NullPool

from codegen.spec.model import Field, LogicalType, Resource, Spec
from contract import niceties

T = LogicalType
INTEGERS = frozenset({T.INTEGER, T.SMALL_INTEGER, T.BIG_INTEGER})
NUMERIC = INTEGERS | {T.DECIMAL, T.FLOAT}
TEXTUAL = frozenset({T.STRING, T.TEXT, T.ENUM})
SERVED_AS_TEXT = TEXTUAL | {T.UNKNOWN}
TEMPORAL = frozenset({T.DATE, T.DATETIME, T.TIME})
# Fields whose values the suite binds into its own SQL to compute what a filter must answer.
DB_CHECKABLE = NUMERIC | TEXTUAL | TEMPORAL | {T.BOOLEAN}
# Fields an equality filter is tried on (values read back from the API itself).
EQ_TYPES = DB_CHECKABLE | {T.UUID}
# Which types an equality filter is tried on first, when it is not tried on every field.
EQ_PREFERENCE = [
    T.DATETIME,
    T.DATE,
    T.TIME,
    T.DECIMAL,
    T.STRING,
    T.ENUM,
    T.BOOLEAN,
    T.UUID,
    T.INTEGER,
    T.BIG_INTEGER,
    T.SMALL_INTEGER,
    T.FLOAT,
    T.TEXT,
]
# Fields `lt le gt ge` and sorting are tried on.
ORDERED = NUMERIC | TEXTUAL | TEMPORAL | {T.UUID}
# Python-side comparisons (strings are left to the database: collations differ).
TYPED = NUMERIC | TEMPORAL | {T.BOOLEAN}
RESERVED = frozenset({"limit", "offset", "sort", "expand", "fields", "cursor"})
INTEGER_RANGE = {T.SMALL_INTEGER: 32_767, T.INTEGER: 2_147_483_647, T.BIG_INTEGER: 9_223_372_036_854_775_807}
PROBLEM = "application/problem+json"
# The request headers a replay of a request sends again (the rest are httpx's own).
SENT_HEADERS = ("x-api-key", "content-type", "accept", "if-match", "if-none-match")
# What an error body must never show (checked case-insensitively, then SQL case-sensitively).
LEAKS = (
    "traceback",
    "sqlalchemy",
    "psycopg",
    "pymysql",
    "sqlite3",
    'file "/',
    "+psycopg://",
    "+pymysql://",
    "sqlite:///",
)
SQL_LEAKS = ("SELECT ", "INSERT INTO", "UPDATE ", "DELETE FROM", " WHERE ")
COMPARE = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}
EXPECT_ROW = {"eq": 1, "le": 1, "ge": 1, "in": 1, "like": 1, "ilike": 1, "ne": 0, "lt": 0, "gt": 0}


# -- the report -------------------------------------------------------------------------------------------


@dataclass
class Exchange:
    """One HTTP request and what came back, as a failure shows it."""

    method: str
    url: str
    body: Any = None
    status: int | None = None
    content_type: str = ""
    response: str = ""

    def __str__(self) -> str:
        sent = "" if self.body is None else f" body={_short(json.dumps(self.body, default=str), 300)}"
        return (
            f"{self.method} {self.url}{sent}\n      -> {self.status} [{self.content_type}] "
            f"{_short(self.response, 500)}"
        )


@dataclass(frozen=True)
class Sent:
    """One request as it went over the wire (for replaying it against another server) and its status."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    content: bytes
    status: int


@dataclass
class Failure:
    """A check that did not hold."""

    area: str
    resource: str | None
    check: str
    expected: str
    got: str
    exchange: Exchange | None = None

    def __str__(self) -> str:
        where = f"[{self.area}{' ' + self.resource if self.resource else ''}]"
        text = (
            f"{where} {self.check}\n    expected: {_short(self.expected, 600)}"
            f"\n    got:      {_short(self.got, 600)}"
        )
        if self.exchange is not None:
            text += f"\n    request:  {self.exchange}"
        return text


@dataclass
class Skip:
    """A check that was not run, and why."""

    area: str
    resource: str | None
    check: str
    reason: str

    def __str__(self) -> str:
        return f"[{self.area}{' ' + self.resource if self.resource else ''}] {self.check}: {self.reason}"


@dataclass
class ContractReport:
    """Checks run, failures with their requests and responses, skips with reasons."""

    base_url: str
    checks: int = 0
    requests: int = 0
    seconds: float = 0.0
    failures: list[Failure] = dataclass_field(default_factory=list)
    skips: list[Skip] = dataclass_field(default_factory=list)
    areas: Counter[str] = dataclass_field(default_factory=Counter)
    area_seconds: Counter[str] = dataclass_field(default_factory=Counter)
    notes: list[str] = dataclass_field(default_factory=list)
    sent: list[Sent] = dataclass_field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no check failed."""
        return not self.failures

    def summary(self) -> str:
        """One line: how many checks, failures, skips, requests, seconds."""
        areas = ", ".join(
            f"{area} {count} in {self.area_seconds[area]:.1f} s" for area, count in sorted(self.areas.items())
        )
        refused = sum(1 for skip in self.skips if skip.reason.startswith("the database refused"))
        return (
            f"{self.checks} contract checks, {len(self.failures)} failed, {len(self.skips)} skipped "
            f"({refused} writes refused with 409 by constraints the spec does not record); "
            f"{self.requests} requests in {self.seconds:.1f} s ({areas})"
        )

    def format(self, limit: int = 60) -> str:
        """The summary, every skip, notes, and the first `limit` failures in full."""
        lines = [self.summary()]
        lines += [f"note: {note}" for note in self.notes]
        if self.skips:
            lines.append(f"skipped ({len(self.skips)}):")
            lines += [f"  {skip}" for skip in self.skips]
        if self.failures:
            lines += listed(f"FAILED ({len(self.failures)}):", self.failures, limit)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


def listed(title: str, items: list[Any], limit: int) -> list[str]:
    """`title`, then the first `limit` items indented, then how many more there are."""
    lines = [title] + [f"  {item}" for item in items[:limit]]
    if len(items) > limit:
        lines.append(f"  ... and {len(items) - limit} more")
    return lines


def _short(text: str, limit: int) -> str:
    text = str(text).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Abort(Exception):
    """Stop the current section; the reason is already recorded."""


# -- spec helpers -----------------------------------------------------------------------------------------


def readable(resource: Resource) -> list[Field]:
    """The fields a read answers."""
    return [f for f in resource.fields if not f.hidden]


def item_key(resource: Resource) -> list[Field]:
    """The fields of an item path: the primary key, else a unique key of non-null fields."""
    if resource.primary_key:
        return resource.key_fields
    for unique in resource.unique_keys:
        fields = [resource.field(name) for name in unique.fields]
        if all(not f.nullable for f in fields):
            return fields
    return []


def is_writable(resource: Resource) -> bool:
    """True for a table with a primary key (and not marked read-only in the spec)."""
    return resource.kind == "table" and bool(resource.primary_key) and not resource.read_only


def writable_fields(resource: Resource) -> list[Field]:
    """Fields a client may send in a body."""
    return [f for f in resource.fields if not f.read_only and f.type is not T.UNKNOWN]


def segment(value: Any) -> str:
    """A key value as one URL path segment."""
    if isinstance(value, bool):
        value = "true" if value else "false"
    return quote(str(value), safe="")


def query_value(value: Any) -> str:
    """A JSON value as a query-string value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def to_db(f: Field, value: Any) -> Any:
    """A JSON value of the API as the Python value bound into the suite's own SQL."""
    if value is None:
        return None
    if f.type in INTEGERS:
        return int(value)
    if f.type is T.FLOAT:
        return float(value)
    if f.type is T.DECIMAL:
        return Decimal(str(value))
    if f.type is T.BOOLEAN:
        return bool(value)
    if f.type is T.DATE:
        return date.fromisoformat(value)
    if f.type is T.DATETIME:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if f.type is T.TIME:
        return time.fromisoformat(value)
    return value


def typed(f: Field, value: Any) -> Any:
    """A comparable Python value for the fields compared in Python; None otherwise."""
    if value is None or f.type not in TYPED:
        return None
    try:
        if f.type in NUMERIC:
            return Decimal(str(value))
        return to_db(f, value)
    except (ValueError, InvalidOperation, TypeError):
        return None


def _sqlite_engine(url: str) -> Engine:
    """The suite's own SQLite engine: case-sensitive LIKE and a Unicode casefold, as SQL meant."""
    engine = create_engine(url, poolclass=NullPool)

    def _connect(connection: Any, _record: Any) -> None:
        connection.execute("PRAGMA case_sensitive_like=ON")
        connection.create_function(
            "casefold", 1, lambda v: v.casefold() if isinstance(v, str) else v, deterministic=True
        )

    event.listen(engine, "connect", _connect)
    return engine


def _as_stored(f: Field, column: Any, sqlite: bool) -> tuple[Any, Any]:
    """SQLite keeps times as text in whatever format wrote them: compare normalized text."""
    if sqlite and f.type is T.DATETIME:
        return func.datetime(column), lambda v: func.datetime(v.isoformat(sep=" ") if v is not None else v)
    if sqlite and f.type is T.TIME:
        return func.time(column), lambda v: func.time(v.isoformat() if v is not None else v)
    return column, lambda v: v


def _compare(op: str, left: Any, right: Any) -> Any:
    return COMPARE[op](left, right)


def same_value(f: Field, sent: Any, got: Any) -> bool:
    """True when a stored value is what was sent, allowing for the type's representation."""
    if sent is None or got is None:
        return sent is None and got is None
    try:
        if f.type in NUMERIC:
            if f.type is T.FLOAT:
                return abs(float(sent) - float(got)) <= 1e-6 * max(1.0, abs(float(sent)))
            return Decimal(str(sent)) == Decimal(str(got))
        if f.type is T.DATETIME:
            a, b = to_db(f, sent), to_db(f, got)
            if (a.tzinfo is None) != (b.tzinfo is None):
                return a.replace(tzinfo=None) == b.replace(tzinfo=None)
            return a == b
        if f.type in (T.DATE, T.TIME):
            return to_db(f, sent) == to_db(f, got)
        if f.type is T.BINARY:
            return base64.urlsafe_b64decode(sent) == base64.urlsafe_b64decode(got)
        if f.type is T.UUID:
            return str(sent).lower() == str(got).lower()
        if f.type is T.INTERVAL:
            return True
        if isinstance(sent, str) and isinstance(got, str):
            return sent.rstrip() == got.rstrip()
    except (ValueError, InvalidOperation, TypeError):
        return False
    return bool(sent == got)


def _fixed_length(f: Field) -> bool:
    db_type = f.db_type.upper()
    return db_type.startswith(("CHAR(", "NCHAR(", "CHARACTER(", "BPCHAR("))


def _token(f: Field, prefix: str = "cg") -> str:
    """A new string value that fits the field's length."""
    value = prefix + secrets.token_hex(6)
    if f.length:
        value = value[: f.length] if f.length >= len(prefix) + 4 else secrets.token_hex(f.length)[: f.length]
        if _fixed_length(f):
            value = value.ljust(f.length, "x")
    return value


def _decimal(f: Field, whole: int = 1) -> str:
    scale = f.scale or 0
    digits = (f.precision or 10) - scale
    integer = str(whole)[: max(digits, 0)] or "0"
    return integer + ("." + "5".rjust(min(scale, 2), "2") if scale else "")


def synth(f: Field) -> Any:
    """A plausible value of the field's type, for a field without an example in the data."""
    t = f.type
    if t is T.ENUM and f.enum_values:
        return f.enum_values[0]
    if t in (T.STRING, T.TEXT, T.ENUM):
        return _token(f)
    if t in INTEGERS:
        return 1
    if t is T.BOOLEAN:
        return True
    if t is T.FLOAT:
        return 1.5
    if t is T.DECIMAL:
        return _decimal(f)
    if t is T.DATE:
        return "2024-01-02"
    if t is T.DATETIME:
        return "2024-01-02T03:04:05" + ("+00:00" if f.timezone else "")
    if t is T.TIME:
        return "12:34:56"
    if t is T.INTERVAL:
        return "PT1H"
    if t is T.UUID:
        return str(uuid.uuid4())
    if t is T.JSON:
        return {"cg": 1}
    if t is T.BINARY:
        return base64.urlsafe_b64encode(b"cg\x00\xff").decode()
    if t is T.ARRAY:
        return [1, 2] if f.item_type in INTEGERS else ["cg"]
    return None


def fresh(f: Field, maximum: Any = None) -> Any:
    """A value of the field that no row has yet (for keys and unique fields)."""
    t = f.type
    if t in INTEGERS:
        high = INTEGER_RANGE.get(t, INTEGER_RANGE[T.INTEGER])
        if maximum is not None and int(maximum) + 1 <= high:
            return int(maximum) + 1
        return secrets.randbelow(high // 2) + high // 4
    if t in (T.STRING, T.TEXT):
        return _token(f)
    if t is T.UUID:
        return str(uuid.uuid4())
    if t is T.DECIMAL:
        return _decimal(f, secrets.randbelow(10**6) + 1)
    if t is T.FLOAT:
        return secrets.randbelow(10**6) + 0.5
    if t is T.DATE:
        return date.fromordinal(700_000 + secrets.randbelow(30_000)).isoformat()
    if t is T.DATETIME:
        moment = datetime(2001, 1, 1).fromordinal(700_000 + secrets.randbelow(30_000))
        return moment.isoformat() + ("+00:00" if f.timezone else "")
    return synth(f)


def absent(f: Field) -> Any:
    """A key value that is, in all likelihood, not in the table."""
    t = f.type
    if t in INTEGERS:
        high = INTEGER_RANGE.get(t, INTEGER_RANGE[T.INTEGER])
        return high - 1 - secrets.randbelow(min(high // 100, 10**6))
    if t is T.UUID:
        return str(uuid.uuid4())
    if t in (T.STRING, T.TEXT, T.ENUM):
        return _token(f, "zz")
    if t is T.DATE:
        return "1901-02-03"
    if t is T.DATETIME:
        return "1901-02-03T04:05:06"
    return _token(f, "zz")


def wrong_type(f: Field) -> Any:
    """A JSON value the field's type refuses; None when the suite knows none."""
    if f.type in INTEGERS or f.type in (T.DECIMAL, T.FLOAT):
        return "not-a-number"
    if f.type is T.BOOLEAN:
        return "not-a-boolean"
    if f.type in TEMPORAL:
        return "not-a-date"
    if f.type is T.UUID:
        return "not-a-uuid"
    if f.type in TEXTUAL:
        return {"not": "a string"}
    return None


def _schema_types(schema: Mapping[str, Any], components: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The non-null alternatives of an OpenAPI schema, with $refs resolved."""
    if "$ref" in schema:
        return _schema_types(_resolve(schema["$ref"], components), components)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return [alt for option in schema[key] for alt in _schema_types(option, components)]
    if schema.get("type") == "null":
        return []
    return [schema]


def _resolve(ref: str, document: Mapping[str, Any]) -> Mapping[str, Any]:
    node: Any = document
    for part in ref.lstrip("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


# -- the run ------------------------------------------------------------------------------------------------


class _Run:
    """One run of the suite against one server."""

    def __init__(
        self,
        base_url: str,
        spec: Spec,
        write_key: str | None,
        read_key: str | None,
        database_url: str,
        depth: str,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.spec = spec
        self.write_key = write_key
        self.read_key = read_key
        self.database_url = database_url
        self.full = depth == "full"
        self.report = ContractReport(self.base_url)
        self.client = httpx.Client(base_url=self.base_url, timeout=60.0, follow_redirects=False)
        self.engine: Engine = (
            create_engine(database_url, pool_size=1, max_overflow=2)
            if not database_url.startswith("sqlite")
            else _sqlite_engine(database_url)
        )
        self.resources = {r.name: r for r in spec.resources}
        self.area = "service"
        self.resource: Resource | None = None
        self.last: Exchange | None = None
        self.tables: dict[str, Table | None] = {}
        self.samples: dict[str, list[dict[str, Any]]] = {}
        self.created: list[tuple[Resource, dict[str, Any]]] = []
        self.validation: tuple[str, subprocess.Popen[str], str] | None = None
        self.dropped = 0
        self.last_request: httpx.Request | None = None
        self.slow: set[str] = set()
        self.reads = True

    # -- recording -------------------------------------------------------------------------------------

    def check(
        self, name: str, ok: bool, expected: Any = "", got: Any = None, response: httpx.Response | None = None
    ) -> bool:
        self.report.checks += 1
        self.report.areas[self.area] += 1
        if not ok:
            exchange = self.last
            if response is not None and (self.last is None or response.request is not self.last_request):
                exchange = self._exchange(response)
            if got is None:
                got = f"{exchange.status} {exchange.response}" if exchange else "?"
            self.report.failures.append(
                Failure(
                    self.area,
                    self.resource.name if self.resource else None,
                    name,
                    str(expected),
                    str(got),
                    exchange,
                )
            )
        return ok

    def skip(self, name: str, reason: str) -> None:
        self.report.skips.append(Skip(self.area, self.resource.name if self.resource else None, name, reason))

    @contextlib.contextmanager
    def section(self, area: str, resource: Resource | None = None) -> Iterator[None]:
        self.area, self.resource = area, resource
        started = clock.perf_counter()
        try:
            yield
        except _Abort:
            pass
        except Exception as exc:  # noqa: BLE001 - a surprise in one section must not hide the others
            tail = "".join(traceback.format_exception(exc)[-3:])
            self.check(
                f"{area} section ran to the end", False, "no exception", f"{type(exc).__name__}: {tail}"
            )
        finally:
            self.report.area_seconds[area] += clock.perf_counter() - started

    # -- HTTP ------------------------------------------------------------------------------------------

    def _exchange(self, response: httpx.Response, body: Any = None) -> Exchange:
        request = response.request
        url = str(request.url).removeprefix(self.base_url)
        return Exchange(
            request.method,
            url,
            body,
            response.status_code,
            response.headers.get("content-type", ""),
            response.text,
        )

    def call(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        key: str | None = None,
        raw: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        headers = {**({"X-API-Key": key} if key else {}), **(headers or {})}
        kwargs: dict[str, Any] = {"params": dict(params) if params else None, "headers": headers}
        if raw is not None:
            kwargs["content"] = raw
            headers["Content-Type"] = "application/json"
        elif body is not None:
            kwargs["json"] = body
        self.report.requests += 1
        try:
            response = self.client.request(method, path, **kwargs)
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
            # uvicorn closes a keep-alive connection after an unhandled error (a 500); the next request on
            # it fails before it reaches the server. Send it again on a new connection, once.
            self.dropped += 1
            response = self.client.request(method, path, **kwargs)
        self.last = self._exchange(response, body)
        self.last_request = response.request
        request = response.request
        self.report.sent.append(
            Sent(
                request.method,
                request.url.raw_path.decode("ascii"),
                tuple((name, request.headers[name]) for name in SENT_HEADERS if name in request.headers),
                request.content,
                response.status_code,
            )
        )
        return response

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> httpx.Response:
        return self.call("GET", path, params)

    def write(self, method: str, path: str, body: Any = None, key: str | None = "write") -> httpx.Response:
        chosen = {"write": self.write_key, "read": self.read_key}.get(key or "", None)
        return self.call(method, path, body=body, key=chosen)

    def expect(self, name: str, response: httpx.Response, status: int, json_body: bool = True) -> bool:
        """The status (and for errors the problem+json shape); False when it differs."""
        ok = self.check(
            f"{name}: status {status}", response.status_code == status, f"HTTP {status}", response=response
        )
        if response.status_code >= 400:
            self.problem(name, response, response.status_code)
        elif ok and json_body and status != 204:
            kind = response.headers.get("content-type", "").split(";")[0].strip()
            ok = (
                self.check(
                    f"{name}: JSON body",
                    kind == "application/json",
                    "application/json",
                    kind,
                    response=response,
                )
                and ok
            )
        return ok

    def problem(self, name: str, response: httpx.Response, status: int) -> None:
        """Every error is application/problem+json with type, title, status, detail (and errors on 422)."""
        kind = response.headers.get("content-type", "").split(";")[0].strip()
        self.check(
            f"{name}: content-type {PROBLEM}", kind == PROBLEM, PROBLEM, kind or "(none)", response=response
        )
        try:
            body = response.json()
        except ValueError:
            self.check(f"{name}: problem body is JSON", False, "a JSON object", response=response)
            return
        if not isinstance(body, dict):
            self.check(f"{name}: problem body is an object", False, "a JSON object", response=response)
            return
        wrong = [
            k
            for k, kinds in (("type", str), ("title", str), ("status", int), ("detail", str))
            if not isinstance(body.get(k), kinds)
        ]
        self.check(
            f"{name}: problem has type/title/status/detail",
            not wrong,
            "type, title, detail strings and status integer",
            f"bad or missing: {wrong}",
            response=response,
        )
        if isinstance(body.get("status"), int):
            self.check(
                f"{name}: problem status matches",
                body["status"] == response.status_code,
                response.status_code,
                body["status"],
                response=response,
            )
        if status == 422:
            errors = body.get("errors")
            good = (
                isinstance(errors, list)
                and errors
                and all(
                    isinstance(e, dict) and isinstance(e.get("loc"), list) and isinstance(e.get("msg"), str)
                    for e in errors
                )
            )
            self.check(
                f"{name}: 422 lists errors [{{loc, msg}}]",
                bool(good),
                "errors: [{loc: [...], msg}]",
                response=response,
            )
        leaks = [leak for leak in LEAKS if leak in response.text.lower()]
        leaks += [leak for leak in SQL_LEAKS if leak in response.text]
        if self.database_url in response.text:
            leaks.append("the database URL")
        self.check(f"{name}: no trace, SQL or URL in the error", not leaks, "none", leaks, response=response)

    # -- the database ----------------------------------------------------------------------------------

    def table(self, resource: Resource) -> Table | None:
        if resource.name not in self.tables:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", SAWarning)
                    self.tables[resource.name] = Table(
                        resource.table,
                        MetaData(),
                        schema=resource.db_schema,
                        autoload_with=self.engine,
                        resolve_fks=False,
                    )
            except SQLAlchemyError as exc:
                self.tables[resource.name] = None
                self.skip("database checks", f"could not reflect {resource.table!r}: {type(exc).__name__}")
        return self.tables[resource.name]

    def db_count(self, resource: Resource, *where: Any) -> int | None:
        """The number of rows matching `where`, or None when the database cannot say."""
        table = self.table(resource)
        if table is None:
            return None
        try:
            with self.engine.connect() as conn:
                return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())
        except SQLAlchemyError as exc:
            self.skip(
                "database check", f"the database could not evaluate it: {_short(str(exc.orig or exc), 160)}"
            )
            return None

    def db_keys(
        self, resource: Resource, where: list[Any], order: list[Any], limit: int
    ) -> list[tuple[Any, ...]] | None:
        table = self.table(resource)
        assert table is not None
        columns = [table.c[f.column] for f in item_key(resource)]
        statement = select(*columns).where(*where).order_by(*order, *columns).limit(limit)
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(statement).all()
        except SQLAlchemyError as exc:
            self.skip(
                "database check", f"the database could not evaluate it: {_short(str(exc.orig or exc), 160)}"
            )
            return None
        return [tuple(_norm_key(f, v) for f, v in zip(item_key(resource), row, strict=True)) for row in rows]

    def column(self, resource: Resource, f: Field) -> Any:
        table = self.table(resource)
        return None if table is None else table.c[f.column]

    # -- resource helpers ------------------------------------------------------------------------------

    def item_path(self, resource: Resource, item: Mapping[str, Any]) -> str:
        return resource.path + "".join("/" + segment(item[f.name]) for f in item_key(resource))

    def key_of(self, resource: Resource, item: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(_norm_key(f, item.get(f.name)) for f in item_key(resource))

    def key_sort(self, resource: Resource) -> str | None:
        keys = item_key(resource)
        return ",".join(f.name for f in keys) if keys else None

    def sample(self, resource: Resource) -> list[dict[str, Any]]:
        """Up to 100 rows of the resource, in key order, as the API answers them."""
        if resource.name not in self.samples:
            params: dict[str, Any] = {"limit": 100}
            if self.key_sort(resource):
                params["sort"] = self.key_sort(resource)
            response = self.get(resource.path, params)
            rows = response.json().get("items", []) if response.status_code == 200 else []
            self.samples[resource.name] = rows if isinstance(rows, list) else []
        return self.samples[resource.name]

    def page(
        self, resource: Resource, params: Mapping[str, Any], name: str, path: str | None = None
    ) -> dict[str, Any] | None:
        response = self.get(path or resource.path, params)
        if not self.expect(name, response, 200):
            return None
        body = response.json()
        shape = (
            isinstance(body, dict)
            and isinstance(body.get("items"), list)
            and isinstance(body.get("total"), int)
            and isinstance(body.get("limit"), int)
            and isinstance(body.get("offset"), int)
        )
        if not self.check(
            f"{name}: body is {{items, total, limit, offset}}",
            shape,
            "items/total/limit/offset",
            response=response,
        ):
            return None
        return body

    # -- service ---------------------------------------------------------------------------------------

    def operability(self) -> None:
        """Liveness, readiness, metrics and request ids: not in CONTRACT.md, ours (docs/design.md)."""
        with self.section("operability"):
            self._operability()

    def _operability(self) -> None:
        live = self.get("/livez")
        if self.expect("GET /livez", live, 200):
            self.check("GET /livez body", live.json() == {"status": "ok"}, {"status": "ok"}, live.text,
                       response=live)
        ready = self.get("/readyz")
        if self.expect("GET /readyz", ready, 200):
            checks = ready.json().get("checks")
            self.check("GET /readyz checks the database", isinstance(checks, dict) and checks.get("database")
                       == "ok", {"database": "ok"}, ready.text, response=ready)
        sent = "contract-" + secrets.token_hex(4)
        echoed = self.call("GET", "/healthz", headers={"X-Request-ID": sent})
        self.check("X-Request-ID is echoed", echoed.headers.get("x-request-id") == sent, sent,
                   echoed.headers.get("x-request-id"), response=echoed)
        made = self.call("GET", "/healthz", headers={"X-Request-ID": "not an id we keep"}).headers.get("x-request-id")
        self.check("a new X-Request-ID replaces one not kept", bool(made and re.fullmatch("[0-9a-f]{32}", made)),
                   "32 hex digits", made)
        metrics = self.get("/metrics")
        if self.expect("GET /metrics", metrics, 200, json_body=False):
            text = metrics.text
            self.check("GET /metrics is Prometheus text", metrics.headers.get("content-type", "").startswith(
                "text/plain") and "# TYPE http_requests_total counter" in text, "text/plain with counters",
                metrics.headers.get("content-type"), response=metrics)
            self.check("GET /metrics counts /healthz", 'route="/healthz",status="200"}' in text,
                       'http_requests_total{...route="/healthz",status="200"}', text[:300], response=metrics)

    def service(self) -> None:
        with self.section("service"):
            response = self.get("/healthz")
            if self.expect("GET /healthz", response, 200):
                self.check(
                    "GET /healthz body",
                    response.json() == {"status": "ok"},
                    {"status": "ok"},
                    response.text,
                    response=response,
                )
            response = self.get("/docs")
            self.check("GET /docs answers 200", response.status_code == 200, 200, response=response)
            kind = response.headers.get("content-type", "")
            self.check(
                "GET /docs is HTML",
                kind.startswith("text/html") and "<html" in response.text.lower(),
                "text/html page",
                kind,
                response=response,
            )
            response = self.get("/no-such-route-" + secrets.token_hex(3))
            self.expect("GET an unknown path", response, 404)

    # -- OpenAPI ---------------------------------------------------------------------------------------

    def finish_validation(self) -> None:
        """Collect the openapi-spec-validator run started by validate_openapi()."""
        if self.validation is None:
            return
        python, process, path = self.validation
        self.validation = None
        with self.section("openapi"):
            try:
                _, stderr = process.communicate(timeout=600)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait()
                os.unlink(path)
            lines = stderr.strip().splitlines()
            self.check(
                f"openapi validates (openapi-spec-validator in {python})",
                process.returncode == 0,
                "valid",
                _short(" | ".join(lines[-3:]), 800),
            )

    def expected_routes(self) -> dict[tuple[str, str], str]:
        """(method, path template with {} placeholders) -> resource name, for every route of the contract."""
        routes: dict[tuple[str, str], str] = {}
        for resource in self.spec.resources:
            routes[("get", resource.path)] = resource.name
            keys = item_key(resource)
            item = resource.path + "/{}" * len(keys)
            if keys:
                routes[("get", item)] = resource.name
            if is_writable(resource):
                routes[("post", resource.path)] = resource.name
                for method in ("put", "patch", "delete"):
                    routes[(method, item)] = resource.name
            for _relation, child, path in self.nested_routes(resource):
                routes[("get", _template(path))] = child.name
        return routes

    def nested_routes(self, parent: Resource) -> list[tuple[Any, Resource, str]]:
        """(relation, child, path template) of the parent's one-to-many routes."""
        found = []
        for relation in parent.relationships:
            child = self.resources.get(relation.target)
            if relation.kind != "one_to_many" or child is None or relation.fields != parent.primary_key:
                continue
            name = (
                child.path.rsplit("/", 1)[-1]
                if relation.name == child.name
                else relation.name.replace("_", "-")
            )
            template = parent.path + "".join("/{" + k + "}" for k in parent.primary_key) + "/" + name
            found.append((relation, child, template))
        return found

    def openapi(self) -> None:
        with self.section("openapi"):
            response = self.get("/openapi.json")
            if not self.expect("GET /openapi.json", response, 200):
                return
            document = response.json()
            self.check(
                "openapi version is 3.x",
                str(document.get("openapi", "")).startswith("3."),
                "3.x",
                document.get("openapi"),
                response=response,
            )
            self.validate_openapi(document)
            paths = document.get("paths", {})
            served = {
                (method.lower(), _template(path))
                for path, item in paths.items()
                for method in item
                if method.lower() in ("get", "post", "put", "patch", "delete")
            }
            for (method, path), name in sorted(self.expected_routes().items()):
                self.check(
                    f"openapi lists {method.upper()} {path} ({name})",
                    (method, path) in served,
                    "the route in /openapi.json",
                    "absent",
                    response=response,
                )
            self.check(
                "openapi lists GET /healthz",
                ("get", "/healthz") in served,
                "listed",
                "absent",
                response=response,
            )
            for resource in self.spec.resources:
                self.resource = resource
                self.openapi_types(document, resource)
            self.resource = None

    def openapi_types(self, document: dict[str, Any], resource: Resource) -> None:
        """The response schema of a resource's reads names every field with its real type."""
        schema = None
        with contextlib.suppress(KeyError, TypeError):
            content = document["paths"][resource.path]["get"]["responses"]["200"]["content"]
            page = _schema_types(content["application/json"]["schema"], document)[0]
            schema = _schema_types(page["properties"]["items"]["items"], document)[0]
        if not self.check(
            "openapi: list response schema has items",
            isinstance(schema, Mapping),
            "paths[path].get 200 -> {items: [schema]}",
            "not found",
        ):
            return
        properties = schema.get("properties", {})
        for f in readable(resource):
            prop = properties.get(f.name)
            if not self.check(
                f"openapi: {f.name} in the read schema",
                prop is not None,
                "a property",
                f"properties: {sorted(properties)}",
            ):
                continue
            kinds = _schema_types(prop, document)
            types = {str(k.get("type")) for k in kinds}
            formats = {str(k.get("format")) for k in kinds}
            expected: set[str] | None = None
            if f.type in INTEGERS:
                expected = {"integer"}
            elif f.type is T.BOOLEAN:
                expected = {"boolean"}
            elif f.type is T.FLOAT:
                expected = {"number"}
            elif f.type is T.DECIMAL:
                expected = {"string", "number"}
            elif f.type in TEXTUAL or f.type in (T.DATE, T.DATETIME, T.TIME, T.UUID, T.BINARY):
                expected = {"string"}
            elif f.type is T.ARRAY:
                expected = {"array"}
            if expected is not None:
                self.check(
                    f"openapi: {f.name} ({f.type.value}) has a matching type",
                    bool(types & expected),
                    f"type in {sorted(expected)}",
                    f"{sorted(types)}",
                )
            # A local (naive) date-time has no offset, which RFC 3339's date-time requires.
            wanted_format = {T.DATE: "date", T.DATETIME: "date-time", T.UUID: "uuid"}.get(f.type)
            if f.type is T.DATETIME and not f.timezone:
                wanted_format = None
                self.check(
                    f"openapi: local {f.name} is not described as an RFC 3339 date-time",
                    "date-time" not in formats,
                    "no date-time format",
                    sorted(formats),
                )
            if wanted_format:
                self.check(
                    f"openapi: {f.name} has format {wanted_format}",
                    wanted_format in formats,
                    wanted_format,
                    sorted(formats),
                )
            if f.type is T.ENUM and f.enum_values:
                enums = {str(v) for k in kinds for v in k.get("enum", [])}
                self.check(
                    f"openapi: {f.name} lists its enum values",
                    enums == set(f.enum_values),
                    sorted(f.enum_values),
                    sorted(enums),
                )

    def validate_openapi(self, document: dict[str, Any]) -> None:
        """openapi-spec-validator where it can be imported (here or in another Python); else structurally."""
        try:
            from openapi_spec_validator import validate  # type: ignore[import-not-found]
        except ImportError:
            validate = None
        if validate is not None:
            try:
                validate(document)
                error = None
            except Exception as exc:  # noqa: BLE001 - any validation error is the finding
                error = f"{type(exc).__name__}: {_short(str(exc), 800)}"
            self.check("openapi validates (openapi-spec-validator)", error is None, "valid", error)
            return
        python = _external_validator()
        if python is not None:
            # It takes seconds of CPU on a large document: run it beside the rest, collect it at the end.
            handle = tempfile.NamedTemporaryFile("w", suffix=".json", prefix="cg_openapi_", delete=False)
            with handle:
                json.dump(document, handle)
            script = (
                "import json, sys\nfrom openapi_spec_validator import validate\n"
                "validate(json.load(open(sys.argv[1])))\n"
            )
            process = subprocess.Popen(
                [python, "-c", script, handle.name], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            self.validation = (python, process, handle.name)
            self.report.notes.append(
                f"openapi-spec-validator is not importable here; used the one of {python}"
            )
            return
        self.report.notes.append("openapi-spec-validator not found anywhere: validated structurally only")
        problems = []
        if not isinstance(document.get("info"), dict) or not {"title", "version"} <= set(document["info"]):
            problems.append("info.title/info.version missing")
        for path, item in document.get("paths", {}).items():
            for method, operation in item.items():
                if method in ("get", "post", "put", "patch", "delete") and not operation.get("responses"):
                    problems.append(f"{method} {path} has no responses")
        for ref in _refs(document):
            try:
                _resolve(ref, document)
            except (KeyError, TypeError):
                problems.append(f"dangling $ref {ref}")
        self.check("openapi is structurally valid", not problems, "no problems", problems[:10])

    # -- reading ---------------------------------------------------------------------------------------

    def reading(self, resource: Resource) -> None:
        with self.section("list", resource):
            self.list_default(resource)
        with self.section("paging", resource):
            self.paging(resource)
        with self.section("sort", resource):
            self.sorting(resource)
        with self.section("filter", resource):
            self.filters(resource)
        with self.section("errors", resource):
            self.query_errors(resource)
        with self.section("item", resource):
            self.items(resource)
        with self.section("expand", resource):
            self.expand(resource)
        with self.section("nested", resource):
            self.nested(resource)
        with self.section("etag", resource):
            niceties.etags(self, resource)
        with self.section("cursor", resource):
            niceties.cursors(self, resource)
        with self.section("fields", resource):
            niceties.fields(self, resource)
        with self.section("csv", resource):
            niceties.csv_pages(self, resource)

    def list_default(self, resource: Resource) -> None:
        if resource.kind != "table" and not self.full:
            # Every query of a view runs the view's own query (joins, aggregates over whole tables): filters
            # and sorts are tried on fewer of its fields, so that a run stays within minutes.
            self.slow.add(resource.name)
        body = self.page(resource, {}, f"GET {resource.path}")
        if body is None:
            raise _Abort
        count = self.db_count(resource)
        if count is not None:
            self.check("total is the row count of the table", body["total"] == count, count, body["total"])
        self.check(
            "default limit 50, offset 0",
            (body["limit"], body["offset"]) == (50, 0),
            (50, 0),
            (body["limit"], body["offset"]),
        )
        self.check(
            "default page holds min(50, total) items",
            len(body["items"]) == min(50, body["total"]),
            min(50, body["total"]),
            len(body["items"]),
        )
        names = {f.name for f in readable(resource)}
        wrong = [sorted(set(item) ^ names) for item in body["items"][:5] if set(item) != names]
        self.check(
            "items have exactly the spec's fields (snake_case JSON keys)", not wrong, sorted(names), wrong[:1]
        )

    def paging(self, resource: Resource) -> None:
        total = self.db_count(resource)
        base: dict[str, Any] = {}
        if self.key_sort(resource):
            base["sort"] = self.key_sort(resource)
        body = self.page(resource, {"limit": 0}, "limit=0")
        if body is not None:
            self.check(
                "limit=0 answers no items and the total",
                body["items"] == [] and (total is None or body["total"] == total),
                f"[] and total {total}",
                (len(body["items"]), body["total"]),
            )
        body = self.page(resource, {**base, "limit": 1000}, "limit=1000")
        if body is not None:
            self.check(
                "limit=1000 answers min(1000, total) items",
                len(body["items"]) == min(1000, body["total"]),
                min(1000, body["total"]),
                len(body["items"]),
            )
            self.check("limit echoed", body["limit"] == 1000, 1000, body["limit"])
            big = body["items"]
            sub = self.page(resource, {**base, "limit": 5, "offset": 3}, "limit=5&offset=3")
            if sub is not None:
                self.check(
                    "limit=5&offset=3 is items[3:8] of the same order",
                    sub["items"] == big[3:8],
                    [self.key_of(resource, i) for i in big[3:8]],
                    [self.key_of(resource, i) for i in sub["items"]],
                )
                self.check(
                    "offset echoed",
                    sub["offset"] == 3 and sub["limit"] == 5,
                    (5, 3),
                    (sub["limit"], sub["offset"]),
                )
            count = body["total"]
            end = self.page(resource, {**base, "offset": count}, "offset=total")
            if end is not None:
                self.check(
                    "offset=total answers no items",
                    end["items"] == [] and end["total"] == count,
                    "[]",
                    len(end["items"]),
                )
            if count:
                last = self.page(resource, {**base, "offset": count - 1, "limit": 5}, "offset=total-1")
                if last is not None:
                    self.check(
                        "offset=total-1 answers the last item", len(last["items"]) == 1, 1, len(last["items"])
                    )
        for params in ({"limit": 1001}, {"limit": -1}, {"offset": -1}, {"limit": "ten"}):
            self.expect(f"{params} is refused", self.get(resource.path, params), 422)

    def sort_fields(self, resource: Resource) -> list[str]:
        """Sort parameters to try: the key both ways, then other orderable fields."""
        sorts: list[str] = [""]
        keys = item_key(resource)
        if keys:
            sorts += [",".join(f.name for f in keys), ",".join("-" + f.name for f in keys)]
        others = [f for f in readable(resource) if f.type in ORDERED and f not in keys]
        # Prefer fields with repeated values (ties show the tie-breaker) and different types.
        others.sort(key=lambda f: (f.type in (T.STRING, T.TEXT), f.nullable))
        chosen = others if self.full else others[: 1 if resource.name in self.slow else 2]
        for index, f in enumerate(chosen):
            sorts.append(("-" if index % 2 else "") + f.name)
        return sorts

    def sorting(self, resource: Resource) -> None:
        size = 5
        keys = item_key(resource)
        for index, sort in enumerate(self.sort_fields(resource)):
            params = {"sort": sort} if sort else {}
            big = self.page(resource, {**params, "limit": size * 3}, f"sort={sort} big page")
            if big is None:
                continue
            if sort:
                self.check_order(resource, sort, big["items"])
            # Paging stability on the default order and on the first sort by a non-key field (all: "full").
            if not (self.full or index == 0 or index == (3 if keys else 1)):
                continue
            pages: list[dict[str, Any]] = []
            for number in range(3):
                body = self.page(
                    resource, {**params, "limit": size, "offset": number * size}, f"sort={sort} page"
                )
                pages += body["items"] if body else []
            self.check(
                f"sort={sort}: pages of {size} concatenate to one page of {size * 3} (stable order)",
                pages == big["items"],
                [self.key_of(resource, i) for i in big["items"]],
                [self.key_of(resource, i) for i in pages],
            )
        self.expect("unknown sort key", self.get(resource.path, {"sort": "no_such_field_cg"}), 422)
        self.expect(
            "unknown descending sort key", self.get(resource.path, {"sort": "-no_such_field_cg"}), 422
        )

    def check_order(self, resource: Resource, sort: str, items: list[dict[str, Any]]) -> None:
        names = [part.lstrip("-") for part in sort.split(",")]
        fields = [resource.field(name) for name in names]
        keys = item_key(resource)
        table = self.table(resource)
        if keys and table is not None and all(f.type in DB_CHECKABLE | {T.UUID} for f in fields):
            order = [
                (self.column(resource, f).desc() if part.startswith("-") else self.column(resource, f).asc())
                for part, f in zip(sort.split(","), fields, strict=True)
            ]
            expected = self.db_keys(resource, [], order, len(items))
            got = [self.key_of(resource, item) for item in items]
            if expected is not None:
                self.check(
                    f"sort={sort}: the order the database gives (key as the last tie-breaker)",
                    got == expected,
                    expected,
                    got,
                )
            return
        f = fields[0]
        values = [typed(f, item.get(f.name)) for item in items]
        values = [v for v in values if v is not None]
        descending = sort.startswith("-")
        with contextlib.suppress(TypeError):
            ordered = values == sorted(values, reverse=descending)
            self.check(f"sort={sort}: values in order", ordered, "sorted", values)

    # -- filters ---------------------------------------------------------------------------------------

    def values_of(self, resource: Resource, f: Field) -> list[Any]:
        """Distinct non-null values of the field in the sample, middle of the range first."""
        values = []
        for item in self.sample(resource):
            value = item.get(f.name)
            if value is not None and value not in values and not isinstance(value, (dict, list)):
                values.append(value)
        with contextlib.suppress(TypeError):
            values.sort(key=lambda v: typed(f, v) if typed(f, v) is not None else str(v))
        middle = len(values) // 2
        return values[middle:] + values[:middle]

    def filters(self, resource: Resource) -> None:
        fields = readable(resource)
        slow = resource.name in self.slow
        # isnull both ways on every nullable field, whatever its type (the database counts NULLs of any
        # type); on one non-null field too ("full": on every field)
        strict = [f for f in fields if not f.nullable]
        tried = [f for f in fields if f.nullable or self.full or f is strict[0]]
        for f in tried[:2] if slow else tried:
            for flag in ("true", "false"):
                self.filter_isnull(resource, f, flag)
        # equality on fields of every type whose values the suite can read back ("full": on every field)
        equal = [f for f in fields if f.type in EQ_TYPES]
        equal.sort(key=lambda f: (f not in item_key(resource), EQ_PREFERENCE.index(f.type)))
        for f in equal if self.full else _spread(equal, 2 if slow else 8):
            if f.name in RESERVED:
                self.skip(
                    f"{f.name}=",
                    "the field is named like a reserved parameter; CONTRACT.md gives no "
                    "equality filter for it",
                )
                continue
            values = self.values_of(resource, f)
            if values:
                self.filter_check(resource, f, "eq", [values[0]])
        # ne lt le gt ge in on a few fields of different types (every field with depth="full")
        ordered = [f for f in fields if f.type in ORDERED]
        ordered.sort(key=lambda f: (f.type in TEXTUAL, f not in item_key(resource)))
        chosen = ordered if self.full else _spread(ordered, 1 if slow else 2)
        for f in chosen:
            values = self.values_of(resource, f)
            if not values:
                self.skip(f"{f.name} comparisons", "no non-null value in the data")
                continue
            for op in ("ne", "lt", "le", "gt", "ge"):
                self.filter_check(resource, f, op, [values[0]])
            self.filter_check(resource, f, "in", values[:3])
        texts = [f for f in fields if f.type in TEXTUAL]
        for f in texts if self.full else texts[: 1 if slow else 2]:
            values = [v for v in self.values_of(resource, f) if isinstance(v, str) and v.strip()]
            if not values:
                self.skip(f"{f.name} like/ilike", "no text value in the data")
                continue
            prefix = values[0][:3]
            self.filter_check(resource, f, "like", [prefix + "%"])
            self.filter_check(
                resource, f, "ilike", ["".join(c.swapcase() if c.isascii() else c for c in prefix) + "%"]
            )
            if slow:
                continue
            self.filter_check(resource, f, "like", ["%" + values[0][-2:]])
            wide = next((v for v in values if any(not c.isascii() and c.swapcase() != c for c in v)), None)
            if wide is not None:
                self.filter_check(resource, f, "ilike", ["%" + wide.swapcase() + "%"], " (non-ASCII letters)")
        if not texts:
            self.skip("like/ilike", "the resource has no text field")

    def filter_isnull(self, resource: Resource, f: Field, flag: str) -> None:
        param = f"{f.name}__isnull"
        body = self.page(resource, {param: flag, "limit": 3}, f"{param}={flag}")
        if body is None:
            return
        column = self.column(resource, f)
        expected = None
        if column is not None:
            expected = self.db_count(resource, column.is_(None) if flag == "true" else column.is_not(None))
        if expected is not None:
            self.check(
                f"{param}={flag}: total matches the database",
                body["total"] == expected,
                expected,
                body["total"],
            )
        wrong = [item.get(f.name) for item in body["items"] if (item.get(f.name) is None) != (flag == "true")]
        self.check(
            f"{param}={flag}: every item {'is' if flag == 'true' else 'is not'} null",
            not wrong,
            "none",
            wrong[:3],
        )

    def filter_check(self, resource: Resource, f: Field, op: str, values: list[Any], note: str = "") -> None:
        """One filter against the database's own answer, item predicates, and the source row's membership."""
        if f.read_only and f.type is T.STRING and not any(w in f.db_type.upper() for w in ("CHAR", "TEXT")):
            # INET, BIT...: served as text, but the database compares its own type (documented)
            self.skip(f"{f.name} {op}", f"{f.db_type} is served as text; filters may answer 422")
            return
        param = f.name if op == "eq" else f"{f.name}__{op}"
        if op in ("like", "ilike"):
            raw = values[0]
        elif op == "in":
            raw = ",".join(query_value(v) for v in values)
        else:
            raw = query_value(values[0])
        label = f"{param}={raw}{note}"
        limit = 25
        params: dict[str, Any] = {param: raw, "limit": limit}
        if self.key_sort(resource):
            params["sort"] = self.key_sort(resource)
        body = self.page(resource, params, label)
        if body is None:
            return
        items = body["items"]
        column = self.column(resource, f)
        if column is not None and f.type in DB_CHECKABLE:
            sqlite = self.engine.dialect.name == "sqlite"
            if op in ("like", "ilike"):
                if op == "ilike" and sqlite:  # SQLite's own lower() folds ASCII only
                    condition = func.casefold(column).like(raw.casefold())
                else:
                    condition = column.like(raw) if op == "like" else column.ilike(raw)
            else:
                left, right = _as_stored(f, column, sqlite)
                if op == "in":
                    condition = left.in_([right(to_db(f, v)) for v in values])
                else:
                    condition = _compare(op, left, right(to_db(f, values[0])))
            expected = self.db_count(resource, condition)
            if expected is not None:
                self.check(
                    f"{label}: total matches the database", body["total"] == expected, expected, body["total"]
                )
                want = self.db_keys(resource, [condition], [], limit) if item_key(resource) else None
                if want is not None:
                    got = [self.key_of(resource, item) for item in items]
                    self.check(f"{label}: the rows the database selects", got == want, want[:10], got[:10])
        target = typed(f, values[0]) if op not in ("like", "ilike") else None
        if target is not None:
            allowed = {typed(f, v) for v in values}
            wrong = []
            for item in items:
                value = typed(f, item.get(f.name))
                try:
                    good = value is not None and (
                        value in allowed if op in ("eq", "in") else _compare(op, value, target)
                    )
                except TypeError:
                    good = True
                if not good:
                    wrong.append(item.get(f.name))
            self.check(f"{label}: every item satisfies {op}", not wrong, f"{f.name} {op} {raw}", wrong[:5])
        elif op in ("like", "ilike") and raw.endswith("%") and not any(c in raw[:-1] for c in "%_"):
            prefix = raw[:-1].casefold()
            wrong = [
                item.get(f.name) for item in items if not str(item.get(f.name)).casefold().startswith(prefix)
            ]
            self.check(
                f"{label}: every item starts with the prefix",
                not wrong,
                f"starts with {raw[:-1]!r}",
                wrong[:5],
            )
        self.membership(resource, f, op, param, raw, values, note)

    def membership(
        self, resource: Resource, f: Field, op: str, param: str, raw: str, values: list[Any], note: str = ""
    ) -> None:
        """The row a value came from is (or is not) among the results, whatever the database says."""
        keys = item_key(resource)
        if not keys or f in keys and op not in ("eq",):
            return
        source = None
        for item in self.sample(resource):
            value = item.get(f.name)
            if op in ("like", "ilike"):
                if isinstance(value, str) and _like(raw, value, case=(op == "like")):
                    source = item
                    break
            elif value == values[0]:
                source = item
                break
        if source is None:
            return
        params = {param: raw, "limit": 5}
        for k in keys:
            if k.name != f.name:
                params[k.name if k.name not in RESERVED else f"{k.name}__eq"] = query_value(source[k.name])
        expected = EXPECT_ROW[op]
        if op == "like" and not _like(raw, source[f.name], case=True):
            return
        body = self.page(resource, params, f"{param}={raw} with the source row's key")
        if body is not None:
            self.check(
                f"{param}={raw}{note}: the row holding {values[0]!r} is {'in' if expected else 'not in'} "
                "the result",
                body["total"] == expected,
                f"total {expected}",
                f"total {body['total']}",
            )

    def query_errors(self, resource: Resource) -> None:
        fields = readable(resource)
        self.expect("unknown filter field", self.get(resource.path, {"no_such_field_cg": "1"}), 422)
        f = fields[0]
        self.expect("unknown operator", self.get(resource.path, {f"{f.name}__nope": "1"}), 422)
        self.expect("isnull with a non-boolean", self.get(resource.path, {f"{f.name}__isnull": "maybe"}), 422)
        typed_field = next(
            (
                x
                for x in fields
                if x.type in INTEGERS | {T.DATE, T.DATETIME, T.BOOLEAN, T.DECIMAL} and x.name not in RESERVED
            ),
            None,
        )
        if typed_field is not None:
            name = typed_field.name
            self.expect(
                f"{name}= with a value of the wrong type",
                self.get(resource.path, {name: "not-a-value-cg"}),
                422,
            )
            if typed_field.type in ORDERED:
                self.expect(
                    f"{name}__gt with a value of the wrong type",
                    self.get(resource.path, {f"{name}__gt": "not-a-value-cg"}),
                    422,
                )
            self.expect(
                f"{name}__in with a value of the wrong type",
                self.get(resource.path, {f"{name}__in": "1,not-a-value-cg"}),
                422,
            )
        else:
            self.skip("wrong-type filter value", "no integer, decimal, date or boolean field")
        # A field of a type the generator does not know is served as its text form, so like applies.
        plain = next(
            (x for x in sorted(fields, key=lambda x: x.type not in INTEGERS) if x.type not in SERVED_AS_TEXT),
            None,
        )
        if plain is not None:
            self.expect(
                f"like on the non-text field {plain.name}",
                self.get(resource.path, {f"{plain.name}__like": "1%"}),
                422,
            )
            self.expect(
                f"ilike on the non-text field {plain.name}",
                self.get(resource.path, {f"{plain.name}__ilike": "1%"}),
                422,
            )
        else:
            self.skip("like on a non-text field", "every field is text")
        self.expect("unknown expand", self.get(resource.path, {"expand": "no_such_relation_cg"}), 422)

    # -- items, expand, nested -------------------------------------------------------------------------

    def items(self, resource: Resource) -> None:
        keys = item_key(resource)
        if not keys:
            self.skip("item routes", "no primary key and no unique key of non-null fields")
            return
        rows = self.sample(resource)
        for row in (rows[:1] + rows[-1:]) if rows else []:
            path = self.item_path(resource, row)
            response = self.get(path)
            if self.expect(f"GET {path}", response, 200):
                self.check(f"GET {path} equals the listed item", response.json() == row, row, response.json())
        missing = {f.name: absent(f) for f in keys}
        if rows and len(keys) > 1:
            missing = {**{f.name: rows[0][f.name] for f in keys[:-1]}, keys[-1].name: absent(keys[-1])}
        self.expect("GET an absent item", self.get(self.item_path(resource, missing)), 404)
        if keys[0].type in INTEGERS:
            bad = dict(missing)
            bad[keys[0].name] = "not-a-number"
            self.expect(
                "GET an item with a key of the wrong type", self.get(self.item_path(resource, bad)), 422
            )

    def expand(self, resource: Resource) -> None:
        relations = [r for r in resource.relationships if r.kind == "many_to_one"]
        for relation in relations:
            target = self.resources.get(relation.target)
            if target is None:
                self.skip(f"expand={relation.name}", f"target {relation.target!r} is not served")
                continue
            params: dict[str, Any] = {"expand": relation.name, "limit": 10}
            if self.key_sort(resource):
                params["sort"] = self.key_sort(resource)
            first = resource.field(relation.fields[0])
            if first.nullable:
                params[f"{first.name}__isnull"] = "false"
            body = self.page(resource, params, f"expand={relation.name}")
            if body is None:
                continue
            seen: set[tuple[Any, ...]] = set()
            for item in body["items"]:
                link = tuple(item.get(name) for name in relation.fields)
                if link in seen or None in link:
                    continue
                seen.add(link)
                if len(seen) > 3:
                    break
                embedded = item.get(relation.name, "(absent)")
                parent = self.fetch_parent(target, relation.target_fields, link)
                self.check(
                    f"expand={relation.name}: the embedded object equals the parent's GET",
                    embedded == parent,
                    parent,
                    embedded,
                )
                plain = {k: v for k, v in item.items() if k != relation.name}
                self.check(
                    f"expand={relation.name}: the other fields are unchanged",
                    set(plain) == {f.name for f in readable(resource)},
                    "the resource's fields",
                    sorted(plain),
                )
            if body["items"] and item_key(resource):
                item = body["items"][0]
                response = self.get(self.item_path(resource, item), {"expand": relation.name})
                if self.expect(f"GET item?expand={relation.name}", response, 200):
                    self.check(
                        f"GET item?expand={relation.name} embeds the same object",
                        response.json().get(relation.name) == item.get(relation.name),
                        item.get(relation.name),
                        response.json().get(relation.name),
                    )
            if first.nullable:
                column = self.column(resource, first)
                if column is not None and self.db_count(resource, column.is_(None)):
                    nulls = self.page(
                        resource,
                        {"expand": relation.name, f"{first.name}__isnull": "true", "limit": 3},
                        f"expand={relation.name} without a parent",
                    )
                    if nulls is not None:
                        wrong = [
                            i.get(relation.name, "(absent)")
                            for i in nulls["items"]
                            if i.get(relation.name, 0) is not None
                        ]
                        self.check(
                            f"expand={relation.name}: null where the row has no parent",
                            not wrong,
                            "null",
                            wrong[:2],
                        )
        if not relations:
            self.skip("expand", "no many-to-one relation")

    def fetch_parent(self, target: Resource, fields: list[str], values: tuple[Any, ...]) -> Any:
        keys = [f.name for f in item_key(target)]
        if keys == list(fields):
            response = self.get(self.item_path(target, dict(zip(fields, values, strict=True))))
            return (
                response.json() if response.status_code == 200 else f"(GET answered {response.status_code})"
            )
        params = {
            (name if name not in RESERVED else f"{name}__eq"): query_value(v)
            for name, v in zip(fields, values, strict=True)
        }
        response = self.get(target.path, {**params, "limit": 2})
        items = response.json().get("items", []) if response.status_code == 200 else []
        return items[0] if len(items) == 1 else f"({len(items)} parents found)"

    def nested(self, resource: Resource) -> None:
        routes = self.nested_routes(resource)
        if not routes:
            return
        for relation, child, template in routes:
            # a parent that has children, found from a child row
            probe: dict[str, Any] = {"limit": 1}
            for name in relation.target_fields:
                probe[f"{name}__isnull"] = "false"
            body = self.page(child, probe, f"a {child.name} row with a {resource.name}")
            if body is None:
                continue
            if body["items"]:
                row = body["items"][0]
                values = {
                    pk: row[relation.target_fields[relation.fields.index(pk)]] for pk in resource.primary_key
                }
            elif self.sample(resource):
                values = {pk: self.sample(resource)[0][pk] for pk in resource.primary_key}
            else:
                self.skip(f"GET {template}", f"{resource.name} has no rows")
                continue
            path = resource.path + "".join("/" + segment(values[pk]) for pk in resource.primary_key)
            path += "/" + template.rsplit("/", 1)[-1]
            where = {
                (child_field if child_field not in RESERVED else f"{child_field}__eq"): query_value(
                    values[parent_field]
                )
                for parent_field, child_field in zip(relation.fields, relation.target_fields, strict=True)
            }
            order: dict[str, Any] = {"sort": self.key_sort(child)} if self.key_sort(child) else {}
            nested = self.page(child, {**order, "limit": 1000}, f"GET {template}", path=path)
            filtered = self.page(child, {**where, **order, "limit": 1000}, f"GET {child.path} filtered")
            if nested is not None and filtered is not None:
                self.check(
                    f"GET {template} equals the filtered list",
                    (nested["items"], nested["total"]) == (filtered["items"], filtered["total"]),
                    f"{filtered['total']} items",
                    f"{nested['total']} items",
                )
                paged = self.page(
                    child, {**order, "limit": 2, "offset": 1}, f"GET {template} paged", path=path
                )
                if paged is not None:
                    self.check(
                        f"GET {template}?limit=2&offset=1 pages like the list",
                        paged["items"] == filtered["items"][1:3],
                        "items[1:3]",
                        paged["items"],
                    )
            gone = resource.path + "".join(
                "/" + segment(absent(resource.field(pk))) for pk in resource.primary_key
            )
            gone += "/" + template.rsplit("/", 1)[-1]
            self.expect(f"GET {template} of an absent parent", self.get(gone), 404)

    # -- methods ----------------------------------------------------------------------------------------

    def methods(self, resource: Resource) -> None:
        """HEAD answers like GET without a body; a 405 names every method of the path in `Allow`."""
        with self.section("methods", resource):
            writable = is_writable(resource)
            rows = self.sample(resource)
            paths = [(resource.path, "GET, HEAD, POST" if writable else "GET, HEAD")]
            if item_key(resource) and rows:
                item = self.item_path(resource, rows[0])
                paths.append((item, "DELETE, GET, HEAD, PATCH, PUT" if writable else "GET, HEAD"))
            for path, allow in paths:
                got = self.get(path)
                head = self.call("HEAD", path)
                if self.check(f"HEAD {path}: status 200", head.status_code == 200, 200, response=head):
                    for name in ("content-type", "content-length"):
                        self.check(
                            f"HEAD {path}: {name} as GET",
                            head.headers.get(name) == got.headers.get(name),
                            got.headers.get(name),
                            head.headers.get(name),
                            response=head,
                        )
                    self.check(f"HEAD {path}: no body", head.content == b"", "no body", head.text, response=head)
                wrong = "PUT" if path == resource.path else "POST"
                response = self.write(wrong, path, {})
                if self.expect(f"{wrong} {path}", response, 405):
                    self.check(
                        f"{wrong} {path}: Allow names every method of the path",
                        response.headers.get("allow") == allow,
                        allow,
                        response.headers.get("allow"),
                        response=response,
                    )

    # -- read-only resources ---------------------------------------------------------------------------------

    def read_only(self, resource: Resource) -> None:
        with self.section("read-only", resource):
            self.expect(
                f"POST {resource.path} on a read-only resource", self.write("POST", resource.path, {}), 405
            )
            rows = self.sample(resource)
            if item_key(resource) and rows:
                path = self.item_path(resource, rows[0])
                for method in ("PUT", "PATCH", "DELETE"):
                    self.expect(
                        f"{method} an item of a read-only resource",
                        self.write(method, path, None if method == "DELETE" else {}),
                        405,
                    )

    # -- writes ----------------------------------------------------------------------------------------

    def writes(self, resource: Resource) -> None:
        with self.section("write", resource):
            before = self.db_count(resource)
            keys = self.db_all_keys(resource)
            try:
                self.write_cycle(resource)
            finally:
                self.cleanup()
                after = self.db_count(resource)
                clean = self.check(
                    "the row count is back to what it was (the suite cleaned up)",
                    before == after,
                    before,
                    after,
                )
                if not clean and keys is not None:
                    self.remove_leftovers(resource, keys)

    def remove_leftovers(self, resource: Resource, keys: set[tuple[Any, ...]]) -> None:
        """Delete, directly in the database, rows a failed write left without answering their key."""
        table = self.table(resource)
        if table is None:
            return
        columns = [table.c[f.column] for f in resource.key_fields]
        extra = (self.db_all_keys(resource) or set()) - keys
        with self.engine.begin() as conn:
            for key in extra:
                conn.execute(table.delete().where(*[c == v for c, v in zip(columns, key, strict=True)]))
        self.report.notes.append(
            f"{resource.name}: removed {len(extra)} row(s) left behind by failed writes directly in the "
            f"database: {sorted(extra, key=repr)[:5]}"
        )

    def db_all_keys(self, resource: Resource) -> set[tuple[Any, ...]] | None:
        """Every primary key in the table (raw database values), to find rows a failed write left."""
        table = self.table(resource)
        if table is None or not resource.primary_key:
            return None
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(select(*[table.c[f.column] for f in resource.key_fields])).all()
        except SQLAlchemyError:
            return None
        return {tuple(row) for row in rows}

    def db_row(self, resource: Resource, item: Mapping[str, Any]) -> dict[str, Any] | None:
        """The stored row of an item, by column name, read directly from the database."""
        table = self.table(resource)
        if table is None or not item_key(resource):
            return None
        where = [table.c[f.column] == to_db(f, item.get(f.name)) for f in item_key(resource)]
        try:
            with self.engine.connect() as conn:
                row = conn.execute(select(table).where(*where)).mappings().first()
        except (SQLAlchemyError, ValueError, TypeError):
            return None
        return None if row is None else {key: _jsonish(value) for key, value in row.items()}

    def set_by_database(self, resource: Resource, f: Field, item: Mapping[str, Any], write: str) -> bool:
        """True (and a skip recorded) when the database itself holds the value the API answered for f,
        not the one sent: a trigger or an ON UPDATE default changed it, and the API reports the stored row."""
        row = self.db_row(resource, item)
        if row is None or f.column not in row or not same_value(f, item.get(f.name), row[f.column]):
            return False
        self.skip(
            f"{write} stored {f.name} as sent",
            f"the database itself set it to {item.get(f.name)!r} "
            "(a trigger or ON UPDATE default); the API answers the stored row",
        )
        return True

    def parent_rows(self, target: Resource, limit: int = 25) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"limit": limit}
        if self.key_sort(target):
            params["sort"] = self.key_sort(target)
        response = self.get(target.path, params)
        return response.json().get("items", []) if response.status_code == 200 else []

    def build_body(self, resource: Resource) -> dict[str, Any]:
        """A valid create body: values of an existing row, fresh ones for keys and unique fields."""
        fields = writable_fields(resource)
        missing = [f.name for f in resource.fields if not f.optional_on_create and f not in fields]
        if missing:
            self.skip("writes", f"required fields no client can send: {missing}")
            raise _Abort
        rows = self.sample(resource)
        template = rows[0] if rows else {}
        body: dict[str, Any] = {}
        groups: list[list[str]] = []
        if not any(f.generated for f in resource.key_fields):
            groups.append(list(resource.primary_key))
        groups += [list(u.fields) for u in resource.unique_keys if u.fields != resource.primary_key]
        unique = {name for group in groups for name in group}
        for f in fields:
            if f.generated or f.name in unique:
                continue
            value = template.get(f.name)
            if value is None:
                if f.optional_on_create:
                    continue
                value = synth(f)
            body[f.name] = value
        relations = [
            r for r in resource.relationships if r.kind == "many_to_one" and r.target in self.resources
        ]
        parents: dict[str, list[dict[str, Any]]] = {}
        for relation in relations:
            if any(name in unique for name in relation.fields):
                continue
            if all(body.get(name) is not None for name in relation.fields):
                continue
            if all(resource.field(name).optional_on_create for name in relation.fields):
                continue
            candidates = parents.setdefault(relation.name, self.parent_rows(self.resources[relation.target]))
            if not candidates:
                self.skip("writes", f"no {relation.target} row to refer to")
                raise _Abort
            for name, target_name in zip(relation.fields, relation.target_fields, strict=True):
                body[name] = candidates[0][target_name]
        for group in groups:
            self.fill_unique(resource, body, group, relations, template)
        return body

    def fill_unique(
        self,
        resource: Resource,
        body: dict[str, Any],
        group: list[str],
        relations: list[Any],
        template: Mapping[str, Any],
    ) -> None:
        """Values for one key or unique group that no row has yet."""
        linked = [r for r in relations if any(name in group for name in r.fields)]
        own = [resource.field(name) for name in group if not any(name in r.fields for r in linked)]
        for f in own:
            maximum = None
            if f.type in INTEGERS and len(group) == 1:
                response = self.get(resource.path, {"sort": "-" + f.name, "limit": 1})
                items = response.json().get("items", []) if response.status_code == 200 else []
                maximum = items[0].get(f.name) if items else 0
            if f.type is T.ENUM or f.type not in INTEGERS | {
                T.STRING,
                T.TEXT,
                T.UUID,
                T.DECIMAL,
                T.FLOAT,
                T.DATE,
                T.DATETIME,
            }:
                body[f.name] = template.get(f.name, synth(f))
            else:
                body[f.name] = fresh(f, maximum)
        if not linked:
            return
        options = []
        for relation in linked:
            rows = self.parent_rows(self.resources[relation.target], 15)
            options.append([(relation, row) for row in rows])
        for combination in itertools.islice(itertools.product(*options), 60):
            for relation, row in combination:
                for name, target_name in zip(relation.fields, relation.target_fields, strict=True):
                    body[name] = row[target_name]
            params = {
                (name if name not in RESERVED else f"{name}__eq"): query_value(body.get(name))
                for name in group
            }
            response = self.get(resource.path, {**params, "limit": 0})
            if response.status_code == 200 and response.json().get("total") == 0:
                return
        self.skip("writes", f"no free value for the unique fields {group} among the existing parents")
        raise _Abort

    def changed_value(self, resource: Resource, f: Field, current: Any) -> Any:
        for item in self.sample(resource):
            value = item.get(f.name)
            if value is not None and not same_value(f, value, current):
                return value
        if f.type is T.ENUM:
            return next((v for v in f.enum_values if v != current), current)
        if f.type in INTEGERS:
            return (int(current) + 1) if current is not None else 2
        if f.type is T.BOOLEAN:
            return not current
        return fresh(f)

    def change_field(self, resource: Resource, body: Mapping[str, Any]) -> Field | None:
        """A field a PATCH can change without touching keys, unique fields or relations."""
        busy = set(resource.primary_key) | {n for u in resource.unique_keys for n in u.fields}
        busy |= {n for r in resource.relationships if r.kind == "many_to_one" for n in r.fields}
        order = [
            T.STRING,
            T.TEXT,
            T.ENUM,
            T.INTEGER,
            T.SMALL_INTEGER,
            T.BIG_INTEGER,
            T.DECIMAL,
            T.DATE,
            T.DATETIME,
            T.BOOLEAN,
            T.FLOAT,
        ]
        candidates = [
            f for f in writable_fields(resource) if f.name not in busy and not f.generated and f.type in order
        ]
        candidates.sort(key=lambda f: (f.name not in body, order.index(f.type)))
        return candidates[0] if candidates else None

    def create(self, resource: Resource, body: dict[str, Any], name: str, status: int) -> httpx.Response:
        """POST, remembering any row it creates so that cleanup() removes it."""
        response = self.write("POST", resource.path, body)
        if response.status_code == 201:
            with contextlib.suppress(ValueError):
                created = response.json()
                if isinstance(created, dict):
                    self.created.append((resource, created))
        self.expect(name, response, status)
        return response

    def write_cycle(self, resource: Resource) -> None:
        body = self.build_body(resource)
        count = self.db_count(resource)
        self.write_errors(resource, body)
        if self.write_key is not None:
            response = self.call("POST", resource.path, body=body)
            if response.status_code == 201:
                self.created.append((resource, response.json()))
            self.expect("POST without a key", response, 401)
            response = self.write("POST", resource.path, body, key="read")
            if response.status_code == 201:
                self.created.append((resource, response.json()))
            self.expect("POST with a read-only key", response, 403)
        response = self.write("POST", resource.path, body)
        if response.status_code == 409:
            self.skip(
                "writes",
                "the database refused the create with 409 (a constraint the spec does not "
                f"record, e.g. a CHECK): {_short(response.text, 200)}",
            )
            raise _Abort
        if response.status_code == 201:
            self.created.append((resource, response.json()))
        if not self.expect(f"POST {resource.path}", response, 201):
            raise _Abort
        created = response.json()
        self.check(
            "POST answers every readable field",
            set(created) == {f.name for f in readable(resource)},
            sorted(f.name for f in readable(resource)),
            sorted(created),
        )
        for f in readable(resource):
            if f.name in body:
                if not same_value(f, body[f.name], created.get(f.name)) and self.set_by_database(
                    resource, f, created, "POST"
                ):
                    continue
                self.check(
                    f"POST stored {f.name} as sent",
                    same_value(f, body[f.name], created.get(f.name)),
                    body[f.name],
                    created.get(f.name),
                )
            elif f.generated or (f.default is not None and not f.nullable):
                self.check(
                    f"POST filled {f.name} ({'generated' if f.generated else 'server default'})",
                    created.get(f.name) is not None,
                    "a value",
                    created.get(f.name),
                )
        path = self.item_path(resource, created)
        location = response.headers.get("location", "")
        self.check(
            "POST answers a Location header of the item",
            urlsplit(location).path == urlsplit(self.base_url + path).path,
            path,
            location or "(none)",
            response=response,
        )
        got = self.get(location or path)
        if self.expect("GET the Location", got, 200):
            self.check("GET the Location equals the POST answer", got.json() == created, created, got.json())
        if count is not None:
            self.check(
                "the row is in the database",
                self.db_count(resource) == count + 1,
                count + 1,
                self.db_count(resource),
            )
        self.conflicts(resource, body, created)
        self.item_auth(resource, path, created)
        self.update(resource, path, body, created)
        niceties.preconditions(self, resource, path, response)
        response = self.write("DELETE", path)
        if self.expect(f"DELETE {path}", response, 204, json_body=False):
            self.created = [(r, i) for r, i in self.created if not (r is resource and i == created)]
            self.check("DELETE answers no body", response.content == b"", "empty", response.text)
        self.expect("GET after DELETE", self.get(path), 404)
        self.expect("DELETE again", self.write("DELETE", path), 404)
        self.expect(
            "PUT an absent item", self.write("PUT", path, self.put_body(resource, body, created)), 404
        )
        change = self.change_field(resource, body)
        if change is not None:
            self.expect(
                "PATCH an absent item",
                self.write("PATCH", path, {change.name: self.changed_value(resource, change, None)}),
                404,
            )
        niceties.absent_preconditions(self, path)
        niceties.bulk(self, resource, body)

    def write_errors(self, resource: Resource, body: dict[str, Any]) -> None:
        """422 on unknown, missing, wrongly typed, too long and out-of-enum values; nothing is created."""
        self.create(resource, {**body, "no_such_field_cg": 1}, "POST with an unknown field", 422)
        required = [f for f in writable_fields(resource) if not f.optional_on_create and f.name in body]
        if required:
            f = required[0]
            self.create(
                resource,
                {k: v for k, v in body.items() if k != f.name},
                f"POST without the required field {f.name}",
                422,
            )
        else:
            self.skip("POST without a required field", "every field is optional on create")
        candidates = [f for f in writable_fields(resource) if wrong_type(f) is not None]
        candidates.sort(key=lambda f: f.type not in INTEGERS)
        if candidates:
            f = candidates[0]
            self.create(
                resource, {**body, f.name: wrong_type(f)}, f"POST with {f.name} of the wrong type", 422
            )
        long = next((f for f in writable_fields(resource) if f.length and f.type in (T.STRING, T.TEXT)), None)
        if long is not None:
            self.create(
                resource,
                {**body, long.name: "x" * (long.length + 1)},
                f"POST with {long.name} over its length {long.length}",
                422,
            )
        else:
            self.skip("string over its length", "no string field with a length")
        enum = next((f for f in writable_fields(resource) if f.enum_values), None)
        if enum is not None:
            outside = next(v for v in ("zz", "zzz_cg", "cg_not_listed") if v not in enum.enum_values)
            self.create(
                resource, {**body, enum.name: outside}, f"POST with {enum.name} outside its enum", 422
            )
        self.create(resource, None, "POST without a body", 422)
        response = self.call("POST", resource.path, raw=b"{not json", key=self.write_key)
        self.expect("POST with a body that is not JSON", response, 422)

    def conflicts(self, resource: Resource, body: dict[str, Any], created: dict[str, Any]) -> None:
        """409 on a duplicate key, a duplicate unique value, a missing parent; nothing is written."""
        count = self.db_count(resource)
        tried = False
        if not any(f.generated for f in resource.key_fields):
            tried = True
            self.create(resource, body, "POST a duplicate primary key", 409)
            self.after_conflict(resource, count, "a duplicate primary key")
        for unique in resource.unique_keys:
            if unique.fields == resource.primary_key or not all(
                resource.field(n) in writable_fields(resource) for n in unique.fields
            ):
                continue
            try:
                other = self.build_body(resource)
            except _Abort:
                continue
            tried = True
            other.update({name: created[name] for name in unique.fields})
            self.create(resource, other, f"POST a duplicate of unique {unique.fields}", 409)
            self.after_conflict(resource, count, f"a duplicate of unique {unique.fields}")
        if not tried:
            self.skip("409 duplicate", "generated key and no unique key with writable fields")
        dangling = None
        for relation in resource.relationships:
            target = self.resources.get(relation.target)
            if (
                relation.kind == "many_to_one"
                and len(relation.fields) == 1
                and target is not None
                and [f.name for f in item_key(target)] == relation.target_fields
                and resource.field(relation.fields[0]) in writable_fields(resource)
            ):
                dangling = (relation, target)
                break
        if dangling is None:
            self.skip("409 missing parent", "no single-field many-to-one relation to a served resource")
        else:
            relation, target = dangling
            name = relation.fields[0]
            value = absent(target.field(relation.target_fields[0]))
            if self.get(self.item_path(target, {relation.target_fields[0]: value})).status_code != 404:
                self.skip("409 missing parent", f"could not find an absent {target.name} key")
            else:
                try:
                    other = self.build_body(resource)
                except _Abort:
                    other = None
                if other is not None:
                    other[name] = value
                    self.create(resource, other, f"POST with {name} referring to no {target.name}", 409)
                    self.after_conflict(resource, count, f"{name} referring to no {target.name}")
        if count is not None:
            self.check("409s wrote nothing", self.db_count(resource) == count, count, self.db_count(resource))

    def after_conflict(self, resource: Resource, count: int | None, what: str) -> None:
        """Right after a refused write, the API lists exactly what the database holds: nothing half-written
        stays visible (a failed commit must be rolled back before the connection serves another request)."""
        if count is None:
            return
        listed = self.get(resource.path, {"limit": 0})
        total = listed.json().get("total") if listed.status_code == 200 else None
        self.check(
            f"after the 409 on {what}, the API lists what the database holds",
            total == count,
            f"total {count}",
            f"total {total}",
            response=listed,
        )

    def item_auth(self, resource: Resource, path: str, created: dict[str, Any]) -> None:
        if self.write_key is None:
            self.skip("auth", "the API was generated without auth")
            return
        with self.section("auth", resource):
            change = self.change_field(resource, created)
            patch = (
                {change.name: self.changed_value(resource, change, created.get(change.name))}
                if change
                else {}
            )
            for key, status in ((None, 401), ("read", 403)):
                who = "without a key" if key is None else "with a read-only key"
                self.expect(f"PATCH {who}", self.write("PATCH", path, patch, key=key or "none"), status)
                self.expect(
                    f"PUT {who}",
                    self.write("PUT", path, self.put_body(resource, created, created), key=key or "none"),
                    status,
                )
                self.expect(f"DELETE {who}", self.write("DELETE", path, key=key or "none"), status)
            response = self.get(path)
            self.check(
                "refused writes changed nothing",
                response.status_code == 200 and response.json() == created,
                created,
                response.text,
            )
        self.area = "write"

    def put_body(
        self, resource: Resource, body: Mapping[str, Any], created: Mapping[str, Any]
    ) -> dict[str, Any]:
        names = {f.name for f in writable_fields(resource)}
        result = {k: v for k, v in created.items() if k in names and (k in body or k in resource.primary_key)}
        return result

    def update(self, resource: Resource, path: str, body: dict[str, Any], created: dict[str, Any]) -> None:
        change = self.change_field(resource, body)
        current = dict(created)
        if change is None:
            self.skip("PATCH changes a field", "every writable field is a key, unique or a relation")
        else:
            value = self.changed_value(resource, change, created.get(change.name))
            response = self.write("PATCH", path, {change.name: value})
            if response.status_code == 409:
                self.skip("PATCH", f"the database refused {change.name}={value!r} with 409 (a CHECK?)")
            elif self.expect(f"PATCH {change.name}", response, 200):
                current = response.json()
                if same_value(change, value, current.get(change.name)) or not self.set_by_database(
                    resource, change, current, "PATCH"
                ):
                    self.check(
                        f"PATCH set {change.name}",
                        same_value(change, value, current.get(change.name)),
                        value,
                        current.get(change.name),
                    )
                moved = [
                    f
                    for f in readable(resource)
                    if f.name != change.name
                    and current.get(f.name) != created.get(f.name)
                    and not self.set_by_database(resource, f, current, "PATCH")
                ]
                self.check(
                    "PATCH left the other fields alone",
                    not moved,
                    {f.name: created.get(f.name) for f in moved},
                    {f.name: current.get(f.name) for f in moved},
                )
                got = self.get(path)
                self.check(
                    "GET after PATCH shows the change",
                    got.status_code == 200 and got.json() == current,
                    current,
                    got.text,
                )
            self.expect(
                "PATCH with an unknown field", self.write("PATCH", path, {"no_such_field_cg": 1}), 422
            )
            if wrong_type(change) is not None:
                self.expect(
                    f"PATCH {change.name} with the wrong type",
                    self.write("PATCH", path, {change.name: wrong_type(change)}),
                    422,
                )
        # PUT: every field that was sent, one changed; an absent optional field is cleared
        replacement = self.put_body(resource, body, current)
        cleared = None
        for f in writable_fields(resource):
            if (
                f.nullable
                and f.default is None
                and f.name in replacement
                and f.name not in resource.primary_key
                and replacement[f.name] is not None
                and f.name != (change.name if change else None)
                and not any(f.name in r.fields for r in resource.relationships)
                and not any(f.name in u.fields for u in resource.unique_keys)
            ):
                cleared = f
                break
        if cleared is not None:
            del replacement[cleared.name]
        if change is not None:
            replacement[change.name] = self.changed_value(resource, change, current.get(change.name))
        response = self.write("PUT", path, replacement)
        if response.status_code == 409:
            self.skip("PUT", "the database refused the replacement with 409 (a CHECK?)")
        elif self.expect("PUT", response, 200):
            stored = response.json()
            wrong = {
                k: (v, stored.get(k))
                for k, v in replacement.items()
                if not same_value(resource.field(k), v, stored.get(k))
                and not self.set_by_database(resource, resource.field(k), stored, "PUT")
            }
            self.check("PUT stored every field sent", not wrong, "as sent", wrong)
            if cleared is not None and not (
                stored.get(cleared.name) is not None
                and self.set_by_database(resource, cleared, stored, "PUT")
            ):
                self.check(
                    f"PUT without the optional {cleared.name} cleared it",
                    stored.get(cleared.name) is None,
                    None,
                    stored.get(cleared.name),
                )
            got = self.get(path)
            self.check(
                "GET after PUT equals the PUT answer",
                got.status_code == 200 and got.json() == stored,
                stored,
                got.text,
            )
        required = [
            f
            for f in writable_fields(resource)
            if not f.optional_on_create and f.name in replacement and f.name not in resource.primary_key
        ]
        if required:
            partial = {k: v for k, v in replacement.items() if k != required[0].name}
            self.expect(f"PUT without the required {required[0].name}", self.write("PUT", path, partial), 422)

    def cleanup(self) -> None:
        """Delete every row the suite created and still exists: through the API, else in the database."""
        leftovers, self.created = self.created, []
        for resource, item in leftovers:
            if not item_key(resource) or any(item.get(f.name) is None for f in item_key(resource)):
                continue
            path = self.item_path(resource, item)
            response = self.write("DELETE", path)
            if response.status_code in (204, 404):
                continue
            table = self.table(resource)
            if table is None:
                self.check(f"cleanup of {path}", False, "deleted", f"DELETE answered {response.status_code}")
                continue
            where = [table.c[f.column] == to_db(f, item[f.name]) for f in item_key(resource)]
            with self.engine.begin() as conn:
                conn.execute(table.delete().where(*where))
            self.report.notes.append(
                f"{resource.name}: DELETE {path} answered {response.status_code}; "
                "removed the row in the database instead"
            )

    # -- everything ------------------------------------------------------------------------------------

    def run(self) -> ContractReport:
        started = clock.perf_counter()
        try:
            self.service()
            self.operability()
            self.openapi()
            if not self.reads:
                self.report.notes.append(
                    "reads, methods and read-only resources left to the parity replay (--reads off)"
                )
            for resource in self.spec.resources:
                if self.reads:
                    self.reading(resource)
                    self.methods(resource)
                if is_writable(resource):
                    self.writes(resource)
                elif self.reads:
                    self.read_only(resource)
            self.finish_validation()
        finally:
            if self.validation is not None:
                self.validation[1].kill()
                self.validation[1].wait()
                os.unlink(self.validation[2])
            self.cleanup()
            self.client.close()
            if self.dropped:
                self.report.notes.append(
                    f"the server closed {self.dropped} connection(s) under a request (after "
                    "500s); each such request was sent again once"
                )
            self.engine.dispose()
            self.report.seconds = clock.perf_counter() - started
        return self.report


def _jsonish(value: Any) -> Any:
    """A value read from the database in the form the API answers it."""
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.urlsafe_b64encode(bytes(value)).decode()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _norm_key(f: Field, value: Any) -> Any:
    if value is None:
        return None
    if f.type in INTEGERS:
        with contextlib.suppress(TypeError, ValueError):
            return int(value)
    if isinstance(value, str):
        return value.rstrip()
    if isinstance(value, (date, datetime, time)):
        return value.isoformat()
    return str(value)


def _template(path: str) -> str:
    import re

    return re.sub(r"\{[^}]*\}", "{}", path)


def _spread(fields: list[Field], count: int) -> list[Field]:
    """Up to `count` fields of different logical types, in the given order of preference."""
    chosen: list[Field] = []
    kinds: set[LogicalType] = set()
    for f in fields:
        if f.type not in kinds and len(chosen) < count:
            chosen.append(f)
            kinds.add(f.type)
    return chosen


def _like(pattern: str, value: str, case: bool) -> bool:
    import re

    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, 0 if case else re.IGNORECASE | re.DOTALL) is not None


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


@functools.cache
def _external_validator() -> str | None:
    """A Python outside this virtual environment that can import openapi_spec_validator (its real path)."""
    seen = set()
    here = os.path.realpath(sys.prefix)
    for directory in os.environ.get("PATH", "").split(os.pathsep) + ["/usr/local/bin", "/usr/bin"]:
        python = shutil.which("python3", path=directory)
        if not python or os.path.realpath(python) in seen or os.path.realpath(directory).startswith(here):
            continue
        seen.add(os.path.realpath(python))
        done = subprocess.run(
            [python, "-c", "import sys, openapi_spec_validator; print(sys.executable)"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode == 0 and done.stdout.strip():
            return done.stdout.strip()
    return None


def run_contract(
    base_url: str,
    spec: Spec,
    write_key: str | None,
    read_key: str | None,
    database_url: str,
    depth: str = "quick",
    reads: bool = True,
) -> ContractReport:
    """Check the API at base_url against CONTRACT.md; the report lists checks, failures and skips.

    write_key / read_key: API keys with write and read-only access (None for a project generated with
    --auth none). database_url: the database the server serves, read to know what answers must be.
    depth: "quick" tries the comparison operators and extra sorts on a few fields of each resource,
    "full" on every field. reads=False leaves out the checks made of reads alone (lists, filters,
    sorting, paging, items, expansion, nesting, ETags, cursors, fields, CSV, HEAD and 405s): for a
    second server whose answers to all those requests the parity replay compares with a first one's.
    """
    run = _Run(base_url, spec, write_key, read_key, database_url, depth)
    run.reads = reads
    return run.run()
