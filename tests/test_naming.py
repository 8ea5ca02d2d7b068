"""Naming: every source name becomes a valid, unique identifier that keeps the original as alias."""

from __future__ import annotations

import keyword

from hypothesis import given
from hypothesis import strategies as st

from codegen import naming


def test_contract_examples() -> None:
    assert naming.collection_path("Album", None, []) == "/album"
    assert naming.collection_path("Order Details", None, []) == "/order-details"
    assert naming.collection_path("invoice_line", None, []) == "/invoice-line"
    assert naming.collection_path("order", "sales", []) == "/sales/order"
    assert naming.snake_case("AlbumId") == "album_id"
    assert naming.snake_case("HTTPServerID") == "http_server_id"
    assert naming.snake_case("naïve Café") == "naive_cafe"


def test_keywords_builtins_and_digits() -> None:
    assert naming.python_identifier("class", []) == "class_"
    assert naming.python_identifier("json", []) == "json_"
    assert naming.python_identifier("model_dump", []) == "model_dump_"
    assert naming.python_identifier("1st place", []) == "n_1st_place"
    assert naming.class_name("field", []) == "FieldRecord"
    assert naming.class_name("2020 sales", []) == "T2020Sales"
    assert naming.module_name("import", []) == "import_"


def test_collisions_after_mapping_stay_unique() -> None:
    first = naming.json_name("FooBar", [])
    second = naming.json_name("foo_bar", [first])
    assert (first, second) == ("foo_bar", "foo_bar_2")
    assert naming.collection_path("Order Details", None, ["/order-details"]) == "/order-details-2"


def test_relation_names() -> None:
    assert naming.relation_name(["artist_id"], "artist", []) == "artist"
    assert naming.relation_name(["reports_to"], "employee", []) == "reports_to_employee"
    assert naming.relation_name(["a", "b"], "parent", ["parent"]) == "parent_2"


@given(st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=12))
def test_any_names_give_valid_unique_identifiers(names: list[str]) -> None:
    json_names: list[str] = []
    attributes: list[str] = []
    for name in names:
        json = naming.json_name(name, json_names)
        attribute = naming.python_identifier(json, attributes)
        json_names.append(json)
        attributes.append(attribute)
        assert attribute.isidentifier() and not keyword.iskeyword(attribute)
        assert not attribute.startswith("_")
        assert attribute not in naming.RESERVED_ATTRIBUTES
    assert len(set(json_names)) == len(json_names)
    assert len(set(attributes)) == len(attributes)
