"""Keep a generated project current: `regenerate` merges a new output into it, `check` reports drift."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codegen import api
from codegen.errors import OutputError, SpecError
from codegen.merge import merge3
from codegen.spec.io import read_spec
from codegen.spec.model import Spec
from codegen.specdiff import Change, diff_specs
from codegen.writer import file_mode

META = ".codegen"


@dataclass
class Project:
    """What `.codegen/` says about a generated project."""

    root: Path
    spec: Spec
    options: dict[str, Any]
    manifest: dict[str, str]

    @property
    def target(self) -> str:
        """The target the project was generated for."""
        return str(self.options.get("target", "fastapi"))

    @property
    def render_options(self) -> dict[str, Any]:
        """The options as generation takes them (without codegen's own bookkeeping)."""
        return {k: v for k, v in self.options.items() if k not in ("codegen_version", "target")}


@dataclass
class UpdateReport:
    """What a regeneration did or would do, file by file."""

    changes: list[Change] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    @property
    def touched(self) -> bool:
        """True when any file changes."""
        return bool(self.written or self.created or self.removed or self.merged or self.conflicts)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_project(root: Path) -> Project:
    """Read `.codegen/` of a generated project."""
    meta = root / META
    if not (meta / "manifest.json").is_file():
        raise OutputError(f"{root}: not a codegen project (no {META}/manifest.json)")
    try:
        options = json.loads((meta / "options.json").read_text(encoding="utf-8"))
        manifest = json.loads((meta / "manifest.json").read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError) as exc:
        raise OutputError(f"{meta}: unreadable metadata ({exc})") from None
    return Project(root, _read_recorded_spec(meta / "spec.yaml"), options, manifest)


_SPEC_CACHE = "spec-1"


def _spec_text_key(text: str) -> str:
    from codegen import cache

    return cache.data_key(_SPEC_CACHE, cache.code_digest(templates=False, libraries=("yaml",)),
                          hashlib.sha256(text.encode("utf-8")).hexdigest())


def _load_spec_text(text: str) -> Any:
    """`load_yaml(text)`, kept in codegen's cache under the text's digest (and the reader's code)."""
    from codegen import cache
    from codegen.spec.io import load_yaml

    key = _spec_text_key(text)
    data = cache.load_entry(_SPEC_CACHE, key)
    if data is None:
        data = load_yaml(text)
        cache.store_entry(_SPEC_CACHE, key, data, keep=32)
    return data


def _read_recorded_spec(path: Path) -> Spec:
    """`read_spec` of `.codegen/spec.yaml`, its YAML read through the cache."""
    from codegen.spec.io import parse_spec

    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return read_spec(path)  # its error
    return parse_spec(text, str(path), _load_spec_text)


def _templates(project: Project, override: Path | None) -> Path | None:
    if override is not None:
        return override
    recorded = project.options.get("templates")
    return Path(recorded) if recorded else None


def new_spec(project: Project, source: str | None) -> Spec:
    """The spec of the project's source now: `--source`, else the source recorded at generation."""
    options = project.options
    chosen = source or options.get("source") or project.spec.source.url
    if not api.is_database_url(chosen) and not Path(chosen).exists() and (project.root / chosen).exists():
        chosen = str(project.root / chosen)
    arguments = {
        "schemas": options.get("schemas"),
        "include": options.get("include"),
        "exclude": options.get("exclude"),
        "name": options.get("name") or project.spec.name,
        "etl": bool(options.get("etl")),
    }
    return _keep_etl_jobs(_reflect(chosen, arguments, project.spec), project.spec)


_REFLECT_CACHE = "reflect-1"


def _reflect_key(source: str, arguments: dict[str, Any], fresh: bool = False) -> str | None:
    """The cache key of a reflection: a SQLite file's schema fingerprint, the arguments and codegen's code.

    None (never cached) for every other source.
    """
    if not source.startswith("sqlite") or not api.is_database_url(source) or arguments.get("schemas"):
        return None
    from codegen import cache
    from codegen.reflect.sqlite_fingerprint import schema_fingerprint

    fingerprint = schema_fingerprint(source)
    if fingerprint is None:
        return None
    libraries = ("sqlalchemy", "pydantic", "pydantic_core")
    code = cache.code_digest(templates=False, libraries=libraries, fresh=fresh)
    return cache.data_key(_REFLECT_CACHE, code, fingerprint, source, arguments)


def _reflect(source: str, arguments: dict[str, Any], recorded: Spec | None = None) -> Spec:
    """`api.reflect`, kept in codegen's cache for SQLite files under the fingerprint of their schema.

    A cached spec equal to `recorded` (the usual answer: nothing changed) is `recorded` itself.
    """
    from codegen import cache
    from codegen.spec.io import spec_to_data

    key = _reflect_key(source, arguments)
    if key is not None:
        data = cache.load_entry(_REFLECT_CACHE, key)
        if isinstance(data, dict):
            if recorded is not None and data == spec_to_data(recorded):
                return recorded
            return Spec.model_validate(data)
    spec = api.reflect(source, **arguments)
    if key is not None and _reflect_key(source, arguments, fresh=True) == key:  # nothing changed meanwhile
        cache.store_entry(_REFLECT_CACHE, key, spec_to_data(spec))
    return spec


def _keep_etl_jobs(spec: Spec, recorded: Spec) -> Spec:
    """The recorded ETL jobs (maybe edited) for resources that still exist; new resources get defaults."""
    if not recorded.etl or not spec.etl:
        return spec
    names = {resource.name for resource in spec.resources}
    kept = [job for job in recorded.etl if job.resource in names]
    covered = {job.resource for job in kept}
    names_kept = {job.name for job in kept}
    added = [job for job in spec.etl if job.resource not in covered and job.name not in names_kept]
    return spec.model_copy(update={"etl": kept + added})


def _render(project: Project, spec: Spec, templates: Path | None, metadata: bool = True) -> dict[str, str]:
    return api.generate_files(spec, project.target, project.render_options, templates, metadata=metadata)


def _user_file(root: Path, path: str) -> str | None:
    try:
        return (root / path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise OutputError(f"{root / path}: cannot read ({exc})") from None


def _plan_file(path: str, base: str | None, user: str | None, new: str | None, untouched: bool,
               report: UpdateReport) -> str | None:
    """The content the file should get, or None to leave (or remove) it; records what happens."""
    if new == base:
        return None
    if user is None:
        if base is None and new is not None:
            report.created.append(path)
            return new
        return None  # deleted by the user: stays deleted
    if user == base or untouched:
        if new is None:
            report.removed.append(path)
        else:
            report.written.append(path)
        return new
    if new is None:
        report.kept.append(path)  # the resource is gone, but the user edited the file
        return None
    result = merge3(base or "", user, new)
    if result.text == user:
        return None
    (report.conflicts if result.conflicts else report.merged).append(path)
    return result.text


def plan_update(
    project: Project, source: str | None = None, templates: Path | None = None
) -> tuple[UpdateReport, dict[str, str | None]]:
    """Compute the whole regeneration in memory: the report and the file contents (None: delete)."""
    from codegen.render.plan import USER_OWNED

    templates = _templates(project, templates)
    spec = new_spec(project, source)
    base = _render(project, project.spec, templates, metadata=False)
    new = _render(project, spec, templates)
    report = UpdateReport(changes=diff_specs(project.spec, spec))
    contents: dict[str, str | None] = {}
    paths = sorted(p for p in set(project.manifest) | set(base) | set(new) if not p.startswith(META + "/"))
    for path in paths:
        if path.startswith(USER_OWNED) and (project.root / path).exists():
            continue  # the user's file: never overwritten, merged or removed
        base_text = base.get(path)
        if base_text is not None and path in project.manifest and _sha(base_text) != project.manifest[path]:
            base_text = None  # codegen changed since: the pristine file cannot be rebuilt
        user = _user_file(project.root, path)
        untouched = user is not None and project.manifest.get(path) == _sha(user)
        planned = _plan_file(path, base_text, user, new.get(path), untouched, report)
        if planned is not None or path in report.removed:
            contents[path] = planned
    for path, text in new.items():
        if path.startswith(META + "/"):
            contents[path] = text
    _remember_spec_text(contents.get(META + "/spec.yaml"), spec)
    return report, contents


def _remember_spec_text(text: str | None, spec: Spec) -> None:
    """The data of the spec file about to be written, for the next command that reads it."""
    from codegen import cache
    from codegen.spec.io import spec_to_data

    if text is not None:
        cache.store_entry(_SPEC_CACHE, _spec_text_key(text), spec_to_data(spec), keep=32)


def _write(root: Path, contents: dict[str, str | None]) -> None:
    """Stage every new file next to its target, then move them all into place, then delete."""
    staged: list[tuple[Path, Path]] = []
    try:
        for path, text in contents.items():
            if text is None:
                continue
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
            os.chmod(tmp, target.stat().st_mode & 0o7777 if target.exists() else file_mode())
            staged.append((Path(tmp), target))
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, target in staged:
        os.replace(tmp, target)
    for path, text in contents.items():
        if text is None:
            (root / path).unlink(missing_ok=True)


def regenerate(root: Path, source: str | None = None, templates: Path | None = None) -> UpdateReport:
    """Merge a new generation into the project; conflicts get markers (the caller exits 1)."""
    from codegen.cache import pinned_code

    with pinned_code():
        project = load_project(root)
        report, contents = plan_update(project, source, templates)
    _write(root, contents)
    return report


def check(root: Path, source: str | None = None) -> tuple[list[Change], list[str]]:
    """Spec changes and generated files that would change; both empty when the project is current."""
    from codegen.cache import pinned_code

    with pinned_code():
        project = load_project(root)
        spec = new_spec(project, source)
        new = _render(project, spec, _templates(project, None), metadata=False)
    generated = {p: _sha(t) for p, t in new.items() if not p.startswith(META + "/")}
    files = sorted(p for p in set(generated) | set(project.manifest) if generated.get(p) != project.manifest.get(p))
    return diff_specs(project.spec, spec), files


def load_for_diff(reference: str) -> Spec:
    """A spec from a spec file, a source URL or API description, or a generated project's directory."""
    path = Path(reference)
    if path.is_dir():
        if not (path / META / "spec.yaml").is_file():
            raise SpecError(f"{reference}: a directory without {META}/spec.yaml")
        return read_spec(path / META / "spec.yaml")
    return api.reflect(reference)

