"""Checks of the HTTP niceties of a generated API: ETags and preconditions, keyset (cursor) paging,
`?fields=`, CSV lists and bulk create, as the project's docs/contract.md describes them.

The contract suite (suite.py) calls these per resource, each in its own section. Like the rest of the
suite they know no particular database: what an answer must be comes from the API's other answers (a
cursor walk equals the offset pages of the same order, a CSV page the JSON page, an ETag the hash of
the body it came with) and from the database (a refused bulk create wrote nothing).
"""

from __future__ import annotations

import base64
import contextlib
import csv
import hashlib
import io
import json
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx

from codegen.spec.model import Field, Resource
from contract import suite

if TYPE_CHECKING:
    from contract.suite import _Run

CSV = "text/csv; charset=utf-8"
# An entity tag no item has: 64 zeros are not the sha256 of any JSON the API answers.
STALE = '"' + "0" * 64 + '"'
# Cursor walks stop here, whatever the server answers: a next_cursor that never ends is a failure.
MAX_PAGES = 200
# Concurrent writers that all send the same If-Match: one wins, the others must get 412.
RACERS = 4


def etag_of(body: Any) -> str:
    """The documented ETag: sha256 of the body's canonical JSON (sorted keys, no spaces), quoted."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return '"' + hashlib.sha256(canonical.encode()).hexdigest() + '"'


def csv_cell(value: Any) -> str:
    """A JSON value as the documented CSV field: null empty, booleans and nested values as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def _cursor(data: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _key_order(run: _Run, resource: Resource) -> dict[str, Any]:
    sort = run.key_sort(resource)
    return {"sort": sort} if sort else {}


def _write(
    run: _Run, method: str, path: str, body: Any = None, headers: Mapping[str, str] | None = None
) -> httpx.Response:
    return run.call(method, path, body=body, key=run.write_key, headers=headers)


def _relations(run: _Run, resource: Resource) -> list[Any]:
    return [r for r in resource.relationships if r.kind == "many_to_one" and r.target in run.resources]


# -- ETag and conditional reads ---------------------------------------------------------------------


def etags(run: _Run, resource: Resource) -> None:
    """GET item answers the strong ETag of its body; If-None-Match -> 304, a failing If-Match -> 412."""
    keys = suite.item_key(resource)
    rows = run.sample(resource)
    if not keys or not rows:
        run.skip("ETag", "no item route" if not keys else "no rows to read")
        return
    path = run.item_path(resource, rows[0])
    response = run.get(path)
    if not run.expect(f"GET {path}", response, 200):
        return
    tag = response.headers.get("etag")
    expected = etag_of(response.json())
    if not run.check("GET item: ETag is the sha256 of its canonical JSON", tag == expected, expected, tag):
        return
    again = run.get(path)
    run.check(
        "GET item again: the same ETag", again.headers.get("etag") == tag, tag, again.headers.get("etag")
    )
    for label, header in (
        ("its ETag", tag),
        ("*", "*"),
        ("a list naming it", f"{STALE}, {tag}"),
        ("its weak form (weak comparison)", f"W/{tag}"),
    ):
        got = run.call("GET", path, headers={"If-None-Match": header})
        run.check(
            f"If-None-Match: {label} -> 304 with the ETag and no body",
            (got.status_code, got.headers.get("etag"), got.content) == (304, tag, b""),
            f"304, ETag {tag}, no body",
            f"{got.status_code}, ETag {got.headers.get('etag')}, {got.text[:80]!r}",
            response=got,
        )
    head = run.call("HEAD", path, headers={"If-None-Match": tag})
    run.check(
        "HEAD with If-None-Match: its ETag -> 304",
        head.status_code == 304,
        304,
        head.status_code,
        response=head,
    )
    other = run.call("GET", path, headers={"If-None-Match": STALE})
    if run.expect("If-None-Match: another ETag -> 200", other, 200):
        run.check(
            "If-None-Match: another ETag answers the item",
            other.json() == response.json(),
            "the item",
            other.text,
        )
    for label, header in (("another ETag", STALE), ("its weak form (strong comparison)", f"W/{tag}")):
        run.expect(
            f"GET with If-Match: {label} -> 412", run.call("GET", path, headers={"If-Match": header}), 412
        )
    run.expect("GET with If-Match: its ETag -> 200", run.call("GET", path, headers={"If-Match": tag}), 200)
    first = suite.readable(resource)[0].name
    picked = run.get(path, {"fields": first})
    if run.expect(f"GET item?fields={first}", picked, 200):
        run.check(
            "GET item?fields=: the ETag of the body it answers",
            picked.headers.get("etag") == etag_of(picked.json()),
            etag_of(picked.json()),
            picked.headers.get("etag"),
        )
    missing = run.item_path(resource, {f.name: suite.absent(f) for f in keys})
    for header in ("If-None-Match", "If-Match"):
        run.expect(
            f"GET an absent item with {header}: * -> 404",
            run.call("GET", missing, headers={header: "*"}),
            404,
        )


# -- ETag and conditional writes --------------------------------------------------------------------


def preconditions(run: _Run, resource: Resource, path: str, created: httpx.Response) -> None:
    """Writes answer the new ETag; a stale If-Match (the ETag before a change) is a 412, nothing written."""
    with contextlib.suppress(ValueError):  # a body that is not JSON fails its own check
        run.check(
            "POST answers the ETag of the stored row",
            created.headers.get("etag") == etag_of(created.json()),
            etag_of(created.json()),
            created.headers.get("etag"),
        )
    current = run.get(path)
    if not run.expect("GET before the conditional writes", current, 200):
        return
    tag, row = current.headers.get("etag"), current.json()
    if tag is None:
        run.check("GET item answers an ETag", False, "an ETag", "none")
        return
    stale = created.headers.get("etag")
    change = run.change_field(resource, row)
    patch = {change.name: run.changed_value(resource, change, row.get(change.name))} if change else {}
    if change is not None:
        patched = _write(run, "PATCH", path, patch, {"If-Match": tag})
        if patched.status_code == 409:
            run.skip("PATCH with If-Match", f"the database refused {patch} with 409 (a CHECK?)")
        elif run.expect("PATCH with If-Match: the current ETag -> 200", patched, 200):
            new = patched.headers.get("etag")
            run.check(
                "PATCH answers the ETag of the stored row",
                new == etag_of(patched.json()),
                etag_of(patched.json()),
                new,
            )
            stale, tag, row = tag, new or tag, patched.json()
    label = "a stale If-Match (the ETag before the last change)"
    if stale is None or stale == tag:
        stale, label = STALE, "an If-Match the item never had"
    put = run.put_body(resource, row, row)
    for method, body in (("PATCH", patch), ("PUT", put), ("DELETE", None)):
        run.expect(f"{method} with {label} -> 412", _write(run, method, path, body, {"If-Match": stale}), 412)
    run.expect(
        "PATCH with If-Match: the weak form of its ETag -> 412 (strong comparison)",
        _write(run, "PATCH", path, patch, {"If-Match": f"W/{tag}"}),
        412,
    )
    run.expect(
        "PATCH with If-None-Match: * -> 412", _write(run, "PATCH", path, patch, {"If-None-Match": "*"}), 412
    )
    after = run.get(path)
    run.check(
        "the refused conditional writes changed nothing (same body, same ETag)",
        after.status_code == 200 and after.json() == row and after.headers.get("etag") == tag,
        f"{row} with {tag}",
        f"{after.text} with {after.headers.get('etag')}",
    )
    for label, headers in (
        ("If-Match: *", {"If-Match": "*"}),
        ("If-None-Match: another ETag", {"If-None-Match": STALE}),
    ):
        same = _write(run, "PATCH", path, {}, headers)
        if run.expect(f"an empty PATCH with {label} -> 200", same, 200):
            run.check(
                f"an empty PATCH with {label} keeps the ETag",
                same.headers.get("etag") == tag,
                tag,
                same.headers.get("etag"),
            )
    if change is not None:
        race(run, path, change, row, tag)


def race(run: _Run, path: str, change: Field, row: Mapping[str, Any], tag: str) -> None:
    """PATCHes sent at once with the same If-Match: exactly one is applied, the others get 412."""
    if change.type in suite.INTEGERS and row.get(change.name) is not None:
        values: list[Any] = [int(row[change.name]) + 1 + i for i in range(RACERS)]
    elif change.type in (suite.T.STRING, suite.T.TEXT):
        values = [suite._token(change, f"r{i}") for i in range(RACERS)]
    else:
        run.skip("concurrent PATCHes with one If-Match", f"{change.name} is not a text or integer field")
        return
    start, codes = threading.Barrier(RACERS), []
    headers = {"If-Match": tag, **({"X-API-Key": run.write_key} if run.write_key else {})}

    def patch(value: Any) -> None:
        with httpx.Client(base_url=run.base_url, timeout=60) as client:
            start.wait(timeout=30)
            codes.append(client.patch(path, json={change.name: value}, headers=headers).status_code)

    threads = [threading.Thread(target=patch, args=(value,)) for value in values]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    run.report.requests += RACERS
    if 409 in codes:
        run.skip("concurrent PATCHes with one If-Match", f"the database refused a value with 409: {codes}")
        return
    run.check(
        f"{RACERS} concurrent PATCHes with the same If-Match: one 200, the rest 412 (no lost update)",
        sorted(codes) == [200] + [412] * (RACERS - 1),
        [200] + [412] * (RACERS - 1),
        sorted(codes),
    )


def absent_preconditions(run: _Run, path: str) -> None:
    """A conditional write to an absent item is a 404, not a 412."""
    run.expect(
        "DELETE an absent item with If-Match: * -> 404",
        _write(run, "DELETE", path, None, {"If-Match": "*"}),
        404,
    )
    run.expect(
        "PATCH an absent item with If-Match -> 404", _write(run, "PATCH", path, {}, {"If-Match": STALE}), 404
    )


# -- keyset paging ----------------------------------------------------------------------------------


def _walk(
    run: _Run, resource: Resource, params: Mapping[str, Any], size: int, label: str, pages: int = MAX_PAGES
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]] | None:
    """Items and page bodies of up to `pages` pages of `size`, each asked for with the last one's cursor."""
    items: list[dict[str, Any]] = []
    bodies: list[dict[str, Any]] = []
    cursor: str | None = ""
    while cursor is not None and len(bodies) < pages:
        body = run.page(resource, {**params, "limit": size, "cursor": cursor}, label)
        if body is None or not run.check(
            f"{label}: the page has next_cursor", "next_cursor" in body, "next_cursor", sorted(body)
        ):
            return None
        items += body["items"]
        bodies.append(body)
        cursor = body["next_cursor"]
    if cursor is not None and pages == MAX_PAGES:
        run.check(f"{label}: the walk ends", False, f"at most {MAX_PAGES} pages", "more")
        return None
    return items, bodies


