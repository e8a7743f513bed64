"""Deterministic sample data: BP XML files (``bp``) and the three CSV forms (``csv_forms``).

``python -m sample_data --help`` generates a set; ``sample_data/small`` is the committed one used by
the tests and the demo.

Middle layer. May import: ``core`` and ``parsers.bp_xml`` (file names); never ``flows`` or ``takuso``.
"""
