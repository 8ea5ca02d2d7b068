"""End to end: generate a project from a real database, install it, run its own tests, serve it, and
check it against CONTRACT.md over HTTP.

For each database (Chinook, Sakila, our hard schema) in each dialect (SQLite, PostgreSQL, MariaDB):

1. load the database (tests/databases.py, through the `database_url` fixture of conftest.py);
2. `codegen.api.generate(url, tmp/project)`;
3. install the project into its own fresh `.venv` from its own pyproject.toml (harness.install_project;
   one venv per project: the three dialects' projects pin different drivers);
4. run the project's own `pytest` (out of the box; where the project says its schema needs its own
   database, again with TEST_DATABASE_URL set to a fresh empty database of the same dialect) while
   5. `python -m app` serves the loaded database and the contract suite (tests/contract) checks it.

The project's tests and the contract suite run at the same time: one uses each of the two cores.
Every step is timed; the timings and the number of contract checks are printed as each run ends.
With CODEGEN_E2E_REPORTS=DIR, each run also writes its full contract report and the project's test
output to DIR/<database>-<dialect>.txt.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import databases
import harness
import httpx
import pytest
from contract import run_contract

from codegen.api import generate
from codegen.spec.io import read_spec

pytestmark = pytest.mark.slow

KINDS = ["chinook", "sakila", "hard"]


def _keys() -> tuple[str, str, str]:
    """A write key, a read key, and the API_KEYS value that lists their hashes."""
    write, read = "w-" + secrets.token_hex(12), "r-" + secrets.token_hex(12)
    digest = lambda key: hashlib.sha256(key.encode()).hexdigest()  # noqa: E731
    return write, read, f"write:{digest(write)},read:{digest(read)}"


@pytest.fixture(scope="session")
def wheels() -> Path:
    """The shared wheelhouse (built once, then reused from .cache/wheelhouse)."""
    with harness.timed("wheelhouse: check or build"):
        return harness.wheelhouse()


class _Background(threading.Thread):
    """Runs the project's own tests while the main thread serves and checks the API."""

    def __init__(self, python: Path, project: Path, dialect: str, label: str) -> None:
        super().__init__(daemon=True)
        self.python, self.project, self.dialect, self.label = python, project, dialect, label
        self.runs: list[tuple[str, Any]] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            done = harness.run_project_tests(self.python, self.project, {}, label=self.label)
            self.runs.append(("out of the box", done))
            counts = harness.summary_counts(done.stdout)
            if done.returncode == 0 and not counts.get("passed") and counts.get("skipped"):
                # The project says SQLite cannot hold its schema: give it an empty database of its dialect.
                url = databases.load_empty(self.dialect)
                done = harness.run_project_tests(
                    self.python,
                    self.project,
                    {"TEST_DATABASE_URL": url},
                    label=self.label + " (TEST_DATABASE_URL)",
                )
                self.runs.append((f"TEST_DATABASE_URL={self.dialect} empty database", done))
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            self.error = exc


def _errors_in_log(log: str) -> str:
    """The server's log without its access lines: start-up, warnings and tracebacks."""
    return "\n".join(line for line in log.splitlines() if not line.startswith("INFO:     127.0.0.1:"))


def _report(capsys: pytest.CaptureFixture[str], text: str) -> None:
    with capsys.disabled():
        print("\n" + text, flush=True)


