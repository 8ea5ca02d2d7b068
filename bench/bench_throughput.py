"""Throughput of the generated FastAPI app beside a hand-written minimal one, same database, same run.

Generates the Chinook project, installs it in its own virtual environment (tests/harness.py),
serves it with `python -m app` and the hand-written app (bench/handwritten/fastapi_app.py) with
uvicorn from the same environment, one worker each, and drives each in turn with the same
keep-alive load (threads in a separate process) on loopback for a fixed time. Prints requests/s
for a list page and a single item, the ratio, and the startup time of the generated app.
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

import harness  # noqa: E402

from codegen import api  # noqa: E402

OUT = REPO / "bench" / "out" / "throughput"
PATHS = {"list": "/album?limit=50&offset=100", "item": "/album/42"}


def load(port: int, path: str, seconds: float, threads: int) -> float:
    """Requests per second of `threads` keep-alive clients for `seconds` (only 200s count)."""
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


def serve_handwritten(python: Path, database: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = harness.free_port()
    env = harness.project_env({"DATABASE_URL": f"sqlite:///{database}"}, python)
    process = subprocess.Popen(
        [str(python), "-m", "uvicorn", "fastapi_app:app", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning"],
        cwd=REPO / "bench" / "handwritten", env=env, start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return process, port
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the hand-written app did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    database = OUT / "chinook.db"
    shutil.copy(REPO / "examples" / "chinook.sqlite", database)
    project = OUT / "chinook-api"
    api.generate(f"sqlite:///{database}", project, name="chinook")
    python = harness.install_project(project)
    results: dict[str, dict[str, list[float]]] = {k: {"generated": [], "handwritten": []} for k in PATHS}
    startups: list[float] = []
    hand, hand_port = serve_handwritten(python, database)
    try:
        for repeat in range(args.repeats):
            with harness.serve(python, project, {"DATABASE_URL": f"sqlite:///{database}"}) as url:
                startups.append(url.startup_seconds)
                port = int(url.rsplit(":", 1)[1])
                for kind, path in PATHS.items():
                    order = [("generated", port), ("handwritten", hand_port)]
                    for name, target in order if repeat % 2 == 0 else order[::-1]:
                        load(target, path, 1.0, args.threads)  # warm-up
                        results[kind][name].append(load(target, path, args.seconds, args.threads))
    finally:
        hand.terminate()
        hand.wait(10)
    for kind in PATHS:
        generated = statistics.median(results[kind]["generated"])
        handwritten = statistics.median(results[kind]["handwritten"])
        print(f"throughput_{kind}: generated {generated:.0f} req/s vs hand-written {handwritten:.0f} req/s "
              f"(median of {args.repeats}, {args.threads} keep-alive clients, {args.seconds:.0f} s each) "
              f"-> {generated / handwritten:.2f} of hand-written")
    print(f"startup: generated app healthy after {statistics.median(startups):.2f} s (median of {args.repeats})")
    print("reproduce: .venv/bin/python bench/bench_throughput.py")
    (OUT / "results.json").write_text(json.dumps({"results": results, "startup": startups}, indent=2))


if __name__ == "__main__":
    main()