def _walk_equals(run: _Run, resource: Resource, params: dict[str, Any], size: int, label: str) -> None:
    """Walking every page with the cursor gives the rows of one offset page, in the same order."""
    whole = run.page(resource, {**params, "limit": 1000}, f"{label}: one page")
    walked = _walk(run, resource, params, size, label)
    if whole is None or walked is None or whole["total"] > 1000:
        return
    items, bodies = walked
    run.check(
        f"{label}: pages of {size} concatenate to the whole list",
        items == whole["items"],
        [run.key_of(resource, i) for i in whole["items"]],
        [run.key_of(resource, i) for i in items],
    )
    run.check(
        f"{label}: every page counts every matching row (total)",
        all(b["total"] == whole["total"] for b in bodies),
        whole["total"],
        sorted({b["total"] for b in bodies}),
    )


def _bounded(run: _Run, resource: Resource, f: Field) -> dict[str, Any] | None:
    """A filter to a few sample rows, with and without a value of `f` (single-field keys only)."""
    keys = suite.item_key(resource)
    if len(keys) != 1:
        return None
    rows = run.sample(resource)
    nulls = [r for r in rows if r.get(f.name) is None][:4]
    values = [r for r in rows if r.get(f.name) is not None][:8]
    chosen = [suite.query_value(r[keys[0].name]) for r in nulls + values]
    if not chosen or any("," in value for value in chosen):
        return None
    return {f"{keys[0].name}__in": ",".join(chosen)}


