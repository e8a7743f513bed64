"""takuso: fetch, validate and load Japanese wheeling (託送) data into Parquet and DuckDB."""

__version__ = "0.1.0"
