"""Read an API description: files (YAML or JSON), `$ref`s across files, version, validation.

Every problem becomes one line naming the file and the JSON pointer of the problem; a
dangling `$ref` is found here, before the validator (which would stop with a traceback).
"""

from __future__ import annotations

import json
import re
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml
from yaml.constructor import ConstructorError

from codegen.errors import SourceError
from codegen.yaml_keys import DuplicateJsonKey, UniqueKeys, load_json

# An invalid description prints its first problems, one line each, and how many there are (counted up
# to MAX_COUNTED: a description with hundreds of problems has a bigger problem).
SHOWN_PROBLEMS = 5
MAX_COUNTED = 100
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_VERSION = re.compile(r"^3\.[01]\.\d+$")
_PATH_PARAM = re.compile(r"\{([^{}/]+)\}")


class DescriptionError(SourceError):
    """One or more problems in an API description, one line each: `file: /pointer: problem`."""

    def __init__(self, problems: list[str]) -> None:
        shown = problems[:SHOWN_PROBLEMS]
        if len(problems) > SHOWN_PROBLEMS:
            total = f"{MAX_COUNTED} or more" if len(problems) >= MAX_COUNTED else str(len(problems))
            shown.append(f"... and {len(problems) - SHOWN_PROBLEMS} more problems ({total} in all)")
        super().__init__("\nerror: ".join(shown))
        self.problems = problems


def escape(segment: str | int) -> str:
    """One JSON pointer segment (RFC 6901)."""
    return str(segment).replace("~", "~0").replace("/", "~1")


def pointer(*segments: str | int) -> str:
    """A JSON pointer from raw segments: `pointer("paths", "/pets")` -> `/paths/~1pets`."""
    return "".join("/" + escape(segment) for segment in segments)


def _unescape(segment: str) -> str:
    return unquote(segment).replace("~1", "/").replace("~0", "~")


