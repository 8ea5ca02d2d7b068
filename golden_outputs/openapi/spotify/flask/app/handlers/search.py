# Created by codegen; yours to edit: `codegen regenerate .` never overwrites it.
"""Handlers of the Search operations: yours; `codegen regenerate` never overwrites them.

Each function receives the validated parameters (and `body`) and returns a value, sent as
JSON with the operation's success status, or a Response. Until it does, the operation
answers 501 (problem+json).
"""

from __future__ import annotations

from typing import Any, Literal

from app.runtime import NotImplementedOperation


def search(
    *,
    q: str,
    type: str,
    market: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
    include_external: Literal["audio"] | None = None,
) -> Any:
    """GET /search: Search for Item."""
    raise NotImplementedOperation("search")
