"""The values templates read, computed in Python: names, types, imports, keys, samples."""

from __future__ import annotations

import base64
from typing import Any

from codegen import __version__, naming
from codegen.render.api_context import add_api_context
from codegen.render.imports import Imports
from codegen.render.pyliteral import py_str
from codegen.render.samples import reverse_segment, sample_plan
from codegen.render.types import (
    NOT_ON_SQLITE,
    TypeRef,
    model_python_type,
    portable_default,
    python_type,
    schema_python_type,
    sqlalchemy_type,
)
from codegen.sample_values import helper_names
from codegen.spec.model import Field, LogicalType, Relationship, Resource, Spec

HEADER_COMMAND = "codegen regenerate ."

Context = dict[str, Any]


def _target(resource: Resource, column: str) -> str:
    """A foreign key's target as SQLAlchemy takes it: `"schema.table.column"`, or the names one by one
    (`("table", "a.b")`) where a name holds a dot and the dotted form would be ambiguous."""
    names = [resource.db_schema, resource.table, column] if resource.db_schema else [resource.table, column]
    if any("." in name for name in names if name):
        return "(" + ", ".join(py_str(name) for name in names if name is not None) + ")"
    return py_str(".".join(name for name in names if name))


def item_key(resource: Resource) -> list[Field]:
    """The fields that address one item: the primary key, else a unique key of non-null fields."""
    if resource.primary_key:
        return resource.key_fields
    for unique in resource.unique_keys:
        fields = [resource.field(name) for name in unique.fields]
        if all(not field.nullable for field in fields):
            return fields
    return []


def writable(field: Field) -> bool:
    """True when clients may send the field in a create or update body."""
    return not (field.read_only or field.type is LogicalType.UNKNOWN)


