"""Parsers: BP XML messages (``bp_xml``) and the standardized CSV forms (``csv_forms``)."""
