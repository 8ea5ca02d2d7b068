"""The spec's fast YAML writer and reader give PyYAML's bytes and data, or step aside for PyYAML."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from codegen import api
from codegen.spec import io
from codegen.spec.io import dump_spec, dump_yaml, load_yaml, parse_spec
from corpus import REPO
from databases import sqlite_file

CHINOOK = REPO / "examples" / "chinook.sqlite"
SAKILA = Path("/work/shared/corpus/db/sakila-sqlite/sakila.sqlite")
HARD = REPO / "tests" / "fixtures" / "hard" / "sqlite.sql"
# Every description but hard_common.yaml, which only holds the definitions hard.yaml refers to.
OPENAPI = [path for path in sorted((REPO / "tests" / "fixtures" / "openapi").glob("*.*"))
           if path.name != "hard_common.yaml"]


def _pyyaml_load(text: str) -> object:
    return yaml.load(text, Loader=io._Loader)  # noqa: S506 - a safe loader


def _agree_load(text: str) -> None:
    """load_yaml gives PyYAML's data, or PyYAML's error."""
    try:
        expected = _pyyaml_load(text)
    except yaml.YAMLError as error:
        with pytest.raises(type(error)):
            load_yaml(text)
        return
    assert load_yaml(text) == expected


def _hard_url(tmp_path: Path) -> str:
    return sqlite_file(tmp_path / "hard.sqlite", HARD.read_text(encoding="utf-8"))


def _specs(tmp_path: Path) -> list[str]:
    urls = [f"sqlite:///{CHINOOK}", _hard_url(tmp_path)]
    if SAKILA.exists():
        urls.append(f"sqlite:///{SAKILA}")
    specs = [dump_spec(api.reflect(url)) for url in urls]
    specs += [dump_spec(api.reflect(str(path))) for path in OPENAPI]
    return specs


def test_real_specs_take_the_fast_paths(tmp_path: Path) -> None:
    specs = _specs(tmp_path)
    assert len(specs) >= 3
    fast = 0
    for text in specs:
        data = _pyyaml_load(text)
        assert dump_yaml(data) == io._pyyaml_dump(data) == text
        assert load_yaml(text) == data
        try:
            assert io._FastParser(text).document() == data
            assert io._FastEmitter().document(data) == text
            fast += 1
        except io._Unsure:
            pass
    assert fast >= 3  # the database specs never need PyYAML


@pytest.mark.parametrize("key", ["k" * 100, "k" * 101, "中" * 33, "中" * 34, "中" * 50, "é" * 70])
def test_long_keys_are_written_as_pyyaml_writes_them(key: str) -> None:
    data = {key: "value", "nested": [{key: [key]}]}
    assert dump_yaml(data) == io._pyyaml_dump(data)
    _agree_load(dump_yaml(data))


def test_hand_edited_specs_read_as_pyyaml_reads_them(tmp_path: Path) -> None:
    text = dump_spec(api.reflect(f"sqlite:///{CHINOOK}"))
    edits = [
        text.replace("name: album\n", "name: album  # the albums\n", 1),
        "# a comment\n" + text,
        text.replace("  path: /album\n", "  path:   /album\n", 1),
        text.replace("  path: /album\n", "  path: '/album'\n", 1),
        text.replace("  path: /album\n", '  path: "/al#bum"\n', 1),
        text.replace("  path: /album\n", "  path:\n    /album\n", 1),
        text.replace("  path: /album\n", "  path: /album\n\n", 1),
        text.replace("nullable: false", "nullable: no", 1),
        text.replace("nullable: false", "nullable: 'no'", 1),
        text.replace("length: 160", "length: 0x10", 1),
        text.replace("length: 160", "length: 1_60", 1),
        text.replace("length: 160", "length: 1.5", 1),
        text.replace("length: 160", "length: ~", 1),
        text.replace("spec_version: '1'", "spec_version: 1", 1),
        text.replace("spec_version: '1'\n", "---\nspec_version: '1'\n", 1),
        text.replace("spec_version: '1'\n", "spec_version: '1'\n...\n", 1),
        text.replace("- name: album\n", "-   name: album\n", 1),
        text.replace("- name: album\n", "- {name: album}\n", 1),
        text.replace("- name: album\n", "- &a name: album\n", 1),
        text.replace("  primary_key:\n  - album_id\n", "  primary_key:\n    - album_id\n", 1),
        text.replace("  primary_key:\n  - album_id\n", "  primary_key: [album_id]\n", 1),
        text.replace("  primary_key:\n  - album_id\n", "  primary_key:\n  -\n    album_id\n", 1),
        text.replace("\n", "\r\n"),
        text.replace("  path: /album\n", "  path: /al\tbum\n", 1),
        text + "extra: |\n  one\n\n  two\n\n",
        text + "extra: |-\n    indented\n  less\n",
        text + "extra: |2\n   lead\n",
        text + "extra: >\n  folded\n  text\n",
        text + "extra: 'it''s'\n",
        text + "extra: 'open\n  quote'\n",
        text + 'extra: "esc\\u00e9"\n',
        text + "? complex\n: key\n",
        text + "null: key\n",
        text + "'on': key\n",
        text + "extra: 2001-12-14\n",
        text + "extra: -5\n",
        text + "extra: - x\n",
        text.replace("spec_version: '1'\n", "spec_version: '1'\nname: [unclosed\n", 1),
        text[:-1],
        "",
        "- a\n- b\n",
        "just text\n",
    ]
    for edited in edits:
        _agree_load(edited)


# -- random documents -------------------------------------------------------------------------------------

_ALPHABET = "ab Z09_-/.,():#'\"!&*?|>%@`{}[]\\=+~é中\t\n\r\x85\u2028\x00\x7f\ufeff"
STRINGS = st.one_of(
    st.text(alphabet=_ALPHABET, max_size=12),
    st.sampled_from(["yes", "No", "ON", "null", "~", "1", "-1", "0o7", "1e3", ".inf", "1:20", "2001-12-14",
                     "<<", "=", "---", "...", "- x", "a: b", "a #b", "x:", "", " ", "a  b", "ends ", "|",
                     "é"]),
    st.text(alphabet="abc xyz", min_size=80, max_size=140),  # long enough to fold at width 100
    st.lists(st.text(alphabet="ab #:'é ", max_size=6), min_size=2, max_size=4).map("\n".join),
    st.lists(st.text(alphabet="ab ", max_size=6), min_size=1, max_size=4).map(
        lambda parts: "\n".join(parts) + "\n"),
)
KEYS = st.one_of(
    st.sampled_from(["name", "type", "fields", "db_type", "on", "null", "1", "a b", "x:y", "k'"]),
    st.text(alphabet="abc_:' é", min_size=1, max_size=8),
)
SCALARS = st.one_of(STRINGS, st.integers(-10**6, 10**6), st.booleans(), st.none(),
                    st.floats(allow_nan=False, allow_infinity=False).filter(lambda _: True))
DOCUMENTS = st.dictionaries(
    KEYS,
    st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                  st.dictionaries(KEYS, inner, max_size=4)), max_leaves=25),
    min_size=1,
    max_size=6,
)


@pytest.mark.parametrize("text", ["\u2028", "x\u2028y", "x\x85y", "x\u2029y"])
def test_other_line_breaks_are_written_as_pyyaml_does(text: str) -> None:
    """LS, PS and NEL break a quoted line; the indentation after them depends on the depth."""
    for data in ({"a": text}, {"a": {"b": text}}, {"a": [{"b": text, text: 1}]}):
        assert dump_yaml(data) == io._pyyaml_dump(data), data


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENTS)
@example({"name": "0\n\u2028"})  # LS ending a block: libyaml keeps its chomping (`|+`)
def test_random_documents_are_written_and_read_as_pyyaml_does(data: dict[str, object]) -> None:
    expected = io._pyyaml_dump(data)
    assert dump_yaml(data) == expected
    _agree_load(expected)


@settings(max_examples=300, deadline=None)
@given(DOCUMENTS, st.integers(0, 10_000), st.sampled_from(["", " ", "  ", "- ", "#", ":", "'", "\n", "|"]))
def test_damaged_documents_are_read_as_pyyaml_reads_them(data: dict[str, object], where: int,
                                                          insert: str) -> None:
    text = io._pyyaml_dump(data)
    cut = where % (len(text) + 1)
    _agree_load(text[:cut] + insert + text[cut:])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENTS)
def test_what_is_written_reads_back_as_the_same_data(data: dict[str, object]) -> None:
    # update.py files the data of a spec it writes under the text's digest, for the next reader
    assert load_yaml(dump_yaml(data)) == data