@pytest.mark.parametrize("kind", KINDS)
def test_generated_project_runs_and_speaks_the_contract(
    kind: str,
    dialect: str,
    database_url: Any,
    wheels: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if kind not in databases.LOADERS:
        pytest.skip(f"tests/databases.py offers no {kind!r} database yet")
    label = f"{kind}/{dialect}"
    first = len(harness.TIMINGS)
    started = time.perf_counter()
    with harness.timed(f"{label}: load database"):
        url = database_url(kind, dialect)
    project = tmp_path / f"{kind}_{dialect}"
    with harness.timed(f"{label}: generate"):
        generate(url, project)
    python = harness.install_project(project, label=label)

    tests = _Background(python, project, dialect, label)
    tests.start()
    write, read, api_keys = _keys()
    spec = read_spec(project / ".codegen" / "spec.yaml")
    try:
        with harness.serve(python, project, {"DATABASE_URL": url, "API_KEYS": api_keys}, label=label) as base:
            with harness.timed(f"{label}: contract suite"):
                report = run_contract(base, spec, write, read, url)
            server_log = _errors_in_log(base.log())
    finally:
        with harness.timed(f"{label}: wait for the project's tests"):
            tests.join(timeout=900)
    total = time.perf_counter() - started

    lines = [f"=== {label}: {report.summary()}"]
    for what, done in tests.runs:
        lines.append(f"    project tests ({what}): {harness.summary_counts(done.stdout) or done.returncode}")
    lines.append(harness.timing_table(harness.TIMINGS[first:]))
    lines.append(f"{label}: total  {total:.2f} s")
    _report(capsys, "\n".join(lines))
    if os.environ.get("CODEGEN_E2E_REPORTS"):
        folder = Path(os.environ["CODEGEN_E2E_REPORTS"])
        folder.mkdir(parents=True, exist_ok=True)
        text = (
            report.format(limit=100_000)
            + f"\n\n--- server log (access lines left out)\n{server_log}\n\n"
            + "\n\n".join(
                f"--- project tests ({what}), exit {done.returncode}\n{done.stdout}\n{done.stderr}"
                for what, done in tests.runs
            )
        )
        (folder / f"{kind}-{dialect}.txt").write_text(text, encoding="utf-8")

    problems = []
    if tests.error is not None:
        problems.append(f"the project's tests could not run: {tests.error!r}")
    elif not tests.runs:
        problems.append("the project's tests did not run")
    else:
        what, done = tests.runs[-1]
        passed = harness.passed_count(done)
        if done.returncode != 0 or passed == 0:
            problems.append(
                f"the generated project's own tests ({what}) did not pass (exit {done.returncode}, "
                f"{passed} passed):\n{done.stdout[-6000:]}\n{done.stderr[-3000:]}"
            )
    if report.checks == 0:
        problems.append("the contract suite ran no check")
    if not report.ok:
        problems.append(
            f"the API breaks the contract:\n{report.format()}\n\n"
            f"server log (access lines left out):\n{server_log[-8000:]}"
        )
    if problems:
        pytest.fail(f"{label}: " + "\n\n".join(problems), pytrace=False)
    shutil.rmtree(project, ignore_errors=True)


def test_healthz_answers_503_when_the_database_does_not(tmp_path: Path, wheels: Path) -> None:
    """GET /healthz -> 503 problem+json when DATABASE_URL points at a database that cannot be opened."""
    source = databases.load_empty("sqlite")
    sqlite_path = Path(source.removeprefix("sqlite:///"))
    import sqlite3

    with sqlite3.connect(sqlite_path) as conn:
        conn.execute("CREATE TABLE thing (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL)")
    project = tmp_path / "thing"
    generate(source, project)
    python = harness.install_project(project, label="healthz-503")
    missing = f"sqlite:///{tmp_path / 'no-such-dir' / 'missing.sqlite'}"
    with harness.serve(
        python, project, {"DATABASE_URL": missing}, healthy=False, label="healthz-503"
    ) as base:
        response = httpx.get(base + "/healthz", timeout=10)
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert body["status"] == 503 and {"type", "title", "detail"} <= set(body), body
    assert "no-such-dir" not in response.text, "the error shows the database URL"


def test_timing_summary(capsys: pytest.CaptureFixture[str]) -> None:
    """Prints every timed step of this session (runs last in this module)."""
    if not harness.TIMINGS:
        pytest.skip("nothing was timed")
    _report(capsys, "=== e2e timings\n" + harness.timing_table())
