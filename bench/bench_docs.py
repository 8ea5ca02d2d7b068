"""A FastAPI project of hundreds of tables: its import and its first /openapi.json, ours vs FastAPI's.

Generates the FastAPI project of the large PostgreSQL case (tests/fixtures/large: 452 resources,
1,196 paths, a 12 MB document), installs it (tests/harness.py), then, round after round, in a fresh
process each: imports `app.main` and builds the document with the project's `app/openapi.py` and with
FastAPI's own `get_openapi` over the same routes, in alternating order. Prints the median seconds of
each and the ratio FastAPI / ours, measured in the same rounds, and the load average.

    .venv/bin/python bench/bench_docs.py --repeats 3

Needs the PostgreSQL server of the machine (127.0.0.1:5432); the database is dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

import databases  # noqa: E402
import harness  # noqa: E402

from codegen import api  # noqa: E402
from codegen.writer import write_new_tree  # noqa: E402

OUT = REPO / "bench" / "out" / "docs"

# Run in the project's venv, cwd the project: seconds to import, and to build each document.
ROUND = r"""
import json, sys, time
start = time.perf_counter()
from app.main import app
from app.openapi import build_document
from fastapi.openapi.utils import get_openapi
imported = time.perf_counter() - start
def ours():
    return build_document(app)
def fastapi():
    return get_openapi(title=app.title, version=app.version, openapi_version=app.openapi_version,
                       description=app.description, routes=app.routes)
times = {"import": imported}
order = [ours, fastapi] if sys.argv[1] == "0" else [fastapi, ours]
for build in order:
    start = time.perf_counter()
    document = build()
    times[build.__name__] = time.perf_counter() - start
    times[build.__name__ + "_paths"] = len(document["paths"])
print(json.dumps(times))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    url = databases.load_large("postgresql")
    try:
        spec = api.reflect(url, schemas=databases.large_schemas())
        options = api.recorded_options(spec, url, "apikey", databases.large_schemas(), None, None, None, None)
        files = api.generate_files(spec, "fastapi", options)
    finally:
        databases.drop_all()
    shutil.rmtree(OUT, ignore_errors=True)
    write_new_tree(OUT / "fastapi", {path: text.encode("utf-8") for path, text in files.items()})
    project = OUT / "fastapi"
    python = harness.install_project(project, "docs/fastapi")
    env = harness.project_env({"DATABASE_URL": "sqlite://", "API_KEYS": ""}, python)
    subprocess.run([str(python), "-c", "import app.main"], cwd=project, env=env, check=True)  # .pyc
    rounds = []
    for index in range(args.repeats):
        done = subprocess.run(
            [str(python), "-c", ROUND, str(index % 2)], cwd=project, env=env, capture_output=True,
            text=True, check=True,
        )
        rounds.append(json.loads(done.stdout))
        print(f"round {index + 1}: {rounds[-1]}", flush=True)
    median = {key: statistics.median(r[key] for r in rounds) for key in ("import", "ours", "fastapi")}
    print(f"{len(spec.resources)} resources, {rounds[0]['ours_paths']} paths "
          f"(FastAPI's: {rounds[0]['fastapi_paths']}), {args.repeats} rounds, load average "
          f"{os.getloadavg()[0]:.1f}")
    print(f"import app.main          {median['import']:.2f} s")
    print(f"app/openapi.py           {median['ours']:.2f} s")
    print(f"FastAPI's get_openapi    {median['fastapi']:.2f} s   ({median['fastapi'] / median['ours']:.1f}x ours)")


if __name__ == "__main__":
    main()
