"""Reflection of PostgreSQL and MariaDB (Chinook, Sakila, the hard schema) through the API and the CLI."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import databases
import pytest
from test_reflect import (
    CHINOOK_RESOURCES,
    SAKILA_TABLES,
    SAKILA_VIEWS,
    assert_cli_error,
    assert_round_trip,
    expect_hard_common,
    relation,
    runner,
    shape,
)

from codegen import api
from codegen.cli import app
from codegen.spec.io import dump_spec, parse_spec
from codegen.spec.model import LogicalType, Spec

# Its tests share module-scoped fixtures: one xdist worker runs them all (tests/conftest.py).
pytestmark = [pytest.mark.server, pytest.mark.xdist_group("reflect-servers")]


def field_types(spec: Spec) -> dict[str, list[tuple[str, LogicalType, bool]]]:
    """Per resource: field name, logical type and nullability."""
    return {r.name: [(f.name, f.type, f.nullable) for f in r.fields] for r in spec.resources}


Reflected = Callable[[str, str], Spec]


@pytest.fixture(scope="module")
def reflected(database_url) -> Reflected:
    """`reflected(kind, dialect)`: the spec of a loaded database, reflected once per module."""
    cache: dict[tuple[str, str], Spec] = {}

    def get(kind: str, dialect: str) -> Spec:
        if (kind, dialect) not in cache:
            cache[(kind, dialect)] = api.reflect(database_url(kind, dialect))
        return cache[(kind, dialect)]

    return get


# -- Chinook and Sakila: the same API whatever the dialect -------------------------------------------


def test_chinook(reflected: Reflected, server_dialect: str) -> None:
    spec = reflected("chinook", server_dialect)
    assert spec.source.dialect == {"postgresql": "postgresql", "mariadb": "mysql"}[server_dialect]
    assert [r.name for r in spec.resources] == CHINOOK_RESOURCES
    assert spec.resource("invoice_line").path == "/invoice-line"
    assert spec.resource("playlist_track").primary_key == ["playlist_id", "track_id"]
    total = spec.resource("invoice").field("total")
    assert (total.type, total.precision, total.scale) == (LogicalType.DECIMAL, 10, 2)
    assert relation(spec.resource("customer"), "support_rep")["target"] == "employee"
    assert relation(spec.resource("playlist"), "track")["through"] == "playlist_track"
    assert spec.diagnostics == []
    sqlite = reflected("chinook", "sqlite")
    assert shape(spec) == shape(sqlite)
    assert field_types(spec) == field_types(sqlite)
    assert_round_trip(spec)


def test_sakila(reflected: Reflected, server_dialect: str) -> None:
    spec = reflected("sakila", server_dialect)
    assert sorted(r.name for r in spec.resources) == sorted(SAKILA_TABLES + SAKILA_VIEWS)
    assert {r.name for r in spec.resources if r.kind == "view" and r.read_only} == set(SAKILA_VIEWS)
    rating = spec.resource("film").field("rating")
    assert (rating.type, rating.enum_values) == (LogicalType.ENUM, ["G", "PG", "PG-13", "R", "NC-17"])
    assert relation(spec.resource("store"), "manager_staff")["target"] == "staff"
    assert relation(spec.resource("staff"), "store_by_manager_staff")["kind"] == "one_to_many"
    assert relation(spec.resource("payment"), "rental")["on_delete"] == "SET NULL"
    assert spec.resource("film").field("film_id").autoincrement
    unique_keys = spec.resource("rental").unique_keys
    assert [u.fields for u in unique_keys] == [["rental_date", "inventory_id", "customer_id"]]
    sqlite = reflected("sakila", "sqlite")
    assert shape(spec) == shape(sqlite)
    tables = {name: types for name, types in field_types(spec).items() if name in SAKILA_TABLES}
    assert tables == {name: types for name, types in field_types(sqlite).items() if name in SAKILA_TABLES}
    assert_round_trip(spec)


# -- the hard schema ------------------------------------------------------------------------------------


def test_hard_common(reflected: Reflected, server_dialect: str) -> None:
    expect_hard_common(reflected("hard", server_dialect))


def test_hard_postgresql(reflected: Reflected) -> None:
    spec = reflected("hard", "postgresql")
    sink = spec.resource("1st_kitchen_sink")
    mood = sink.field("mood")
    assert (mood.type, mood.enum_values, mood.enum_name, mood.native_enum) == (
        LogicalType.ENUM, ["happy", "sad", "ok"], "mood", True)
    email = sink.field("email")
    assert email.db_type.startswith("email_address") and email.type in (LogicalType.STRING, LogicalType.TEXT)
    assert (sink.field("tags").type, sink.field("tags").item_type) == (LogicalType.ARRAY, LogicalType.TEXT)
    assert sink.field("scores").item_type is LogicalType.INTEGER
    assert (sink.field("doc").db_type, sink.field("doc").type) == ("JSONB", LogicalType.JSON)
    assert sink.field("plain_json").type is LogicalType.JSON
    uuid = sink.field("uuid")
    assert (uuid.type, uuid.nullable, uuid.default) == (LogicalType.UUID, False, "gen_random_uuid()")
    assert (sink.field("blob").type, sink.field("blob").db_type) == (LogicalType.BINARY, "BYTEA")
    assert (sink.field("aware_ts").timezone, sink.field("local_ts").timezone) == (True, False)
    assert sink.field("duration").type is LogicalType.INTERVAL
    assert (sink.field("ip").type, sink.field("ip").read_only) == (LogicalType.STRING, True)
    assert sink.field("location").comment == "No mapping: served as unknown"
    key = sink.field("id")
    assert (key.type, key.identity, key.autoincrement) == (LogicalType.BIG_INTEGER, True, True)
    assert [d.where for d in spec.diagnostics] == ["1st_kitchen_sink.ip", "1st_kitchen_sink.location"]

    orders = spec.resource("cafe_orders")
    assert (orders.field("order_id").identity, orders.field("placed_at").timezone) == (True, True)
    assert orders.comment == "Orders of the café"
    assert orders.field("naive").comment == "Ordered by a first-time customer"
    person = spec.resource("person")
    serial = person.field("id")
    assert (serial.autoincrement, serial.identity, serial.default) == (True, False, None)  # nextval() hidden
    assert person.comment == "People: staff, customers and partners"
    assert person.field("manager_id").comment == "The person's manager"
    assert spec.resource("tag").field("id").identity

    totals = spec.resource("order_totals")
    assert (totals.kind, totals.read_only, totals.path) == ("materialized_view", True, "/order-totals")
    assert [f.name for f in totals.fields] == ["person_id", "orders", "total"]
    assert "sales_invoice" not in {r.name for r in spec.resources}  # only the default schema by default


def test_hard_mariadb(reflected: Reflected) -> None:
    spec = reflected("hard", "mariadb")
    assert spec.source.dialect == "mysql"
    sink = spec.resource("1st_kitchen_sink")
    mood = sink.field("mood")
    assert (mood.type, mood.enum_values) == (LogicalType.ENUM, ["happy", "sad", "ok"])
    assert mood.db_type == "ENUM('happy','sad','ok')"
    flag = sink.field("flag")
    assert (flag.type, flag.db_type, flag.nullable) == (LogicalType.BOOLEAN, "TINYINT(1)", False)
    assert sink.field("doc").type is LogicalType.JSON  # LONGTEXT with a json_valid() CHECK
    assert spec.resource("import").field("json").type is LogicalType.JSON
    assert sink.field("uuid").type is LogicalType.UUID
    assert sink.field("yr").type is LogicalType.INTEGER
    assert sink.field("location").comment == "No mapping: served as unknown"
    key = sink.field("id")
    assert (key.autoincrement, key.identity) == (True, False)
    assert sink.field("bits").read_only
    assert [d.where for d in spec.diagnostics] == ["1st_kitchen_sink.bits", "1st_kitchen_sink.location"]
    orders = spec.resource("cafe_orders")
    assert orders.comment == "Orders of the café"
    assert orders.field("naive").comment == "Ordered by a first-time customer"
    assert spec.resource("person").field("manager_id").comment == "The person's manager"
    assert spec.resource("manager_summary").field("reports").default is None  # MariaDB reports '0'


def test_postgresql_second_schema(database_url, tmp_path: Path) -> None:
    url = database_url("hard", "postgresql")
    spec = api.reflect(url, schemas=["public", "sales"])
    assert spec.source.schemas == ["public", "sales"]
    invoice, sales_tag, tag = spec.resource("sales_invoice"), spec.resource("sales_tag"), spec.resource("tag")
    assert (invoice.db_schema, invoice.table, invoice.path, invoice.class_name) == (
        "sales", "invoice", "/sales/invoice", "SalesInvoice")
    assert (sales_tag.path, tag.path, tag.db_schema) == ("/sales/tag", "/tag", None)
    assert relation(invoice, "person")["target"] == "person"  # a key into public
    assert relation(invoice, "order")["target"] == "cafe_orders"
    assert relation(spec.resource("person"), "sales_invoice")["kind"] == "one_to_many"
    expect_hard_common(spec)
    assert "schema: sales" in dump_spec(spec)
    assert_round_trip(spec)

    result = runner.invoke(app, ["reflect", url, "--schema", "public", "--schema", "sales"])
    assert result.exit_code == 0, result.output
    assert result.stdout == dump_spec(spec)

    alone = api.reflect(url, schemas=["sales"])
    assert [r.name for r in alone.resources] == ["sales_invoice", "sales_tag"]
    assert alone.resource("sales_invoice").relationships == []
    assert {(d.level, d.message) for d in alone.diagnostics} == {
        ("info", "foreign key to person left out: table not reflected"),
        ("info", "foreign key to Café Orders left out: table not reflected"),
    }


# -- determinism, secrets, warnings ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["hard", "sakila"])
def test_reflect_twice_gives_the_same_yaml(database_url, server_dialect: str, kind: str) -> None:
    url = database_url(kind, server_dialect)
    first, second = api.reflect(url), api.reflect(url)
    assert dump_spec(first) == dump_spec(second)
    assert_round_trip(first)


def test_no_sqlalchemy_warning_escapes(database_url, server_dialect: str) -> None:
    url = database_url("hard", server_dialect)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        api.reflect(url)
    assert [str(w.message) for w in caught] == []


def test_password_never_reaches_the_spec(database_url, tmp_path: Path) -> None:
    database_url("hard", "postgresql")
    url = databases.server_url("postgresql", databases.database_name("hard"), password="s3cret")
    assert "s3cret" in url
    spec = api.reflect(url, schemas=["public", "sales"])
    assert spec.source.url == databases.server_url("postgresql", databases.database_name("hard"))
    assert "s3cret" not in dump_spec(spec) and "s3cret" not in dump_spec(spec, "json")
    out = tmp_path / "spec.yaml"
    result = runner.invoke(app, ["reflect", url, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "s3cret" not in out.read_text(encoding="utf-8") + result.output
    assert parse_spec(out.read_text(encoding="utf-8"), str(out)) == api.reflect(url)


# -- errors ---------------------------------------------------------------------------------------------


def test_error_wrong_database_name(live_server: str, tmp_path: Path) -> None:
    server_dialect = live_server
    password = "s3cret" if server_dialect == "postgresql" else None
    url = databases.server_url(server_dialect, "cg_no_such_database", password=password)
    expected = {"postgresql": 'database "cg_no_such_database" does not exist',
                "mariadb": "Unknown database 'cg_no_such_database'"}[server_dialect]
    line = assert_cli_error([url], tmp_path, expected)
    assert "s3cret" not in line


def test_error_empty_database(database_url, server_dialect: str, tmp_path: Path) -> None:
    assert_cli_error([database_url("empty", server_dialect)], tmp_path, "no tables or views to reflect")


def test_error_unknown_schema(database_url, server_dialect: str, tmp_path: Path) -> None:
    url = database_url("chinook", server_dialect)
    assert_cli_error([url, "--schema", "nosuch"], tmp_path, "no schema 'nosuch'")
