"""SQLite tables kept between reflections (codegen/reflect/sqlite_catalog.py `TableMemo`): a reflection
that reuses them equals one without any cache, after every kind of schema change."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from codegen.reflect import sqlite_catalog
from codegen.reflect.database import reflect_database
from corpus import REPO
from databases import sqlite_file

SCHEMA = """
CREATE TABLE artist (artist_id INTEGER PRIMARY KEY, name VARCHAR(120) NOT NULL);
CREATE TABLE album (album_id INTEGER PRIMARY KEY, title VARCHAR(160) NOT NULL,
    artist_id INTEGER NOT NULL REFERENCES artist);
CREATE TABLE track (track_id INTEGER PRIMARY KEY, name VARCHAR(200) NOT NULL UNIQUE,
    album_id INTEGER REFERENCES album (album_id) ON DELETE CASCADE, price NUMERIC(10, 2), kind UUID);
CREATE INDEX ix_track_album ON track (album_id);
CREATE VIEW album_titles AS SELECT album_id, title FROM album;
"""
CHANGES = [
    "ALTER TABLE track ADD COLUMN note VARCHAR(40)",
    "CREATE UNIQUE INDEX ux_album_title ON album (title)",
    "DROP INDEX ix_track_album",
    "ALTER TABLE album RENAME COLUMN title TO name",  # the view follows
    # the key of artist changes: album's foreign key names no column, so it follows artist's key
    "CREATE TABLE artist2 (code VARCHAR(10) PRIMARY KEY, name VARCHAR(120) NOT NULL); DROP TABLE artist;"
    " ALTER TABLE artist2 RENAME TO artist",
    "CREATE TABLE label (label_id INTEGER PRIMARY KEY)",
    "DROP VIEW album_titles",
]


pytestmark = pytest.mark.usefixtures("own_cache")


def _uncached(url: str, monkeypatch: pytest.MonkeyPatch, folder: Path) -> object:
    with monkeypatch.context() as patch:
        patch.setenv("CODEGEN_CACHE_DIR", str(folder))
        return reflect_database(url)


def _reflected_anew(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the tables the next reflections read from the database rather than the cache."""
    names: list[str] = []
    original = sqlite_catalog.TableMemo.keep

    def keep(self: sqlite_catalog.TableMemo, tables: list) -> None:  # type: ignore[type-arg]
        names.extend(t.name for t in tables if id(t) not in self.reused)
        original(self, tables)

    monkeypatch.setattr(sqlite_catalog.TableMemo, "keep", keep)
    return names


@pytest.mark.parametrize("number", range(len(CHANGES)))
def test_a_reflection_after_a_change_equals_one_without_cache(number: int, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    url = sqlite_file(tmp_path / "music.db", SCHEMA)
    first = reflect_database(url)
    assert first == _uncached(url, monkeypatch, tmp_path / "empty-0")
    anew = _reflected_anew(monkeypatch)
    assert reflect_database(url) == first and anew == []  # every table from the cache
    connection = sqlite3.connect(tmp_path / "music.db")
    connection.executescript(CHANGES[number])
    connection.close()
    second = reflect_database(url)
    again = list(anew)
    assert second == _uncached(url, monkeypatch, tmp_path / "empty-1")
    assert second != first
    assert len(again) < len(second.tables) or number == 4, again


def test_only_the_changed_table_is_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = sqlite_file(tmp_path / "music.db", SCHEMA)
    reflect_database(url)
    connection = sqlite3.connect(tmp_path / "music.db")
    connection.execute("ALTER TABLE track ADD COLUMN note VARCHAR(40)")
    connection.close()
    anew = _reflected_anew(monkeypatch)
    info = reflect_database(url)
    assert anew == ["track"]
    assert "note" in [c.name for c in next(t for t in info.tables if t.name == "track").columns]


@pytest.mark.parametrize("kind", ["chinook", "hard"])
def test_sample_databases_reflect_the_same_from_the_cache(kind: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    if kind == "chinook":
        url = f"sqlite:///{REPO / 'examples' / 'chinook.sqlite'}"
    else:
        url = sqlite_file(tmp_path / "hard.sqlite", (REPO / "tests/fixtures/hard/sqlite.sql").read_text(encoding="utf-8"))
    first = reflect_database(url)
    anew = _reflected_anew(monkeypatch)
    assert reflect_database(url) == first
    assert anew == []

