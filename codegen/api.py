"""The operations behind the CLI: reflect, generate, regenerate, check."""

from __future__ import annotations

import fnmatch
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from codegen import __version__
from codegen.errors import CodegenError, SourceError
from codegen.reflect.database import Progress
from codegen.spec.io import read_spec
from codegen.spec.model import Resource, Spec


def is_database_url(source: str) -> bool:
    """True for `dialect[+driver]://...`; everything else is a file path."""
    head = source.split("://", 1)[0]
    return "://" in source and head.replace("+", "").replace("_", "").isalnum()


def reflect(
    source: str,
    *,
    schemas: list[str] | None = None,
    include: list[str] | None = None,
    exclude: list[str] | None = None,
    name: str | None = None,
    progress: Progress | None = None,
) -> Spec:
    """The spec of a source: a database URL, an API description, or a spec file."""
    if is_database_url(source):
        from codegen.reflect.build import build_spec
        from codegen.reflect.database import reflect_database

        info = reflect_database(source, schemas=schemas, include=include, exclude=exclude, progress=progress)
        return build_spec(info, name=name, include=include, exclude=exclude)
    path = Path(source)
    if not path.exists():
        raise SourceError(f"{source}: no such file, and not a database URL")
    if path.is_dir():
        raise SourceError(f"{source}: is a directory, not a database URL or a spec file")
    spec = read_spec(path)
    return _select(spec, include or [], exclude or [], name)


def _matches(resource: Resource, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(resource.name, p) or fnmatch.fnmatchcase(resource.table, p) for p in patterns)


def _select(spec: Spec, include: list[str], exclude: list[str], name: str | None) -> Spec:
    """A spec file narrowed by --include/--exclude and renamed by --name."""
    resources = [
        r for r in spec.resources if (not include or _matches(r, include)) and not _matches(r, exclude)
    ]
    if not resources:
        raise CodegenError("no resources left after --include/--exclude")
    kept = {r.name for r in resources}
    resources = [
        r.model_copy(update={"relationships": [rel for rel in r.relationships if rel.target in kept
                                                and (rel.through is None or rel.through in kept)]})
        for r in resources
    ]
    return spec.model_copy(update={"resources": resources, "name": name or spec.name})


TARGETS = ("fastapi",)
AUTH_MODES = ("apikey", "none")


def generate_files(
    spec: Spec,
    target: str,
    options: dict[str, Any],
    templates: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    strict_format: bool = False,
) -> dict[str, str]:
    """Every file of the project, formatted, with `.codegen/` metadata; nothing written."""
    from codegen.format import format_sources
    from codegen.render.project import render_copier_template, render_project

    if options.get("template"):
        rendered = render_copier_template(spec, options["template"], options.get("template_ref"), options)
    else:
        rendered = render_project(spec, target, options, templates, progress)
    files = format_sources(rendered, strict=strict_format)
    files.update(metadata_files(spec, target, options, files))
    return dict(sorted(files.items()))


def metadata_files(spec: Spec, target: str, options: dict[str, Any], files: dict[str, str]) -> dict[str, str]:
    """`.codegen/`: the spec, the options, and a manifest of every generated file with its hash."""
    from codegen.spec.io import dump_spec

    manifest = {path: hashlib.sha256(text.encode("utf-8")).hexdigest() for path, text in sorted(files.items())}
    recorded = {"codegen_version": __version__, "target": target, **dict(sorted(options.items()))}
    return {
        ".codegen/spec.yaml": dump_spec(spec),
        ".codegen/options.json": json.dumps(recorded, indent=2, sort_keys=True) + "\n",
        ".codegen/manifest.json": json.dumps({"files": manifest}, indent=2) + "\n",
    }


def recorded_options(
    spec: Spec,
    source: str,
    auth: str,
    schemas: list[str] | None,
    include: list[str] | None,
    exclude: list[str] | None,
    name: str | None,
    templates: Path | None,
) -> dict[str, Any]:
    """What `.codegen/options.json` keeps so that `regenerate` and `check` can redo the run."""
    options: dict[str, Any] = {
        "auth": auth,
        "source": spec.source.url if is_database_url(source) else source,
    }
    selection = {"schemas": schemas, "include": include, "exclude": exclude, "name": name}
    options.update({key: value for key, value in selection.items() if value})
    if templates is not None:
        options["templates"] = str(templates)
    return options


def generate(
    source: str,
    output: Path,
    *,
    target: str = "fastapi",
    auth: str = "apikey",
    ci: bool = False,
    template: str | None = None,
    template_ref: str | None = None,
    schemas: list[str] | None = None,
    include: list[str] | None = None,
    exclude: list[str] | None = None,
    name: str | None = None,
    templates: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, str]:
    """Reflect SOURCE, render the project, and write it to a new directory atomically."""
    from codegen.writer import write_new_tree

    if target not in TARGETS:
        raise CodegenError(f"unknown target {target!r} (known: {', '.join(TARGETS)})")
    if auth not in AUTH_MODES:
        raise CodegenError(f"unknown --auth {auth!r} (known: {', '.join(AUTH_MODES)})")
    spec = reflect(source, schemas=schemas, include=include, exclude=exclude, name=name)
    options = recorded_options(spec, source, auth, schemas, include, exclude, name, templates)
    if ci:
        options["ci"] = True
    if template:
        options.update({"template": template, **({"template_ref": template_ref} if template_ref else {})})
    files = generate_files(spec, target, options, templates, progress)
    write_new_tree(output, {path: text.encode("utf-8") for path, text in files.items()})
    return files
