"""Reconciliation (照合) and the wheeling-charge breakdown (託送料金の内訳).

The step after ``warehouse`` in the data flow (pull → land → validate → parse → load → **reconcile** →
report). Pure calculation at the core (``rounding``, ``rules``, ``tariff``, ``charges``), DuckDB and
files at the edges (``periods``, ``checks``, ``compute``, ``result``, ``report``). See
``docs/reconciliation.md``.

Middle layer. May import: ``core`` and ``warehouse.charges`` (the one declaration of the charges
dataset); it reads the warehouse through the views of a DuckDB connection it is given. Never ``flows``
or ``takuso``; ``warehouse`` never imports it.
"""

from reconcile.charges import ChargeInput, ChargeLine, calculate_charge, calculate_charges
from reconcile.checks import create_reconciliation_views
from reconcile.compute import compute_wheeling_charges
from reconcile.contract import SupplyPointContract
from reconcile.report import write_report
from reconcile.result import ReconciliationResult, build_reconciliation
from reconcile.tariff import TariffError, TariffTable, load_tariffs

__all__ = [
    "ChargeInput",
    "ChargeLine",
    "ReconciliationResult",
    "SupplyPointContract",
    "TariffError",
    "TariffTable",
    "build_reconciliation",
    "calculate_charge",
    "calculate_charges",
    "compute_wheeling_charges",
    "create_reconciliation_views",
    "load_tariffs",
    "write_report",
]