class _Model:
    """Context of the SQLAlchemy model module of one resource."""

    def __init__(self, spec: Spec, resource: Resource) -> None:
        self.spec = spec
        self.resource = resource
        self.imports = Imports([("sqlalchemy.orm", "Mapped"), ("sqlalchemy.orm", "mapped_column"),
                                ("app.db", "Base")])

    def foreign_keys(self) -> tuple[dict[str, str], list[str]]:
        """Single-column FKs inline (field -> target), composite ones as table constraints."""
        inline: dict[str, str] = {}
        constraints: list[str] = []
        for relation in self.resource.relationships:
            if relation.kind != "many_to_one":
                continue
            target = self.spec.resource(relation.target)
            remote = [_target(target, target.field(name).column) for name in relation.target_fields]
            on_delete = f", ondelete={py_str(relation.on_delete)}" if relation.on_delete else ""
            if len(relation.fields) == 1 and relation.fields[0] not in inline:
                inline[relation.fields[0]] = f"ForeignKey({remote[0]}{on_delete})"
                self.imports.add("sqlalchemy", "ForeignKey")
            else:
                local = ", ".join(py_str(self.resource.field(n).column) for n in relation.fields)
                targets = ", ".join(remote)
                constraints.append(f"ForeignKeyConstraint([{local}], [{targets}]{on_delete})")
                self.imports.add("sqlalchemy", "ForeignKeyConstraint")
        return inline, constraints

    def column(self, field: Field, foreign_key: str | None, single_unique: set[str]) -> Context:
        resource = self.resource
        sa_type = sqlalchemy_type(field, self.spec.source.dialect)
        self.imports.update(sa_type.imports)
        annotation = model_python_type(field)
        self.imports.update(annotation.imports)
        args = [] if field.column == field.attribute else [py_str(field.column)]
        expr = sa_type.expr
        if field.generated and resource.primary_key == [field.name] and field.type in (
            LogicalType.BIG_INTEGER, LogicalType.SMALL_INTEGER
        ):
            # Only an INTEGER primary key is SQLite's rowid, which fills itself (tests run there).
            self.imports.add("sqlalchemy", "Integer")
            expr = f'{expr}.with_variant(Integer(), "sqlite")'
        args.append(expr)
        if foreign_key:
            args.append(foreign_key)
        if field.name in resource.primary_key:
            if not self.key_constraint():
                args.append("primary_key=True")
            if len(resource.primary_key) > 1 or not field.generated:
                args.append("autoincrement=False")
        elif not field.nullable and not resource.primary_key and resource.kind == "table":
            args.append("nullable=False")
        if field.name in single_unique:
            args.append("unique=True")
        default = portable_default(field)
        if default is not None:
            self.imports.add("sqlalchemy", "text")
            args.append(f"server_default=text({py_str(default)})")
        elif not resource.read_only and not (field.generated and field.name in resource.primary_key) and (
            field.default is not None or field.generated or not writable(field)
        ):
            # The database fills it (a default only it understands, a sequence) or the API never writes
            # it: FetchedValue keeps the column out of INSERTs instead of sending NULL. (Not for a
            # generated key: a server default would hide SQLAlchemy's own autoincrement.)
            self.imports.add("sqlalchemy", "FetchedValue")
            args.append("server_default=FetchedValue()")
        if field.comment:
            args.append(f"comment={py_str(field.comment)}")
        if _text_from_other_type(field):
            args.append('info={"as_text": True}')  # app/query.py compares it as text
        nullable = field.nullable and field.name not in resource.primary_key
        return {
            "attribute": field.attribute,
            "annotation": f"{annotation.expr} | None" if nullable else annotation.expr,
            "args": args,
        }

    def key_constraint(self) -> str | None:
        """`PrimaryKeyConstraint(...)` where the key's order is not the columns' order: the ORM (and the
        test database) then keys rows in the key's order, as the database does."""
        resource = self.resource
        in_table = [f.name for f in resource.fields if f.name in resource.primary_key]
        if in_table == resource.primary_key:
            return None
        self.imports.add("sqlalchemy", "PrimaryKeyConstraint")
        columns = ", ".join(py_str(field.column) for field in resource.key_fields)
        return f"PrimaryKeyConstraint({columns})"

    def checks(self) -> list[str]:
        """The table's CHECKs, created only on the source's own dialect (their SQL is written in it)."""
        dialect = self.spec.source.dialect
        if not self.resource.checks or self.resource.kind != "table" or dialect is None:
            return []
        self.imports.add("sqlalchemy", "CheckConstraint")
        return [
            f"CheckConstraint({py_str(check.sql)}"
            + (f", name={py_str(check.name)}" if check.name else "")
            + f").ddl_if(dialect={py_str(dialect)})"
            for check in self.resource.checks
        ]

    def table_args(self, constraints: list[str], multi_unique: list[list[str]]) -> str | None:
        resource = self.resource
        items = [key] if (key := self.key_constraint()) else []
        items += constraints + self.checks()
        for fields in multi_unique:
            self.imports.add("sqlalchemy", "UniqueConstraint")
            items.append("UniqueConstraint(" + ", ".join(py_str(resource.field(f).column) for f in fields) + ")")
        options = []
        if resource.db_schema:
            options.append(f'"schema": {py_str(resource.db_schema)}')
        if resource.comment:
            options.append(f'"comment": {py_str(resource.comment)}')
        if not items and not options:
            return None
        if not items:
            return "{" + ", ".join(options) + "}"
        if options:
            items.append("{" + ", ".join(options) + "}")
        return "(" + ", ".join(items) + ",)" if len(items) == 1 else "(" + ", ".join(items) + ")"

    def build(self) -> Context:
        resource = self.resource
        inline, constraints = self.foreign_keys()
        uniques = [u.fields for u in resource.unique_keys if u.fields != resource.primary_key]
        single = {u[0] for u in uniques if len(u) == 1}
        multi = [u for u in uniques if len(u) > 1]
        columns = [self.column(f, inline.get(f.name), single) for f in resource.fields]
        mapper_key = None
        if not resource.primary_key:
            key = item_key(resource) or resource.fields
            mapper_key = [f.attribute for f in key]
        return {
            "columns": columns,
            "table_args": self.table_args(constraints, multi),
            "mapper_key": mapper_key,
            "imports": self.imports.render(),
        }


def _schema_field(field: Field, annotation: str, default: str | None, write: bool) -> Context:
    extras = []
    if field.attribute != field.name:
        extras.append(f"alias={py_str(field.name)}")
    if write and field.type is LogicalType.STRING and field.length:
        extras.append(f"max_length={field.length}")
    if write and field.type is LogicalType.DECIMAL and field.precision is not None:
        extras.append(f"max_digits={field.precision}")
        if field.scale is not None:
            extras.append(f"decimal_places={field.scale}")
    if field.comment:
        extras.append(f"description={py_str(field.comment)}")
    if extras and default is not None:
        extras.insert(0, f"default={default}")
    return {"attribute": field.attribute, "annotation": annotation, "default": default, "field_args": extras}


