# Created by codegen; yours to edit: `codegen regenerate .` never overwrites it.
"""Handlers of the Shows operations: yours; `codegen regenerate` never overwrites them.

Each function receives the validated parameters (and `body`) and returns a value, sent as
JSON with the operation's success status, or a Response. Until it does, the operation
answers 501 (problem+json).
"""

from __future__ import annotations

from typing import Any

from app import components
from app.runtime import NotImplementedOperation


def get_a_show(*, id: str, market: str | None = None) -> Any:
    """GET /shows/{id}: Get Show."""
    raise NotImplementedOperation("get-a-show")


def get_multiple_shows(*, ids: str, market: str | None = None) -> Any:
    """GET /shows: Get Several Shows."""
    raise NotImplementedOperation("get-multiple-shows")


def get_a_shows_episodes(
    *,
    id: str,
    market: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Any:
    """GET /shows/{id}/episodes: Get Show Episodes."""
    raise NotImplementedOperation("get-a-shows-episodes")


def get_users_saved_shows(
    *,
    limit: int | None = None,
    offset: int | None = None,
) -> Any:
    """GET /me/shows: Get User's Saved Shows."""
    raise NotImplementedOperation("get-users-saved-shows")


def save_shows_user(
    *,
    body: components.SaveShowsUserBody | None = None,
    ids: str,
) -> Any:
    """PUT /me/shows: Save Shows for Current User."""
    raise NotImplementedOperation("save-shows-user")


def remove_shows_user(
    *,
    body: components.RemoveShowsUserBody | None = None,
    ids: str,
    market: str | None = None,
) -> Any:
    """DELETE /me/shows: Remove User's Saved Shows."""
    raise NotImplementedOperation("remove-shows-user")


def check_users_saved_shows(*, ids: str) -> Any:
    """GET /me/shows/contains: Check User's Saved Shows."""
    raise NotImplementedOperation("check-users-saved-shows")
