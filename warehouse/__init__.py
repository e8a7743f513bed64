"""The warehouse: Parquet datasets (store of record), the file ledger, and the DuckDB catalog of views.

Middle layer. May import: ``core`` and the parsers (``parsers.bp_xml``, ``parsers.csv_forms``); never
``reconcile`` (the catalog is handed the reconciliation views as builders), ``flows`` or ``takuso``.
"""

from core.memory import prefer_jemalloc

prefer_jemalloc()  # before anything imports pyarrow (core.memory)
