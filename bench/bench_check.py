"""Benchmark: `codegen check` and `codegen regenerate` on the 300-table database after one table changed.

    .venv/bin/python bench/bench_check.py                        # 300 tables, 5 rounds
    .venv/bin/python bench/bench_check.py --repeats 9 --cache cold
    .venv/bin/python bench/bench_check.py --baseline /tmp/before  # beside an older tree, same run
  .venv/bin/python bench/bench_check.py --current /tmp/after --baseline /tmp/before   # two snapshots

Each round, for each code tree measured (this one, and `--baseline DIR` if given: a folder holding an
older `codegen/` and `templates/`, run with PYTHONPATH=DIR), in alternating order:

  1. copy bench/out/synth<N>.sqlite to a work file and `codegen generate` a FastAPI project from it
     (untimed);
  2. `synth_db.py --mutate --column added_note_NN` the work file (untimed): one column added to
     table 17, named after the round, so that every round's change is new to the caches;
  3. time, as CLI subprocesses, end to end:
       check_drift   codegen check DIR        (the change is found: exit 1)
       regenerate    codegen regenerate DIR   (exit 0)
       check_clean   codegen check DIR        (up to date: exit 0)

The figure of each step is the median of the rounds after one warm-up round: wall time, and beside
it the CPU time (user + system) of the codegen process, steadier than wall time on a shared machine.
The exit codes are checked (anything else is a failure), and the answers of the trees are compared
with each other (their stdout, with the project's path masked), so a faster tree that answers
differently shows.

Caches (`CODEGEN_CACHE_DIR`, one folder per tree under bench/out/check/):
  --cache warm  (default) the folder lives for the whole run, as on a developer's machine: what
                `generate` and earlier commands stored is there;
  --cache cold  the folder is emptied before every timed command: nothing computed earlier helps
                (a CI runner without a cache).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import shutil
import subprocess
import sys
import time
from pathlib import Path

import benchlib
import synth_db
from benchlib import REPO, Series, median_of, shown

OUT = benchlib.OUT_DIR / "check"
STEPS = ("check_drift", "regenerate", "check_clean")
EXPECTED = {"check_drift": (1,), "regenerate": (0,), "check_clean": (0,)}


class Tree:
    """One code tree to measure: its command line, environment and cache folder."""

    def __init__(self, label: str, root: Path | None) -> None:
        self.label = label
        self.root = root
        self.cache = OUT / f"cache-{label}"
        self.series = {step: Series(f"{label} {step}") for step in STEPS}
        self.cpu: dict[str, list[float]] = {step: [] for step in STEPS}  # user + system seconds
        self.last_cpu = 0.0
        self.answers: dict[str, str] = {}
        self.setup: list[float] = []

    def command(self, *args: str) -> list[str]:
        if self.root is None:
            return [*benchlib.tool("codegen"), *args]
        # -P: the repository (the working directory) must not shadow PYTHONPATH's tree
        return [sys.executable, "-P", "-c", "from codegen.cli import main; main()", *args]

    def env(self) -> dict[str, str]:
        env = dict(os.environ, CODEGEN_CACHE_DIR=str(self.cache))
        if self.root is not None:
            env["PYTHONPATH"] = str(self.root) + os.pathsep + env.get("PYTHONPATH", "")
        return env

    def run(self, *args: str) -> tuple[float, int, str, str]:
        """Run codegen; (wall seconds, exit code, stdout, stderr). Its CPU seconds go to `last_cpu`."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(self.command(*args), cwd=REPO, env=self.env(), capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, check=False)
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.last_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return seconds, proc.returncode, proc.stdout, proc.stderr


def _fresh(path: Path) -> Path:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
    return path


def _masked(text: str, project: Path) -> str:
    return re.sub(re.escape(str(project)), "DIR", text)


def _column(number: int) -> str:
    """Round N adds its own column: a schema no earlier round (nor its cache entries) has seen."""
    return f"{synth_db.MUTATE_COLUMN}_{number:02d}"