def _prefix_equals(
    run: _Run, resource: Resource, params: dict[str, Any], label: str
) -> list[dict[str, Any]] | None:
    """Three cursor pages of 4 are the first 12 rows of the offset page of the same order."""
    whole = run.page(resource, {**params, "limit": 12}, f"{label}: the first 12 rows by offset")
    walked = _walk(run, resource, params, 4, label, pages=3)
    if whole is None or walked is None:
        return None
    items, bodies = walked
    run.check(
        f"{label}: cursor pages of 4 are the offset page of 12, in order",
        items == whole["items"][: len(items)] and len(items) == len(whole["items"]),
        [run.key_of(resource, i) for i in whole["items"]],
        [run.key_of(resource, i) for i in items],
    )
    run.check(
        f"{label}: cursor pages echo limit, offset 0 and the total",
        all((b["limit"], b["offset"], b["total"]) == (4, 0, whole["total"]) for b in bodies),
        (4, 0, whole["total"]),
        [(b["limit"], b["offset"], b["total"]) for b in bodies],
    )
    last = bodies[-1]["next_cursor"]
    run.check(
        f"{label}: next_cursor is null on the last page only",
        (last is None) == (whole["total"] <= 12),
        "null" if whole["total"] <= 12 else "a cursor",
        last,
    )
    return bodies


