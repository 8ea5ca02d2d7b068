"""The built-in templates are a valid copier template: copier renders the same files we do.

Files both targets share live once in templates/_shared/ and are linked into each target. copier
refuses links that leave the template folder, so copier renders a target the way users get it:
`codegen templates export TARGET DIR` copies it with the links resolved.
"""

from __future__ import annotations

from pathlib import Path

import copier
import pytest

from codegen import api
from codegen.render.context import project_context
from codegen.render.env import export_templates
from codegen.render.project import render_project
from corpus import REPO, read_tree


# A database, and an API description (resources, operations, handlers, migrations).
SOURCES = {"chinook": f"sqlite:///{REPO / 'examples' / 'chinook.sqlite'}",
           "hard": str(REPO / "tests" / "fixtures" / "openapi" / "hard.yaml")}


@pytest.mark.parametrize("target", api.TARGETS)
@pytest.mark.parametrize("name", sorted(SOURCES))
def test_copier_renders_what_codegen_renders(name: str, target: str, tmp_path: Path) -> None:
    spec = api.reflect(SOURCES[name], name=name)
    options = {"auth": "apikey"}
    context = project_context(spec, options, target)
    template = tmp_path / "template"
    export_templates(target, template)
    out = tmp_path / "copier"
    copier.run_copy(str(template), out, data=context, defaults=True, unsafe=True, quiet=True)
    copied = {p: t for p, t in read_tree(out).items() if not p.startswith(".copier-answers")}
    ours = {path: text.split("\n", 1)[1] if text.startswith(("#", "<!--")) else text
            for path, text in render_project(spec, target, options).items()}
    assert copied == ours
