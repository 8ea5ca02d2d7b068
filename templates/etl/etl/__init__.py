"""ETL jobs: move every resource of the source database into an analytics destination.

`python -m etl list`, `python -m etl run [JOB ...] [--full-refresh]`; see etl/README.md.
"""