class _Loader(UniqueKeys, yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore[misc]
    """libyaml's safe loader where present (ten times faster on large descriptions); a mapping with
    the same key twice is an error, not the last one silently kept."""


def _no_timestamps() -> None:
    # YAML 1.1 reads `2020-01-01` as a date; JSON Schema examples and enums want the string.
    resolvers = _Loader.yaml_implicit_resolvers
    for key, entries in list(resolvers.items()):
        resolvers[key] = [(tag, regexp) for tag, regexp in entries if tag != "tag:yaml.org,2002:timestamp"]


_no_timestamps()


def _load_yaml(text: str) -> Any:
    """`yaml.load(text, Loader=_Loader)`, twice as fast on a large description.

    PyYAML's constructor spends more time than libyaml's parser: it goes through generators for
    every mapping and sequence. Plain mappings, sequences and strings are built here directly from
    the parsed nodes, other scalars by PyYAML's own constructor; anything else (merge keys, other
    tags, keys that are not hashable, a node that contains itself) is left to PyYAML whole, so the
    result and the errors are PyYAML's (a key a mapping already has goes to PyYAML too, whose
    `_Loader` names it).
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            return _Nodes(loader).value(node)
        except _Unusual:
            return loader.construct_document(node)
    finally:
        loader.dispose()


class _Unusual(Exception):
    """A node `_Nodes` leaves to PyYAML."""


_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_BUSY = object()


class _Nodes:
    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.built: dict[int, Any] = {}  # an alias is the same node: the same object, as PyYAML gives

    def value(self, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return node.value if node.tag == _STR else self.loader.construct_object(node)
        known = self.built.get(id(node))
        if known is _BUSY:
            raise _Unusual
        if known is not None:
            return known
        self.built[id(node)] = _BUSY
        result: Any
        if isinstance(node, yaml.MappingNode) and node.tag == _MAP:
            result = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise _Unusual
                key = self.value(key_node)
                if not isinstance(key, Hashable) or key in result:
                    raise _Unusual
                result[key] = self.value(value_node)
        elif isinstance(node, yaml.SequenceNode) and node.tag == _SEQ:
            result = [self.value(item) for item in node.value]
        else:
            raise _Unusual
        self.built[id(node)] = result
        return result


def _second_key_place(text: str) -> str:
    """`line L column C: ` of a key its mapping already has, as YAML's parser (which reads most JSON)
    finds it; empty when it cannot read the text."""
    try:
        _load_yaml(text)
    except yaml.YAMLError as exc:
        mark = exc.problem_mark if isinstance(exc, ConstructorError) else None
        return "" if mark is None else f"line {mark.line + 1} column {mark.column + 1}: "
    return ""  # YAML reads the names apart (JSON escapes them otherwise): no position to give


def parse_text(text: str, where: str) -> Any:
    """YAML or JSON text as data; a syntax error is one line with its position."""
    try:
        if where.endswith(".json"):
            try:
                return load_json(text)
            except DuplicateJsonKey as exc:
                raise DescriptionError([f"{where}: {_second_key_place(text)}not valid JSON ({exc})"]) from None
        return _load_yaml(text)
    except json.JSONDecodeError as exc:
        raise DescriptionError([f"{where}: line {exc.lineno} column {exc.colno}: not valid JSON ({exc.msg})"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        place = f"line {mark.line + 1} column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise DescriptionError([f"{where}: {place}not valid YAML ({problem})"]) from None


@dataclass(frozen=True)
class Target:
    """Where a `$ref` points: a file and a JSON pointer inside it."""

    file: Path
    pointer: str


@dataclass
class Documents:
    """The root description and every file its `$ref`s reach, loaded once each."""

    root: Path
    given: str
    files: dict[Path, Any] = field(default_factory=dict)

    def label(self, path: Path) -> str:
        """How a file is named in messages: as given for the root, else relative to the root's folder."""
        if path == self.root:
            return self.given
        try:
            return str(Path(self.given).parent / path.relative_to(self.root.parent))
        except ValueError:
            return str(path)

    def load(self, path: Path) -> Any:
        """The data of a file, read on first use."""
        if path not in self.files:
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                reason = getattr(exc, "strerror", None) or str(exc)
                raise DescriptionError([f"{self.label(path)}: cannot read ({reason})"]) from None
            self.files[path] = parse_text(text, self.label(path))
        return self.files[path]

    def target(self, base: Path, ref: str) -> Target:
        """The file and pointer of `ref` written in file `base`."""
        location, _, fragment = ref.partition("#")
        file = (base.parent / unquote(location)).resolve() if location else base
        return Target(file, fragment)

    def get(self, target: Target) -> Any:
        """The node at a target; KeyError when the pointer leads nowhere."""
        node = self.load(target.file)
        if not target.pointer:
            return node
        if not target.pointer.startswith("/"):
            raise KeyError(target.pointer)
        for raw in target.pointer.split("/")[1:]:
            segment = _unescape(raw)
            if isinstance(node, list) and segment.isdigit() and int(segment) < len(node):
                node = node[int(segment)]
            elif isinstance(node, dict) and segment in node:
                node = node[segment]
            else:
                raise KeyError(target.pointer)
        return node

    def locate(self, parts: Sequence[Any]) -> tuple[Path, list[Any]]:
        """The file and keys where the node at `parts` is written, `parts` walking through `$ref`s."""
        try:
            file, node, at = self._through(self.root, self.load(self.root), [])
            for part in parts:
                file, node, at = self._through(file, node[part], [*at, part])
        except (KeyError, IndexError, TypeError):
            return self.root, list(parts)
        return file, at

    def _through(self, file: Path, node: Any, at: list[Any], limit: int = 50) -> tuple[Path, Any, list[Any]]:
        """A node with its `$ref` chain followed: the file, the node and its keys in that file."""
        for _ in range(limit):
            if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
                break
            target = self.target(file, node["$ref"])
            file, node = target.file, self.get(target)
            at = [_unescape(segment) for segment in target.pointer.split("/")[1:]]
        return file, node, at

    def follow(self, base: Path, node: Any, limit: int = 50) -> tuple[Path, Any]:
        """A node with its `$ref` chain followed (non-schema positions): the final file and node."""
        seen = 0
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            target = self.target(base, node["$ref"])
            base, node = target.file, self.get(target)
            seen += 1
            if seen > limit:
                raise DescriptionError([f"{self.label(base)}: {target.pointer}: $ref chain loops"])
        return base, node


def _walk(node: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, (*path, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, (*path, index))


def check_refs(docs: Documents) -> None:
    """Every `$ref` in the root and in every file it reaches resolves; else one line per dangling one."""
    problems: list[str] = []
    pending, done = [docs.root], set()
    while pending:
        file = pending.pop()
        if file in done:
            continue
        done.add(file)
        for path, node in _walk(docs.load(file)):
            ref = node.get("$ref") if isinstance(node, dict) else None
            if not isinstance(ref, str):
                continue
            where = f"{docs.label(file)}: {pointer(*path, '$ref')}"
            target = docs.target(file, ref)
            try:
                docs.get(target)
            except KeyError:
                problems.append(f"{where}: $ref {ref!r} does not resolve")
                continue
            except DescriptionError as exc:
                problems.append(f"{where}: $ref {ref!r}: {exc.problems[0]}")
                continue
            pending.append(target.file)
    if problems:
        raise DescriptionError(problems)


def _edges(docs: Documents, file: Path, node: dict[str, Any], at: str) -> list[tuple[str, str, Target]]:
    """Where a schema is itself another: its `$ref`, and its `allOf` members (inline ones as nodes of their own)."""
    edges = []
    if isinstance(node.get("$ref"), str):
        edges.append((at + "/$ref", node["$ref"], _canonical(docs.target(file, node["$ref"]))))
    members = node.get("allOf")
    for index, member in enumerate(members if isinstance(members, list) else []):
        if isinstance(member, dict) and not isinstance(member.get("$ref"), str):
            edges.append((f"{at}/allOf/{index}", "", Target(file, f"{at}/allOf/{index}")))
        elif isinstance(member, dict):
            ref = member["$ref"]
            edges.append((f"{at}/allOf/{index}/$ref", ref, _canonical(docs.target(file, ref))))
    return edges


def _canonical(target: Target) -> Target:
    return Target(target.file, pointer(*(_unescape(s) for s in target.pointer.split("/")[1:])))


def check_ref_cycles(docs: Documents) -> None:
    """No schema is itself through `$ref` and `allOf` alone (it would contain itself): one line per loop,
    at the `$ref` that closes it. A loop through `properties` or `items` is a recursive schema, and fine."""
    nodes: dict[Target, Any] = {}
    for file in sorted(docs.files):
        for path, node in _walk(docs.load(file)):
            if isinstance(node, dict) and ("$ref" in node or "allOf" in node):
                nodes[Target(file, pointer(*path))] = node
    problems: list[str] = []
    state: dict[Target, int] = {}  # 1 on the current chain, 2 done

    def visit(target: Target, chain: list[tuple[Target, str]]) -> None:
        state[target] = 1
        for where, ref, following in _edges(docs, target.file, nodes[target], target.pointer):
            if state.get(following) == 1:
                steps = [step[0].pointer for step in chain[[step[0] for step in chain].index(following):]]
                problems.append(f"{docs.label(target.file)}: {where}: $ref {ref!r} closes a loop of $ref and "
                                f"allOf alone ({' -> '.join([*steps, following.pointer])}): the schema would "
                                "contain itself")
            elif following in nodes and state.get(following) is None:
                visit(following, [*chain, (following, where)])
        state[target] = 2

    for target in sorted(nodes, key=lambda t: (str(t.file), t.pointer)):
        if state.get(target) is None:
            visit(target, [(target, "")])
    if problems:
        raise DescriptionError(problems)


def detect_version(data: Any, where: str) -> str:
    """"2.0", "3.0" or "3.1"; anything else is an error naming the field."""
    if not isinstance(data, dict):
        raise DescriptionError([f"{where}: /: an API description is a mapping with `openapi` or `swagger`"])
    if "swagger" in data:
        if str(data["swagger"]) == "2.0":
            return "2.0"
        raise DescriptionError([f"{where}: /swagger: unknown version {data['swagger']!r} (this codegen reads 2.0)"])
    version = data.get("openapi")
    if version is None:
        raise DescriptionError([f"{where}: /: neither `openapi` nor `swagger` is set: not an API description"])
    if not isinstance(version, str) or not _VERSION.match(version):
        raise DescriptionError(
            [f"{where}: /openapi: unknown version {version!r} (this codegen reads 2.0, 3.0.x and 3.1.x)"]
        )
    return version[:3]


def _operations(data: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    paths = data.get("paths") or {}
    if not isinstance(paths, dict):
        return
    for path, item in paths.items():
        if not isinstance(item, dict):
            continue
        for method in HTTP_METHODS:
            operation = item.get(method)
            if isinstance(operation, dict):
                yield str(path), method, item, operation


def _param_names(docs: Documents, params: Any) -> set[str]:
    names = set()
    for param in params if isinstance(params, list) else []:
        try:
            _, resolved = docs.follow(docs.root, param)
        except KeyError:
            continue
        if isinstance(resolved, dict) and resolved.get("in") == "path":
            names.add(str(resolved.get("name")))
    return names


def check_operations(docs: Documents, data: dict[str, Any]) -> None:
    """Unique operationIds and declared path parameters, each problem at its pointer."""
    label = docs.label(docs.root)
    problems: list[str] = []
    seen: dict[str, str] = {}
    for path, method, item, operation in _operations(data):
        where = pointer("paths", path, method)
        op_id = operation.get("operationId")
        if isinstance(op_id, str):
            if op_id in seen:
                problems.append(f"{label}: {where}/operationId: duplicate operationId {op_id!r} "
                                f"(first at {seen[op_id]})")
            else:
                seen[op_id] = where
        declared = _param_names(docs, item.get("parameters")) | _param_names(docs, operation.get("parameters"))
        for name in _PATH_PARAM.findall(path):
            if name not in declared:
                problems.append(f"{label}: {where}/parameters: path parameter {name!r} of {path!r} is not declared")
    if problems:
        raise DescriptionError(problems)


def _short(message: str) -> str:
    message = " ".join(message.split()).split(" Failed validating ")[0]
    return message if len(message) <= 160 else message[:157] + "..."


def validate(docs: Documents, data: dict[str, Any], version: str) -> None:
    """The validator library's verdict, one line per problem at its JSON pointer from the document root."""
    from codegen.reflect.openapi_validate import iter_problems

    problems: list[str] = []
    first_pass: set[str] = set()  # where the check against the OpenAPI schema found problems
    try:
        for problem in iter_problems(data, docs.root.as_uri(), version):
            file, at = docs.locate(problem.parts) if problem.through_refs else (docs.root, list(problem.parts))
            where = f"{docs.label(file)}: {pointer(*at) or '/'}"
            line = f"{where}: {_short(problem.message)}"
            if line in problems or (problem.through_refs and where in first_pass):
                continue  # the keyword checks find some of the first pass's problems again
            if not problem.through_refs:
                first_pass.add(where)
            problems.append(line)
            if len(problems) >= MAX_COUNTED:
                break
    except Exception as exc:  # noqa: BLE001 - the validator's own failures become one line too
        label = docs.label(docs.root)
        problems.append(f"{label}: /: the validator stopped: {_short(str(exc)) or type(exc).__name__}")
    if problems:
        raise DescriptionError(problems)


def load_description(path: Path, given: str | None = None) -> tuple[Documents, dict[str, Any], str]:
    """The validated root description, the files it reaches, and its version ("2.0", "3.0", "3.1")."""
    docs = Documents(path.resolve(), given or str(path))
    data = docs.load(docs.root)
    version = detect_version(data, docs.label(docs.root))
    check_refs(docs)
    check_ref_cycles(docs)
    check_operations(docs, data)
    validate(docs, data, version)
    return docs, data, version
