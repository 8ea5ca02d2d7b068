"""Operable in production, proven on served projects (issue 14): several instances share one rate limit
through Redis, logs are JSON lines carrying request ids and no secrets, the metrics of several worker
processes are summed, traces reach an OTLP collector, and compose.yaml describes the local stack.

Redis is this machine's (127.0.0.1:6379, REDIS_URL_FOR_TESTS to use another); each test keeps its keys
under a prefix of its own and deletes them afterwards.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import harness
import httpx
import pytest
import yaml
from conftest import in_ci

from codegen import api

# Its tests share module-scoped fixtures: one xdist worker runs them all (tests/conftest.py).
pytestmark = pytest.mark.xdist_group("operability")

REDIS = os.environ.get("REDIS_URL_FOR_TESTS", "redis://127.0.0.1:6379/0")
TARGETS = ("fastapi", "flask")


def _redis_or_skip() -> Any:
    import redis

    client = redis.Redis.from_url(REDIS, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        message = f"!!! REDIS NOT AVAILABLE at {REDIS}: {exc} !!! Start it: redis-server --daemonize yes"
        if in_ci():
            pytest.fail(message + " (CI is set: it must run)", pytrace=False)
        pytest.skip(message)
    return client


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own in the machine's Redis, its keys deleted afterwards."""
    client = _redis_or_skip()
    prefix = f"cgtest-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    yield prefix
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory, database_url: Any) -> dict[str, tuple[Path, Path]]:
    """Chinook's project of each target, installed: {target: (folder, python)}."""
    url = database_url("chinook", "sqlite")
    built = {}
    for target in TARGETS:
        folder = tmp_path_factory.mktemp(target) / "chinook"
        api.generate(url, folder, target=target)
        built[target] = (folder, harness.install_project(folder, f"operability/{target}"))
    return built


def _statuses(urls: list[str], key: str) -> list[int]:
    with httpx.Client(timeout=10) as client:
        return [client.get(url + "/genre", headers={"X-API-Key": key}).status_code for url in urls]


@pytest.mark.slow
def test_two_instances_share_one_rate_limit_through_redis(
    projects: dict[str, tuple[Path, Path]], database_url: Any, redis_prefix: str
) -> None:
    """A FastAPI and a Flask server on one Redis spend one budget per client; without it, two."""
    write, _, keys = harness.api_keys()
    base = {"DATABASE_URL": database_url("chinook", "sqlite"), "API_KEYS": keys, "RATE_LIMIT": "4/minute"}
    shared = {**base, "REDIS_URL": REDIS, "REDIS_PREFIX": redis_prefix}
    (fa_dir, fa_python), (fl_dir, fl_python) = projects["fastapi"], projects["flask"]
    with harness.serve(fa_python, fa_dir, shared) as one, harness.serve(fl_python, fl_dir, shared) as two:
        assert _statuses([one, two, one, two], write) == [200] * 4
        assert _statuses([one, two], write) == [429, 429]
        readiness = httpx.get(one + "/readyz").json()
        assert readiness["checks"] == {"database": "ok", "redis": "ok"}
    with harness.serve(fa_python, fa_dir, base) as one, harness.serve(fl_python, fl_dir, base) as two:
        assert _statuses([one, two, one, two, one, two], write) == [200] * 6  # each its own 4


def _lines(log: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.splitlines() if line.strip()]


@pytest.mark.slow
@pytest.mark.parametrize("target", TARGETS)
def test_logs_are_json_lines_with_request_ids_and_no_secrets(
    projects: dict[str, tuple[Path, Path]], database_url: Any, target: str
) -> None:
    write, _, keys = harness.api_keys()
    folder, python = projects[target]
    environment = {"DATABASE_URL": database_url("chinook", "sqlite"), "API_KEYS": keys}
    with harness.serve(python, folder, environment) as base, httpx.Client(base_url=base) as client:
        answered = client.get("/genre/1", headers={"X-Request-ID": "trace-7"})
        assert answered.headers["x-request-id"] == "trace-7"
        made = client.get("/genre", params={"name__ilike": "%s3cr3t%"}, headers={"X-API-Key": write})
        missing = client.get("/no-such-route")
        time.sleep(0.3)
        log = base.log()
    lines = _lines(log)  # every line is JSON (a line that is not raises here)
    # Found by request id, not by position: a server may write a request's line after it has begun the
    # next one (Starlette unwinds a response's task group after the last byte is sent).
    access = {line["request_id"]: line["http"] for line in lines if line["logger"] == "app.access"}
    ids = ["trace-7", made.headers["x-request-id"], missing.headers["x-request-id"]]
    assert len(set(ids)) == 3
    assert [access[i]["route"] for i in ids] == ["/genre/{genre_id}", "/genre", "unmatched"]
    assert [access[i]["status"] for i in ids] == [200, 200, 404]
    assert write not in log and "s3cr3t" not in log and "name__ilike" not in log


