"""Throughput of the generated apps beside hand-written minimal ones, same database, same run.

For each target (`--target fastapi|flask|both`, default both) it generates the Chinook project,
installs it in its own virtual environment (tests/harness.py), and serves it with `python -m app`
beside a hand-written minimal app of the same framework from the same environment:

- fastapi: bench/handwritten/fastapi_app.py under uvicorn, one worker (as `python -m app` runs);
- flask: bench/handwritten/flask_app.py under gunicorn with the very options the generated
  project's `python -m app` gives gunicorn (read from its app/__main__.py at run time: one
  worker, gthread, 4 threads, keep-alive 5 s), only the bind address differs.

Before measuring it checks that both apps of a pair answer the same JSON on both routes. Then,
round after round (targets and apps in alternating order), it drives each app with the same
keep-alive load on loopback for a fixed time, after a one-second warm-up: wrk (Debian's package,
one thread of C) where it is installed, else client threads of http.client in this process
(`--client python`), which parse every response header in Python on the same two cores and so
charge the server for its headers. Prints requests/s for a list page and a single item (median
and spread of the rounds), the ratio generated / hand-written, the server's own CPU time per
request in those rounds (its processes' user + system time from /proc: what throughput is the
inverse of when the one worker is the bottleneck), the startup time of each generated app, and the
load average of the machine.

On a shared two-core machine the throughput of one round can move by 2x. The servers stopped, it
also measures what moves far less: the CPU time per request of each app called in process (its
WSGI or ASGI callable, no server, no sockets, logging configured as `python -m app` does, so the
access line is paid for: what the generated code adds, without the server's own cost, which both
apps of a pair share), rounds alternating, 10th percentile (`--cpu-rounds`).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

import harness  # noqa: E402

from codegen import api  # noqa: E402

OUT = REPO / "bench" / "out" / "throughput"
HANDWRITTEN = REPO / "bench" / "handwritten"
PATHS = {"list": "/album?limit=50&offset=100", "item": "/album/42"}
TARGETS = ("fastapi", "flask")

# Run in the generated Flask project's venv: the options its `python -m app` gives gunicorn.
GUNICORN_OPTIONS = """\
import json
import app.__main__ as main_module
captured = {}
class Capture:
    def __init__(self, options):
        captured.update(options)
    def run(self):
        pass
main_module.Server = Capture
main_module.main([])
# The serving options only: the app's JSON logging configuration is its own (the hand-written app
# logs warnings only, so the generated one pays for its access log and metrics in the comparison).
captured.pop("logconfig_dict", None)
captured.pop("logger_class", None)
print(json.dumps(captured))
"""

# Run in a project's venv, cwd the project: CPU time per request of the generated app and the
# hand-written one called in process (WSGI or ASGI, no server, no sockets), rounds alternating.
CPU_SCRIPT = r"""
import asyncio, json, logging.config, statistics, sys, time
target, paths, handwritten = sys.argv[1], json.loads(sys.argv[2]), sys.argv[5]
rounds, per = int(sys.argv[3]), int(sys.argv[4])
sys.path.insert(0, handwritten)
# Logging as `python -m app` configures it (a JSON access line a request, on stderr, which the
# caller sends to a file): the generated app pays for its access log here too.
from app.observability import logging_config
logging.config.dictConfig(logging_config())
if target == "flask":
    from werkzeug.test import EnvironBuilder
    from app import create_app
    import flask_app
    apps = {"generated": create_app(), "handwritten": flask_app.app}
    def caller(app, path):
        base = EnvironBuilder(path=path).get_environ()
        def call():
            status = []
            body = app(dict(base), lambda s, h, e=None: status.append(s))
            data = b"".join(body)
            getattr(body, "close", lambda: None)()
            return int(status[0].split()[0]), data
        return call
else:
    from app.main import app as generated
    import fastapi_app
    apps = {"generated": generated, "handwritten": fastapi_app.app}
    loop = asyncio.new_event_loop()
    def caller(app, path):
        bare, _, query = path.partition("?")
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                 "scheme": "http", "path": bare, "raw_path": bare.encode(), "query_string": query.encode(),
                 "root_path": "", "headers": [(b"host", b"127.0.0.1")], "client": ("127.0.0.1", 50000),
                 "server": ("127.0.0.1", 80)}
        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}
        def call():
            answer, chunks = {}, []
            async def send(message):
                if message["type"] == "http.response.start":
                    answer["status"] = message["status"]
                elif message["type"] == "http.response.body":
                    chunks.append(message.get("body", b""))
            loop.run_until_complete(app(dict(scope), receive, send))
            return answer["status"], b"".join(chunks)
        return call
