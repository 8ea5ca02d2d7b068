"""Typed pydantic models for the schemas of an API description, computed as text for the templates.

Object schemas become classes (allOf merged into one flat class), every other named schema a
type alias; inline objects are hoisted into classes named after where they occur. oneOf/anyOf
become unions, discriminated ones through a callable discriminator, so the variant classes
stay exactly as the description writes them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from codegen import naming
from codegen.render.imports import Imports
from codegen.render.pyliteral import py_literal, py_str
from codegen.schemas import object_shape, ref_name, types_of
from codegen.spec.model import Model

_FORMATS = {"date": ("date", "datetime"), "date-time": ("datetime", "datetime"), "time": ("time", "datetime"),
            "uuid": ("UUID", "uuid")}
_NUMERIC = (("minimum", "ge"), ("maximum", "le"), ("exclusiveMinimum", "gt"), ("exclusiveMaximum", "lt"),
            ("multipleOf", "multiple_of"))
_UNSAFE_PATTERN = re.compile(r"\(\?[=!<]|\\[1-9pPkZ]")


def safe_pattern(pattern: Any) -> str | None:
    """A pattern both Python's `re` and pydantic's Rust engine accept, else None (left unchecked)."""
    if not isinstance(pattern, str) or _UNSAFE_PATTERN.search(pattern):
        return None
    try:
        re.compile(pattern)
    except re.error:
        return None
    return pattern


def constraint_args(schema: Mapping[str, Any], kind: str) -> list[str]:
    """Keyword arguments of `Field(...)` / `Query(...)` for a scalar or array schema's constraints."""
    args = []
    if kind in ("integer", "number"):
        for key, arg in _NUMERIC:
            value = schema.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                args.append(f"{arg}={value!r}")
    elif kind == "string" and schema.get("format") not in _FORMATS:
        for key, arg in (("minLength", "min_length"), ("maxLength", "max_length")):
            if isinstance(schema.get(key), int):
                args.append(f"{arg}={schema[key]}")
        pattern = safe_pattern(schema.get("pattern"))
        if pattern is not None:
            args.append(f"pattern={py_str(pattern)}")
    elif kind == "array":
        for key, arg in (("minItems", "min_length"), ("maxItems", "max_length")):
            if isinstance(schema.get(key), int):
                args.append(f"{arg}={schema[key]}")
    return args


def _doc(schema: Mapping[str, Any], fallback: str) -> str:
    text = schema.get("description") or schema.get("title")
    line = str(text).strip().splitlines()[0].strip() if isinstance(text, str) and text.strip() else fallback
    line = line.replace("\\", "\\\\").replace('"""', "'''").rstrip('"')
    if len(line) > 80:
        line = line[:77].rstrip() + "..."
    return line if line.endswith(".") else line + "."


