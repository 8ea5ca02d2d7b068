"""The hostile schema (tests/fixtures/hostile/<dialect>.sql), in each dialect: what users bring that our
other schemas never had. Column, table and key names that generated code uses itself (`text`, `self`,
`session`, `settings`...), composite keys whose key order is not the column order (a date and a timestamp
part among them, a SERIAL member), CHECK and unique constraints a counter-built sample breaks, nullable
foreign keys, every type of the dialect, keyless views over types without ordering, several schemas, and a
schema named like a table (`/item/forms` beside `/item/{id}`).

Fast: both targets' generated code hides no name (tests/shadowing.py) and compiles. Slow: both projects
pass their own tests, out of the box on SQLite and on a scratch database of the dialect otherwise, with no
test skipped (views made from their SQL, CHECKs honoured by the samples); then, serving the hostile
database itself, every resource answers a list, a get, a sort and a filter by every field, and a create,
without a 5xx (tests/probe.py); the FastAPI project's own /openapi.json says what FastAPI's builder says
of the same app (tests/fastapi_document.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import databases
import harness
import httpx
import pytest
from probe import probe
from shadowing import files_collisions

from codegen import api

TARGETS = ("fastapi", "flask")


@pytest.fixture
def hostile(database_url: Any, dialect: str) -> tuple[str, list[str]]:
    """The URL of the hostile database of the dialect and the schemas to reflect."""
    url = database_url("hostile", dialect)
    return url, databases.hostile_schemas(dialect, url)


@pytest.mark.parametrize("target", TARGETS)
def test_no_generated_name_hides_another(hostile: tuple[str, list[str]], target: str) -> None:
    url, schemas = hostile
    files = api.generate_files(api.reflect(url, schemas=schemas or None), target, {"auth": "apikey"})
    assert files_collisions(files) == []


def test_keys_bind_by_name_and_checks_give_samples(hostile: tuple[str, list[str]], dialect: str) -> None:
    url, schemas = hostile
    spec = api.reflect(url, schemas=schemas or None)
    shift = next(r for r in spec.resources if r.table == "shift")
    assert shift.primary_key == ["slot", "day"]  # the key's order, not the table's
    product = next(r for r in spec.resources if r.table == "product")
    samples = {f.name: f.sample for f in product.fields}
    assert samples["code"] == "letters(n, 3)" and samples["qty"] == "number(n, 1, 99)"
    assert samples["ends"] == "day(n, 1)"  # `ends > starts`
    assert [u.fields for u in product.unique_keys if u.fields == ["featured"]] == []  # a partial index
    files = api.generate_files(spec, "fastapi", {"auth": "apikey"})
    model = files[f"app/models/{shift.module}.py"]
    assert 'PrimaryKeyConstraint("slot", "day")' in model


@pytest.mark.slow
def test_hostile_projects_pass_their_tests_and_answer_every_call(
    hostile: tuple[str, list[str]], dialect: str, tmp_path: Path
) -> None:
    url, schemas = hostile
    spec = api.reflect(url, schemas=schemas or None)
    problems = []
    for target in TARGETS:
        project = tmp_path / target
        api.generate(url, project, target=target, schemas=schemas or None)
        python = harness.install_project(project, f"hostile/{dialect}/{target}")
        environment = {} if dialect == "sqlite" else {"TEST_DATABASE_URL": databases.load_empty(dialect)}
        done = harness.run_project_tests(python, project, environment, label=f"hostile/{dialect}/{target}")
        counts = harness.summary_counts(done.stdout)
        if done.returncode != 0 or counts.get("skipped") or not counts.get("passed"):
            problems.append(f"{target}: its own tests: {counts}\n{done.stdout[-5000:]}")
        write, _, keys = harness.api_keys()
        with harness.serve(python, project, {"DATABASE_URL": url, "API_KEYS": keys}) as base:
            report = probe(base, {"X-API-Key": write})
            if target == "fastapi":  # its own /openapi.json says what FastAPI's builder would
                served = httpx.get(f"{base}/openapi.json", timeout=60).json()
                found = harness.fastapi_document_differences(python, project, served)
                problems += [f"fastapi: /openapi.json{difference}" for difference in found]
        problems += [f"{target}: {failure}" for failure in report.failures]
        assert report.requests > 20 * len(spec.resources)
    assert problems == []
