"""Read and write spec files: YAML (or JSON by extension), deterministic, with an upgrade chain."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from codegen.errors import SpecError
from codegen.spec.model import SPEC_VERSION, LogicalType, Spec
from codegen.yaml_keys import UniqueKeys

# Each entry upgrades a raw spec document from the version in its key to the next one.
# Version "1" is the first; a future "2" adds `"1": _upgrade_1_to_2` here.
UPGRADES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}


# libyaml's C emitter and parser when PyYAML has them (the wheels do): 10-20x faster on large specs,
# same output (tests/test_spec.py compares both emitters).
_BaseDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Loader(UniqueKeys, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml's safe loader; a mapping with the same key twice is an error (codegen/yaml_keys.py)."""


class _Dumper(_BaseDumper):  # type: ignore[misc,valid-type]
    """A YAML dumper that writes multi-line strings as blocks and never sorts keys."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    """Multi-line strings as `|` blocks, everything else as PyYAML chooses."""
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)

# -- fast paths for the YAML codegen writes --------------------------------------------------------------
#
# PyYAML builds a Python object per node and per event even with libyaml's parser and emitter (about
# 0.7 s each way for a 300-table spec). The spec files codegen writes use a small part of YAML: block
# mappings and sequences, `[]`/`{}`, plain and quoted one-line scalars, `|`/`|-` blocks. `_FastEmitter`
# and `_FastParser` handle exactly that part and give up (`_Unsure`) on anything else (a comment, an
# anchor, a float, a folded line, a character that needs an escape...), which PyYAML then handles: the
# result is PyYAML's in every case (tests/test_spec_yaml.py compares them on real and random documents).

_WIDTH = 100
_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_RESOLVER = yaml.resolver.Resolver()  # what SafeLoader and SafeDumper resolve plain scalars with
# One-line strings libyaml writes plain once they resolve to str: no indicator, quote, colon, '#', tab,
# non-ASCII character, leading, trailing or double space.
_PLAIN = re.compile(r"[A-Za-z0-9_/][A-Za-z0-9_/().,+=-]*(?: [A-Za-z0-9_/().,+=-]+)*")
# What libyaml writes in a `|` block without escapes or hints: printable, no other line break, no tab.
# (LS and PS are line breaks to libyaml too: a block holding one is written with other chomping.)
_BLOCK_SAFE = re.compile(
    r"[\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]*"
)
# Characters after which the fast parser stops: PyYAML's non-printables, other line breaks, tabs, BOMs.
_PARSE_UNSAFE = re.compile(
    r"[^\n\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]|[\u2028\u2029]"
)
# Line breaks other than \n (YAML 1.1 counts NEL, LS and PS): inside quotes libyaml writes them as
# breaks followed by an indentation that depends on where the string stands.
_OTHER_BREAKS = re.compile("[\x85\u2028\u2029]")
_ASCII_UNSAFE = "".join(chr(code) for code in (*range(0, 10), *range(11, 32), 127))
_SIMPLE_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*):(?: |$)")
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_REPR: dict[str, str] = {}  # one-line string -> how libyaml writes it (plain or quoted)


class _Unsure(Exception):
    """The fast path does not know for certain what PyYAML does here."""


def _resolves_to_str(value: str) -> bool:
    return bool(_RESOLVER.resolve(yaml.ScalarNode, value, (True, False)) == _STR)


class _FastEmitter:
    """PyYAML's block output of `_Dumper` for dicts, lists, str, int, bool and None."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.later: list[tuple[int, str, int]] = []  # (index in out, string, column) to fill in

    def document(self, data: Any) -> str:
        if not isinstance(data, dict) or not data:
            raise _Unsure
        self.mapping(data, 0, None)
        self._fill_later()
        return "".join(self.out)

    def mapping(self, data: dict[Any, Any], indent: int, first: str | None) -> None:
        pad = " " * indent
        for key, value in data.items():
            if not isinstance(key, str) or not key or "\n" in key or len(key.encode("utf-8")) > 100:
                raise _Unsure  # libyaml writes a key over 128 bytes as a complex key (`? key`)
            prefix = first if first is not None else pad
            first = None
            self.out.append(prefix)
            self.string(key, len(prefix))
            if isinstance(value, dict) and value:
                self.out.append(":\n")
                self.mapping(value, indent + 2, None)
            elif isinstance(value, list) and value:
                self.out.append(":\n")
                self.sequence(value, indent, None)  # PyYAML writes a mapping's sequences indentless
            else:
                self.out.append(": ")
                self.scalar(value, len(prefix) + len(key) + 2, indent)

    def sequence(self, data: list[Any], indent: int, first: str | None) -> None:
        pad = " " * indent + "- "
        for item in data:
            prefix = first + "- " if first is not None else pad
            first = None
            if isinstance(item, dict) and item:
                self.mapping(item, indent + 2, prefix)
            elif isinstance(item, list) and item:
                self.sequence(item, indent + 2, prefix)
            else:
                self.out.append(prefix)
                self.scalar(item, len(prefix), indent)

    def scalar(self, value: Any, column: int, indent: int) -> None:
        if isinstance(value, str):
            if "\n" in value:
                self.block(value, indent + 2)
                return
            self.string(value, column)
        elif value is None:
            self.out.append("null")
        elif value is True or value is False:
            self.out.append("true" if value else "false")
        elif type(value) is int:
            self.out.append(str(value))
        elif value == {} or value == []:
            self.out.append("{}" if isinstance(value, dict) else "[]")
        else:
            raise _Unsure  # floats, dates and the rest: PyYAML's own representers
        self.out.append("\n")

    def string(self, value: str, column: int) -> None:
        """A one-line string: plain or quoted as libyaml chooses (asked in one batch when unsure)."""
        if _OTHER_BREAKS.search(value):
            raise _Unsure  # libyaml breaks the quoted line there and indents by the context's depth
        known = _REPR.get(value)
        if known is None and _PLAIN.fullmatch(value) and _resolves_to_str(value):
            known = _REPR[value] = value
        if known is None:
            self.later.append((len(self.out), value, column))
            self.out.append("")
        else:
            if " " in value and column + len(known) > _WIDTH:
                raise _Unsure  # libyaml may fold the line at a space
            self.out.append(known)

    def block(self, value: str, indent: int) -> None:
        """A multi-line string as a `|` (clip) or `|-` (strip) block, when libyaml writes it so."""
        if not _BLOCK_SAFE.fullmatch(value) or value[0] in " \n" or value.endswith((" ", "\n\n")):
            raise _Unsure  # needs an indentation hint, keep chomping (`|+`), or quotes
        body = value[:-1] if value.endswith("\n") else value
        lines = body.split("\n")
        if any(line.endswith(" ") for line in lines):
            raise _Unsure  # a space before a line break: libyaml quotes the string
        pad = " " * indent
        self.out.append("|\n" if value.endswith("\n") else "|-\n")
        self.out.extend(f"{pad}{line}\n" if line else "\n" for line in lines)

    def _fill_later(self) -> None:
        missing = sorted({value for _, value, _ in self.later if value not in _REPR})
        if missing:
            if len(_REPR) > 200_000:
                _REPR.clear()
            # Style does not depend on the width; a huge one keeps every item on one line.
            lines = _pyyaml_dump(missing, width=1_000_000).split("\n")
            items = lines[:-1]
            if len(items) != len(missing) or lines[-1] or not all(line.startswith("- ") for line in items):
                raise _Unsure
            _REPR.update(zip(missing, (line[2:] for line in lines[:-1])))
        for index, value, column in self.later:
            known = _REPR[value]
            if " " in value and column + len(known) > _WIDTH:
                raise _Unsure
            self.out[index] = known