def one_round(tree: Tree, pristine: Path, number: int, cold: bool, timed: bool,
              steps: tuple[str, ...] = STEPS) -> bool:
    """Generate, mutate, then time the three steps for one tree; False on a failure."""
    start = time.perf_counter()
    work_db = OUT / f"work-{tree.label}.sqlite"
    shutil.copyfile(pristine, _fresh(work_db))
    project = _fresh(OUT / f"project-{tree.label}-{number:02d}")
    url = synth_db.sqlite_url(work_db)
    _, code, _, err = tree.run("generate", url, "--target", "fastapi", "-o", str(project))
    if code != 0:
        for series in tree.series.values():
            series.failure = f"setup `codegen generate` exit {code}: {err.strip().splitlines()[-1:]}"
        return False
    synth_db.mutate(url, _column(number))
    tree.setup.append(time.perf_counter() - start)
    for step in steps:
        series = tree.series[step]
        if cold:
            _fresh(tree.cache)
        command = "regenerate" if step == "regenerate" else "check"
        seconds, code, out, err = tree.run(command, str(project))
        if code not in EXPECTED[step]:
            said = (err.strip() or out.strip()).splitlines() or ["(no message)"]
            for other in tree.series.values():
                other.failure = f"{step} exit {code}: {said[-1]}"
            return False
        tree.answers[step] = _masked(out + err, project)
        if timed:
            series.times.append(seconds)
            series.codes.append(code)
            tree.cpu[step].append(tree.last_cpu)
    shutil.rmtree(project, ignore_errors=True)
    return True


_PROFILE = """
import cProfile, pstats, sys, time
from pathlib import Path
start = time.perf_counter()
from codegen import update
import codegen.cli, codegen.reflect.database, codegen.render.project
print(f"imports (codegen.cli, update, reflection, rendering): {time.perf_counter() - start:.2f} s")
cProfile.run("update.check(Path(sys.argv[1]))", sys.argv[2])
pstats.Stats(sys.argv[2]).sort_stats("cumulative").print_stats(28)
"""


