"""`python -m etl list` and `python -m etl run [JOB ...] [--full-refresh]`.

Exit codes, for schedulers: 0 every job succeeded; 1 at least one job failed (the others
still ran; each printed its JSON line); 2 usage error (unknown job, bad option): nothing
ran.
"""

from __future__ import annotations

import argparse
import os
import sys

from etl.jobs import ENGINE, JOBS
from etl.runtime import run_jobs

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m etl", description="Run the ETL jobs of this project."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "list", help="list the jobs: name, mode, cursor, write disposition, schedule"
    )
    run = commands.add_parser("run", help="run jobs (all of them when none is named)")
    run.add_argument(
        "jobs", nargs="*", metavar="JOB", help="job names (default: every job)"
    )
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="reload everything and reset the cursor",
    )
    run.add_argument(
        "--engine",
        choices=("local", "dask"),
        default=None,
        help=f"where rows are read and transformed (default: ETL_ENGINE or {ENGINE})",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """The command line; returns the exit code."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        return EXIT_OK if exc.code == 0 else EXIT_USAGE
    if args.command == "list":
        for job in JOBS:
            cursor = job.cursor or "-"
            print(
                f"{job.name}\t{job.mode}\t{cursor}\t{job.write_disposition}\t"
                f"{job.schedule or '-'}"
            )
        return EXIT_OK
    by_name = {job.name: job for job in JOBS}
    unknown = [name for name in args.jobs if name not in by_name]
    if unknown:
        print(
            f"etl: unknown job(s): {', '.join(unknown)} (see `python -m etl list`)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    engine = args.engine or os.environ.get("ETL_ENGINE") or ENGINE
    if engine not in ("local", "dask"):
        print(f"etl: unknown ETL_ENGINE {engine!r} (local or dask)", file=sys.stderr)
        return EXIT_USAGE
    selected = [by_name[name] for name in args.jobs] if args.jobs else list(JOBS)
    results = run_jobs(selected, full_refresh=args.full_refresh, engine=engine)
    return EXIT_OK if all(result.status == "ok" for result in results) else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