_TEXT_WORDS = ("CHAR", "TEXT", "CLOB", "STRING", "ENUM", "SET", "NAME")


def _text_from_other_type(field: Field) -> bool:
    """A string field over a database type the driver returns as something else (INET, BIT...)."""
    return field.type in (LogicalType.STRING, LogicalType.TEXT) and not any(
        word in field.db_type.upper() for word in _TEXT_WORDS
    )


class _Schemas:
    """Context of the pydantic schema module of one resource."""

    def __init__(self, spec: Spec, resource: Resource) -> None:
        self.spec = spec
        self.resource = resource
        self.imports = Imports()

    def annotation(self, field: Field, optional: bool) -> str:
        ref = schema_python_type(field)
        self.imports.update(ref.imports)
        return f"{ref.expr} | None" if optional else ref.expr

    def fields(self, fields: list[Field], mode: str) -> list[Context]:
        result = []
        for field in fields:
            if mode == "read":
                annotation = self.annotation(field, field.nullable and field.name not in self.resource.primary_key)
                if _text_from_other_type(field):
                    self.imports.add("app.schemas.base", "AnyText")
                    annotation = annotation.replace("str", "AnyText", 1)
                default = None
            elif mode == "update":
                annotation, default = self.annotation(field, True), "None"
            else:
                optional = field.optional_on_create if mode == "create" else field.nullable or field.generated
                annotation = self.annotation(field, field.nullable or optional)
                default = "None" if optional else None
            entry = _schema_field(field, annotation, default, mode != "read")
            if entry["field_args"]:
                self.imports.add("pydantic", "Field")
            result.append(entry)
        return result

    def build(self) -> Context:
        resource = self.resource
        visible = [f for f in resource.fields if not f.hidden]
        keys = [f for f in resource.key_fields]
        body = [f for f in resource.fields if writable(f) and f.name not in resource.primary_key]
        writable_keys = [f for f in keys if writable(f)]
        if resource.read_only:
            body, writable_keys = [], []
        context = {
            "read": self.fields(visible, "read"),
            "base": self.fields(body, "create"),
            "create_keys": self.fields(writable_keys, "create"),
            "replace_keys": self.fields(writable_keys, "update"),
            "update_fields": self.fields(body, "update"),
            "required_in_update": sorted(f.name for f in body if not f.nullable),
        }
        self.imports.add("app.schemas.base", "ReadSchema")
        if not resource.read_only:
            self.imports.add("app.schemas.base", "WriteSchema")
        if context["required_in_update"] and not resource.read_only:
            self.imports.add("app.schemas.base", "UpdateSchema")
            self.imports.add("typing", "ClassVar")
        context["imports"] = self.imports.render()
        return context


def _key_params(fields: list[Field], imports: Imports) -> list[Context]:
    params = []
    for field in fields:
        ref = python_type(field)
        if field.type is LogicalType.BINARY:  # the base64 the API answers the field in
            ref = TypeRef("Base64Key", (("app.column_types", "Base64Key"),))
        imports.update(ref.imports)
        params.append({"attribute": field.attribute, "name": field.name, "annotation": ref.expr})
    return params


def _key_args(key: list[Context]) -> list[str]:
    return [f"{k['attribute']}: {k['annotation']}" for k in key]


def _key_tuple(key: list[Context]) -> str:
    return "(" + ", ".join(k["attribute"] for k in key) + (",)" if len(key) == 1 else ")")


