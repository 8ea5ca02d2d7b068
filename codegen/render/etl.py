"""The ETL layer (`--etl`): its template root, its context, and what it adds to the target's files.

The layer's templates (templates/etl/) render beside the target's, into the same project; they
read one context key, `etl`. The target's `pyproject.toml` gets the layer's pinned dependencies
and the `etl` package, its `.env.example` and README a short section: no target template changes,
and without `--etl` nothing here runs.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from codegen.errors import TemplateError
from codegen.format import LINE_LENGTH
from codegen.render.imports import Imports
from codegen.render.layout import fit
from codegen.render.pyliteral import py_literal, py_str
from codegen.spec.model import EtlJob, LogicalType, Resource, Spec

LAYER = "etl"
# Pinned like every dependency of a generated project (checked with `pip index versions`).
DEPENDENCIES = (
    "adbc-driver-manager==1.13.0",
    "adbc-driver-postgresql==1.13.0",
    "adbc-driver-sqlite==1.13.0",
    "duckdb==2.0.0",
    "pyarrow==26.0.1",
    "tqdm==4.70.1",
)
DASK_DEPENDENCIES = ("dask==2026.8.0", "distributed==2026.8.0")


def enabled(options: dict[str, Any]) -> bool:
    """True when the project gets the ETL layer."""
    return bool(options.get("etl"))


def layer_root(templates: Path) -> Path:
    """The layer's template folder under the built-in templates."""
    return templates / LAYER


def _output_names(job: EtlJob, resource: Resource) -> dict[str, str | None]:
    """Field name -> destination column name (None when dropped)."""
    names: dict[str, str | None] = {field.name: field.name for field in resource.fields}
    for transform in job.transforms:
        if transform.op == "drop":
            names[transform.field] = None
        elif transform.op == "rename" and names[transform.field] is not None:
            names[transform.field] = transform.to
    return names


def _column_code(job: EtlJob, resource: Resource, names: dict[str, str | None]) -> list[str]:
    lines = []
    for field in resource.fields:
        out = names[field.name]
        if out is None:
            continue
        type_ = field.type.value
        if field.type is LogicalType.DATETIME and field.timezone:
            type_ = "datetime_tz"
        source_type = None
        ops: list[str] = []
        keep = 0
        for transform in job.transforms:
            if transform.field != field.name:
                continue
            if transform.op == "cast":
                source_type = source_type or type_
                type_ = str(transform.to)
            elif transform.op in ("trim", "hash", "mask"):
                ops.append(transform.op)
                keep = transform.keep if transform.op == "mask" else keep
        if field.personal_data and not any(op in ("hash", "mask") for op in ops):
            ops.append("hash")  # personal data never reaches a destination in clear
        args = [py_str(out), py_str(field.column), py_str(type_)]
        if source_type is not None:
            args.append(f"source_type={py_str(source_type)}")
        if field.type is LogicalType.DECIMAL:
            if field.precision is not None:
                args.append(f"precision={field.precision}")
            if field.scale is not None:
                args.append(f"scale={field.scale}")
        if not field.nullable:
            args.append("nullable=False")
        if field.name in resource.primary_key:
            args.append("key=True")
        if ops:
            args.append(f"ops={py_literal(tuple(ops))}")
        if keep:
            args.append(f"keep={keep}")
        lines.append(fit("Column(", args, "),", indent=12))
    return lines


def _check_code(job: EtlJob, names: dict[str, str | None], pointer: str) -> list[str]:
    lines = []
    for index, check in enumerate(job.checks):
        columns = []
        for name in check.fields:
            if names.get(name) is None:
                raise TemplateError(f"{pointer}/checks/{index}: field {name!r} is dropped by the job")
            columns.append(str(names[name]))
        args = [py_str(check.check)]
        if columns:
            args.append(py_literal(tuple(columns)))
        if check.values:
            args.append(f"values={py_literal(tuple(check.values))}")
        for attribute in ("min_rows", "max_rows", "max_age_seconds"):
            value = getattr(check, attribute)
            if value is not None:
                args.append(f"{attribute}={value}")
        if check.on_fail != "fail":
            args.append(f"on_fail={py_str(check.on_fail)}")
        lines.append(fit("Check(", args, "),", indent=12))
    return lines


def job_code(spec: Spec, index: int, job: EtlJob) -> str:
    """The `Job(...)` expression of one job in etl/jobs.py, laid out as black leaves it."""
    resource = spec.resource(job.resource)
    names = _output_names(job, resource)
    pointer = f"/etl/{index}"
    cursor = names.get(job.cursor) if job.cursor else None
    if job.cursor and cursor is None:
        raise TemplateError(f"{pointer}/cursor: {job.cursor!r} is dropped by the job")
    body = [
        f"        name={py_str(job.name)},",
        f"        source_table={py_str(resource.table)},",
        f"        table={py_str(job.table or resource.name)},",
        *_tuple_block("columns", _column_code(job, resource, names)),
    ]
    optional: list[tuple[str, Any, Any]] = [
        ("source_schema", resource.db_schema, None),
        ("destination", job.destination, None),
        ("mode", job.mode, "full"),
        ("cursor", cursor, None),
        ("lookback_seconds", job.lookback_seconds, 0),
        ("write_disposition", job.write_disposition, "replace"),
        ("batch_size", job.batch_size, 50_000),
        ("schedule", job.schedule, None),
    ]
    for name, value, default in optional:
        if value != default:
            body.append(f"        {name}={py_literal(value)},")
    checks = _check_code(job, names, pointer)
    if checks:
        body += _tuple_block("checks", checks)
    return "\n".join(["    Job(", *body, "    ),"])


