# Created by codegen; yours to edit: `codegen regenerate .` never overwrites it.
"""Handlers of the Markets operations: yours; `codegen regenerate` never overwrites them.

Each function receives the validated parameters (and `body`) and returns a value, sent as
JSON with the operation's success status, or a Response. Until it does, the operation
answers 501 (problem+json).
"""

from __future__ import annotations

from typing import Any

from app.runtime import NotImplementedOperation


def get_available_markets() -> Any:
    """GET /markets: Get Available Markets."""
    raise NotImplementedOperation("get-available-markets")
