"""A SQLite file's schema as one digest, read without SQLAlchemy, to key cached reflections.

SQLite keeps a database's whole schema as the SQL text in `sqlite_master` (every PRAGMA that
reflection reads derives from it), so two files with the same rows there reflect the same, data
aside. The fingerprint covers every row, in order, and the SQLite library's version.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from pathlib import Path
from urllib.parse import quote

# `sqlite:///relative/file` or `sqlite:////absolute/file`, optionally `+pysqlite`, nothing else: no
# query, no percent-escapes, no user or host (for those, nothing is fingerprinted, nothing cached).
_PLAIN_SQLITE_URL = re.compile(r"sqlite(?:\+pysqlite)?:///(?P<path>[^?#%]+)")


def sqlite_file(url: str) -> Path | None:
    """The file a plain `sqlite:///` URL names, or None for any other URL."""
    match = _PLAIN_SQLITE_URL.fullmatch(url)
    if match is None or match["path"] in (":memory:",) or match["path"].startswith("file:"):
        return None
    return Path(match["path"])


def schema_fingerprint(url: str) -> str | None:
    """SHA-256 of every row of the file's sqlite_master (type, name, table, SQL), or None.

    None when the URL is not a plain SQLite file URL or the file cannot be read: a partial
    fingerprint never stands for a schema.
    """
    path = sqlite_file(url)
    if path is None or not path.is_file():
        return None
    try:
        connection = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
        try:
            rows = connection.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
            temporary = connection.execute("SELECT count(*) FROM sqlite_temp_master").fetchone()
        finally:
            connection.close()
    except sqlite3.Error:
        return None
    text = json.dumps([sqlite3.sqlite_version, rows, temporary], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
