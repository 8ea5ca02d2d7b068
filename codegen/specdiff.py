"""Compare two specs and class each change as breaking or compatible for API clients."""

from __future__ import annotations

from dataclasses import dataclass

from codegen.spec.model import Field, LogicalType, Resource, Spec

# Widening type changes: every value of the old type is a value of the new one.
_WIDER = {
    (LogicalType.SMALL_INTEGER, LogicalType.INTEGER),
    (LogicalType.SMALL_INTEGER, LogicalType.BIG_INTEGER),
    (LogicalType.INTEGER, LogicalType.BIG_INTEGER),
    (LogicalType.STRING, LogicalType.TEXT),
    (LogicalType.ENUM, LogicalType.STRING),
    (LogicalType.ENUM, LogicalType.TEXT),
    (LogicalType.FLOAT, LogicalType.DECIMAL),
}


@dataclass(frozen=True)
class Change:
    """One difference between two specs."""

    where: str
    what: str
    breaking: bool

    def __str__(self) -> str:
        return f"{'BREAKING' if self.breaking else 'compatible'}: {self.where}: {self.what}"


def _field_changes(where: str, old: Field, new: Field) -> list[Change]:
    changes = []
    if old.type != new.type:
        wider = (old.type, new.type) in _WIDER
        changes.append(Change(where, f"type {old.type.value} -> {new.type.value}", not wider))
    if old.length != new.length and old.length is not None:
        narrowed = new.length is not None and new.length < old.length
        changes.append(Change(where, f"length {old.length} -> {new.length}", narrowed))
    removed = sorted(set(old.enum_values) - set(new.enum_values))
    added = sorted(set(new.enum_values) - set(old.enum_values))
    if removed:
        changes.append(Change(where, f"enum values removed: {', '.join(removed)}", True))
    if added:
        changes.append(Change(where, f"enum values added: {', '.join(added)}", False))
    if old.optional_on_create and not new.optional_on_create:
        changes.append(Change(where, "made required", True))
    elif not old.optional_on_create and new.optional_on_create:
        changes.append(Change(where, "made optional", False))
    if old.nullable != new.nullable:
        changes.append(Change(where, f"nullable {old.nullable} -> {new.nullable}", False))
    if not old.hidden and new.hidden:
        changes.append(Change(where, "hidden from responses", True))
    if not old.read_only and new.read_only:
        changes.append(Change(where, "made read-only", True))
    return changes


def _resource_changes(old: Resource, new: Resource) -> list[Change]:
    name = old.name
    changes = []
    if old.path != new.path:
        changes.append(Change(name, f"path {old.path} -> {new.path}", True))
    if old.primary_key != new.primary_key:
        changes.append(Change(name, f"key {old.primary_key} -> {new.primary_key}", True))
    if not old.read_only and new.read_only:
        changes.append(Change(name, "made read-only", True))
    old_fields = {f.name: f for f in old.fields}
    new_fields = {f.name: f for f in new.fields}
    for field_name in sorted(set(old_fields) - set(new_fields)):
        changes.append(Change(f"{name}.{field_name}", "field removed", True))
    for field_name in sorted(set(new_fields) - set(old_fields)):
        required = not new_fields[field_name].optional_on_create and not new.read_only
        what = "field added (required on create)" if required else "field added"
        changes.append(Change(f"{name}.{field_name}", what, required))
    for field_name in sorted(set(old_fields) & set(new_fields)):
        changes += _field_changes(f"{name}.{field_name}", old_fields[field_name], new_fields[field_name])
    return changes


def diff_specs(old: Spec, new: Spec) -> list[Change]:
    """Every change from `old` to `new`, resources and operations in name order."""
    old_resources = {r.name: r for r in old.resources}
    new_resources = {r.name: r for r in new.resources}
    changes = [Change(n, "resource removed", True) for n in sorted(set(old_resources) - set(new_resources))]
    changes += [Change(n, "resource added", False) for n in sorted(set(new_resources) - set(old_resources))]
    for name in sorted(set(old_resources) & set(new_resources)):
        changes += _resource_changes(old_resources[name], new_resources[name])
    old_ops = {o.operation_id: o for o in old.operations}
    new_ops = {o.operation_id: o for o in new.operations}
    changes += [Change(n, "operation removed", True) for n in sorted(set(old_ops) - set(new_ops))]
    changes += [Change(n, "operation added", False) for n in sorted(set(new_ops) - set(old_ops))]
    for name in sorted(set(old_ops) & set(new_ops)):
        before, after = old_ops[name], new_ops[name]
        if (before.method, before.path) != (after.method, after.path):
            where = f"{before.method.upper()} {before.path} -> {after.method.upper()} {after.path}"
            changes.append(Change(name, f"moved: {where}", True))
    return changes
