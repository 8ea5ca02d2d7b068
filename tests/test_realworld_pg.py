"""PostgreSQL schemas in the style of the public sample databases (tests/fixtures/realworld/pg_*.sql, all
loaded into one database): what real PostgreSQL users bring that our other fixtures did not have.

`pg_rental.sql` (a DVD-rental shop): declarative partitions (range with a default partition and a key that
includes the partition key; list partitions partitioned again), INHERITS, identity and generated stored
columns, a column filled from a sequence outside the key, enums whose labels hold spaces, dashes, quotes and
capitals and arrays of them, domains over text, numeric and arrays, an array of a domain, a foreign key
cycle, several and composite foreign keys, a keyless table with a unique constraint, views over joins, a
materialized view, floats and numerics holding NaN and infinities, text keys with '/', '%', '?', '#',
spaces and unicode.
`pg_saas.sql` (a multi-tenant application, schema "App Data"): "Order" beside "order", columns with dots,
dashes, spaces and capitals, names generated code and pydantic use (`model_config`, `metadata`, `registry`,
`query`, `fields`, `limit`, `cursor`, `model_dump`, dunders, keywords), 63-byte identifiers, a composite
foreign key to a unique constraint, self-references, a tree keyed by paths holding '/', rows of NULLs.

What a client expects, and these tests hold the projects to: a partitioned table is one resource (its
partitions are where PostgreSQL keeps the rows, not resources of their own; the spec says so in an info
diagnostic); an array of enums is a list of labels, an array of a domain a list of values (psycopg knows
neither array type); a column the database fills from a sequence is left to it; NaN and the infinities
are answered as PostgreSQL writes them in JSON ("NaN", "Infinity", "-Infinity"), in valid JSON, never as
null or a 500; a text key holding '/' is reached with %2F; both projects pass their own tests with nothing
skipped and without the warnings these names and cycles once caused.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import databases
import harness
import httpx
import pytest
from conftest import require_server
from probe import probe
from shadowing import files_collisions

from codegen import api

pytestmark = [pytest.mark.server, pytest.mark.xdist_group("realworld_pg")]

FIXTURES = Path(__file__).parent / "fixtures" / "realworld"
SCHEMAS = ["public", "App Data"]
TARGETS = ("fastapi", "flask")
PARTITIONS = ("payment_p2022_01", "payment_p2022_02", "payment_default", "event_log_eu", "event_log_eu_2022",
              "event_log_eu_rest", "event_log_us", "event_log_other")


@pytest.fixture(scope="module")
def realworld() -> Iterator[str]:
    """A fresh database holding every tests/fixtures/realworld/pg_*.sql script, in name order."""
    require_server("postgresql")
    name = databases.database_name("realworld")
    url = databases.create_database("postgresql", name)
    try:
        for script in sorted(FIXTURES.glob("pg_*.sql")):
            databases.run_script("postgresql", url, script.read_text(encoding="utf-8"))
        yield url
    finally:
        databases.drop_database("postgresql", name)


@pytest.fixture(scope="module")
def spec(realworld: str) -> Any:
    """The spec reflected from both schemas."""
    return api.reflect(realworld, schemas=SCHEMAS)


def test_partitions_are_served_through_their_table(spec: Any) -> None:
    tables = {resource.table for resource in spec.resources}
    assert not tables & set(PARTITIONS)
    payment = next(r for r in spec.resources if r.table == "payment")
    assert payment.primary_key == ["payment_date", "payment_id"] and not payment.read_only
    notes = {d.where: d.message for d in spec.diagnostics if d.level == "info"}
    assert "payment_p2022_01" in notes["payment"] and "event_log_eu_2022" in notes["event_log"]
    customer = next(r for r in spec.resources if r.table == "customer")
    children = sorted(r.target for r in customer.relationships if r.kind == "one_to_many")
    assert children == ["payment", "rental"]


def test_enum_arrays_and_sequences(spec: Any) -> None:
    film = next(r for r in spec.resources if r.table == "film")
    moods = film.field("moods")
    assert moods.item_type.value == "enum" and "don't watch" in moods.enum_values
    files = api.generate_files(spec, "fastapi", {"auth": "apikey"})
    assert "ARRAY(Enum(" in "".join(files[f"app/models/{film.module}.py"].split())  # black's lines joined
    assert "list[Literal[" in "".join(files[f"app/schemas/{film.module}.py"].split())
    customer = next(r for r in spec.resources if r.table == "customer")
    model = files[f"app/models/{customer.module}.py"]
    number = model[model.index("customer_number:"):].split("\n    )", 1)[0]
    assert "server_default=FetchedValue()" in number  # left out of INSERTs: the sequence fills it
    assert '"customer_number": ' in files["tests/samples.py"]  # the tests' database has no sequence


@pytest.mark.parametrize("target", TARGETS)
def test_no_generated_name_hides_another(spec: Any, target: str) -> None:
    files = api.generate_files(spec, target, {"auth": "apikey"})
    assert files_collisions(files) == []


def _strict_json(response: httpx.Response) -> Any:
    """The body as JSON, refusing NaN and Infinity, which JSON has no word for."""

    def refuse(constant: str) -> Any:
        raise AssertionError(f"{response.request.url}: {constant} in the body is no JSON")

    return json.loads(response.text, parse_constant=refuse)


def _answers(base: str, key: str) -> list[str]:
    """What a client reads of the rows these schemas are about, as failures."""
    failures = []
    with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=30) as client:
        paths = _strict_json(client.get("/openapi.json"))["paths"]
        failures += [f"partition served: {p}" for p in paths if any(p.startswith("/" + t.replace("_", "-"))
                                                                 for t in PARTITIONS)]
        readings = _strict_json(client.get("/reading", params={"sort": "reading_id"}))["items"]
        floats = [(row["f4"], row["f8"], row["ratio"]) for row in readings]
        if floats[1:4] != [("NaN",) * 3, ("Infinity",) * 3, ("-Infinity",) * 3]:
            failures.append(f"non-finite numbers answered as {floats}")
        one = _strict_json(client.get("/reading/2"))
        if (one["f8"], one["ratio"]) != ("NaN", "NaN"):
            failures.append(f"GET /reading/2 answered {one}")
        alarms = ["2024-01-01T05:00:00+05:00"]  # a TIMESTAMPTZ[] keeps the offset of what is written
        patched = client.patch("/reading/5", json={"alarms": alarms}).json().get("alarms")
        if patched != ["2024-01-01T00:00:00Z"]:
            failures.append(f"PATCH /reading/5 alarms {alarms} stored as {patched}")
        params = {"sort": "film_id", "fields": "film_id,moods"}
        moods = [row["moods"] for row in _strict_json(client.get("/film", params=params))["items"]]
        if moods[:2] != [["feel good", "don't watch"], ["Sci/Fi", 'a "quoted" one']]:
            failures.append(f"enum arrays answered as {moods}")
        customers = _strict_json(client.get("/customer", params={"sort": "customer_id", "limit": 2}))["items"]
        emails = [row["other_emails"] for row in customers]
        if emails != [["mary@work.example.com", "m.smith@home.example.net"], []]:  # an array of a domain
            failures.append(f"arrays of a domain answered as {emails}")
        payments = _strict_json(client.get("/payment"))
        if payments["total"] != 4:  # every partition's rows, the default partition's too
            failures.append(f"/payment lists {payments['total']} rows, not 4")
        for path, key in (("/tag/sci%2Ffi", "sci/fi"), ("/app-data/folder-tree/%2F", "/"),
                          ("/app-data/folder-tree/%2Ftmp%2F50%25%20off%3F.html", "/tmp/50% off?.html")):
            got = client.get(path)  # a text key holding `/`: one segment, `%2F` kept while routing
            if got.status_code != 200 or key not in got.json().values():
                failures.append(f"GET {path}: {got.status_code} {got.text[:200]}")
        if client.get("/tag/drama/tag").json().get("total") != 2:  # the children route still answers
            failures.append("GET /tag/drama/tag does not list the children of drama")
        created = client.post("/customer", json={"store_id": 1, "first_name": "ANN", "last_name": "LEE"})
        if created.status_code != 201 or not isinstance(created.json().get("customer_number"), int):
            failures.append(f"POST /customer without its sequence column: {created.status_code} "
                            f"{created.text}")
    return failures


@pytest.mark.slow
@pytest.mark.parametrize("target", TARGETS)
def test_realworld_projects_pass_their_tests_and_answer_every_call(
    realworld: str, spec: Any, target: str, tmp_path: Path
) -> None:
    problems = []
    project = tmp_path / target
    api.generate(realworld, project, target=target, schemas=SCHEMAS)
    python = harness.install_project(project, f"realworld-pg/{target}")
    environment = {"TEST_DATABASE_URL": databases.load_empty("postgresql")}
    done = harness.run_project_tests(python, project, environment, label=f"realworld-pg/{target}")
    counts = harness.summary_counts(done.stdout)
    if done.returncode != 0 or counts.get("skipped") or not counts.get("passed"):
        problems.append(f"its own tests: {counts}\n{done.stdout[-5000:]}")
    # What these names and this cycle once made pydantic and SQLAlchemy say on every run.
    said = [line for line in done.stdout.splitlines() if any(
        words in line for words in ("protected namespace", "unresolvable cycles"))]
    if said:
        problems.append("warnings in its own tests:\n" + "\n".join(said))
    write, _, keys = harness.api_keys()
    with harness.serve(python, project, {"DATABASE_URL": realworld, "API_KEYS": keys}) as base:
        report = probe(base, {"X-API-Key": write})
        problems += _answers(base, write)
    problems += report.failures
    assert report.requests > 20 * len(spec.resources)
    assert problems == []
