"""Benchmark: `codegen generate --target fastapi` (and regenerate / check) beside `sqlacodegen`.

    .venv/bin/python bench/bench_generate.py                 # 300 tables, 5 repeats
    .venv/bin/python bench/bench_generate.py --repeats 3 --skip-regenerate

Measured in one run, interleaved, the median of the repeats (after one warm-up run each):
  generate    codegen generate sqlite:///bench/out/synth300.sqlite --target fastapi -o DIR
              (a fresh DIR under bench/out/generate/ for every run)
              beside sqlacodegen sqlite:///bench/out/synth300.sqlite --outfile models.py (models only)
  regenerate  on a project generated from a copy of the database, after `synth_db.py --mutate` of
              that copy (one column added to table 17): codegen check DIR (drift found),
              codegen regenerate DIR, codegen check DIR (up to date), each beside sqlacodegen on
              the mutated copy.
A command the CLI does not have yet is reported as `not available yet`, never as a crash.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import benchlib
import synth_db
from benchlib import Run, Series, command_available, figure_line, interleave, run, shown, tool

OUT = benchlib.OUT_DIR / "generate"


def _fresh(path: Path) -> Path:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
    return path


def _count_files(root: Path) -> tuple[int, int]:
    files = [p for p in root.rglob("*") if p.is_file()]
    lines = 0
    for path in files:
        if path.suffix in (".py", ".toml", ".md", ".txt", ".yaml", ".yml", ".cfg", ".ini"):
            lines += len(path.read_bytes().splitlines())
    return len(files), lines


class Counter:
    """Hands out fresh numbered paths, so that no run reuses another's output."""

    def __init__(self) -> None:
        self.n = 0

    def next(self, stem: str) -> Path:
        self.n += 1
        return OUT / f"{stem}{self.n:02d}"


def bench_generate(url: str, args: argparse.Namespace, codegen: list[str], sqlacodegen: list[str],
                   counter: Counter, results: dict[str, object]) -> Path | None:
    """Time `codegen generate` beside sqlacodegen; return one generated project (or None)."""
    label = f"generate_{args.tables}_tables"
    available, why = command_available([*codegen, "generate"])
    if not available:
        print(f"{label}: codegen generate not available yet ({why})")
        results[label] = {"available": False, "why": why}
        return None
    last: list[Path] = []

    def generate() -> Run:
        out = _fresh(counter.next("project"))
        last.append(out)
        return run([*codegen, "generate", url, "--target", "fastapi", "-o", str(out)])

    ours = Series("codegen generate --target fastapi")
    peer = Series("sqlacodegen (models only)")
    peer_cmd = [*sqlacodegen, url, "--outfile", str(OUT / "sqlacodegen_models.py")]
    steps = [(ours, generate)]
    if not args.no_peer:
        steps.append((peer, lambda: run(peer_cmd)))
    interleave(steps, args.repeats)
    print(figure_line(label, ours, None if args.no_peer else peer))
    project = last[-1] if ours.ok() and last else None
    if project is not None:
        files, lines = _count_files(project)
        print(f"  output: {files} files, {lines} lines of text in {shown([str(project)])}")
    example = [*codegen, "generate", url, "--target", "fastapi", "-o", str(OUT / "projectNN")]
    print(f"  codegen:     {shown(example)}")
    if not args.no_peer:
        print(f"  sqlacodegen: {shown(peer_cmd)}")
    results[label] = {"available": True, "codegen": shown(example), "sqlacodegen": shown(peer_cmd),
                      "series": [benchlib.series_data(s) for s in (ours, peer)]}
    return project


