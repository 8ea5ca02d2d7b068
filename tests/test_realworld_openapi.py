"""Descriptions in the style of large public ones (tests/fixtures/realworld/oa_*.yaml, written here, copied
from nowhere): a Kubernetes-like Swagger 2.0, a Stripe-like OpenAPI 3.0 and a GitHub-like OpenAPI 3.1.

What each once broke: ECMA-262 patterns refused as no regex; a description whose `openapi` key comes late
taken for a codegen spec; identifiers that changed with the order of the description's mappings; integer
enums of parameters compared with their text; binary files, single-valued arrays and deepObject members
of form bodies refused; empty text bodies taken for no body; documented error shapes that a problem's
`status` or `errors` contradicted; a DELETE that answers a Status schema served as the item; a replace
test that sent a key other than its path's; samples outside an integer enum. Invalid descriptions of the
same style (schemas that contain themselves through $ref and allOf, which stopped the validator at
Python's recursion limit): one line per problem with its JSON pointer, exit 2, nothing written.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from codegen import api
from codegen.cli import app
from codegen.reflect.ecma_regex import is_ecma_regex
from codegen.render.api_context import error_shapes
from corpus import REPO

FIXTURES = REPO / "tests" / "fixtures" / "realworld"
KUBE, STRIPE, GITHUB = (FIXTURES / f"oa_{name}.yaml" for name in ("kube", "stripe", "github"))
VALID = [KUBE, STRIPE, GITHUB]


def _reversed(node: Any) -> Any:
    """The same document with every mapping's keys in the opposite order."""
    if isinstance(node, dict):
        return {key: _reversed(value) for key, value in reversed(list(node.items()))}
    if isinstance(node, list):
        return [_reversed(value) for value in node]
    return node


def _unordered(node: Any) -> Any:
    """A spec as data with every list sorted: what is left differs only where names or roles differ."""
    if isinstance(node, dict):
        return {key: _unordered(value) for key, value in node.items() if key != "source"}
    if isinstance(node, list):
        return sorted((_unordered(value) for value in node), key=lambda value: json.dumps(value, sort_keys=True))
    return node


# -- reading --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("pattern", [r"^(?<name>[\w.-]+)$", r"^[\p{L}\p{N} _-]+$", r"(?<=ab+)c", r"[^]",
                                     r"\u{1F600}", r"^(?!-)[A-Za-z0-9-]{1,39}(?<!-)$"])
def test_ecma_patterns_are_patterns(pattern: str) -> None:
    assert is_ecma_regex(pattern)


@pytest.mark.parametrize("pattern", ["(", "[a-", "a{2,1}", "^(?<name>[a-z]+$"])
def test_broken_patterns_are_not(pattern: str) -> None:
    assert not is_ecma_regex(pattern)


@pytest.mark.parametrize("source", VALID, ids=lambda path: path.stem)
def test_mapping_order_changes_no_name(source: Path, tmp_path: Path) -> None:
    """Paths, operations, parameters, properties and components in reverse order: the same spec but for
    the order of its lists, which is the description's (docs/design.md: "API descriptions as a source")."""
    turned = tmp_path / source.name
    turned.write_text(yaml.safe_dump(_reversed(yaml.safe_load(source.read_text(encoding="utf-8"))),
                                     sort_keys=False, allow_unicode=True), encoding="utf-8")
    first, second = api.reflect(str(source)), api.reflect(str(turned))
    assert _unordered(first.model_dump(mode="json")) == _unordered(second.model_dump(mode="json"))
    files = api.generate_files(second, "fastapi", {"auth": "apikey"})
    assert api.generate_files(api.reflect(str(turned)), "fastapi", {"auth": "apikey"}) == files


def test_swagger_file_responses_are_valid() -> None:
    """`type: file` is Swagger 2.0's response schema of a download, which the JSON Schema check refuses."""
    operation = next(o for o in api.reflect(str(KUBE)).operations
                     if o.operation_id == "readCoreV1NamespacedPodArchive")
    assert operation.responses[0].content[0].schema_ == {"type": "string", "format": "binary"}


def test_names_that_differ_by_case_keep_their_functions() -> None:
    functions = {o.operation_id: o.function for o in api.reflect(str(GITHUB)).operations}
    assert functions["Class"] != functions["class"] and functions["return"] == "return_"


