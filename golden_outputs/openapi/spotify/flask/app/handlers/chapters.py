# Created by codegen; yours to edit: `codegen regenerate .` never overwrites it.
"""Handlers of the Chapters operations: yours; `codegen regenerate` never overwrites them.

Each function receives the validated parameters (and `body`) and returns a value, sent as
JSON with the operation's success status, or a Response. Until it does, the operation
answers 501 (problem+json).
"""

from __future__ import annotations

from typing import Any

from app.runtime import NotImplementedOperation


def get_a_chapter(*, id: str, market: str | None = None) -> Any:
    """GET /chapters/{id}: Get a Chapter."""
    raise NotImplementedOperation("get-a-chapter")


def get_several_chapters(*, ids: str, market: str | None = None) -> Any:
    """GET /chapters: Get Several Chapters."""
    raise NotImplementedOperation("get-several-chapters")
