"""Fuzz a running generated API with schemathesis, against its own OpenAPI document.

`run_fuzz(base_url, write_key, label, max_examples)` runs the schemathesis CLI of this virtual
environment against `base_url + "/openapi.json"`, with the write key in `X-API-Key`, a fixed seed and
the checks below, and returns a `FuzzResult`: how many cases were sent, to how many operations, in how
long, and every failure with the request that reproduces it (a curl line) and what came back.

Checks (schemathesis names):

- `not_a_server_error`: no 5xx, ever (a 503 "database not available" counts: the database is up);
- `status_code_conformance`: every status is one the document lists for the operation;
- `content_type_conformance`: every response has a content type the document lists for its status;
- `response_schema_conformance`: every body validates against the document's schema for its status.

Phases: `examples,fuzzing` (the documents carry no examples today, so that is the fuzzing phase:
`max_examples` random cases per operation, valid and invalid ones mixed, each failing case shrunk to a
minimal one before it is reported). Budget: ~20 s per server on the 2-core machine, 12 servers in CI.
On the hard schema (74 operations) `max_examples=5` sends ~120-280 cases in 12-20 s with the machine
loaded (~10 s of CPU for schemathesis and the app together). Left out by default, opt in with `phases=`:
`coverage` sends every boundary and wrong-type value of every parameter once, which for list operations
with a filter per field and operator is thousands of cases (7,310 cases and 85 s for the hard schema on
Flask); `stateful` needs links the documents do not have. Failures stop an operation's scenario (pass
`continue_on_failure=True` to keep going, at several times the cost).

Writes and the sample data. With a write key the fuzzer creates, replaces, updates and deletes rows
of the served database (a 204 on `DELETE /album/1` is a pass for it). Run it after everything that
relies on the sample data -- in tests/test_e2e.py after the contract suite and the parity replay, as
the last thing done against a database -- or against a private copy of the database. With
`write_key=None` it sends only the document's GET operations: nothing can change, so it is safe
anywhere (writes then answer 401 without a key, which fuzzes nothing beyond the auth check).

Hypothesis' example database is off (`--generation-database none`) and the run happens in a scratch
directory: nothing is written into the repository, and failures found once are not replayed next time.
The seed is fixed; schemathesis still steers later cases by the answers it gets, so two runs against
different data may differ.

Response schema failures are checked once more here with jsonschema: a failure that disappears when
the patterns of local (offset-free) date-time and time schemas are dropped is flagged
`offset_in_local_time` (see KNOWN_BUGS below).
"""

from __future__ import annotations

import base64
import json
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import urlopen

from jsonschema import Draft202012Validator

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
PHASES = "examples,fuzzing"
SEED = 20240817
KEY_HEADER = "X-API-Key"
# Every 5xx is a failure of `not_a_server_error` (its default); nothing else is configured.
CONFIG = '[checks.not_a_server_error]\nexpected-statuses = ["1XX", "2XX", "3XX", "4XX"]\n'
KEY_PLACEHOLDER = "$WRITE_KEY"


@dataclass(frozen=True)
class FuzzFailure:
    """One check that failed on one case: what, where, and the request that reproduces it."""

    operation: str
    check: str
    code: str
    title: str
    message: str
    status: int | None
    response: str
    reproduction: str
    case_id: str
    phase: str
    method: str = ""
    url: str = ""
    body: bytes | None = None
    response_body: str = ""
    # For response_schema_conformance: True when the body validates once the patterns of the local
    # (offset-free) date-time and time schemas are dropped: the one way it breaks its schema is a
    # date-time or time with an offset where the document promises a local one.
    offset_in_local_time: bool = False

    def __str__(self) -> str:
        message = " ".join(self.message.split())
        text = f"[{self.code} {self.check}] {self.operation} -> {self.status}: {self.title}"
        if message:
            text += f"\n    {_short(message, 600)}"
        if self.response:
            text += f"\n    response: {_short(self.response, 400)}"
        return text + f"\n    reproduce: {_short(self.reproduction, 2000)}"


