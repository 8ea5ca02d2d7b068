"""Injection: SQL, quotes, NUL bytes and 100 kB strings in every input of a running generated API.

`run_injection(base_url, spec, write_key, database_url)` sends hostile values to every resource of the
spec (`.codegen/spec.yaml`) and reports every answer that breaks CONTRACT.md ("Nothing is ever
interpolated into SQL"; "Every error is application/problem+json"; "No error ever shows a stack trace,
SQL text or a connection string"):

- list filters: every readable field with every operator (`field`, `field__ne` ... `field__isnull`;
  `field__eq` for a field named like a paging parameter), plus filter keys and operators that are
  themselves SQL;
- `sort` and `expand`: SQL, quotes and NUL bytes as names, alone and after a real field name;
- item paths (and one-to-many paths): every key segment carrying a payload, for GET and, with the write
  key, PUT, PATCH and DELETE;
- JSON bodies of writes: every string field of a created row, in POST, PUT and PATCH, and SQL as a
  value of every non-string field and as a body key.

Each answer must be below 500; an error must be problem+json without a trace, SQL or the URL. An equality
filter on a text field that answers 200 must count exactly the rows the database itself counts for the
same value bound as a parameter (`' OR '1'='1` interpolated would match every row). A write that stores
a payload must store it verbatim (checked through the API and in the database) and is undone.

Whether injected SQL ever ran is judged by its effects, since no statement log is available: before the
first request a canary table (`cg_canary`, one row) is created next to the served tables, and payloads
drop, empty, update and insert into it and drop the served tables themselves. Afterwards the canary must
hold its one row, the set of tables must be the same, and every served table must have the same row count
and the same checksum (a hash over every row) as before. A self-check first proves that the checksum
sees a change. The canary is dropped at the end.

The run changes nothing when the API is right: every row it creates it deletes again. Where an API gets it
wrong (a payload deleting rows through an interpolated key, say), the report says so and the data is
damaged: run it after the checks that rely on the sample data, or on a copy.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import shlex
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote_plus, urlencode

import httpx
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, func, inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SADeprecationWarning, SAWarning, SQLAlchemyError
from sqlalchemy.pool import NullPool

from codegen.spec.model import Field, LogicalType, Resource, Spec
from contract.suite import (
    INTEGERS,
    LEAKS,
    PROBLEM,
    RESERVED,
    SQL_LEAKS,
    fresh,
    is_writable,
    item_key,
    listed,
    readable,
    same_value,
    segment,
    to_db,
    writable_fields,
)

T = LogicalType
CANARY = "cg_canary"
CANARY_ROW = (1, "canary")
OPERATORS = ("eq", "ne", "lt", "le", "gt", "ge", "in", "like", "ilike", "isnull")
BIG = 100_000
# Strings a client may legitimately store: a write with one of them either stores it verbatim or is
# refused with 422 (too long for the column, a NUL byte the database cannot hold).
CORE = (
    f"'; DROP TABLE {CANARY}; --",
    "' OR '1'='1",
    f"a\x00'; DELETE FROM {CANARY}; --",
)
PAYLOADS = (
    *CORE,
    "'",
    '"',
    "`",
    "\\",
    "\\'",
    "%",
    "_",
    "' OR 1=1 --",
    '" OR "1"="1',
    "1 OR 1=1",
    "1) OR (1=1",
    "') OR ('a'='a",
    f"\"; UPDATE {CANARY} SET note = 'pwned'; --",
    f"1; INSERT INTO {CANARY} (id, note) VALUES (666, 'pwned'); --",
    f"'); DROP TABLE {CANARY}; --",
    f"\\'; DROP TABLE {CANARY}; -- ",
    f"$$; DROP TABLE {CANARY}; $$",
    f"'; COMMIT; DROP TABLE {CANARY}; --",
    f"' UNION SELECT id, note FROM {CANARY} --",
    "%' AND 1=0 UNION SELECT NULL --",
    "/**/OR/**/1=1",
    "' /*!50000OR*/ '1'='1",
    f"\u02bc; DROP TABLE {CANARY}; --",
    "\u2019 OR \u20191\u2019=\u20191",
    "\x00",
    "\x00' OR '1'='1",
    "'\x00--",
)
# httpx refuses URLs over 64 kB: longer ones go out through http.client.
LONG_URL = 60_000
# (A bare ".." is left out: clients resolve it away before sending.)
PATH_PAYLOADS = (*PAYLOADS, "%2e%2e", "1/../..", "1 OR 1=1;--")


def big_payloads() -> tuple[str, ...]:
    """Three 100 kB strings for bodies: plain, SQL over and over, quotes with NUL bytes."""
    sql = f"'; DROP TABLE {CANARY}; -- "
    return ("A" * BIG, (sql * (BIG // len(sql) + 1))[:BIG], ("'\x00\"" * (BIG // 3 + 1))[:BIG])


def big_url_payloads() -> tuple[str, ...]:
    """Two 100 kB strings for URLs: plain, and SQL every 10 kB (percent-encoding keeps it near 100 kB:
    a URL of 250 kB is refused by the HTTP servers themselves before any application sees it)."""
    sql = f"'; DROP TABLE {CANARY}; --"
    chunk = "A" * (10_000 - len(sql)) + sql
    return ("A" * BIG, (chunk * 10)[:BIG])


# -- the report -------------------------------------------------------------------------------------------


@dataclass
class Answer:
    """One request and what came back."""

    method: str
    url: str
    body: bytes | None
    status: int | None
    content_type: str
    text: str

    def reproduction(self, base_url: str) -> str:
        """A curl line that sends the request again (the key as $WRITE_KEY); 100 kB values shortened."""
        words = ["curl", "-X", self.method, shlex.quote(_short(base_url + self.url, 600))]
        if self.body is not None:
            words += ["-H", '"X-API-Key: $WRITE_KEY"', "-H", "'Content-Type: application/json'"]
            words += ["--data-binary", shlex.quote(_short(self.body.decode("utf-8", "replace"), 600))]
        return " ".join(words)


@dataclass
class InjectionFailure:
    """Something that did not hold."""

    area: str
    resource: str | None
    check: str
    detail: str
    answer: Answer | None = None
    base_url: str = ""

    def __str__(self) -> str:
        where = f"[{self.area}{' ' + self.resource if self.resource else ''}]"
        text = f"{where} {self.check}: {_short(self.detail, 600)}"
        if self.answer is not None:
            text += (
                f"\n    -> {self.answer.status} [{self.answer.content_type}] {_short(self.answer.text, 300)}"
                f"\n    reproduce: {self.answer.reproduction(self.base_url)}"
            )
        return text


@dataclass
class InjectionReport:
    """Requests sent, checks made, failures, notes; the database before and after."""

    base_url: str
    requests: int = 0
    checks: int = 0
    seconds: float = 0.0
    failures: list[InjectionFailure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    areas: Counter[str] = field(default_factory=Counter)
    stored: int = 0
    tables: int = 0
    repeats: Counter[tuple[Any, ...]] = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        """True when requests were sent and nothing failed."""
        return self.requests > 0 and not self.failures

    @property
    def failed(self) -> int:
        """Every failed check, including the repeats of one kind that the report does not list."""
        return sum(self.repeats.values()) or len(self.failures)

    def summary(self) -> str:
        """One line: requests, checks, failures, statuses, seconds."""
        statuses = " ".join(f"{status}x{count}" for status, count in sorted(self.statuses.items()))
        areas = ", ".join(f"{area} {count}" for area, count in sorted(self.areas.items()))
        return (
            f"injection: {self.requests} requests ({areas}), {self.checks} checks, "
            f"{self.failed} failed; {self.stored} payloads stored verbatim and undone; "
            f"{self.tables} tables unchanged-checked; statuses {statuses}; {self.seconds:.1f} s"
        )

    def format(self, limit: int = 60) -> str:
        """The summary, notes and the first `limit` failures."""
        lines = [self.summary()]
        lines += [f"note: {note}" for note in self.notes]
        if self.failures:
            title = f"FAILED ({self.failed}; at most 2 of each kind per resource listed):"
            lines += listed(title, self.failures, limit)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


def _short(text: str, limit: int) -> str:
    text = text.replace("\x00", "\\x00").replace("\n", " ")
    if len(text) > limit:
        return text[: limit - 30] + f"...({len(text)} chars)"
    return text


def _send_long(
    base_url: str, method: str, target: str, headers: Mapping[str, str], content: bytes | None
) -> httpx.Response:
    """Send a request whose URL is too long for httpx with http.client, on a connection of its own."""
    url = httpx.URL(base_url)
    connection = http.client.HTTPConnection(url.host, url.port, timeout=60)
    try:
        connection.request(method, target, body=content, headers=dict(headers))
        answer = connection.getresponse()
        return httpx.Response(answer.status, headers=answer.getheaders(), content=answer.read())
    finally:
        connection.close()


# -- the database -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """Row counts and checksums of the served tables and the canary, and the set of tables."""

    tables: frozenset[tuple[str | None, str]]
    rows: Mapping[str, tuple[int, str]]
    canary: tuple[tuple[Any, ...], ...] | None


def _engine(database_url: str) -> Engine:
    return create_engine(database_url, poolclass=NullPool)


def _checksum(rows: list[tuple[Any, ...]]) -> str:
    """Order-independent: the hash of the sorted hashes of every row."""
    digests = sorted(hashlib.sha256(repr(tuple(row)).encode()).hexdigest() for row in rows)
    return hashlib.sha256("".join(digests).encode()).hexdigest()[:16]


class _Database:
    def __init__(self, database_url: str, spec: Spec) -> None:
        self.engine = _engine(database_url)
        self.spec = spec
        self.tables: dict[str, Table] = {}
        schemas = {r.db_schema for r in spec.resources}
        self.schemas = sorted(schemas, key=lambda s: s or "")

    def table(self, resource: Resource) -> Table:
        if resource.name not in self.tables:
            with warnings.catch_warnings():
                # Column types SQLAlchemy only half knows (DOMAIN, GEOMETRY...): the checks read them as is.
                warnings.simplefilter("ignore", SAWarning)
                warnings.simplefilter("ignore", SADeprecationWarning)
                self.tables[resource.name] = Table(
                    resource.table,
                    MetaData(),
                    schema=resource.db_schema,
                    autoload_with=self.engine,
                    resolve_fks=False,
                )
        return self.tables[resource.name]

    def quoted(self, resource: Resource) -> str:
        preparer = self.engine.dialect.identifier_preparer
        name = preparer.quote(resource.table)
        return f"{preparer.quote_schema(resource.db_schema)}.{name}" if resource.db_schema else name

    def canary_table(self) -> Table:
        return Table(CANARY, MetaData(), Column("id", Integer, primary_key=True), Column("note", String(100)))

    def create_canary(self) -> None:
        canary = self.canary_table()
        with self.engine.begin() as conn:
            canary.drop(conn, checkfirst=True)
            canary.create(conn)
            conn.execute(canary.insert().values(id=CANARY_ROW[0], note=CANARY_ROW[1]))

    def drop_canary(self) -> None:
        with self.engine.begin() as conn:
            self.canary_table().drop(conn, checkfirst=True)

    def table_names(self) -> frozenset[tuple[str | None, str]]:
        inspector = inspect(self.engine)
        names = set()
        for schema in self.schemas:
            names |= {(schema, name) for name in inspector.get_table_names(schema=schema)}
        names |= {(None, name) for name in inspector.get_table_names() if name == CANARY}
        return frozenset(names)

    def snapshot(self) -> Snapshot:
        rows: dict[str, tuple[int, str]] = {}
        with self.engine.connect() as conn:
            for resource in self.spec.resources:
                if resource.kind != "table":
                    continue
                # The driver's own values (no type processing: a column may hold what its type cannot read).
                data = [tuple(row) for row in conn.exec_driver_sql(f"SELECT * FROM {self.quoted(resource)}")]
                rows[resource.name] = (len(data), _checksum(data))
            try:
                canary = tuple(
                    tuple(row) for row in conn.execute(select(self.canary_table()).order_by("id")).all()
                )
            except SQLAlchemyError:
                canary = None
        return Snapshot(self.table_names(), rows, canary)

    def count_equal(self, resource: Resource, f: Field, value: Any) -> int | None:
        """Rows whose field equals the value, bound as a parameter; None when the database cannot say."""
        table = self.table(resource)
        try:
            with self.engine.connect() as conn, warnings.catch_warnings():
                # A DOMAIN column warns on comparison that it names no operator class: irrelevant here.
                warnings.simplefilter("ignore", SADeprecationWarning)
                statement = select(func.count()).select_from(table).where(table.c[f.column] == value)
                return int(conn.execute(statement).scalar_one())
        except (SQLAlchemyError, ValueError):
            return None

    def stored(self, resource: Resource, item: Mapping[str, Any], f: Field) -> tuple[bool, Any]:
        """(found, value) of a field of the row with the item's key, read directly."""
        table = self.table(resource)
        try:
            with self.engine.connect() as conn, warnings.catch_warnings():
                warnings.simplefilter("ignore", SADeprecationWarning)
                where = [table.c[k.column] == to_db(k, item.get(k.name)) for k in item_key(resource)]
                row = conn.execute(select(table.c[f.column]).where(*where)).first()
        except (SQLAlchemyError, ValueError, TypeError):
            return False, None
        return (row is not None, row[0] if row is not None else None)

    def delete(self, resource: Resource, item: Mapping[str, Any]) -> None:
        table = self.table(resource)
        where = [table.c[k.column] == to_db(k, item.get(k.name)) for k in item_key(resource)]
        with self.engine.begin() as conn:
            conn.execute(table.delete().where(*where))