def test_a_description_is_told_by_its_top_level_keys(tmp_path: Path) -> None:
    """JSON with sorted keys puts `openapi` after all of `components`: still a description, not a spec."""
    document = yaml.safe_load(STRIPE.read_text(encoding="utf-8"))
    path = tmp_path / "stripe.json"
    path.write_text(json.dumps(document, sort_keys=True, indent=2), encoding="utf-8")
    assert path.read_text(encoding="utf-8")[:4096].count('"openapi"') == 0
    assert {o.operation_id for o in api.reflect(str(path)).operations} >= {"GetCustomers", "PostProducts"}
    yaml_path = tmp_path / "last.yaml"
    yaml_path.write_text(yaml.safe_dump(_reversed(document), sort_keys=False), encoding="utf-8")
    assert api.reflect(str(yaml_path)).api is not None


def test_writes_answering_another_schema_serve_no_resource_role() -> None:
    roles = {o.operation_id: o.crud for o in api.reflect(str(KUBE)).operations}
    assert roles["readAppsV1Deployment"] == "get" and roles["replaceAppsV1Deployment"] == "replace"
    assert roles["deleteAppsV1Deployment"] is None  # it answers a meta.v1.Status, not the Deployment


def test_error_shapes_replace_problem_members_of_another_type() -> None:
    spec = api.reflect(str(GITHUB))
    shapes = error_shapes(spec, {m.name: m.schema_ for m in spec.models})
    basic = shapes["issues/get-global"]["default"][1]
    assert basic["status"] == "$detail"  # basic-error's status is a string
    validation = shapes["issues/create"]["422"][1]
    assert validation["errors"] == []  # items that require `code`, which {loc, msg} lack
    kube = api.reflect(str(KUBE))
    status = error_shapes(kube, {m.name: m.schema_ for m in kube.models})["readAppsV1Deployment"]["404"][1]
    assert status["status"] == "$detail" and status["code"] == "$status"


@pytest.mark.parametrize("target", api.TARGETS)
def test_number_enums_of_parameters_are_read_from_text(target: str) -> None:
    files = api.generate_files(api.reflect(str(GITHUB)), target, {"auth": "apikey"})
    assert "Annotated[Literal[1, 2, 3], BeforeValidator(components.parse_scalar)]" in files[
        "app/operations/class_.py"]
    assert "def parse_scalar(" in files["app/components.py"]
    samples = files["tests/samples.py"]
    assert '"priority": pick(n, (0, 1, 2, 3))' in samples


