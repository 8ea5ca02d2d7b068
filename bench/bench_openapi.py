"""Benchmark: one synthetic API description (300 schemas, 600 paths) through codegen, fastapi-code-generator
and datamodel-code-generator, on the same file in the same run.

    .venv/bin/python bench/bench_openapi.py                  # 5 repeats
    .venv/bin/python bench/bench_openapi.py --repeats 9 --profile

Measured (end to end, as subprocesses, interleaved in alternating order, after one warm-up run each that
is thrown away; each into a fresh directory under bench/out/openapi/):
    codegen generate bench/out/openapi/synthetic.yaml -o DIR                     (a whole FastAPI project)
    fastapi-codegen --input bench/out/openapi/synthetic.yaml --output DIR --disable-timestamp
    datamodel-codegen --input bench/out/openapi/synthetic.yaml --input-file-type openapi \
        --output DIR/models.py
and, for detail, the same codegen command with an empty cache (CODEGEN_CACHE_DIR set to a new folder each
run: black's output and compiled templates are made afresh, as on a first generation; the plain runs reuse
~/.cache/codegen, filled by the warm-up), and with openapi-spec-validator's pure-Python jsonschema backend
(OPENAPI_SPEC_VALIDATOR_SCHEMA_VALIDATOR_BACKEND=jsonschema): the validator picks the jsonschema-rs
backend when that package is importable, which the repository's venv has (schemathesis, a test
dependency, pulls it in) but a plain `pip install codegen` does not.

The two peers live in virtual environments of their own under .cache/bench-peers/ (created with pip on
first use; fastapi-code-generator pins an older datamodel-code-generator, so they cannot share one).
`--profile` adds where codegen's time goes (the reader's stages in process, and a cProfile of the CLI).
"""

from __future__ import annotations

import argparse
import io
import itertools
import os
import pstats
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import benchlib
import yaml
from benchlib import REPO, Run, Series, figure_line, interleave, run, shown, tool

OUT = benchlib.OUT_DIR / "openapi"
PEERS = REPO / ".cache" / "bench-peers"
PINS = {"fastapi-code-generator": "fastapi-code-generator==0.8.1",
        "datamodel-code-generator": "datamodel-code-generator==0.89.0"}
BACKEND_VARIABLE = "OPENAPI_SPEC_VALIDATOR_SCHEMA_VALIDATOR_BACKEND"


