"""API descriptions as a source: malformed inputs, the hard description, and (slow) the running project."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from codegen import api
from codegen.cli import app
from corpus import REPO

FIXTURES = REPO / "tests" / "fixtures" / "openapi"
HARD = FIXTURES / "hard.yaml"
CORPUS = REPO.parent / "shared" / "corpus" / "openapi"
# file -> the JSON pointer and the words its one line must name
BAD = {
    "invalid_yaml.yaml": ("line 3 column 1", "not valid YAML"),
    # The same key twice: PyYAML and json.loads would keep the second one without a word.
    "duplicate_key.yaml": ("line 12 column 5", "not valid YAML (duplicate key 'get')"),
    "duplicate_key.json": ("line 8 column 7", "not valid JSON (duplicate key 'Pet')"),
    "dangling_ref.yaml": ("/paths/~1pets/get/responses/200/content/application~1json/schema/$ref", "does not resolve"),
    "dangling_external_ref.yaml": ("/paths/~1pets/get/responses/200/content/application~1json/schema/$ref",
                                   "missing.yaml"),
    "unknown_version.yaml": ("/openapi", "unknown version '4.0.0'"),
    "duplicate_operation_ids.yaml": ("/paths/~1b/get/operationId", "duplicate operationId 'same'"),
    "undeclared_path_parameter.yaml": ("/paths/~1pets~1{petId}/get/parameters", "'petId'"),
    "invalid_schema.json": ("/paths/~1a/get/parameters/0/type",
                            "'strin' is not one of the allowed values 'string', 'number'"),
    "bad_parameter_schema.yaml": ("/paths/~1a/get/parameters/0/schema/type",
                                  "'strin' is not one of the allowed values 'array', 'boolean'"),
    "enum_list_default.yaml": ("/components/schemas/Reply/properties/modalities/default",
                               "['text', 'audio'] is not one of the allowed values 'text', 'audio'"),
    "required_not_defined.yaml": ("/components/schemas/Thing/required", "not defined properties: ['name']"),
}
# file -> the file and pointer its one line names, and the words: problems found in a file a $ref reaches.
BAD_ELSEWHERE = {
    "default_in_other_file.yaml": ("tests/fixtures/openapi/bad/parts/common.yaml: "
                                   "/components/parameters/Order/schema/default",
                                   "'up' is not one of the allowed values 'asc', 'desc'"),
}


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(REPO)
    return REPO


def test_every_bad_file_is_covered() -> None:
    found = sorted(p.name for p in (FIXTURES / "bad").iterdir() if p.is_file())
    assert found == sorted([*BAD, *BAD_ELSEWHERE, "many_problems.yaml"])


def _reflect_fails(path: str) -> list[str]:
    """The lines `codegen reflect` prints for a description it refuses (exit 2, nothing on stdout)."""
    result = CliRunner().invoke(app, ["reflect", path])
    assert result.exit_code == 2, result.output
    assert result.stdout == "" and "Traceback" not in result.stderr
    return result.stderr.strip().splitlines()


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_description_is_one_line_exit_2(name: str, in_repo: Path) -> None:
    path = f"tests/fixtures/openapi/bad/{name}"
    lines = _reflect_fails(path)
    where, words = BAD[name]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: {path}: {where}: "), lines[0]
    assert words in lines[0]


@pytest.mark.parametrize("name", sorted(BAD_ELSEWHERE))
def test_a_problem_is_named_in_the_file_that_has_it(name: str, in_repo: Path) -> None:
    lines = _reflect_fails(f"tests/fixtures/openapi/bad/{name}")
    where, words = BAD_ELSEWHERE[name]
    assert len(lines) == 1 and lines[0].startswith(f"error: {where}: ") and words in lines[0], lines


def test_many_problems_print_the_first_few_and_the_count(in_repo: Path) -> None:
    path = "tests/fixtures/openapi/bad/many_problems.yaml"
    lines = _reflect_fails(path)
    assert lines[:5] == [f"error: {path}: /components/schemas/{name}/default: {name.lower()!r} is not of type "
                         "'integer'" for name in "ABCDE"]
    assert lines[5:] == ["error: ... and 2 more problems (7 in all)"]


def test_messages_do_not_depend_on_the_validator_backend(in_repo: Path) -> None:
    """jsonschema-rs (installed with schemathesis) and jsonschema give openapi-spec-validator other messages."""
    pytest.importorskip("jsonschema_rs")
    paths = [f"tests/fixtures/openapi/bad/{name}" for name in ("invalid_schema.json", "bad_parameter_schema.yaml")]
    outputs = []
    for backend in ("jsonschema", "jsonschema-rs"):
        env = {**os.environ, "OPENAPI_SPEC_VALIDATOR_SCHEMA_VALIDATOR_BACKEND": backend}
        outputs.append([subprocess.run([sys.executable, "-m", "codegen", "reflect", path], capture_output=True,
                                       text=True, env=env, cwd=REPO).stderr for path in paths])
    assert outputs[0] == outputs[1] == [_reflect_fails(path)[0] + "\n" for path in paths]


def test_hard_description_maps_every_construct(in_repo: Path) -> None:
    spec = api.reflect("tests/fixtures/openapi/hard.yaml")
    assert spec.api is not None and spec.api.base_path == "/hard/v1"
    ids = [o.operation_id for o in spec.operations]
    assert ids == ["listWidgets", "createWidget", "getWidget", "updateWidget", "deleteWidget", "import",
                   "post_cafe_uploads", "get_cafe_uploads_id", "class"]
    functions = {o.operation_id: o.function for o in spec.operations}
    assert functions["import"] == "import_" and functions["class"] == "class_"
    params = {p.name: p.attribute for o in spec.operations for p in o.parameters}
    assert params["pet-type"] == "pet_type" and params["from"] == "from_"
    assert params["a-b"] != params["a_b"]
    models = {m.name: m.class_name for m in spec.models}
    assert models["Field"] != "Field" and models["Unicode-Thing"] == "UnicodeThing"
    assert "Address" in models and models["Pet"] == "Pet"
    widget = spec.resource("widget")
    assert widget.primary_key == ["id"] and widget.path == "/widgets"
    assert widget.field("secret").hidden and widget.field("weight").nullable
    roles = {o.operation_id: o.crud for o in spec.operations if o.resource}
    assert roles == {"listWidgets": "list", "createWidget": "create", "getWidget": "get",
                     "updateWidget": "update", "deleteWidget": "delete"}
    upload = next(o for o in spec.operations if o.operation_id == "post_cafe_uploads")
    assert upload.request_body is not None and len(upload.request_body.content) == 4
    schemes = {s.name: s.definition["type"] for s in spec.api.security_schemes}
    assert schemes == {"apiKey": "apiKey", "bearer": "http", "oauth": "oauth2"}
    nullable = next(m for m in spec.models if m.name == "Shape").schema_
    assert {"type": "null"} in nullable["anyOf"]


def test_swagger_2_and_json_read_alike(tmp_path: Path) -> None:
    document = {"swagger": "2.0", "info": {"title": "s", "version": "1"}, "basePath": "/api/",
                "definitions": {"Thing": {"type": "object", "properties": {"id": {"type": "integer"},
                                                                           "n": {"type": "string",
                                                                                 "x-nullable": True}}}},
                "paths": {"/things": {"get": {"responses": {"200": {"description": "ok", "schema": {
                    "type": "array", "items": {"$ref": "#/definitions/Thing"}}}}}},
                          "/things/{id}": {"get": {"parameters": [{"name": "id", "in": "path", "required": True,
                                                                   "type": "integer"}],
                                                   "responses": {"200": {"description": "ok", "schema": {
                                                       "$ref": "#/definitions/Thing"}}}}}}}
    path = tmp_path / "swagger.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    spec = api.reflect(str(path))
    assert spec.api is not None and spec.api.base_path == "/api"
    assert [o.operation_id for o in spec.operations] == ["get_things", "get_things_id"]
    assert spec.models[0].schema_["properties"]["n"]["type"] == ["string", "null"]
    assert spec.resources and spec.resources[0].schema_name == "Thing"


def _sources() -> list[str]:
    found = [str(HARD)]
    found += [str(p) for p in sorted(CORPUS.rglob("*.y*ml"))]
    return found


@pytest.mark.parametrize("target", api.TARGETS)
@pytest.mark.parametrize("source", [*_sources(), *map(str, sorted(FIXTURES.glob("hostile*.yaml")))],
                         ids=lambda s: Path(s).stem)
def test_generation_is_black_stable_and_deterministic(source: str, target: str, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODEGEN_CACHE_DIR", str(tmp_path / "cache"))
    spec = api.reflect(source)
    fast = api.generate_files(spec, target, {"auth": "apikey"})
    strict = api.generate_files(spec, target, {"auth": "apikey"}, strict_format=True)
    assert sorted(p for p in fast if fast[p] != strict[p]) == []
    assert api.generate_files(api.reflect(source), target, {"auth": "apikey"}) == fast
    document = json.loads(fast["app/openapi.json"])
    assert document["info"] == spec.api.info  # type: ignore[union-attr]
    assert sorted(m.name for m in spec.models) == sorted(document.get("components", {}).get("schemas", {}))
    for path, text in fast.items():
        if path.endswith(".py"):
            compile(text, path, "exec")  # every module is valid Python


def test_targets_share_the_framework_neutral_files(in_repo: Path) -> None:
    """Description, migrations, models and handlers are the same files; routes are each framework's own."""
    spec = api.reflect("tests/fixtures/openapi/hard.yaml")
    fastapi, flask = (api.generate_files(spec, target, {"auth": "apikey"}) for target in api.TARGETS)
    neutral = ["app/openapi.json", "app/error_shapes.json", "app/components.py", "app/migrate.py",
               "app/migrations/env.py", "app/migrations/versions/0001_initial.py", "app/handlers/misc.py",
               "alembic.ini"]
    assert [path for path in neutral if fastapi[path] != flask[path]] == []
    assert "from fastapi import" in fastapi["app/operations/misc.py"]
    assert "@blueprint.get(\"/pets/<pet_type>/<from_>\")" in flask["app/operations/misc.py"]
    assert '@endpoint("import", access="read", tag="misc")' in flask["app/operations/misc.py"]
    # The Flask project of a description serves the description, not a document built from its views.
    assert "app/openapi.py" not in flask and "app/operations.py" not in flask
    assert "alembic==" in flask["pyproject.toml"] and "apispec" not in flask["pyproject.toml"]


