"""Where codegen keeps what it may recompute: black's output and compiled templates."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """`CODEGEN_CACHE_DIR`, else `$XDG_CACHE_HOME/codegen`, else `~/.cache/codegen`."""
    explicit = os.environ.get("CODEGEN_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(base) / "codegen"
