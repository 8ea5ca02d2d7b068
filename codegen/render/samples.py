"""Plan the sample rows the generated tests create: a valid value per field, parents first."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from codegen import naming
from codegen.render.types import portable_default
from codegen.sample_values import Shape, checked_columns, default_expr, injective
from codegen.spec.model import Field, LogicalType, Relationship, Resource, Spec

# The counters the tests of one session reach, over which a unique field's samples must differ.
SESSION_COUNTERS = range(1, 1600)

def value_expr(field: Field) -> str | None:
    """The expression of the field's sample values (tests/values.py helpers over the counter `n`): the
    one reflection chose for the table's CHECKs, else the type's own; None if the type has none."""
    if field.sample is not None:
        return field.sample
    shape = Shape(field.type, field.length, field.precision, field.scale, field.timezone,
                  tuple(field.enum_values), field.item_type, field.db_type)
    return default_expr(shape)


def generated_key(resource: Resource, field: Field) -> bool:
    """True for the single-column key the database fills itself (autoincrement or identity); a
    generated member of a composite key, or a generated column out of the key, is none."""
    return field.generated and resource.primary_key == [field.name]


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
        if resource.sample_blocker:
            return resource.sample_blocker
        fk_fields = {n for r in _required_parents(resource) for n in r.fields}
        for field in resource.fields:
            needed = not field.optional_on_create and field.name not in fk_fields
            if needed and (field.read_only or value_expr(field) is None):
                return f"field {field.name} ({field.type.value}) has no value the API can write"
        sent = self.sent(resource, fk_fields)
        for field in resource.fields:
            unfilled = field.name not in sent and field.name not in fk_fields and not field.nullable
            if unfilled and not generated_key(resource, field) and portable_default(field) is None:
                # The tests' database has only the defaults every dialect understands.
                how = f"its default {field.default}" if field.default else "the database"
                return f"field {field.name} is never null and filled by {how}, unknown to the tests' database"
        return _repeating_key(resource, sent, fk_fields)

    def sent(self, resource: Resource, fk_fields: set[str]) -> dict[str, str]:
        """The fields a sample body holds, with their expressions (nullable unique fields that would
        repeat sent as null, which no unique key counts)."""
        optional_fks = {n for r in resource.relationships if r.kind == "many_to_one" for n in r.fields}
        sent: dict[str, str] = {}
        for field in resource.fields:
            if field.name in optional_fks and field.nullable or field.name in fk_fields:
                continue
            # A key the database fills is left to it (the tests' database fills it too); another column
            # filled from a sequence gets a value: the tests' database has no such sequence.
            if generated_key(resource, field) or field.read_only or field.type is LogicalType.UNKNOWN:
                continue
            expr = value_expr(field)
            if expr is not None:
                repeats = field.nullable and field.name in _unique_fields(resource) and not _distinct(expr)
                sent[field.name] = "None" if repeats else expr
        return sent

    def plan(self, resource: Resource) -> dict[str, Any]:
        reason = self.blocker(resource)
        parents = []
        fk_fields: set[str] = set()
        for relation in _required_parents(resource) if reason is None else []:
            target = self.spec.resource(relation.target)
            fk_fields.update(relation.fields)
            parents.append({
                "name": relation.name,
                "ident": naming.identifier_part(relation.name),
                "target": target.name,
                "path": target.path,
                "pairs": [list(pair) for pair in zip(relation.fields, relation.target_fields, strict=True)],
                "key": target.primary_key,
                "segment": reverse_segment(self.spec, resource, relation),
            })
        sent = self.sent(resource, fk_fields)
        return {
            "creatable": reason is None,
            "reason": reason,
            "parents": parents,
            "fields": [{"name": name, "expr": expr} for name, expr in sent.items()],
            "patch": _patch_field(resource, sent),
            "text_field": _text_field(resource, sent),
            "conflict": _conflict(resource, sent),
        }


@lru_cache(maxsize=65536)
def _distinct(expr: str) -> bool:
    """True when the expression's values differ for every counter a test session reaches."""
    return "n" in expr and injective(expr, SESSION_COUNTERS)


def _unique_fields(resource: Resource) -> set[str]:
    return {name for key in resource.unique_keys if len(key.fields) == 1 for name in key.fields}


def _repeating_key(resource: Resource, sent: dict[str, str], fk_fields: set[str]) -> str | None:
    """Why the rows the tests create would break a unique key (its samples repeat), or None."""
    keys = [key.fields for key in resource.unique_keys]
    if resource.primary_key:
        keys.append(resource.primary_key)
    for fields in keys:
        varied = [name for name in fields if name in fk_fields or name not in sent  # parents, generated
                  or sent[name] == "None" or _distinct(sent[name])]
        if not varied:
            names = ", ".join(fields)
            return f"the unique key ({names}) cannot hold the rows the tests create: its samples repeat"
    return None


_COUNTER = re.compile(r"""("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|\bn\b(\s*(?=[,)]))?""")


def shifted(expr: str) -> str:
    """The expression for another row than `expr`'s: the counter moved on by 1000 (strings kept)."""
    if expr == "n":
        return "n + 1000"

    def moved(match: re.Match[str]) -> str:
        if match[1]:
            return match[1]
        return "n + 1000" + match[2] if match[2] is not None else "(n + 1000)"

    return _COUNTER.sub(moved, expr)


def _patch_field(resource: Resource, sent: dict[str, str]) -> dict[str, str] | None:
    """A field a PATCH can give another valid value: not a key, unique, foreign key or part of a CHECK
    that reads other columns too (its new value could break it)."""
    fixed = {name for key in resource.unique_keys for name in key.fields} | set(resource.primary_key)
    fixed |= {n for r in resource.relationships if r.kind == "many_to_one" for n in r.fields}
    names = [f.column for f in resource.fields]
    for check in resource.checks:
        columns = checked_columns(check.sql, names)
        if len(columns) > 1:
            fixed |= {f.name for f in resource.fields if f.column in columns}
    for field in resource.fields:
        expr = sent.get(field.name)
        if field.name in fixed or field.hidden or expr is None or not _distinct(expr) or "pick(" in expr:
            continue
        if field.type in (LogicalType.STRING, LogicalType.TEXT, LogicalType.INTEGER, LogicalType.DATE):
            return {"name": field.name, "expr": shifted(expr)}
    return None


def _text_field(resource: Resource, sent: dict[str, str]) -> str | None:
    """A text field every sample row holds a string in, for the `ilike` test."""
    for field in resource.fields:
        expr = sent.get(field.name)
        textual = field.type in (LogicalType.STRING, LogicalType.TEXT) and not field.hidden
        if textual and expr not in (None, "None") and "pick(" not in expr and (field.length or 99) >= 6:
            return field.name
    return None


def _conflict(resource: Resource, sent: dict[str, str]) -> str | None:
    """How a test can provoke 409: a duplicate key or unique value (all sent, none null), else None."""
    keys = [resource.primary_key] if resource.primary_key else []
    keys += [key.fields for key in resource.unique_keys]
    for fields in keys:
        if all(sent.get(name) not in (None, "None") for name in fields):
            return "duplicate"
    return None


def sample_plan(spec: Spec) -> dict[str, dict[str, Any]]:
    """The sample plan of every resource, by resource name."""
    planner = _Planner(spec)
    return {resource.name: planner.plan(resource) for resource in spec.resources}