# -- the running project --------------------------------------------------------------------------------

WRITE_KEY = "e2e-write-key"
CHECKS = "not_a_server_error,response_schema_conformance,content_type_conformance"
# 501 is what an operation answers until its handler is written: expected, not a server failure.
SCHEMATHESIS_CONFIG = '[checks.not_a_server_error]\nexpected-statuses = ["2XX", "3XX", "4XX", "501"]\n'
# Hypothesis examples per operation. The second target gets fewer (CI time); its deterministic coverage
# phase, the same for both targets, still sends every operation its boundary values.
MAX_EXAMPLES = {"fastapi": 10, "flask": 3}


def _operations_tested(output: str) -> tuple[int, int]:
    """schemathesis's summary: (operations tested, operations in the description)."""
    selected = re.search(r"Selected: \d+/(\d+)", output)
    tested = re.search(r"Tested: (\d+)", output)
    return int(tested[1]) if tested else 0, int(selected[1]) if selected else -1


@pytest.mark.slow
@pytest.mark.parametrize("target", api.TARGETS)
@pytest.mark.parametrize("source", _sources(), ids=lambda s: Path(s).stem)
def test_generated_project_runs_and_answers_as_described(source: str, target: str, tmp_path: Path) -> None:
    import harness

    project = tmp_path / "project"
    api.generate(source, project, target=target)
    python = harness.install_project(project)
    tests = harness.run_project_tests(python, project)
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]
    env = {"API_KEYS": "write:" + hashlib.sha256(WRITE_KEY.encode()).hexdigest(),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}"}
    config = tmp_path / "schemathesis.toml"
    config.write_text(SCHEMATHESIS_CONFIG, encoding="utf-8")
    prefix = json.loads((project / "app" / "openapi.json").read_text(encoding="utf-8"))["servers"][0]["url"]
    with harness.serve(python, project, env) as url:
        command = [str(Path(sys.executable).with_name("schemathesis")), "--config-file", str(config), "run", source,
                   "--url", url + prefix.rstrip("/"), "--checks", CHECKS, "-H", f"X-API-Key: {WRITE_KEY}",
                   "--max-examples", str(MAX_EXAMPLES[target]), "--seed", "1",
                   "--phases", "examples,coverage,fuzzing"]
        with harness.timed(f"{Path(source).stem} ({target}): schemathesis"):
            done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    summary = [line for line in done.stdout.splitlines() if "generated" in line]
    print(f"{Path(source).stem} ({target}): {tests.stdout.strip().splitlines()[-1]}; schemathesis: "
          f"{summary[-1].strip() if summary else '?'}")
    assert done.returncode == 0, done.stdout[-6000:]
    tested, total = _operations_tested(done.stdout)
    assert tested == total, f"schemathesis called {tested} of {total} operations:\n{done.stdout[-3000:]}"


