"""The spec: round trips, hand edits, version checks and errors that point at the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from codegen import api
from codegen.errors import SpecError
from codegen.spec.io import dump_spec, load_yaml, parse_spec, read_spec
from corpus import REPO

CHINOOK = f"sqlite:///{REPO / 'examples' / 'chinook.sqlite'}"


@pytest.fixture(scope="module")
def spec_text() -> str:
    return dump_spec(api.reflect(CHINOOK))


def test_yaml_and_json_round_trip(spec_text: str) -> None:
    spec = parse_spec(spec_text, "spec.yaml")
    assert dump_spec(spec) == spec_text
    assert parse_spec(dump_spec(spec, "json"), "spec.json") == spec


def test_unknown_version_is_refused(spec_text: str) -> None:
    with pytest.raises(SpecError, match="unknown spec_version '9'"):
        parse_spec(spec_text.replace("spec_version: '1'", "spec_version: '9'"), "x.yaml")


def test_errors_name_the_file_and_pointer(spec_text: str) -> None:
    with pytest.raises(SpecError, match=r"x.yaml: /resources/0/fields/0/type"):
        parse_spec(spec_text.replace("type: integer", "type: intgr", 1), "x.yaml")
    with pytest.raises(SpecError, match=r"x.yaml: /resources/0/primary_key: no field 'nope'"):
        parse_spec(spec_text.replace("  - album_id\n", "  - nope\n", 1), "x.yaml")
    with pytest.raises(SpecError, match="x.yaml: line 3 not valid YAML"):
        parse_spec("spec_version: '1'\nname: [unclosed\n", "x.yaml")
    with pytest.raises(SpecError, match=r"extra_key"):
        parse_spec(spec_text.replace("name: album\n", "name: album\n  extra_key: 1\n", 1), "x.yaml")


def test_a_key_written_twice_is_refused_not_overwritten(spec_text: str) -> None:
    # PyYAML keeps the last of two equal keys; a hand-edited spec would lose the first silently.
    twice = spec_text.replace("name: album\n", "name: album\n  name: album2\n", 1)
    line = next(number for number, text in enumerate(twice.splitlines(), 1) if text.endswith("name: album2"))
    with pytest.raises(SpecError, match=rf"x.yaml: line {line} not valid YAML or JSON \(duplicate key 'name'\)"):
        parse_spec(twice, "x.yaml")
    # A YAML merge may override what it brings in.
    assert load_yaml("a: &base {x: 1, y: 2}\nb:\n  <<: *base\n  x: 3\n") == {
        "a": {"x": 1, "y": 2}, "b": {"x": 3, "y": 2}}


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="cannot read"):
        read_spec(tmp_path / "missing.yaml")


def test_hand_edits_survive(spec_text: str) -> None:
    edited = spec_text.replace("  path: /album\n", "  path: /records\n", 1)
    spec = parse_spec(edited, "edited.yaml")
    assert spec.resource("album").path == "/records"
    assert dump_spec(spec) == edited


def test_c_and_python_emitters_agree(spec_text: str) -> None:
    import yaml

    from codegen.spec import io

    class PythonDumper(yaml.SafeDumper):
        pass

    PythonDumper.add_representer(str, io._represent_str)
    data = io.spec_to_data(parse_spec(spec_text, "spec.yaml"))
    python = yaml.dump(data, Dumper=PythonDumper, sort_keys=False, allow_unicode=True, width=100,
                       default_flow_style=False)
    assert python == spec_text
