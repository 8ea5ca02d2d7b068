"""Hostile API descriptions: names that would hide what generated modules bind, literal path segments beside
parameter siblings declared first, create bodies narrower than the item they answer; and no project generated
from any description hides one name with another (tests/shadowing.py)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from codegen import api, naming
from codegen.naming import RESERVED_FUNCTIONS
from corpus import REPO
from shadowing import project_collisions

FIXTURES = REPO / "tests" / "fixtures" / "openapi"
CORPUS = REPO.parent / "shared" / "corpus" / "openapi"
HOSTILE = FIXTURES / "hostile.yaml"
HOSTILE_SWAGGER = FIXTURES / "hostile_swagger.yaml"


def _descriptions() -> list[Path]:
    """Every description of the fixtures and the shared corpus (files holding only components left out)."""
    found = sorted(FIXTURES.glob("*.y*ml")) + sorted(CORPUS.rglob("*.y*ml")) + sorted(CORPUS.rglob("*.json"))
    return [path for path in found
            if any(line.startswith(("openapi:", "swagger:", '{"openapi"', '{"swagger"'))
                   for line in path.read_text(encoding="utf-8").splitlines()[:40])]


def _written(files: dict[str, str], root: Path) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_the_descriptions_are_found() -> None:
    names = {path.name for path in _descriptions()}
    assert {"hard.yaml", "hostile.yaml", "hostile_swagger.yaml", "petstore.yaml"} <= names
    assert "hard_common.yaml" not in names


@pytest.mark.parametrize("auth", ["apikey", "jwt", "none"])
@pytest.mark.parametrize("target", api.TARGETS)
@pytest.mark.parametrize("source", _descriptions(), ids=lambda path: path.stem)
def test_no_generated_name_hides_another(source: Path, target: str, auth: str, tmp_path: Path) -> None:
    files = api.generate_files(api.reflect(str(source)), target, {"auth": auth})
    assert project_collisions(_written(files, tmp_path)) == []


@pytest.mark.parametrize("source", [HOSTILE, HOSTILE_SWAGGER], ids=lambda path: path.stem)
def test_hostile_names_become_names_that_hide_nothing(source: Path) -> None:
    spec = api.reflect(str(source))
    functions = [operation.function for operation in spec.operations]
    assert len(set(functions)) == len(functions)
    assert not set(functions) & RESERVED_FUNCTIONS
    for operation in spec.operations:
        attributes = [parameter.attribute for parameter in operation.parameters]
        assert len(set(attributes)) == len(attributes), operation.operation_id
        assert not set(attributes) & (naming.RESERVED_PARAMETERS | set(functions)), operation.operation_id
    # The description's own names stay what clients send.
    call = next((o for o in spec.operations if o.operation_id == "call"), None)
    assert call is not None and {"name", "status"} <= {p.name for p in call.parameters}


@pytest.mark.parametrize("target", api.TARGETS)
def test_handler_calls_take_any_parameter_name(target: str) -> None:
    """`call` takes its own parameters positionally only: `name=` and `status=` are the operation's."""
    files = api.generate_files(api.reflect(str(HOSTILE)), target, {"auth": "apikey"})
    tree = ast.parse(files["app/runtime.py"])
    call = next(node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "call")
    assert [a.arg for a in call.args.posonlyargs] == ["handlers", "name", "status"]
    assert not call.args.args and not call.args.kwonlyargs and call.args.kwarg is not None
    calls = files["app/operations/call.py"]
    assert 'return call(\n        handlers,\n        "call_",\n        200,\n        name=name,\n        status=status,' in calls


def test_tag_modules_never_meet_resource_modules() -> None:
    """A resource module `job_operations` and a tag `job` (imported as `job_operations`) stay apart."""
    files = api.generate_files(api.reflect(str(HOSTILE)), "fastapi", {"auth": "apikey"})
    routes = files["app/routes/__init__.py"]
    assert "from app.routes import job_operations\n" in routes
    assert "from app.operations import job_2 as job_2_operations\n" in routes
    assert "app/handlers/job_2.py" in files and "app/operations/job_2.py" in files


