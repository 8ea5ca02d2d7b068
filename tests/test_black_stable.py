"""The OpenAPI templates emit black's layout, so a first generation does not wait for black.

codegen/format.py sends a file to black only where a line is too long (`needs_black`), and then
only the top-level statements holding one. These tests keep both fast paths honest:

- the files whose templates lay out long lines themselves (the migration, the document test,
  the runtime, the bodies, the policy, the components module's own code, a table's test module) never need
  black, for the corpus descriptions, for one with long names and for a wide table;
- whatever still goes to black comes out as black gives it for the whole file;
- `layout` lays out calls and lists as black does, and `dump_json` writes what `json.dumps` writes.
"""

from __future__ import annotations

import json
import keyword
from pathlib import Path

import black
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from codegen import api
from codegen.format import black_format, format_sources, needs_black
from codegen.render.api_document import dump_json, openapi_document
from codegen.render.layout import Call, assign_list, fit, flat, lay_out
from codegen.render.project import render_project
from codegen.render.pyliteral import py_str
from corpus import corpus_file

# Its tests share module-scoped fixtures: one xdist worker runs them all (tests/conftest.py).
pytestmark = pytest.mark.xdist_group("black-stable")

CORPUS_SOURCES = {
    "petstore": "openapi/oai-examples/petstore.yaml",
    "petstore_expanded": "openapi/oai-examples/petstore-expanded.yaml",
    "spotify": "openapi/spotify/fixed-spotify-open-api.yml",
}
# Laid out by their templates for any input. Elsewhere long names still make lines that black
# splits: annotations in app/components.py, and the templates shared with database projects.
SELF_LAID_OUT = ("app/migrations/versions/0001_initial.py", "tests/test_openapi_document.py",
                 "app/runtime.py", "app/bodies.py", "app/policy.py")


def long_named(count: int = 4) -> dict:
    """A description whose names make the migration's and the tests' lines long."""
    schemas = {}
    paths = {}
    for i in range(count):
        name = f"ExtraordinarilyLongAndDescriptiveSchemaNameNumber{i}"
        properties = {
            "identifier_of_the_record_in_the_system": {"type": "integer", "format": "int64"},
            "a_very_long_property_name_for_the_display_label": {"type": "string", "maxLength": 80},
            "status_of_the_record_with_a_long_name": {"type": "string", "enum": ["new", "used"]},
            "score": {"type": "number", "nullable": True},
        }
        schemas[name] = {"type": "object", "required": ["identifier_of_the_record_in_the_system"],
                         "properties": properties}
        ref = {"$ref": f"#/components/schemas/{name}"}
        ok = {"200": {"description": "ok", "content": {"application/json": {"schema": ref}}}}
        many = {"200": {"description": "ok",
                        "content": {"application/json": {"schema": {"type": "array", "items": ref}}}}}
        collection = f"/extraordinarily-long-collection-path-segment-{i}"
        paths[collection] = {
            "get": {"operationId": f"listEveryExtraordinarilyLongRecordOfKind{i}", "responses": many},
            "post": {"operationId": f"createAnExtraordinarilyLongRecordOfKind{i}",
                     "requestBody": {"content": {"application/json": {"schema": ref}}}, "responses": ok}}
        paths[collection + "/{identifier_of_the_record_in_the_system}"] = {
            "parameters": [{"name": "identifier_of_the_record_in_the_system", "in": "path", "required": True,
                            "schema": {"type": "integer"}}],
            "get": {"operationId": f"getOneExtraordinarilyLongRecordOfKind{i}", "responses": ok},
            "delete": {"operationId": f"deleteOneExtraordinarilyLongRecordOfKind{i}",
                       "responses": {"204": {"description": "gone"}}}}
    return {"openapi": "3.0.3", "info": {"title": "Long names", "version": "1"}, "paths": paths,
            "components": {"schemas": schemas}}


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("long-named")
    long = folder / "long.yaml"
    long.write_text(yaml.safe_dump(long_named(), sort_keys=False), encoding="utf-8")
    found = {"long_named": str(long)}
    for name, relative in CORPUS_SOURCES.items():
        path = corpus_file(relative)
        found[name] = str(path)
    return found