# -- the run ------------------------------------------------------------------------------------------------


class _Run:
    def __init__(
        self, base_url: str, spec: Spec, write_key: str | None, database_url: str, depth: str
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.spec = spec
        self.write_key = write_key
        self.database_url = database_url
        self.full = depth == "full"
        self.report = InjectionReport(self.base_url)
        self.client = httpx.Client(base_url=self.base_url, timeout=60.0, follow_redirects=False)
        self.db = _Database(database_url, spec)
        self.dialect = self.db.engine.dialect.name
        self.resources = {r.name: r for r in spec.resources}
        self.area = "setup"
        self.resource: Resource | None = None
        self.created: list[tuple[Resource, dict[str, Any]]] = []
        self.big = big_payloads()
        self.big_url = big_url_payloads()

    # -- recording ---------------------------------------------------------------------------------

    def fail(self, check: str, detail: str, answer: Answer | None = None, once: bool = False) -> None:
        resource = self.resource.name if self.resource else None
        kind = (self.area, resource, check, answer.status if answer else None)
        if once:
            kind = ("*", None, check, answer.status if answer else None)
        self.report.repeats[kind] += 1
        if self.report.repeats[kind] > 2:
            return
        self.report.failures.append(
            InjectionFailure(
                self.area, self.resource.name if self.resource else None, check, detail, answer, self.base_url
            )
        )

    def check(self, check: str, ok: bool, detail: str = "", answer: Answer | None = None) -> bool:
        self.report.checks += 1
        if not ok:
            self.fail(check, detail, answer)
        return ok

    @contextlib.contextmanager
    def section(self, area: str, resource: Resource | None = None) -> Iterator[None]:
        self.area, self.resource = area, resource
        try:
            yield
        except Exception as exc:  # noqa: BLE001 - one surprise must not hide the rest
            self.check(f"{area} ran to the end", False, f"{type(exc).__name__}: {exc}")
        finally:
            self.resource = None

    # -- HTTP --------------------------------------------------------------------------------------

    def send(
        self,
        method: str,
        path: str,
        params: list[tuple[str, str]] | None = None,
        body: Any = None,
        raw: bytes | None = None,
    ) -> tuple[httpx.Response | None, Answer]:
        headers = {"X-API-Key": self.write_key} if self.write_key and method != "GET" else {}
        content = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if content is not None:
            headers["Content-Type"] = "application/json"
        target = path + ("?" + urlencode(params, quote_via=quote) if params else "")
        self.report.requests += 1
        self.report.areas[self.area] += 1
        try:
            if len(target) > LONG_URL:
                response = _send_long(self.base_url, method, target, headers, content)
            else:
                try:
                    response = self.client.request(method, target, headers=headers, content=content)
                except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
                    # A server may close a keep-alive connection after a failure: send it once more.
                    response = self.client.request(method, target, headers=headers, content=content)
        except (httpx.HTTPError, OSError, http.client.HTTPException) as exc:
            answer = Answer(method, target, content, None, "", f"{type(exc).__name__}: {exc}")
            self.fail("the server answers", "no HTTP answer", answer, once=len(target) > LONG_URL)
            return None, answer
        self.report.statuses[response.status_code] += 1
        kind = response.headers.get("content-type", "").split(";")[0].strip()
        return response, Answer(method, target, content, response.status_code, kind, response.text)

    def safe(
        self,
        what: str,
        response: httpx.Response | None,
        answer: Answer,
        allowed: tuple[int, ...],
        sent: str = "",
    ) -> bool:
        """Below 500, one of the allowed statuses, and an error is problem+json without leaks."""
        if response is None:
            return False
        status = response.status_code
        if len(answer.url) > LONG_URL and answer.content_type != PROBLEM and status in (400, 414, 431):
            # Refused by the HTTP server in front of the application (gunicorn's limit_request_line).
            self.report.checks += 1
            self.fail(
                "a 100 kB URL reaches the application (CONTRACT.md: every error is problem+json)",
                f"the HTTP server refused a URL of {len(answer.url) // 1000} kB with {status} "
                f"{answer.content_type or '(no content type)'}",
                answer,
                once=True,
            )
            return False
        ok = self.check(f"{what}: no server error", status < 500, f"HTTP {status}", answer)
        if ok:
            ok = self.check(
                f"{what}: status in {sorted(allowed)}", status in allowed, f"HTTP {status}", answer
            )
        if status >= 400:
            ok = (
                self.check(
                    f"{what}: the error is {PROBLEM}",
                    answer.content_type == PROBLEM,
                    answer.content_type,
                    answer,
                )
                and ok
            )
            lowered = answer.text.lower()
            # An error may quote the client's own value back; only what the client did not send is a leak.
            sent = sent or unquote_plus(answer.url) + (answer.body or b"").decode("utf-8", "replace")
            leaks = [leak for leak in LEAKS if leak in lowered and leak not in sent.lower()]
            leaks += [sql for sql in SQL_LEAKS if sql in answer.text and sql not in sent]
            if self.database_url in answer.text:
                leaks.append("the database URL")
            ok = (
                self.check(f"{what}: no trace, SQL or URL in the error", not leaks, f"shows {leaks}", answer)
                and ok
            )
        return ok

    def json_of(self, response: httpx.Response | None) -> Any:
        if response is None:
            return None
        try:
            return response.json()
        except ValueError:
            return None

    # -- reads -------------------------------------------------------------------------------------

    def sample(self, resource: Resource) -> list[dict[str, Any]]:
        params = [("limit", "3")]
        keys = item_key(resource)
        if keys:
            params.append(("sort", ",".join(f.name for f in keys)))
        response, _ = self.send("GET", resource.path, params)
        body = self.json_of(response)
        return body.get("items", []) if isinstance(body, dict) else []

    def filters(self, resource: Resource) -> None:
        fields = readable(resource)
        for f in fields:
            for op in OPERATORS:
                name = (
                    (f"{f.name}__eq" if f.name in RESERVED else f.name) if op == "eq" else f"{f.name}__{op}"
                )
                values = list(PAYLOADS if self.full else CORE)
                if op in ("eq", "in", "like", "ilike"):
                    values += list(self.big_url)
                for value in values:
                    response, answer = self.send("GET", resource.path, [(name, value)])
                    if not self.safe(f"?{name}=<payload>", response, answer, (200, 422)):
                        continue
                    if op == "eq" and response is not None and response.status_code == 200:
                        self.oracle(resource, f, value, response, answer)
        # every payload on the equality filter of one text field (all of them with depth="full")
        texts = [f for f in fields if f.type in (T.STRING, T.TEXT)]
        for f in texts if self.full else texts[:1]:
            name = f"{f.name}__eq" if f.name in RESERVED else f.name
            for value in PAYLOADS + self.big_url:
                response, answer = self.send("GET", resource.path, [(name, value)])
                if (
                    self.safe(f"?{name}=<payload>", response, answer, (200, 422))
                    and response.status_code == 200
                ):
                    self.oracle(resource, f, value, response, answer)
        # filter keys and operators that are SQL themselves
        first = fields[0].name if fields else "id"
        for key in (
            f"{first}; DROP TABLE {CANARY}",
            f"{first}__eq; DROP TABLE {CANARY}",
            f"{first}__in)--",
            "1=1",
            f"{first}'",
            f"{first}\x00",
            f"{first}__" + "x" * 1000,
            "x" * BIG,
        ):
            response, answer = self.send("GET", resource.path, [(key, "1")])
            self.safe("?<sql>=1 (unknown filter)", response, answer, (422,))

    def oracle(
        self, resource: Resource, f: Field, value: str, response: httpx.Response, answer: Answer
    ) -> None:
        """A 200 on an equality filter counts what the database counts for the value bound as a parameter."""
        if resource.kind != "table" or f.type not in (T.STRING, T.TEXT):
            return
        if self.dialect == "postgresql" and "\x00" in value:
            return
        body = self.json_of(response)
        total = body.get("total") if isinstance(body, dict) else None
        expected = self.db.count_equal(resource, f, value)
        if expected is None:
            return
        self.check(
            f"?{f.name}=<payload> matches what the database matches for the bound value",
            total == expected,
            f"total {total}, the database counts {expected} rows equal to {_short(repr(value), 80)}",
            answer,
        )

    def sort_and_expand(self, resource: Resource) -> None:
        fields = readable(resource)
        first = fields[0].name if fields else "id"
        for value in PAYLOADS + self.big_url:
            forms = [("sort", value), ("expand", value)]
            if self.full or value in CORE:
                forms += [("sort", f"{first},{value}"), ("sort", f"-{first}{value}")]
            for param, text in forms:
                response, answer = self.send("GET", resource.path, [(param, text)])
                self.safe(f"?{param}=<payload>", response, answer, (422,))
        relations = [r.name for r in resource.relationships if r.kind == "many_to_one"]
        for name in relations[:1]:
            for value in CORE:
                response, answer = self.send("GET", resource.path, [("expand", f"{name},{value}")])
                self.safe("?expand=<relation>,<payload>", response, answer, (422,))

    def paths(self, resource: Resource) -> None:
        keys = item_key(resource)
        if not keys:
            return
        rows = self.sample(resource)
        base = rows[0] if rows else {f.name: 1 for f in keys}
        values = PATH_PAYLOADS + self.big_url
        methods = ["GET"]
        if is_writable(resource) and self.write_key:
            methods += ["PUT", "PATCH", "DELETE"]
        for position, f in enumerate(keys):
            for value in values:
                parts = [segment(base.get(k.name)) for k in keys]
                parts[position] = quote(value, safe="")
                path = resource.path + "".join("/" + part for part in parts)
                chosen = methods if value in CORE or self.full else sorted({methods[0], methods[-1]})
                for method in chosen:
                    body = {} if method in ("PUT", "PATCH") else None
                    response, answer = self.send(method, path, body=body)
                    allowed = (404, 405, 422) if method != "GET" else (404, 422)
                    if response is not None and response.status_code in (200, 204):
                        # Only a key that exists may answer; then the database holds that key.
                        found, _ = self.db.stored(resource, {**base, f.name: value}, f)
                        self.check(
                            f"{method} <item path with a payload> answers {response.status_code} "
                            "only for a key that exists",
                            found and method == "GET",
                            "no row has that key" if not found else f"{method} on an existing key",
                            answer,
                        )
                        continue
                    self.safe(f"{method} <item path with a payload>", response, answer, allowed)
        for relation in resource.relationships:
            child = self.resources.get(relation.target)
            if relation.kind != "one_to_many" or child is None or relation.fields != resource.primary_key:
                continue
            name = (
                child.path.rsplit("/", 1)[-1]
                if relation.name == child.name
                else relation.name.replace("_", "-")
            )
            for value in CORE + self.big_url[1:]:
                parts = [quote(value, safe="")] + [segment(base.get(k.name)) for k in keys[1:]]
                path = resource.path + "".join("/" + part for part in parts) + "/" + name
                response, answer = self.send("GET", path)
                self.safe("GET <parent path with a payload>/<children>", response, answer, (404, 422))

    # -- writes ------------------------------------------------------------------------------------

    def base_body(self, resource: Resource, template: Mapping[str, Any]) -> dict[str, Any]:
        """A create body from an existing row: fresh values for non-generated keys and unique fields."""
        unique = {n for u in resource.unique_keys for n in u.fields}
        keys = set(resource.primary_key)
        body: dict[str, Any] = {}
        for f in writable_fields(resource):
            if f.generated:
                continue
            if f.name in keys or f.name in unique:
                linked = any(f.name in r.fields for r in resource.relationships if r.kind == "many_to_one")
                body[f.name] = template.get(f.name) if linked else fresh(f)
                continue
            if f.name in template and template[f.name] is not None:
                body[f.name] = template[f.name]
        return body

    def refresh(self, resource: Resource, body: dict[str, Any], skip: str) -> dict[str, Any]:
        """The body with new values for its key and unique fields (except `skip`)."""
        unique = {n for u in resource.unique_keys for n in u.fields} | set(resource.primary_key)
        linked = {n for r in resource.relationships if r.kind == "many_to_one" for n in r.fields}
        out = dict(body)
        for f in writable_fields(resource):
            if (
                f.name in unique
                and f.name in out
                and f.name != skip
                and f.name not in linked
                and not f.generated
            ):
                out[f.name] = fresh(f)
        return out

    def remember(self, resource: Resource, response: httpx.Response | None) -> dict[str, Any] | None:
        item = self.json_of(response) if response is not None and response.status_code == 201 else None
        if isinstance(item, dict):
            self.created.append((resource, item))
            return item
        return None

    def verbatim(self, resource: Resource, f: Field, value: str, item: Any, answer: Answer) -> None:
        """A stored payload comes back unchanged, from the API and from the database."""
        self.report.stored += 1
        got = item.get(f.name) if isinstance(item, dict) else None
        self.check(
            f"{f.name}=<payload> is answered as sent",
            isinstance(got, str) and same_value(f, value, got),
            f"sent {_short(repr(value), 80)}, answered {_short(repr(got), 80)}",
            answer,
        )
        if isinstance(item, dict) and all(item.get(k.name) is not None for k in item_key(resource)):
            found, stored = self.db.stored(resource, item, f)
            self.check(
                f"{f.name}=<payload> is stored as sent",
                found and isinstance(stored, str) and same_value(f, value, stored),
                f"sent {_short(repr(value), 80)}, the database holds {_short(repr(stored), 80)}",
                answer,
            )

    def writes(self, resource: Resource) -> None:
        if not is_writable(resource) or not self.write_key:
            return
        rows = self.sample(resource)
        template = rows[0] if rows else {}
        body = self.base_body(resource, template)
        texts = [
            f
            for f in writable_fields(resource)
            if f.type in (T.STRING, T.TEXT) and not f.generated and f.name not in resource.primary_key
        ]
        typed = INTEGERS | {T.DECIMAL, T.FLOAT, T.DATE, T.DATETIME, T.TIME, T.BOOLEAN, T.UUID, T.ENUM}
        others = [f for f in writable_fields(resource) if f.type in typed]
        response, answer = self.send("POST", resource.path, body=body)
        created = self.remember(resource, response)
        if not self.safe("POST a row built from an existing one", response, answer, (201, 409, 422)):
            return
        if created is None:
            self.report.notes.append(
                f"{resource.name}: a row built from an existing one was refused ({answer.status}); "
                "payloads in bodies are checked for safe answers only"
            )
        values = list(PAYLOADS) + list(self.big)
        for index, f in enumerate(texts):
            chosen = values if (self.full or index == 0) else list(CORE) + list(self.big)
            for value in chosen:
                sent = {**self.refresh(resource, body, f.name), f.name: value}
                response, answer = self.send("POST", resource.path, body=sent)
                item = self.remember(resource, response)
                if self.safe(f"POST {{{f.name}: <payload>}}", response, answer, (201, 409, 422)) and item:
                    self.verbatim(resource, f, value, item, answer)
                if created is not None:
                    path = resource.path + "".join("/" + segment(created[k.name]) for k in item_key(resource))
                    for method in ("PATCH", "PUT") if value in CORE else ("PATCH",):
                        patch = (
                            {f.name: value}
                            if method == "PATCH"
                            else {
                                **{k: v for k, v in body.items() if k not in resource.primary_key},
                                f.name: value,
                            }
                        )
                        response, answer = self.send(method, path, body=patch)
                        ok = self.safe(f"{method} {{{f.name}: <payload>}}", response, answer, (200, 409, 422))
                        if ok and response is not None and response.status_code == 200:
                            self.verbatim(resource, f, value, self.json_of(response), answer)
        for f in others:
            for value in CORE:
                sent = {**body, f.name: value}
                response, answer = self.send("POST", resource.path, body=sent)
                self.remember(resource, response)
                self.safe(f"POST {{{f.name} ({f.type.value}): <SQL text>}}", response, answer, (422,))
        for key in (f"name; DROP TABLE {CANARY}; --", "x' OR '1'='1", "\x00"):
            response, answer = self.send("POST", resource.path, body={**body, key: 1})
            self.remember(resource, response)
            self.safe("POST {<SQL as a key>: 1}", response, answer, (422,))
        raw = b'{"' + f"'; DROP TABLE {CANARY}; --".encode() + b'": "\xff\xfe\x00'
        response, answer = self.send("POST", resource.path, raw=raw)
        self.remember(resource, response)
        self.safe("POST <broken JSON with SQL and bytes that are not UTF-8>", response, answer, (400, 422))

    def cleanup(self) -> None:
        created, self.created = self.created, []
        for resource, item in reversed(created):
            keys = item_key(resource)
            if any(item.get(k.name) is None for k in keys):
                continue
            path = resource.path + "".join("/" + segment(item[k.name]) for k in keys)
            response, answer = self.send("DELETE", path)
            if response is not None and response.status_code in (204, 404):
                continue
            self.report.notes.append(
                f"{resource.name}: DELETE {path} answered {answer.status}; deleted in the database instead"
            )
            with contextlib.suppress(SQLAlchemyError, ValueError, TypeError):
                self.db.delete(resource, item)

    # -- everything --------------------------------------------------------------------------------

    def self_check(self, before: Snapshot) -> bool:
        """The snapshot sees a change of the canary (so an unchanged snapshot means something)."""
        canary = self.db.canary_table()
        with self.db.engine.begin() as conn:
            conn.execute(canary.update().values(note="changed"))
        changed = self.db.snapshot()
        with self.db.engine.begin() as conn:
            conn.execute(canary.update().values(note=CANARY_ROW[1]))
        return self.check(
            "self-check: the snapshot sees a changed canary row",
            changed.canary != before.canary and self.db.snapshot() == before,
            "the snapshot did not change, or did not come back",
        )

    def compare(self, before: Snapshot, after: Snapshot) -> None:
        self.area = "database"
        self.check(
            f"the canary table holds its one row {CANARY_ROW}",
            after.canary == (CANARY_ROW,),
            f"{CANARY} is now {after.canary!r} (None: it is gone)",
        )
        self.check(
            "the set of tables is unchanged",
            after.tables == before.tables,
            f"gone: {sorted(before.tables - after.tables, key=str)}, "
            f"new: {sorted(after.tables - before.tables, key=str)}",
        )
        for name, (count, digest) in before.rows.items():
            now = after.rows.get(name)
            self.report.tables += 1
            self.check(
                f"{name}: row count and checksum unchanged",
                now == (count, digest),
                f"before {count} rows ({digest}), after {now}",
            )

    def run(self) -> InjectionReport:
        started = time.perf_counter()
        try:
            with self.section("setup"):
                self.db.create_canary()
            before = self.db.snapshot()
            if not self.self_check(before):
                return self.report
            self.report.notes.append(
                f"{len(before.rows)} tables and the canary snapshotted on {self.dialect}; "
                f"{len(PAYLOADS)} payloads and 100 kB strings (3 in bodies, 2 in URLs), "
                f"depth {'full' if self.full else 'quick'}"
            )
            for resource in self.spec.resources:
                with self.section("filter", resource):
                    self.filters(resource)
                with self.section("sort/expand", resource):
                    self.sort_and_expand(resource)
                with self.section("path", resource):
                    self.paths(resource)
                with self.section("body", resource):
                    try:
                        self.writes(resource)
                    finally:
                        self.cleanup()
            self.compare(before, self.db.snapshot())
        finally:
            with contextlib.suppress(Exception):
                self.cleanup()
            with contextlib.suppress(SQLAlchemyError):
                self.db.drop_canary()
            self.client.close()
            self.db.engine.dispose()
            self.report.seconds = time.perf_counter() - started
        return self.report


def run_injection(
    base_url: str, spec: Spec, write_key: str | None, database_url: str, depth: str = "quick"
) -> InjectionReport:
    """Send SQL, quotes, NUL bytes and 100 kB strings to every input of every resource; see the module doc.

    write_key: a key with write access (None: reads and the 401 of writes only). database_url: the
    database the server serves (read to snapshot it; the canary table is created in it and dropped).
    depth: "quick" sends the core payloads to every field and operator and every payload to one text field
    per resource; "full" sends every payload everywhere.
    """
    return _Run(base_url, spec, write_key, database_url, depth).run()


# -- what the generated apps are known to get wrong -------------------------------------------------------


@dataclass(frozen=True)
class KnownIssue:
    """A way the generated apps fail this check today: how it shows, where, how to reproduce, why."""

    name: str
    summary: str
    reproduction: str
    cause: str
    matches: Callable[[InjectionFailure], bool]
    targets: tuple[str, ...] = ("fastapi", "flask")
    dialects: tuple[str, ...] = ("sqlite", "postgresql", "mariadb")

    def applies(self, target: str, dialect: str) -> bool:
        """True when the issue exists for this target and dialect."""
        return target in self.targets and dialect in self.dialects


KNOWN_ISSUES: tuple[KnownIssue, ...] = ()


def classify(
    report: InjectionReport, target: str, dialect: str, known: tuple[KnownIssue, ...] = KNOWN_ISSUES
) -> tuple[dict[str, list[InjectionFailure]], list[InjectionFailure]]:
    """(failures per known issue that applies to this target and dialect, every other failure)."""
    applying = [issue for issue in known if issue.applies(target, dialect)]
    found: dict[str, list[InjectionFailure]] = {}
    unexpected: list[InjectionFailure] = []
    for failure in report.failures:
        issue = next((issue for issue in applying if issue.matches(failure)), None)
        if issue is None or failure.area == "database":
            unexpected.append(failure)
        else:
            found.setdefault(issue.name, []).append(failure)
    return found, unexpected
