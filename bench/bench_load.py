"""Load: the generated app against PostgreSQL on loopback, concurrent reads and writes, nothing lost.

For each target (`--target fastapi|flask|both`, default both) it creates a fresh PostgreSQL database
(`cg_load_<pid>` on the server of tests/databases.py, 127.0.0.1:5432 unless CODEGEN_TEST_POSTGRES_URL
says otherwise) with two tables,

    load_group (id serial PK, name varchar(60) UNIQUE)                                  10 rows
    load_item  (id serial PK, group_id -> load_group, name varchar(100), counter int,
                note text, created_at timestamptz DEFAULT now())                       1,000 rows

generates the project from it, installs it in its own virtual environment (tests/harness.py), serves
it with `python -m app` (the project's defaults: one uvicorn worker / one gunicorn worker with 4
threads, POOL_SIZE 5) and, for `--seconds` (default 60), drives it with keep-alive client threads in
this process:

- creators (`--creators`, default 2): POST /load-item, a new row each time;
- updaters (`--updaters`, default 2): PATCH /load-item/{id} {counter, note} on rows of their own (the
  seed rows and the created rows are dealt out by id, so that one thread alone writes a row and its
  last acknowledged PATCH is well defined);
- readers (`--readers`, default 4): GET a list page (random offset, sorted, half of them filtered by
  group with `expand=group`) or an item (a random existing id).

Then it checks, directly in the database, that no write was lost: every row answered 201 exists, holds
the value of its last PATCH answered 200, the row count is the seed plus the 201s, and no request was
answered 5xx. It prints requests/s (all and per kind), p50/p99 latency per kind, errors, the check,
and the load average; the raw figures go to bench/out/load/results.json. It measures; it asserts
nothing (the exit code is 1 when the check fails, so that CI notices). tests/test_fuzz.py runs
`run_load` for a few seconds per target as a slow test.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import random
import secrets
import shutil
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

import databases  # noqa: E402
import harness  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from codegen import api  # noqa: E402

OUT = REPO / "bench" / "out" / "load"
TARGETS = ("fastapi", "flask")
SEED_GROUPS = 10
SEED_ITEMS = 1000
SCHEMA = f"""
CREATE TABLE load_group (
    id SERIAL PRIMARY KEY,
    name VARCHAR(60) NOT NULL UNIQUE
);
CREATE TABLE load_item (
    id SERIAL PRIMARY KEY,
    group_id INTEGER NOT NULL REFERENCES load_group (id),
    name VARCHAR(100) NOT NULL,
    counter INTEGER NOT NULL DEFAULT 0,
    note TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX ix_load_item_group_id ON load_item (group_id);
INSERT INTO load_group (name) SELECT 'group ' || g FROM generate_series(1, {SEED_GROUPS}) AS g;
INSERT INTO load_item (group_id, name, counter, note)
    SELECT 1 + (i % {SEED_GROUPS}), 'seed item ' || i, 0, NULL FROM generate_series(1, {SEED_ITEMS}) AS i;
"""
KINDS = ("create", "update", "list", "item")


# -- the database and the app ---------------------------------------------------------------------------


def create_load_database(name: str | None = None) -> str:
    """A fresh PostgreSQL database with the two tables and their seed rows; its URL."""
    name = name or f"cg_load_{os.getpid()}"
    url = databases.create_database("postgresql", name)
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as conn:
        for statement in SCHEMA.split(";"):
            if statement.strip():
                conn.execute(text(statement))
    engine.dispose()
    return url


def keys() -> tuple[str, str]:
    """A write key and the API_KEYS value that lists its hash."""
    write = "load-" + secrets.token_hex(12)
    return write, "write:" + hashlib.sha256(write.encode()).hexdigest()


# -- the load -----------------------------------------------------------------------------------------


@dataclass
class LoadResult:
    """What a load run sent, how fast it was answered, and whether every acknowledged write is stored."""

    label: str
    seconds: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    transport_errors: int = 0
    created: int = 0
    patched_rows: int = 0
    lost: list[str] = field(default_factory=list)
    rows_expected: int = 0
    rows_found: int = 0

    @property
    def requests(self) -> int:
        return sum(len(values) for values in self.latencies.values())

    @property
    def server_errors(self) -> int:
        return sum(count for (_, status), count in self.statuses.items() if status >= 500)

    @property
    def ok(self) -> bool:
        """Requests were answered, none with 5xx or a wrong status, nothing lost, the count matches."""
        return (
            self.requests > 0
            and self.created > 0
            and not self.errors
            and not self.transport_errors
            and not self.lost
            and self.rows_found == self.rows_expected
        )

    def lines(self) -> list[str]:
        """The figure lines of the run."""
        rate = self.requests / self.seconds if self.seconds else 0.0
        out = [
            f"load_{self.label}: {self.requests} requests in {self.seconds:.1f} s -> {rate:.0f} req/s; "
            f"5xx {self.server_errors}, unexpected answers {len(self.errors) - self.transport_errors} "
            f"(5xx included), transport errors {self.transport_errors}"
        ]
        for kind in KINDS:
            values = self.latencies[kind]
            if not values:
                continue
            out.append(
                f"    {kind:<6} {len(values):>6} requests, {len(values) / self.seconds:7.1f} req/s, "
                f"p50 {percentile(values, 50) * 1000:6.1f} ms, p99 {percentile(values, 99) * 1000:6.1f} ms, "
                f"max {max(values) * 1000:7.1f} ms"
            )
        everything = [value for values in self.latencies.values() for value in values]
        if everything:
            out.append(
                f"    all    p50 {percentile(everything, 50) * 1000:.1f} ms, "
                f"p99 {percentile(everything, 99) * 1000:.1f} ms"
            )
        statuses = " ".join(
            f"{kind} {status}x{count}" for (kind, status), count in sorted(self.statuses.items())
        )
        out.append(f"    statuses: {statuses}")
        verdict = (
            "no write lost" if not self.lost and self.rows_found == self.rows_expected else "WRITES LOST"
        )
        out.append(
            f"    check: {verdict}: {self.created} rows created (201), {self.patched_rows} rows patched "
            f"(last 200 value compared), {self.rows_found} rows in the table, {self.rows_expected} expected"
        )
        out += [f"    lost: {line}" for line in self.lost[:10]]
        out += [f"    error: {line}" for line in self.errors[:10]]
        return out


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of the values."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


class _Client:
    """One keep-alive HTTP connection, reopened after a failure."""

    def __init__(self, base_url: str, key: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.key = key
        self.connection: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"X-API-Key": self.key} if method != "GET" else {}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.connection.request(method, path, body=payload, headers=headers)
                response = self.connection.getresponse()
                raw = response.read()
                if response.getheader("connection", "").lower() == "close":
                    self.close()
                return response.status, (json.loads(raw) if raw else None)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # An idle keep-alive connection the server closed: only a GET is sent again (a write
                # may have arrived; sending it twice would create a row nobody acknowledged).
                self.close()
                if attempt or method != "GET":
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


class _Load:
    def __init__(
        self,
        base_url: str,
        key: str,
        label: str,
        seconds: float,
        seed_ids: list[int],
        creators: int,
        updaters: int,
        readers: int,
    ) -> None:
        self.base_url, self.key, self.seconds = base_url, key, seconds
        self.result = LoadResult(label)
        self.creators, self.updaters, self.readers = creators, updaters, readers
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.ids = list(seed_ids)  # every id known to exist (readers pick from it)
        self.owned: list[list[int]] = [[i for i in seed_ids if i % updaters == k] for k in range(updaters)]
        self.created: dict[int, dict[str, Any]] = {}
        self.patched: dict[int, dict[str, Any]] = {}

    def record(self, kind: str, started: float, status: int, expected: tuple[int, ...], what: str) -> None:
        elapsed = time.perf_counter() - started
        with self.lock:
            self.result.latencies[kind].append(elapsed)
            self.result.statuses[(kind, status)] += 1
            if status not in expected:
                self.result.errors.append(f"{kind} {status}: {what}")

    def transport(self, kind: str, exc: Exception, what: str) -> None:
        with self.lock:
            self.result.transport_errors += 1
            self.result.errors.append(f"{kind} transport: {type(exc).__name__}: {exc} ({what})")

    def creator(self, number: int) -> None:
        client = _Client(self.base_url, self.key)
        rng = random.Random(1000 + number)
        sequence = 0
        while not self.stop.is_set():
            sequence += 1
            body = {
                "group_id": rng.randint(1, SEED_GROUPS),
                "name": f"load c{number} #{sequence}",
                "counter": 0,
                "note": f"created by creator {number}",
            }
            started = time.perf_counter()
            try:
                status, answer = client.request("POST", "/load-item", body)
            except (OSError, http.client.HTTPException) as exc:
                self.transport("create", exc, f"POST /load-item {body}")
                continue
            self.record("create", started, status, (201,), f"POST /load-item {body} -> {str(answer)[:200]}")
            if status == 201 and isinstance(answer, dict) and isinstance(answer.get("id"), int):
                with self.lock:
                    self.created[answer["id"]] = {"name": body["name"], "counter": 0, "note": body["note"]}
                    self.ids.append(answer["id"])
                    self.owned[answer["id"] % self.updaters].append(answer["id"])
        client.close()

    def updater(self, number: int) -> None:
        client = _Client(self.base_url, self.key)
        rng = random.Random(2000 + number)
        sequence = 0
        while not self.stop.is_set():
            with self.lock:
                mine = self.owned[number]
                # Half the time one of the newest rows (just created), else any row of its own.
                row = mine[-1 - rng.randrange(min(len(mine), 20))] if rng.random() < 0.5 else rng.choice(mine)
            sequence += 1
            body = {"counter": sequence, "note": f"updater {number} #{sequence}"}
            started = time.perf_counter()
            try:
                status, answer = client.request("PATCH", f"/load-item/{row}", body)
            except (OSError, http.client.HTTPException) as exc:
                # The PATCH may or may not have been applied: the row's expected value is unknown now.
                self.transport("update", exc, f"PATCH /load-item/{row}")
                with self.lock:
                    self.patched[row] = {"unknown": True}
                continue
            self.record(
                "update", started, status, (200,), f"PATCH /load-item/{row} {body} -> {str(answer)[:200]}"
            )
            if status == 200:
                with self.lock:
                    self.patched[row] = body
        client.close()

    def reader(self, number: int) -> None:
        client = _Client(self.base_url, self.key)
        rng = random.Random(3000 + number)
        while not self.stop.is_set():
            if rng.random() < 0.5:
                kind = "list"
                path = f"/load-item?limit=50&offset={rng.randrange(SEED_ITEMS)}&sort=-id"
                if rng.random() < 0.5:
                    path += f"&group_id={rng.randint(1, SEED_GROUPS)}&expand=group"
            else:
                kind = "item"
                with self.lock:
                    row = rng.choice(self.ids)
                path = f"/load-item/{row}"
            started = time.perf_counter()
            try:
                status, answer = client.request("GET", path)
            except (OSError, http.client.HTTPException) as exc:
                self.transport(kind, exc, f"GET {path}")
                continue
            self.record(kind, started, status, (200,), f"GET {path} -> {str(answer)[:200]}")
        client.close()

    def run(self) -> LoadResult:
        threads = [
            threading.Thread(target=self.creator, args=(n,), daemon=True) for n in range(self.creators)
        ]
        threads += [
            threading.Thread(target=self.updater, args=(n,), daemon=True) for n in range(self.updaters)
        ]
        threads += [threading.Thread(target=self.reader, args=(n,), daemon=True) for n in range(self.readers)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        self.stop.wait(self.seconds)
        self.stop.set()
        for thread in threads:
            thread.join(timeout=120)
        self.result.seconds = time.perf_counter() - started
        return self.result


def verify(
    result: LoadResult,
    database_url: str,
    created: dict[int, dict[str, Any]],
    patched: dict[int, dict[str, Any]],
    seed_count: int,
) -> None:
    """Every 201 row is stored with its last acknowledged PATCH; the count is the seed plus the 201s."""
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            rows = {
                row.id: row for row in conn.execute(text("SELECT id, name, counter, note FROM load_item"))
            }
    finally:
        engine.dispose()
    result.created = len(created)
    result.patched_rows = sum(1 for value in patched.values() if "unknown" not in value)
    result.rows_found = len(rows)
    result.rows_expected = seed_count + len(created)
    for row_id, sent in created.items():
        row = rows.get(row_id)
        if row is None:
            result.lost.append(f"row {row_id} was answered 201 and is not in the table")
        elif row.name != sent["name"]:
            result.lost.append(f"row {row_id}: name {row.name!r}, created as {sent['name']!r}")
    for row_id, sent in patched.items():
        row = rows.get(row_id)
        if "unknown" in sent:
            continue
        if row is None:
            result.lost.append(f"row {row_id} was patched (200) and is not in the table")
        elif (row.counter, row.note) != (sent["counter"], sent["note"]):
            result.lost.append(
                f"row {row_id}: counter/note {(row.counter, row.note)}, last PATCH answered 200 set "
                f"{(sent['counter'], sent['note'])}"
            )


def run_load(
    base_url: str,
    database_url: str,
    write_key: str,
    label: str,
    seconds: float = 60.0,
    creators: int = 2,
    updaters: int = 2,
    readers: int = 4,
) -> LoadResult:
    """Drive the app at base_url (serving database_url, with the bench schema) and check nothing was lost."""
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            seed_ids = [row[0] for row in conn.execute(text("SELECT id FROM load_item ORDER BY id"))]
    finally:
        engine.dispose()
    load = _Load(base_url.rstrip("/"), write_key, label, seconds, seed_ids, creators, updaters, readers)
    result = load.run()
    verify(result, database_url, load.created, load.patched, len(seed_ids))
    return result


@contextmanager
def served_project(target: str, folder: Path) -> Iterator[tuple[harness.BaseUrl, str, str]]:
    """A fresh database, the project generated from it and installed, served: (base url, db url, key)."""
    database_url = create_load_database()
    project = folder / f"load-{target}"
    shutil.rmtree(project, ignore_errors=True)
    try:
        api.generate(database_url, project, target=target)
        python = harness.install_project(project, label=f"load-{target}")
        write, api_keys = keys()
        with harness.serve(
            python,
            project,
            {"DATABASE_URL": database_url, "API_KEYS": api_keys},
            label=f"load-{target}",
            timeout=60,
        ) as url:
            yield url, database_url, write
    finally:
        databases.drop_database("postgresql", database_url.rsplit("/", 1)[1])


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f} (1, 5, 15 min; {os.cpu_count()} cores)"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--target", choices=(*TARGETS, "both"), default="both")
    parser.add_argument(
        "--seconds", type=float, default=60.0, help="length of the load per target (default 60)"
    )
    parser.add_argument("--creators", type=int, default=2)
    parser.add_argument("--updaters", type=int, default=2)
    parser.add_argument("--readers", type=int, default=4)
    args = parser.parse_args()
    reason = databases.server_available("postgresql")
    if reason is not None:
        print(f"PostgreSQL is not available: {reason}", file=sys.stderr)
        return 2
    targets = TARGETS if args.target == "both" else (args.target,)
    OUT.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    ok = True
    print(f"date: {time.strftime('%Y-%m-%d %H:%M %Z')}; load average before: {load_average()}")
    for target in targets:
        with served_project(target, OUT) as (url, database_url, write):
            before = load_average()
            result = run_load(
                url, database_url, write, target, args.seconds, args.creators, args.updaters, args.readers
            )
            after = load_average()
        for line in result.lines():
            print(line)
        print(f"    load average: {before} before, {after} after")
        ok = ok and result.ok
        results[target] = {
            "seconds": result.seconds,
            "requests": result.requests,
            "latencies_ms": {
                k: {"p50": percentile(v, 50) * 1000, "p99": percentile(v, 99) * 1000, "n": len(v)}
                for k, v in result.latencies.items()
                if v
            },
            "statuses": {f"{k} {s}": c for (k, s), c in result.statuses.items()},
            "errors": result.errors[:50],
            "lost": result.lost[:50],
            "created": result.created,
            "rows_found": result.rows_found,
            "rows_expected": result.rows_expected,
            "load_before": before,
            "load_after": after,
        }
    target_flag = "" if args.target == "both" else f" --target {args.target}"
    print(
        f"clients: {args.creators} creators, {args.updaters} updaters, {args.readers} readers "
        f"(keep-alive threads of this process, on loopback)"
    )
    print(
        f"reproduce: .venv/bin/python bench/bench_load.py{target_flag} --seconds {args.seconds:g} "
        f"--creators {args.creators} --updaters {args.updaters} --readers {args.readers}"
    )
    (OUT / "results.json").write_text(
        json.dumps(
            {"date": time.strftime("%Y-%m-%d %H:%M"), "args": vars(args), "results": results}, indent=2
        )
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
