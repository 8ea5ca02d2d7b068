"""openapi-spec-validator's verdict, computed faster when the description is valid.

The validator (0.9.0, pinned) runs in two passes: the document against the OpenAPI JSON Schema,
then "keyword" checks that walk paths, operations, parameters and schemas through
jsonschema-path, which resolves `$ref`s anew on every access and costs about ten times the
walk itself. `iter_problems` below gives the problems of the library's errors, in its order:

- the first pass runs as the library runs it (and again with jsonschema when it finds something);
- when it finds nothing, `_keywords_clean` makes the same checks as the second pass on the
  plain data, and calls the library's own functions for the checks that are not trivial (a
  schema against its meta-schema, a default against its schema). It only answers "clean" or
  "not sure": any problem, anything it does not follow exactly (a `$ref` into another file
  or with escapes, `$id`, Swagger 2.0, a value of an unexpected type) means "not sure";
- whenever it is not sure, the library's second pass runs as usual and gives the answer.

So a valid description skips the slow walk, and every other one gets the library's own errors, each
told as a `Problem`: where, from the document root, and what.

- The keyword checks know the node they ran on only relative to itself (a default's `/`, a schema's
  `/required`): each check here records the path it walked from the root (`_located`).
- The first pass's backend is jsonschema-rs when it is installed (schemathesis brings it), whose
  errors keep none of the alternatives of a `oneOf`; jsonschema's do, so the first pass's errors are
  jsonschema's, the same whatever is installed.
- Of the alternatives, the one the document matched furthest is reported: jsonschema's `best_match`
  prefers shallow errors, and reports an OpenAPI 3.0 parameter whose schema has a bad type as
  "'$ref' is a required property" (the parameter is not a Reference either).
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from codegen.reflect.ecma_regex import is_ecma_regex

OPERATIONS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_MAX_DEPTH = 200
_MAX_REF_CHAIN = 50
_AT = "codegen_at"  # the attribute a located check sets on its errors: the path it walked from the root


class _NotSure(Exception):
    """The fast checks cannot vouch for the description: let the library decide."""


@dataclass(frozen=True)
class Problem:
    """One of the validator's errors: the keys that reach it from the document root, and its message."""

    parts: tuple[Any, ...]
    # The keyword checks walk through `$ref`s, so their parts name the path walked, not where it is written.
    through_refs: bool
    message: str


def iter_problems(data: dict[str, Any], base_uri: str, version: str) -> Iterator[Problem]:
    """The problems openapi-spec-validator finds in a description, in its order."""
    validator = spec_validator(version)(data, base_uri=base_uri)
    first = next(iter(validator.schema_validator.iter_errors(validator.schema)), None)
    found = []
    if first is not None:
        # By JSON pointer: jsonschema's order of a schema's errors changes from run to run.
        found = sorted((cause for error in _python_first_pass(validator) or [first] for cause in _causes(error)
                        if not _ecma_pattern(cause)), key=lambda cause: [str(part) for part in cause.absolute_path])
        for error in found:
            yield _problem(error, (), False)
    if not found and _keywords_clean(validator, version):
        return
    for error in validator.root_validator(validator.schema_path):
        if not (_ecma_pattern(error) or version == "2.0" and _file_response(error)):
            yield _problem(error, getattr(error, _AT, ()), True)


def _file_response(error: Any) -> bool:
    """Swagger 2.0's `type: file` of a response schema, which the JSON Schema check of that schema refuses."""
    at, cause = getattr(error, _AT, ()), _cause(error)
    return len(at) >= 3 and at[-3] == "responses" and at[-1] == "schema" and list(cause.absolute_path) == ["type"] \
        and cause.instance == "file"


def _ecma_pattern(error: Any) -> bool:
    """An error that only says a pattern is no Python regex, where it is an ECMA-262 one (JSON Schema's)."""
    cause = _cause(error)
    return getattr(cause, "validator", None) == "format" and cause.validator_value == "regex" \
        and is_ecma_regex(cause.instance)


@cache
def spec_validator(version: str) -> type[Any]:
    """The library's validator class of a version, its keyword checks located (see `_located`)."""
    from openapi_spec_validator import OpenAPIV2SpecValidator, OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

    base = {"2.0": OpenAPIV2SpecValidator, "3.0": OpenAPIV30SpecValidator, "3.1": OpenAPIV31SpecValidator}[version]
    checks = {keyword: _located(check) for keyword, check in base.keyword_validators.items()}
    return type(base.__name__, (base,), {"keyword_validators": checks})


