"""Property: whatever schema a user brings, both generated projects pass their own tests and answer every
call without a 5xx.

hypothesis draws a schema (tests/random_schema.py: names generated code uses itself, every column type of
the dialect, keys single, composite in any order or none, nullable and required foreign keys, CHECK and
unique constraints, keyless views, several schemas, rows that satisfy it all), builds it in SQLite,
PostgreSQL or MariaDB, generates both targets, checks their code hides no name, runs each project's own
tests (on a scratch database of the dialect) and serves the built database: every resource is listed,
read, sorted and filtered by every field and sent a create (tests/probe.py). A failure prints the SQL of
the schema, to replay it by hand.

Bounded for `make test`: CODEGEN_PROPERTY_EXAMPLES examples per dialect (default 2, derandomized: the same
schemas every run). The long run, e.g. `CODEGEN_PROPERTY_EXAMPLES=40 pytest tests/test_property_projects.py`,
draws new schemas each time and shrinks a failing one; its figures are in docs/benchmarks.md.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import databases
import harness
import pytest
import random_schema
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from probe import probe
from shadowing import collisions

from codegen import api
from codegen.writer import write_new_tree

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("CODEGEN_PROPERTY_EXAMPLES", "2"))
LONG = "CODEGEN_PROPERTY_EXAMPLES" in os.environ
TARGETS = ("fastapi", "flask")
_RUNS = iter(range(10**9))


def _build(schema: random_schema.Schema, dialect: str, folder: Path) -> tuple[str, list[str]]:
    """The schema's database, fresh, and the schemas to reflect."""
    extra = [f"cg_prop{'xyz'[i]}_{os.getpid()}" for i in range(schema.extra_schemas)]
    if dialect == "sqlite":
        url = databases.sqlite_file(folder / "source.sqlite", schema.script([]))
        return url, []
    url = databases.create_database(dialect, databases.database_name("prop"))
    default = None
    if dialect == "mariadb":
        for name in extra:
            databases.create_database(dialect, name)
        default = databases.make_url(url).database or ""
        names = [default, *extra]
    else:
        names = ["public", *extra]
    databases.run_script(dialect, url, schema.script(extra, default))
    return url, names


def _check(schema: random_schema.Schema, dialect: str, folder: Path) -> list[str]:
    url, schemas = _build(schema, dialect, folder)
    spec = api.reflect(url, schemas=schemas or None)
    problems = []
    for target in TARGETS:
        files = api.generate_files(spec, target, {"auth": "apikey", "source": url})
        for path, source in files.items():
            if path.endswith(".py"):
                compile(source, path, "exec")
                problems += [f"{target}: {found}" for found in collisions(source, path)]
        project = folder / target
        write_new_tree(project, {path: text.encode("utf-8") for path, text in files.items()})
        problems += _run(project, target, dialect, url)
    return problems


def _run(project: Path, target: str, dialect: str, url: str) -> list[str]:
    python = harness.dependency_python(project, f"property/{target}")
    scratch = {} if dialect == "sqlite" else {"TEST_DATABASE_URL": databases.load_empty(dialect)}
    done = harness.run_project_tests(python, project, scratch, label=f"property/{dialect}/{target}")
    problems = []
    if done.returncode != 0:
        problems.append(f"{target}: its own tests failed:\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}")
    write, _, keys = harness.api_keys()
    with harness.serve(python, project, {"DATABASE_URL": url, "API_KEYS": keys}) as base:
        report = probe(base, {"X-API-Key": write})
    return problems + [f"{target}: {failure}" for failure in report.failures]


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not LONG,
    phases=[Phase.explicit, Phase.reuse, Phase.generate] + ([Phase.shrink] if LONG else []),
    suppress_health_check=list(HealthCheck),
)
@given(data=st.data())
def test_any_schema_gives_projects_that_pass_and_never_answer_5xx(
    data: st.DataObject, dialect: str, database_url: Any, tmp_path: Path
) -> None:
    database_url("empty", dialect)  # the server is up (or the test skips / fails under CI)
    schema = data.draw(random_schema.schemas(dialect), label="schema")
    folder = tmp_path / f"run{next(_RUNS)}"
    folder.mkdir()
    problems = _check(schema, dialect, folder)
    assert problems == [], "\n".join(problems) + "\n-- the schema:\n" + schema.script(["s1", "s2"])