class _FastParser:
    """`yaml.load(text, Loader=CSafeLoader)` for block YAML as `_FastEmitter` writes it."""

    def __init__(self, text: str) -> None:
        if not text.endswith("\n"):
            raise _Unsure
        if text.isascii():
            if any(char in text for char in _ASCII_UNSAFE):
                raise _Unsure
        elif _PARSE_UNSAFE.search(text):
            raise _Unsure
        self.lines = text[:-1].split("\n")
        self.widths = [len(line) - len(line.lstrip(" ")) for line in self.lines]
        self.plain_memo: dict[str, Any] = {}

    def document(self) -> Any:
        if not self.lines or self.lines[0][:1] in ("", " "):
            raise _Unsure
        value, end = self.node(0, 0, self.lines[0])
        if end != len(self.lines):
            raise _Unsure
        return value

    def node(self, i: int, n: int, content: str) -> tuple[Any, int]:
        """The block collection whose first line (index i, column n) holds `content`."""
        if content.startswith("- "):
            return self.sequence(i, n, content)
        return self.mapping(i, n, content)

    def mapping(self, i: int, n: int, content: str | None) -> tuple[dict[str, Any], int]:
        lines, widths, memo, result = self.lines, self.widths, self.plain_memo, {}
        count = len(lines)
        while i < count:
            if content is None:
                line = lines[i]
                width = widths[i]
                if width < n and line:
                    break
                if width != n or not line:
                    raise _Unsure  # deeper than the mapping, blank, or a continuation line
                content = line[n:]
            match = _SIMPLE_KEY.match(content)
            if match is not None:
                key = match[1]
                rest = content[match.end() :]
                if key not in self.plain_memo:
                    self.plain(key)
                if not isinstance(self.plain_memo[key], str):
                    raise _Unsure  # `null:`, `yes:`...: a key that is not a string
            else:
                entry = self.key(content)
                if entry is None:
                    raise _Unsure
                key, rest = entry
            content = None
            i += 1
            if rest == "":
                nxt = lines[i] if i < count else ""
                width = widths[i] if i < count else 0
                if nxt and width > n:
                    value, i = self.node(i, width, nxt[width:])
                elif nxt and width == n and nxt[n:].startswith("- "):
                    value, i = self.sequence(i, n, None)
                else:
                    value = None
            elif rest in memo:
                value = memo[rest]
            elif rest in ("|", "|-"):
                value, i = self.block(i, n, rest)
            else:
                value = self.scalar(rest)
            if key in result:
                raise _Unsure  # the same key twice: PyYAML's _Loader names it
            result[key] = value
        return result, i

    def sequence(self, i: int, n: int, content: str | None) -> tuple[list[Any], int]:
        lines, widths, result = self.lines, self.widths, []
        while i < len(lines):
            if content is None:
                line = lines[i]
                width = widths[i]
                if width < n and line:
                    break
                if width != n or not line:
                    raise _Unsure
                content = line[n:]
                if not content.startswith("- "):
                    break  # the next key of the mapping holding this indentless sequence
            item = content[2:]
            content = None
            if item[:1] in ("", " "):
                raise _Unsure
            if item.startswith("- ") or _SIMPLE_KEY.match(item) or self.key(item) is not None:
                value, i = self.node(i, n + 2, item)
            elif item in ("|", "|-"):
                value, i = self.block(i + 1, n, item)
            else:
                value = self.scalar(item)
                i += 1
            result.append(value)
        return result, i

    def block(self, i: int, n: int, header: str) -> tuple[str, int]:
        """The `|`/`|-` block whose lines start at i, indented deeper than n."""
        lines, widths = self.lines, self.widths
        first = lines[i] if i < len(lines) else ""
        depth = widths[i] if i < len(lines) else 0
        if not first or depth <= n:
            raise _Unsure  # empty, or starting with a line break
        body: list[str] = []
        while i < len(lines):
            line = lines[i]
            if not line:
                body.append("")
            elif widths[i] <= n:
                break
            elif widths[i] < depth or not line.strip():
                raise _Unsure
            else:
                body.append(line[depth:])
            i += 1
        while body and not body[-1]:
            body.pop()
        text = "\n".join(body)
        return (text + "\n" if header == "|" else text), i

    def key(self, content: str) -> tuple[str, str] | None:
        """(key, rest of the line) when `content` is a mapping entry, else None."""
        if content[:1] in ("'", '"'):
            key, end = self.quoted(content)
            after = content[end:]
            if after == ":":
                return key, ""
            return (key, after[2:]) if after.startswith(": ") else None
        cut = content.find(": ")
        if cut < 0:
            if not content.endswith(":"):
                return None
            cut = len(content) - 1
        key = self.plain(content[:cut])
        if not isinstance(key, str):
            raise _Unsure
        return key, content[cut + 2 :]

    def scalar(self, text: str) -> Any:
        if text == "[]":
            return []
        if text == "{}":
            return {}
        if text[0] in ("'", '"'):
            value, end = self.quoted(text)
            if end != len(text):
                raise _Unsure
            return value
        return self.plain(text)

    @staticmethod
    def quoted(text: str) -> tuple[str, int]:
        """A one-line quoted scalar at the start of `text`: its value and where it ends."""
        if text[0] == '"':
            end = text.find('"', 1)
            if end < 0 or "\\" in text[1:end]:
                raise _Unsure  # escapes, or a scalar that goes on
            return text[1:end], end + 1
        parts, start = [], 1
        while True:
            end = text.find("'", start)
            if end < 0:
                raise _Unsure
            if text[end + 1 : end + 2] == "'":
                parts.append(text[start : end + 1])
                start = end + 2
                continue
            parts.append(text[start:end])
            return "".join(parts), end + 1

    def plain(self, text: str) -> Any:
        memo = self.plain_memo
        if text in memo:
            return memo[text]
        if (not text or text[0] in _INDICATORS or text[0] == " " or text[-1] == " " or " #" in text
                or ": " in text or text.endswith(":")):
            raise _Unsure
        tag = _RESOLVER.resolve(yaml.ScalarNode, text, (True, False))
        value: Any
        if tag == _STR:
            value = text
        elif tag == _NULL:
            value = None
        elif tag == _BOOL:
            value = yaml.constructor.SafeConstructor.bool_values[text.lower()]
        elif tag == _INT and _DECIMAL.fullmatch(text):
            value = int(text)
        else:
            raise _Unsure  # floats, timestamps, octal or sexagesimal integers, merge keys
        memo[text] = value
        return value


