"""Store recomputed wheeling charges (託送料金) so that the view ``wheeling_charges`` shows them.

Charges are derived data: recomputing a month replaces that month's file (``charges/month=YYYY-MM``);
the source files they come from are never touched.
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq

from core.files import atomic_target
from core.paths import WarehouseLayout
from warehouse.store import PARQUET_OPTIONS, month_dir


def store_charges(layout: WarehouseLayout, month: date, charges: pa.Table) -> None:
    """Replace the stored charges of ``month`` (the caller holds the writer lock, then rebuilds the catalog)."""
    target = layout.datasets / "charges" / f"month={month_dir(month)}" / "charges.parquet"
    with atomic_target(target) as fh:
        pq.write_table(charges, fh, **PARQUET_OPTIONS)