# Per target: the imports of every routes module, those an item route adds, those writes add.
_ROUTE_IMPORTS: dict[str, tuple[list[tuple[str, str]], ...]] = {
    "fastapi": (
        [("fastapi", "APIRouter"), ("fastapi", "Request"), ("fastapi", "Response"),
         ("app.auth", "ReadAccess"), ("app.db", "SessionDep"), ("app.errors", "responses"),
         ("app.query", "Resource"), ("app.responses", "page_response"), ("pydantic", "BaseModel")],
        [("app.responses", "item_response")],
        [("app.auth", "WriteAccess"), ("fastapi", "Body"), ("fastapi.responses", "JSONResponse"),
         ("typing", "Annotated"), ("pydantic", "SkipValidation"), ("app.settings", "get_settings"),
         ("app.query", "OPENAPI_CREATE"), ("app.query", "OPENAPI_DELETE"), ("app.query", "OPENAPI_WRITE"),
         ("app.query", "validate_body"), ("app.responses", "conditions"),
         ("app.responses", "stored_response")],
    ),
    "flask": (
        [("flask", "Blueprint"), ("flask", "request"), ("app.db", "get_session"),
         ("app.operations", "operation"), ("app.operations", "query_params"), ("app.query", "Resource"),
         ("app.responses", "Answer"), ("app.responses", "page_response"), ("pydantic", "BaseModel")],
        [("app.responses", "item_response")],
        [("app.query", "OPENAPI_CREATE"), ("app.query", "OPENAPI_DELETE"), ("app.query", "OPENAPI_WRITE"),
         ("app.responses", "conditions"), ("app.responses", "stored_response")],
    ),
}
# Per target: the test client class the generated tests annotate their fixtures with.
_TEST_CLIENTS = {"fastapi": ("fastapi.testclient", "TestClient"), "flask": ("flask.testing", "FlaskClient")}


def _flask_rule(key: list[Context]) -> str:
    """Item path suffix in Flask's rule syntax: `/<playlist_id>/<track_id>`."""
    return "".join("/<" + k["attribute"] + ">" for k in key)


class _Routes:
    """Context of the routes module of one resource."""

    def __init__(self, spec: Spec, resource: Resource, target: str = "fastapi") -> None:
        self.spec = spec
        self.resource = resource
        self.target = target
        cls, module = resource.class_name, resource.module
        self.imports = Imports(_ROUTE_IMPORTS[target][0])
        self.imports.update([(f"app.models.{module}", cls), (f"app.schemas.{module}", f"{cls}Read")])

    def parent(self, target: Resource, parents: dict[str, Context]) -> Context:
        if target.name not in parents:
            if target.name != self.resource.name:
                self.imports.add(f"app.models.{target.module}", target.class_name)
                self.imports.add(f"app.schemas.{target.module}", f"{target.class_name}Read")
            parents[target.name] = {
                "variable": f"{target.module}_parent" if target.name != self.resource.name else "resource",
                "class_name": target.class_name,
                "key": [target.field(n).name for n in target.primary_key] or [f.name for f in item_key(target)],
                "path": target.path,
            }
        return parents[target.name]

    def expanded_field(self, relation: Relationship, target: Resource, taken: list[str]) -> str:
        """The line of `<Class>Expanded` that declares a relation: `artist: ArtistRead | None = None`."""
        attribute = naming.python_identifier(relation.name, taken)
        taken.append(attribute)
        annotation = f"{attribute}: {target.class_name}Read | None"
        if attribute == relation.name:
            return f"{annotation} = None"
        self.imports.add("pydantic", "Field")
        return f"{annotation} = Field(default=None, alias={py_str(relation.name)})"

    def build(self) -> Context:
        resource = self.resource
        parents: dict[str, Context] = {}
        relations, nested = [], []
        taken = [f.attribute for f in resource.fields]
        stem = naming.route_stem(resource.name)
        for relation in resource.relationships:
            if relation.kind != "many_to_one":
                continue
            target = self.spec.resource(relation.target)
            parent = self.parent(target, parents)
            local = [resource.field(n).attribute for n in relation.fields]
            remote = [target.field(n).attribute for n in relation.target_fields]
            relations.append({"name": relation.name, "parent": parent["variable"], "local": local,
                              "remote": remote, "field": self.expanded_field(relation, target, taken)})
            segment = reverse_segment(self.spec, resource, relation)
            if segment is None:
                continue
            key = _key_params(target.key_fields, self.imports)
            nested.append({
                "function": f"list_{stem}_by_{naming.identifier_part(relation.name)}",
                "path": target.path + "".join("/{" + k["attribute"] + "}" for k in key) + "/" + segment,
                "rule": target.path + _flask_rule(key) + "/" + segment,
                "label": target.name.replace("_", " "),
                "parent": parent["variable"],
                "key_args": _key_args(key),
                "key_tuple": _key_tuple(key),
                "local": local,
            })
        key = _key_params(item_key(resource), self.imports)
        if key:
            self.imports.update(_ROUTE_IMPORTS[self.target][1])
        if not resource.read_only:
            cls, module = resource.class_name, resource.module
            self.imports.update(_ROUTE_IMPORTS[self.target][2] + [
                (f"app.schemas.{module}", f"{cls}{suffix}") for suffix in ("Create", "Replace", "Update")
            ])
        nullable = [f.attribute for f in resource.fields
                    if f.nullable and writable(f) and f.name not in resource.primary_key]
        return {
            "key_args": _key_args(key),
            "key_tuple": _key_tuple(key),
            "item_path": "".join("/{" + k["attribute"] + "}" for k in key),
            "item_rule": _flask_rule(key),
            "parents": [p for p in parents.values() if p["variable"] != "resource"],
            "relations": relations,
            "nested": nested,
            "nullable": nullable,
            "imports": self.imports,
        }