def cursors(run: _Run, resource: Resource) -> None:
    """Cursor pages equal offset pages of the same order, NULLs and filters included; bad cursors are 422."""
    keys = suite.item_key(resource)
    if not keys:
        run.expect("cursor paging without a key -> 422", run.get(resource.path, {"cursor": ""}), 422)
        return
    bodies = _prefix_equals(run, resource, {}, "cursor, default order")
    if bodies is None:
        return
    backwards = ",".join("-" + f.name for f in keys)
    _prefix_equals(run, resource, {"sort": backwards}, f"cursor, sort={backwards}")
    sortable = [f for f in suite.readable(resource) if f.type in suite.ORDERED and f not in keys]
    sortable.sort(key=lambda f: (not f.nullable, f.type in suite.TEXTUAL))
    for f in sortable[: 1 if resource.name in run.slow else 2]:
        bounded = _bounded(run, resource, f)
        if bounded is None:  # a composite key, or key values with commas: the first rows only
            _prefix_equals(run, resource, {"sort": f.name}, f"cursor, sort={f.name}")
            continue
        for sort in (f.name, "-" + f.name):
            _walk_equals(
                run, resource, {**bounded, "sort": sort}, 2, f"cursor, sort={sort}, {len(bounded)} filter"
            )
        _walk_equals(
            run, resource, {**bounded, "sort": f.name, "fields": f.name}, 2, f"cursor, sort={f.name}, fields"
        )
    cursor_errors(run, resource, bodies[0]["next_cursor"])


def cursor_errors(run: _Run, resource: Resource, cursor: str | None) -> None:
    """Cursors this API did not make, or made for another sort, and cursor with offset: 422."""
    keys = suite.item_key(resource)
    bad = {
        "a cursor that is not one": "not-a-cursor-cg",
        "a cursor with values of the wrong type": _cursor({"sort": [], "after": [[] for _ in keys]}),
        "a cursor with too few values": _cursor({"sort": [], "after": []}),
        "a cursor naming an unknown sort field": _cursor({"sort": ["no_such_field_cg"], "after": None}),
    }
    for label, value in bad.items():
        run.expect(f"{label} -> 422", run.get(resource.path, {"cursor": value}), 422)
    run.expect("cursor with offset -> 422", run.get(resource.path, {"cursor": "", "offset": 0}), 422)
    if cursor is not None:
        other = ",".join("-" + f.name for f in keys)
        run.expect(
            "a cursor sent with another sort -> 422",
            run.get(resource.path, {"cursor": cursor, "sort": other}),
            422,
        )


# -- fields -------------------------------------------------------------------------------------------