def _rendered(source: str, target: str) -> dict[str, str]:
    return render_project(api.reflect(source), target, {"auth": "apikey"}, None, None)


@pytest.mark.parametrize("target", api.TARGETS)
def test_self_laid_out_files_need_no_black(sources: dict[str, str], target: str) -> None:
    for name, source in sources.items():
        files = _rendered(source, target)
        for path in SELF_LAID_OUT:
            assert path in files, f"{name}: {path} is not generated"
            assert not needs_black(files[path]), f"{name}: {path} has a line black would split"
            assert black_format(files[path]) == files[path], f"{name}: black changes {path}"
        if name.startswith("petstore"):  # elsewhere long names or unions make annotations black splits
            assert not needs_black(files["app/components.py"]), f"{name}: app/components.py"


def test_long_names_make_long_lines(sources: dict[str, str]) -> None:
    """The long-named description does exercise the split layouts."""
    files = _rendered(sources["long_named"], "fastapi")
    migration = files["app/migrations/versions/0001_initial.py"]
    assert "        sa.Column(\n" in migration
    assert "OPERATION_IDS = [\n" in files["tests/test_openapi_document.py"]



@pytest.mark.parametrize("target", api.TARGETS)
def test_resource_tests_need_no_black_for_many_long_columns(target: str, tmp_path: Path) -> None:
    """A table's test module lists its fields (`FIELDS = [...]`) as black would: `check` after one table
    changed then formats nothing."""
    import sqlite3

    database = tmp_path / "wide.sqlite"
    columns = ", ".join(f"a_rather_long_column_name_number_{i} VARCHAR(20)" for i in range(12))
    with sqlite3.connect(database) as connection:
        connection.execute(f"CREATE TABLE wide_table (id INTEGER PRIMARY KEY, {columns})")
        connection.execute("CREATE TABLE narrow (id INTEGER PRIMARY KEY, name VARCHAR(20))")
    files = _rendered(f"sqlite:///{database}", target)
    wide, narrow = files["tests/test_wide_table.py"], files["tests/test_narrow.py"]
    assert "FIELDS = [\n" in wide and 'FIELDS = ["id", "name"]\n' in narrow
    for path, text in (("tests/test_wide_table.py", wide), ("tests/test_narrow.py", narrow)):
        assert not needs_black(text), f"{path} has a line black would split"
        assert black_format(text) == text, f"black changes {path}"


