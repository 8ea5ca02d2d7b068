"""A hand-written minimal Flask + SQLAlchemy 2 app over Chinook's Album table: the baseline.

What a developer would write by hand for the same two routes as the generated Flask app: a typed
model, a session per request closed at teardown, `limit`/`offset` checked (422 when out of range)
with a total count, a 404, and the row written out as a dict by hand. The JSON is the generated
app's: the same fields in the same order (`sort_keys` off), non-ASCII characters as they are.

Served the way the generated app's `python -m app` serves (gunicorn, gthread worker, the same
worker and thread count); bench/bench_throughput.py starts it.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, abort, g, request
from sqlalchemy import ForeignKey, Integer, String, create_engine, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

engine = create_engine(os.environ["DATABASE_URL"], connect_args={"check_same_thread": False})
SessionLocal = sessionmaker(bind=engine, expire_on_commit=False)


class Base(DeclarativeBase):
    """Declarative base."""


class Album(Base):
    """A row of Album."""

    __tablename__ = "Album"
    album_id: Mapped[int] = mapped_column("AlbumId", Integer(), primary_key=True)
    title: Mapped[str] = mapped_column("Title", String(160))
    artist_id: Mapped[int] = mapped_column("ArtistId", Integer(), ForeignKey("Artist.ArtistId"))


def album_json(album: Album) -> dict[str, Any]:
    """An album as JSON."""
    return {"album_id": album.album_id, "title": album.title, "artist_id": album.artist_id}


app = Flask(__name__)
app.json.sort_keys = False  # type: ignore[attr-defined]
app.json.ensure_ascii = False  # type: ignore[attr-defined]


def get_session() -> Session:
    """The request's session, opened on first use."""
    if "session" not in g:
        g.session = SessionLocal()
    return g.session


@app.teardown_appcontext
def close_session(_error: BaseException | None = None) -> None:
    """Close the request's session."""
    session = g.pop("session", None)
    if session is not None:
        session.close()


def int_arg(name: str, default: int, high: int | None = None) -> int:
    """A non-negative integer query parameter (at most `high`), else 422."""
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        abort(422)
    if value < 0 or (high is not None and value > high):
        abort(422)
    return value


@app.get("/album")
def list_album() -> dict[str, Any]:
    """List albums."""
    limit = int_arg("limit", 50, 1000)
    offset = int_arg("offset", 0)
    session = get_session()
    total = session.scalar(select(func.count()).select_from(Album)) or 0
    rows = session.scalars(select(Album).order_by(Album.album_id).limit(limit).offset(offset)).all()
    return {"items": [album_json(row) for row in rows], "total": total, "limit": limit, "offset": offset}


@app.get("/album/<int:album_id>")
def get_album(album_id: int) -> dict[str, Any]:
    """One album."""
    album = get_session().get(Album, album_id)
    if album is None:
        abort(404)
    return album_json(album)


@app.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness."""
    return {"status": "ok"}
