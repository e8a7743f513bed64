"""takuso: fetch, validate and load Japanese wheeling (託送) data into Parquet and DuckDB.

This package is the command-line interface only (``cli``, ``commands``), the top layer. May import:
every other folder of the project; nothing of the project imports it.
"""

from core.memory import prefer_jemalloc

prefer_jemalloc()  # before anything imports pyarrow (core.memory)

__version__ = "0.1.0"
