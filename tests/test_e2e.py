"""End to end: generate both targets from a real database, install them, run their own tests, serve
them, check each against CONTRACT.md over HTTP, and check that both answer the same requests alike.

For Sakila and our hard schema in each dialect (SQLite, PostgreSQL, MariaDB), and Chinook on SQLite (on
the servers too with CODEGEN_E2E_ALL=1: its tables are a subset of Sakila's shapes, and the two server
runs took 110 s of the suite):

1. load the database (tests/databases.py, through the `database_url` fixture of conftest.py);
2. `codegen.api.generate(url, tmp/project, target=...)` for the FastAPI and the Flask target;
3. install each project into its own fresh `.venv` from its own pyproject.toml
   (harness.install_project; the dialects' and targets' projects pin different packages);
4. run each project's own `pytest` (out of the box; where the project says its schema needs its own
   database, again with TEST_DATABASE_URL set to a fresh empty database of the same dialect) while
5. `python -m app` of both projects serves the loaded database; the contract suite (tests/contract)
   checks one server whole, then the other's writes, access control and OpenAPI document; the
   parity replay (tests/contract/parity.py) sends every request of the first suite that cannot change
   data (every read, HEAD, and 4xx but 409) to both and compares status, headers and body, so the
   second server is held to every read check of the first. Which target goes first alternates
   over databases and dialects (`_first_target_first`): each gets the whole suite on Sakila and on
   the hard schema.
   On SQLite and PostgreSQL, schemathesis then fuzzes every read operation of both (tests/fuzz.py):
   no 5xx, no answer outside the app's own OpenAPI document.

The projects' tests and the servers run at the same time: one uses each of the two cores.
Every step is timed; the timings and the number of contract checks are printed as each run ends.
With CODEGEN_E2E_REPORTS=DIR, each run also writes its full contract reports, the projects' test
output and the parity report to DIR/<database>-<dialect>-<target>.txt.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import databases
import harness
import httpx
import pytest
from contract import parity, run_contract
from fuzz import run_fuzz

from codegen.api import generate
from codegen.spec.io import read_spec

pytestmark = pytest.mark.slow

KINDS = ["chinook", "sakila", "hard"]
TARGETS = ("fastapi", "flask")
DIALECTS = ("sqlite", "postgresql", "mariadb")
# schemathesis on every read operation of both servers (random cases per operation), on these dialects.
FUZZED_DIALECTS = ("sqlite", "postgresql")
FUZZ_EXAMPLES = 3
# Chinook on the servers only on request (see the module's docstring).
ALL_RUNS = os.environ.get("CODEGEN_E2E_ALL", "") not in ("", "0")
SERVER = [pytest.mark.server]
RUNS = [
    pytest.param(kind, dialect, id=f"{dialect}-{kind}", marks=SERVER if dialect != "sqlite" else [])
    for dialect in DIALECTS
    for kind in KINDS
    if ALL_RUNS or kind != "chinook" or dialect == "sqlite"
]


@pytest.fixture(scope="session")
def wheels() -> Path:
    """The shared wheelhouse (built once, then reused from .cache/wheelhouse)."""
    with harness.timed("wheelhouse: check or build"):
        return harness.wheelhouse()


class _Background(threading.Thread):
    """Runs the projects' own tests, one project after the other, while the main thread serves and checks."""

    def __init__(self, projects: list[tuple[str, Path, Path]], dialect: str) -> None:
        super().__init__(daemon=True)
        self.projects, self.dialect = projects, dialect
        self.runs: dict[str, list[tuple[str, Any]]] = {label: [] for label, _, _ in projects}
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for label, python, project in self.projects:
                self._run(label, python, project)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            self.error = exc

    def _run(self, label: str, python: Path, project: Path) -> None:
        done = harness.run_project_tests(python, project, {}, label=label)
        self.runs[label].append(("out of the box", done))
        counts = harness.summary_counts(done.stdout)
        if done.returncode == 0 and counts.get("skipped", 0) > counts.get("passed", 0):
            # The project says SQLite cannot hold its schema (its database tests skip): give it an
            # empty database of its dialect.
            url = databases.load_empty(self.dialect)
            done = harness.run_project_tests(
                python, project, {"TEST_DATABASE_URL": url}, label=label + " (TEST_DATABASE_URL)"
            )
            self.runs[label].append((f"TEST_DATABASE_URL={self.dialect} empty database", done))


def _first_target_first(kind: str, dialect: str) -> tuple[str, str]:
    """The two targets, the one that gets the whole contract suite first.

    Alternating over databases and dialects, each target gets the whole suite on every kind of
    database run on more than one dialect; the other runs the suite's writes, auth and OpenAPI checks,
    and the parity replay holds its answers to every read of the first one's suite.
    """
    order = (KINDS.index(kind) + DIALECTS.index(dialect)) % 2
    return (TARGETS[order], TARGETS[1 - order])


def _errors_in_log(log: str) -> str:
    """The server's log (JSON lines) without its access lines: start-up, warnings and tracebacks."""
    return "\n".join(line for line in log.splitlines() if '"logger": "app.access"' not in line)



def _own_tests_problem(label: str, runs: list[tuple[str, Any]]) -> str | None:
    if not runs:
        return f"{label}: the project's tests did not run"
    what, done = runs[-1]
    passed = harness.passed_count(done)
    if done.returncode != 0 or passed == 0:
        return (
            f"{label}: the generated project's own tests ({what}) did not pass (exit {done.returncode}, "
            f"{passed} passed):\n{done.stdout[-6000:]}\n{done.stderr[-3000:]}"
        )
    return None


