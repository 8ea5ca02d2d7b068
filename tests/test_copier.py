"""The built-in templates are a valid copier template: copier renders the same files we do."""

from __future__ import annotations

from pathlib import Path

import copier

from codegen import api
from codegen.render.context import project_context
from codegen.render.env import builtin_templates
from codegen.render.project import render_project
from corpus import REPO, read_tree


def test_copier_renders_what_codegen_renders(tmp_path: Path) -> None:
    spec = api.reflect(f"sqlite:///{REPO / 'examples' / 'chinook.sqlite'}", name="chinook")
    options = {"auth": "apikey"}
    context = project_context(spec, options)
    out = tmp_path / "copier"
    copier.run_copy(str(builtin_templates() / "fastapi"), out, data=context, defaults=True, unsafe=True,
                    quiet=True)
    copied = {p: t for p, t in read_tree(out).items() if not p.startswith(".copier-answers")}
    ours = {path: text.split("\n", 1)[1] if text.startswith(("#", "<!--")) else text
            for path, text in render_project(spec, "fastapi", options).items()}
    assert copied == ours
