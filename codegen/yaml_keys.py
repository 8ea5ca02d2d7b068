"""YAML and JSON readers that refuse a mapping holding the same key twice.

PyYAML and `json.loads` keep the last of two equal keys without a word, so a description with two
`get:` under one path, or a spec with a resource's `columns:` written twice, loses the first one
silently. YAML says a mapping's keys are unique; JSON says they should be. Both readers here refuse
it with the line and column of the second key. Keys a YAML merge (`<<:`) brings in may be
overridden, as YAML's merge allows.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from yaml.constructor import ConstructorError

_MERGE = "tag:yaml.org,2002:merge"


class UniqueKeys:
    """A loader mixin: `construct_mapping` refuses a key a mapping already has."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """The mapping, after checking that its own keys differ (merged keys may repeat them)."""
        seen: set[tuple[str, str]] = set()
        for key_node, _value in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != _MERGE:
                key = (key_node.tag, key_node.value)
                if key in seen:
                    raise ConstructorError(
                        "while constructing a mapping",
                        node.start_mark,
                        f"duplicate key {key_node.value!r}",
                        key_node.start_mark,
                    )
                seen.add(key)
        return super().construct_mapping(node, deep)  # type: ignore[misc, no-any-return]


class DuplicateJsonKey(ValueError):
    """A JSON object holding the same name twice."""

    def __init__(self, key: str) -> None:
        super().__init__(f"duplicate key {key!r}")
        self.key = key


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise DuplicateJsonKey(key)
            seen.add(key)
    return result


def load_json(text: str) -> Any:
    """`json.loads(text)`, refusing an object with the same name twice (`DuplicateJsonKey`)."""
    return json.loads(text, object_pairs_hook=_object)
