"""`make test`'s `--dist loadgroup` keeps an `xdist_group` on one worker (tests/conftest.py's hook).

Without it (pytest-xdist 3.8 under pytest 9) each group was spread over both workers, and a module-scoped
fixture built once per worker: the large case's projects, the operability servers, twice each. A small
suite run in two workers shows whether a group's fixture is built once.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).parent

CONFTEST = f"""
import importlib.util
import sys

sys.path.insert(0, {str(TESTS)!r})
_spec = importlib.util.spec_from_file_location("suite_conftest", {str(TESTS / "conftest.py")!r})
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)
pytest_collection_modifyitems = _module.pytest_collection_modifyitems
"""

GROUPED = """
import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.xdist_group("expensive")


@pytest.fixture(scope="module", params=[pytest.param("server", marks=pytest.mark.slow)])
def database(request):
    return request.param


@pytest.fixture(scope="module")
def built(database, tmp_path_factory):
    # One file a build, named by the worker process that built it.
    Path(os.environ["BUILDS"], str(os.getpid())).touch()
    return database


def test_quick(database):
    pass


@pytest.mark.slow
def test_uses_it(built):
    pass


@pytest.mark.slow
@pytest.mark.parametrize("target", ["fastapi", "flask"])
def test_uses_it_again(built, target):
    pass
"""

# Ungrouped tests beside the group, so that both workers have work.
OTHERS = """
import time

import pytest


@pytest.mark.parametrize("index", range(12))
def test_other(index):
    time.sleep(0.05)
"""


def test_a_group_runs_on_one_worker_and_builds_its_fixture_once(tmp_path: Path) -> None:
    suite, builds = tmp_path / "suite", tmp_path / "builds"
    suite.mkdir()
    builds.mkdir()
    (suite / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    (suite / "test_grouped.py").write_text(GROUPED, encoding="utf-8")
    (suite / "test_others.py").write_text(OTHERS, encoding="utf-8")
    (suite / "pytest.ini").write_text("[pytest]\nmarkers =\n    slow: slow\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-v", "-p", "no:cacheprovider"],
        cwd=suite, env={**_environment(), "BUILDS": str(builds)}, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "16 passed" in done.stdout, done.stdout[-3000:]
    workers = {line.split("]")[0] for line in done.stdout.splitlines() if "PASSED test_grouped.py" in line}
    assert len(workers) == 1, done.stdout[-3000:]
    assert "test_grouped.py::test_uses_it[server]@expensive" in done.stdout
    assert len(list(builds.iterdir())) == 1, "the group's module fixture was built on more than one worker"


def _environment() -> dict[str, str]:
    """This process's environment without pytest's own variables (the suite is a run of its own)."""
    return {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
