"""Turn reflected tables into spec resources: names, fields, keys and relationships."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

from codegen import naming
from codegen.reflect.database import ColumnInfo, DatabaseInfo, ForeignKeyInfo, TableInfo
from codegen.spec.model import (
    SPEC_VERSION,
    Check,
    Diagnostic,
    Field,
    Index,
    Relationship,
    Resource,
    Source,
    Spec,
    UniqueKey,
)


@dataclass
class _Named:
    """A table with the names it gets in the spec."""

    table: TableInfo
    name: str
    class_name: str
    module: str
    path: str
    columns: dict[str, Field]


def _field(column: ColumnInfo, name: str, attribute: str) -> Field:
    info = column.type
    return Field(
        name=name,
        attribute=attribute,
        column=column.name,
        type=info.type,
        db_type=info.db_type,
        nullable=column.nullable,
        length=info.length,
        precision=info.precision,
        scale=info.scale,
        timezone=info.timezone,
        enum_values=info.enum_values,
        enum_name=info.enum_name,
        enum_schema=info.enum_schema,
        native_enum=info.native_enum,
        item_type=info.item_type,
        default=column.default,
        autoincrement=column.autoincrement,
        identity=column.identity,
        comment=column.comment,
        read_only=not info.exact or column.generated_always,
        sample=column.sample,
    )


def _fields(table: TableInfo) -> dict[str, Field]:
    names: list[str] = []
    attributes: list[str] = []
    fields: dict[str, Field] = {}
    for column in table.columns:
        name = naming.json_name(column.name, names)
        attribute = naming.python_identifier(name, attributes)
        names.append(name)
        attributes.append(attribute)
        fields[column.name] = _field(column, name, attribute)
    return fields


def _name_tables(tables: list[TableInfo]) -> dict[tuple[str | None, str], _Named]:
    named: dict[tuple[str | None, str], _Named] = {}
    names: list[str] = []
    classes: list[str] = []
    modules: list[str] = []
    paths: list[str] = []
    for table in sorted(tables, key=lambda t: (t.schema or "", t.name)):
        base = f"{table.schema}_{table.name}" if table.schema else table.name
        name = naming.unique_name(naming.snake_case(base) or "resource", names)
        entry = _Named(
            table=table,
            name=name,
            class_name=naming.resource_class_name(base, classes),
            module=naming.module_name(name, modules),
            path=naming.collection_path(table.name, table.schema, paths),
            columns=_fields(table),
        )
        names.append(entry.name)
        classes.append(entry.class_name)
        modules.append(entry.module)
        paths.append(entry.path)
        named[(table.schema, table.name)] = entry
    return named


def _target(named: dict[tuple[str | None, str], _Named], fk: ForeignKeyInfo, schema: str | None) -> _Named | None:
    return named.get((fk.target_schema, fk.target_table)) or named.get((schema, fk.target_table))


def _link_targets(entry: _Named, named: dict[tuple[str | None, str], _Named]) -> list[tuple[ForeignKeyInfo, _Named]] | None:
    """The two foreign keys of a link table whose key is exactly their columns, else None."""
    table = entry.table
    if len(table.foreign_keys) != 2 or not table.primary_key:
        return None
    covered = [col for fk in table.foreign_keys for col in fk.columns]
    if sorted(covered) != sorted(table.primary_key):
        return None
    pairs = [(fk, _target(named, fk, table.schema)) for fk in table.foreign_keys]
    if any(target is None for _, target in pairs):
        return None
    return [(fk, target) for fk, target in pairs if target is not None]


_ForeignKey = tuple[_Named, ForeignKeyInfo, _Named, list[str], list[str]]


class _Relations:
    """Collects relationships per resource, naming each without collisions."""

    def __init__(self, named: dict[tuple[str | None, str], _Named]) -> None:
        self.named = named
        self.by_resource: dict[str, list[Relationship]] = {entry.name: [] for entry in named.values()}
        self.taken: dict[str, list[str]] = {
            entry.name: [f.name for f in entry.columns.values()] for entry in named.values()
        }

    def add(self, owner: str, base: str, **values: object) -> Relationship:
        name = naming.unique_name(base, self.taken[owner])
        self.taken[owner].append(name)
        relation = Relationship(name=name, **values)  # type: ignore[arg-type]
        self.by_resource[owner].append(relation)
        return relation

    def add_many_to_one(self, entry: _Named, fk: ForeignKeyInfo, target: _Named, local: list[str],
                        remote: list[str]) -> None:
        base = naming.relation_name(local, target.name, [])
        self.add(entry.name, base, kind="many_to_one", target=target.name, fields=local,
                 target_fields=remote, on_delete=fk.on_delete, constraint=fk.name)

    def add_one_to_many(self, entry: _Named, fk: ForeignKeyInfo, target: _Named, local: list[str],
                        remote: list[str]) -> None:
        base = naming.relation_name(local, target.name, [])
        siblings = [f for f in entry.table.foreign_keys if _target(self.named, f, entry.table.schema) is target]
        reverse = entry.name
        if len(siblings) != 1 or reverse in self.taken[target.name]:
            reverse = f"{entry.name}_by_{base}"
        self.add(target.name, reverse, kind="one_to_many", target=entry.name, fields=remote,
                 target_fields=local, on_delete=fk.on_delete, constraint=fk.name)

    def add_link(self, link: _Named, pairs: list[tuple[ForeignKeyInfo, _Named]]) -> None:
        for (fk_a, side_a), (fk_b, side_b) in (pairs, pairs[::-1]):
            self.add(
                side_a.name,
                side_b.name if side_a is not side_b else f"{link.name}_{side_b.name}",
                kind="many_to_many",
                target=side_b.name,
                fields=[side_a.columns[c].name for c in fk_a.target_columns],
                target_fields=[side_b.columns[c].name for c in fk_b.target_columns],
                through=link.name,
                through_fields=[link.columns[c].name for c in fk_a.columns],
                through_target_fields=[link.columns[c].name for c in fk_b.columns],
            )


def _foreign_keys(
    named: dict[tuple[str | None, str], _Named], diagnostics: list[Diagnostic]
) -> list[_ForeignKey]:
    """Every foreign key whose target was reflected, with the field names on both sides."""
    found: list[_ForeignKey] = []
    for entry in named.values():
        for fk in entry.table.foreign_keys:
            target = _target(named, fk, entry.table.schema)
            if target is None:
                diagnostics.append(
                    Diagnostic(level="info", where=entry.name,
                               message=f"foreign key to {fk.target_table} left out: table not reflected")
                )
                continue
            try:
                local = [entry.columns[c].name for c in fk.columns]
                remote = [target.columns[c].name for c in fk.target_columns]
            except KeyError:
                message = f"foreign key {fk.name} names unknown columns"
                diagnostics.append(Diagnostic(where=entry.name, message=message))
                continue
            found.append((entry, fk, target, local, remote))
    return found


def _relationships(named: dict[tuple[str | None, str], _Named], diagnostics: list[Diagnostic]) -> dict[str, list[Relationship]]:
    """Many-to-one relations first, so that a foreign key's own name wins over any reverse side."""
    relations = _Relations(named)
    foreign_keys = _foreign_keys(named, diagnostics)
    for item in foreign_keys:
        relations.add_many_to_one(*item)
    for item in foreign_keys:
        relations.add_one_to_many(*item)
    for entry in named.values():
        pairs = _link_targets(entry, named)
        if pairs:
            relations.add_link(entry, pairs)
    return relations.by_resource