result = {}
for kind, path in paths.items():
    calls = {name: caller(app, path) for name, app in apps.items()}
    answers = {name: call() for name, call in calls.items()}
    if any(status != 200 for status, _ in answers.values()):
        raise SystemExit(f"{kind}: statuses {[status for status, _ in answers.values()]}")
    if json.loads(answers["generated"][1]) != json.loads(answers["handwritten"][1]):
        raise SystemExit(f"{kind}: the two apps answer different JSON in process")
    times = {name: [] for name in calls}
    for round_ in range(rounds):
        for name in (list(calls) if round_ % 2 == 0 else list(calls)[::-1]):
            call = calls[name]
            for _ in range(5):
                call()
            start = time.process_time()
            for _ in range(per):
                call()
            times[name].append((time.process_time() - start) / per * 1e6)
    result[kind] = times
print(json.dumps(result))
"""


def cpu_per_request(target: str, python: Path, project: Path, database: Path, rounds: int,
                    per: int) -> dict[str, dict[str, list[float]]]:
    """Microseconds of CPU per request of each app called in process, by route and app."""
    env = harness.project_env({"DATABASE_URL": f"sqlite:///{database}"}, python)
    command = [str(python), "-c", CPU_SCRIPT, target, json.dumps(PATHS), str(rounds), str(per),
               str(HANDWRITTEN)]
    log = OUT / f"in-process-{target}.log"
    with log.open("w", encoding="utf-8") as stderr:
        done = subprocess.run(command, cwd=project, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True,
                              check=False)
    if done.returncode != 0:
        tail = log.read_text(encoding="utf-8")[-3000:]
        raise SystemExit(f"in-process measurement of {target} failed:\n{tail}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def p10(values: list[float]) -> float:
    """The 10th percentile: the cost with the least interference from other work on the machine."""
    return sorted(values)[len(values) // 10]


def load(port: int, path: str, seconds: float, threads: int, client: str) -> float:
    """Requests per second of `threads` keep-alive connections for `seconds` (only 200s count).

    client "wrk": Debian's wrk, one thread of C (what the client costs, it costs both apps alike and
    little); "python": client threads of http.client in this process, which parse every header in
    Python and take much of the machine's second core.
    """
    if client == "wrk":
        return wrk(port, path, seconds, threads)
    counts = [0] * threads
    stop = time.monotonic() + seconds

    def worker(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.monotonic() < stop:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            if response.status == 200:
                counts[index] += 1
        connection.close()

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    start = time.monotonic()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return sum(counts) / (time.monotonic() - start)


def wrk(port: int, path: str, seconds: float, connections: int) -> float:
    """Requests per second that answered 2xx, by wrk with one thread and `connections` connections."""
    done = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", f"http://127.0.0.1:{port}{path}"],
                          capture_output=True, text=True, check=True)
    total = re.search(r"(\d+) requests in ([\d.]+)(m?s)", done.stdout)
    if total is None:
        raise SystemExit(f"wrk printed no request count:\n{done.stdout}")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", done.stdout)
    elapsed = float(total.group(2)) / (1000 if total.group(3) == "ms" else 1)
    return (int(total.group(1)) - (int(bad.group(1)) if bad else 0)) / elapsed


def process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by process `pid` and its living descendants."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        parents[int(entry.name)] = int(fields[1])
        used[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, of in parents.items() if of == parent and child not in tree]
        tree.update(children)
        frontier.extend(children)
    return sum(used.get(member, 0.0) for member in tree)


def measure(pid: int, port: int, path: str, seconds: float, threads: int, client: str) -> tuple[float, float]:
    """Requests per second, and the server's CPU microseconds per request, of one measurement."""
    before = process_tree_cpu(pid)
    rate = load(port, path, seconds, threads, client)
    return rate, (process_tree_cpu(pid) - before) / max(rate * seconds, 1) * 1e6