def profile_check(tree: Tree, pristine: Path) -> None:
    """cProfile of `update.check` in-process, after a change no cache has seen (imports timed apart)."""
    work_db = OUT / f"work-{tree.label}.sqlite"
    shutil.copyfile(pristine, _fresh(work_db))
    project = _fresh(OUT / f"project-{tree.label}-profile")
    url = synth_db.sqlite_url(work_db)
    tree.run("generate", url, "--target", "fastapi", "-o", str(project))
    synth_db.mutate(url, f"{synth_db.MUTATE_COLUMN}_profile_{os.getpid()}")
    output = OUT / "check_profile.prof"
    command = [sys.executable, "-P", "-c", _PROFILE, str(project), str(output)]
    proc = subprocess.run(command, cwd=REPO, env=tree.env(), capture_output=True, text=True, check=False)
    print(f"\nprofile of one check after a new change ({tree.label}; saved to {shown([str(output)])}):")
    print(proc.stdout[-6000:] or proc.stderr[-2000:])
    shutil.rmtree(project, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tables", type=int, default=synth_db.DEFAULT_TABLES, help="tables (default 300)")
    parser.add_argument("--repeats", type=int, default=5, help="timed rounds (default 5)")
    parser.add_argument("--cache", choices=("warm", "cold"), default="warm",
                        help="keep codegen's cache folder for the run (warm) or empty it before each command")
    parser.add_argument("--baseline", type=Path,
                        help="a folder with an older codegen/ and templates/ to time beside this tree")
    parser.add_argument("--profile", action="store_true",
                        help="then cProfile one `check` after a new change (current tree), top functions")
    parser.add_argument("--no-check-first", action="store_true",
                        help="time regenerate straight after the change (no check before it)")
    parser.add_argument("--current", type=Path,
                        help="run this folder's codegen/ and templates/ instead of the repository's "
                             "(a snapshot, so that edits made during the run do not change the answers)")
    args = parser.parse_args(argv)

    pristine = synth_db.OUT_DIR / f"synth{args.tables}.sqlite"
    if synth_db.ensure_sqlite(pristine, args.tables):
        print(f"built {shown([str(pristine)])} ({args.tables} tables)")
    OUT.mkdir(parents=True, exist_ok=True)
    trees = [Tree("current", args.current.resolve() if args.current else None)]
    for folder in (args.baseline, args.current):
        if folder is not None and not (folder / "codegen" / "__init__.py").is_file():
            parser.error(f"{folder}: no codegen/ package there")
    if args.baseline is not None:
        trees.append(Tree("baseline", args.baseline.resolve()))
    for tree in trees:
        _fresh(tree.cache)
    load = os.getloadavg()
    print(f"{args.repeats} rounds after 1 warm-up, cache {args.cache}, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (machine: {benchlib.machine()})\n")

    steps = STEPS[1:] if args.no_check_first else STEPS
    for number in range(args.repeats + 1):
        order = trees if number % 2 == 0 else trees[::-1]
        for tree in order:
            if all(s.failure is None for s in tree.series.values()):
                one_round(tree, pristine, number, args.cache == "cold", timed=number > 0, steps=steps)

    results: dict[str, object] = {"repeats": args.repeats, "cache": args.cache, "tables": args.tables,
                                  "steps": list(steps)}
    for step in steps:
        ours = trees[0].series[step]
        peer = trees[1].series[step] if len(trees) > 1 else None
        name = f"{step}_{args.tables}_tables_{args.cache}{'_no_check_first' if args.no_check_first else ''}"
        if not ours.ok():
            print(f"{name}: current FAILED ({ours.failure})")
            continue
        line = f"{name}: current {median_of(ours)}, spread {ours.spread()}"
        if peer is not None:
            if peer.ok():
                ratio = peer.median / ours.median
                line += f" vs baseline {median_of(peer)}, spread {peer.spread()} -> {ratio:.2f}x faster"
            else:
                line += f" (baseline FAILED: {peer.failure})"
        cpu = [statistics.median(tree.cpu[step]) for tree in trees if tree.cpu[step]]
        if len(cpu) == len(trees):
            line += f"; CPU (user+sys) {cpu[0]:.2f} s" + (f" vs {cpu[1]:.2f} s -> {cpu[1] / cpu[0]:.2f}x"
                                                         if len(cpu) > 1 else "")
        print(line)
        results[step] = [{**benchlib.series_data(tree.series[step]),
                          "cpu": [round(c, 4) for c in tree.cpu[step]]} for tree in trees]
    if len(trees) > 1:
        for step in steps:
            a, b = trees[0].answers.get(step), trees[1].answers.get(step)
            if a is not None and b is not None and a != b:
                print(f"  WARNING: {step}: the trees answered differently:\n    current:  {a!r}\n"
                      f"    baseline: {b!r}")
    for tree in trees:
        if tree.setup:
            print(f"  {tree.label}: setup per round (copy db + generate + mutate, untimed) "
                  f"median {sorted(tree.setup)[len(tree.setup) // 2]:.2f} s")
    load = os.getloadavg()
    print(f"  load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    change = [sys.executable, "bench/synth_db.py", "--mutate", "--column", _column(1),
              str(OUT / "work-current.sqlite")]
    print(f"  change: {shown(change)} (round N adds {_column(0)[:-2]}NN)")
    print(f"  commands: {shown(trees[0].command('check', str(OUT / 'project-current-NN')))}; "
          f"{shown(trees[0].command('regenerate', str(OUT / 'project-current-NN')))}")
    again = ["bench/bench_check.py", "--tables", str(args.tables), "--repeats", str(args.repeats),
             "--cache", args.cache, *(["--no-check-first"] if args.no_check_first else [])]
    for flag, folder in (("--current", args.current), ("--baseline", args.baseline)):
        if folder is not None:
            again += [flag, str(folder)]
    print(f"  reproduce: .venv/bin/python {shown(again)}")
    if args.profile:
        profile_check(trees[0], pristine)
    suffix = "_no_check_first" if args.no_check_first else ""
    benchlib.save_results(OUT.parent / f"check_results_{args.cache}{suffix}.json", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
