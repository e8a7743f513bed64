"""The warehouse: Parquet datasets (store of record), the file ledger, and the DuckDB catalog of views."""