def fetch(port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def wait_healthy(process: subprocess.Popen[bytes], port: int, what: str, timeout: float = 30) -> float:
    start = time.perf_counter()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with {process.returncode} before answering")
        try:
            if fetch(port, "/healthz")[0] == 200:
                return time.perf_counter() - start
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"{what} did not answer /healthz within {timeout:.0f} s")


def gunicorn_options(python: Path, project: Path, database: Path) -> dict[str, object]:
    """The options the generated Flask project's `python -m app` passes to gunicorn."""
    env = harness.project_env({"DATABASE_URL": f"sqlite:///{database}"}, python)
    done = subprocess.run([str(python), "-c", GUNICORN_OPTIONS], cwd=project, env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def handwritten_command(target: str, python: Path, port: int, options: dict[str, object] | None) -> list[str]:
    if target == "fastapi":
        return [str(python), "-m", "uvicorn", "fastapi_app:app", "--host", "127.0.0.1", "--port", str(port),
                "--log-level", "warning"]
    assert options is not None
    config = OUT / "gunicorn_handwritten.conf.py"
    settings = {**options, "bind": f"127.0.0.1:{port}", "loglevel": "warning"}
    config.write_text("".join(f"{key} = {value!r}\n" for key, value in settings.items()), encoding="utf-8")
    return [str(python), "-m", "gunicorn", "--config", str(config), "flask_app:app"]


@contextmanager
def serve_handwritten(target: str, python: Path, database: Path,
                      options: dict[str, object] | None) -> Iterator[tuple[int, int]]:
    port = harness.free_port()
    env = harness.project_env({"DATABASE_URL": f"sqlite:///{database}"}, python)
    process = subprocess.Popen(handwritten_command(target, python, port, options), cwd=HANDWRITTEN, env=env,
                               start_new_session=True)
    try:
        wait_healthy(process, port, f"the hand-written {target} app")
        yield port, process.pid
    finally:
        harness._stop(process)


def same_json(target: str, generated: int, handwritten: int) -> list[str]:
    """Differences between the two apps' answers on the measured routes (none expected)."""
    problems = []
    for kind, path in PATHS.items():
        answers = [fetch(port, path) for port in (generated, handwritten)]
        if any(status != 200 for status, _ in answers):
            problems.append(f"{target} {kind}: statuses {[status for status, _ in answers]}")
        elif json.loads(answers[0][1]) != json.loads(answers[1][1]):
            problems.append(f"{target} {kind}: the JSON differs:\n  generated   {answers[0][1][:300]!r}\n"
                            f"  hand-written {answers[1][1][:300]!r}")
    return problems


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f} (1, 5, 15 min; {os.cpu_count()} cores)"


