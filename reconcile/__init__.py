"""Reconciliation (照合) and the wheeling-charge breakdown (託送料金の内訳).

The step after ``warehouse`` in the data flow (pull → land → validate → parse → load → **reconcile** →
report). Pure calculation at the core (``rounding``, ``rules``, ``tariff``, ``charges``), DuckDB and
files at the edges (``periods``, ``checks``, ``compute``, ``result``, ``report``). See
``docs/reconciliation.md``.

Middle layer. May import: ``core`` and ``warehouse.charges`` (the one declaration of the charges
dataset); it reads the warehouse through the views of a DuckDB connection it is given. Never ``flows``
or ``takuso``; ``warehouse`` never imports it.

Import the module you need (``reconcile.checks``, ``reconcile.result``, …): the package itself imports
nothing, so building the catalog's reconciliation views does not load the report, the charges and the
tariffs with them.
"""