def synthetic(schemas: int = 300, paths: int = 600) -> dict:
    """300 object schemas that reference each other; 300 collection and 300 item paths over them."""
    components = {}
    for i in range(schemas):
        properties = {"id": {"type": "integer", "format": "int64"}, "name": {"type": "string", "maxLength": 80},
                      "created": {"type": "string", "format": "date-time"},
                      "status": {"type": "string", "enum": ["new", "used", "gone"]},
                      "score": {"type": "number", "nullable": True}}
        if i:
            properties["parent"] = {"$ref": f"#/components/schemas/Thing{i - 1}"}
        components[f"Thing{i}"] = {"type": "object", "required": ["id", "name"], "properties": properties}
    path_items = {}
    for i in range(paths // 2):
        ref = {"$ref": f"#/components/schemas/Thing{i % schemas}"}
        ok = lambda schema: {"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}}  # noqa: E731
        path_items[f"/things{i}"] = {
            "get": {"operationId": f"listThings{i}", "responses": ok({"type": "array", "items": ref})},
            "post": {"operationId": f"createThing{i}", "requestBody": {"content": {"application/json": {"schema": ref}}},
                     "responses": ok(ref)}}
        path_items[f"/things{i}/{{id}}"] = {
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "get": {"operationId": f"getThing{i}", "responses": ok(ref)},
            "delete": {"operationId": f"deleteThing{i}", "responses": {"204": {"description": "gone"}}}}
    return {"openapi": "3.0.3", "info": {"title": "Synthetic", "version": "1"}, "paths": path_items,
            "components": {"schemas": components}}


def peer(name: str) -> Path:
    """The bin folder of a virtual environment holding one other generator (created with pip if missing)."""
    pin = PINS[name]
    venv = PEERS / name
    marker = venv / "COMPLETE"
    if not marker.exists() or marker.read_text(encoding="utf-8").strip() != pin:
        shutil.rmtree(venv, ignore_errors=True)
        print(f"creating {shown([str(venv)])} with {pin} (pip, once)", flush=True)
        base = getattr(sys, "_base_executable", None) or sys.executable
        subprocess.run([base, "-m", "venv", str(venv)], check=True)
        done = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                               "--disable-pip-version-check", pin],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"pip install {pin} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
        marker.write_text(pin + "\n", encoding="utf-8")
    return venv / "bin"


def output_size(path: Path) -> tuple[int, int]:
    """(files, lines) under `path` (a file or a folder), the generated projects' venvs aside."""
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    lines = 0
    for file in files:
        try:
            lines += file.read_text(encoding="utf-8").count("\n")
        except (UnicodeDecodeError, OSError):
            pass
    return len(files), lines


def _steps(source: Path, args: argparse.Namespace) -> tuple[list[tuple[Series, Callable[[], Run]]], dict]:
    fastapi_bin = peer("fastapi-code-generator")
    datamodel_bin = peer("datamodel-code-generator")
    counter = itertools.count()
    last: dict[str, Path] = {}
    commands: dict[str, list[str]] = {}

    def step(label: str, build: Callable[[Path], list[str]], env: dict[str, str] | None = None,
             mkdir: bool = False, cold: bool = False) -> tuple[Series, Callable[[], Run]]:
        slug = label.split()[0]
        shown_env = dict(env or {})
        if cold:
            shown_env["CODEGEN_CACHE_DIR"] = str((OUT / "cache-N").relative_to(REPO))
        commands[label] = [*(f"{k}={v}" for k, v in shown_env.items()), *build(OUT / f"{slug}-N")]

        def once() -> Run:
            number = next(counter)
            out = OUT / f"{slug}-{number}"
            shutil.rmtree(out, ignore_errors=True)
            if mkdir:
                out.mkdir(parents=True)
            run_with = dict(env or {})
            if cold:  # an empty cache: black's output and compiled templates are made afresh
                cache = OUT / f"cache-{number}"
                shutil.rmtree(cache, ignore_errors=True)
                run_with["CODEGEN_CACHE_DIR"] = str(cache)
            result = run_env(build(out), run_with)
            last[label] = out
            return result

        return Series(label), once

    steps = [
        step("codegen", lambda out: [*tool("codegen"), "generate", str(source), "-o", str(out)]),
        step("fastapi-code-generator", lambda out: [str(fastapi_bin / "fastapi-codegen"), "--input",
                                                    str(source), "--output", str(out),
                                                    "--disable-timestamp"]),
        step("datamodel-code-generator", lambda out: [str(datamodel_bin / "datamodel-codegen"), "--input",
                                                      str(source), "--input-file-type", "openapi",
                                                      "--output", str(out / "models.py")], mkdir=True),
    ]
    if not args.no_cold:
        steps.append(step("codegen (cold cache)",
                          lambda out: [*tool("codegen"), "generate", str(source), "-o", str(out)], cold=True))
    if not args.no_pure_python:
        steps.append(step("codegen (pure-Python validator backend)",
                          lambda out: [*tool("codegen"), "generate", str(source), "-o", str(out)],
                          env={BACKEND_VARIABLE: "jsonschema"}))
    return steps, {"commands": commands, "last": last}


def run_env(cmd: list[str], env: dict[str, str] | None) -> Run:
    if not env:
        return run(cmd)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, text=True, check=False, env={**os.environ, **env})
    seconds = time.perf_counter() - start
    return Run(seconds, proc.returncode, proc.stderr, proc.returncode == 0)


def validator_backend() -> str:
    try:
        from openapi_spec_validator.schemas import get_validator_backend
    except ImportError:
        return "unknown"
    return get_validator_backend()


