"""The operations behind the CLI: reflect, generate, regenerate, check."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codegen import __version__, cache  # cache first: it notes the code this process loads
from codegen.errors import CodegenError, SourceError, SpecError
from codegen.spec.io import read_spec
from codegen.spec.model import Resource, Spec

if TYPE_CHECKING:  # SQLAlchemy is imported only when a database is read
    from codegen.reflect.database import Progress


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
    etl: bool = False,
) -> Spec:
    """The spec of a source: a database URL, an API description, or a spec file.

    With `etl`, a spec without ETL jobs gets one per resource (personal data marked by name).
    """
    spec = _reflect(source, schemas=schemas, include=include, exclude=exclude, name=name, progress=progress)
    if etl:
        from codegen.reflect.etl import add_etl_jobs

        spec = add_etl_jobs(spec)
    return spec


def _reflect(
    source: str,
    *,
    schemas: list[str] | None,
    include: list[str] | None,
    exclude: list[str] | None,
    name: str | None,
    progress: Progress | None,
) -> Spec:
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
    if is_api_description(path):
        from codegen.reflect.openapi import reflect_openapi

        return reflect_openapi(source, name=name)
    spec = read_spec(path)
    from codegen.naming import misnamed

    problems = misnamed(spec)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise SpecError(f"{source}: {problems[0]}{more}")
    return _select(spec, include or [], exclude or [], name)


# A top-level key of a YAML document (block style, at the start of a line).
_TOP_LEVEL_KEY = re.compile(r"""^(["']?)(openapi|swagger|spec_version)\1[ \t]*:""", re.MULTILINE)


def is_api_description(path: Path) -> bool:
    """True when the file is an OpenAPI or Swagger description rather than a codegen spec.

    Told by the document's top-level keys wherever they are (a JSON description with sorted keys has
    `openapi` after all of `components`); a file neither parses nor shows is told by its first bytes.
    """
    try:
        text = path.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return False
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict):
            return "spec_version" not in data and ("openapi" in data or "swagger" in data)
    keys = {match[2] for match in _TOP_LEVEL_KEY.finditer(text)}
    if keys:
        return "spec_version" not in keys and bool(keys & {"openapi", "swagger"})
    head = text[:4096]
    if "spec_version" in head:
        return False
    return any(marker in head for marker in ("openapi", "swagger")) or path.suffix in (".yml",) and "paths" in head


def _matches(resource: Resource, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(resource.name, p) or fnmatch.fnmatchcase(resource.table, p) for p in patterns)


def _select(spec: Spec, include: list[str], exclude: list[str], name: str | None) -> Spec:
    """A spec file narrowed by --include/--exclude and renamed by --name."""
    resources = [
        r for r in spec.resources if (not include or _matches(r, include)) and not _matches(r, exclude)
    ]
    if not resources and spec.resources:
        raise CodegenError("no resources left after --include/--exclude")
    kept = {r.name for r in resources}
    jobs = [job for job in spec.etl if job.resource in kept]
    resources = [
        r.model_copy(update={"relationships": [rel for rel in r.relationships if rel.target in kept
                                                and (rel.through is None or rel.through in kept)]})
        for r in resources
    ]
    return spec.model_copy(update={"resources": resources, "etl": jobs, "name": name or spec.name})


TARGETS = ("fastapi", "flask")
AUTH_MODES = ("apikey", "jwt", "none")
ETL_ENGINES = ("local", "dask")
ETL_SCHEDULERS = ("cron", "airflow", "dagster")


def generate_files(
    spec: Spec,
    target: str,
    options: dict[str, Any],
    templates: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    strict_format: bool = False,
    metadata: bool = True,
) -> dict[str, str]:
    """Every file of the project, formatted, with `.codegen/` metadata unless told not to.

    The formatted files are kept in codegen's cache under a digest of everything they come from
    (`codegen.cache.render_key`): a second render of the same inputs is a read.
    """
    spec_digest = None if strict_format or options.get("template") else _spec_digest(spec)
    key = cache.render_key(spec_digest, target, options, templates) if spec_digest else None
    files = cache.load_render(key) if key else None
    if files is None:
        from codegen.format import format_sources
        from codegen.render.project import render_copier_template, render_project

        if options.get("template"):
            rendered = render_copier_template(
                spec, options["template"], options.get("template_ref"), options, target
            )
        else:
            rendered = render_project(spec, target, options, templates, progress)
        files = format_sources(rendered, strict=strict_format)
        # stored only if no template or module changed while rendering
        if key and cache.render_key(spec_digest, target, options, templates, fresh=True) == key:
            cache.store_render(key, files)
    if metadata:
        files.update(metadata_files(spec, target, options, files))
    return dict(sorted(files.items()))


def _spec_digest(spec: Spec) -> str:
    from codegen.spec.io import spec_to_data

    return cache.data_key(spec_to_data(spec))


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


def etl_options(etl: bool, engine: str = "local", scheduler: str = "cron") -> dict[str, Any]:
    """The options `--etl`, `--etl-engine` and `--etl-scheduler` record (nothing without `--etl`)."""
    if engine not in ETL_ENGINES:
        raise CodegenError(f"unknown --etl-engine {engine!r} (known: {', '.join(ETL_ENGINES)})")
    if scheduler not in ETL_SCHEDULERS:
        raise CodegenError(f"unknown --etl-scheduler {scheduler!r} (known: {', '.join(ETL_SCHEDULERS)})")
    if not etl:
        if engine != "local" or scheduler != "cron":
            raise CodegenError("--etl-engine and --etl-scheduler need --etl")
        return {}
    options: dict[str, Any] = {"etl": True}
    if engine != "local":
        options["etl_engine"] = engine
    if scheduler != "cron":
        options["etl_scheduler"] = scheduler
    return options


def _portable_source(spec: Spec, source: str) -> str:
    """The source to record: the redacted URL (a SQLite file made absolute), or the file path."""
    if not is_database_url(source):
        return str(Path(source).resolve())
    url = spec.source.url
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////") and url != "sqlite:///:memory:":
        return "sqlite:///" + str(Path(url[len("sqlite:///") :]).resolve())
    return url


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
    options: dict[str, Any] = {"auth": auth, "source": _portable_source(spec, source)}
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
    etl: bool = False,
    etl_engine: str = "local",
    etl_scheduler: str = "cron",
) -> dict[str, str]:
    """Reflect SOURCE, render the project, and write it to a new directory atomically."""
    from codegen.writer import write_new_tree

    if target not in TARGETS:
        raise CodegenError(f"unknown target {target!r} (known: {', '.join(TARGETS)})")
    if auth not in AUTH_MODES:
        raise CodegenError(f"unknown --auth {auth!r} (known: {', '.join(AUTH_MODES)})")
    options_etl = etl_options(etl, etl_engine, etl_scheduler)
    spec = reflect(source, schemas=schemas, include=include, exclude=exclude, name=name, etl=etl)
    options = recorded_options(spec, source, auth, schemas, include, exclude, name, templates)
    options.update(options_etl)
    if ci:
        options["ci"] = True
    if template:
        options.update({"template": template, **({"template_ref": template_ref} if template_ref else {})})
    files = generate_files(spec, target, options, templates, progress)
    write_new_tree(output, {path: text.encode("utf-8") for path, text in files.items()})
    return files
