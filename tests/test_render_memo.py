"""The render memo (codegen/render/project.py): a render that reuses earlier template outputs and resource
contexts gives, byte for byte, what a render without any cache gives; and nothing it keeps outlives a
change of what it was computed from (the spec, a template, an override)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from codegen import api, cache
from codegen.render import env as render_env
from codegen.render import project as render_project_module
from codegen.render.context import resource_entry, resource_inputs
from codegen.render.project import render_project
from codegen.render.samples import sample_plan
from codegen.spec.io import read_spec
from codegen.spec.model import Spec
from corpus import REPO
from databases import sqlite_file

SCHEMA = """
CREATE TABLE artist (artist_id INTEGER PRIMARY KEY, name VARCHAR(120) NOT NULL);
CREATE TABLE album (album_id INTEGER PRIMARY KEY, title VARCHAR(160) NOT NULL,
    artist_id INTEGER NOT NULL REFERENCES artist (artist_id));
CREATE TABLE track (track_id INTEGER PRIMARY KEY, name VARCHAR(200) NOT NULL,
    album_id INTEGER NOT NULL REFERENCES album (album_id));
CREATE TABLE note (note_id INTEGER PRIMARY KEY, body TEXT);
"""


@pytest.fixture(autouse=True)
def fresh_memo(own_cache: Path) -> Path:
    """An empty cache folder and nothing kept in the process."""
    render_project_module._LOCAL.clear()
    return own_cache


def _db(path: Path, script: str = SCHEMA) -> str:
    return sqlite_file(path, script)


def _fresh(spec: Spec, target: str, options: dict[str, object], overrides: Path | None,
           monkeypatch: pytest.MonkeyPatch, folder: Path) -> dict[str, str]:
    """The render with an empty cache and nothing kept in the process."""
    saved = dict(render_project_module._LOCAL)
    render_project_module._LOCAL.clear()
    try:
        with monkeypatch.context() as patch:
            patch.setenv("CODEGEN_CACHE_DIR", str(folder))
            return render_project(spec, target, options, overrides)
    finally:
        render_project_module._LOCAL.clear()
        render_project_module._LOCAL.update(saved)


def _sample_specs(tmp_path: Path) -> list[Spec]:
    specs = [read_spec(REPO / "golden_outputs/specs" / name / f"{name}.yaml") for name in ("chinook", "sakila")]
    hard = (REPO / "tests/fixtures/hard/sqlite.sql").read_text(encoding="utf-8")
    specs.append(api.reflect(_db(tmp_path / "hard.sqlite", hard)))
    specs.append(api.reflect(_db(tmp_path / "music.sqlite")))
    return specs


@pytest.mark.parametrize("target", ["fastapi", "flask"])
def test_a_resource_entry_reads_nothing_beyond_its_inputs(target: str, tmp_path: Path) -> None:
    """`resource_inputs` names what `resource_entry` reads: the resource, the resources its many-to-one
    relationships point at, its sample plan, the source. The entry computed from a spec holding only
    those resources (and another name, no ETL jobs, no diagnostics) is the same."""
    for spec in _sample_specs(tmp_path):
        samples = sample_plan(spec)
        assert resource_inputs(spec, samples, "apikey", target) is not None
        for resource in spec.resources:
            names = dict.fromkeys(r.target for r in resource.relationships if r.kind == "many_to_one")
            kept = [resource, *[spec.resource(name) for name in names if name != resource.name]]
            alone = spec.model_copy(update={"resources": kept, "name": "other", "etl": [], "diagnostics": []})
            assert resource_entry(alone, resource, samples, "apikey", target) == resource_entry(
                spec, resource, samples, "apikey", target), (spec.name, resource.name)


def test_specs_of_api_descriptions_have_no_per_resource_inputs() -> None:
    spec = read_spec(REPO / "golden_outputs/openapi/petstore/spec.yaml")
    assert spec.api is not None
    assert resource_inputs(spec, sample_plan(spec)) is None


def _edited(spec: Spec, name: str, **changes: object) -> Spec:
    resources = [r.model_copy(update=changes) if r.name == name else r for r in spec.resources]
    return spec.model_copy(update={"resources": resources})


@pytest.mark.parametrize("change", ["column", "parent_path", "grandparent_read_only", "parent_key_field",
                                    "dropped_table"])
def test_a_render_after_a_change_equals_a_fresh_render(change: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    url = _db(tmp_path / "music.db")
    spec = api.reflect(url)
    options = {"auth": "apikey"}
    first = render_project(spec, "fastapi", options)
    assert first == _fresh(spec, "fastapi", options, None, monkeypatch, tmp_path / "empty-0")
    if change == "column":
        connection = sqlite3.connect(tmp_path / "music.db")
        connection.execute("ALTER TABLE album ADD COLUMN released DATE")
        connection.close()
        changed = api.reflect(url)
    elif change == "parent_path":  # the nested routes and samples of album and track name it
        changed = _edited(spec, "artist", path="/performers")
    elif change == "grandparent_read_only":  # tracks need an album, which needs an artist: none creatable
        changed = _edited(spec, "artist", read_only=True)
    elif change == "parent_key_field":
        album = spec.resource("album")
        fields = [f.model_copy(update={"attribute": "album_key"}) if f.name == "album_id" else f
                  for f in album.fields]
        changed = _edited(spec, "album", fields=fields)
    else:
        changed = spec.model_copy(update={"resources": [r for r in spec.resources if r.name != "note"]})
    second = render_project(changed, "fastapi", options)
    assert second == _fresh(changed, "fastapi", options, None, monkeypatch, tmp_path / "empty-1")
    assert second != first
    if change == "grandparent_read_only":  # track's own spec is unchanged; its tests are not
        assert second["tests/test_track.py"] != first["tests/test_track.py"]


def test_only_the_changed_table_is_rendered_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = _db(tmp_path / "music.db")
    render_project(api.reflect(url), "fastapi", {"auth": "apikey"})
    connection = sqlite3.connect(tmp_path / "music.db")
    connection.execute("ALTER TABLE note ADD COLUMN title VARCHAR(40)")
    connection.close()
    rendered: list[str] = []
    original = render_project_module._render_uncached

    def spy(env: object, planned: render_project_module.PlannedFile, context: dict[str, object]) -> str:
        rendered.append(planned.path)
        return original(env, planned, context)  # type: ignore[arg-type]

    monkeypatch.setattr(render_project_module, "_render_uncached", spy)
    render_project_module._LOCAL.clear()  # from the cache on disk, as a new process
    files = render_project(api.reflect(url), "fastapi", {"auth": "apikey"})
    assert "title" in files["app/models/note.py"]
    assert "app/models/note.py" in rendered and "tests/test_note.py" in rendered
    assert not [path for path in rendered if "artist" in path or "album" in path or "track" in path]
    assert len(rendered) < len(files) / 4


@pytest.mark.parametrize("edited", ["template", "partial"])
def test_an_edited_override_is_rendered_again(edited: str, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """An override of a per-resource template, and a partial it includes: editing either shows."""
    spec = api.reflect(_db(tmp_path / "music.db"))
    name = "app/models/{% yield resource from resources %}{{ resource.module }}{% endyield %}.py.jinja"
    partial = "_partials/extra.py.jinja"
    overrides = tmp_path / "overrides"
    (overrides / name).parent.mkdir(parents=True)
    (overrides / partial).parent.mkdir(parents=True)
    source = (render_env.builtin_templates() / "fastapi" / name).read_text(encoding="utf-8")
    (overrides / name).write_text(source + '{% include "' + partial + '" %}', encoding="utf-8")
    (overrides / partial).write_text("# one\n", encoding="utf-8")
    options = {"auth": "apikey"}
    first = render_project(spec, "fastapi", options, overrides)
    assert first["app/models/album.py"].endswith("# one\n")
    if edited == "template":
        (overrides / name).write_text(source + "# two\n", encoding="utf-8")
    else:
        (overrides / partial).write_text("# two\n", encoding="utf-8")
    second = render_project(spec, "fastapi", options, overrides)
    assert second["app/models/album.py"].endswith("# two\n")
    assert second == _fresh(spec, "fastapi", options, overrides, monkeypatch, tmp_path / "empty")
    render_project_module._LOCAL.clear()  # and from the cache on disk alone
    assert render_project(spec, "fastapi", options, overrides) == second


def test_an_edited_builtin_template_is_rendered_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "templates"
    shutil.copytree(render_env.builtin_templates(), copy, symlinks=False)
    monkeypatch.setattr(render_env, "builtin_templates", lambda: copy)
    monkeypatch.setattr(render_project_module, "builtin_templates", lambda: copy)
    monkeypatch.setattr(cache, "builtin_templates_root", lambda: copy)
    spec = api.reflect(_db(tmp_path / "music.db"))
    options = {"auth": "apikey"}
    first = render_project(spec, "fastapi", options)
    name = copy / "fastapi/app/models/{% yield resource from resources %}{{ resource.module }}{% endyield %}.py.jinja"
    name.write_text(name.read_text(encoding="utf-8") + "# edited template\n", encoding="utf-8")
    render_project_module._LOCAL.clear()
    second = render_project(spec, "fastapi", options)
    assert second["app/models/album.py"].endswith("# edited template\n")
    assert not first["app/models/album.py"].endswith("# edited template\n")
    assert {p for p in first if first[p] != second[p]} == {p for p in first if p.startswith("app/models/")
                                                          and p != "app/models/__init__.py"}


def test_a_broken_memo_table_only_costs_time(tmp_path: Path, own_cache: Path) -> None:
    spec = api.reflect(_db(tmp_path / "music.db"))
    first = render_project(spec, "flask", {"auth": "none"})
    table = own_cache / cache._MEMO_FILE
    assert table.is_file()
    for path in own_cache.glob(cache._MEMO_FILE + "*"):
        path.write_bytes(b"not a database" * 100)
    render_project_module._LOCAL.clear()
    assert render_project(spec, "flask", {"auth": "none"}) == first
    assert cache.memo_load("output", ["x"]) == {}
    assert cache.memo_store("output", {"x": "y"}) is False


def test_the_memo_table_keeps_its_newest_rows(tmp_path: Path) -> None:
    assert cache.memo_store("output", {f"k{i}": f"v{i}" for i in range(5)}, keep=8)
    assert cache.memo_store("output", {f"n{i}": f"w{i}" for i in range(5)}, keep=8)
    found = cache.memo_load("output", [f"k{i}" for i in range(5)] + [f"n{i}" for i in range(5)])
    assert len(found) == 8 and all(found[f"n{i}"] == f"w{i}" for i in range(5))


def test_a_template_reads_what_its_includes_read(tmp_path: Path) -> None:
    (tmp_path / "_partials").mkdir()
    (tmp_path / "page.jinja").write_text('{{ resource.name }}{% include "_partials/list.jinja" %}', encoding="utf-8")
    (tmp_path / "_partials" / "list.jinja").write_text("{% for r in resources %}{{ r.name }}{% endfor %}",
                                                       encoding="utf-8")
    (tmp_path / "dynamic.jinja").write_text("{% include name %}", encoding="utf-8")
    (tmp_path / "broken.jinja").write_text("{% if %}", encoding="utf-8")
    env = render_env.make_environment([tmp_path])
    reads = render_project_module._template_reads(env, ["page.jinja", "dynamic.jinja", "broken.jinja"])
    assert reads["page.jinja"] == {"resource", "resources"}
    assert reads["dynamic.jinja"] is None and reads["broken.jinja"] is None


def test_memo_values_of_the_wrong_type_are_ignored(tmp_path: Path, own_cache: Path) -> None:
    spec = api.reflect(_db(tmp_path / "music.db"))
    first = render_project(spec, "fastapi", {"auth": "apikey"})
    connection = sqlite3.connect(own_cache / cache._MEMO_FILE)
    with connection:
        connection.execute("UPDATE memo SET value = CASE WHEN typeof(value) = 'text' THEN x'00' ELSE 'text' END")
    connection.close()
    render_project_module._LOCAL.clear()
    assert render_project(spec, "fastapi", {"auth": "apikey"}) == first