# A first generation in a fresh process, stage by stage (wall and CPU seconds, no profiler: cProfile
# inflates code that makes many small calls, such as the standard library's indenting JSON encoder).
_STAGES = """
import os, sys, time
clock = lambda: (time.perf_counter(), time.process_time())
start = clock()
def done(name, since):
    now = clock()
    print(f"  {now[0] - since[0]:6.3f} s wall {now[1] - since[1]:6.3f} s CPU  {name}")
    return now
import codegen.cli
from codegen import api
from codegen.format import format_sources, needs_black
from codegen.render.context import project_context
from codegen.render.project import render_project
from codegen.writer import write_new_tree
at = done("imports (codegen.cli, the reader, the renderer)", start)
spec = api.reflect(sys.argv[1])
at = done("api.reflect: the reader", at)
project_context(spec, {"auth": "apikey"}, "fastapi")
at = done("project_context (again inside the render below)", at)
rendered = render_project(spec, "fastapi", {"auth": "apikey"})
at = done("render_project: context and templates", at)
black = [path for path, text in rendered.items() if path.endswith(".py") and needs_black(text)]
files = format_sources(rendered)
at = done(f"format_sources: black on {len(black)} files {black}", at)
write_new_tree(__import__("pathlib").Path(sys.argv[2]), {p: t.encode() for p, t in files.items()})
at = done(f"write_new_tree: {len(files)} files", at)
done("all", start)
"""


def _stages(source: Path) -> None:
    out, cache = OUT / "codegen-stages", OUT / "cache-stages"
    for path in (out, cache):
        shutil.rmtree(path, ignore_errors=True)
    print("\nprofile: a first generation (empty cache) stage by stage, in a fresh process:")
    env = {**os.environ, "CODEGEN_CACHE_DIR": str(cache)}
    done = subprocess.run([sys.executable, "-c", _STAGES, str(source), str(out)], cwd=REPO, text=True,
                          capture_output=True, check=False, env=env)
    print(done.stdout.rstrip() or f"  FAILED: {done.stderr[-2000:]}")


