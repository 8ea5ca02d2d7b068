"""`python -m etl.reader JOB WHERE`: stream a job's source rows to stdout as Arrow IPC.

The runner reads the source in this child process while it transforms and loads in its own:
the database driver holds the interpreter lock while it decodes rows, so reading in the same
process would leave DuckDB waiting; in two processes reading and loading overlap.
"""

from __future__ import annotations

import sys

import pyarrow as pa

from etl.jobs import JOBS
from etl.sources import Source


def main(argv: list[str]) -> int:
    """Write the rows of job `argv[0]` matching the WHERE `argv[1]` to stdout; the exit code."""
    job = {job.name: job for job in JOBS}[argv[0]]
    source = Source()
    try:
        batches = source.batches(job, argv[1])
        first = next(batches, None)
        schema = first.schema if first is not None else source.empty_schema(job)
        with pa.ipc.new_stream(sys.stdout.buffer, schema) as writer:
            if first is not None:
                writer.write_batch(first)
            for batch in batches:
                writer.write_batch(batch)
    finally:
        source.close()
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
