# Created by codegen; yours to edit: `codegen regenerate .` never overwrites it.
"""Handlers of the Albums operations: yours; `codegen regenerate` never overwrites them.

Each function receives the validated parameters (and `body`) and returns a value, sent as
JSON with the operation's success status, or a Response. Until it does, the operation
answers 501 (problem+json).
"""

from __future__ import annotations

from typing import Any

from app import components
from app.runtime import NotImplementedOperation


def get_an_album(*, id: str, market: str | None = None) -> Any:
    """GET /albums/{id}: Get Album."""
    raise NotImplementedOperation("get-an-album")


def get_multiple_albums(*, ids: str, market: str | None = None) -> Any:
    """GET /albums: Get Several Albums."""
    raise NotImplementedOperation("get-multiple-albums")


def get_an_albums_tracks(
    *,
    id: str,
    market: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Any:
    """GET /albums/{id}/tracks: Get Album Tracks."""
    raise NotImplementedOperation("get-an-albums-tracks")


def get_users_saved_albums(
    *,
    limit: int | None = None,
    offset: int | None = None,
    market: str | None = None,
) -> Any:
    """GET /me/albums: Get User's Saved Albums."""
    raise NotImplementedOperation("get-users-saved-albums")


def save_albums_user(
    *,
    body: components.SaveAlbumsUserBody | None = None,
    ids: str,
) -> Any:
    """PUT /me/albums: Save Albums for Current User."""
    raise NotImplementedOperation("save-albums-user")


def remove_albums_user(
    *,
    body: components.RemoveAlbumsUserBody | None = None,
    ids: str,
) -> Any:
    """DELETE /me/albums: Remove Users' Saved Albums."""
    raise NotImplementedOperation("remove-albums-user")


def check_users_saved_albums(*, ids: str) -> Any:
    """GET /me/albums/contains: Check User's Saved Albums."""
    raise NotImplementedOperation("check-users-saved-albums")


def get_new_releases(*, limit: int | None = None, offset: int | None = None) -> Any:
    """GET /browse/new-releases: Get New Releases."""
    raise NotImplementedOperation("get-new-releases")