def spread(values: list[float], digits: int = 0) -> str:
    return f"{min(values):.{digits}f}-{max(values):.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", choices=(*TARGETS, "both"), default="both")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of one measurement (default 5)")
    parser.add_argument("--repeats", type=int, default=3, help="rounds (default 3)")
    parser.add_argument("--threads", type=int, default=4, help="keep-alive connections (default 4)")
    parser.add_argument("--client", choices=("wrk", "python"), default="wrk" if shutil.which("wrk") else "python",
                        help="load generator (default wrk where it is installed: apt-get install wrk)")
    parser.add_argument("--cpu-rounds", type=int, default=40,
                        help="rounds of the in-process CPU comparison (default 40; 0 skips it)")
    args = parser.parse_args()
    targets = TARGETS if args.target == "both" else (args.target,)
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    database = OUT / "chinook.db"
    shutil.copy(REPO / "examples" / "chinook.sqlite", database)
    env = {"DATABASE_URL": f"sqlite:///{database}"}
    load_before = load_average()

    projects: dict[str, tuple[Path, Path]] = {}
    options: dict[str, dict[str, object] | None] = {}
    for target in targets:
        project = OUT / f"chinook-{target}"
        api.generate(f"sqlite:///{database}", project, name="chinook", target=target)
        python = harness.install_project(project)
        projects[target] = (project, python)
        options[target] = gunicorn_options(python, project, database) if target == "flask" else None

    names = ("generated", "handwritten")
    results = {t: {k: {n: [] for n in names} for k in PATHS} for t in targets}
    served_cpu = {t: {k: {n: [] for n in names} for k in PATHS} for t in targets}
    startups: dict[str, list[float]] = {t: [] for t in targets}
    problems: list[str] = []
    for repeat in range(args.repeats):
        for target in targets if repeat % 2 == 0 else targets[::-1]:
            project, python = projects[target]
            with (harness.serve(python, project, env, label=f"chinook-{target}") as url,
                  serve_handwritten(target, python, database, options[target]) as (hand_port, hand_pid)):
                startups[target].append(url.startup_seconds)
                port = int(url.rsplit(":", 1)[1])
                if repeat == 0:
                    problems += same_json(target, port, hand_port)
                for kind, path in PATHS.items():
                    order = [("generated", port, url.pid), ("handwritten", hand_port, hand_pid)]
                    for name, target_port, pid in order if repeat % 2 == 0 else order[::-1]:
                        load(target_port, path, 1.0, args.threads, args.client)  # warm-up
                        rate, cpu_us = measure(pid, target_port, path, args.seconds, args.threads, args.client)
                        results[target][kind][name].append(rate)
                        served_cpu[target][kind][name].append(cpu_us)
    load_after = load_average()
    cpu = {t: cpu_per_request(t, projects[t][1], projects[t][0], database, args.cpu_rounds, 40)
           for t in targets} if args.cpu_rounds > 0 else {}

    for problem in problems:
        print(f"WARNING: {problem}")
    for target in targets:
        for kind in PATHS:
            series = results[target][kind]
            generated = statistics.median(series["generated"])
            handwritten = statistics.median(series["handwritten"])
            rounds = [g / h for g, h in zip(series["generated"], series["handwritten"], strict=True)]
            print(f"throughput_{target}_{kind}: generated {generated:.0f} req/s "
                  f"vs hand-written {handwritten:.0f} req/s "
                  f"(median of {args.repeats}; {args.client}, {args.threads} keep-alive connections, "
                  f"{args.seconds:g} s each) -> {generated / handwritten:.2f} of hand-written")
            print(f"    spread: generated {spread(series['generated'])}, "
                  f"hand-written {spread(series['handwritten'])} req/s; "
                  f"per-round ratio {spread(rounds, 2)} (median {statistics.median(rounds):.2f})")
            spent = served_cpu[target][kind]
            generated_cpu, handwritten_cpu = statistics.median(spent["generated"]), statistics.median(spent["handwritten"])
            print(f"    server CPU per request: generated {generated_cpu:.0f} us vs hand-written "
                  f"{handwritten_cpu:.0f} us (median; the server's processes, from /proc) "
                  f"-> {handwritten_cpu / generated_cpu:.2f} of hand-written")
        for kind, times in cpu.get(target, {}).items():
            generated, handwritten = p10(times["generated"]), p10(times["handwritten"])
            print(f"cpu_{target}_{kind}: generated {generated:.0f} us vs hand-written {handwritten:.0f} us "
                  f"of CPU per request in process (10th percentile of {args.cpu_rounds} rounds of 40, "
                  f"no server) -> {handwritten / generated:.2f} of hand-written")
        print(f"startup_{target}: generated app healthy after {statistics.median(startups[target]):.2f} s "
              f"(median of {args.repeats}, {spread(startups[target], 2)} s)")
    if "flask" in targets:
        shown = {k: v for k, v in (options["flask"] or {}).items() if k != "bind"}
        print(f"flask servers: gunicorn {shown} (from the generated app/__main__.py) for both apps")
    print(f"routes: list {PATHS['list']}, item {PATHS['item']}; database: Chinook (SQLite)")
    print(f"load average: {load_before} before, {load_after} after")
    target_flag = "" if args.target == "both" else f" --target {args.target}"
    print(f"reproduce: .venv/bin/python bench/bench_throughput.py{target_flag} --seconds {args.seconds:g} "
          f"--repeats {args.repeats} --threads {args.threads} --client {args.client} --cpu-rounds {args.cpu_rounds}")
    (OUT / "results.json").write_text(json.dumps(
        {"date": time.strftime("%Y-%m-%d %H:%M"), "args": vars(args), "results": results, "server_cpu_us_per_request": served_cpu, "startup": startups,
         "cpu_us_per_request": cpu, "load_before": load_before, "load_after": load_after,
         "problems": problems}, indent=2))


if __name__ == "__main__":
    main()
