"""Regenerate after the database changed: hand edits kept, schema changes in, conflicts marked."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

import databases
from codegen.cli import app
from codegen.merge import OURS_MARK
from conftest import require_server

SCHEMA = [
    "CREATE TABLE artist (artist_id INTEGER PRIMARY KEY, name VARCHAR(120))",
    "CREATE TABLE album (album_id INTEGER PRIMARY KEY, title VARCHAR(160) NOT NULL,"
    " artist_id INTEGER NOT NULL REFERENCES artist (artist_id))",
    "CREATE TABLE genre (genre_id INTEGER PRIMARY KEY, name VARCHAR(120))",
    "CREATE TABLE obsolete (obsolete_id INTEGER PRIMARY KEY, note VARCHAR(20))",
]
CHANGES = [
    "ALTER TABLE artist ADD COLUMN country VARCHAR(60)",
    "CREATE TABLE label (label_id INTEGER PRIMARY KEY, name VARCHAR(80) NOT NULL,"
    " artist_id INTEGER REFERENCES artist (artist_id))",
    "ALTER TABLE album ADD COLUMN label_id INTEGER REFERENCES label (label_id)",
    "DROP TABLE obsolete",
]
runner = CliRunner()


def _execute(url: str, statements: list[str]) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.server)])
def source(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A small database in the dialect, created for this test and dropped after it."""
    if request.param == "sqlite":
        sqlite3.connect(tmp_path / "music.db").close()
        url = f"sqlite:///{tmp_path / 'music.db'}"
        _execute(url, SCHEMA)
        yield url
        return
    require_server("postgresql")
    name = f"cg_regen_{os.getpid()}"
    url = databases.create_database("postgresql", name)
    _execute(url, SCHEMA)
    yield url
    databases.drop_database("postgresql", name)


def _cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def _edit(path: Path, old: str, new: str) -> None:
    content = path.read_text()
    assert old in content, (path, old)
    path.write_text(content.replace(old, new, 1))


def test_regenerate_keeps_edits_and_takes_schema_changes(source: str, tmp_path: Path) -> None:
    project = tmp_path / "api"
    assert _cli("generate", source, "-o", str(project))[0] == 0
    assert _cli("check", str(project)) == (0, "up to date\n")
    _edit(project / "app/routes/album.py", '    """List album rows', '    # hand edit: keep me\n    """List album rows')
    _edit(project / "app/schemas/album.py", "that a client writes", "that a client writes (hand edited)")
    with (project / "README.md").open("a") as readme:
        readme.write("\nOur own notes.\n")
    (project / "tests/test_genre.py").unlink()
    _execute(source, CHANGES)

    code, output = _cli("check", str(project))
    assert code == 1 and "BREAKING: obsolete: resource removed" in output and "artist.country" in output
    code, output = _cli("diff", str(project), source)
    assert code == 1 and "obsolete: resource removed" in output

    code, output = _cli("regenerate", str(project))
    assert code == 0, output
    assert "# hand edit: keep me" in (project / "app/routes/album.py").read_text()
    assert "(hand edited)" in (project / "app/schemas/album.py").read_text()
    assert "Our own notes." in (project / "README.md").read_text()
    assert not (project / "tests/test_genre.py").exists()
    assert "country" in (project / "app/schemas/artist.py").read_text()
    assert "label_id" in (project / "app/schemas/album.py").read_text()
    assert (project / "app/routes/label.py").exists()
    assert not (project / "app/routes/obsolete.py").exists()
    assert "merged with your edits: app/routes/album.py" in output
    assert _cli("check", str(project)) == (0, "up to date\n")
    assert _cli("regenerate", str(project)) == (0, "up to date\n")


@pytest.mark.slow
def test_regenerated_project_passes_its_tests(source: str, tmp_path: Path) -> None:
    import harness

    project = tmp_path / "api"
    assert _cli("generate", source, "-o", str(project))[0] == 0
    _edit(project / "app/routes/album.py", '    """List album rows', '    # hand edit\n    """List album rows')
    _execute(source, CHANGES)
    assert _cli("regenerate", str(project))[0] == 0
    python = harness.install_project(project)
    completed = harness.run_project_tests(python, project)
    assert completed.returncode == 0, completed.stdout[-3000:]
    assert harness.passed_count(completed) > 0


def test_conflicting_edit_gets_markers_and_exit_1(source: str, tmp_path: Path) -> None:
    project = tmp_path / "api"
    assert _cli("generate", source, "-o", str(project))[0] == 0
    _edit(project / "app/schemas/artist.py", "    name: str | None\n", "    name: str | None  # shown as-is\n")
    _execute(source, CHANGES)
    code, output = _cli("regenerate", str(project))
    assert code == 1
    assert "CONFLICT" in output and "app/schemas/artist.py" in output
    merged = (project / "app/schemas/artist.py").read_text()
    assert OURS_MARK in merged and "# shown as-is" in merged and "country" in merged


def test_diff_exit_codes(tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    url = f"sqlite:///{old}"
    sqlite3.connect(old).close()
    _execute(url, SCHEMA)
    spec_old = tmp_path / "old.yaml"
    assert _cli("reflect", url, "-o", str(spec_old))[0] == 0
    _execute(url, ["ALTER TABLE artist ADD COLUMN country VARCHAR(60)"])
    code, output = _cli("diff", str(spec_old), url)
    assert (code, output) == (0, "compatible: artist.country: field added\n")
    assert _cli("diff", str(spec_old), str(spec_old)) == (0, "no API changes\n")
    _execute(url, ["DROP TABLE genre"])
    assert _cli("diff", str(spec_old), url)[0] == 1
    assert _cli("diff", str(spec_old), str(tmp_path / "missing.yaml"))[0] == 2


def _description(path: Path, operations: dict[str, str]) -> None:
    """A description of GET operations (path -> operationId) in one tag, none over a resource."""
    ok = {"200": {"description": "ok"}}
    paths = {route: {"get": {"operationId": op_id, "tags": ["misc"], "responses": ok}}
             for route, op_id in operations.items()}
    document = {"openapi": "3.0.3", "info": {"title": "ops", "version": "1"}, "paths": paths}
    path.write_text(json.dumps(document), encoding="utf-8")


@pytest.mark.parametrize("target", ["fastapi", "flask"])
def test_regenerate_never_touches_the_handlers(target: str, tmp_path: Path) -> None:
    description = tmp_path / "ops.json"
    _description(description, {"/ping": "ping"})
    project = tmp_path / "api"
    assert _cli("generate", str(description), "--target", target, "-o", str(project))[0] == 0
    handlers = project / "app/handlers/misc.py"
    _edit(handlers, '    raise NotImplementedOperation("ping")', '    return {"pong": True}  # by hand')
    edited = handlers.read_text()
    _description(description, {"/ping": "ping", "/status": "status"})

    code, output = _cli("regenerate", str(project))
    assert code == 0, output
    assert handlers.read_text() == edited  # the new handler is not added: `status` answers 501 until written
    operations = (project / "app/operations/misc.py").read_text()
    assert '"status"' in operations and "def status(" in operations
    assert _cli("check", str(project)) == (0, "up to date\n")
