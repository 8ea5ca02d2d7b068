"""codegen/naming.py's reserved sets hold every name the generated modules bind themselves.

A spec's every name that becomes an identifier (resource and class names, modules, field and parameter
attributes, operation functions, tags, relation and model names) is marked with `zq`; the projects
rendered from it then bind two kinds of names: marked ones, which come from the spec, and the templates'
own. Each module's own names (module level, route function locals, builtins it calls or annotates with)
must be in the reserved set of its kind, or a source name equal to one would hide it. A template that
starts to import or declare something new fails here, naming the set to add it to.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import databases
import pytest
from shadowing import BUILTINS, _bound, _typed_or_called

from codegen import api, naming
from codegen.spec.model import Spec

FIXTURES = Path(__file__).parent / "fixtures"
MARK = "zq"
KINDS = {
    ("app", "models"): ("MODEL_MODULE", naming.MODEL_MODULE),
    ("app", "schemas"): ("SCHEMA_MODULE", naming.SCHEMA_MODULE),
    ("app", "routes"): ("ROUTE_MODULE", naming.ROUTE_MODULE),
    ("app", "operations"): ("OPERATION_MODULE", naming.OPERATION_MODULE),
    ("app", "handlers"): ("OPERATION_MODULE", naming.OPERATION_MODULE),
}


def _marked(spec: Spec) -> Spec:
    """The spec with every name that becomes an identifier prefixed by the mark."""

    def mark(name: str | None) -> str | None:
        return None if name is None else MARK + name

    resources = [
        r.model_copy(
            update={
                "name": mark(r.name),
                "class_name": MARK.title() + r.class_name,
                "module": mark(r.module),
                "fields": [f.model_copy(update={"attribute": mark(f.attribute)}) for f in r.fields],
                "relationships": [
                    rel.model_copy(
                        update={
                            "name": mark(rel.name),
                            "target": mark(rel.target),
                            "through": mark(rel.through),
                        }
                    )
                    for rel in r.relationships
                ],
            }
        )
        for r in spec.resources
    ]
    operations = [
        o.model_copy(
            update={
                "function": mark(o.function),
                "resource": mark(o.resource),
                "tags": [mark(t) for t in o.tags or ["x"]],
                "parameters": [p.model_copy(update={"attribute": mark(p.attribute)}) for p in o.parameters],
            }
        )
        for o in spec.operations
    ]
    models = [m.model_copy(update={"class_name": MARK.title() + m.class_name}) for m in spec.models]
    etl = [job.model_copy(update={"resource": mark(job.resource)}) for job in spec.etl]
    return spec.model_copy(
        update={"resources": resources, "operations": operations, "models": models, "etl": etl}
    )


def _own_names(source: str, kind: tuple[str, ...]) -> set[str]:
    """The names a module binds (and, in route modules, its functions' locals) that are not the spec's,
    with the builtins it calls or annotates with."""
    tree = ast.parse(source)
    names = set(_bound(tree.body))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names |= _typed_or_called(node.body) & BUILTINS
        if kind[1] == "routes" and isinstance(node, ast.FunctionDef):
            names |= set(_bound(node.body))
    # (a source name never becomes one with a leading underscore: naming strips them)
    return {name for name in names if MARK not in name.lower() and not name.startswith("_")}


def _components(source: str) -> list[str]:
    """The models module of a description: its own class-like names must be in MODEL_RESERVED (model
    class names avoid them), the builtins its class bodies read in RESERVED_MODEL_FIELDS (fields do)."""
    tree = ast.parse(source)
    own = {name for name in _bound(tree.body) if name[:1].isupper() and MARK not in name.lower()}
    read = {
        name
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        for name in _typed_or_called(node.body) & BUILTINS
    }
    return [
        f"{name!r} is missing from naming.MODEL_RESERVED" for name in sorted(own - naming.MODEL_RESERVED)
    ] + [
        f"{name!r} is missing from naming.RESERVED_MODEL_FIELDS"
        for name in sorted(read - naming.RESERVED_MODEL_FIELDS)
    ]


def _check(spec: Spec, targets: tuple[str, ...] = ("fastapi", "flask")) -> list[str]:
    found = []
    marked = _marked(spec)
    for target in targets:
        for auth in ("apikey", "jwt"):
            files = api.generate_files(marked, target, {"auth": auth}, metadata=False)
            for path, source in files.items():
                parts = tuple(Path(path).parts)
                if not path.endswith(".py") or parts[-1] == "__init__.py" or parts[:2] not in KINDS:
                    continue
                if parts == ("app", "components.py"):
                    found += [f"{target}/{path}: {problem}" for problem in _components(source)]
                    continue
                if parts[:2] == ("app", "schemas") and parts[-1] == "base.py":
                    continue
                label, reserved = KINDS[parts[:2]]
                missing = sorted(_own_names(source, parts) - reserved)
                found += [f"{target}/{path}: {name!r} is missing from naming.{label}" for name in missing]
    return sorted(set(found))


def test_marking_reaches_every_spec_name() -> None:
    spec = api.reflect(str(FIXTURES / "openapi" / "hostile.yaml"))
    files = api.generate_files(_marked(spec), "fastapi", {"auth": "apikey"}, metadata=False)
    routes = [
        source
        for path, source in files.items()
        if path.startswith("app/operations/") and not path.endswith("__init__.py")
    ]
    assert routes and all(f"def {MARK}" in source for source in routes)


@pytest.mark.parametrize("description", ["hostile.yaml", "hostile_swagger.yaml", "hard.yaml"])
def test_description_projects_bind_only_reserved_names(description: str) -> None:
    assert _check(api.reflect(str(FIXTURES / "openapi" / description))) == []


def test_database_projects_bind_only_reserved_names(database_url: Any, dialect: str) -> None:
    for kind in ("hostile", "hard"):
        url = database_url(kind, dialect)
        schemas = databases.hostile_schemas(dialect, url) if kind == "hostile" else []
        assert _check(api.reflect(url, schemas=schemas or None)) == []


def test_package_modules_bind_only_reserved_names() -> None:
    spec = api.reflect(str(FIXTURES / "openapi" / "hostile.yaml"))
    for target in ("fastapi", "flask"):
        source = api.generate_files(_marked(spec), target, {"auth": "apikey"})["app/routes/__init__.py"]
        assert set(_bound(ast.parse(source).body)) - naming.PACKAGE_MODULE <= {
            name for name in _bound(ast.parse(source).body) if MARK in name.lower()
        }
    assert not {name.split(".")[0] for name in naming.MODULE_FILES} & naming.KEYWORDS


def test_a_hand_edited_name_generated_code_uses_is_refused(tmp_path: Path) -> None:
    from codegen.errors import SpecError
    from codegen.spec.io import dump_spec

    spec = api.reflect(
        databases.sqlite_file(tmp_path / "db.sqlite", "CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT)")
    )
    fields = [
        f.model_copy(update={"attribute": "text"}) if f.name == "x" else f for f in spec.resources[0].fields
    ]
    edited = spec.model_copy(update={"resources": [spec.resources[0].model_copy(update={"fields": fields})]})
    path = tmp_path / "spec.yaml"
    path.write_text(dump_spec(edited), encoding="utf-8")
    with pytest.raises(
        SpecError, match=r"spec.yaml: /resources/0/fields/1/attribute: 'text' is a name generated"
    ):
        api.reflect(str(path))