@dataclass
class FuzzResult:
    """What one schemathesis run sent and found."""

    label: str
    base_url: str
    cases: int = 0
    operations: int = 0
    seconds: float = 0.0
    exit_code: int | None = None
    failures: list[FuzzFailure] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    phases: Counter[str] = field(default_factory=Counter)
    # Cases whose header values HTTP forbids, refused 400 by the server software (not failures).
    invalid_requests: int = 0
    command: list[str] = field(default_factory=list)
    output: str = ""

    @property
    def ok(self) -> bool:
        """True when cases ran, no check failed and schemathesis itself reported no error."""
        return self.cases > 0 and not self.failures and not self.errors

    def by_check(self) -> Counter[str]:
        """Failures per check name."""
        return Counter(failure.check for failure in self.failures)

    def summary(self) -> str:
        """One line: cases, operations, failures per check, statuses, seconds."""
        checks = ", ".join(f"{name} {count}" for name, count in sorted(self.by_check().items())) or "none"
        statuses = " ".join(f"{status}x{count}" for status, count in sorted(self.statuses.items()))
        phases = ", ".join(f"{name} {count}" for name, count in self.phases.items())
        errors = f", {len(self.errors)} schemathesis error(s)" if self.errors else ""
        if self.invalid_requests:
            errors += f", {self.invalid_requests} with header values HTTP forbids refused 400"
        return (
            f"{self.label}: schemathesis sent {self.cases} cases ({phases}) to {self.operations} "
            f"operations in {self.seconds:.1f} s; failures: {checks}{errors}; statuses: {statuses}"
        )

    def format(self, limit: int = 40) -> str:
        """The summary, schemathesis' own errors, and the first `limit` failures in full."""
        lines = [self.summary()]
        lines += [f"error: {_short(error, 2000)}" for error in self.errors]
        for failure in self.failures[:limit]:
            lines.append(str(failure))
        if len(self.failures) > limit:
            lines.append(f"... and {len(self.failures) - limit} more failures")
        if self.cases == 0:
            lines.append(f"no case ran; schemathesis said:\n{self.output[-4000:]}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def schemathesis_binary() -> Path:
    """The schemathesis CLI of the virtual environment running this code."""
    return Path(sys.executable).with_name("schemathesis")


def reproduction(request: dict[str, Any], base_url: str) -> str:
    """A curl line that sends the recorded request again (the key as $WRITE_KEY)."""
    parts = urlsplit(request.get("uri", ""))
    url = base_url.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")
    words = ["curl", "-X", request.get("method", "GET"), shlex.quote(url)]
    for name, values in (request.get("headers") or {}).items():
        if name.lower() in (
            "user-agent",
            "x-schemathesis-testcaseid",
            "accept",
            "accept-encoding",
            "connection",
            "content-length",
        ):
            continue
        for value in values:
            shown = KEY_PLACEHOLDER if name.lower() == KEY_HEADER.lower() else value
            words += [
                "-H",
                f'"{name}: {shown}"' if shown == KEY_PLACEHOLDER else shlex.quote(f"{name}: {shown}"),
            ]
    raw = _request_body(request)
    if raw is not None:
        try:
            text = raw.decode("utf-8")
            if "\x00" in text:
                raise UnicodeDecodeError("utf-8", raw, 0, 1, "NUL byte")
            words += ["--data-binary", shlex.quote(text)]
        except UnicodeDecodeError:
            # Bytes a shell string cannot hold: printf them into curl.
            escaped = "".join(f"\\x{byte:02x}" for byte in raw)
            return f"printf '{escaped}' | " + " ".join(words + ["--data-binary", "@-"])
    return " ".join(words)


def _request_body(request: dict[str, Any]) -> bytes | None:
    body = request.get("body")
    if not body:
        return None
    if "$base64" in body:
        return base64.b64decode(body["$base64"])
    return str(body.get("string", "")).encode()


def _response_text(response: dict[str, Any] | None) -> str:
    if not response:
        return ""
    content = response.get("content") or {}
    if "$base64" in content:
        raw = base64.b64decode(content["$base64"])
        return raw.decode("utf-8", errors="replace")
    return str(content.get("string", ""))


def _document(base_url: str) -> dict[str, Any] | None:
    try:
        with urlopen(base_url + "/openapi.json", timeout=30) as answer:
            document = json.loads(answer.read())
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def _without_local_patterns(node: Any) -> Any:
    """The document with the `pattern` of every local date-time / time schema taken out."""
    if isinstance(node, dict):
        local = "pattern" in node and "without an offset" in str(node.get("description", ""))
        return {k: _without_local_patterns(v) for k, v in node.items() if not (local and k == "pattern")}
    if isinstance(node, list):
        return [_without_local_patterns(item) for item in node]
    return node


def _response_schema(document: dict[str, Any], operation: str, status: int | None) -> str | None:
    """The JSON pointer of an operation's response schema for a status (or its default), if any."""
    method, _, path = operation.partition(" ")
    responses = document.get("paths", {}).get(path, {}).get(method.lower(), {}).get("responses", {})
    key = (
        str(status)
        if str(status) in responses
        else f"{str(status)[0]}XX" if f"{str(status)[0]}XX" in responses else "default"
    )
    content = (responses.get(key) or {}).get("content") or {}
    media = next((m for m in content if "json" in m), None)
    if media is None or "schema" not in content[media]:
        return None
    escape = lambda part: part.replace("~", "~0").replace("/", "~1")  # noqa: E731
    return "#/" + "/".join(
        escape(part) for part in ("paths", path, method.lower(), "responses", key, "content", media, "schema")
    )


def _with_time_check(failure: FuzzFailure, document: dict[str, Any], relaxed: dict[str, Any]) -> FuzzFailure:
    """Flag a schema failure that is only about offsets in values the document calls local."""
    if failure.check != "response_schema_conformance":
        return failure
    pointer = _response_schema(document, failure.operation, failure.status)
    try:
        body = json.loads(failure.response_body)
    except ValueError:
        return failure
    if pointer is None:
        return failure
    checker = Draft202012Validator.FORMAT_CHECKER
    try:
        strict = Draft202012Validator({**document, "$ref": pointer}, format_checker=checker)
        lenient = Draft202012Validator({**relaxed, "$ref": pointer}, format_checker=checker)
        if next(strict.iter_errors(body), None) is None or next(lenient.iter_errors(body), None) is not None:
            return failure
    except Exception:  # noqa: BLE001 - a schema jsonschema cannot use: leave the failure as it is
        return failure
    return replace(failure, offset_in_local_time=True)


# Characters RFC 9110 (5.5) forbids in a field value; servers may refuse such a request with 400.
_FORBIDDEN_IN_HEADERS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _invalid_header(request: dict[str, Any]) -> bool:
    headers = request.get("headers") or {}
    values = [value for entry in headers.values() for value in (entry if isinstance(entry, list) else [entry])]
    return any(_FORBIDDEN_IN_HEADERS.search(str(value)) for value in values)


def parse_events(path: Path, result: FuzzResult) -> None:
    """Fill `result` from schemathesis' NDJSON event stream (cases, statuses, failures, errors)."""
    cases: set[str] = set()
    operations: set[str] = set()
    seen: set[tuple[str, str, str, str]] = set()
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if not line:
                continue
            event = json.loads(line)
            kind, payload = next(iter(event.items()))
            if kind == "ScenarioFinished":
                recorder = payload.get("recorder") or {}
                phase = str(payload.get("phase", ""))
                if recorder.get("cases"):
                    operations.add(str(recorder.get("label")))
                interactions = recorder.get("interactions") or {}
                for case_id in recorder.get("cases") or {}:
                    name = f"{recorder.get('label')}#{case_id}"
                    if name not in cases:
                        cases.add(name)
                        result.phases[phase] += 1
                for interaction in interactions.values():
                    status = (interaction.get("response") or {}).get("status_code")
                    if isinstance(status, int):
                        result.statuses[status] += 1
                for case_id, checks in (recorder.get("checks") or {}).items():
                    for check in checks:
                        if check.get("status") != "failure":
                            continue
                        info = (check.get("failure_info") or {}).get("failure") or {}
                        interaction = interactions.get(case_id) or {}
                        response = interaction.get("response") or {}
                        status = response.get("status_code")
                        if status == 400 and _invalid_header(interaction.get("request") or {}):
                            # Not a request HTTP allows: the server software refuses it (RFC 9110, 5.5).
                            result.invalid_requests += 1
                            continue
                        operation = str(info.get("operation") or recorder.get("label"))
                        message = str(info.get("message") or "")
                        # The same check failing the same way on the same operation is one finding.
                        key = (operation, str(check.get("name")), str(status), message[:200])
                        if key in seen:
                            continue
                        seen.add(key)
                        result.failures.append(
                            FuzzFailure(
                                operation=operation,
                                check=str(check.get("name")),
                                code=str(info.get("code", "")),
                                title=str(info.get("title", "")),
                                message=message,
                                status=status if isinstance(status, int) else None,
                                response=_short(_response_text(response), 1000),
                                reproduction=(
                                    reproduction(interaction.get("request") or {}, result.base_url)
                                    if interaction
                                    else "(no request recorded)"
                                ),
                                case_id=str(case_id),
                                phase=phase,
                                method=str((interaction.get("request") or {}).get("method", "")),
                                url=str((interaction.get("request") or {}).get("uri", "")),
                                body=_request_body(interaction.get("request") or {}),
                                response_body=_response_text(response),
                            )
                        )
            elif kind in ("NonFatalError", "FatalError") or "Error" in kind:
                info = payload.get("info") or payload
                text = info.get("message") or info.get("title") or json.dumps(info)[:2000]
                label = payload.get("label") or ""
                result.errors.append(f"{kind} {label}: {text}".strip())
    result.cases = len(cases)
    result.operations = len(operations)


def run_fuzz(
    base_url: str,
    write_key: str | None,
    label: str,
    max_examples: int = 5,
    *,
    seed: int = SEED,
    phases: str = PHASES,
    checks: tuple[str, ...] = CHECKS,
    timeout: float = 600,
    workers: int = 1,
    continue_on_failure: bool = False,
    extra: tuple[str, ...] = (),
) -> FuzzResult:
    """Fuzz the API at base_url (its /openapi.json) with schemathesis; the result lists every failure.

    write_key: sent as X-API-Key on every request; None fuzzes only the GET operations (see the module
    docstring on what writes do to the data). max_examples: random cases per operation in the fuzzing
    phase. Raises nothing for failures: the caller asserts on `result.ok` and prints `result.format()`.
    """
    base_url = base_url.rstrip("/")
    result = FuzzResult(label=label, base_url=base_url)
    with tempfile.TemporaryDirectory(prefix="cg_fuzz_") as scratch:
        folder = Path(scratch)
        config = folder / "schemathesis.toml"
        config.write_text(CONFIG, encoding="utf-8")
        events = folder / "events.ndjson"
        command = [
            str(schemathesis_binary()),
            "--config-file",
            str(config),
            "--no-color",
            "run",
            base_url + "/openapi.json",
            "--url",
            base_url,
            "--checks",
            ",".join(checks),
            "--phases",
            phases,
            "--max-examples",
            str(max_examples),
            "--seed",
            str(seed),
            "--workers",
            str(workers),
            "--generation-database",
            "none",
            "--request-timeout",
            "20",
            "--report",
            "ndjson",
            "--report-ndjson-path",
            str(events),
            *(["--continue-on-failure"] if continue_on_failure else []),
            *extra,
        ]
        shown = list(command)
        if write_key is not None:
            command += ["-H", f"{KEY_HEADER}: {write_key}"]
            shown += ["-H", f"{KEY_HEADER}: {KEY_PLACEHOLDER}"]
        else:
            command += ["--include-method", "GET"]
            shown += ["--include-method", "GET"]
        result.command = shown
        started = time.perf_counter()
        try:
            done = subprocess.run(
                command, cwd=folder, capture_output=True, text=True, timeout=timeout, errors="replace"
            )
            result.exit_code = done.returncode
            result.output = done.stdout + done.stderr
        except subprocess.TimeoutExpired as exc:
            result.errors.append(f"schemathesis did not finish within {timeout:.0f} s")
            result.output = str(exc.stdout or "") + str(exc.stderr or "")
        result.seconds = time.perf_counter() - started
        if events.exists():
            parse_events(events, result)
            document = _document(base_url)
            if document is not None:
                relaxed = _without_local_patterns(document)
                result.failures = [_with_time_check(f, document, relaxed) for f in result.failures]
        else:
            result.errors.append(f"schemathesis wrote no event report (exit {result.exit_code})")
    if result.exit_code not in (0, 1, None) and not result.errors:
        # 1 means "failures found"; anything else is schemathesis itself failing.
        result.errors.append(f"schemathesis exited with {result.exit_code}: {result.output[-2000:]}")
    return result


# -- what the generated apps are known to get wrong -------------------------------------------------------
#
# Each entry names a bug of the generated apps that the fuzzer finds today, how to reproduce it by hand,
# and what causes it. `classify()` sorts a run's failures into these and the rest; a test fails on the
# rest, and ends as xfail naming the known ones with their reproductions (see tests/test_fuzz.py), which
# also prints the entries a run did not meet. Remove an entry once the templates are fixed: an entry
# excuses whatever failure looks like it, so a stale one can hide a regression. None is known today.


@dataclass(frozen=True)
class KnownBug:
    """A bug of the generated apps: how a failure shows it, where it applies, how to reproduce it."""

    name: str
    summary: str
    reproduction: str
    cause: str
    matches: Callable[[FuzzFailure], bool]
    targets: tuple[str, ...] = ("fastapi", "flask")
    dialects: tuple[str, ...] = ("sqlite", "postgresql", "mariadb")

    def applies(self, target: str, dialect: str) -> bool:
        """True when the bug exists for this target and dialect."""
        return target in self.targets and dialect in self.dialects


KNOWN_BUGS: tuple[KnownBug, ...] = ()


def classify(
    failures: list[FuzzFailure], target: str, dialect: str, known: tuple[KnownBug, ...] = KNOWN_BUGS
) -> tuple[dict[str, list[FuzzFailure]], list[FuzzFailure]]:
    """(failures per known bug that applies to this target and dialect, every other failure)."""
    applying = [bug for bug in known if bug.applies(target, dialect)]
    found: dict[str, list[FuzzFailure]] = {}
    unexpected: list[FuzzFailure] = []
    for failure in failures:
        bug = next((bug for bug in applying if bug.matches(failure)), None)
        if bug is None:
            unexpected.append(failure)
        else:
            found.setdefault(bug.name, []).append(failure)
    return found, unexpected
