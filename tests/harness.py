"""Run generated projects for real: a shared wheelhouse, one virtual environment per project, the
project's own tests, and its server on a free loopback port.

- `wheelhouse()` holds a wheel of every pinned dependency a generated project declares (its
  dependencies, its `test` extra and its build backend) for both targets and all three dialects, so
  installs need no network. It is built once and kept under `.cache/wheelhouse/<hash of the pin list>/`.
- `install_project(dir)` makes `dir/.venv` and installs the project into it the way its README says
  (`pip install -e ".[test]"`), from the wheelhouse only. uv (kept in its own tool environment under
  `.cache/tools`) does the same install from the same pyproject about five times faster than pip;
  `CODEGEN_E2E_INSTALLER=pip` forces pip.
- `run_project_tests(python, dir, env)` runs `python -m pytest -q` at the project root.
- `serve(python, dir, env)` runs `python -m app` and yields its base URL once `/healthz` answers 200.

Every step's duration is appended to `TIMINGS` as (label, seconds).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import itertools
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import sysconfig
import tempfile
import time
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
from fastapi_document import differences

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("CODEGEN_E2E_CACHE", ROOT / ".cache"))
WHEELHOUSE_ROOT = CACHE / "wheelhouse"
TOOLS = CACHE / "tools"
UV_CACHE = CACHE / "uv"
UV_REQUIREMENT = "uv==0.13.8"
# Probe projects render one pyproject.toml per dialect; "mysql" is the dialect name MariaDB reflects as.
PROBE_DIALECTS = ("sqlite", "postgresql", "mysql")
TARGETS = ("fastapi", "flask")
# The access schemes whose projects pin different packages (jwt adds PyJWT and cryptography).
PROBE_AUTH = ("apikey", "jwt")
# Variables of the calling environment that must not leak into a project's tests or server.
# PYTHONDONTWRITEBYTECODE goes too: a user's shell normally lets Python cache bytecode, and without it
# every test run and server start of a fresh venv compiles fastapi and SQLAlchemy from source again.
SCRUBBED = (
    "DATABASE_URL",
    "TEST_DATABASE_URL",
    "API_KEYS",
    "READ_REQUIRES_KEY",
    "READ_REQUIRES_AUTH",
    "JWT_SECRET",
    "JWT_PUBLIC_KEY",
    "JWT_JWKS_URL",
    "JWT_ALGORITHMS",
    "JWT_AUDIENCE",
    "JWT_ISSUER",
    "RATE_LIMIT",
    "TRUST_PROXY",
    "MAX_BODY_BYTES",
    "STATEMENT_TIMEOUT_SECONDS",
    "CORS_ORIGINS",
    "HOST",
    "PORT",
    "WORKERS",
    "POOL_SIZE",
    "VIRTUAL_ENV",
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTEST_ADDOPTS",
    "PYTEST_PLUGINS",
    "PYTHONDONTWRITEBYTECODE",
)

TIMINGS: list[tuple[str, float]] = []


class HarnessError(RuntimeError):
    """A generated project could not be installed, tested or served."""


@contextlib.contextmanager
def timed(label: str) -> Iterator[None]:
    """Append (label, seconds) to TIMINGS when the block ends, whether or not it raised."""
    start = time.perf_counter()
    try:
        yield
    finally:
        TIMINGS.append((label, time.perf_counter() - start))


def timing_table(timings: Iterable[tuple[str, float]] | None = None) -> str:
    """TIMINGS (or the given pairs) as aligned lines, for printing at the end of a run."""
    rows = list(TIMINGS if timings is None else timings)
    width = max((len(label) for label, _ in rows), default=0)
    return "\n".join(f"{label:<{width}}  {seconds:7.2f} s" for label, seconds in rows)


# -- requirements -------------------------------------------------------------------------------------


def project_requirements(project_dir: Path, extras: tuple[str, ...] = ("test",)) -> list[str]:
    """Every requirement of a generated project: dependencies, the `extras`, build-system requires."""
    data = tomllib.loads((Path(project_dir) / "pyproject.toml").read_text(encoding="utf-8"))
    project = data.get("project", {})
    found = list(project.get("dependencies", []))
    for extra in extras:
        found += project.get("optional-dependencies", {}).get(extra, [])
    found += data.get("build-system", {}).get("requires", [])
    return sorted(dict.fromkeys(found))


@functools.cache
def probe_requirements() -> tuple[str, ...]:
    """The requirements of projects generated now, for every target, dialect and auth (one-table probe).

    Rendering, not copying the template, keeps this in step with whatever the generator pins today.
    """
    from codegen.api import generate_files, reflect

    with tempfile.TemporaryDirectory(prefix="cg_probe_") as tmp:
        path = Path(tmp) / "probe.sqlite"
        with contextlib.closing(sqlite3.connect(path)) as conn:
            conn.execute("CREATE TABLE probe (id INTEGER PRIMARY KEY, name VARCHAR(10))")
            conn.commit()
        spec = reflect(f"sqlite:///{path}")
    found: list[str] = []
    for target, dialect, auth in itertools.product(TARGETS, PROBE_DIALECTS, PROBE_AUTH):
        source = spec.source.model_copy(update={"dialect": dialect})
        files = generate_files(spec.model_copy(update={"source": source}), target, {"auth": auth})
        with tempfile.TemporaryDirectory(prefix="cg_probe_") as tmp:
            (Path(tmp) / "pyproject.toml").write_text(files["pyproject.toml"], encoding="utf-8")
            found += project_requirements(Path(tmp))
    names = {_name(requirement) for requirement in found}
    # The three dialects' drivers, even if a future template stops pinning one of them.
    found += [driver for driver in ("psycopg[binary]", "pymysql") if _name(driver) not in names]
    return tuple(sorted(dict.fromkeys(found)))


def _name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return re.sub(r"[-_.]+", "-", match.group(1)).lower() if match else requirement


def _interpreter_tag() -> str:
    return f"cp{sys.version_info.major}{sys.version_info.minor}-{sysconfig.get_platform()}"


# -- the wheelhouse -------------------------------------------------------------------------------------


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def wheelhouse(extra: Iterable[str] = ()) -> Path:
    """A directory of wheels for every pinned requirement of a generated project (plus `extra`).

    Keyed by a hash of the requirement list and the interpreter, so a new pin builds a new one and an
    unchanged list reuses the one on disk (`COMPLETE` marks a finished build).
    """
    requirements = sorted(set(probe_requirements()) | set(extra))
    listing = "\n".join(requirements) + "\n"
    key = hashlib.sha256((_interpreter_tag() + "\n" + listing).encode()).hexdigest()[:16]
    target = WHEELHOUSE_ROOT / key
    if (target / "COMPLETE").exists():
        return target
    with _locked(WHEELHOUSE_ROOT / f".{key}.lock"):
        if (target / "COMPLETE").exists():
            return target
        with timed("wheelhouse: build"):
            building = WHEELHOUSE_ROOT / f".{key}.building"
            shutil.rmtree(building, ignore_errors=True)
            building.mkdir(parents=True)
            (building / "requirements.txt").write_text(listing, encoding="utf-8")
            command = [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--quiet",
                "--disable-pip-version-check",
                "--wheel-dir",
                str(building),
                "--requirement",
                str(building / "requirements.txt"),
            ]
            done = subprocess.run(command, capture_output=True, text=True, timeout=900)
            if done.returncode != 0:
                raise HarnessError(f"pip wheel failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
            (building / "COMPLETE").write_text(listing, encoding="utf-8")
            shutil.rmtree(target, ignore_errors=True)
            building.rename(target)
    return target


# -- installing a project -------------------------------------------------------------------------------


def _base_python() -> str:
    """The interpreter virtual environments are made from (the one under this test run's own venv)."""
    return getattr(sys, "_base_executable", None) or sys.executable


def uv() -> Path | None:
    """uv, in its own tool environment under .cache/tools, installed on first use; None if it fails."""
    binary = TOOLS / "bin" / "uv"
    if binary.exists():
        return binary
    with _locked(CACHE / ".tools.lock"):
        if binary.exists():
            return binary
        with timed("tools: install uv"):
            try:
                subprocess.run([_base_python(), "-m", "venv", str(TOOLS)], check=True, capture_output=True)
                subprocess.run(
                    [
                        str(TOOLS / "bin" / "python"),
                        "-m",
                        "pip",
                        "install",
                        "--quiet",
                        "--disable-pip-version-check",
                        UV_REQUIREMENT,
                    ],
                    check=True,
                    capture_output=True,
                    timeout=300,
                )
            except (subprocess.SubprocessError, OSError) as exc:
                print(
                    f"harness: uv could not be installed ({exc}); installing projects with pip",
                    file=sys.stderr,
                )
                return None
    return binary if binary.exists() else None


def installer() -> str:
    """ "uv" or "pip": CODEGEN_E2E_INSTALLER if set, else uv where it can be had."""
    chosen = os.environ.get("CODEGEN_E2E_INSTALLER", "").strip().lower()
    if chosen in ("uv", "pip"):
        return chosen
    return "uv" if uv() is not None else "pip"


def _run(command: list[str], what: str, env: Mapping[str, str] | None = None, timeout: float = 600) -> None:
    done = subprocess.run(
        command, capture_output=True, text=True, env=dict(env) if env else None, timeout=timeout
    )
    if done.returncode != 0:
        raise HarnessError(
            f"{what} failed ({done.returncode}): {' '.join(command)}\n{done.stdout}\n{done.stderr}"
        )


def install_project(project_dir: Path, label: str | None = None, extras: tuple[str, ...] = ("test",)) -> Path:
    """A fresh `project_dir/.venv` with the project installed editable with its test extra (and the other
    `extras`); its python.

    The install reads the project's own pyproject.toml (dependencies, `test` extra, build backend) and
    takes every wheel from the wheelhouse, never from an index.
    """
    project_dir = Path(project_dir).resolve()
    label = label or project_dir.name
    house = wheelhouse(project_requirements(project_dir, extras))
    venv = project_dir / ".venv"
    shutil.rmtree(venv, ignore_errors=True)
    python = venv / "bin" / "python"
    tool = installer()
    with timed(f"{label}: install ({tool})"):
        if tool == "uv":
            binary = str(uv())
            env = {
                **os.environ,
                "UV_CACHE_DIR": str(UV_CACHE),
                "UV_NO_CONFIG": "1",
                "UV_PYTHON_DOWNLOADS": "never",
            }
            for name in ("VIRTUAL_ENV", "UV_INDEX_URL", "UV_EXTRA_INDEX_URL", "UV_FIND_LINKS"):
                env.pop(name, None)
            _run([binary, "venv", "--quiet", "--python", _base_python(), str(venv)], "uv venv", env)
            _run(
                [
                    binary,
                    "pip",
                    "install",
                    "--quiet",
                    "--python",
                    str(python),
                    "--offline",
                    "--no-index",
                    "--find-links",
                    str(house),
                    "--editable",
                    f"{project_dir}[{','.join(extras)}]",
                ],
                "uv pip install",
                env,
            )
        else:
            _run([_base_python(), "-m", "venv", "--without-pip", str(venv)], "python -m venv")
            env = {**os.environ, "PIP_CONFIG_FILE": os.devnull}
            env.pop("VIRTUAL_ENV", None)
            _run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "--python",
                    str(python),
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "--no-index",
                    "--find-links",
                    str(house),
                    "--editable",
                    f"{project_dir}[{','.join(extras)}]",
                ],
                "pip install",
                env,
            )
    return python


