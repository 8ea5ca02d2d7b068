"""Golden files: the spec and the whole generated tree of each target for the corpus databases."""

from __future__ import annotations

from pathlib import Path

import pytest

from codegen import api
from codegen.spec.io import SCHEMA_PATH, dump_spec, spec_json_schema
from corpus import GOLDEN, REFRESH, REPO, assert_tree_matches, corpus_file

# Relative URLs (from the repository root) keep the recorded source the same on every machine.
SOURCES = {
    "chinook": ("examples/chinook.sqlite", None),
    "sakila": ("../shared/corpus/db/sakila-sqlite/sakila.sqlite", "db/sakila-sqlite/sakila.sqlite"),
}


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run with the repository root as the working directory."""
    monkeypatch.chdir(REPO)
    return REPO


def _source(name: str) -> str:
    relative, corpus = SOURCES[name]
    if corpus:
        corpus_file(corpus)
    return f"sqlite:///{relative}"


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_spec_golden(name: str, in_repo: Path, update_goldens: bool) -> None:
    spec = api.reflect(_source(name), name=name)
    assert_tree_matches({f"{name}.yaml": dump_spec(spec)}, GOLDEN / "specs" / name, update_goldens)


@pytest.mark.parametrize("target", api.TARGETS)
@pytest.mark.parametrize("name", sorted(SOURCES))
def test_tree_golden(name: str, target: str, in_repo: Path, update_goldens: bool) -> None:
    spec = api.reflect(_source(name), name=name)
    files = api.generate_files(spec, target, {"auth": "apikey"})
    assert_tree_matches(files, GOLDEN / target / name, update_goldens)


def test_spec_json_schema_is_current(update_goldens: bool) -> None:
    current = spec_json_schema()
    if update_goldens:
        SCHEMA_PATH.write_text(current, encoding="utf-8")
    assert SCHEMA_PATH.read_text(encoding="utf-8") == current, f"codegen/spec/schema.json is stale: {REFRESH}"


@pytest.mark.parametrize("target", api.TARGETS)
def test_goldens_are_black_stable(
    target: str, in_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fast path (black only where a line is too long) equals running black on every file."""
    monkeypatch.setenv("CODEGEN_CACHE_DIR", str(tmp_path / "cache"))
    for name in sorted(SOURCES):
        spec = api.reflect(_source(name), name=name)
        fast = api.generate_files(spec, target, {"auth": "apikey"})
        strict = api.generate_files(spec, target, {"auth": "apikey"}, strict_format=True)
        differing = sorted(path for path in fast if fast[path] != strict[path])
        assert not differing, f"{name}: files black would change: {differing}"


def test_template_context_doc_is_complete_and_current(in_repo: Path, update_goldens: bool) -> None:
    from codegen.render.context import project_context
    from codegen.render.contextdoc import render_doc, undocumented

    for name in sorted(SOURCES):
        spec = api.reflect(_source(name), name=name)
        for target in api.TARGETS:
            assert undocumented(project_context(spec, {"auth": "apikey"}, target)) == []
    doc = REPO / "docs" / "templates.md"
    if update_goldens:
        doc.write_text(render_doc(), encoding="utf-8")
    assert doc.read_text(encoding="utf-8") == render_doc(), f"docs/templates.md is stale: {REFRESH}"


# API descriptions: the spec and the tree of each target, sources named relative to the repository root.
OPENAPI_SOURCES = {
    "petstore": "../shared/corpus/openapi/oai-examples/petstore.yaml",
    "petstore_expanded": "../shared/corpus/openapi/oai-examples/petstore-expanded.yaml",
    "spotify": "../shared/corpus/openapi/spotify/fixed-spotify-open-api.yml",
}


@pytest.mark.parametrize("name", sorted(OPENAPI_SOURCES))
def test_openapi_golden(name: str, in_repo: Path, update_goldens: bool) -> None:
    source = OPENAPI_SOURCES[name]
    corpus_file(source.removeprefix("../shared/corpus/"))
    spec = api.reflect(source, name=name)
    files = {"spec.yaml": dump_spec(spec)}
    for target in api.TARGETS:
        files.update({f"{target}/{path}": text for path, text in
                      api.generate_files(spec, target, {"auth": "apikey"}).items()})
    assert_tree_matches(files, GOLDEN / "openapi" / name, update_goldens)