def _resource(entry: _Named, relationships: list[Relationship], diagnostics: list[Diagnostic]) -> Resource:
    table = entry.table
    fields = entry.columns
    diagnostics += [Diagnostic(level="info", where=entry.name, message=note) for note in table.notes]
    for column in table.columns:
        if not column.type.exact:
            diagnostics.append(
                Diagnostic(where=f"{entry.name}.{fields[column.name].name}",
                           message=f"type {column.type.db_type!r} has no exact mapping; served as {column.type.type.value}")
            )
    keys = [fields[c].name for c in table.primary_key if c in fields]
    return Resource(
        name=entry.name,
        class_name=entry.class_name,
        module=entry.module,
        table=table.name,
        db_schema=table.schema,
        kind=table.kind,  # type: ignore[arg-type]
        path=entry.path,
        read_only=table.kind != "table" or not keys,
        primary_key=keys,
        fields=list(fields.values()),
        unique_keys=[UniqueKey(name=n, fields=[fields[c].name for c in cols]) for n, cols in table.unique_keys
                     if all(c in fields for c in cols)],
        indexes=[Index(name=n, fields=[fields[c].name for c in cols]) for n, cols in table.indexes
                 if all(c in fields for c in cols)],
        relationships=relationships,
        checks=[Check(name=n, sql=sql) for n, sql in table.checks],
        comment=table.comment,
        definition=table.definition,
        sample_blocker=table.sample_blocker,
    )


def build_spec(db: DatabaseInfo, name: str | None = None, include: list[str] | None = None,
               exclude: list[str] | None = None) -> Spec:
    """The spec for a reflected database; the same database always gives the same spec."""
    named = _name_tables(db.tables)
    diagnostics: list[Diagnostic] = []
    relations = _relationships(named, diagnostics)
    resources = [_resource(entry, relations[entry.name], diagnostics) for entry in named.values()]
    base = name or (PurePath(db.database).stem if db.database else "api")
    project = naming.snake_case(base)
    return Spec(
        spec_version=SPEC_VERSION,
        name=project or "api",
        source=Source(kind="database", url=db.url, dialect=db.dialect, schemas=db.schemas,
                      include=include or [], exclude=exclude or []),
        resources=resources,
        diagnostics=sorted(diagnostics, key=lambda d: (d.where, d.message)),
    )

