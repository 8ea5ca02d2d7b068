"""Plan the sample rows the generated tests create: a valid value per field, parents first."""

from __future__ import annotations

from typing import Any

from codegen.render.pyliteral import py_str
from codegen.spec.model import Field, LogicalType, Relationship, Resource, Spec

# Python expressions (over the counter `n` and helpers of the generated tests/samples.py)
_VALUES: dict[LogicalType, str] = {
    LogicalType.TEXT: "text(n)",
    LogicalType.INTEGER: "n",
    LogicalType.SMALL_INTEGER: "n",
    LogicalType.BIG_INTEGER: "n",
    LogicalType.BOOLEAN: "True",
    LogicalType.FLOAT: "n + 0.5",
    LogicalType.DATE: "day(n)",
    LogicalType.TIME: '"12:30:00"',
    LogicalType.INTERVAL: '"PT1H"',
    LogicalType.UUID: "uuid(n)",
    LogicalType.JSON: '{"n": n}',
    LogicalType.BINARY: "blob(n)",
}


def value_expr(field: Field) -> str | None:
    """An expression giving a valid, mostly unique value for the field; None if none exists."""
    if field.type is LogicalType.STRING:
        return f"text(n, {field.length})" if field.length else "text(n)"
    if field.type is LogicalType.ENUM:
        return py_str(field.enum_values[0]) if field.enum_values else None
    if field.type is LogicalType.DECIMAL:
        precision = field.precision or 10
        scale = field.scale if field.scale is not None else 2
        return f"decimal(n, {precision}, {scale})"
    if field.type is LogicalType.DATETIME:
        return "moment(n, tz=True)" if field.timezone else "moment(n)"
    if field.type is LogicalType.ARRAY:
        inner = Field(name="x", attribute="x", column="x", type=field.item_type or LogicalType.UNKNOWN, db_type="")
        item = value_expr(inner)
        return f"[{item}]" if item else None
    return _VALUES.get(field.type)


def reverse_segment(spec: Spec, resource: Resource, relation: Relationship) -> str | None:
    """The path segment of the one-to-many route that the parent of `relation` gets, if any."""
    parent = spec.resource(relation.target)
    if relation.target_fields != parent.primary_key:
        return None  # the nested route is keyed by the parent's primary key only
    for reverse in parent.relationships:
        if (reverse.kind == "one_to_many" and reverse.target == resource.name
                and reverse.target_fields == relation.fields and reverse.constraint == relation.constraint):
            return resource.path.rsplit("/", 1)[-1] if reverse.name == resource.name else reverse.name.replace("_", "-")
    return None


def _required_parents(resource: Resource) -> list[Relationship]:
    return [
        relation
        for relation in resource.relationships
        if relation.kind == "many_to_one"
        and all(not resource.field(name).nullable for name in relation.fields)
    ]


class _Planner:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.creatable: dict[str, str | None] = {}

    def blocker(self, resource: Resource, trail: tuple[str, ...] = ()) -> str | None:
        """Why rows of `resource` cannot be created through the API, or None when they can."""
        if resource.name in self.creatable:
            return self.creatable[resource.name]
        if resource.name in trail:
            cycle = " -> ".join([*trail[trail.index(resource.name):], resource.name])
            return f"required foreign keys form a cycle ({cycle})"
        reason = self._own_blocker(resource)
        for relation in _required_parents(resource):
            if reason:
                break
            parent = self.spec.resource(relation.target)
            if parent.name == resource.name:
                reason = "a required foreign key points at its own table"
                break
            reason = self.blocker(parent, (*trail, resource.name))
        if not trail or reason is None:
            self.creatable[resource.name] = reason
        return reason

    def _own_blocker(self, resource: Resource) -> str | None:
        if resource.read_only:
            return "read-only resource"
        fk_fields = {n for r in _required_parents(resource) for n in r.fields}
        for field in resource.fields:
            needed = not field.optional_on_create and field.name not in fk_fields
            if needed and (field.read_only or value_expr(field) is None):
                return f"field {field.name} ({field.type.value}) has no value the API can write"
        return None

    def plan(self, resource: Resource) -> dict[str, Any]:
        reason = self.blocker(resource)
        parents = []
        fk_fields: set[str] = set()
        for relation in _required_parents(resource) if reason is None else []:
            target = self.spec.resource(relation.target)
            fk_fields.update(relation.fields)
            parents.append({
                "name": relation.name,
                "target": target.name,
                "path": target.path,
                "pairs": [list(pair) for pair in zip(relation.fields, relation.target_fields, strict=True)],
                "key": target.primary_key,
                "segment": reverse_segment(self.spec, resource, relation),
            })
        fields = []
        optional_fks = {n for r in resource.relationships if r.kind == "many_to_one" for n in r.fields} - fk_fields
        for field in resource.fields:
            if field.name in optional_fks and field.nullable:
                continue
            if field.name in fk_fields or field.generated or field.read_only or field.type is LogicalType.UNKNOWN:
                continue
            expr = value_expr(field)
            if expr is not None:
                fields.append({"name": field.name, "expr": expr})
        return {
            "creatable": reason is None,
            "reason": reason,
            "parents": parents,
            "fields": fields,
            "patch": _patch_field(resource, fk_fields),
            "text_field": _text_field(resource),
            "conflict": _conflict(resource, fk_fields),
        }


def _patch_field(resource: Resource, fk_fields: set[str]) -> dict[str, str] | None:
    unique = {name for key in resource.unique_keys for name in key.fields}
    for field in resource.fields:
        if field.name in resource.primary_key or field.name in fk_fields or field.name in unique:
            continue
        if field.read_only or field.hidden or field.generated:
            continue
        if field.type in (LogicalType.STRING, LogicalType.TEXT, LogicalType.INTEGER, LogicalType.DATE):
            expr = value_expr(field)
            if expr:
                return {"name": field.name, "expr": expr.replace("(n", "(n + 1000", 1) if "(" in expr else "n + 1000"}
    return None


def _text_field(resource: Resource) -> str | None:
    for field in resource.fields:
        if field.type in (LogicalType.STRING, LogicalType.TEXT) and not field.hidden and (field.length or 99) >= 6:
            return field.name
    return None


def _conflict(resource: Resource, fk_fields: set[str]) -> str | None:
    """How a test can provoke 409: a duplicate key or unique value, else None."""
    if resource.primary_key and not any(f.generated for f in resource.key_fields):
        return "duplicate"
    for key in resource.unique_keys:
        if all(not resource.field(n).generated for n in key.fields):
            return "duplicate"
    return None


def sample_plan(spec: Spec) -> dict[str, dict[str, Any]]:
    """The sample plan of every resource, by resource name."""
    planner = _Planner(spec)
    return {resource.name: planner.plan(resource) for resource in spec.resources}
