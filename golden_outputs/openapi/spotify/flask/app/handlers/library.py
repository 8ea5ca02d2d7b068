# Created by codegen; yours to edit: `codegen regenerate .` never overwrites it.
"""Handlers of the Library operations: yours; `codegen regenerate` never overwrites them.

Each function receives the validated parameters (and `body`) and returns a value, sent as
JSON with the operation's success status, or a Response. Until it does, the operation
answers 501 (problem+json).
"""

from __future__ import annotations

from typing import Any

from app.runtime import NotImplementedOperation


def save_library_items(*, uris: str) -> Any:
    """PUT /me/library: Save Items to Library."""
    raise NotImplementedOperation("save-library-items")


def remove_library_items(*, uris: str) -> Any:
    """DELETE /me/library: Remove Items from Library."""
    raise NotImplementedOperation("remove-library-items")


def check_library_contains(*, uris: str) -> Any:
    """GET /me/library/contains: Check User's Saved Items."""
    raise NotImplementedOperation("check-library-contains")