def spec_to_data(spec: Spec) -> dict[str, Any]:
    """The spec as plain data, defaults left out so that the file stays short and editable."""
    data = spec.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data = {"spec_version": spec.spec_version, **data}
    return data


def dump_spec(spec: Spec, fmt: str = "yaml") -> str:
    """Serialize the spec; the same spec always gives the same bytes."""
    data = spec_to_data(spec)
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return dump_yaml(data)


def dump_yaml(data: dict[str, Any]) -> str:
    """`data` as PyYAML writes it with `_Dumper` (block style, width 100), byte for byte.

    The common shapes go through `_FastEmitter`; anything it is not sure of is written by PyYAML.
    """
    try:
        return _FastEmitter().document(data)
    except _Unsure:
        return _pyyaml_dump(data)


def _pyyaml_dump(data: Any, width: int = _WIDTH) -> str:
    return str(yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=width,
                         default_flow_style=False))


def write_spec(spec: Spec, path: Path) -> None:
    """Write the spec to `path`, as JSON when the name ends in .json, else YAML."""
    fmt = "json" if path.suffix == ".json" else "yaml"
    path.write_text(dump_spec(spec, fmt), encoding="utf-8")


def upgrade_spec_data(data: dict[str, Any], where: str) -> dict[str, Any]:
    """Bring a raw spec document up to the current version through the upgrade chain."""
    version = str(data.get("spec_version", ""))
    while version != SPEC_VERSION:
        step = UPGRADES.get(version)
        if step is None:
            known = ", ".join(sorted([*UPGRADES, SPEC_VERSION]))
            raise SpecError(f"{where}: unknown spec_version {version!r} (this codegen reads {known})")
        data = step(data)
        version = str(data["spec_version"])
    return data


