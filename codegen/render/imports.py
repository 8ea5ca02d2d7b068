"""Imports as data: collected while building a module's context, rendered sorted and grouped."""

from __future__ import annotations

import sys
from collections.abc import Iterable

from codegen.format import LINE_LENGTH

LOCAL_PACKAGES = ("app", "etl", "tests")



def _group(module: str) -> int:
    top = module.split(".")[0]
    if module == "__future__":
        return 0
    if top in LOCAL_PACKAGES:
        return 3
    if top in sys.stdlib_module_names:
        return 1
    return 2


class Imports:
    """A set of `from module import name` pairs plus plain `import module` lines."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._from: dict[str, set[str]] = {}
        self._plain: set[str] = set()
        for module, name in pairs:
            self.add(module, name)

    def add(self, module: str, name: str | None = None) -> None:
        """Record `from module import name`, or `import module` when name is None."""
        if name is None:
            self._plain.add(module)
        else:
            self._from.setdefault(module, set()).add(name)

    def update(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Record several `(module, name)` pairs."""
        for module, name in pairs:
            self.add(module, name)

    def render(self) -> str:
        """isort-style blocks: __future__, stdlib, third party, local; one blank line between."""
        groups: dict[int, list[tuple[str, str]]] = {}
        for module in self._plain:
            groups.setdefault(_group(module), []).append((module, f"import {module}"))
        for module, names in self._from.items():
            ordered = sorted(names, key=lambda n: (n.split(" as ")[0].lower(), n))
            line = f"from {module} import {', '.join(ordered)}"
            if len(line) > LINE_LENGTH:
                line = f"from {module} import (\n" + "".join(f"    {name},\n" for name in ordered) + ")"
            groups.setdefault(_group(module), []).append((module, line))
        blocks = []
        for key in sorted(groups):
            lines = [line for _, line in sorted(groups[key], key=lambda item: (item[0], item[1]))]
            blocks.append("\n".join(lines))
        return "\n\n".join(blocks)
