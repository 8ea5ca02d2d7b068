"""codegen: a database or an OpenAPI file in, a complete API project out."""

from __future__ import annotations

__version__ = "0.1.0"
