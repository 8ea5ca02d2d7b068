"""/docs in a real browser with no network (issue 14): Swagger UI from the project's own assets.

For the Chinook database and the petstore description, in both targets: generate, install, serve,
then Debian's Chromium, headless and driven by Playwright, opens /docs with every request to another
origin aborted and counted. The page must need none of those, report no Content-Security-Policy
violation and no script error, render every operation of the project's /openapi.json, run a list
operation ("Try it out", "Execute": 200) and, after "Authorize" with the write key, a create (201). A
full-page screenshot is saved under the test's tmp_path and its path printed.

A description that declares no security scheme (petstore) gives the page no "Authorize" button: its
create then answers what the project answers a request without a key, 401.

Needs /usr/bin/chromium (Debian's `chromium`; `make test` installs it) and the `playwright` package
of the test extra, never a browser of Playwright's own (`playwright install` is not used). Without
either, the test skips loudly; under CI (CI=true) it fails instead.
"""

from __future__ import annotations

import json
import shutil
import struct
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import harness
import httpx
import pytest
from conftest import DatabaseUrl, in_ci
from corpus import corpus_file

from codegen import api

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Every securitypolicyviolation event of the page, kept where the test can read it.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => window.cspViolations.push({
  directive: event.effectiveDirective, blocked: event.blockedURI, source: event.sourceFile,
  line: event.lineNumber, sample: event.sample,
}));
"""
VIEWPORT = {"width": 1280, "height": 900}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Case:
    """What the page is asked to do for one source: list, then create with this body."""

    listing: tuple[str, str]
    create: tuple[str, str]
    body: dict[str, Any]


CASES = {
    "chinook": Case(("GET", "/album"), ("POST", "/artist"), {"name": "Written through /docs"}),
    "petstore": Case(("GET", "/pets"), ("POST", "/pets"), {"id": 9001, "name": "Rex", "tag": "dog"}),
}


def _require_browser() -> Any:
    """Playwright's sync API, once Debian's Chromium and the package are there; else skip (CI: fail)."""
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} IS MISSING !!! Install it: apt-get install -y chromium (make test does)"
    try:
        from playwright import sync_api
    except ImportError:
        problem = problem or 'playwright IS NOT INSTALLED !!! Install it: pip install -e ".[test]"'
        sync_api = None
    if problem is not None:
        message = f"!!! /docs BROWSER TEST CANNOT RUN: {problem}"
        if in_ci():
            pytest.fail(message + " (CI is set: this test must run, never skip)", pytrace=False)
        pytest.skip(message)
    return sync_api


def _source(kind: str, database_url: DatabaseUrl, tmp_path: Path) -> tuple[str, str]:
    """The source to generate from and the DATABASE_URL to serve (a copy: the page writes to it)."""
    if kind == "petstore":
        source = str(corpus_file("openapi/oai-examples/petstore.yaml"))
        return source, f"sqlite:///{tmp_path / 'petstore.db'}"
    source = database_url("chinook", "sqlite")
    served = tmp_path / "chinook.sqlite"
    shutil.copyfile(source.removeprefix("sqlite:///"), served)
    return source, f"sqlite:///{served}"


def _operations(document: dict[str, Any]) -> Counter[tuple[str, str]]:
    """(METHOD, path) of each operation, as often as Swagger UI shows it (once under each tag)."""
    found: Counter[tuple[str, str]] = Counter()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                found[(method.upper(), path)] += max(1, len(operation.get("tags") or ()))
    return found


def _rendered(page: Any) -> Counter[tuple[str, str]]:
    """(METHOD, path) of each operation block on the page."""
    pairs = page.evaluate(
        """[...document.querySelectorAll(".opblock")].map((block) => [
            block.querySelector(".opblock-summary-method").textContent.trim().toUpperCase(),
            block.querySelector(".opblock-summary-path").dataset.path])"""
    )
    return Counter((method, path) for method, path in pairs)


def _block(page: Any, operation: tuple[str, str]) -> Any:
    """The one operation block of (METHOD, path), opened, with "Try it out" pressed."""
    method, path = operation
    block = page.locator(f".opblock.opblock-{method.lower()}").filter(
        has=page.locator(f'.opblock-summary-path[data-path="{path}"]')
    )
    assert block.count() == 1, f"{method} {path}: {block.count()} operation blocks on the page"
    block.locator(".opblock-summary").click()
    block.locator(".try-out__btn").click()
    return block


def _execute(sync_api: Any, block: Any, expected: int) -> None:
    """Press "Execute" and wait for the page to show the answer's status."""
    block.locator("button.execute").click()
    status = block.locator(".live-responses-table tr.response .response-col_status")
    sync_api.expect(status).to_have_text(str(expected), timeout=15_000)


