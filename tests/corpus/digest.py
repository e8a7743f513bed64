"""A content digest of a warehouse's data views, to say "this changed nothing" or "equals a clean run".

Used by the corpus, fuzz and crash tests and by ``bench/crash.py``. Every view of the catalog is read
except ``ingested_files`` (which records each attempt, rejected ones included) and timestamp columns
ending in ``_at`` (when a row was loaded differs between two runs of the same input). Rows are sorted
by their text, so the digest does not depend on the order in which files were loaded.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

EXCLUDED_VIEWS = frozenset({"ingested_files"})


def view_digests(duckdb_file: Path, *, base_views: bool = True) -> dict[str, tuple[int, str]]:
    """Per view: (row count, sha256 of its sorted rows).

    ``base_views=False`` leaves out the ``ds_*`` views: they read every Parquet file on disk, so they show
    the files of a run in progress before its commit; the contract views join the committed ledger.
    """
    out: dict[str, tuple[int, str]] = {}
    with duckdb.connect(str(duckdb_file), read_only=True) as con:
        views = [
            v if schema == "main" else f"{schema}.{v}"
            for (schema, v) in con.execute(
                "SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal ORDER BY 1, 2"
            ).fetchall()
        ]
        for view in views:
            if view in EXCLUDED_VIEWS or (not base_views and view.startswith("internal.ds_")):
                continue
            columns = [c for (c, *_) in con.execute(f"DESCRIBE {view}").fetchall() if not c.endswith("_at")]
            select = ", ".join(f'"{c}"' for c in columns)
            rows = con.execute(f"SELECT {select} FROM {view}").fetchall()
            h = hashlib.sha256()
            for text in sorted(repr(r) for r in rows):
                h.update(text.encode())
                h.update(b"\n")
            out[view] = (len(rows), h.hexdigest())
    return out


def data_digest(duckdb_file: Path, *, base_views: bool = True) -> str:
    """One digest over :func:`view_digests`."""
    h = hashlib.sha256()
    for view, (rows, digest) in sorted(view_digests(duckdb_file, base_views=base_views).items()):
        h.update(f"{view}:{rows}:{digest}\n".encode())
    return h.hexdigest()