@pytest.mark.parametrize("target", api.TARGETS)
def test_fast_path_equals_black_on_descriptions(sources: dict[str, str], target: str,
                                                monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Black on the long statements only (and nowhere else) gives what black gives for every file."""
    monkeypatch.setenv("CODEGEN_CACHE_DIR", str(tmp_path / "cache"))
    for name, source in sources.items():
        rendered = _rendered(source, target)
        fast = format_sources(rendered)
        monkeypatch.setenv("CODEGEN_CACHE_DIR", str(tmp_path / f"strict-{name}"))
        strict = format_sources(rendered, strict=True)
        monkeypatch.setenv("CODEGEN_CACHE_DIR", str(tmp_path / "cache"))
        assert [p for p in fast if fast[p] != strict[p]] == [], name


# layout against black itself

NAME = st.text(alphabet="abcdefghij_", min_size=1, max_size=40).filter(lambda s: not keyword.iskeyword(s))
ATOM = st.builds(lambda text, kind: {"name": text, "str": json.dumps(text), "kw": f"{text}=True"}[kind],
                 NAME, st.sampled_from(["name", "str", "kw"]))
CALLS = st.recursive(ATOM, lambda inner: st.builds(
    lambda head, args: Call(f"{head}(", tuple(args)),
    st.sampled_from(["f", "sa.Column", "server_default=sa.text", "sa.Enum"]),
    st.lists(inner, min_size=1, max_size=6)), max_leaves=14)


@settings(max_examples=150, deadline=None)
@given(node=CALLS.filter(lambda n: isinstance(n, Call)))
def test_lay_out_is_blacks(node: Call) -> None:
    if "=" in node.head:  # a keyword argument is no statement
        node = Call("f(", (node,))
    statement = lay_out(node) + "\n"
    assert black.format_str(flat(node) + "\n", mode=black.Mode()) == statement


@settings(max_examples=100, deadline=None)
@given(args=st.lists(CALLS, min_size=1, max_size=8))
def test_fit_is_blacks(args: list[str | Call]) -> None:
    """Inside a function, as the migration's `op.create_table(...)`; black keeps its magic trailing comma."""
    body = fit("op.create_table(", args, ")", 4)
    source = "def upgrade() -> None:\n" + body + "\n"
    one_line = "def upgrade() -> None:\n    " + flat(Call("op.create_table(", tuple(args))) + "\n"
    assert black.format_str(source, mode=black.Mode()) == source
    if "\n" not in body:
        assert black.format_str(one_line, mode=black.Mode()) == source


@settings(max_examples=60, deadline=None)
@given(items=st.lists(st.text(alphabet="abcdefghij-", min_size=1, max_size=90), max_size=12))
def test_assign_list_is_blacks(items: list[str]) -> None:
    literals = [json.dumps(item) for item in items]
    statement = assign_list("OPERATION_IDS", literals) + "\n"
    assert black.format_str(f"OPERATION_IDS = [{', '.join(literals)}]\n", mode=black.Mode()) == statement


def test_dump_json_is_json_dumps(sources: dict[str, str]) -> None:
    for source in sources.values():
        document = openapi_document(api.reflect(source))
        assert dump_json(document) == json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    shared = {"k": [1, {"z": 2.5}]}
    odd = {"a": [1, -0.0, 1e300, float("nan"), float("inf"), True, None, "é\n\"x\u2028"], 1: {}, 2.5: [],
           None: {"x": []}, True: (1,), "s": [[[]]], "one": shared, "deep": {"x": {"y": shared}},
           "list": [shared, [shared]]}
    assert dump_json(odd) == json.dumps(odd, indent=2, ensure_ascii=False) + "\n"
    cycle: list = []
    cycle.append(cycle)
    with pytest.raises(ValueError):
        dump_json(cycle)


# needs_black's long lines that black keeps

TEXT = st.text(alphabet="abc xyz-(),:'\\\"", min_size=60, max_size=110)


def _literal(text: str) -> str:
    return py_str(text)  # in black's quotes, as the templates write strings


@settings(max_examples=80, deadline=None)
@given(text=TEXT, key=st.none() | st.text(alphabet="abkey", min_size=1, max_size=30), depth=st.integers(0, 2))
def test_a_long_string_element_is_kept(text: str, key: str | None, depth: int) -> None:
    pad = "    " * depth
    element = (f"{_literal(key)}: " if key is not None else "") + _literal(text) + ","
    opening, closing, other = ("{", "}", '"k": 1,') if key is not None else ("[", "]", "1,")
    body = f"{pad}X = {opening}\n{pad}    {other}\n{pad}    {element}\n{pad}{closing}\n"
    source = "".join(f"{'    ' * level}if x:\n" for level in range(depth)) + body
    line = f"{pad}    {element}"
    if len(line) > 88:
        double = all(_literal(part).startswith('"') for part in (text, key) if part is not None)
        assert needs_black(source) is not double  # strings in single quotes are left to black
        if not needs_black(source):
            assert black.format_str(source, mode=black.Mode()) == source


@settings(max_examples=80, deadline=None)
@given(text=TEXT, name=NAME, depth=st.integers(0, 2))
def test_a_long_string_binding_is_kept_only_where_black_keeps_it(text: str, name: str, depth: int) -> None:
    pad = "    " * depth
    opening = "".join(f"{'    ' * level}if x:\n" for level in range(depth))
    source = f"{opening}{pad}{name} = {_literal(text)}\n"
    if len(source.splitlines()[-1]) > 88 and not needs_black(source):
        assert black.format_str(source, mode=black.Mode()) == source