def _tuple_block(name: str, elements: list[str]) -> list[str]:
    """`name=(...),` as black writes it: a lone element stays on the line when it fits (its
    trailing comma makes the tuple, so black does not keep the tuple exploded for it)."""
    if len(elements) == 1 and "\n" not in elements[0]:
        line = f"        {name}=({elements[0].strip()[:-1]},),"
        if len(line) <= LINE_LENGTH:
            return [line]
    return [f"        {name}=(", *elements, "        ),"]


def _schedules(spec: Spec) -> list[dict[str, Any]]:
    grouped: dict[str, list[str]] = {}
    for job in spec.etl:
        if job.schedule:
            grouped.setdefault(job.schedule, []).append(job.name)
    return [{"cron": cron, "jobs": names, "slug": _slug(cron)} for cron, names in grouped.items()]


def _slug(cron: str) -> str:
    return re.sub(r"_+", "_", re.sub(r"[^0-9a-z]+", "_", cron.lower().replace("*", "x"))).strip("_")


def etl_context(spec: Spec, options: dict[str, Any]) -> dict[str, Any]:
    """The `etl` context key: jobs as code, schedules, engine and scheduler."""
    engine = options.get("etl_engine", "local")
    imports = Imports([("etl.model", "Column"), ("etl.model", "Job")])
    if any(job.checks for job in spec.etl):
        imports.add("etl.model", "Check")
    return {
        "engine": engine,
        "dask": engine == "dask",
        "scheduler": options.get("etl_scheduler", "cron"),
        "airflow": options.get("etl_scheduler") == "airflow",
        "dagster": options.get("etl_scheduler") == "dagster",
        "imports": imports.render(),
        "jobs": [
            {
                "name": job.name,
                "resource": job.resource,
                "mode": job.mode,
                "cursor": job.cursor,
                "write_disposition": job.write_disposition,
                "schedule": job.schedule,
                "code": job_code(spec, index, job),
            }
            for index, job in enumerate(spec.etl)
        ],
        "schedules": _schedules(spec),
        "dependencies": list(dependencies(options)),
    }


def dependencies(options: dict[str, Any]) -> tuple[str, ...]:
    """The pinned requirements the layer adds to the project."""
    extra = DASK_DEPENDENCIES if options.get("etl_engine") == "dask" else ()
    return DEPENDENCIES + extra


ENV_EXAMPLE = """
# ETL (python -m etl): where jobs load (a DuckDB file, default etl.duckdb; or a postgresql:// URL).
ETL_DESTINATION=etl.duckdb
# The source, when it is not DATABASE_URL.
ETL_SOURCE_URL=
# Secret salt of the SHA-256 that hashes personal data; set it, and keep it, or hashes change.
ETL_HASH_SALT=
# Memory DuckDB may use for its cache and operators before it spills to disk (default 256MB).
ETL_DUCKDB_MEMORY_LIMIT=
"""
DASK_ENV = """# Dask engine: a scheduler address (default: a local cluster of ETL_DASK_WORKERS processes).
DASK_SCHEDULER_ADDRESS=
ETL_DASK_WORKERS=
# A folder every worker can write and the runner can read (default: a temporary folder).
ETL_STAGING_DIR=
"""
README = """
## ETL

`etl/` moves every resource into an analytics destination (DuckDB file `etl.duckdb` by default,
or PostgreSQL through `ETL_DESTINATION`): `python -m etl list`, `python -m etl run [JOB ...]
[--full-refresh]`. Jobs, schedules and checks: [etl/README.md](etl/README.md).
"""


def finish(files: dict[str, str], options: dict[str, Any]) -> dict[str, str]:
    """The target's files with the layer's additions: dependencies, package, settings, README."""
    result = dict(files)
    if "pyproject.toml" in result:
        result["pyproject.toml"] = add_to_pyproject(result["pyproject.toml"], dependencies(options), "etl*")
    if ".env.example" in result:
        extra = ENV_EXAMPLE + (DASK_ENV if options.get("etl_engine") == "dask" else "")
        result[".env.example"] = result[".env.example"].rstrip("\n") + "\n" + extra
    if "README.md" in result:
        result["README.md"] = result["README.md"].rstrip("\n") + "\n" + README
    if ".gitignore" in result and "etl.duckdb" not in result[".gitignore"]:
        result[".gitignore"] = result[".gitignore"].rstrip("\n") + "\n*.duckdb\n*.duckdb.wal\n"
    return result


def add_to_pyproject(text: str, requirements: tuple[str, ...], package: str) -> str:
    """Merge requirements into `[project] dependencies` (kept sorted) and a package into setuptools' find."""
    lines = text.split("\n")
    try:
        start = lines.index("dependencies = [")
        end = lines.index("]", start)
    except ValueError:
        raise TemplateError(
            "pyproject.toml: no `dependencies = [` list to add the ETL requirements to"
        ) from None
    entries = {line.strip().rstrip(",") for line in lines[start + 1 : end] if line.strip()}
    entries |= {f'"{requirement}"' for requirement in requirements}
    ordered = sorted(entries, key=lambda entry: re.split(r"[=<>!~\[; ]", entry.strip('"'))[0].lower())
    lines[start + 1 : end] = [f"    {entry}," for entry in ordered]
    for index, line in enumerate(lines):
        match = re.fullmatch(r"include = \[(.*)\]", line)
        if match and f'"{package}"' not in match.group(1):
            lines[index] = f'include = [{match.group(1)}, "{package}"]'
    return "\n".join(lines)
