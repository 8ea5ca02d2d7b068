"""Benchmark: `codegen reflect` beside `sqlacodegen` on the same 300-table database, in one run.

    .venv/bin/python bench/bench_reflect.py                  # 300 tables, 5 repeats
    .venv/bin/python bench/bench_reflect.py --repeats 9 --profile
    .venv/bin/python bench/bench_reflect.py --url postgresql+psycopg://postgres@127.0.0.1:5432/synth300

Measured (end to end, as subprocesses, interleaved, after one warm-up run each):
    codegen reflect sqlite:///bench/out/synth300.sqlite -o bench/out/reflect/codegen.yaml
    sqlacodegen sqlite:///bench/out/synth300.sqlite --outfile bench/out/reflect/sqlacodegen.py
and, for detail, the same reflect written as JSON (`-o codegen.json`), the in-process
`codegen.api.reflect` call (warm) and the CLI start-up (`codegen --version`: interpreter plus
imports). Everything is written under bench/out/.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import benchlib
import synth_db
from benchlib import REPO, Run, Series, figure_line, interleave, run, shown, tool

OUT = benchlib.OUT_DIR / "reflect"
GOAL_SECONDS = 2.0
# Packages whose import cost the CLI pays before it does anything.
IMPORT_WATCH = ("typer", "pydantic", "sqlalchemy", "sqlalchemy.dialects.postgresql", "yaml",
                "codegen.spec.model", "codegen.reflect.database", "codegen.api", "codegen.cli")


def _prepare(args: argparse.Namespace) -> tuple[str, str]:
    """(url, label) of the database to reflect, built first when missing or stale."""
    if args.url:
        label = f"reflect_{args.tables}_tables_{args.url.split(':', 1)[0].split('+')[0]}"
        if args.build:
            start = time.perf_counter()
            synth_db.build_postgres(args.url, args.tables)
            print(f"built {args.url} ({args.tables} tables) in {time.perf_counter() - start:.2f} s")
        else:
            print(f"using {args.url} as it is (build it with bench/synth_db.py --url, or pass --build)")
        return args.url, label
    path = args.db or synth_db.OUT_DIR / f"synth{args.tables}.sqlite"
    start = time.perf_counter()
    if synth_db.ensure_sqlite(path, args.tables):
        print(f"built {shown([str(path)])} ({args.tables} tables) in {time.perf_counter() - start:.2f} s")
    else:
        print(f"reusing {shown([str(path)])} ({args.tables} tables)")
    return synth_db.sqlite_url(path), f"reflect_{args.tables}_tables"


def _in_process_steps(url: str) -> list[tuple[Series, Callable[[], Run]]]:
    """In-process steps (warm after the first call): `api.reflect` alone, and with YAML as the CLI does."""
    from codegen import api
    from codegen.spec.io import dump_spec

    def reflect_only() -> Run:
        start = time.perf_counter()
        api.reflect(url)
        return Run(time.perf_counter() - start, 0, "")

    def with_yaml() -> Run:
        start = time.perf_counter()
        dump_spec(api.reflect(url), "yaml")
        return Run(time.perf_counter() - start, 0, "")

    return [(Series("codegen.api.reflect (in-process, warm)"), reflect_only),
            (Series("codegen.api.reflect + dump_spec(yaml) (in-process, warm)"), with_yaml)]


def _import_breakdown() -> dict[str, float]:
    """Cumulative import seconds of the packages in IMPORT_WATCH, from `python -X importtime`."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", "import codegen.cli"], cwd=REPO,
                          capture_output=True, text=True, check=False)
    found: dict[str, float] = {}
    for line in proc.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \|\s*(\S+)", line)
        if match and match[2] in IMPORT_WATCH and match[2] not in found:
            found[match[2]] = int(match[1]) / 1e6
    return found


