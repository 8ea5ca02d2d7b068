"""What templates receive, documented next to the code; docs/templates.md is rendered from it."""

from __future__ import annotations

from typing import Any

PROJECT = {
    "project_name": "snake_case project name (`--name`, else the database name)",
    "package_name": "the distribution name: project_name in kebab-case",
    "target": "`fastapi` or `flask` (`--target`); shared templates branch on it",
    "header_command": "the command the generated header names (`codegen regenerate .`)",
    "dialect": "SQLAlchemy dialect of the source (`sqlite`, `postgresql`, `mysql`)",
    "source_url": "the source URL, password removed",
    "database_url_example": "the source URL with the driver the project pins, for .env.example",
    "schemas": "non-default database schemas used by any resource (sorted)",
    "sqlite_testable": "true when the project's tests can create every table on SQLite",
    "auth": "`apikey` or `none` (`--auth`)",
    "ci": "true with `--ci`: GitHub workflows and a pre-commit hook are rendered",
    "codegen_version": "the version of codegen that renders",
    "resources": "one entry per resource, below; per-resource files fan out over it with `yield`",
    "sample_helpers": "the `from tests.values import ...` block of the helpers the sample bodies call",
    "views": "the views the tests create in a scratch database of the source's dialect: {key (schema.name), "
    "kind, definition}",
    "api": "null for a database; from an API description: {title, version, base_path, components "
    "(models module: imports, classes, aliases), document (served /openapi.json), error_shapes (JSON), "
    "tables (migration: {name, create, drop}, laid out as black would), operation_ids, operation_ids_code "
    "(`OPERATION_IDS = [...]` as black writes it), operation_tests}",
    "operation_groups": "operations no resource serves, one group per first tag: {module, label, "
    "blueprint (the Flask blueprint's name), imports, handler_imports, operations (decorator, signature "
    "and call in the target's own syntax)}; `app/operations/` and `app/handlers/` fan out over it",
}
RESOURCE = {
    "name": "resource name (snake_case, unique)",
    "class_name": "model class name; schema classes add Create, Replace, Update, Read",
    "module": "module file name of the resource in models/, schemas/, routes/, tests/",
    "table": "source table or view name",
    "schema": "database schema, or null for the default one",
    "kind": "`table`, `view` or `materialized_view`",
    "path": "collection path, e.g. `/invoice-line`",
    "label": "human name, e.g. `invoice line`",
    "blueprint": "the Flask blueprint's name: the resource's name, unless the project registers a "
    "blueprint of that name itself (`openapi`)",
    "stem": "what the route functions are named after (`list_<stem>`...): the name, unless such a function "
    "would hide a name the routes module imports (`settings` -> `settings_resource`)",
    "read_only": "true for views and tables without a primary key (or marked so in the spec)",
    "has_item": "true when an item route exists (a primary key, or a unique key of non-null fields)",
    "key_names": "JSON names of the item key, in key order",
    "key_attributes": "Python attributes of the item key",
    "field_names": "JSON names of the fields a read answers, in order (a CSV page's header row)",
    "missing_path": "an item path suffix no test row has, for the 404 test",
    "test_imports": "the import block of the resource's test module",
    "auth": "same as the project's `auth`",
    "model": "the SQLAlchemy model module, below",
    "schemas": "the pydantic schema module, below",
    "routes": "the routes module, below",
    "sample": "how the project's tests create rows, below",
    "api": "null for a database table; from an API description: {prefix, operations (decorator and "
    "signature in the target's own syntax), imports, optional, nullable, roles, status, has_body}, read by "
    "each target's `_partials/api_routes.py.jinja` and `api_tests`",
}
NESTED = {
    "model": {
        "columns": "list of {attribute, annotation (inside Mapped[]), args (mapped_column arguments)}",
        "table_args": "the `__table_args__` expression, or null",
        "mapper_key": "attributes the ORM identifies rows by when there is no primary key, or null",
        "imports": "the import block",
    },
    "schemas": {
        "read": "fields of the Read schema: {attribute, annotation, default, field_args}",
        "base": "writable non-key fields, as in a create request",
        "create_keys": "key fields of a create request (generated keys optional)",
        "replace_keys": "key fields of a replace request (all optional, must match the path)",
        "update_fields": "fields of a partial update (all optional)",
        "required_in_update": "JSON names that a partial update may not set to null",
        "imports": "the import block",
    },
    "routes": {
        "key_args": "path parameters of the item routes, `name: type`",
        "key_tuple": "the key as a tuple expression of the path parameters",
        "item_path": "item path suffix, e.g. `/{playlist_id}/{track_id}`",
        "item_rule": "the same in Flask's rule syntax, e.g. `/<playlist_id>/<track_id>`",
        "parents": "resources referenced by many-to-one relations: {variable, class_name, key, path}",
        "relations": "many-to-one relations `?expand=` embeds: {name, parent, local, remote, field (its "
        "line in the Expanded schema)}",
        "nested": "one-to-many list routes under a parent: {function, path, rule (Flask syntax), label, "
        "parent, key_args, key_tuple, local}",
        "nullable": "attributes a replace clears when absent",
        "imports": "the import block",
    },
    "sample": {
        "creatable": "true when the API can create a row (no required foreign-key cycle, ...)",
        "reason": "why not, when it cannot",
        "parents": "required parents created first: {name, ident (the name as it can end an identifier), "
        "target, path, pairs, key, segment}",
        "fields": "{name, expr}: a Python expression over the counter `n` for each field",
        "patch": "{name, expr} of a field a test may change, or null",
        "text_field": "a text field for the `ilike` test, or null",
        "conflict": "`duplicate` when posting a body twice must give 409, else null",
    },
}


