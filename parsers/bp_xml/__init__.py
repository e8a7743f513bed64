"""BP XML (30分電力量 W4, 確定使用量 W5): file names, safe reading, XSD validation, streaming parse.

Middle layer. May import: ``core`` and ``schemas``; never the store, the client, ``flows`` or ``takuso``.
"""