@pytest.mark.parametrize(("kind", "dialect"), RUNS)
def test_generated_projects_run_and_speak_the_same_contract(
    kind: str,
    dialect: str,
    database_url: Any,
    wheels: Path,
    tmp_path: Path,
    figures: Callable[[str], None],
) -> None:
    """Both targets from one database: own tests, contract suite each, then the same answers to the same
    requests."""
    if kind not in databases.LOADERS:
        pytest.skip(f"tests/databases.py offers no {kind!r} database yet")
    first = len(harness.TIMINGS)
    started = time.perf_counter()
    with harness.timed(f"{kind}/{dialect}: load database"):
        url = database_url(kind, dialect)
    projects: list[tuple[str, Path, Path]] = []
    for target in _first_target_first(kind, dialect):
        label = f"{kind}/{dialect}/{target}"
        project = tmp_path / f"{kind}_{dialect}_{target}"
        with harness.timed(f"{label}: generate"):
            generate(url, project, target=target)
        projects.append((label, harness.install_project(project, label=label), project))

    tests = _Background(projects, dialect)
    tests.start()
    write, read, api_keys = harness.api_keys()
    spec = read_spec(projects[0][2] / ".codegen" / "spec.yaml")
    reports: dict[str, Any] = {}
    fuzzed: dict[str, Any] = {}
    logs: dict[str, str] = {}
    try:
        with contextlib.ExitStack() as stack:
            bases = {
                label: stack.enter_context(
                    harness.serve(python, project, {"DATABASE_URL": url, "API_KEYS": api_keys}, label=label)
                )
                for label, python, project in projects
            }
            # One server at a time: both write to the same database. The second server's reads are
            # checked by the parity replay: every read of the first server's suite, answered alike.
            for index, (label, base) in enumerate(bases.items()):
                with harness.timed(f"{label}: contract suite"):
                    reports[label] = run_contract(base, spec, write, read, url, reads=index == 0)
            (label_a, base_a), (label_b, base_b) = bases.items()
            with harness.timed(f"{kind}/{dialect}: parity replay"):
                same = parity.compare(base_a, base_b, reports[label_a].sent, (label_a, label_b))
            # Last, as it may leave odd rows behind: schemathesis on every read operation (writes are
            # fuzzed on a private database in tests/test_fuzz.py; these databases are shared).
            if dialect in FUZZED_DIALECTS:
                for label, base in bases.items():
                    with harness.timed(f"{label}: fuzz reads"):
                        fuzzed[label] = run_fuzz(base, None, label, max_examples=FUZZ_EXAMPLES)
            logs = {label: _errors_in_log(base.log()) for label, base in bases.items()}
    finally:
        with harness.timed(f"{kind}/{dialect}: wait for the projects' tests"):
            tests.join(timeout=900)
    total = time.perf_counter() - started

    lines = []
    for label, report in reports.items():
        lines.append(f"=== {label}: {report.summary()}")
        for what, done in tests.runs[label]:
            counts = harness.summary_counts(done.stdout) or done.returncode
            lines.append(f"    project tests ({what}): {counts}")
    lines.append(f"=== {kind}/{dialect}: {same.summary()}")
    lines += [f"=== {result.summary()}" for result in fuzzed.values()]
    lines.append(harness.timing_table(harness.TIMINGS[first:]))
    lines.append(f"{kind}/{dialect}: total  {total:.2f} s")
    figures("\n".join(lines))
    if os.environ.get("CODEGEN_E2E_REPORTS"):
        folder = Path(os.environ["CODEGEN_E2E_REPORTS"])
        folder.mkdir(parents=True, exist_ok=True)
        for label, report in reports.items():
            text = (
                report.format(limit=100_000)
                + f"\n\n--- server log (access lines left out)\n{logs.get(label, '')}\n\n"
                + "\n\n".join(
                    f"--- project tests ({what}), exit {done.returncode}\n{done.stdout}\n{done.stderr}"
                    for what, done in tests.runs[label]
                )
            )
            (folder / f"{label.replace('/', '-')}.txt").write_text(text, encoding="utf-8")
        (folder / f"{kind}-{dialect}-parity.txt").write_text(same.format(limit=100_000), encoding="utf-8")

    problems = []
    if tests.error is not None:
        problems.append(f"the projects' tests could not run: {tests.error!r}")
    else:
        problems += [
            problem
            for label, _, _ in projects
            if (problem := _own_tests_problem(label, tests.runs[label])) is not None
        ]
    for label, report in reports.items():
        if report.checks == 0:
            problems.append(f"{label}: the contract suite ran no check")
        if not report.ok:
            problems.append(
                f"{label}: the API breaks the contract:\n{report.format()}\n\n"
                f"server log (access lines left out):\n{logs.get(label, '')[-8000:]}"
            )
    for label, result in fuzzed.items():
        if result.errors or result.failures or result.cases == 0:
            problems.append(f"{label}: schemathesis found problems:\n{result.format()}")
    if same.compared == 0:
        problems.append("the parity replay compared no request")
    if not same.ok:
        problems.append(f"the two targets answer differently:\n{same.format()}")
    if problems:
        pytest.fail(f"{kind}/{dialect}: " + "\n\n".join(problems), pytrace=False)
    for _, _, project in projects:
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
