"""Reflection of SQLite databases (Chinook, Sakila, the hard schema) through the API and CLI: no server."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from sqlalchemy import types as sqltypes
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from codegen import api
from codegen.cli import app
from codegen.reflect.database import redact_url
from codegen.reflect.types import map_type, parse_check_enum, parse_json_check
from codegen.spec.io import dump_spec, parse_spec
from codegen.spec.model import LogicalType, Resource, Spec

CHINOOK_RESOURCES = [
    "album", "artist", "customer", "employee", "genre", "invoice",
    "invoice_line", "media_type", "playlist", "playlist_track", "track",
]
SAKILA_TABLES = [
    "actor", "address", "category", "city", "country", "customer", "film", "film_actor", "film_category",
    "film_text", "inventory", "language", "payment", "rental", "staff", "store",
]
SAKILA_VIEWS = ["customer_list", "film_list", "sales_by_film_category", "sales_by_store", "staff_list"]
HARD_RESOURCES = [
    "1st_kitchen_sink", "cafe_orders", "department", "employee", "event_log", "import", "manager_summary",
    "person", "person_summary", "person_tag", "settings", "stock_item", "tag", "warehouse_bin",
]
CODEGEN = Path(sys.executable).parent / "codegen"

runner = CliRunner()


# -- helpers shared with test_reflect_servers.py ------------------------------------------------------


def relation(resource: Resource, name: str) -> dict[str, object]:
    """The relationship called `name` as plain data (defaults left out), or a failed test."""
    for rel in resource.relationships:
        if rel.name == name:
            return rel.model_dump(exclude_defaults=True)
    pytest.fail(f"{resource.name} has no relationship {name!r}: {[r.name for r in resource.relationships]}")


def shape(spec: Spec) -> dict[str, object]:
    """What must not depend on the dialect: resources, paths, keys, field names and types, relationships."""
    return {
        r.name: {
            "path": r.path,
            "kind": r.kind,
            "read_only": r.read_only,
            "primary_key": r.primary_key,
            "fields": [(f.name, f.attribute) for f in r.fields],
            "relationships": sorted((x.name, x.kind, x.target, tuple(x.fields), tuple(x.target_fields))
                                    for x in r.relationships),
        }
        for r in spec.resources
    }


def assert_round_trip(spec: Spec) -> None:
    """The spec survives dump and parse, as YAML and as JSON, and dumps to the same bytes again."""
    for fmt in ("yaml", "json"):
        text = dump_spec(spec, fmt)
        again = parse_spec(text, f"<{fmt}>")
        assert again == spec
        assert dump_spec(again, fmt) == text


def assert_cli_error(args: list[str], tmp_path: Path, expected: str) -> str:
    """`codegen reflect ARGS -o FILE` exits 2 with one `error:` line, no traceback, and leaves no file."""
    out_dir = tmp_path / "out"
    result = runner.invoke(app, ["reflect", *args, "-o", str(out_dir / "spec.yaml")])
    assert result.exit_code == 2, (result.output, result.exception)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert expected in lines[0]
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert not out_dir.exists()
    return lines[0]


def expect_hard_common(spec: Spec) -> None:
    """Facts of the hard schema that hold in every dialect."""
    assert set(HARD_RESOURCES) <= {r.name for r in spec.resources}

    orders = spec.resource("cafe_orders")
    assert (orders.table, orders.path, orders.class_name, orders.module) == (
        "Café Orders", "/cafe-orders", "CafeOrders", "cafe_orders")
    assert [(f.column, f.name, f.attribute) for f in orders.fields[:8]] == [
        ("Order ID", "order_id", "order_id"),
        ("Customer-Name", "customer_name", "customer_name"),
        ("naïve", "naive", "naive"),
        ("class", "class", "class_"),
        ("FooBar", "foo_bar", "foo_bar"),
        ("foo_bar", "foo_bar_2", "foo_bar_2"),
        ("2nd Address", "2nd_address", "n_2nd_address"),
        ("Total.Amount", "total_amount", "total_amount"),
    ]
    count = len(orders.fields)
    assert len({f.name for f in orders.fields}) == len({f.attribute for f in orders.fields}) == count
    assert orders.primary_key == ["order_id"]
    key = orders.field("order_id")
    assert key.generated and not key.nullable
    assert orders.field("naive").type is LogicalType.BOOLEAN
    assert not orders.field("naive").nullable and orders.field("naive").default is not None
    amount = orders.field("total_amount")
    assert (amount.type, amount.precision, amount.scale) == (LogicalType.DECIMAL, 12, 4)
    assert not amount.nullable
    status = orders.field("status")
    assert (status.type, status.length) == (LogicalType.ENUM, 10)
    assert status.enum_values == ["new", "paid", "shipped"]
    assert "new" in (status.default or "")
    assert orders.field("ship_mode").enum_values == ["air", "sea", "road"]  # CHECK on a column with a space
    assert orders.field("placed_at").type is LogicalType.DATETIME
    assert [(i.name, i.fields) for i in orders.indexes if i.fields[0] == "status"] == [
        ("ix_café_orders_status", ["status", "placed_at"])]
    assert relation(orders, "billing_person") == {
        "name": "billing_person", "kind": "many_to_one", "target": "person",
        "fields": ["billing_person_id"], "target_fields": ["id"],
        **({"constraint": "Café Orders_billing_person_id_fkey"} if spec.source.dialect != "sqlite" else {}),
    }
    assert relation(orders, "shipping_person")["fields"] == ["shipping_person_id"]
    assert [r.name for r in orders.relationships if "sales" not in r.name] == ["billing_person", "shipping_person"]

    person = spec.resource("person")
    assert [u.fields for u in person.unique_keys] == [["email"]]
    assert person.field("email").length == 120
    assert person.field("type").enum_values == ["staff", "customer", "partner"]
    assert person.field("metadata").attribute == "metadata_"
    assert person.field("metadata").type is LogicalType.JSON
    manager = relation(person, "manager")
    assert (manager["kind"], manager["target"], manager["fields"], manager["on_delete"]) == (
        "many_to_one", "person", ["manager_id"], "SET NULL")
    assert relation(person, "person")["target_fields"] == ["manager_id"]  # the self reference, reversed
    assert relation(person, "cafe_orders_by_billing_person")["target_fields"] == ["billing_person_id"]
    assert relation(person, "cafe_orders_by_shipping_person")["target_fields"] == ["shipping_person_id"]
    assert relation(person, "tag") == {
        "name": "tag", "kind": "many_to_many", "target": "tag", "fields": ["id"], "target_fields": ["id"],
        "through": "person_tag", "through_fields": ["person_id"], "through_target_fields": ["tag_id"],
    }
    assert [r.name for r in person.relationships if "sales" not in r.name] == [
        "manager", "cafe_orders_by_billing_person", "cafe_orders_by_shipping_person", "person", "person_tag", "tag"]
    assert relation(spec.resource("tag"), "person")["through"] == "person_tag"
    link = spec.resource("person_tag")
    assert link.primary_key == ["person_id", "tag_id"] and not link.read_only
    assert relation(link, "person")["on_delete"] == "CASCADE"

    bins = spec.resource("warehouse_bin")
    assert (bins.path, bins.primary_key) == ("/warehouse-bin", ["warehouse", "bin_no"])
    assert bins.field("bin_no").column == "bin-no"
    stock = spec.resource("stock_item")
    assert relation(stock, "warehouse_bin") == {
        "name": "warehouse_bin", "kind": "many_to_one", "target": "warehouse_bin",
        "fields": ["warehouse", "bin_no"], "target_fields": ["warehouse", "bin_no"],
        "on_delete": "CASCADE", "constraint": "fk_stock_item_bin",
    }
    assert relation(bins, "stock_item")["kind"] == "one_to_many"
    assert [u.fields for u in stock.unique_keys] == [["sku"]]

    log = spec.resource("event_log")
    assert (log.table, log.path, log.primary_key, log.read_only) == ("event log", "/event-log", [], True)
    assert log.field("payload").type is LogicalType.BINARY
    settings = spec.resource("settings")
    assert (settings.primary_key, settings.read_only) == ([], True)
    assert [u.fields for u in settings.unique_keys] == [["key"]]

    department, employee = spec.resource("department"), spec.resource("employee")
    assert relation(department, "head")["target"] == "employee"
    assert relation(department, "employee")["target_fields"] == ["department_id"]
    assert relation(employee, "department")["kind"] == "many_to_one"  # its own key wins the plain name
    assert relation(employee, "department_by_head")["target_fields"] == ["head_id"]
    assert not department.field("head_id").nullable and not employee.field("department_id").nullable

    imports = spec.resource("import")
    assert (imports.class_name, imports.module, imports.path) == ("Import", "import_", "/import")
    attributes = {f.name: f.attribute for f in imports.fields}
    assert attributes == {
        "id": "id", "class": "class_", "from": "from_", "select": "select", "order": "order", "json": "json_",
        "metadata": "metadata_", "limit": "limit", "sort": "sort", "type": "type",
    }
    assert imports.field("limit").default == "10"
    assert imports.field("from").type is LogicalType.DATE

    sink = spec.resource("1st_kitchen_sink")
    assert (sink.table, sink.path, sink.class_name, sink.module) == (
        "1st.Kitchen-Sink", "/1st-kitchen-sink", "T1stKitchenSink", "t_1st_kitchen_sink")
    types = {f.name: f.type for f in sink.fields}
    assert {name: types[name] for name in (
        "uuid", "amount", "ratio", "small", "big", "flag", "born", "alarm", "local_ts", "aware_ts", "blob",
        "doc", "mood", "location", "char_code", "big_text")} == {
        "uuid": LogicalType.UUID, "amount": LogicalType.DECIMAL, "ratio": LogicalType.FLOAT,
        "small": LogicalType.SMALL_INTEGER, "big": LogicalType.BIG_INTEGER, "flag": LogicalType.BOOLEAN,
        "born": LogicalType.DATE, "alarm": LogicalType.TIME, "local_ts": LogicalType.DATETIME,
        "aware_ts": LogicalType.DATETIME, "blob": LogicalType.BINARY, "doc": LogicalType.JSON,
        "mood": LogicalType.ENUM, "location": LogicalType.UNKNOWN, "char_code": LogicalType.STRING,
        "big_text": LogicalType.TEXT,
    }
    assert sink.field("uuid").attribute == "uuid"  # no generated module binds `uuid` (only `UUID`)
    assert sink.field("mood").enum_values == ["happy", "sad", "ok"]
    assert sink.field("char_code").length == 3
    assert sink.field("local_ts").timezone is False
    assert sink.field("id").generated
    assert "1st_kitchen_sink.location" in {d.where for d in spec.diagnostics}

    for name in ("person_summary", "manager_summary"):
        view = spec.resource(name)
        assert (view.kind, view.read_only, view.primary_key, view.relationships) == ("view", True, [], [])
        assert all(f.default is None for f in view.fields)
    assert [f.name for f in spec.resource("manager_summary").fields] == ["manager_name", "reports"]
    assert all(r.read_only for r in spec.resources if r.kind != "table" or not r.primary_key)


# -- fixtures -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chinook_sqlite(database_url) -> str:
    return database_url("chinook", "sqlite")


@pytest.fixture(scope="module")
def chinook(chinook_sqlite: str) -> Spec:
    return api.reflect(chinook_sqlite)


@pytest.fixture(scope="module")
def sakila(database_url) -> Spec:
    return api.reflect(database_url("sakila", "sqlite"))


@pytest.fixture(scope="module")
def hard_sqlite(database_url) -> str:
    return database_url("hard", "sqlite")


@pytest.fixture(scope="module")
def hard(hard_sqlite: str) -> Spec:
    return api.reflect(hard_sqlite)


# -- Chinook --------------------------------------------------------------------------------------------


def test_chinook_resources_and_paths(chinook: Spec) -> None:
    assert chinook.name == "chinook"
    assert (chinook.source.kind, chinook.source.dialect) == ("database", "sqlite")
    assert [r.name for r in chinook.resources] == CHINOOK_RESOURCES
    assert {r.name: r.path for r in chinook.resources}["invoice_line"] == "/invoice-line"
    line = chinook.resource("invoice_line")
    assert (line.table, line.class_name, line.module, line.kind, line.read_only) == (
        "InvoiceLine", "InvoiceLine", "invoice_line", "table", False)
    assert chinook.resource("playlist_track").path == "/playlist-track"
    assert chinook.resource("media_type").path == "/media-type"
    assert chinook.diagnostics == []


def test_chinook_keys_fields_and_types(chinook: Spec) -> None:
    assert chinook.resource("playlist_track").primary_key == ["playlist_id", "track_id"]
    album = chinook.resource("album")
    assert album.primary_key == ["album_id"]
    assert [(f.column, f.name) for f in album.fields] == [
        ("AlbumId", "album_id"), ("Title", "title"), ("ArtistId", "artist_id")]
    key = album.field("album_id")
    assert (key.type, key.nullable, key.autoincrement) == (LogicalType.INTEGER, False, True)  # rowid alias
    title = album.field("title")
    assert (title.type, title.length, title.nullable) == (LogicalType.STRING, 160, False)
    assert title.db_type == "NVARCHAR(160)"
    assert chinook.resource("artist").field("name").nullable
    total = chinook.resource("invoice").field("total")
    assert (total.type, total.precision, total.scale) == (LogicalType.DECIMAL, 10, 2)
    birth = chinook.resource("employee").field("birth_date")
    assert (birth.type, birth.timezone) == (LogicalType.DATETIME, False)
    assert [i.fields for i in album.indexes] == [["artist_id"]]
    assert [i.name for i in album.indexes] == ["IFK_AlbumArtistId"]


def test_chinook_relationships(chinook: Spec) -> None:
    assert relation(chinook.resource("album"), "artist") == {
        "name": "artist", "kind": "many_to_one", "target": "artist",
        "fields": ["artist_id"], "target_fields": ["artist_id"],
    }
    assert relation(chinook.resource("artist"), "album")["kind"] == "one_to_many"
    customer = chinook.resource("customer")
    assert relation(customer, "support_rep")["target"] == "employee"
    assert relation(customer, "support_rep")["fields"] == ["support_rep_id"]
    employee = chinook.resource("employee")
    assert relation(employee, "reports_to_employee")["target"] == "employee"  # self reference
    assert relation(employee, "employee")["target_fields"] == ["reports_to"]
    assert relation(employee, "customer")["target_fields"] == ["support_rep_id"]
    assert relation(chinook.resource("playlist"), "track") == {
        "name": "track", "kind": "many_to_many", "target": "track",
        "fields": ["playlist_id"], "target_fields": ["track_id"], "through": "playlist_track",
        "through_fields": ["playlist_id"], "through_target_fields": ["track_id"],
    }
    assert relation(chinook.resource("track"), "playlist")["through"] == "playlist_track"
    assert [r.name for r in chinook.resource("invoice_line").relationships] == ["invoice", "track"]


def test_chinook_is_deterministic_and_round_trips(chinook_sqlite: str, chinook: Spec) -> None:
    again = api.reflect(chinook_sqlite)
    assert dump_spec(again) == dump_spec(chinook)
    assert_round_trip(chinook)


def test_cli_prints_the_same_spec(chinook_sqlite: str, chinook: Spec) -> None:
    result = runner.invoke(app, ["reflect", chinook_sqlite])
    assert result.exit_code == 0, result.output
    assert result.stdout == dump_spec(chinook)
    assert result.stderr == ""


def test_cli_writes_yaml_and_json_files(chinook_sqlite: str, chinook: Spec, tmp_path: Path) -> None:
    for name, fmt in (("nested/spec.yaml", "yaml"), ("spec.json", "json")):
        out = tmp_path / name
        result = runner.invoke(app, ["reflect", chinook_sqlite, "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert result.stdout == ""
        assert out.read_text(encoding="utf-8") == dump_spec(chinook, fmt)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["nested", "spec.json", "spec.yaml"]  # no temp file


def test_cli_include_exclude_and_name(chinook_sqlite: str) -> None:
    result = runner.invoke(app, ["reflect", chinook_sqlite, "--include", "Album", "--include", "Art*",
                                 "--exclude", "Artist", "--name", "My Music"])
    assert result.exit_code == 0, result.output
    spec = parse_spec(result.stdout, "<stdout>")
    assert [r.name for r in spec.resources] == ["album"]
    assert spec.name == "my_music"
    assert spec.source.include == ["Album", "Art*"] and spec.source.exclude == ["Artist"]
    assert spec.resource("album").relationships == []
    assert {d.message for d in spec.diagnostics} == {"foreign key to Artist left out: table not reflected"}


def test_console_script_runs(chinook_sqlite: str, chinook: Spec) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(CODEGEN), *args], capture_output=True, text=True, check=False)

    done = run("reflect", chinook_sqlite)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == dump_spec(chinook)
    failed = run("reflect", "nosuchdialect://u@h/db")
    assert failed.returncode == 2
    assert failed.stdout == ""
    assert failed.stderr == "error: nosuchdialect://u@h/db: no SQLAlchemy dialect 'nosuchdialect'\n"


# -- Sakila ---------------------------------------------------------------------------------------------


def test_sakila_tables_and_views(sakila: Spec) -> None:
    assert sorted(r.name for r in sakila.resources) == sorted(SAKILA_TABLES + SAKILA_VIEWS)
    for name in SAKILA_VIEWS:
        view = sakila.resource(name)
        assert (view.kind, view.read_only, view.primary_key) == ("view", True, [])
    for name in SAKILA_TABLES:
        table = sakila.resource(name)
        assert (table.kind, table.read_only) == ("table", False) and table.primary_key
    assert sakila.resource("film_actor").primary_key == ["actor_id", "film_id"]
    assert sakila.resource("customer_list").path == "/customer-list"


def test_sakila_types_and_constraints(sakila: Spec) -> None:
    film = sakila.resource("film")
    rating = film.field("rating")
    assert (rating.type, rating.enum_values, rating.native_enum) == (
        LogicalType.ENUM, ["G", "PG", "PG-13", "R", "NC-17"], False)
    rate = film.field("rental_rate")
    assert (rate.type, rate.precision, rate.scale, rate.default) == (LogicalType.DECIMAL, 4, 2, "4.99")
    assert film.field("description").type is LogicalType.TEXT  # declared `BLOB SUB_TYPE TEXT`
    assert sakila.resource("staff").field("picture").type is LogicalType.BINARY
    rental = sakila.resource("rental")
    assert [(u.name, u.fields) for u in rental.unique_keys] == [
        ("idx_rental_uq", ["rental_date", "inventory_id", "customer_id"])]
    assert ["store_id", "film_id"] in [i.fields for i in sakila.resource("inventory").indexes]


def test_sakila_relationships(sakila: Spec) -> None:
    film = sakila.resource("film")
    assert relation(film, "language")["fields"] == ["language_id"]
    assert relation(film, "original_language")["target"] == "language"
    language = sakila.resource("language")
    assert [r.name for r in language.relationships] == ["film_by_language", "film_by_original_language"]
    assert relation(film, "actor")["through"] == "film_actor"
    assert relation(sakila.resource("actor"), "film")["kind"] == "many_to_many"
    store, staff = sakila.resource("store"), sakila.resource("staff")  # the store <-> staff cycle
    assert relation(store, "manager_staff")["target"] == "staff"
    assert relation(staff, "store")["kind"] == "many_to_one"
    assert relation(staff, "store_by_manager_staff")["target_fields"] == ["manager_staff_id"]
    assert relation(sakila.resource("payment"), "rental")["on_delete"] == "SET NULL"


def test_sakila_untyped_view_columns_are_diagnosed(sakila: Spec) -> None:
    assert {d.where for d in sakila.diagnostics} == {
        "customer_list.name", "customer_list.notes", "film_list.actors", "sales_by_film_category.total_sales",
        "sales_by_store.manager", "sales_by_store.store", "sales_by_store.total_sales", "staff_list.name",
    }
    assert all(d.level == "warning" and "no exact mapping" in d.message for d in sakila.diagnostics)
    assert sakila.resource("customer_list").field("name").type is LogicalType.UNKNOWN
    assert_round_trip(sakila)


# -- the hard schema ------------------------------------------------------------------------------------


def test_hard_schema(hard: Spec) -> None:
    assert hard.name == "hard"
    assert sorted(r.name for r in hard.resources) == sorted(HARD_RESOURCES)
    expect_hard_common(hard)


def test_hard_sqlite_specifics(hard: Spec) -> None:
    orders = hard.resource("cafe_orders")
    key = orders.field("order_id")
    assert (key.autoincrement, key.identity, key.nullable) == (True, False, False)  # `INTEGER PRIMARY KEY`
    assert orders.field("status").default == "'new'"
    assert orders.comment is None
    sink = hard.resource("1st_kitchen_sink")
    assert sink.field("uuid").db_type == "UUID"  # SQLAlchemy alone would say NUMERIC, i.e. decimal
    assert (sink.field("location").db_type, sink.field("untyped").type) == ("GEOMETRY", LogicalType.UNKNOWN)
    assert {d.where: d.message for d in hard.diagnostics} == {
        "1st_kitchen_sink.location": "type 'GEOMETRY' has no exact mapping; served as unknown",
        "1st_kitchen_sink.untyped": "type '(none)' has no exact mapping; served as unknown",
        "manager_summary.reports": "type '(none)' has no exact mapping; served as unknown",
    }
    assert hard.resource("employee").field("id").autoincrement  # rowid alias, even unnamed as such


def test_hard_is_deterministic_and_round_trips(hard_sqlite: str, hard: Spec) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = api.reflect(hard_sqlite)
    assert dump_spec(again) == dump_spec(hard)
    assert shape(again) == shape(hard)
    assert_round_trip(hard)


def test_inline_unique_after_varchar_is_recovered(tmp_path: Path) -> None:
    path = tmp_path / "inline.sqlite"
    import sqlite3

    with sqlite3.connect(path) as conn:
        conn.executescript(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, code VARCHAR(12) UNIQUE NOT NULL, "
            "owner INTEGER REFERENCES t (id) ON DELETE CASCADE, other VARCHAR(3) NOT NULL UNIQUE)"
        )
    spec = api.reflect(f"sqlite:///{path}")
    table = spec.resource("t")
    assert sorted(u.fields for u in table.unique_keys) == [["code"], ["other"]]
    assert relation(table, "owner_t")["on_delete"] == "CASCADE"


# -- errors ---------------------------------------------------------------------------------------------


def test_error_bad_url(tmp_path: Path) -> None:
    assert_cli_error(["nosuchdialect://u@h/db"], tmp_path, "no SQLAlchemy dialect 'nosuchdialect'")
    line = assert_cli_error(["postgresql+psycopg://u:s3cret@h:port/db"], tmp_path, "is not a database URL")
    assert "s3cret" not in line
    assert_cli_error(["mssql+pyodbc://u@h/db"], tmp_path,
                     "database driver 'pyodbc' not installed; install it with: pip install 'pyodbc'")
    assert_cli_error(["postgresql+psycopg2://u@h/db"], tmp_path, "pip install 'psycopg2-binary'")


def test_a_url_without_driver_takes_the_bundled_one() -> None:
    from codegen.reflect.database import connect

    for url, driver in [("postgresql://u@h/db", "postgresql+psycopg"), ("postgres://u@h/db", "postgresql+psycopg"),
                        ("mysql://u@h/db", "mysql+pymysql"), ("mariadb://u@h/db", "mysql+pymysql")]:
        engine, parsed = connect(url)
        engine.dispose()
        assert parsed.drivername == driver, url


@pytest.mark.parametrize("url", ["postgresql+psycopg://postgres:s3cret@127.0.0.1:1/test",
                                 "mysql+pymysql://root:s3cret@127.0.0.1:1/test"])
def test_error_unreachable_server(url: str, tmp_path: Path) -> None:
    line = assert_cli_error([url], tmp_path, "127.0.0.1")
    assert "s3cret" not in line
    assert "refused" in line.lower() or "can't connect" in line.lower()


def test_error_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.sqlite"
    assert_cli_error([f"sqlite:///{missing}"], tmp_path, "no such database file")
    assert not missing.exists()  # SQLite would have created it
    assert_cli_error([str(tmp_path / "missing.yaml")], tmp_path, "no such file, and not a database URL")
    assert_cli_error([f"sqlite:///{tmp_path}/no/dir/x.sqlite"], tmp_path, "no such database file")


def test_error_empty_database(database_url, tmp_path: Path) -> None:
    assert_cli_error([database_url("empty", "sqlite")], tmp_path, "no tables or views to reflect")


def test_error_unknown_schema_and_nothing_included(chinook_sqlite: str, tmp_path: Path) -> None:
    assert_cli_error([chinook_sqlite, "--schema", "nosuch"], tmp_path, "no schema 'nosuch'")
    assert_cli_error([chinook_sqlite, "--include", "nothing*"], tmp_path, "no tables or views to reflect")


@pytest.mark.parametrize(("sqltext", "expected"), [
    ("rating in ('G','PG','PG-13')", ("rating", ["G", "PG", "PG-13"])),  # SQLite, as written
    ("`status` in ('new','it''s')", ("status", ["new", "it's"])),  # MariaDB
    ('"Ship Mode" IN (\'air\', \'sea\')', ("Ship Mode", ["air", "sea"])),
    ("[Ship Mode] IN ('air')", ("Ship Mode", ["air"])),
    ("status::text = ANY (ARRAY['new'::character varying, 'paid'::character varying]::text[])",
     ("status", ["new", "paid"])),  # PostgreSQL 15 through SQLAlchemy
    ("((status)::text = ANY ((ARRAY['a]'::character varying, 'b'::character varying])::text[]))",
     ("status", ["a]", "b"])),  # pg_get_constraintdef, with a bracket inside a value
    ('"Ship Mode"::text = ANY (ARRAY[\'air\'::text])', ("Ship Mode", ["air"])),
    ("status IN ('a', 'b') AND total > 0", None),
    ("length(code) IN ('a')", None),
    ("level IN (1, 2)", None),
])
def test_parse_check_enum(sqltext: str, expected: tuple[str, list[str]] | None) -> None:
    assert parse_check_enum(sqltext) == expected


def test_parse_json_check_and_interval() -> None:
    assert parse_json_check("json_valid(`doc`)") == "doc"
    assert parse_json_check("json_valid(`big doc`)") == "big doc"
    assert parse_json_check("json_valid(`doc`) and 1") is None
    assert map_type(sqltypes.Interval(), None).type is LogicalType.INTERVAL  # not its DateTime impl
    assert map_type(postgresql.INTERVAL(), postgresql.dialect()).type is LogicalType.INTERVAL
    assert map_type(mysql.TINYINT(display_width=1), mysql.dialect()).type is LogicalType.BOOLEAN
    assert map_type(mysql.TINYINT(), mysql.dialect()).type is LogicalType.INTEGER


def test_redact_url_removes_every_secret() -> None:
    url = make_url("postgresql+psycopg://me:s3cret@db.example:5432/app?sslpassword=k3y&application_name=x")
    text = redact_url(url)
    assert "s3cret" not in text and "k3y" not in text
    assert text == "postgresql+psycopg://me@db.example:5432/app?application_name=x"
