"""Parsers: BP XML messages (``bp_xml``) and the standardized CSV forms (``csv_forms``).

Middle layer. May import: ``core``, ``schemas`` and third-party packages; never ``flows`` or ``takuso``.
"""