def fields(run: _Run, resource: Resource) -> None:
    """`fields` answers exactly the fields named, in the order named, on lists and items."""
    names = [f.name for f in suite.readable(resource)]
    chosen = names[::-1][:3]
    params = {**_key_order(run, resource), "limit": 5}
    full = run.page(resource, params, "fields: the page without fields")
    picked = run.page(resource, {**params, "fields": ",".join(chosen)}, f"fields={','.join(chosen)}")
    if full is None or picked is None:
        return
    run.check(
        "fields: items hold exactly the fields named, in that order",
        [list(item) for item in picked["items"]] == [chosen] * len(full["items"]),
        chosen,
        [list(item) for item in picked["items"][:2]],
    )
    run.check(
        "fields: the values are those of the full items",
        picked["items"] == [{name: item[name] for name in chosen} for item in full["items"]],
        "the same values",
        picked["items"][:2],
    )
    run.expect(
        "fields naming an unknown field -> 422", run.get(resource.path, {"fields": "no_such_field_cg"}), 422
    )
    run.expect("fields= naming no field -> 422", run.get(resource.path, {"fields": ""}), 422)
    relations = _relations(run, resource)
    if relations:
        name = relations[0].name
        both = run.page(
            resource, {**params, "fields": chosen[0], "expand": name}, f"fields with expand={name}"
        )
        if both is not None:
            run.check(
                "fields with expand: the fields named, then the relation",
                all(list(item) == [chosen[0], name] for item in both["items"]),
                [chosen[0], name],
                [list(item) for item in both["items"][:2]],
            )
    if suite.item_key(resource) and full["items"]:
        path = run.item_path(resource, full["items"][0])
        item = run.get(path, {"fields": ",".join(chosen)})
        if run.expect(f"GET {path}?fields=", item, 200):
            run.check(
                "GET item?fields=: the fields named, in that order",
                list(item.json().items()) == [(name, full["items"][0][name]) for name in chosen],
                chosen,
                item.text,
            )


# -- CSV and Accept -------------------------------------------------------------------------------------


def csv_pages(run: _Run, resource: Resource) -> None:
    """`Accept: text/csv` answers the JSON page as RFC 4180 CSV; an unacceptable Accept is a 406."""
    names = [f.name for f in suite.readable(resource)]
    params = {**_key_order(run, resource), "limit": 20}
    page = run.page(resource, params, "csv: the JSON page")
    if page is None:
        return
    response = run.call("GET", resource.path, params, headers={"Accept": "text/csv"})
    kind = response.headers.get("content-type")
    if not run.check(
        "Accept: text/csv -> 200 text/csv",
        (response.status_code, kind) == (200, CSV),
        (200, CSV),
        (response.status_code, kind),
        response=response,
    ):
        return
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8"), newline="")))
    rows = [[csv_cell(item[name]) for name in names] for item in page["items"]]
    run.check("CSV: a header row of the field names", table[:1] == [names], names, table[:1])
    run.check(
        "CSV: one row per item, values as JSON writes them, null empty",
        table[1:] == rows,
        rows[:2],
        table[1:3],
    )
    run.check(
        "CSV: records end with CRLF (RFC 4180)",
        response.content.endswith(b"\r\n") and response.content.count(b"\r\n") >= len(rows) + 1,
        "CRLF line ends",
        repr(response.content[-20:]),
    )
    run.check(
        "CSV: X-Total-Count is the JSON total",
        response.headers.get("x-total-count") == str(page["total"]),
        page["total"],
        response.headers.get("x-total-count"),
    )
    run.check(
        "CSV: Vary: Accept", response.headers.get("vary") == "Accept", "Accept", response.headers.get("vary")
    )
    chosen = names[::-1][:2]
    picked = run.call(
        "GET", resource.path, {**params, "fields": ",".join(chosen)}, headers={"Accept": "text/csv"}
    )
    if run.check(
        "CSV with fields -> 200", picked.status_code == 200, 200, picked.status_code, response=picked
    ):
        header = next(csv.reader(io.StringIO(picked.content.decode("utf-8"), newline="")), [])
        run.check("CSV with fields: the header names them, in order", header == chosen, chosen, header)
    negotiation(run, resource, params)