def dependency_python(project_dir: Path, label: str | None = None) -> Path:
    """The python of a virtual environment holding a project's dependencies (and test extra) but not the
    project: shared by every project of the same pins, under .cache/venvs/<hash of the pins>/.

    A project runs from its own folder there (`python -m pytest`, `python -m app` put it on sys.path): the
    property test's many small projects need one install per pin list, not one each.
    """
    requirements = project_requirements(project_dir)
    requirements = [r for r in requirements if not r.startswith(("hatchling", "setuptools"))]
    key = hashlib.sha256(("\n".join(requirements) + _interpreter_tag()).encode()).hexdigest()[:16]
    venv = CACHE / "venvs" / key
    python = venv / "bin" / "python"
    with _locked(CACHE / "venvs" / f".{key}.lock"):
        if (venv / "COMPLETE").exists():
            return python
        house = wheelhouse(requirements)
        shutil.rmtree(venv, ignore_errors=True)
        listing = venv.parent / f".{key}.txt"
        listing.write_text("\n".join(requirements) + "\n", encoding="utf-8")
        with timed(f"{label or key}: dependencies (pip)"):
            _run([_base_python(), "-m", "venv", str(venv)], "python -m venv")
            _run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-index",
                  "--find-links", str(house), "-r", str(listing)], "pip install", {**os.environ,
                                                                                   "PIP_CONFIG_FILE": os.devnull})
        (venv / "COMPLETE").write_text("\n".join(requirements), encoding="utf-8")
    return python