# -- create bodies: what the description says, whatever the item it answers requires -------------------


def _reflect(document: dict[str, Any], tmp_path: Path) -> Any:
    path = tmp_path / "api.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return api.reflect(str(path))


def _swagger(pet: dict[str, Any]) -> dict[str, Any]:
    item = {"$ref": "#/definitions/Pet"}
    return {
        "swagger": "2.0", "info": {"title": "t", "version": "1"},
        "definitions": {"NewPet": {"type": "object", "required": ["name"],
                                   "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
                        "Pet": pet},
        "paths": {
            "/pets": {"get": {"responses": {"200": {"description": "ok", "schema": {"type": "array", "items": item}}}},
                      "post": {"parameters": [{"name": "body", "in": "body", "required": True,
                                               "schema": {"$ref": "#/definitions/NewPet"}}],
                               "responses": {"201": {"description": "ok", "schema": item}}}},
            "/pets/{id}": {"get": {"parameters": [{"name": "id", "in": "path", "required": True, "type": "integer"}],
                                   "responses": {"200": {"description": "ok", "schema": item}}}},
        },
    }


@pytest.mark.parametrize("required", [{"required": ["id"]}, {"type": "object", "required": ["id"]}],
                         ids=["bare", "typed"])
def test_swagger_create_body_leaves_out_a_key_the_item_requires(required: dict[str, Any], tmp_path: Path) -> None:
    spec = _reflect(_swagger({"allOf": [{"$ref": "#/definitions/NewPet"}, required]}), tmp_path)
    (pet,) = spec.resources
    assert pet.field("id").generated and not pet.field("id").nullable
    assert {o.crud for o in spec.operations} == {"list", "create", "get"}
    schemas = api.generate_files(spec, "fastapi", {"auth": "apikey"})["app/schemas/pet.py"]
    create = schemas.split("class PetCreate(PetBase):")[1].split("\n\n\nclass ")[0]
    assert "id: int | None = None" in create


@pytest.mark.parametrize("source", [HOSTILE, HOSTILE_SWAGGER], ids=lambda path: path.stem)
def test_hostile_create_bodies_need_no_key(source: Path) -> None:
    spec = api.reflect(str(source))
    resource = next(r for r in spec.resources if any(o.crud == "create" and o.resource == r.name
                                                     for o in spec.operations))
    assert [f.name for f in resource.key_fields] == ["id"] and resource.key_fields[0].generated


def test_a_body_that_leaves_out_a_required_member_is_no_create(tmp_path: Path) -> None:
    """The stored item needs `name`, the POST body may leave it out: the POST keeps its body and gets a handler."""
    document = _swagger({"allOf": [{"$ref": "#/definitions/NewPet"}, {"required": ["id", "name", "kind"]}]})
    document["definitions"]["NewPet"]["properties"]["kind"] = {"type": "string"}
    document["definitions"]["NewPet"]["required"] = ["name"]
    spec = _reflect(document, tmp_path)
    roles = {o.operation_id: o.crud for o in spec.operations}
    assert roles == {"get_pets": "list", "post_pets": None, "get_pets_id": "get"}


# -- the running projects -------------------------------------------------------------------------------

# (method, path under the prefix, request arguments, status): literal segments beside parameter siblings
# declared first, parameters named like the helpers' own arguments, a create without the key.
REQUESTS: dict[str, list[tuple[str, str, dict[str, Any], int]]] = {
    "hostile": [
        ("POST", "/forms", {"json": {"name": "a", "datetime": "2020-01-01T00:00:00Z"}}, 201),
        ("GET", "/forms/recent", {"params": {"name": "a", "status": 200, "type": "a"}}, 501),
        ("GET", "/forms", {"params": {"name": "a", "status": "draft"}}, 200),
        ("GET", "/calls/x/latest", {}, 501),
        ("GET", "/crossed/x/b", {}, 501),  # crossedSecond, as Werkzeug picks it: a literal first segment wins
        ("GET", "/calls/x/5", {"params": {p: "v" for p in ("name", "status", "type", "handlers", "call", "body",
                                                            "self", "cls", "raw", "router", "response", "key",
                                                            "item", "json")},
                               "headers": {"request": "r", "session": "s"}, "cookies": {"query": "q"}}, 501),
        ("POST", "/calls", {"params": {"status": "true"}, "headers": {"name": "n"}, "json": {}}, 501),
        ("POST", "/jobs/1", {"data": {"body": "b", "raw": "r"}}, 501),
        ("GET", "/job-operations/x", {}, 404),
    ],
    "hostile_swagger": [
        ("POST", "/pets", {"json": {"name": "p"}}, 201),
        ("GET", "/pets/mine", {"params": {"name": "a", "status": 1, "type": "cat"}}, 501),
        ("POST", "/calls/x", {"params": {"status": 1}, "data": {"call": "c", "body": "b", "self": "1"}}, 501),
        ("GET", "/calls/x", {"params": {"id": 1, "router": "r", "request": "q"}}, 501),
    ],
}
# A Swagger 2.0 `produces` covers every answer of an operation, problem+json errors too: schemathesis would
# flag each error's Content-Type, which the contract fixes (see the report of issue 13).
CHECKS = {"hostile": "not_a_server_error,response_schema_conformance,content_type_conformance",
          "hostile_swagger": "not_a_server_error,response_schema_conformance"}


def _send(url: str, prefix: str, key: str, requests: list[tuple[str, str, dict[str, Any], int]]) -> list[str]:
    """Every request sent (and a GET of what a 201 created); those answered unexpectedly, as lines."""
    import httpx

    wrong = []
    with httpx.Client(base_url=url + prefix, headers={"X-API-Key": key}, timeout=30) as client:
        for method, path, arguments, status in requests:
            client.cookies.clear()
            for name, value in arguments.get("cookies", {}).items():
                client.cookies.set(name, value)
            sent = {name: value for name, value in arguments.items() if name != "cookies"}
            response = client.request(method, path, **sent)
            if response.status_code != status:
                wrong.append(f"{method} {path}: {response.status_code} (expected {status}) {response.text[:200]}")
            elif status == 201 and client.get(url + response.headers["location"]).status_code != 200:
                wrong.append(f"GET {response.headers['location']} after {method} {path}: not 200")
    return wrong


@pytest.mark.slow
@pytest.mark.parametrize("target", api.TARGETS)
@pytest.mark.parametrize("source", [HOSTILE, HOSTILE_SWAGGER], ids=lambda path: path.stem)
def test_hostile_project_runs_and_answers(source: Path, target: str, tmp_path: Path) -> None:
    import harness
    from test_openapi import SCHEMATHESIS_CONFIG, _operations_tested

    project = tmp_path / "project"
    api.generate(str(source), project, target=target)
    python = harness.install_project(project, label=f"{source.stem} {target}")
    tests = harness.run_project_tests(python, project)
    assert tests.returncode == 0 and harness.passed_count(tests) > 0, tests.stdout[-4000:]
    write, _, keys = harness.api_keys()
    config = tmp_path / "schemathesis.toml"
    config.write_text(SCHEMATHESIS_CONFIG, encoding="utf-8")
    prefix = json.loads((project / "app" / "openapi.json").read_text(encoding="utf-8"))["servers"][0]["url"]
    env = {"API_KEYS": keys, "DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}"}
    with harness.serve(python, project, env) as url:
        wrong = _send(url, prefix.rstrip("/"), write, REQUESTS[source.stem])
        command = [str(Path(sys.executable).with_name("schemathesis")), "--config-file", str(config), "run",
                   str(source), "--url", url + prefix.rstrip("/"), "--checks", CHECKS[source.stem],
                   "-H", f"X-API-Key: {write}", "--max-examples", "5", "--seed", "1",
                   "--phases", "examples,coverage,fuzzing"]
        with harness.timed(f"{source.stem} ({target}): schemathesis"):
            done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert wrong == [], "\n".join(wrong)
    assert done.returncode == 0, done.stdout[-6000:]
    tested, total = _operations_tested(done.stdout)
    assert tested == total, done.stdout[-3000:]
