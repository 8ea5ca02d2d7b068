"""codegen's caches make check and regenerate fast, and never answer for a source that changed."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from codegen import api, cache, update
from codegen.cli import app
from codegen.format import needs_black
from codegen.spec.io import spec_to_data
from codegen.spec.model import Spec
from corpus import REPO
from databases import sqlite_file

runner = CliRunner()
SCHEMA = """
CREATE TABLE artist (artist_id INTEGER PRIMARY KEY, name VARCHAR(120));
CREATE TABLE album (album_id INTEGER PRIMARY KEY, title VARCHAR(160) NOT NULL,
    artist_id INTEGER NOT NULL REFERENCES artist (artist_id));
CREATE TABLE note (note_id INTEGER PRIMARY KEY, body TEXT);
"""
# Each change alone, on a fresh database: after the caches were filled, check must answer as a run
# without any cache does (a plain index is in the spec but in no generated file: still "up to date").
CHANGES = [
    "ALTER TABLE artist ADD COLUMN country VARCHAR(60)",
    "CREATE UNIQUE INDEX ux_artist_name ON artist (name)",
    "CREATE INDEX ix_album_title ON album (title)",
    "ALTER TABLE album RENAME COLUMN title TO name",
    "CREATE TABLE label (label_id INTEGER PRIMARY KEY, name VARCHAR(80) NOT NULL)",
    "DROP TABLE note",
    "CREATE VIEW album_titles AS SELECT album_id, title FROM album",
    # a type change: SQLite rebuilds the table
    "CREATE TABLE note2 (note_id INTEGER PRIMARY KEY, body VARCHAR(10)); DROP TABLE note;"
    " ALTER TABLE note2 RENAME TO note",
]
SEEN_BY_CLIENTS = {0, 1, 3, 4, 5, 6, 7}  # changes of the API: check exits 1


pytestmark = pytest.mark.usefixtures("own_cache")


def _db(path: Path, script: str = SCHEMA) -> str:
    return sqlite_file(path, script)


def _rendered_projects(folder: Path) -> int:
    """How many rendered projects the cache holds (rows of the memo table)."""
    connection = sqlite3.connect(folder / cache._MEMO_FILE)
    try:
        return connection.execute("SELECT count(*) FROM memo WHERE kind = ?", (cache._RENDER_FORMAT,)).fetchone()[0]
    finally:
        connection.close()


def _cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def _uncached_check(project: Path, monkeypatch: pytest.MonkeyPatch, folder: Path) -> tuple[int, str]:
    with monkeypatch.context() as patch:
        patch.setenv("CODEGEN_CACHE_DIR", str(folder))
        return _cli("check", str(project))


@pytest.mark.parametrize("number", range(len(CHANGES)))
def test_check_sees_every_schema_change_after_cached_runs(number: int, tmp_path: Path, own_cache: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    change = CHANGES[number]
    url = _db(tmp_path / "music.db")
    project = tmp_path / "api"
    assert _cli("generate", url, "-o", str(project))[0] == 0
    assert _cli("check", str(project)) == (0, "up to date\n")
    assert _cli("check", str(project)) == (0, "up to date\n")  # every cache filled and used
    assert list((own_cache / "reflect-1").iterdir()) and _rendered_projects(own_cache) == 1
    connection = sqlite3.connect(tmp_path / "music.db")
    connection.executescript(change)
    connection.close()
    code, output = _cli("check", str(project))
    assert (code, output) == _uncached_check(project, monkeypatch, tmp_path / "empty-cache")
    assert code == (1 if number in SEEN_BY_CLIENTS else 0), (change, output)
    assert _cli("regenerate", str(project))[0] == 0
    assert _cli("check", str(project)) == (0, "up to date\n")
    assert _uncached_check(project, monkeypatch, tmp_path / "empty-cache-2") == (0, "up to date\n")


def test_regenerate_from_caches_writes_what_a_fresh_run_writes(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    url = _db(tmp_path / "music.db")
    first, second = tmp_path / "first", tmp_path / "second"
    assert _cli("generate", url, "-o", str(first))[0] == 0
    assert _cli("generate", url, "-o", str(second))[0] == 0
    connection = sqlite3.connect(tmp_path / "music.db")
    connection.executescript(CHANGES[0] + ";" + CHANGES[4])
    connection.close()
    assert _cli("check", str(first))[0] == 1  # fills the caches with the new spec's render
    cached = _cli("regenerate", str(first))
    with monkeypatch.context() as patch:
        patch.setenv("CODEGEN_CACHE_DIR", str(tmp_path / "empty-cache"))
        fresh = _cli("regenerate", str(second))
    assert cached == fresh
    files = sorted(p.relative_to(first).as_posix() for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second).as_posix() for p in second.rglob("*") if p.is_file())
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_template_override_changes_reach_check(tmp_path: Path) -> None:
    url = _db(tmp_path / "music.db")
    overrides = tmp_path / "overrides"
    (overrides / "app").mkdir(parents=True)
    (overrides / "app" / "extra.py.jinja").write_text('"""one"""\n', encoding="utf-8")
    project = tmp_path / "api"
    assert _cli("generate", url, "-o", str(project), "--templates", str(overrides))[0] == 0
    assert _cli("check", str(project)) == (0, "up to date\n")
    (overrides / "app" / "extra.py.jinja").write_text('"""two"""\n', encoding="utf-8")
    code, output = _cli("check", str(project))
    assert code == 1 and "app/extra.py" in output


def test_render_key_covers_inputs(tmp_path: Path) -> None:
    spec = api.reflect(f"sqlite:///{REPO / 'examples' / 'chinook.sqlite'}")
    data = spec_to_data(spec)
    key = cache.render_key(data, "fastapi", {"auth": "apikey"}, None)
    assert key == cache.render_key(data, "fastapi", {"auth": "apikey"}, None)
    assert key != cache.render_key(data, "flask", {"auth": "apikey"}, None)
    assert key != cache.render_key(data, "fastapi", {"auth": "none"}, None)
    assert key != cache.render_key(data, "fastapi", {"auth": "apikey"}, tmp_path)
    other = json.loads(json.dumps(data))
    other["resources"][0]["fields"][0]["db_type"] = "BIGINT"
    assert key != cache.render_key(other, "fastapi", {"auth": "apikey"}, None)


def test_corrupt_cache_entries_are_ignored(tmp_path: Path, own_cache: Path) -> None:
    url = _db(tmp_path / "music.db")
    project = tmp_path / "api"
    assert _cli("generate", url, "-o", str(project))[0] == 0
    assert _cli("check", str(project)) == (0, "up to date\n")
    for entry in own_cache.glob("re*-1/*.json.z"):
        entry.write_bytes(b"not zlib")
    with sqlite3.connect(own_cache / cache._MEMO_FILE) as connection:  # every value of the memo table
        connection.execute("UPDATE memo SET value = ?", (b"not marshal",))
    connection.close()
    assert _cli("check", str(project)) == (0, "up to date\n")


def test_cached_files_equal_a_fresh_render(tmp_path: Path) -> None:
    spec = api.reflect(_db(tmp_path / "music.db"))
    first = api.generate_files(spec, "fastapi", {"auth": "apikey"})
    assert _rendered_projects(cache.cache_root()) == 1
    assert api.generate_files(spec, "fastapi", {"auth": "apikey"}) == first
    assert api.generate_files(spec, "fastapi", {"auth": "apikey"}, metadata=False) == {
        path: text for path, text in first.items() if not path.startswith(".codegen/")}


@pytest.mark.parametrize("source", ["chinook", "hard"])
def test_spec_data_round_trips_through_the_reflection_cache(
    source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if source == "chinook":
        url = f"sqlite:///{REPO / 'examples' / 'chinook.sqlite'}"
    else:
        script = (REPO / "tests/fixtures/hard/sqlite.sql").read_text(encoding="utf-8")
        url = _db(tmp_path / "hard.sqlite", script)
    spec = api.reflect(url)
    assert Spec.model_validate(spec_to_data(spec)) == spec
    arguments = {"schemas": None, "include": None, "exclude": None, "name": None, "etl": False}
    assert update._reflect(url, arguments) == spec  # miss: reflects and stores
    assert list((cache.cache_root() / update._REFLECT_CACHE).glob("*.json.z"))
    monkeypatch.setattr(api, "reflect", lambda *_args, **_kwargs: pytest.fail("reflected again"))
    assert update._reflect(url, arguments) == spec  # hit: the stored data, read back


def test_builtin_template_root_is_the_renderers() -> None:
    from codegen.render.env import builtin_templates

    assert cache.builtin_templates_root() == builtin_templates()


@pytest.mark.parametrize("source", [
    "x = 1\n",
    "# " + "x" * 100 + "\n",
    "x = '" + "a" * 95 + "'\n",
    "x = '" + "a" * 50 + "\u2028" + "a" * 50 + "'\n",
    "x = '" + "a" * 50 + "\r" + "a" * 50 + "'\n",
    "x = 1\r" + "y = " + "1 + " * 30 + "1\n",
])
def test_needs_black_prefilter_agrees_with_the_line_rule(source: str) -> None:
    from codegen.format import LINE_LENGTH, _black_keeps

    expected = any(len(line) > LINE_LENGTH and not _black_keeps(line) for line in source.splitlines())
    assert needs_black(source) == expected


def test_black_cache_folder_named_without_importing_black() -> None:
    from codegen.format import black_version

    assert cache.installed_version("black") == black_version()