# -- running it -----------------------------------------------------------------------------------------


def project_env(env: Mapping[str, str] | None = None, python: Path | None = None) -> dict[str, str]:
    """The calling environment without anything that could leak into a project, plus `env`."""
    result = {key: value for key, value in os.environ.items() if key not in SCRUBBED}
    if python is not None:
        venv = Path(python).parent.parent
        result["VIRTUAL_ENV"] = str(venv)
        result["PATH"] = f"{venv / 'bin'}{os.pathsep}{result.get('PATH', '')}"
    result.update(env or {})
    return result


def run_project_tests(
    python: Path,
    project_dir: Path,
    env: Mapping[str, str] | None = None,
    label: str | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """`python -m pytest -q` at the project root; the caller checks returncode and passed_count()."""
    label = label or Path(project_dir).name
    with timed(f"{label}: project tests"):
        return subprocess.run(
            [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
            cwd=project_dir,
            env=project_env(env, python),
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def fastapi_document_differences(python: Path, project_dir: Path, served: dict[str, Any]) -> list[str]:
    """Where a FastAPI project's own /openapi.json (app/openapi.py) differs from the document FastAPI's
    builder makes of the same app (tests/fastapi_document.py, run in the project's environment)."""
    done = subprocess.run(
        [str(python), str(Path(__file__).parent / "fastapi_document.py")],
        cwd=project_dir,
        env=project_env({"DATABASE_URL": "sqlite://"}, python),
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise HarnessError(f"FastAPI's document of {project_dir}: {done.stderr[-2000:]}")
    return differences(served, json.loads(done.stdout))


def summary_counts(output: str) -> dict[str, int]:
    """The counts of pytest's closing line: {"passed": N, "failed": N, "skipped": N, ...}."""
    lines = [
        line for line in output.strip().splitlines() if re.search(r"\d+ (passed|failed|error|skipped)", line)
    ]
    if not lines:
        return {}
    return {
        word.rstrip("s") if word == "errors" else word: int(number)
        for number, word in re.findall(r"(\d+) (\w+)", lines[-1])
    }


def passed_count(completed: subprocess.CompletedProcess[str]) -> int:
    """N of "N passed" in a pytest run's summary (0 when absent)."""
    return summary_counts(completed.stdout).get("passed", 0)


def api_keys() -> tuple[str, str, str]:
    """A fresh write key, read key, and the API_KEYS value that lists their hashes."""
    write, read = "w-" + secrets.token_hex(12), "r-" + secrets.token_hex(12)
    digest = lambda key: hashlib.sha256(key.encode()).hexdigest()  # noqa: E731
    return write, read, f"write:{digest(write)},read:{digest(read)}"


# Servers get ports below the kernel's ephemeral range (32768-60999 on Linux), so no outgoing
# connection holds one, and each xdist worker its own block, so two workers (or two threads of one) never
# pick the same port between the check here and the server's bind. Within its block a process starts
# at an offset of its pid: two pytest runs at once (no xdist, both in block 0) rarely meet, where one's
# server could otherwise answer the other's health check on a port that was free a moment before.
_PORT_BLOCK = 2000
_PORTS = itertools.count(os.getpid() * 97 % _PORT_BLOCK)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now, of this process's own block."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    first = 20000 + _PORT_BLOCK * (int(worker) % 6 if worker.isdigit() else 0)
    for _ in range(_PORT_BLOCK):
        port = first + next(_PORTS) % _PORT_BLOCK
        with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise HarnessError(f"no free port in {first}-{first + _PORT_BLOCK - 1}")


class BaseUrl(str):
    """The base URL of a served project, with how long it took to start and where its log is."""

    startup_seconds: float
    log_path: Path
    pid: int

    def log(self) -> str:
        """What the server printed so far."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextlib.contextmanager
def serve(
    python: Path,
    project_dir: Path,
    env: Mapping[str, str] | None = None,
    *,
    timeout: float = 30,
    label: str | None = None,
    healthy: bool = True,
) -> Iterator[BaseUrl]:
    """Run `python -m app` on a free port of 127.0.0.1 and yield its base URL once GET /healthz answers.

    `env` gives DATABASE_URL and API_KEYS (anything else too). Waits at most `timeout` seconds for
    /healthz == 200 (or, with healthy=False, for any answer), records the startup time, always stops
    the process group, and prints the server's log when it fails to start or the block raises.
    """
    project_dir = Path(project_dir)
    label = label or project_dir.name
    log_dir = Path(tempfile.mkdtemp(prefix="cg_serve_"))
    log_path = log_dir / "server.log"
    for attempt in range(2):
        port = free_port()
        url = BaseUrl(f"http://127.0.0.1:{port}")
        url.log_path = log_path
        server_env = project_env({**(env or {}), "HOST": "127.0.0.1", "PORT": str(port)}, python)
        start = time.perf_counter()
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [str(python), "-m", "app"],
                cwd=project_dir,
                env=server_env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        url.pid = process.pid
        try:
            answered = _wait_until_up(process, url, timeout, healthy)
        except BaseException:
            _stop(process)
            raise
        if answered:
            break
        _stop(process)
        text = url.log()
        if attempt == 0 and "address already in use" in text.lower():
            continue
        print(f"----- server log of {label} ({log_path}) -----\n{text}\n-----", file=sys.stderr)
        status = "exited with " + str(process.returncode) if process.returncode is not None else "no answer"
        raise HarnessError(f"{label}: `python -m app` did not get healthy within {timeout:.0f} s ({status})")
    url.startup_seconds = time.perf_counter() - start
    TIMINGS.append((f"{label}: server startup", url.startup_seconds))
    try:
        yield url
    except BaseException:
        print(f"----- server log of {label} ({log_path}) -----\n{url.log()}\n-----", file=sys.stderr)
        raise
    finally:
        _stop(process)
        if process.returncode not in (0, -signal.SIGTERM, -signal.SIGKILL) and process.returncode is not None:
            print(f"{label}: server exited with {process.returncode}", file=sys.stderr)
        shutil.rmtree(log_dir, ignore_errors=True)


def _wait_until_up(process: subprocess.Popen[bytes], url: str, timeout: float, healthy: bool) -> bool:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                return False
            try:
                response = client.get(url + "/healthz")
            except httpx.TransportError:
                time.sleep(0.05)
                continue
            if response.status_code == 200 or not healthy:
                return True
            time.sleep(0.1)
    return False
