"""Shared helpers of the benchmark scripts: run commands, time them interleaved, print figure lines.

Benchmarks measure, they assert nothing. The machine is small and noisy, so every comparison is
measured in one run, the commands of a comparison take turns repeat by repeat (in alternating
order), a first warm-up run of each is thrown away, and the figure is the median of the repeats.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"


def tool(name: str) -> list[str]:
    """The console script `name` of the running interpreter's environment (the repo's .venv)."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return [str(candidate)]
    if name == "codegen":
        return [sys.executable, "-c", "from codegen.cli import main; main()"]
    return [name]


def shown(cmd: Sequence[str]) -> str:
    """A command as a user would type it from the repository root."""
    parts = []
    for part in cmd:
        for root in (str(REPO) + os.sep, "sqlite:///" + str(REPO) + os.sep):
            if part.startswith(root):
                part = ("sqlite:///" if part.startswith("sqlite:") else "") + part[len(root):]
        parts.append(part)
    if parts and parts[0] == sys.executable:
        parts[0] = ".venv/bin/python" if ".venv" in sys.executable else "python"
    return shlex.join(parts)


@dataclass
class Run:
    """One finished command."""

    seconds: float
    returncode: int
    stderr: str
    ok: bool = True

    def reason(self) -> str:
        lines = [line for line in self.stderr.strip().splitlines() if line.strip()]
        return lines[-1].strip() if lines else "(no message)"


def run(cmd: Sequence[str], ok_codes: Sequence[int] = (0,)) -> Run:
    """Run a command from the repository root, output discarded, and time it end to end."""
    start = time.perf_counter()
    proc = subprocess.run(list(cmd), cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, text=True, check=False)
    seconds = time.perf_counter() - start
    return Run(seconds, proc.returncode, proc.stderr, proc.returncode in ok_codes)


def command_available(cmd: Sequence[str]) -> tuple[bool, str]:
    """Whether `cmd --help` works: (True, "") or (False, why not)."""
    proc = subprocess.run([*cmd, "--help"], cwd=REPO, capture_output=True, text=True, check=False,
                          stdin=subprocess.DEVNULL)
    if proc.returncode == 0:
        return True, ""
    lines = [line.strip(" │╭╮╰╯─\t") for line in (proc.stderr + proc.stdout).splitlines()]
    lines = [line for line in lines if line]
    message = next((line for line in lines if "No such command" in line), lines[-1] if lines else "")
    return False, f"`{shown([*cmd, '--help'])}` exits {proc.returncode}: {message}"


@dataclass
class Series:
    """The timings of one measured thing."""

    label: str
    times: list[float] = field(default_factory=list)
    failure: str | None = None
    codes: list[int] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    def spread(self) -> str:
        return f"{min(self.times):.2f}-{max(self.times):.2f} s"

    def ok(self) -> bool:
        return self.failure is None and bool(self.times)


def interleave(steps: Sequence[tuple[Series, Callable[[], Run]]], repeats: int, warmup: bool = True) -> None:
    """Run every step `repeats` times, taking turns in alternating order; a failed step stops early."""
    if warmup:
        for series, step in steps:
            result = step()
            if not result.ok:
                series.failure = f"exit {result.returncode}: {result.reason()}"
    for repeat in range(repeats):
        order = list(steps) if repeat % 2 == 0 else list(steps)[::-1]
        for series, step in order:
            if series.failure is not None:
                continue
            result = step()
            if not result.ok:
                series.failure = f"exit {result.returncode}: {result.reason()}"
                continue
            series.times.append(result.seconds)
            series.codes.append(result.returncode)


def median_of(series: Series) -> str:
    return f"{series.median:.2f} s (median of {len(series.times)})"


def figure_line(name: str, ours: Series, peer: Series | None) -> str:
    """`name: codegen X s (median of N) vs peer Y s (median of N) -> Z.ZZx faster`."""
    if not ours.ok():
        line = f"{name}: {ours.label} FAILED ({ours.failure})"
        if peer is not None and peer.ok():
            line += f"; {peer.label} {median_of(peer)}"
        return line
    line = f"{name}: {ours.label} {median_of(ours)}"
    if peer is None:
        return line
    if not peer.ok():
        return f"{line}; {peer.label} FAILED ({peer.failure}), no ratio"
    ratio = peer.median / ours.median
    verdict = f"{ratio:.2f}x faster" if ratio >= 1 else f"{1 / ratio:.2f}x slower"
    return f"{line} vs {peer.label} {median_of(peer)} -> {verdict}"


def machine() -> str:
    """A one-line description of this machine."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = os.cpu_count()
    return f"{cores} cores{' (' + model + ')' if model else ''}, Python {platform.python_version()}"


def save_results(path: Path, results: dict[str, object]) -> None:
    """Keep the figures of a run as JSON under bench/out/ (for writing docs/benchmarks.md)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    results = {"date": time.strftime("%Y-%m-%d %H:%M"), "machine": machine(), **results}
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def series_data(series: Series) -> dict[str, object]:
    return {"label": series.label, "times": [round(t, 4) for t in series.times],
            "median": round(series.median, 4) if series.times else None,
            "exit_codes": sorted(set(series.codes)),
            "failure": series.failure}
