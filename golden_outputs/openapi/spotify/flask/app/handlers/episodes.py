# Created by codegen; yours to edit: `codegen regenerate .` never overwrites it.
"""Handlers of the Episodes operations: yours; `codegen regenerate` never overwrites them.

Each function receives the validated parameters (and `body`) and returns a value, sent as
JSON with the operation's success status, or a Response. Until it does, the operation
answers 501 (problem+json).
"""

from __future__ import annotations

from typing import Any

from app import components
from app.runtime import NotImplementedOperation


def get_an_episode(*, id: str, market: str | None = None) -> Any:
    """GET /episodes/{id}: Get Episode."""
    raise NotImplementedOperation("get-an-episode")


def get_multiple_episodes(*, ids: str, market: str | None = None) -> Any:
    """GET /episodes: Get Several Episodes."""
    raise NotImplementedOperation("get-multiple-episodes")


def get_users_saved_episodes(
    *,
    market: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Any:
    """GET /me/episodes: Get User's Saved Episodes."""
    raise NotImplementedOperation("get-users-saved-episodes")


def save_episodes_user(
    *,
    body: components.SaveEpisodesUserBody | None = None,
    ids: str,
) -> Any:
    """PUT /me/episodes: Save Episodes for Current User."""
    raise NotImplementedOperation("save-episodes-user")


def remove_episodes_user(
    *,
    body: components.RemoveEpisodesUserBody | None = None,
    ids: str,
) -> Any:
    """DELETE /me/episodes: Remove User's Saved Episodes."""
    raise NotImplementedOperation("remove-episodes-user")


def check_users_saved_episodes(*, ids: str) -> Any:
    """GET /me/episodes/contains: Check User's Saved Episodes."""
    raise NotImplementedOperation("check-users-saved-episodes")