def _located(check: type[Any]) -> type[Any]:
    """A keyword check whose errors carry the path from the root of the node it ran on (`_AT`)."""
    from jsonschema_path import SchemaPath
    from openapi_spec_validator.validation.exceptions import ExtraParametersError
    from openapi_spec_validator.validation.keywords import ValueValidator

    def __call__(self: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        node = next((arg for arg in args if isinstance(arg, SchemaPath)), None)
        for error in check.__call__(self, *args, **kwargs):
            if node is not None and not hasattr(error, _AT):
                # A value check validates the node's default; the required-list check is about `required`.
                extra = ("default",) if isinstance(self, ValueValidator) else \
                    ("required",) if isinstance(error, ExtraParametersError) else ()
                setattr(error, _AT, (*node.parts, *extra))
            yield error

    return type(check.__name__, (check,), {"__call__": __call__})


def _python_first_pass(validator: Any) -> list[Any]:
    """The check against the OpenAPI JSON Schema again, with jsonschema (whose errors keep their context)."""
    from jsonschema.validators import validator_for

    schema = validator.schema_validator.schema
    return list(validator_for(schema)(schema).iter_errors(validator.schema))


def _depth(errors: list[Any]) -> int:
    """How far into the document the deepest of the errors (or of the errors under them) points."""
    return max(len(error.absolute_path) if not getattr(error, "context", None) else _depth(list(error.context))
               for error in errors)


def _alternative(error: Any) -> list[Any]:
    """Under a oneOf or anyOf, the errors of the alternative the document matched furthest."""
    # Furthest: the one whose errors point deepest into the document; of equally deep ones, the one with
    # the fewest errors (a Swagger query parameter with a bad type fails as a body parameter too).
    alternatives: dict[Any, list[Any]] = {}
    for inner in error.context:
        alternatives.setdefault(next(iter(inner.relative_schema_path), None), []).append(inner)
    return min(alternatives.values(), key=lambda errors: (-_depth(errors), len(errors)))


def _cause(error: Any) -> Any:
    """The error that says what is wrong: the deepest one of the alternative matched furthest."""
    while getattr(error, "context", None):
        error = max(_alternative(error), key=lambda inner: _depth([inner]))
    return error


def _causes(error: Any) -> list[Any]:
    """Every error that says what is wrong: under a oneOf, each of the furthest alternative's, in turn.

    A schema of a 3.0 description is `oneOf: [Schema, Reference]` to the validator: its three bad
    keywords are three errors of one alternative, each worth its own line.
    """
    if not getattr(error, "context", None):
        return [error]
    return [cause for inner in _alternative(error) for cause in _causes(inner)]


def _problem(error: Any, base: tuple[Any, ...], through_refs: bool) -> Problem:
    cause = _cause(error)
    return Problem((*base, *cause.absolute_path), through_refs, _message(cause))


def _message(error: Any) -> str:
    """jsonschema's message; an enum's values listed as values (`['a'] is not one of ['a']` misleads)."""
    if getattr(error, "validator", None) == "enum" and isinstance(error.validator_value, list):
        allowed = ", ".join(repr(value) for value in error.validator_value)
        return f"{error.instance!r} is not one of the allowed values {allowed}"
    return str(error.message)


def _keywords_clean(validator: Any, version: str) -> bool:
    """True only when the library's keyword checks would find nothing in this description."""
    if version not in ("3.0", "3.1") or not isinstance(validator.schema, dict):
        return False
    try:
        _Walk(validator).root()
    except _NotSure:
        return False
    except Exception:  # noqa: BLE001 - whatever surprised us, the library's walk will report it its way
        return False
    return True


def _has_id(node: Any, depth: int = 0) -> bool:
    """Whether any mapping holds `$id` (it would change how jsonschema-path resolves references)."""
    if depth > _MAX_DEPTH:
        raise _NotSure
    if isinstance(node, dict):
        return "$id" in node or any(_has_id(value, depth + 1) for value in node.values())
    if isinstance(node, list):
        return any(_has_id(value, depth + 1) for value in node)
    return False


def _is_ref(node: Any) -> bool:
    # jsonschema_path.utils.is_ref
    return isinstance(node, dict) and "$ref" in node and isinstance(node["$ref"], str)


def _has(node: Any, key: str) -> bool:
    # `key in path` for a string key: only a mapping holding it answers True.
    return isinstance(node, dict) and key in node


class _Walk:
    """The keyword checks of openapi-spec-validator 0.9.0 for OpenAPI 3.0 and 3.1, on plain data."""

    def __init__(self, validator: Any) -> None:
        self.validator = validator
        self.data: dict[str, Any] = validator.schema
        if _has_id(self.data):
            raise _NotSure
        registry = validator.keyword_validators_registry
        self.schema_keywords = registry["schema"]
        self.default_keywords = registry["default"]
        self.root_path = validator.schema_path
        self.operation_ids: set[Any] = set()
        self.meta_checked: set[int] = set()
        self.meta_verdicts: dict[str, bool] = {}
        self.visited: set[int] = set()

    # -- references -----------------------------------------------------------------------------

    def resolve(self, node: Any, parts: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...]]:
        """The node with its `$ref` chain followed, and the path of keys that reaches it from the root."""
        for _ in range(_MAX_REF_CHAIN):
            if not _is_ref(node):
                return node, parts
            ref: str = node["$ref"]
            if not ref.startswith("#/") or "~" in ref or "%" in ref:
                raise _NotSure
            node, parts = self.data, ()
            for segment in ref[2:].split("/"):
                if _is_ref(node):  # jsonschema-path would follow it here, referencing would not
                    raise _NotSure
                if isinstance(node, dict) and segment in node:
                    node, parts = node[segment], (*parts, segment)
                elif isinstance(node, list) and segment.isdigit() and int(segment) < len(node):
                    node, parts = node[int(segment)], (*parts, int(segment))
                else:
                    raise _NotSure
        raise _NotSure

    def child(self, node: Any, parts: tuple[Any, ...], key: Any) -> tuple[Any, tuple[Any, ...]]:
        """`path / key`, resolved."""
        return self.resolve(node[key], (*parts, key))

    def mapping_items(self, node: Any, parts: tuple[Any, ...]) -> Iterator[tuple[str, Any, tuple[Any, ...]]]:
        """`path.items()` where the library asserts string keys: a mapping's resolved children."""
        if not isinstance(node, dict):
            raise _NotSure
        for key in node:
            if not isinstance(key, str):
                raise _NotSure
            value, where = self.child(node, parts, key)
            yield key, value, where

    def list_items(self, node: Any, parts: tuple[Any, ...]) -> Iterator[tuple[Any, tuple[Any, ...]]]:
        """`for item in path` over a list: its resolved items."""
        if not isinstance(node, list):
            raise _NotSure
        for index in range(len(node)):
            yield self.child(node, parts, index)

    @staticmethod
    def text(node: Any) -> str:
        """`read_str()`: a string, or the library raises."""
        if not isinstance(node, str):
            raise _NotSure
        return node

    # -- the walk (keywords.py of openapi-spec-validator) ----------------------------------------

    def root(self) -> None:
        spec, parts = self.resolve(self.data, ())
        if _has(spec, "tags"):
            tags, where = self.child(spec, parts, "tags")
            seen: set[str] = set()
            for tag, tag_parts in self.list_items(tags, where):
                if not _has(tag, "name"):
                    raise _NotSure
                name = self.text(self.child(tag, tag_parts, "name")[0])
                if name in seen:
                    raise _NotSure
                seen.add(name)
        if _has(spec, "paths"):
            paths, where = self.child(spec, parts, "paths")
            for url, item, item_parts in self.mapping_items(paths, where):
                self.path_item(url, item, item_parts)
        if _has(spec, "components"):
            components, where = self.child(spec, parts, "components")
            if _has(components, "schemas"):
                schemas, where = self.child(components, where, "schemas")
                for _, schema, schema_parts in self.mapping_items(schemas, where):
                    self.schema(schema, schema_parts)

    def path_item(self, url: str, item: Any, parts: tuple[Any, ...]) -> None:
        shared: tuple[Any, tuple[Any, ...]] | None = None
        if _has(item, "parameters"):
            shared = self.child(item, parts, "parameters")
            self.parameters(*shared)
        if not isinstance(item, dict):
            raise _NotSure  # `path_item.items()` raises in the library
        for name in item:
            if not isinstance(name, str):
                raise _NotSure
            if name in OPERATIONS:
                operation, where = self.child(item, parts, name)
                self.operation(url, operation, where, shared)

    def parameters(self, node: Any, parts: tuple[Any, ...]) -> None:
        seen: set[tuple[str, str]] = set()
        for parameter, where in self.list_items(node, parts):
            if _has(parameter, "schema"):
                self.schema(*self.child(parameter, where, "schema"))
            if not (_has(parameter, "name") and _has(parameter, "in")):
                raise _NotSure
            name, location = parameter["name"], parameter["in"]
            if not (isinstance(name, str) and isinstance(location, str)) or (name, location) in seen:
                raise _NotSure
            seen.add((name, location))

    def path_names(self, node: Any, parts: tuple[Any, ...]) -> set[str]:
        names = set()
        for parameter, where in self.list_items(node, parts):
            if not (_has(parameter, "in") and _has(parameter, "name")):
                raise _NotSure
            if self.text(self.child(parameter, where, "in")[0]) == "path":
                names.add(self.text(self.child(parameter, where, "name")[0]))
        return names

    def operation(self, url: str, operation: Any, parts: tuple[Any, ...],
                  shared: tuple[Any, tuple[Any, ...]] | None) -> None:
        if _has(operation, "operationId"):
            op_id = self.child(operation, parts, "operationId")[0]
            if op_id is not None:
                if not isinstance(op_id, str) or op_id in self.operation_ids:
                    raise _NotSure
                self.operation_ids.add(op_id)
        if _has(operation, "responses"):
            responses, where = self.child(operation, parts, "responses")
            for _, response, response_parts in self.mapping_items(responses, where):
                if _has(response, "content"):
                    content, content_parts = self.child(response, response_parts, "content")
                    for _, media, media_parts in self.mapping_items(content, content_parts):
                        if _has(media, "schema"):
                            self.schema(*self.child(media, media_parts, "schema"))
        names: set[str] = set()
        if _has(operation, "parameters"):
            own = self.child(operation, parts, "parameters")
            self.parameters(*own)
            names |= self.path_names(*own)
        if shared is not None:
            names |= self.path_names(*shared)
        in_url = {field for _, field, _, _ in string.Formatter().parse(url) if field}
        if names != in_url:
            raise _NotSure

    def schema(self, value: Any, parts: tuple[Any, ...], top: bool = True, depth: int = 0) -> None:
        """SchemaValidator.__call__: `top` is the library's require_properties and not meta_checked."""
        if depth > _MAX_DEPTH or not isinstance(value, (Mapping, bool)):
            raise _NotSure
        if top:
            if id(value) not in self.meta_checked:
                self.meta_checked.add(id(value))
                self.meta_check(value)
            # The library checks `required` only where a top-level call is the first visit, which
            # depends on its order of visits; checking at every top-level call is never laxer.
            if _has(value, "allOf"):
                self.check_required(value, parts, depth)
        if id(value) in self.visited:
            return
        self.visited.add(id(value))
        if _has(value, "allOf"):
            for inner, where in self.list_items(*self.child(value, parts, "allOf")):
                self.schema(inner, where, False, depth + 1)
        for keyword in ("anyOf", "oneOf"):
            if _has(value, keyword):
                for inner, where in self.list_items(*self.child(value, parts, keyword)):
                    self.schema(inner, where, False, depth + 1)
        for keyword in ("not", "items"):
            if _has(value, keyword):
                self.schema(*self.child(value, parts, keyword), False, depth + 1)
        if _has(value, "properties"):
            for _, inner, where in self.mapping_items(*self.child(value, parts, "properties")):
                self.schema(inner, where, False, depth + 1)
        if _has(value, "default"):
            self.check_default(value, parts)

    def check_required(self, value: Any, parts: tuple[Any, ...], depth: int) -> None:
        """Every `required` name of a schema with `allOf` is a property of it or of an `allOf` member."""
        nested: set[str] = set()
        for inner, where in self.list_items(*self.child(value, parts, "allOf")):
            nested |= self.collect(inner, where, depth + 1)
        required = self.child(value, parts, "required")[0] if _has(value, "required") else []
        properties = self.child(value, parts, "properties")[0] if _has(value, "properties") else {}
        if not isinstance(required, list) or not isinstance(properties, dict):
            raise _NotSure
        if set(required) - set(properties) - nested:
            raise _NotSure

    def collect(self, value: Any, parts: tuple[Any, ...], depth: int) -> set[str]:
        """SchemaValidator._collect_properties: every property name reachable from a schema."""
        if depth > _MAX_DEPTH:
            raise _NotSure
        found: set[str] = set()
        if _has(value, "properties"):
            properties = self.child(value, parts, "properties")[0]
            if not isinstance(properties, dict):
                raise _NotSure
            found.update(properties)
        for keyword in ("allOf", "anyOf", "oneOf"):
            if _has(value, keyword):
                for inner, where in self.list_items(*self.child(value, parts, keyword)):
                    found |= self.collect(inner, where, depth + 1)
        for keyword in ("items", "not"):
            if _has(value, keyword):
                found |= self.collect(*self.child(value, parts, keyword), depth + 1)
        return found

    def meta_check(self, value: Any) -> None:
        """The library's check of a schema against its meta-schema; the verdict depends on the value only."""
        key = repr(value)
        verdict = self.meta_verdicts.get(key)
        if verdict is None:
            verdict = self.schema_keywords._validate_schema_meta(self.root_path, value) is None
            self.meta_verdicts[key] = verdict
        if not verdict:
            raise _NotSure

    def check_default(self, value: Any, parts: tuple[Any, ...]) -> None:
        """The library's own check of a schema's default against the schema."""
        default = value["default"]
        nullable = value.get("nullable", False)
        if _is_ref(default) or _is_ref(nullable):
            raise _NotSure
        if default is None and nullable is True:
            return
        path = self.root_path
        for part in parts:
            path = path / part
        for _ in self.default_keywords(path, default):
            raise _NotSure
