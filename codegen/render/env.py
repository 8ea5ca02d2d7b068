"""The Jinja environment: strict, newline-preserving, built-in templates overridable per file."""

from __future__ import annotations

from pathlib import Path

import jinja2

from codegen.cache import builtin_templates_root, cache_root
from codegen.errors import TemplateError
from codegen.render.jinja_ext import CodegenExtension


def builtin_templates() -> Path:
    """The built-in template root: inside the installed package, else the repository's templates/."""
    return builtin_templates_root()


# Template folders that add to a target rather than being one (rendered on request: `--etl`).
LAYERS = frozenset({"etl"})


def target_dirs(target: str, overrides: Path | None) -> list[Path]:
    """Template folders searched in order: the user's overrides first, then the built-in target."""
    builtin = builtin_templates() / target
    if not builtin.is_dir() or target in LAYERS:
        known = sorted(p.name for p in builtin_templates().iterdir()
                       if p.is_dir() and not p.name.startswith("_") and p.name not in LAYERS)
        raise TemplateError(f"unknown target {target!r} (known: {', '.join(known)})")
    dirs = [builtin]
    if overrides is not None:
        if not overrides.is_dir():
            raise TemplateError(f"{overrides}: template folder does not exist")
        dirs.insert(0, overrides)
    return dirs


def make_environment(dirs: list[Path]) -> jinja2.Environment:
    """A Jinja environment matching copier's settings in copier.yml (`_envops`)."""
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(d)) for d in dirs]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        extensions=[CodegenExtension],
        bytecode_cache=_bytecode_cache(),
    )
    return env


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs (Jinja checks each template's source is unchanged)."""
    folder = cache_root() / f"jinja-{jinja2.__version__}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


def export_templates(target: str, directory: Path) -> int:
    """Copy a built-in target's templates (shared ones resolved) into a new folder."""
    import shutil

    source = target_dirs(target, None)[0]
    if directory.exists() and any(directory.iterdir()):
        raise TemplateError(f"{directory}: exists and is not empty")
    shutil.copytree(source, directory, symlinks=False, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    return sum(1 for path in directory.rglob("*") if path.is_file())
