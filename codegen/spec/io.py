"""Read and write spec files: YAML (or JSON by extension), deterministic, with an upgrade chain."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from codegen.errors import SpecError
from codegen.spec.model import SPEC_VERSION, LogicalType, Spec

# Each entry upgrades a raw spec document from the version in its key to the next one.
# Version "1" is the first; a future "2" adds `"1": _upgrade_1_to_2` here.
UPGRADES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}


# libyaml's C emitter and parser when PyYAML has them (the wheels do): 10-20x faster on large specs,
# same output (tests/test_spec.py compares both emitters).
_BaseDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Dumper(_BaseDumper):  # type: ignore[misc,valid-type]
    """A YAML dumper that writes multi-line strings as blocks and never sorts keys."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    """Multi-line strings as `|` blocks, everything else as PyYAML chooses."""
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def spec_to_data(spec: Spec) -> dict[str, Any]:
    """The spec as plain data, defaults left out so that the file stays short and editable."""
    data = spec.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data = {"spec_version": spec.spec_version, **data}
    return data


def dump_spec(spec: Spec, fmt: str = "yaml") -> str:
    """Serialize the spec; the same spec always gives the same bytes."""
    data = spec_to_data(spec)
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    text = yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False
    )
    return str(text)


def write_spec(spec: Spec, path: Path) -> None:
    """Write the spec to `path`, as JSON when the name ends in .json, else YAML."""
    fmt = "json" if path.suffix == ".json" else "yaml"
    path.write_text(dump_spec(spec, fmt), encoding="utf-8")


def upgrade_spec_data(data: dict[str, Any], where: str) -> dict[str, Any]:
    """Bring a raw spec document up to the current version through the upgrade chain."""
    version = str(data.get("spec_version", ""))
    while version != SPEC_VERSION:
        step = UPGRADES.get(version)
        if step is None:
            known = ", ".join(sorted([*UPGRADES, SPEC_VERSION]))
            raise SpecError(f"{where}: unknown spec_version {version!r} (this codegen reads {known})")
        data = step(data)
        version = str(data["spec_version"])
    return data


def parse_spec(text: str, where: str) -> Spec:
    """Parse spec text (YAML is a superset of JSON) into a validated Spec."""
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise SpecError(f"{where}:{line} not valid YAML or JSON") from None
    if not isinstance(data, dict):
        raise SpecError(f"{where}: a spec is a mapping with spec_version, name, source, resources")
    data = upgrade_spec_data(data, where)
    try:
        spec = Spec.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        pointer = "/" + "/".join(str(part) for part in error["loc"])
        raise SpecError(f"{where}: {pointer}: {error['msg']}") from None
    check_references(spec, where)
    return spec


def read_spec(path: Path) -> Spec:
    """Read and validate a spec file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"{path}: cannot read: {exc.strerror}") from None
    return parse_spec(text, str(path))


def check_references(spec: Spec, where: str) -> None:
    """Fail on names that point nowhere, so that a hand edit cannot produce a broken project."""
    names = [resource.name for resource in spec.resources]
    seen: set[str] = set()
    for index, resource in enumerate(spec.resources):
        pointer = f"{where}: /resources/{index}"
        if resource.name in seen:
            raise SpecError(f"{pointer}/name: duplicate resource name {resource.name!r}")
        seen.add(resource.name)
        fields = {field.name for field in resource.fields}
        for key in resource.primary_key:
            if key not in fields:
                raise SpecError(f"{pointer}/primary_key: no field {key!r} in {resource.name!r}")
        for r_index, relation in enumerate(resource.relationships):
            if relation.target not in names:
                raise SpecError(
                    f"{pointer}/relationships/{r_index}/target: no resource {relation.target!r}"
                )
    check_etl(spec, where)


_CRON_FIELD = re.compile(r"^[0-9*,/\-A-Za-z?LW#]+$")


def check_etl(spec: Spec, where: str) -> None:
    """Fail on ETL jobs that could not run: unknown resource or field, no key to merge on..."""
    seen: set[str] = set()
    resources = {resource.name: resource for resource in spec.resources}
    for index, job in enumerate(spec.etl):
        pointer = f"{where}: /etl/{index}"
        if job.name in seen:
            raise SpecError(f"{pointer}/name: duplicate ETL job name {job.name!r}")
        seen.add(job.name)
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", job.name):
            raise SpecError(f"{pointer}/name: {job.name!r} is not a valid job name (letters, digits, _)")
        resource = resources.get(job.resource)
        if resource is None:
            raise SpecError(f"{pointer}/resource: no resource {job.resource!r}")
        fields = {field.name for field in resource.fields}
        if job.mode == "incremental" and job.cursor is None:
            raise SpecError(f"{pointer}/cursor: an incremental job needs a cursor field")
        if job.cursor is not None and job.cursor not in fields:
            raise SpecError(f"{pointer}/cursor: no field {job.cursor!r} in {resource.name!r}")
        if job.write_disposition == "merge" and not resource.primary_key:
            raise SpecError(
                f"{pointer}/write_disposition: merge needs a primary key; {resource.name!r} has none"
            )
        if job.batch_size < 1:
            raise SpecError(f"{pointer}/batch_size: must be at least 1")
        parts = job.schedule.split() if job.schedule is not None else []
        if job.schedule is not None and (len(parts) != 5 or not all(_CRON_FIELD.match(p) for p in parts)):
            raise SpecError(f"{pointer}/schedule: {job.schedule!r} is not a five-field cron expression")
        for t_index, transform in enumerate(job.transforms):
            at = f"{pointer}/transforms/{t_index}"
            if transform.field not in fields:
                raise SpecError(f"{at}/field: no field {transform.field!r} in {resource.name!r}")
            if transform.op in ("rename", "cast") and not transform.to:
                raise SpecError(f"{at}/to: {transform.op} needs `to`")
            if transform.op == "cast" and transform.to not in {t.value for t in LogicalType}:
                raise SpecError(f"{at}/to: unknown type {transform.to!r}")
            keyed = transform.field in resource.primary_key or transform.field == job.cursor
            if transform.op == "drop" and keyed:
                raise SpecError(f"{at}/op: cannot drop {transform.field!r}: the job keys or reads by it")
        for c_index, check in enumerate(job.checks):
            at = f"{pointer}/checks/{c_index}"
            for name in check.fields:
                if name not in fields:
                    raise SpecError(f"{at}/fields: no field {name!r} in {resource.name!r}")
            if check.check in ("not_null", "unique", "accepted_values") and not check.fields:
                raise SpecError(f"{at}/fields: {check.check} needs at least one field")
            if check.check == "accepted_values" and not check.values:
                raise SpecError(f"{at}/values: accepted_values needs values")
            dated = check.fields or job.cursor
            if check.check == "freshness" and (check.max_age_seconds is None or not dated):
                raise SpecError(f"{at}: freshness needs max_age_seconds and a field (or the job's cursor)")


SCHEMA_PATH = Path(__file__).with_name("schema.json")


def spec_json_schema() -> str:
    """The JSON Schema of spec files, as committed in codegen/spec/schema.json."""
    schema = Spec.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://codegen.invalid/spec/{SPEC_VERSION}/schema.json"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
