"""A hand-written minimal FastAPI + SQLAlchemy app over Chinook's Album table: the baseline.

What a developer would write by hand for the same two routes: a typed model, a response schema,
a session dependency, `limit`/`offset` with a total count, and a 404.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Query
from pydantic import BaseModel, ConfigDict
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


class AlbumOut(BaseModel):
    """An album."""

    model_config = ConfigDict(from_attributes=True)
    album_id: int
    title: str
    artist_id: int


class AlbumPage(BaseModel):
    """A page of albums."""

    items: list[AlbumOut]
    total: int
    limit: int
    offset: int


def get_session() -> Iterator[Session]:
    """One session per request."""
    with SessionLocal() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
app = FastAPI()


@app.get("/album", response_model=AlbumPage)
def list_album(
    session: SessionDep,
    limit: Annotated[int, Query(ge=0, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> AlbumPage:
    """List albums."""
    total = session.scalar(select(func.count()).select_from(Album)) or 0
    rows = session.scalars(select(Album).order_by(Album.album_id).limit(limit).offset(offset)).all()
    return AlbumPage(items=[AlbumOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset)


@app.get("/album/{album_id}", response_model=AlbumOut)
def get_album(album_id: int, session: SessionDep) -> AlbumOut:
    """One album."""
    album = session.get(Album, album_id)
    if album is None:
        raise HTTPException(404)
    return AlbumOut.model_validate(album)


@app.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness."""
    return {"status": "ok"}