def bench_regenerate(pristine: Path, args: argparse.Namespace, codegen: list[str], sqlacodegen: list[str],
                     counter: Counter, results: dict[str, object]) -> None:
    """Time check (drift) / regenerate / check (clean) after one table changed, beside sqlacodegen."""
    prefix = f"regenerate_{args.tables}_tables"
    missing = []
    for command in ("generate", "regenerate", "check"):
        available, why = command_available([*codegen, command])
        if not available:
            missing.append((command, why))
    if missing:
        for command, why in missing:
            print(f"{prefix}: codegen {command} not available yet ({why})")
        results[prefix] = {"available": False, "missing": [m[0] for m in missing]}
        return
    work_db = OUT / "mutated.sqlite"
    url = synth_db.sqlite_url(work_db)
    check_drift = Series("codegen check (after the change)")
    regenerate = Series("codegen regenerate")
    check_clean = Series("codegen check (after regenerate)")
    peer = Series("sqlacodegen (models only)")
    peer_cmd = [*sqlacodegen, url, "--outfile", str(OUT / "sqlacodegen_mutated.py")]
    setup_seconds: list[float] = []

    def one_round(warm: bool) -> bool:
        """Fresh db copy -> generate (untimed) -> mutate -> timed commands. False on a failure."""
        start = time.perf_counter()
        shutil.copyfile(pristine, _fresh(work_db))
        project = _fresh(counter.next("regen"))
        made = run([*codegen, "generate", url, "--target", "fastapi", "-o", str(project)])
        if not made.ok:
            why = f"setup `codegen generate` exit {made.returncode}: {made.reason()}"
            for series in (check_drift, regenerate, check_clean):
                series.failure = why
            return False
        synth_db.mutate(url)
        setup_seconds.append(time.perf_counter() - start)
        # check exits 1 when it finds differences: both 0 and 1 are answers, 2 is an error.
        steps = [
            (check_drift, lambda: run([*codegen, "check", str(project)], ok_codes=(0, 1))),
            (regenerate, lambda: run([*codegen, "regenerate", str(project)])),
            (check_clean, lambda: run([*codegen, "check", str(project)], ok_codes=(0, 1))),
        ]
        if not args.no_peer:
            steps.append((peer, lambda: run(peer_cmd)))
        # The codegen steps must run in this order (they change the project); sqlacodegen
        # goes first or last by turns.
        ordered = steps if counter.n % 2 else steps[-1:] + steps[:-1]
        for series, step in ordered:
            if series.failure is not None:
                return False
            result = step()
            if not result.ok:
                series.failure = f"exit {result.returncode}: {result.reason()}"
                return False
            if not warm:
                series.times.append(result.seconds)
                series.codes.append(result.returncode)
        return True

    if one_round(warm=True):
        for _ in range(args.repeats):
            if not one_round(warm=False):
                break
    peer_or_none = None if args.no_peer else peer
    measured = (("check_drift", check_drift), ("regenerate", regenerate), ("check_clean", check_clean))
    for name, series in measured:
        line = figure_line(f"{prefix}_{name}", series, peer_or_none)
        if series.ok():
            line += f" [exit {'/'.join(str(c) for c in sorted(set(series.codes)))}]"
        print(line)
    if setup_seconds:
        print(f"  setup per round (untimed above): copy db + codegen generate + mutate, "
              f"median {sorted(setup_seconds)[len(setup_seconds) // 2]:.2f} s")
    print(f"  change: {shown([sys.executable, 'bench/synth_db.py', '--mutate', str(work_db)])} "
          f"(adds {synth_db.MUTATE_COLUMN} to {synth_db.table_name(synth_db.MUTATE_TABLE_INDEX)})")
    print(f"  codegen:     {shown([*codegen, 'check', str(OUT / 'regenNN')])}; "
          f"{shown([*codegen, 'regenerate', str(OUT / 'regenNN')])}")
    if not args.no_peer:
        print(f"  sqlacodegen: {shown(peer_cmd)}")
    results[prefix] = {"available": True,
                       "series": [benchlib.series_data(s)
                                  for s in (check_drift, regenerate, check_clean, peer)]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tables", type=int, default=synth_db.DEFAULT_TABLES, help="tables (default 300)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each command (default 5)")
    parser.add_argument("--no-peer", action="store_true", help="do not run sqlacodegen")
    parser.add_argument("--skip-regenerate", action="store_true", help="time generate only")
    parser.add_argument("--keep", action="store_true",
                        help="keep the generated projects under bench/out/generate/")
    args = parser.parse_args(argv)

    pristine = synth_db.OUT_DIR / f"synth{args.tables}.sqlite"
    start = time.perf_counter()
    if synth_db.ensure_sqlite(pristine, args.tables):
        print(f"built {shown([str(pristine)])} ({args.tables} tables) in {time.perf_counter() - start:.2f} s")
    else:
        print(f"reusing {shown([str(pristine)])} ({args.tables} tables)")
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    codegen, sqlacodegen = tool("codegen"), tool("sqlacodegen")
    print(f"{args.repeats} repeats, interleaved (machine: {benchlib.machine()})\n")
    counter = Counter()
    results: dict[str, object] = {"repeats": args.repeats}
    bench_generate(synth_db.sqlite_url(pristine), args, codegen, sqlacodegen, counter, results)
    if not args.skip_regenerate:
        bench_regenerate(pristine, args, codegen, sqlacodegen, counter, results)
    print(f"  reproduce: .venv/bin/python bench/bench_generate.py --tables {args.tables} "
          f"--repeats {args.repeats}")
    benchlib.save_results(OUT.parent / "generate_results.json", results)
    if not args.keep:
        for path in OUT.glob("project*"):
            shutil.rmtree(path, ignore_errors=True)
        for path in OUT.glob("regen*"):
            shutil.rmtree(path, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