def negotiation(run: _Run, resource: Resource, params: dict[str, Any]) -> None:
    """Accept picks JSON or CSV by weight, then the exact match; no acceptable type is a 406."""
    for accept, answer in (
        ("*/*", "application/json"),
        ("text/*", CSV),
        ("application/json;q=0.5, text/csv", CSV),
        ("text/csv;q=0.5, application/json", "application/json"),
        ("text/csv, */*", CSV),
        ("text/csv;q=0, */*", "application/json"),
    ):
        got = run.call("GET", resource.path, {**params, "limit": 1}, headers={"Accept": accept})
        kind = got.headers.get("content-type")
        run.check(
            f"Accept: {accept} -> {answer}",
            (got.status_code, kind) == (200, answer),
            answer,
            (got.status_code, kind),
            response=got,
        )
    run.expect(
        "Accept: application/xml -> 406",
        run.call("GET", resource.path, headers={"Accept": "application/xml"}),
        406,
    )
    relations = _relations(run, resource)
    if relations:
        expand = {"expand": relations[0].name, "limit": 1}
        run.expect(
            "Accept: text/csv with expand -> 406",
            run.call("GET", resource.path, expand, headers={"Accept": "text/csv"}),
            406,
        )
        fallback = run.call(
            "GET", resource.path, expand, headers={"Accept": "text/csv, application/json;q=0.1"}
        )
        run.expect("Accept: text/csv, application/json;q=0.1 with expand -> JSON", fallback, 200)
    rows = run.sample(resource)
    if suite.item_key(resource) and rows:
        path = run.item_path(resource, rows[0])
        run.expect(
            "Accept: text/csv on an item -> 406", run.call("GET", path, headers={"Accept": "text/csv"}), 406
        )


# -- bulk create ----------------------------------------------------------------------------------------


def _unique_groups(resource: Resource) -> list[list[str]]:
    groups = [] if any(f.generated for f in resource.key_fields) else [list(resource.primary_key)]
    return groups + [list(u.fields) for u in resource.unique_keys if list(u.fields) != resource.primary_key]


def bulk(run: _Run, resource: Resource, body: dict[str, Any]) -> None:
    """A JSON array creates every row or none: a bad row is named by its index, nothing is written."""
    count = run.db_count(resource)
    bad = _write(run, "POST", resource.path, [body, {**body, "no_such_field_cg": 1}])
    if run.expect("POST an array with a bad row at index 1 -> 422", bad, 422):
        locs = [e.get("loc", [])[:2] for e in bad.json().get("errors", [])]
        run.check(
            "the 422 names the row: errors at [body, 1, ...]",
            locs and all(loc == ["body", 1] for loc in locs),
            ["body", 1],
            locs,
        )
    run.expect("POST an empty array -> 422", _write(run, "POST", resource.path, []), 422)
    run.expect("POST an array of 1001 rows -> 413", _write(run, "POST", resource.path, [{}] * 1001), 413)
    if count is not None:
        run.check(
            "refused arrays wrote nothing", run.db_count(resource) == count, count, run.db_count(resource)
        )
    unique = bool(_unique_groups(resource))
    if unique:
        twice = _write(run, "POST", resource.path, [body, body])
        if run.expect("POST an array whose row 1 repeats row 0's key -> 409", twice, 409):
            errors = twice.json().get("errors") or [{}]
            run.check(
                "the 409 names the row: errors at [body, 1]",
                errors[0].get("loc") == ["body", 1],
                ["body", 1],
                errors,
            )
        if count is not None:
            run.check(
                "the 409 wrote nothing, not even row 0",
                run.db_count(resource) == count,
                count,
                run.db_count(resource),
            )
    rows = [body] if unique else [body, body]
    response = _write(run, "POST", resource.path, rows)
    created = response.json() if response.status_code == 201 else []
    run.created += [(resource, item) for item in created if isinstance(item, dict)]
    if not run.expect(f"POST an array of {len(rows)} -> 201", response, 201):
        return
    run.check(
        "201 answers one stored row per row sent",
        isinstance(created, list) and len(created) == len(rows),
        len(rows),
        created,
    )
    for item in created:
        got = run.get(run.item_path(resource, item))
        run.check(
            "each created row is what GET answers",
            got.status_code == 200 and got.json() == item,
            item,
            got.text,
        )
    if count is not None:
        run.check(
            "the array's rows are in the database",
            run.db_count(resource) == count + len(rows),
            count + len(rows),
            run.db_count(resource),
        )
