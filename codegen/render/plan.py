"""The render plan: which template becomes which output path, once or once per resource."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported by `codegen.update` for USER_OWNED, which needs no Jinja
    import jinja2

TEMPLATE_SUFFIX = ".jinja"
SKIPPED = frozenset({"copier.yml", "copier.yaml"})
# Folders of partials that other templates include; never output files themselves.
PARTIALS = "_partials/"
# copier's fan-out syntax in a file name: `{% yield resource from resources %}...{% endyield %}`
_YIELD = re.compile(r"\{%-?\s*yield\s+(\w+)\s+from\s+(\w+)\s*-?%\}(.*?)\{%-?\s*endyield\s*-?%\}")
_EXPR = re.compile(r"\{\{\s*(.*?)\s*\}\}")
# Output files that are the user's once written: created when absent, never overwritten or merged.
USER_OWNED = ("app/handlers/",)


@dataclass(frozen=True)
class PlannedFile:
    """One output file: its path, the template it comes from, and the item it renders for."""

    path: str
    template: str
    rendered: bool
    variable: str | None = None
    item: Any = None


def template_names(dirs: list[Path]) -> list[str]:
    """Every template path (relative, POSIX) of the target, overrides included, sorted."""
    names: set[str] = set()
    for root in dirs:
        for path in root.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                names.add(path.relative_to(root).as_posix())
    return sorted(name for name in names if name not in SKIPPED and not name.startswith(PARTIALS))


def _render_name(env: jinja2.Environment, text: str, context: dict[str, Any]) -> str:
    if "{{" not in text and "{%" not in text:
        return text
    return _compiled(env, text).render(context)


_NAME_CACHE: dict[tuple[int, str], jinja2.Template] = {}


def _compiled(env: jinja2.Environment, text: str) -> jinja2.Template:
    """A file-name template compiled once per environment, not once per resource."""
    key = (id(env), text)
    if key not in _NAME_CACHE:
        _NAME_CACHE[key] = env.from_string(text)
    return _NAME_CACHE[key]


def _kept(path: str) -> bool:
    """copier's rule: a file or folder whose name renders empty is left out."""
    return bool(path) and all(path.split("/"))


def plan_files(env: jinja2.Environment, names: list[str], context: dict[str, Any]) -> list[PlannedFile]:
    """Expand each template name into output files, fanning `yield` names out per item."""
    planned: list[PlannedFile] = []
    for name in names:
        rendered = name.endswith(TEMPLATE_SUFFIX)
        output = name[: -len(TEMPLATE_SUFFIX)] if rendered else name
        match = _YIELD.search(output)
        if match is None:
            path = _render_name(env, output, context)
            if _kept(path):
                planned.append(PlannedFile(path, name, rendered))
            continue
        variable, collection, inner = match.groups()
        for item in context[collection]:
            local = {**context, variable: item}
            path = output[: match.start()] + _render_name(env, inner, local) + output[match.end():]
            planned.append(PlannedFile(_render_name(env, path, local), name, rendered, variable, item))
    return sorted(planned, key=lambda f: f.path)