def _profile(url: str, top: int) -> None:
    """Where the in-process time goes: stages, imports, and the top functions of a cProfile."""
    from codegen import api
    from codegen.spec.io import dump_spec

    api.reflect(url)
    print("\nprofile (one warm in-process run of what `codegen reflect -o x.yaml` does):")
    stages: dict[str, float] = {}
    try:
        from codegen.reflect.build import build_spec
        from codegen.reflect.database import reflect_database

        start = time.perf_counter()
        info = reflect_database(url)
        stages["reflect_database (SQLAlchemy inspector + SQLite PRAGMAs)"] = time.perf_counter() - start
        start = time.perf_counter()
        spec = build_spec(info)
        stages["build_spec (naming, relationships, pydantic records)"] = time.perf_counter() - start
    except ImportError:
        start = time.perf_counter()
        spec = api.reflect(url)
        stages["api.reflect"] = time.perf_counter() - start
    start = time.perf_counter()
    dump_spec(spec, "yaml")
    stages["dump_spec yaml"] = time.perf_counter() - start
    start = time.perf_counter()
    dump_spec(spec, "json")
    stages["(for comparison: dump_spec json)"] = time.perf_counter() - start
    for name, seconds in stages.items():
        print(f"  {seconds:6.3f} s  {name}")
    print("  import cost of `import codegen.cli` (cumulative, python -X importtime, one run):")
    for name, seconds in sorted(_import_breakdown().items(), key=lambda item: -item[1]):
        print(f"  {seconds:6.3f} s  import {name}")
    profiler = cProfile.Profile()
    profiler.enable()
    dump_spec(api.reflect(url), "yaml")
    profiler.disable()
    OUT.mkdir(parents=True, exist_ok=True)
    profiler.dump_stats(OUT / "profile.prof")
    buffer = io.StringIO()
    pstats.Stats(profiler, stream=buffer).sort_stats("cumulative").print_stats(top)
    lines = [line for line in buffer.getvalue().splitlines() if line.strip()]
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    print(f"  top {top} by cumulative time (cProfile inflates; full: {shown([str(OUT / 'profile.prof')])}):")
    for line in lines[start:]:
        print("   " + line.replace(str(REPO) + "/", "").replace(sys.prefix + "/lib/", ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tables", type=int, default=synth_db.DEFAULT_TABLES, help="tables (default 300)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each command (default 5)")
    parser.add_argument("--db", type=Path, help="SQLite file (default bench/out/synth<N>.sqlite)")
    parser.add_argument("--url", help="reflect this database URL instead of the SQLite file")
    parser.add_argument("--build", action="store_true",
                        help="with --url: build the synthetic schema there first")
    parser.add_argument("--no-peer", action="store_true", help="do not run sqlacodegen")
    parser.add_argument("--no-json", action="store_true", help="do not also time `codegen reflect -o x.json`")
    parser.add_argument("--profile", action="store_true", help="also show where codegen's time goes")
    parser.add_argument("--top", type=int, default=25, help="functions shown by --profile (default 25)")
    args = parser.parse_args(argv)

    url, label = _prepare(args)
    OUT.mkdir(parents=True, exist_ok=True)
    ours_cmd = [*tool("codegen"), "reflect", url, "-o", str(OUT / "codegen.yaml")]
    peer_cmd = [*tool("sqlacodegen"), url, "--outfile", str(OUT / "sqlacodegen.py")]
    json_cmd = [*tool("codegen"), "reflect", url, "-o", str(OUT / "codegen.json")]
    version_cmd = [*tool("codegen"), "--version"]
    peer_version_cmd = [*tool("sqlacodegen"), "--version"]

    ours, peer = Series("codegen"), Series("sqlacodegen")
    as_json = Series("codegen reflect -o codegen.json (JSON instead of YAML)")
    startup, peer_startup = Series("codegen --version"), Series("sqlacodegen --version")
    steps: list[tuple[Series, Callable[[], Run]]] = [(ours, lambda: run(ours_cmd))]
    if not args.no_peer:
        steps.append((peer, lambda: run(peer_cmd)))
    if not args.no_json:
        steps.append((as_json, lambda: run(json_cmd)))
    steps.append((startup, lambda: run(version_cmd)))
    if not args.no_peer:
        steps.append((peer_startup, lambda: run(peer_version_cmd)))
    in_process = _in_process_steps(url)
    steps.extend(in_process)
    (reflect_only, _), (with_yaml, _) = in_process
    print(f"timing {len(steps)} steps x {args.repeats} repeats, interleaved (machine: {benchlib.machine()})")
    interleave(steps, args.repeats)

    def detail(ours_side: Series, peer_side: Series | None = None) -> None:
        print(f"  detail: {figure_line('x', ours_side, peer_side).split(': ', 1)[1]}")

    print()
    print(figure_line(label, ours, None if args.no_peer else peer))
    if ours.ok():
        verdict = "met" if ours.median < GOAL_SECONDS else "NOT met"
        print(f"  goal: codegen reflect under {GOAL_SECONDS:.0f} s end to end: {verdict} "
              f"(codegen spread {ours.spread()}"
              + (f", sqlacodegen spread {peer.spread()})" if peer.ok() else ")"))
    detail(startup, None if args.no_peer else peer_startup)
    if not args.no_json:
        detail(as_json)
    detail(reflect_only)
    detail(with_yaml)
    print(f"  reproduce: .venv/bin/python bench/bench_reflect.py --tables {args.tables} "
          f"--repeats {args.repeats}"
          + (f" --url {url}" if args.url else ""))
    print(f"  codegen:     {shown(ours_cmd)}")
    if not args.no_peer:
        print(f"  sqlacodegen: {shown(peer_cmd)}")
    benchlib.save_results(OUT / f"{label}.json", {
        "label": label, "url": shown([url]), "repeats": args.repeats,
        "commands": {"codegen": shown(ours_cmd), "sqlacodegen": shown(peer_cmd), "json": shown(json_cmd),
                     "startup": shown(version_cmd), "peer_startup": shown(peer_version_cmd)},
        "series": [benchlib.series_data(s)
                   for s in (ours, peer, as_json, startup, peer_startup, reflect_only, with_yaml)],
    })
    if args.profile:
        _profile(url, args.top)
    return 0 if ours.ok() else 1


if __name__ == "__main__":
    sys.exit(main())
