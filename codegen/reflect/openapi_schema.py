"""Schemas of an API description, normalized to JSON Schema 2020-12 (the OpenAPI 3.1 dialect).

- Every schema `$ref` becomes `#/components/schemas/<Name>`: the root file's component
  schemas keep their names; schemas reached in other files or elsewhere are hoisted under
  a name derived from their pointer (unique against every other name).
- `nullable` (3.0), `x-nullable` (2.0) become a `"null"` type or an `anyOf` with null;
  boolean `exclusiveMinimum`/`exclusiveMaximum` become numbers; 2.0's `file` type becomes
  a binary string; `example` becomes `examples`. Vendor extensions, `xml` and
  `externalDocs` are left out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codegen import naming
from codegen.reflect.openapi_load import Documents, Target

REF_PREFIX = "#/components/schemas/"
_COPIED = (
    "title", "description", "format", "enum", "const", "required", "default", "readOnly", "writeOnly",
    "minimum", "maximum", "multipleOf", "minLength", "maxLength", "pattern", "minItems", "maxItems",
    "uniqueItems", "minProperties", "maxProperties", "contentMediaType", "contentEncoding", "deprecated",
    "examples",
)
_SCHEMA_LISTS = ("allOf", "oneOf", "anyOf", "prefixItems")


class SchemaRegistry:
    """Named schemas of the description, normalized on demand; the same input gives the same names."""

    def __init__(self, docs: Documents, version: str) -> None:
        self.docs = docs
        self.version = version
        self.names: dict[Target, str] = {}
        self.schemas: dict[str, dict[str, Any]] = {}
        self._pending: list[tuple[str, Target]] = []
        root = docs.load(docs.root)
        container = (root.get("definitions") if version == "2.0"
                     else (root.get("components") or {}).get("schemas")) or {}
        base = "/definitions/" if version == "2.0" else "/components/schemas/"
        for name in container:
            target = Target(docs.root, base + str(name).replace("~", "~0").replace("/", "~1"))
            self.names[target] = str(name)
            self._pending.append((str(name), target))

    # -- naming ---------------------------------------------------------------------------------

    def _derived_name(self, target: Target) -> str:
        segments = [s for s in target.pointer.split("/") if s]
        meaningful = [s for s in segments if s not in ("schema", "items", "content", "properties")]
        base = meaningful[-1] if meaningful and not target.pointer.endswith("/schema") else ""
        if not base or base.startswith("application~1") or base.isdigit():
            base = target.file.stem if target.file != self.docs.root or not segments else "_".join(meaningful[-2:])
        base = base.replace("~1", "_").replace("~0", "_")
        cleaned = naming.pascal_case(base) or "Schema"
        taken = set(self.names.values())
        return naming.unique_name(cleaned, taken, separator="")

    def name_for(self, target: Target) -> str:
        """The component name of a referenced schema, hoisting it when it is not a root component."""
        if target not in self.names:
            name = self._derived_name(target)
            self.names[target] = name
            self._pending.append((name, target))
        return self.names[target]

    def ref(self, base: Path, ref: str) -> dict[str, Any]:
        """A normalized `$ref` to the schema `ref` (written in file `base`) points at."""
        return {"$ref": REF_PREFIX + self.name_for(self.docs.target(base, ref))}

    def resolve_all(self) -> dict[str, dict[str, Any]]:
        """Normalize every named schema (hoisting any further ones they reach); by name, sorted."""
        while self._pending:
            name, target = self._pending.pop(0)
            if name not in self.schemas:
                self.schemas[name] = self.normalize(self.docs.get(target), target.file)
        return dict(sorted(self.schemas.items()))

    # -- normalizing ----------------------------------------------------------------------------

    def normalize(self, node: Any, base: Path) -> dict[str, Any]:
        """One schema (written in file `base`) in the 2020-12 dialect."""
        if node is True or node is None:
            return {}
        if node is False:
            return {"not": {}}
        if not isinstance(node, dict):
            return {}
        if isinstance(node.get("$ref"), str):
            return self._normalize_ref(node, base)
        result: dict[str, Any] = {}
        kind = node.get("type")
        if kind == "file":
            result.update({"type": "string", "format": "binary"})
        elif kind is not None:
            result["type"] = kind
        for key in _COPIED:
            if key in node:
                result[key] = node[key]
        if "example" in node and "examples" not in node:
            result["examples"] = [node["example"]]
        self._bounds(node, result)
        self._children(node, base, result)
        if "discriminator" in node:
            result["discriminator"] = self._discriminator(node["discriminator"], base)
        if node.get("nullable") is True or node.get("x-nullable") is True:
            return self._nullable(result)
        return result

    def _normalize_ref(self, node: dict[str, Any], base: Path) -> dict[str, Any]:
        result = self.ref(base, node["$ref"])
        if self.version == "3.1":
            for key in ("description", "title", "readOnly", "writeOnly", "deprecated", "default"):
                if key in node:
                    result[key] = node[key]
        if node.get("nullable") is True or node.get("x-nullable") is True:
            return {"anyOf": [result, {"type": "null"}]}
        return result

    @staticmethod
    def _bounds(node: dict[str, Any], result: dict[str, Any]) -> None:
        for key, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
            value = node.get(key)
            if value is True and limit in node:
                result[key] = node[limit]
                result.pop(limit, None)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                result[key] = value

    def _children(self, node: dict[str, Any], base: Path, result: dict[str, Any]) -> None:
        properties = node.get("properties")
        if isinstance(properties, dict):
            result["properties"] = {str(k): self.normalize(v, base) for k, v in properties.items()}
        items = node.get("items")
        if isinstance(items, dict):
            result["items"] = self.normalize(items, base)
        elif isinstance(items, list):  # draft-4 tuple form
            result["prefixItems"] = [self.normalize(v, base) for v in items]
        extra = node.get("additionalProperties")
        if isinstance(extra, bool):
            result["additionalProperties"] = extra
        elif isinstance(extra, dict):
            result["additionalProperties"] = self.normalize(extra, base)
        for key in _SCHEMA_LISTS:
            if isinstance(node.get(key), list):
                result[key] = [self.normalize(v, base) for v in node[key]]
        if isinstance(node.get("not"), dict):
            result["not"] = self.normalize(node["not"], base)

    def _discriminator(self, value: Any, base: Path) -> dict[str, Any]:
        if isinstance(value, str):  # Swagger 2.0: the property name alone
            return {"propertyName": value}
        if not isinstance(value, dict):
            return {}
        result: dict[str, Any] = {"propertyName": str(value.get("propertyName", ""))}
        mapping = value.get("mapping")
        if isinstance(mapping, dict):
            result["mapping"] = {
                str(key): (self.ref(base, str(target))["$ref"] if "#" in str(target) or "/" in str(target)
                           else REF_PREFIX + str(target))
                for key, target in mapping.items()
            }
        return result

    @staticmethod
    def _nullable(result: dict[str, Any]) -> dict[str, Any]:
        kind = result.get("type")
        if isinstance(kind, str):
            result["type"] = [kind, "null"]
            if isinstance(result.get("enum"), list) and None not in result["enum"]:
                result["enum"] = [*result["enum"], None]
            return result
        if isinstance(kind, list):
            if "null" not in kind:
                result["type"] = [*kind, "null"]
            return result
        return {"anyOf": [result, {"type": "null"}]}
