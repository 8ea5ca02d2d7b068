# Created by codegen; yours to edit: `codegen regenerate .` never overwrites it.
"""Handlers of the Categories operations: yours; `codegen regenerate` never overwrites them.

Each function receives the validated parameters (and `body`) and returns a value, sent as
JSON with the operation's success status, or a Response. Until it does, the operation
answers 501 (problem+json).
"""

from __future__ import annotations

from typing import Any

from app.runtime import NotImplementedOperation


def get_categories(
    *,
    locale: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Any:
    """GET /browse/categories: Get Several Browse Categories."""
    raise NotImplementedOperation("get-categories")


def get_a_category(*, category_id: str, locale: str | None = None) -> Any:
    """GET /browse/categories/{category_id}: Get Single Browse Category."""
    raise NotImplementedOperation("get-a-category")