def load_yaml(text: str) -> Any:
    """What `yaml.load(text, Loader=_Loader)` returns: through `_FastParser` when it is sure, else PyYAML."""
    try:
        return _FastParser(text).document()
    except _Unsure:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader


def parse_spec(text: str, where: str, load: Callable[[str], Any] = load_yaml) -> Spec:
    """Parse spec text (YAML is a superset of JSON) into a validated Spec.

    `load` turns the text into data as `load_yaml` does (a caller may take it from a cache).
    """
    try:
        data = load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None)
        because = f" ({problem})" if problem else ""
        raise SpecError(f"{where}:{line} not valid YAML or JSON{because}") from None
    if not isinstance(data, dict):
        raise SpecError(f"{where}: a spec is a mapping with spec_version, name, source, resources")
    data = upgrade_spec_data(data, where)
    try:
        spec = Spec.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        pointer = "/" + "/".join(str(part) for part in error["loc"])
        raise SpecError(f"{where}: {pointer}: {error['msg']}") from None
    check_references(spec, where)
    return spec


def read_spec(path: Path) -> Spec:
    """Read and validate a spec file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise SpecError(f"{path}: not UTF-8 text (byte {exc.start} is {exc.object[exc.start]:#04x})") from None
    return parse_spec(text, str(path))


def check_references(spec: Spec, where: str) -> None:
    """Fail on names that point nowhere, so that a hand edit cannot produce a broken project."""
    names = [resource.name for resource in spec.resources]
    seen: set[str] = set()
    for index, resource in enumerate(spec.resources):
        pointer = f"{where}: /resources/{index}"
        if resource.name in seen:
            raise SpecError(f"{pointer}/name: duplicate resource name {resource.name!r}")
        seen.add(resource.name)
        fields = {field.name for field in resource.fields}
        for key in resource.primary_key:
            if key not in fields:
                raise SpecError(f"{pointer}/primary_key: no field {key!r} in {resource.name!r}")
        for r_index, relation in enumerate(resource.relationships):
            if relation.target not in names:
                raise SpecError(
                    f"{pointer}/relationships/{r_index}/target: no resource {relation.target!r}"
                )
    check_etl(spec, where)


_CRON_FIELD = re.compile(r"^[0-9*,/\-A-Za-z?LW#]+$")


def check_etl(spec: Spec, where: str) -> None:
    """Fail on ETL jobs that could not run: unknown resource or field, no key to merge on..."""
    seen: set[str] = set()
    resources = {resource.name: resource for resource in spec.resources}
    for index, job in enumerate(spec.etl):
        pointer = f"{where}: /etl/{index}"
        if job.name in seen:
            raise SpecError(f"{pointer}/name: duplicate ETL job name {job.name!r}")
        seen.add(job.name)
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", job.name):
            raise SpecError(f"{pointer}/name: {job.name!r} is not a valid job name (letters, digits, _)")
        resource = resources.get(job.resource)
        if resource is None:
            raise SpecError(f"{pointer}/resource: no resource {job.resource!r}")
        fields = {field.name for field in resource.fields}
        if job.mode == "incremental" and job.cursor is None:
            raise SpecError(f"{pointer}/cursor: an incremental job needs a cursor field")
        if job.cursor is not None and job.cursor not in fields:
            raise SpecError(f"{pointer}/cursor: no field {job.cursor!r} in {resource.name!r}")
        if job.write_disposition == "merge" and not resource.primary_key:
            raise SpecError(
                f"{pointer}/write_disposition: merge needs a primary key; {resource.name!r} has none"
            )
        if job.batch_size < 1:
            raise SpecError(f"{pointer}/batch_size: must be at least 1")
        parts = job.schedule.split() if job.schedule is not None else []
        if job.schedule is not None and (len(parts) != 5 or not all(_CRON_FIELD.match(p) for p in parts)):
            raise SpecError(f"{pointer}/schedule: {job.schedule!r} is not a five-field cron expression")
        for t_index, transform in enumerate(job.transforms):
            at = f"{pointer}/transforms/{t_index}"
            if transform.field not in fields:
                raise SpecError(f"{at}/field: no field {transform.field!r} in {resource.name!r}")
            if transform.op in ("rename", "cast") and not transform.to:
                raise SpecError(f"{at}/to: {transform.op} needs `to`")
            if transform.op == "cast" and transform.to not in {t.value for t in LogicalType}:
                raise SpecError(f"{at}/to: unknown type {transform.to!r}")
            keyed = transform.field in resource.primary_key or transform.field == job.cursor
            if transform.op == "drop" and keyed:
                raise SpecError(f"{at}/op: cannot drop {transform.field!r}: the job keys or reads by it")
        for c_index, check in enumerate(job.checks):
            at = f"{pointer}/checks/{c_index}"
            for name in check.fields:
                if name not in fields:
                    raise SpecError(f"{at}/fields: no field {name!r} in {resource.name!r}")
            if check.check in ("not_null", "unique", "accepted_values") and not check.fields:
                raise SpecError(f"{at}/fields: {check.check} needs at least one field")
            if check.check == "accepted_values" and not check.values:
                raise SpecError(f"{at}/values: accepted_values needs values")
            dated = check.fields or job.cursor
            if check.check == "freshness" and (check.max_age_seconds is None or not dated):
                raise SpecError(f"{at}: freshness needs max_age_seconds and a field (or the job's cursor)")


SCHEMA_PATH = Path(__file__).with_name("schema.json")


def spec_json_schema() -> str:
    """The JSON Schema of spec files, as committed in codegen/spec/schema.json."""
    schema = Spec.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://codegen.invalid/spec/{SPEC_VERSION}/schema.json"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
