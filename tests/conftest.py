"""Shared fixtures: test databases for every dialect (see databases.py) and the --update-goldens option.

A test asks for `chinook_url`, `sakila_url` or `hard_url` and runs once per dialect of `dialect`
(sqlite, postgresql, mariadb), or calls `database_url(kind, dialect)` itself. Every database is built
once per session and dropped at its end. When the PostgreSQL or MariaDB server of this machine is down,
its tests are skipped with a loud reason, except under CI (CI=true), where they fail instead.

`make test` runs the suite in two pytest-xdist workers (`--dist loadgroup`): a module whose tests share
an expensive module-scoped fixture keeps them on one worker with `pytest.mark.xdist_group`. Figures
a test prints with `figures(text)` (timings, counts) reach the terminal live in a plain run; under
xdist, whose workers' output is not shown, they are printed together at the end of the run.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import databases
import pytest

DIALECT_PARAMS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.server),
    pytest.param("mariadb", id="mariadb", marks=pytest.mark.server),
]
SERVER_DIALECT_PARAMS = DIALECT_PARAMS[1:]

DatabaseUrl = Callable[[str, str], str]
# Where xdist workers leave their figures for the controller to print (set by the controller).
FIGURES_DIR = "CODEGEN_TEST_FIGURES"


def pytest_configure(config: pytest.Config) -> None:
    """In the controller of an xdist run, a folder for the workers' figures (they inherit it)."""
    if not hasattr(config, "workerinput") and getattr(config.option, "numprocesses", None):
        os.environ[FIGURES_DIR] = tempfile.mkdtemp(prefix="codegen-figures-")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In an xdist worker under `--dist loadgroup`: each test's id ends in `@<group>` of its
    `xdist_group` mark, which is how the controller keeps a group on one worker.

    pytest-xdist 3.8 does this by setting `item._nodeid`, which pytest 9 no longer reads (an item's
    id is `item._id`, a NodeId), so every group was spread over both workers and its module-scoped
    fixture built on each: the large case's projects (over 3 minutes) twice, among others. Done
    here where xdist's own attempt left the id as it was; tests/test_xdist_groups.py holds it.
    """
    if not hasattr(config, "workerinput") or not config.getoption("loadgroup", False):
        return
    for item in items:
        names = {
            str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
            for mark in item.iter_markers("xdist_group")
        }
        suffix = "@" + "_".join(sorted(names))
        if names and not item.nodeid.endswith(suffix):
            item._id = type(item._id).parse(item.nodeid + suffix)  # type: ignore[attr-defined]


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Print the figures the xdist workers left, in the order the tests finished."""
    folder = os.environ.get(FIGURES_DIR)
    if not folder or hasattr(config, "workerinput") or not Path(folder).is_dir():
        return
    entries = sorted(Path(folder).glob("*.txt"), key=lambda path: path.stat().st_mtime_ns)
    if entries:
        terminalreporter.section("figures the tests printed")
        for entry in entries:
            terminalreporter.write(entry.read_text(encoding="utf-8"))
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def figures(request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]) -> Callable[[str], None]:
    """`figures(text)`: show a test's figures past pytest's capture (see the module docstring)."""
    folder = os.environ.get(FIGURES_DIR)
    counter = iter(range(1_000_000))

    def show(text: str) -> None:
        if folder:
            name = f"{os.getpid()}-{request.node.nodeid}-{next(counter)}"
            safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[-200:]
            Path(folder, f"{safe}.txt").write_text("\n" + text + "\n", encoding="utf-8")
        else:
            with capsys.disabled():
                print("\n" + text, flush=True)

    return show


def pytest_addoption(parser: pytest.Parser) -> None:
    """--update-goldens: rewrite the golden files from the current output instead of comparing."""
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite golden files from the current output instead of comparing against them",
    )


@pytest.fixture(scope="session")
def update_goldens(request: pytest.FixtureRequest) -> bool:
    """True when pytest runs with --update-goldens."""
    return bool(request.config.getoption("--update-goldens"))


def in_ci() -> bool:
    """True when the CI variable is set to anything but an explicit no."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require_server(dialect: str) -> None:
    """Skip (or, under CI, fail) the current test when the dialect's server does not answer."""
    reason = databases.server_available(dialect)
    if reason is None:
        return
    start = databases.START_COMMANDS.get(dialect, "start the server")
    variable = databases.URL_VARIABLES.get(dialect, "")
    message = (
        f"!!! {dialect.upper()} SERVER NOT AVAILABLE: {reason} !!! "
        f"Start it with: {start} -- or point {variable} at one"
    )
    if in_ci():
        pytest.fail(f"{message} (CI is set: server tests must run, never skip)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def database_url() -> Iterator[DatabaseUrl]:
    """`database_url(kind, dialect)`: the URL of a loaded database, built once per session."""
    cache: dict[tuple[str, str], str] = {}
    failed: dict[tuple[str, str], str] = {}

    def get(kind: str, dialect: str) -> str:
        require_server(dialect)
        key = (kind, dialect)
        if key in failed:
            pytest.fail(f"{kind} on {dialect} could not be loaded earlier: {failed[key]}", pytrace=False)
        if key not in cache:
            try:
                cache[key] = databases.LOADERS[kind](dialect)
            except Exception as exc:
                failed[key] = str(exc)
                raise
        return cache[key]

    yield get
    databases.drop_all()


@pytest.fixture(scope="session", params=DIALECT_PARAMS)
def dialect(request: pytest.FixtureRequest) -> str:
    """Each dialect in turn; override with @pytest.mark.parametrize("dialect", [...])."""
    return str(request.param)


@pytest.fixture(scope="session", params=SERVER_DIALECT_PARAMS)
def server_dialect(request: pytest.FixtureRequest) -> str:
    """PostgreSQL, then MariaDB."""
    return str(request.param)


@pytest.fixture
def live_server(server_dialect: str) -> str:
    """The server dialect, once its server answers (skipped, or failed under CI, otherwise)."""
    require_server(server_dialect)
    return server_dialect


@pytest.fixture
def chinook_url(database_url: DatabaseUrl, dialect: str) -> str:
    """Chinook (11 tables, 15,607 rows) in the dialect."""
    return database_url("chinook", dialect)


@pytest.fixture
def sakila_url(database_url: DatabaseUrl, dialect: str) -> str:
    """Sakila (16 tables, 5 views, 47,273 rows) in the dialect."""
    return database_url("sakila", dialect)


@pytest.fixture
def hard_url(database_url: DatabaseUrl, dialect: str) -> str:
    """Our hard schema (tests/fixtures/hard/<dialect>.sql) in the dialect."""
    return database_url("hard", dialect)


@pytest.fixture
def empty_url(database_url: DatabaseUrl, dialect: str) -> str:
    """A database without any table or view."""
    return database_url("empty", dialect)


@pytest.fixture
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of this test's own (CODEGEN_CACHE_DIR), empty at the start."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("CODEGEN_CACHE_DIR", str(folder))
    return folder
