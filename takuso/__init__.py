"""takuso: fetch, validate and load Japanese wheeling (託送) data into Parquet and DuckDB.

This package is the command-line interface only (``cli``, ``commands``), the top layer. May import:
every other folder of the project; nothing of the project imports it.
"""

__version__ = "0.1.0"
