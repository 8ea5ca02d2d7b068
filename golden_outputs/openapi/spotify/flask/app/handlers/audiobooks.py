# Created by codegen; yours to edit: `codegen regenerate .` never overwrites it.
"""Handlers of the Audiobooks operations: yours; `codegen regenerate` never overwrites them.

Each function receives the validated parameters (and `body`) and returns a value, sent as
JSON with the operation's success status, or a Response. Until it does, the operation
answers 501 (problem+json).
"""

from __future__ import annotations

from typing import Any

from app.runtime import NotImplementedOperation


def get_an_audiobook(*, id: str, market: str | None = None) -> Any:
    """GET /audiobooks/{id}: Get an Audiobook."""
    raise NotImplementedOperation("get-an-audiobook")


def get_multiple_audiobooks(*, ids: str, market: str | None = None) -> Any:
    """GET /audiobooks: Get Several Audiobooks."""
    raise NotImplementedOperation("get-multiple-audiobooks")


def get_audiobook_chapters(
    *,
    id: str,
    market: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Any:
    """GET /audiobooks/{id}/chapters: Get Audiobook Chapters."""
    raise NotImplementedOperation("get-audiobook-chapters")


def get_users_saved_audiobooks(
    *,
    limit: int | None = None,
    offset: int | None = None,
) -> Any:
    """GET /me/audiobooks: Get User's Saved Audiobooks."""
    raise NotImplementedOperation("get-users-saved-audiobooks")


def save_audiobooks_user(*, ids: str) -> Any:
    """PUT /me/audiobooks: Save Audiobooks for Current User."""
    raise NotImplementedOperation("save-audiobooks-user")


def remove_audiobooks_user(*, ids: str) -> Any:
    """DELETE /me/audiobooks: Remove User's Saved Audiobooks."""
    raise NotImplementedOperation("remove-audiobooks-user")


def check_users_saved_audiobooks(*, ids: str) -> Any:
    """GET /me/audiobooks/contains: Check User's Saved Audiobooks."""
    raise NotImplementedOperation("check-users-saved-audiobooks")