# Only with `--etl`: the context key of the ETL layer (templates/etl/, rendered beside the target's).
ETL = {
    "engine": "`local` or `dask` (`--etl-engine`)",
    "dask": "true with `--etl-engine dask`: `etl/dask_engine.py` is rendered",
    "scheduler": "`cron`, `airflow` or `dagster` (`--etl-scheduler`)",
    "airflow": "true with `--etl-scheduler airflow`: `etl/airflow_dag.py` is rendered",
    "dagster": "true with `--etl-scheduler dagster`: `etl/dagster_defs.py` is rendered",
    "imports": "the import block of `etl/jobs.py`",
    "jobs": "one entry per spec job: {name, resource, mode, cursor, write_disposition, schedule, code "
    "(its `Job(...)` expression, black-stable)}",
    "schedules": "jobs grouped by cron expression: {cron, jobs, slug}",
    "dependencies": "the pinned requirements the layer adds to `pyproject.toml`",
}


def undocumented(context: dict[str, Any]) -> list[str]:
    """Keys of a real context that this module does not describe, and described keys it lacks."""
    problems = sorted(set(context) - {"etl"} ^ set(PROJECT))
    if "etl" in context:
        problems += [f"etl.{k}" for k in sorted(set(context["etl"]) ^ set(ETL))]
    for resource in context.get("resources", []):
        problems += [f"resources.{k}" for k in sorted(set(resource) ^ set(RESOURCE))]
        for key, doc in NESTED.items():
            problems += [f"resources.{key}.{k}" for k in sorted(set(resource[key]) ^ set(doc))]
    return sorted(set(problems))


def render_doc() -> str:
    """docs/templates.md."""
    lines = [
        "# The template context",
        "",
        "<!-- Rendered from codegen/render/contextdoc.py by `make goldens`; a test keeps it current. -->",
        "",
        "Templates are Jinja files (`*.jinja`) under `templates/<target>/`; every other file is copied.",
        "A file name with `{% yield resource from resources %}...{% endyield %}` is rendered once per",
        "resource (copier's syntax); a name part that renders empty leaves the file out. Values are",
        "computed in Python: templates do no type mapping or naming. Filters: `py` (a Python literal",
        "as black writes it), `tuple_literal`; global `fit(head, args, tail, indent)` lays a call out",
        "on one line or one argument per line, as black would leave it; global `assign_list(name, items)`",
        "writes `name = [items]` (items are Python source, e.g. `values | map(\"py\") | list`) as black would.",
        "",
        "Override single templates with `--templates DIR` (same relative paths), start from",
        "`codegen templates export TARGET DIR`, or render a whole set with copier through",
        "`--template PATH_OR_GIT_URL [--template-ref TAG]`; `codegen templates context SOURCE -o FILE`",
        "writes this context for `copier copy --data-file FILE`.",
        "",
        "## Project",
        "",
        "| key | value |",
        "| --- | --- |",
    ]
    lines += [f"| `{key}` | {text} |" for key, text in PROJECT.items()]
    lines += ["", "## Each of `resources`", "", "| key | value |", "| --- | --- |"]
    lines += [f"| `{key}` | {text} |" for key, text in RESOURCE.items()]
    for section, doc in NESTED.items():
        lines += ["", f"### `resource.{section}`", "", "| key | value |", "| --- | --- |"]
        lines += [f"| `{key}` | {text} |" for key, text in doc.items()]
    lines += ["", "## `etl` (only with `--etl`)", "",
              "The ETL layer's templates (`templates/etl/`) render into the same project as the target's and",
              "read this key; the layer also adds its dependencies and `etl*` to the target's",
              "`pyproject.toml`.",
              "", "| key | value |", "| --- | --- |"]
    lines += [f"| `{key}` | {text} |" for key, text in ETL.items()]
    return "\n".join(lines) + "\n"
