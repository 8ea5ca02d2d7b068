"""Questions about normalized JSON Schemas (2020-12, `$ref`s to named models), asked by reflect and render."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

REF_PREFIX = "#/components/schemas/"
JSON_MEDIA = ("application/json",)


def ref_name(schema: Mapping[str, Any]) -> str | None:
    """The model name a `$ref` schema points at, else None."""
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(REF_PREFIX):
        return ref[len(REF_PREFIX):]
    return None


def deref(schema: Mapping[str, Any], models: Mapping[str, Mapping[str, Any]], limit: int = 20) -> Mapping[str, Any]:
    """The schema with `$ref`s (and one-element allOfs) followed to the schema they name."""
    for _ in range(limit):
        name = ref_name(schema)
        if name is not None and name in models:
            schema = models[name]
            continue
        parts = schema.get("allOf")
        if isinstance(parts, list) and len(parts) == 1 and not schema.get("properties"):
            schema = parts[0]
            continue
        break
    return schema


def types_of(schema: Mapping[str, Any]) -> list[str]:
    """The `type` keyword as a list (empty when absent)."""
    kind = schema.get("type")
    if isinstance(kind, str):
        return [kind]
    if isinstance(kind, list):
        return [str(k) for k in kind]
    return []


def object_shape(
    schema: Mapping[str, Any], models: Mapping[str, Mapping[str, Any]], depth: int = 0
) -> tuple[dict[str, Any], list[str]] | None:
    """(properties, required) of an object schema with allOf parts merged; None when not an object."""
    schema = deref(schema, models)
    if depth > 20:
        return None
    properties: dict[str, Any] = {}
    required: list[str] = []
    parts = schema.get("allOf")
    if isinstance(parts, list):
        for part in parts:
            shape = object_shape(part, models, depth + 1)
            if shape is None:
                return None
            properties.update(shape[0])
            required += [name for name in shape[1] if name not in required]
    own = schema.get("properties")
    if isinstance(own, dict):
        properties.update(own)
    required += [str(n) for n in schema.get("required") or [] if n not in required]
    kinds = types_of(schema)
    # `{required: [id]}` alone (an allOf part of Swagger's Pet) constrains an object as well.
    if not properties and not isinstance(parts, list) and "object" not in kinds and not required:
        return None
    if kinds and "object" not in kinds:
        return None
    if any(key in schema for key in ("oneOf", "anyOf")):
        return None
    return properties, required


def is_json(media_type: str) -> bool:
    """True for application/json and the `+json` family (and `*/*`, which takes JSON too)."""
    kind = media_type.split(";")[0].strip().lower()
    return kind in JSON_MEDIA or kind.endswith("+json") or kind in ("*/*", "application/*")


def json_schema_of(content: list[Any]) -> Mapping[str, Any] | None:
    """The schema of the first JSON media type of a body or response, else None."""
    for media in content:
        if is_json(media.media_type):
            return dict(media.schema_)
    return None