def sqlite_testable(spec: Spec) -> bool:
    """True when the models can be created on SQLite for the generated tests."""
    tables = [(r.table.lower()) for r in spec.resources]
    if len(set(tables)) != len(tables):
        return False
    return not any(f.type in NOT_ON_SQLITE for r in spec.resources for f in r.fields)


_MISSING = {
    LogicalType.UUID: "ffffffff-ffff-ffff-ffff-ffffffffffff",
    LogicalType.DATE: "1900-01-01",
    LogicalType.DATETIME: "1900-01-01T00:00:00",
    LogicalType.TIME: "23:59:58",
    LogicalType.STRING: "missing",
    LogicalType.TEXT: "missing",
    LogicalType.ENUM: "missing",
    LogicalType.BOOLEAN: "false",
    # the largest values of the integer types but one: no test row has them, every column can hold them
    LogicalType.SMALL_INTEGER: "32766",
    LogicalType.INTEGER: "2147483646",
    LogicalType.BIG_INTEGER: "9223372036854775806",
}


def _missing_path(key: list[Field]) -> str:
    """A key that no test row has and that the key's types accept: for the 404 test."""
    return "".join("/" + _missing_value(f) for f in key)


def _missing_value(field: Field) -> str:
    if field.type is LogicalType.BINARY:  # the URL-safe base64 of bytes no test row has
        return base64.urlsafe_b64encode(b"\xfemissing"[: field.length or None]).decode()
    return _MISSING.get(field.type, "2147483646")[: field.length or None]


def _test_imports(resource: Resource, sample: dict[str, Any], target: str) -> str:
    imports = Imports([_TEST_CLIENTS[target], ("tests.samples", "csv_cell"), ("tests.samples", "csv_table")])
    if item_key(resource):
        imports.add("tests.samples", "walk")
    if sample["creatable"]:
        imports.update([("typing", "Any"), ("tests.samples", "create"),
                        ("tests.samples", f"new_{resource.name}"), ("urllib.parse", "quote")])
        if sample["patch"]:
            imports.add("tests.samples", "COUNTER")
            imports.update(("tests.values", name) for name in helper_names(sample["patch"]["expr"]))
    elif not resource.read_only:
        imports.add("pytest")
    if resource.kind != "table":
        imports.add("pytest")
        imports.update([("typing", "Any"), ("app.tables", "LEFT_OUT")])
    return imports.render()


def resource_context(
    spec: Spec, resource: Resource, samples: dict[str, Any], auth: str = "apikey", target: str = "fastapi"
) -> Context:
    """Everything the per-resource templates read about one resource."""
    key = item_key(resource)
    return {
        "name": resource.name,
        "class_name": resource.class_name,
        "module": resource.module,
        "table": resource.table,
        "schema": resource.db_schema,
        "kind": resource.kind,
        "path": resource.path,
        "label": resource.name.replace("_", " "),
        "stem": naming.route_stem(resource.name),
        "blueprint": naming.blueprint_name(resource.name),
        "read_only": resource.read_only,
        "has_item": bool(key),
        "key_names": [f.name for f in key],
        "field_names": [f.name for f in resource.fields if not f.hidden],
        "key_attributes": [f.attribute for f in key],
        "model": _Model(spec, resource).build(),
        "schemas": _Schemas(spec, resource).build(),
        "routes": _Routes(spec, resource, target).build(),
        "sample": samples[resource.name],
        "missing_path": _missing_path(key),
        "test_imports": _test_imports(resource, samples[resource.name], target),
        "auth": auth,
    }


