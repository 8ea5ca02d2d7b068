"""`python -m codegen` runs the CLI."""

from __future__ import annotations

from codegen.cli import main

main()
