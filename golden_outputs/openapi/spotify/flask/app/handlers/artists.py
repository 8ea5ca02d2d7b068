# Created by codegen; yours to edit: `codegen regenerate .` never overwrites it.
"""Handlers of the Artists operations: yours; `codegen regenerate` never overwrites them.

Each function receives the validated parameters (and `body`) and returns a value, sent as
JSON with the operation's success status, or a Response. Until it does, the operation
answers 501 (problem+json).
"""

from __future__ import annotations

from typing import Any

from app.runtime import NotImplementedOperation


def get_an_artist(*, id: str) -> Any:
    """GET /artists/{id}: Get Artist."""
    raise NotImplementedOperation("get-an-artist")


def get_multiple_artists(*, ids: str) -> Any:
    """GET /artists: Get Several Artists."""
    raise NotImplementedOperation("get-multiple-artists")


def get_an_artists_albums(
    *,
    id: str,
    include_groups: str | None = None,
    market: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Any:
    """GET /artists/{id}/albums: Get Artist's Albums."""
    raise NotImplementedOperation("get-an-artists-albums")


def get_an_artists_top_tracks(*, id: str, market: str | None = None) -> Any:
    """GET /artists/{id}/top-tracks: Get Artist's Top Tracks."""
    raise NotImplementedOperation("get-an-artists-top-tracks")


def get_an_artists_related_artists(*, id: str) -> Any:
    """GET /artists/{id}/related-artists: Get Artist's Related Artists."""
    raise NotImplementedOperation("get-an-artists-related-artists")