@pytest.mark.slow
def test_both_targets_answer_alike(tmp_path: Path) -> None:
    """FastAPI and Flask projects of the hard description: the same answer, byte for byte, to each request."""
    import harness
    from api_parity import compare, requests_for

    write, read, api_keys = harness.api_keys()
    keys = {"write": write, "read": read}
    env = {"API_KEYS": api_keys}
    servers = []
    for target in api.TARGETS:
        project = tmp_path / target
        api.generate(str(HARD), project, target=target)
        python = harness.install_project(project, label=f"parity {target}")
        servers.append((python, project, {**env, "DATABASE_URL": f"sqlite:///{tmp_path / target}.db"}))
    document = json.loads((tmp_path / "flask" / "app" / "openapi.json").read_text(encoding="utf-8"))
    requests = requests_for(document)
    with harness.serve(*servers[0]) as first, harness.serve(*servers[1]) as second:
        with harness.timed("hard: parity"):
            report = compare(requests, first, second, keys)
    print(f"hard: {report.compared} requests to both targets, statuses {sorted(report.statuses.items())}")
    assert report.compared == len(requests) > 500
    assert {200, 201, 401, 404, 405, 415, 422, 501} <= set(report.statuses)
    assert report.differences == [], "\n".join(report.differences[:20])