class ModelBuilder:
    """Builds the classes and aliases of `app/components.py`, and type expressions that use them."""

    def __init__(self, models: list[Model]) -> None:
        self.models = {m.name: m.schema_ for m in models}
        self.class_of = {m.name: m.class_name for m in models}
        self.taken = [*self.class_of.values(), *naming.MODEL_RESERVED]
        self.imports = Imports([("pydantic", "BaseModel"), ("pydantic", "ConfigDict")])
        self.classes: list[dict[str, Any]] = []
        self.aliases: dict[str, tuple[str, set[str]]] = {}
        self._deps: set[str] | None = None
        self._outside = Imports()
        self._hoisted: dict[int, str] = {}
        self.parses_scalars = False  # whether a route reads a literal's number or boolean from text
        self.is_class = {m.name: self._object(m.schema_) for m in models}
        for model in models:
            if self.is_class[model.name]:
                self.classes.append(self._class(model.class_name, model.schema_, model.name))
            else:
                self._deps = set()
                expr = self.expr(model.schema_, model.class_name)
                self.aliases[model.class_name] = (expr, self._deps)
                self._deps = None

    def _object(self, schema: Mapping[str, Any]) -> bool:
        if ref_name(schema) is not None or any(k in schema for k in ("oneOf", "anyOf", "enum", "const")):
            return False
        if "null" in types_of(schema):
            return False
        return object_shape(schema, self.models) is not None and (
            bool(schema.get("properties")) or "allOf" in schema or types_of(schema) == ["object"]
            and not isinstance(schema.get("additionalProperties"), dict)
        )

    # -- expressions ------------------------------------------------------------------------------

    def _use(self, module: str, name: str, q: str) -> None:
        (self._outside if q else self.imports).add(module, name)

    def expr_outside(self, schema: Any, hint: str, imports: Imports) -> str:
        """The type of a schema in another module: models as `components.X`, no constraints."""
        self._outside = imports
        uses = "components." in (result := self.expr(schema, hint, "components.", constraints=False))
        if uses:
            imports.add("app", "components")
        return result

    def expr(self, schema: Any, hint: str, q: str = "", constraints: bool = True) -> str:
        """The Python type of a schema; `q` qualifies model names ("components.") outside the module."""
        constraints = constraints and not q
        if not isinstance(schema, Mapping) or not schema:
            self._use("typing", "Any", q)
            return "Any"
        name = ref_name(schema)
        if name is not None:
            return self._named(name, q)
        if "const" in schema or "enum" in schema:
            return self._literal(schema, q)
        for key in ("oneOf", "anyOf"):
            if isinstance(schema.get(key), list) and schema[key]:
                return self._union(schema, key, hint, q)
        if isinstance(schema.get("allOf"), list):
            return self._all_of(schema, hint, q)
        kinds = types_of(schema)
        nullable = "null" in kinds
        kinds = [k for k in kinds if k != "null"] or (["object"] if schema.get("properties") else [])
        if not kinds:
            self._use("typing", "Any", q)
            return "Any"
        parts = [self._single(kind, schema, hint, q, constraints) for kind in kinds]
        return " | ".join(dict.fromkeys(parts + (["None"] if nullable else [])))

    def _named(self, name: str, q: str) -> str:
        if name not in self.class_of:
            self._use("typing", "Any", q)
            return "Any"
        cls = self.class_of[name]
        if self._deps is not None and not self.is_class.get(name, True):
            self._deps.add(cls)
        return q + cls

    def _literal(self, schema: Mapping[str, Any], q: str) -> str:
        values = [schema["const"]] if "const" in schema else list(schema.get("enum") or [])
        scalars = [v for v in values if isinstance(v, (str, int, float, bool)) and v is not None]
        if not scalars or len(scalars) + values.count(None) != len(values):
            self._use("typing", "Any", q)
            return "Any"
        self._use("typing", "Literal", q)
        literal = "Literal[" + ", ".join(py_literal(v) for v in dict.fromkeys(scalars)) + "]"
        nullable = None in values or "null" in types_of(schema)
        return literal + " | None" if nullable else literal

    def _union(self, schema: Mapping[str, Any], key: str, hint: str, q: str) -> str:
        members = schema[key]
        nullable = any(types_of(m) == ["null"] for m in members) or "null" in types_of(schema)
        members = [m for m in members if types_of(m) != ["null"]]
        discriminator = schema.get("discriminator") or {}
        names = [ref_name(m) for m in members]
        if discriminator.get("propertyName") and members and all(n in self.class_of for n in names):
            expr = self._discriminated(discriminator, [str(n) for n in names], q, hint)
        else:
            parts = [self.expr(m, f"{hint}Option{i + 1}", q) for i, m in enumerate(members)]
            expr = " | ".join(dict.fromkeys(parts)) if parts else "Any"
            if expr == "Any":
                self._use("typing", "Any", q)
        return f"{expr} | None" if nullable and expr != "Any" else expr

    def _discriminated(self, discriminator: Mapping[str, Any], names: list[str], q: str, hint: str) -> str:
        if len(set(names)) == 1:
            return self._named(names[0], q)
        if q:  # outside the models module: a named alias there keeps the signature readable
            alias = naming.unique_name(naming.class_name(hint, []), self.taken, separator="")
            self.taken.append(alias)
            saved, self._deps = self._deps, set()
            self.aliases[alias] = (self._discriminated(discriminator, names, "", hint), self._deps)
            self._deps = saved
            return q + alias
        mapping = {str(k): ref_name({"$ref": v}) or str(v) for k, v in (discriminator.get("mapping") or {}).items()}
        self.imports.update([("typing", "Annotated"), ("pydantic", "Discriminator"), ("pydantic", "Tag")])
        tagged = " | ".join(f"Annotated[{self._named(n, '')}, Tag({py_str(n)})]" for n in dict.fromkeys(names))
        table = "{" + ", ".join(f"{py_str(k)}: {py_str(v)}" for k, v in mapping.items()) + "}"
        prop = py_str(str(discriminator["propertyName"]))
        return f"Annotated[{tagged}, Discriminator(discriminate({prop}, {table}))]"

    def _all_of(self, schema: Mapping[str, Any], hint: str, q: str) -> str:
        parts = schema["allOf"]
        if len(parts) == 1 and not schema.get("properties"):
            inner = self.expr(parts[0], hint, q)
            return f"{inner} | None" if "null" in types_of(schema) and "None" not in inner else inner
        if object_shape(schema, self.models) is not None:
            return self._hoist(schema, hint, q)
        return self.expr(parts[0], hint, q)

    def _single(self, kind: str, schema: Mapping[str, Any], hint: str, q: str, constraints: bool) -> str:
        if kind == "string":
            fmt = schema.get("format")
            if fmt in _FORMATS:
                name, module = _FORMATS[str(fmt)]
                self._use(module, name, q)
                return name
            if fmt == "binary":  # a file of a multipart body: any bytes, not only UTF-8 text
                return "bytes"
            base = "str"
        elif kind in ("integer", "number", "boolean"):
            base = {"integer": "int", "number": "float", "boolean": "bool"}[kind]
        elif kind == "array":
            items = schema.get("items")
            base = f"list[{self.expr(items, hint + 'Item', q, constraints)}]"
        elif kind == "object":
            return self._object_type(schema, hint, q)
        else:
            self._use("typing", "Any", q)
            return "Any"
        args = constraint_args(schema, kind) if constraints else []
        if not args:
            return base
        self._use("typing", "Annotated", q)
        self._use("pydantic", "Field", q)
        return f"Annotated[{base}, Field({', '.join(args)})]"

    def _object_type(self, schema: Mapping[str, Any], hint: str, q: str) -> str:
        if schema.get("properties"):
            return self._hoist(schema, hint, q)
        extra = schema.get("additionalProperties")
        value = self.expr(extra, hint + "Value", q) if isinstance(extra, Mapping) else "Any"
        if value == "Any":
            self._use("typing", "Any", q)
        return f"dict[str, {value}]"

    def _hoist(self, schema: Mapping[str, Any], hint: str, q: str) -> str:
        if id(schema) in self._hoisted:
            return q + self._hoisted[id(schema)]
        name = naming.unique_name(naming.class_name(hint, []), self.taken, separator="")
        self.taken.append(name)
        self._hoisted[id(schema)] = name
        self.classes.append(self._class(name, schema, hint))
        return q + name

    # -- classes --------------------------------------------------------------------------------

    def _class(self, name: str, schema: Mapping[str, Any], label: str) -> dict[str, Any]:
        shape = object_shape(schema, self.models) or ({}, [])
        properties, required = shape
        taken: list[str] = []
        fields = []
        entry: dict[str, Any] = {"name": name, "doc": _doc(schema, f"The {label} schema"), "fields": fields,
                                 "config": None, "extra_type": None}
        for prop, prop_schema in properties.items():
            attribute = naming.python_identifier(str(prop), taken, naming.RESERVED_MODEL_FIELDS)
            taken.append(attribute)
            annotation = self.expr(prop_schema, name + naming.pascal_case(str(prop)) if naming.pascal_case(str(prop))
                                   else name + "Value")
            optional = prop not in required or bool(isinstance(prop_schema, Mapping) and prop_schema.get("readOnly"))
            # Optional but not nullable: absent is fine, an explicit null is not (pydantic does not
            # validate the default).
            args = ["default=None"] if optional else []
            if attribute != prop:
                args.append(f"alias={py_str(str(prop))}")
            if args and args != ["default=None"] or (optional and not annotation.endswith("None")):
                self.imports.add("pydantic", "Field")
                default = f" = Field({', '.join(args)})"
            else:
                default = " = None" if optional else ""
            fields.append({"attribute": attribute, "annotation": annotation, "default": default})
        extra = schema.get("additionalProperties")
        if extra is False:
            entry["config"] = 'ConfigDict(extra="forbid")'
        elif isinstance(extra, Mapping) and extra:
            entry["extra_type"] = f"dict[str, {self.expr(extra, name + 'Value')}]"
            self.imports.add("pydantic", "Field")
        return entry

    def alias_order(self) -> list[tuple[str, str]]:
        """Aliases after the classes, each after the aliases it uses; a cycle of aliases becomes Any."""
        ordered: list[tuple[str, str]] = []
        placed: set[str] = set()
        visiting: set[str] = set()

        def place(name: str) -> None:
            if name in placed:
                return
            expr, deps = self.aliases[name]
            if name in visiting:
                self.aliases[name] = ("Any", set())
                self.imports.add("typing", "Any")
                return
            visiting.add(name)
            for dep in sorted(deps):
                if dep in self.aliases:
                    place(dep)
            visiting.discard(name)
            if name not in placed:
                ordered.append((name, self.aliases[name][0]))
                placed.add(name)

        for name in self.aliases:
            place(name)
        return ordered

    def context(self) -> dict[str, Any]:
        """What `app/components.py` renders: import block, classes, aliases."""
        aliases = self.alias_order()
        self.imports.update([("collections.abc", "Callable"), ("typing", "Any")])
        return {"imports": self.imports.render(), "classes": self.classes, "aliases": aliases,
                "parses_scalars": self.parses_scalars}