@pytest.mark.slow
@pytest.mark.parametrize("target", TARGETS)
def test_the_metrics_of_several_workers_are_summed(
    projects: dict[str, tuple[Path, Path]], database_url: Any, target: str
) -> None:
    folder, python = projects[target]
    environment = {"DATABASE_URL": database_url("chinook", "sqlite"), "WORKERS": "2"}
    with harness.serve(python, folder, environment, timeout=60) as base:
        for _ in range(20):
            with httpx.Client(base_url=base) as client:  # a new connection each: any worker
                assert client.get("/media-type").status_code == 200
        counts = set()
        for _ in range(6):
            with httpx.Client(base_url=base) as client:
                page = client.get("/metrics").text
            line = next(line for line in page.splitlines()
                        if line.startswith('http_requests_total{method="GET",route="/media-type",status="200"}'))
            counts.add(float(line.rsplit(" ", 1)[1]))
    assert counts == {20.0}, counts


class _Collector(BaseHTTPRequestHandler):
    """An OTLP/HTTP trace receiver: keeps the spans it is sent."""

    spans: list[Any] = []

    def do_POST(self) -> None:  # noqa: N802 - the http.server name
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

        request = ExportTraceServiceRequest()
        request.ParseFromString(self.rfile.read(int(self.headers["Content-Length"])))
        for resource in request.resource_spans:
            for scope in resource.scope_spans:
                _Collector.spans.extend(scope.spans)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        """Quiet."""


def _attributes(span: Any) -> dict[str, str]:
    return {item.key: item.value.string_value for item in span.attributes}


@pytest.mark.slow
@pytest.mark.parametrize("target", TARGETS)
def test_traces_reach_an_otlp_collector(tmp_path: Path, database_url: Any, target: str) -> None:
    """With the `otel` extra and OTEL_EXPORTER_OTLP_ENDPOINT: a span per request and per SQL statement."""
    folder = tmp_path / "chinook"
    api.generate(database_url("chinook", "sqlite"), folder, target=target)
    python = harness.install_project(folder, f"otel/{target}", extras=("test", "otel"))
    _Collector.spans = []
    collector = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    threading.Thread(target=collector.serve_forever, daemon=True).start()
    environment = {
        "DATABASE_URL": database_url("chinook", "sqlite"),
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{collector.server_port}",
        "OTEL_BSP_SCHEDULE_DELAY": "100",
        "OTEL_SERVICE_NAME": "chinook-test",
    }
    try:
        with harness.serve(python, folder, environment) as base:
            assert httpx.get(base + "/artist/1").status_code == 200
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and not _finished(_Collector.spans):
                time.sleep(0.2)
    finally:
        collector.shutdown()
    routes = {_attributes(span).get("http.route") for span in _Collector.spans}
    statements = [_attributes(span).get("db.statement", "") for span in _Collector.spans]
    assert "/artist/{artist_id}" in routes or "/artist/<artist_id>" in routes, routes
    assert any("artist" in statement.lower() for statement in statements), statements


def _finished(spans: list[Any]) -> bool:
    attributes = [_attributes(span) for span in spans]
    return any("http.route" in a for a in attributes) and any("db.statement" in a for a in attributes)


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
def test_compose_describes_the_local_stack(dialect: str, tmp_path: Path) -> None:
    """compose.yaml: the app (readiness-checked), the database of the dialect, Redis as a profile, and no
    credential of its own."""
    from codegen.spec.io import read_spec

    spec = read_spec(Path(__file__).parents[1] / "golden_outputs" / "specs" / "chinook" / "chinook.yaml")
    spec = spec.model_copy(update={"source": spec.source.model_copy(update={"dialect": dialect})})
    compose = yaml.safe_load(api.generate_files(spec, "fastapi", {"auth": "apikey"})["compose.yaml"])
    services = compose["services"]
    assert services["redis"]["profiles"] == ["redis"]
    assert "/readyz" in " ".join(services["app"]["healthcheck"]["test"])
    environment = services["app"]["environment"]
    if dialect == "sqlite":
        assert set(services) == {"app", "redis"} and environment["DATABASE_URL"].startswith("sqlite:////data/")
    else:
        assert services["app"]["depends_on"]["db"]["condition"] == "service_healthy"
        assert "${DB_PASSWORD:?" in environment["DATABASE_URL"]
    assert "python -m app.tables create --if-empty" in " ".join(services["app"]["command"])
