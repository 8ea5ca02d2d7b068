"""The large schema (tests/fixtures/large/postgresql.sql, printed by make_postgresql.py beside it): 8 schemas,
428 tables, 24 views and materialized views, every PostgreSQL type the reflector accepts, and the shapes
and names real databases have (the fixture's modules say what is where). PostgreSQL only.

Without a server: the committed script is exactly its generator's output, and keeps its promises.
Fast (server): the whole database reflected, all its schemas; both targets generated in memory; every .py
file compiles and hides no name (tests/shadowing.py); reflection and generation times printed.

Slow (server, about 2.5 minutes here): both projects installed; then at the same time the FastAPI
project's own tests against a fresh empty database, and both projects serving the large database: a list
call of every resource, then tests/probe.py's probe (sort and filter on every field, get, create) of the
covered part. The covered part: the tables of the first eight groups (every variant of every repeated
shape), the views of their schemas, and the hand-made tables (every type) but the 34 named after
keywords, builtins and common words (one shape; their names are proven by the compile, shadowing and
list checks). The projects' own tests run for FastAPI only (Flask's are the same test templates over the
same models; both targets are probed) and for the covered part: 132 test files, about 130 s on their own.
With CODEGEN_LARGE_FULL=1 the own tests and the probes take every resource (452; about 6 minutes here,
12,596 probe requests a target). Skips are printed with their reasons; the probes and the own tests
expect no failure at all.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import databases
import harness
import httpx
import pytest
from probe import Report, _Client, _probe_collection, collections
from shadowing import files_collisions

from codegen import api
from codegen.spec.model import Spec
from codegen.writer import write_new_tree

# Its tests share module-scoped fixtures: one xdist worker runs them all (tests/conftest.py).
pytestmark = pytest.mark.xdist_group("large")

TARGETS = ("fastapi", "flask")
FIXTURE = Path(__file__).parent / "fixtures" / "large"
GENERATOR = FIXTURE / "make_postgresql.py"
SCRIPT = FIXTURE / "postgresql.sql"
# The promise of issue 13: the types the script holds, as it spells them after a column name.
TYPES = tuple(
    "MONEY XML POINT LINE LSEG BOX PATH POLYGON CIRCLE CUBE TSVECTOR INT4RANGE INT8RANGE NUMRANGE TSRANGE "
    "TSTZRANGE DATERANGE INET CIDR MACADDR MACADDR8 BIT(4) VARBIT(8) INTERVAL UUID JSON JSONB BYTEA HSTORE "
    "LTREE CITEXT INTEGER[] TEXT[] UUID[] DATE[] BOOLEAN[] MONEY[] public.price public.tag_list "
    "public.scores public.positive_int public.slug crm.email".split()
)
# Reflection took 25-45 s here before the CHECK sample search memoized its distinctness test (0403ad4).
REFLECT_BUDGET_SECONDS = 15.0
TABLES_PER_GROUP, GROUPS_TESTED = 8, 8
# Every resource's own tests and probe, not only the covered part's (see the module's docstring).
FULL = os.environ.get("CODEGEN_LARGE_FULL", "") not in ("", "0")
MAX_FAILURES = 10
# Seconds a served project may take to build its /openapi.json on first request (see probe_every).
DOCUMENT_TIMEOUT = 180
# The tables named after words whose own tests run: those named like a module, route or helper of the
# generated project (the other words are Python keywords and builtins: one shape, names proven elsewhere).
PROJECT_WORDS = {
    "app",
    "db",
    "docs",
    "errors",
    "health",
    "healthz",
    "main",
    "models",
    "openapi",
    "query",
    "request",
    "routes",
    "runtime",
    "schemas",
    "session",
    "settings",
    "tests",
}


# -- fixtures --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=[pytest.param("postgresql", marks=pytest.mark.server)])
def large(request: pytest.FixtureRequest, database_url: Any) -> Iterator[tuple[str, list[str]]]:
    """The URL of the large database and its schemas (PostgreSQL only)."""
    yield database_url("large", request.param), databases.large_schemas()


@pytest.fixture(scope="module")
def reflected(large: tuple[str, list[str]]) -> tuple[Spec, float]:
    """The spec of the whole large database, and how many seconds reflecting it took."""
    url, schemas = large
    start = time.perf_counter()
    spec = api.reflect(url, schemas=schemas)
    return spec, time.perf_counter() - start


def options(url: str, spec: Spec, schemas: list[str], exclude: list[str] | None = None) -> dict[str, Any]:
    """The options `codegen generate URL --schema ...` records (the same in every test: one render)."""
    return api.recorded_options(spec, url, "apikey", schemas, None, exclude, None, None)



# -- the committed script --------------------------------------------------------------------------------


def test_committed_script_is_the_generators_output() -> None:
    environment = {**os.environ, "PYTHONHASHSEED": "12345"}  # another seed than the one that wrote it
    done = subprocess.run(
        [sys.executable, str(GENERATOR)], capture_output=True, text=True, check=True, env=environment
    )
    assert done.stdout == SCRIPT.read_text(
        encoding="utf-8"
    ), f"{SCRIPT.name} differs from its generator's output; run: python {GENERATOR} > {SCRIPT}"


def test_script_keeps_its_promises() -> None:
    script = SCRIPT.read_text(encoding="utf-8")
    assert len(databases.large_schemas()) >= 6
    assert len(re.findall(r"^CREATE TABLE ", script, re.MULTILINE)) >= 320
    assert len(re.findall(r"^CREATE VIEW ", script, re.MULTILINE)) >= 6
    assert len(re.findall(r"^CREATE MATERIALIZED VIEW ", script, re.MULTILINE)) >= 6
    assert "DEFERRABLE INITIALLY DEFERRED" in script and "WHERE is_default" in script
    missing = [kind for kind in TYPES if not re.search(rf"\" {re.escape(kind)}(?:[ ,\n]|$)", script)]
    assert missing == []


# -- reflect and generate (server) -----------------------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
def test_generated_code_compiles_and_hides_no_name(
    large: tuple[str, list[str]],
    reflected: tuple[Spec, float],
    target: str,
    figures: Callable[[str], None],
) -> None:
    url, schemas = large
    spec, seconds = reflected
    start = time.perf_counter()
    files = api.generate_files(spec, target, options(url, spec, schemas))
    generated = time.perf_counter() - start
    figures(f"large/{target}: {len(spec.resources)} resources reflected in {seconds:.1f} s, "
        f"{len(files)} files generated in {generated:.1f} s",
    )
    assert files_collisions(files) == []


def test_every_table_and_view_becomes_a_resource(
    large: tuple[str, list[str]], reflected: tuple[Spec, float]
) -> None:
    url, schemas = large
    spec, _ = reflected
    found = {f"{resource.db_schema or 'public'}.{resource.table}" for resource in spec.resources}
    assert found == set(databases.relation_rows(url, schemas))
    assert len({resource.path for resource in spec.resources}) == len(spec.resources)


def test_reflection_stays_within_budget(reflected: tuple[Spec, float]) -> None:
    _, seconds = reflected
    assert seconds < REFLECT_BUDGET_SECONDS


# -- the projects, installed, tested and served (slow) ---------------------------------------------------


def fixture_module(name: str) -> ModuleType:
    """A module of tests/fixtures/large (they import one another by plain name)."""
    if str(FIXTURE) not in sys.path:
        sys.path.insert(0, str(FIXTURE))
    return importlib.import_module(name)


def covered_tables() -> set[tuple[str, str]]:
    """(schema, name) of the tables and views whose own tests run (see the module's docstring)."""
    make = fixture_module("make_postgresql")
    words = set(fixture_module("large_specials").WORD_TABLES) - PROJECT_WORDS
    groups, tables = make.build_groups(), make.all_tables()
    first = {(t.schema, t.name) for t in groups[: TABLES_PER_GROUP * GROUPS_TESTED]}
    schemas = {schema for schema, _ in first} | {"Audit-Log"}
    views = {(view.schema, view.name) for view in make.build_views() if view.schema in schemas}
    hand = {
        (t.schema, t.name) for t in tables[len(groups) :] if not (t.schema == "public" and t.name in words)
    }
    return first | views | hand


def own_test_files(project: Path, spec: Spec) -> list[str]:
    """The project's test files to run: those of the tested tables, and those of no resource."""
    wanted = covered_tables()
    resources = {
        resource.module: (resource.db_schema or "public", resource.table) for resource in spec.resources
    }
    found = []
    for path in sorted((project / "tests").glob("test_*.py")):
        module = path.stem.removeprefix("test_")
        if FULL or module not in resources or resources[module] in wanted:
            found.append(str(path.relative_to(project)))
    return found


def write_project(
    root: Path, url: str, spec: Spec, schemas: list[str], target: str, exclude: list[str] | None = None
) -> Path:
    """The project `codegen generate` writes, from a spec already reflected."""
    files = api.generate_files(spec, target, options(url, spec, schemas, exclude))
    write_new_tree(root / target, {path: text.encode("utf-8") for path, text in files.items()})
    return root / target


@dataclass
class Runs:
    """What the slow part found: the FastAPI project's own test run and both probes."""

    tests: subprocess.CompletedProcess[str]
    test_files: int
    project: Path
    probes: dict[str, Report]
    specs: dict[str, Spec]


def run_own_tests(project: Path, python: Path, spec: Spec) -> tuple[subprocess.CompletedProcess[str], int]:
    """The project's own tests (the selected files) against a fresh empty database."""
    files = own_test_files(project, spec)
    url = databases.create_database("postgresql", databases.database_name("largetests"))
    command = [
        str(python),
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-rfEs",
        f"--maxfail={MAX_FAILURES}",
        *files,
    ]
    with harness.timed("large/fastapi: project tests"):
        done = subprocess.run(
            command,
            cwd=project,
            env=harness.project_env({"TEST_DATABASE_URL": url}, python),
            capture_output=True,
            text=True,
            timeout=1800,
        )
    return done, len(files)


def serve_and_probe(project: Path, python: Path, url: str, spec: Spec, target: str) -> Report:
    """The project serving the large database, probed."""
    write, _, keys = harness.api_keys()
    environment = {"DATABASE_URL": url, "API_KEYS": keys}
    with harness.serve(python, project, environment, timeout=120, label=f"large/{target}") as base:
        with harness.timed(f"large/{target}: probe"):
            return probe_every(base, {"X-API-Key": write}, spec)


@pytest.fixture(scope="module")
def runs(
    large: tuple[str, list[str]], reflected: tuple[Spec, float], tmp_path_factory: pytest.TempPathFactory
) -> Runs:
    """Both projects written and installed, then at once: FastAPI's own tests and both probes."""
    url, schemas = large
    specs = {"fastapi": reflected[0], "flask": reflected[0]}
    root = tmp_path_factory.mktemp("large")
    projects = {}
    for target in TARGETS:
        project = write_project(root, url, specs[target], schemas, target)
        projects[target] = project, harness.install_project(project, f"large/{target}")
    with ThreadPoolExecutor(len(TARGETS) + 1) as pool:
        tests = pool.submit(run_own_tests, *projects["fastapi"], specs["fastapi"])
        probes = {t: pool.submit(serve_and_probe, *projects[t], url, specs[t], t) for t in TARGETS}
        done, files = tests.result()
        found = {target: future.result() for target, future in probes.items()}
    return Runs(done, files, projects["fastapi"][0], found, specs)


def probe_every(base: str, headers: dict[str, str], spec: Spec) -> Report:
    """A list call of every resource path of the spec, then tests/probe.py's probe of the covered part's
    collections (of every collection with CODEGEN_LARGE_FULL), going on past a collection whose answers
    are not its JSON pages (a path a route of the framework answers; the probe leaves /healthz out)."""
    report = Report()
    wanted = covered_tables()
    probed = {
        resource.path
        for resource in spec.resources
        if FULL or (resource.db_schema or "public", resource.table) in wanted
    }
    with _Client(base_url=base, headers=headers, timeout=30) as client:
        for resource in spec.resources:
            listed = client.get(resource.path, params={"limit": 1})
            if report.check(listed, (200,), "list") and not is_page(listed):
                report.failures.append(f"list {resource.path}: not a page of items: {listed.text[:120]!r}")
        # The document of 452 resources (12 MB) is built on its first request: seconds on a quiet
        # machine, more beside the other tests' servers; its time is a figure (Report.document_seconds).
        start = time.perf_counter()
        document = client.get("/openapi.json", timeout=DOCUMENT_TIMEOUT)
        report.document_seconds = time.perf_counter() - start
        if document.status_code != 200 or "json" not in document.headers.get("content-type", ""):
            report.failures.append(f"GET /openapi.json: {document.status_code} {document.text[:200]!r}")
            return report
        for collection in collections(document.json()):
            if collection.path not in probed:
                continue
            probed.discard(collection.path)
            try:
                _probe_collection(client, collection, report, True)
            except (ValueError, KeyError, TypeError, IndexError) as exc:
                report.failures.append(f"{collection.path}: an answer is no JSON page ({type(exc).__name__})")
        report.failures += [f"{path}: not a collection of /openapi.json" for path in sorted(probed)]
    return report


def is_page(response: httpx.Response) -> bool:
    """True for a JSON object with a list of items."""
    try:
        return isinstance(response.json().get("items"), list)
    except ValueError:
        return False


def skip_reasons(output: str, project: Path) -> Counter[str]:
    """How many tests skipped for each reason (pytest's `-rs` lines), with the comment the generator wrote
    above a skipping test (why its rows cannot be made) where there is one."""
    reasons: Counter[str] = Counter()
    for count, path, line, reason in re.findall(
        r"^SKIPPED \[(\d+)\] ([^:]+):(\d+): (.*)$", output, re.MULTILINE
    ):
        why = skip_comment(project / path, int(line))
        reasons[f"{reason} ({why})" if why else reason] += int(count)
    return reasons


def skip_comment(path: Path, line: int) -> str | None:
    """The `# ...` line right above the function that holds line `line` of a test file."""
    lines = path.read_text(encoding="utf-8").splitlines()[:line] if path.is_file() else []
    for number in range(len(lines) - 1, 0, -1):
        if lines[number].startswith("def "):
            above = lines[number - 1]
            return above[2:] if above.startswith("# ") else None
    return None


@pytest.mark.slow
def test_fastapi_project_passes_its_own_tests(runs: Runs, figures: Callable[[str], None]) -> None:
    counts = harness.summary_counts(runs.tests.stdout)
    reasons = "\n".join(
        f"  {count} x {reason}" for reason, count in skip_reasons(runs.tests.stdout, runs.project).items()
    )
    figures(f"large/fastapi own tests ({runs.test_files} files): {counts}\nskipped:\n{reasons}\n"
        f"{harness.timing_table()}",
    )
    failed = counts.get("failed", 0) + counts.get("error", 0)
    assert runs.tests.returncode == 0 and failed == 0 and counts.get("passed"), runs.tests.stdout[-8000:]


@pytest.mark.slow
@pytest.mark.parametrize("target", TARGETS)
def test_project_answers_every_call(runs: Runs, target: str, figures: Callable[[str], None]) -> None:
    probed = runs.probes[target]
    document = "no answer" if probed.document_seconds is None else f"{probed.document_seconds:.1f} s"
    figures(f"large/{target}: {probed.requests} requests, {len(probed.failures)} failures, "
        f"first /openapi.json in {document}")
    covered = len(runs.specs[target].resources) if FULL else len(covered_tables())
    assert probed.requests > len(runs.specs[target].resources) + 10 * covered
    assert probed.failures == []
