"""Reconciliation (照合) and the wheeling-charge breakdown (託送料金の内訳) — issue 7.

The step after ``warehouse`` in the data flow (pull → land → validate → parse → load → **reconcile** →
report). Pure calculation at the core (``rounding``, ``rules``, ``tariff``, ``charges``), DuckDB and
files at the edges (``checks``, ``compute``, ``report``). See ``docs/reconciliation.md``.
"""