def _profile(source: Path, top: int) -> None:
    """Where codegen's time goes: a first generation's stages, the reader's stages in process, then
    the whole CLI under cProfile."""
    _stages(source)
    from codegen import api
    from codegen.reflect import openapi_load

    api.reflect(str(source))  # imports
    stages: dict[str, float] = {}
    start = time.perf_counter()
    docs = openapi_load.Documents(source.resolve(), str(source))
    data = docs.load(docs.root)
    stages["reader: parse the YAML"] = time.perf_counter() - start
    start = time.perf_counter()
    version = openapi_load.detect_version(data, str(source))
    openapi_load.check_refs(docs)
    openapi_load.check_operations(docs, data)
    stages["reader: $refs, operationIds, path parameters"] = time.perf_counter() - start
    start = time.perf_counter()
    openapi_load.validate(docs, data, version)
    label = f"reader: validate (openapi-spec-validator, {validator_backend()} backend)"
    stages[label] = time.perf_counter() - start
    start = time.perf_counter()
    api.reflect(str(source))
    stages["api.reflect: all of the above plus building the spec"] = time.perf_counter() - start
    print("\nprofile: the reader, in process (imports done):")
    for name, seconds in stages.items():
        print(f"  {seconds:6.3f} s  {name}")
    out, prof = OUT / "codegen-profiled", OUT / "profile.prof"
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "codegen", "generate", str(source),
           "-o", str(out)]
    start = time.perf_counter()
    done = run(cmd)
    print(f"  {shown(cmd)}: {time.perf_counter() - start:.2f} s under cProfile (exit {done.returncode})")
    if not done.ok:
        print(f"  FAILED: {done.reason()}")
        return
    buffer = io.StringIO()
    pstats.Stats(str(prof), stream=buffer).sort_stats("cumulative").print_stats(top)
    lines = [line for line in buffer.getvalue().splitlines() if line.strip()]
    first = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    print(f"  top {top} by cumulative time (cProfile inflates; full: {shown([str(prof)])}):")
    for line in lines[first:]:
        print("   " + line.replace(str(REPO) + "/", "").replace(sys.prefix + "/lib/", ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each command (default 5)")
    parser.add_argument("--schemas", type=int, default=300, help="component schemas (default 300)")
    parser.add_argument("--paths", type=int, default=600, help="paths (default 600)")
    parser.add_argument("--no-cold", action="store_true",
                        help="skip the detail run of codegen with an empty cache (CODEGEN_CACHE_DIR)")
    parser.add_argument("--no-pure-python", action="store_true",
                        help="skip the detail run of codegen with the pure-Python validator backend")
    parser.add_argument("--profile", action="store_true", help="also show where codegen's time goes")
    parser.add_argument("--top", type=int, default=25, help="functions shown by --profile (default 25)")
    args = parser.parse_args(argv)

    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    source = OUT / "synthetic.yaml"
    source.write_text(yaml.safe_dump(synthetic(args.schemas, args.paths), sort_keys=False), encoding="utf-8")
    load_before = os.getloadavg()
    steps, info = _steps(source, args)
    interleave(steps, args.repeats)
    load_after = os.getloadavg()

    series = {s.label: s for s, _ in steps}
    ours = series["codegen"]
    name = f"openapi_{args.schemas}_schemas_{args.paths}_paths"
    print(figure_line(f"{name}_vs_fastapi-code-generator", ours, series["fastapi-code-generator"]))
    print(figure_line(f"{name}_vs_datamodel-code-generator", ours, series["datamodel-code-generator"]))
    for label, suffix in (("codegen (cold cache)", "cold_cache"),
                          ("codegen (pure-Python validator backend)", "pure_python_validator")):
        if label in series:
            for peer_label in ("fastapi-code-generator", "datamodel-code-generator"):
                print(figure_line(f"{name}_{suffix}_vs_{peer_label}", series[label], series[peer_label]))
    print(f"  codegen validator backend: {validator_backend()} "
          "(openapi-spec-validator's choice in this venv)")
    for label, s in series.items():
        if s.ok():
            out = info["last"].get(label)
            files, lines = output_size(out) if out is not None else (0, 0)
            print(f"  {label}: {s.spread()} over {len(s.times)} runs; wrote {files} files, {lines:,} lines")
        else:
            print(f"  {label}: FAILED ({s.failure})")
    print(f"  description: {shown([str(source)])}, {source.stat().st_size / 1024:.0f} KiB, "
          f"{args.schemas} schemas, {args.paths} paths, {args.paths * 2} operations")
    print(f"  load average: {', '.join(f'{x:.2f}' for x in load_before)} before, "
          f"{', '.join(f'{x:.2f}' for x in load_after)} after (1, 5, 15 min); {benchlib.machine()}")
    print("  commands (N: a fresh directory per run):")
    for label, cmd in info["commands"].items():
        print(f"    {label}: {shown(cmd)}")
    flags = [f"--repeats {args.repeats}"]
    flags += [f"--schemas {args.schemas}"] if args.schemas != 300 else []
    flags += [f"--paths {args.paths}"] if args.paths != 600 else []
    flags += ["--no-cold"] if args.no_cold else []
    flags += ["--no-pure-python"] if args.no_pure_python else []
    print(f"  reproduce: .venv/bin/python bench/bench_openapi.py {' '.join(flags)}")
    benchlib.save_results(OUT / "results.json", {
        "figure": name, "repeats": args.repeats, "validator_backend": validator_backend(),
        "load_before": load_before, "load_after": load_after,
        "series": [benchlib.series_data(s) for s in series.values()],
        "commands": {label: shown(cmd) for label, cmd in info["commands"].items()}})
    # keep the last output of each (for a look), drop the rest
    keep = set(info["last"].values())
    for path in OUT.iterdir():
        if path.is_dir() and path not in keep:
            shutil.rmtree(path, ignore_errors=True)
    if args.profile:
        _profile(source, args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