_DRIVERS = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg", "mysql": "mysql+pymysql",
            "mariadb": "mysql+pymysql"}


def database_url_example(url: str, kind: str) -> str:
    """The source URL (already without password) with the driver the generated project pins."""
    if kind != "database" or "://" not in url:
        return "sqlite:///app.db"
    scheme, rest = url.split("://", 1)
    dialect = scheme.split("+")[0]
    return f"{_DRIVERS.get(dialect, scheme)}://{rest}"


def resource_entry(
    spec: Spec, resource: Resource, samples: dict[str, Any], auth: str = "apikey", target: str = "fastapi"
) -> Context:
    """One element of the project context's `resources`, as `project_context` makes it."""
    entry = resource_context(spec, resource, samples, auth, target)
    entry["routes"]["imports"] = entry["routes"]["imports"].render()
    return entry


def resource_inputs(spec: Spec, samples: dict[str, Any], auth: str = "apikey",
                    target: str = "fastapi") -> list[str] | None:
    """Per resource, everything its `resource_entry` reads, as text: the same text (and code) gives the
    same entry.

    That is the resource itself, the resources its many-to-one relationships point at (whole: their
    fields, keys, paths, and their own relationships, which `reverse_segment` reads), its sample plan
    (which follows required parents further), the source (its dialect), auth and target. Nothing else
    of the spec is read by `resource_context`; tests/test_render_memo.py checks that on the sample
    databases, and a change there must change this function too. None for a spec with an API
    description, whose entries also depend on its operations and models (`add_api_context`).
    """
    if spec.api is not None:
        return None
    dumped: dict[str, str] = {}
    for resource in spec.resources:
        dumped.setdefault(resource.name, resource.model_dump_json())  # the one `spec.resource` finds
    common = repr((spec.source.model_dump_json(), auth, target))
    inputs = []
    for resource in spec.resources:
        parents = [dumped.get(r.target, "") for r in resource.relationships if r.kind == "many_to_one"]
        inputs.append("\n".join([common, resource.model_dump_json(), repr(samples.get(resource.name)), *parents]))
    return inputs


def project_context(
    spec: Spec, options: dict[str, Any], target: str = "fastapi", resources: list[Context] | None = None
) -> Context:
    """The context of a whole project: the spec, options, and one entry per resource.

    `resources`: the entries, when the caller has them (`resource_entry` of each resource, in order).
    """
    auth = options.get("auth", "apikey")
    if resources is None:
        samples = sample_plan(spec)
        resources = [resource_entry(spec, r, samples, auth, target) for r in spec.resources]
    context = {
        "project_name": spec.name,
        "package_name": spec.name.replace("_", "-"),
        "target": target,
        "header_command": HEADER_COMMAND,
        "dialect": spec.source.dialect or "sqlite",
        "source_url": spec.source.url,
        "schemas": sorted({r.db_schema for r in spec.resources if r.db_schema}),
        "views": [{"key": f"{r.db_schema}.{r.table}" if r.db_schema else r.table, "kind": r.kind,
                   "definition": r.definition} for r in spec.resources if r.kind != "table" and r.definition],
        "sqlite_testable": sqlite_testable(spec),
        "auth": auth,
        "ci": bool(options.get("ci", False)),
        "codegen_version": __version__,
        "database_url_example": database_url_example(spec.source.url, spec.source.kind),
        "resources": resources,
    }
    context = add_api_context(spec, context)
    context["sample_helpers"] = _sample_imports(context["resources"])
    return context


def _sample_imports(resources: list[Context]) -> str:
    """`from tests.values import ...`: the helpers the sample bodies of tests/samples.py call."""
    imports = Imports()
    for resource in resources:
        if resource["sample"]["creatable"]:
            for entry in resource["sample"]["fields"]:
                imports.update(("tests.values", name) for name in helper_names(entry["expr"]))
    return imports.render()
