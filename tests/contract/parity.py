"""Parity of two targets: the same requests, sent to two servers, must get the same answers.

The contract suite records every request it sends (`ContractReport.sent`). `compare` sends the ones
that cannot change data again to two servers serving the same database (the FastAPI and the Flask
project generated from one spec), several requests at a time, and compares status, headers and
body. A client must not be able to tell the two apart, except by the `Server` header.

Replayed: every GET, HEAD and OPTIONS, and every other request the suite saw refused with a 4xx
other than 409 (a 409 can turn into a success once the conflicting row is gone). Left out: the OpenAPI
document and the /docs page, which each framework renders itself (the contract suite checks both
documents: valid, every route listed).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from contract.suite import Sent, listed

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Headers of the transport or the server software, not of the contract; and the request id each
# server makes anew.
TRANSPORT_HEADERS = frozenset(
    {"server", "date", "connection", "keep-alive", "content-length", "transfer-encoding", "via", "x-request-id"}
)
# Pages a framework writes its own way, and the metrics of each server's own traffic.
FRAMEWORK_PAGES = ("/openapi.json", "/docs", "/metrics")


@dataclass
class ParityReport:
    """How many requests were compared and the ones the two servers answered differently."""

    compared: int = 0
    differences: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences

    def summary(self) -> str:
        return f"{self.compared} requests replayed on both targets, {len(self.differences)} answered differently"

    def format(self, limit: int = 30) -> str:
        return "\n".join(listed(self.summary(), self.differences, limit))


def replayable(sent: Sent) -> bool:
    """Requests that leave the data as it was, whatever state the database is in."""
    if sent.target.split("?")[0].startswith(FRAMEWORK_PAGES):
        return False
    return sent.method in SAFE_METHODS or (400 <= sent.status < 500 and sent.status != 409)


def _body(response: httpx.Response) -> Any:
    kind = response.headers.get("content-type", "")
    if "json" in kind:
        try:
            return json.loads(response.content)
        except ValueError:
            pass
    return response.content


def _headers(response: httpx.Response) -> dict[str, str]:
    return {
        name: value for name, value in response.headers.items() if name.lower() not in TRANSPORT_HEADERS
    }


def _short(value: Any, limit: int = 400) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _differences(left: httpx.Response, right: httpx.Response) -> list[str]:
    what = []
    if left.status_code != right.status_code:
        what.append(f"status {left.status_code} != {right.status_code}")
    if _headers(left) != _headers(right):
        what.append(f"headers {_headers(left)} != {_headers(right)}")
    if _body(left) != _body(right):
        what.append(f"body {_short(_body(left))} != {_short(_body(right))}")
    return what


def compare(
    base_a: str, base_b: str, requests: Iterable[Sent], names: tuple[str, str], workers: int = 4
) -> ParityReport:
    """Send each replayable request (once, duplicates skipped) to both servers and compare the answers.

    None of the replayed requests changes data, so their order does not matter: `workers` threads
    replay them side by side (each with its own connections), and both servers work at the same time.
    The differences are reported in the order the suite sent the requests.
    """
    unique: dict[tuple[str, str, tuple[tuple[str, str], ...], bytes], Sent] = {}
    for sent in requests:
        key = (sent.method, sent.target, sent.headers, sent.content)
        if key not in unique and replayable(sent):
            unique[key] = sent
    local = threading.local()
    clients: list[httpx.Client] = []
    lock = threading.Lock()

    def pair() -> tuple[httpx.Client, httpx.Client]:
        if not hasattr(local, "pair"):
            local.pair = (httpx.Client(base_url=base_a, timeout=60), httpx.Client(base_url=base_b, timeout=60))
            with lock:
                clients.extend(local.pair)
        return local.pair

    def replay(sent: Sent) -> str | None:
        left, right = (
            client.request(sent.method, sent.target, headers=dict(sent.headers), content=sent.content or None)
            for client in pair()
        )
        what = _differences(left, right)
        return f"{sent.method} {sent.target} ({names[0]} vs {names[1]}): " + "; ".join(what) if what else None

    report = ParityReport()
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for difference in pool.map(replay, unique.values()):
                report.compared += 1
                if difference is not None:
                    report.differences.append(difference)
    finally:
        for client in clients:
            client.close()
    return report