@pytest.mark.parametrize("target", api.TARGETS)
@pytest.mark.parametrize("source", VALID, ids=lambda path: path.stem)
def test_projects_are_black_stable_and_hide_no_name(source: Path, target: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from shadowing import project_collisions

    monkeypatch.setenv("CODEGEN_CACHE_DIR", str(tmp_path / "cache"))
    spec = api.reflect(str(source))
    fast = api.generate_files(spec, target, {"auth": "apikey"})
    strict = api.generate_files(spec, target, {"auth": "apikey"}, strict_format=True)
    assert sorted(path for path in fast if fast[path] != strict[path]) == []
    for path, text in fast.items():
        if path.endswith(".py"):
            compile(text, path, "exec")
    root = tmp_path / "project"
    for relative, text in fast.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    assert project_collisions(root) == []


# -- invalid descriptions -------------------------------------------------------------------------------

# file -> its lines after "error: <file>: ", in order (a count line where there are more than five)
BAD = {
    "oa_bad_refs.yaml": [
        "/paths/~1apis~1apps~1v1~1deployments~1{name}/get/responses/200/schema/$ref: "
        "$ref '#/definitions/io.k8s.api.apps.v1.Deployment' does not resolve",
    ],
    "oa_bad_loops.yaml": [  # the validator itself would stop at Python's recursion limit
        "/components/schemas/charge_base/allOf/0/$ref: $ref '#/components/schemas/charge' closes a loop of $ref "
        "and allOf alone (/components/schemas/charge -> /components/schemas/charge_base -> "
        "/components/schemas/charge): the schema would contain itself",
        "/components/schemas/deleted_customer/$ref: $ref '#/components/schemas/customer' closes a loop of $ref "
        "and allOf alone (/components/schemas/customer -> /components/schemas/deleted_customer -> "
        "/components/schemas/customer): the schema would contain itself",
    ],
    "oa_bad_kube.yaml": [
        "/paths/~1api~1v1~1namespaces~1{namespace}~1pods/get/parameters/0/collectionFormat: "
        "'tabs' is not one of the allowed values 'csv', 'ssv', 'tsv', 'pipes', 'multi'",
        "/definitions/io.k8s.api.core.v1.Pod/properties/restartPolicy/default: "
        "'Sometimes' is not one of the allowed values 'Always', 'Never'",
    ],
    "oa_bad_stripe.yaml": [  # three problems of one schema, three lines, by pointer
        "/paths/~1v1~1customers~1{customer}/post/requestBody/content/application~1x-www-form-urlencoded/schema/"
        "properties/balance/exclusiveMinimum: 0 is not of type 'boolean'",
        "/paths/~1v1~1customers~1{customer}/post/requestBody/content/application~1x-www-form-urlencoded/schema/"
        "properties/metadata/anyOf/1/enum: [] should be non-empty",
        "/paths/~1v1~1customers~1{customer}/post/requestBody/content/application~1x-www-form-urlencoded/schema/"
        "properties/tax_exempt/nullable: 'yes' is not of type 'boolean'",
    ],
    "oa_bad_github.yaml": [
        "/webhooks/issues-opened/post/responses/200: 'description' is a required property",
        "/paths/~1repos~1{owner}.{repo}~1issues/parameters/0/schema/pattern: '^(?<name>[a-z]+$' is not a 'regex'",
        "/paths/~1repos~1{owner}.{repo}~1issues/parameters/1/schema/type/1: 'nul' is not one of the allowed "
        "values 'array', 'boolean', 'integer', 'null', 'number', 'object', 'string'",
        "/paths/~1repos~1{owner}.{repo}~1issues/get/responses/200/content/application~1json/schema/items/"
        "properties/number/exclusiveMinimum: True is not of type 'number'",
        "/components/schemas/A/default: 'a' is not of type 'integer'",
    ],
}


def test_every_bad_file_is_covered() -> None:
    assert sorted(path.name for path in FIXTURES.glob("oa_bad_*")) == sorted(BAD)


@pytest.mark.parametrize("name", sorted(BAD))
def test_invalid_description_is_a_line_per_problem(name: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    given = f"tests/fixtures/realworld/{name}"
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["generate", given, "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and not out.exists()
    lines = result.stderr.strip().splitlines()
    assert [line.removeprefix(f"error: {given}: ") for line in lines[:5]] == BAD[name]
    if name == "oa_bad_github.yaml":
        assert lines[5:] == ["error: ... and 2 more problems (7 in all)"]
    else:
        assert len(lines) == len(BAD[name])


# -- the running projects -------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n\x00\xff\xfe"
# (method, path under the prefix, request arguments, status, what the JSON answer must hold)
REQUESTS: dict[str, list[tuple[str, str, dict[str, Any], int, dict[str, Any]]]] = {
    "oa_kube": [
        ("POST", "/api/v1/namespaces/default/uploads",
         {"files": {"file": ("pod.png", PNG, "image/png")}, "data": {"tags": "one", "status": "1"}}, 501, {}),
        ("POST", "/apis/apps/v1/deployments", {"json": {"uid": 7, "replicas": 1}}, 201, {"uid": 7}),
        ("PUT", "/apis/apps/v1/deployments/7", {"json": {"uid": 7, "replicas": 2}}, 200, {"replicas": 2}),
        ("GET", "/apis/apps/v1/deployments/999", {}, 404, {"code": 404}),
        ("GET", "/api/v1/namespaces/default/pods/web/archive", {}, 501, {}),
        ("DELETE", "/apis/apps/v1/deployments/7", {}, 501, {}),
        ("GET", "/api/v1/namespaces/default/configmaps",
         {"params": [("type", "a,b"), ("status", "1|2"), ("self", "a"), ("self", "b")]}, 501, {}),
    ],
    "oa_stripe": [
        ("POST", "/v1/files", {"files": {"file": ("id.png", PNG, "image/png")},
                               "data": {"purpose": "identity_document", "expand": "links",
                                        "file_link_data[create]": "true", "file_link_data[metadata][a]": "b"}},
         501, {}),
        ("POST", "/v1/files", {"files": {"file": ("id.png", PNG, "image/png"),  # an object as a JSON part
                                         "file_link_data": (None, b'{"create": false}', "application/json")},
                               "data": {"purpose": "pci_document"}}, 501, {}),
        ("POST", "/v1/files", {"files": {"file": ("id.png", PNG, "image/png")}}, 422, {"error": {}}),
        ("POST", "/v1/customers",
         {"data": {"preferred_locales": "fr", "metadata[plan]": "pro", "address[city]": "Paris"}}, 501, {}),
        ("POST", "/v1/customers", {"data": {"preferred_locales[]": "fr", "metadata": ""}}, 501, {}),
        ("GET", "/v1/customers/search", {}, 422, {"error": {}}),
        ("GET", "/v1/products/missing", {}, 404, {"error": {}}),
    ],
    "oa_github": [
        ("GET", "/events", {"params": {"def": "3"}}, 501, {}),
        ("GET", "/events", {"params": {"def": "4"}}, 422, {}),
        ("PUT", "/repos/o.r/contents/readme", {"content": b"", "headers": {"content-type": "text/plain"}}, 501, {}),
        ("POST", "/repos/o.r/issues", {"json": {}}, 422, {"errors": []}),
        ("GET", "/issues/abc", {}, 422, {"status": "id: Input should be a valid integer, unable to parse string "
                                                   "as an integer"}),
        ("POST", "/issues", {"json": {"id": 5, "number": 1, "title": "t", "state": "open", "url": "https://x.io",
                                      "created_at": "2020-01-01T00:00:00Z", "priority": 2, "kind": "issue"}},
         201, {"priority": 2}),
        ("POST", "/issues", {"json": {"id": 6, "number": 2, "title": "t", "state": "open", "url": "https://x.io",
                                      "created_at": "2020-01-01T00:00:00Z", "visibility": ""}},
         201, {"visibility": ""}),
        ("GET", "/issues", {"params": {"visibility": "", "priority": "2"}}, 200, {}),
        # `sort` and `offset` of the description's own meaning: not the contract's field names and numbers
        ("GET", "/issues", {"params": {"sort": "created", "direction": "desc", "offset": "abc"}}, 200, {}),
        ("GET", "/issues", {"params": {"sort": "size"}}, 422, {}),
        ("PUT", "/labels/bug", {"json": {"name": "bug", "color": "ff0000"}}, 404, {}),  # a replace, no upsert
        ("PUT", "/labels/bug", {"json": {"name": "feature", "color": "ff0000"}}, 422, {}),  # not the path's key
        ("GET", "/labels/%C3%A9t%C3%A9", {}, 404, {}),  # \p{L} in its pattern
    ],
}


def _send(url: str, key: str, requests: list[tuple[str, str, dict[str, Any], int, dict[str, Any]]]) -> list[str]:
    """Every request sent; those answered with another status or another body, as lines."""
    import httpx

    wrong = []
    with httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=30) as client:
        for method, path, arguments, status, holds in requests:
            response = client.request(method, path, **arguments)
            body = response.json() if "json" in response.headers.get("content-type", "") else None
            if response.status_code != status or any(
                    not isinstance(body, dict) or body.get(k) != v for k, v in holds.items()):
                wrong.append(f"{method} {path}: {response.status_code} (expected {status}) {response.text[:300]}")
    return wrong


# Within make test's budget, each runtime meets each kind of body: multipart files and form arrays in
# both (oa_kube in FastAPI, oa_stripe in Flask), deepObject members in Flask, the rest in both.
RUNS = [(KUBE, "fastapi"), (STRIPE, "flask"), (GITHUB, "fastapi"), (GITHUB, "flask")]


@pytest.mark.slow
@pytest.mark.parametrize(("source", "target"), RUNS, ids=[f"{s.stem}-{t}" for s, t in RUNS])
def test_realworld_project_runs_and_answers(source: Path, target: str, tmp_path: Path) -> None:
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
    base = prefix.rstrip("/")
    env = {"API_KEYS": keys, "DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}"}
    # Swagger 2.0's `produces` covers problem+json errors too (see tests/test_openapi_hostile.py).
    checks = "not_a_server_error,response_schema_conformance" + (
        "" if source == KUBE else ",content_type_conformance")
    with harness.serve(python, project, env) as url:
        wrong = _send(url + base, write, REQUESTS[source.stem])
        # Every operation called a few times (make test's budget): tests/test_openapi.py shows a longer run.
        command = [str(Path(sys.executable).with_name("schemathesis")), "--config-file", str(config), "run",
                   str(source), "--url", url + base, "--checks", checks, "-H", f"X-API-Key: {write}",
                   "--max-examples", "2", "--seed", "1", "--phases", "fuzzing"]
        with harness.timed(f"{source.stem} ({target}): schemathesis"):
            done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert wrong == [], "\n".join(wrong)
    assert done.returncode == 0, done.stdout[-6000:]
    tested, total = _operations_tested(done.stdout)
    assert tested == total, done.stdout[-3000:]