def _authorize(sync_api: Any, page: Any, key: str) -> None:
    """"Authorize" with the API key, then close the dialog."""
    page.locator(".auth-wrapper button.authorize").click()
    dialog = page.locator(".modal-ux")
    dialog.locator("input").first.fill(key)
    dialog.locator("button.authorize").click()
    sync_api.expect(dialog.locator("button", has_text="Logout")).to_be_visible()
    dialog.locator("button.btn-done").click()


def _png_size(path: Path) -> tuple[int, int]:
    """Width and height of a PNG file (its IHDR chunk), after checking the signature."""
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


def _browse(
    sync_api: Any, url: str, document: dict[str, Any], case: Case, key: str, profile: Path, shot: Path
) -> dict[str, Any]:
    """Drive /docs in Chromium; what it saw: foreign requests, violations, errors, sent headers."""
    origin = urlsplit(url)[:2]
    seen: dict[str, Any] = {"foreign": [], "console": [], "errors": [], "create_headers": []}

    def only_own_origin(route: Any) -> None:
        if urlsplit(route.request.url)[:2] == origin:
            route.continue_()
        else:
            seen["foreign"].append(route.request.url)
            route.abort()

    def on_request(request: Any) -> None:
        if request.method == case.create[0] and urlsplit(request.url).path.endswith(case.create[1]):
            seen["create_headers"].append(request.headers)

    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, viewport=VIEWPORT
        )
        try:
            context.route("**/*", only_own_origin)
            context.add_init_script(RECORD_VIOLATIONS)
            page = context.pages[0] if context.pages else context.new_page()
            page.on("console", lambda message: seen["console"].append(f"{message.type}: {message.text}"))
            page.on("pageerror", lambda error: seen["errors"].append(str(error)))
            page.on("request", on_request)
            page.goto(url + "/docs")
            expected = _operations(document)
            page.wait_for_function(
                "count => document.querySelectorAll('.opblock').length >= count", arg=sum(expected.values())
            )
            seen["expected"], seen["rendered"] = expected, _rendered(page)
            _execute(sync_api, _block(page, case.listing), 200)
            secured = bool(document.get("components", {}).get("securitySchemes"))
            seen["authorize_buttons"] = page.locator(".auth-wrapper button.authorize").count()
            if secured:
                _authorize(sync_api, page, key)
            block = _block(page, case.create)
            block.locator("textarea.body-param__text").fill(json.dumps(case.body))
            _execute(sync_api, block, 201 if secured else 401)
            seen["secured"] = secured
            seen["violations"] = page.evaluate("window.cspViolations")
            page.screenshot(path=str(shot), full_page=True)
        finally:
            context.close()
    return seen


@pytest.mark.slow
@pytest.mark.parametrize("target", api.TARGETS)
@pytest.mark.parametrize("kind", sorted(CASES))
def test_docs_work_offline_in_a_browser(
    kind: str, target: str, database_url: DatabaseUrl, tmp_path: Path
) -> None:
    """Every operation rendered, a list and a create run through the page, nothing but its own origin."""
    sync_api = _require_browser()
    source, served = _source(kind, database_url, tmp_path)
    project = tmp_path / "project"
    api.generate(source, project, target=target)
    python = harness.install_project(project, label=f"docs {kind} ({target})")
    write, _read, api_keys = harness.api_keys()
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    shot = tmp_path / f"docs-{kind}-{target}.png"
    with harness.serve(python, project, {"DATABASE_URL": served, "API_KEYS": api_keys}) as url:
        document = httpx.get(url + "/openapi.json", timeout=30).json()
        with harness.timed(f"docs {kind} ({target}): browser"):
            seen = _browse(sync_api, url, document, CASES[kind], write, profile, shot)
    width, height = _png_size(shot)
    rendered = sum(seen["rendered"].values())
    print(f"/docs of {kind} ({target}): {rendered} operations rendered; screenshot {shot}")
    assert seen["foreign"] == [], f"the page asked for other origins: {seen['foreign']}"
    assert seen["violations"] == [], f"Content-Security-Policy violations: {seen['violations']}"
    policy_messages = [text for text in seen["console"] if "Content Security Policy" in text]
    assert policy_messages == [], policy_messages
    assert seen["errors"] == [], f"script errors on the page: {seen['errors']}"
    assert seen["rendered"] == seen["expected"], (
        f"rendered {sorted(seen['rendered'].items())}, the document has {sorted(seen['expected'].items())}"
    )
    sent_keys = [headers.get("x-api-key") for headers in seen["create_headers"]]
    if seen["secured"]:
        assert sent_keys == [write], f"the create should carry the write key once, sent: {sent_keys}"
    else:
        assert seen["authorize_buttons"] == 0 and sent_keys == [None], (seen["authorize_buttons"], sent_keys)
    assert width == VIEWPORT["width"] and height >= VIEWPORT["height"], (width, height)
    assert shot.stat().st_size > 20_000, f"{shot} is only {shot.stat().st_size} bytes"
