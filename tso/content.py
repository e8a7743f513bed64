"""What a download must look like before it is landed (中身の確認): a ZIP, an XML document or a CSV form.

A portal may answer a file request with ``200 OK`` and an HTML error page (a session that expired, a
maintenance notice). Without a size in the listing (the ``html_list`` and ``kansai`` flows) nothing
else would notice, and the page would be stored under the file's name and never fetched again. The
first bytes decide:

* ``.zip``: a ZIP archive starts with the local file header ``PK\\x03\\x04``;
* ``.xml``: after an optional UTF-8 byte order mark and white space, the XML declaration ``<?xml`` or
  the BP root element ``<SBD-MSG`` (bp-xml.md);
* ``.csv``: a CSV form starts with text, never with ``<`` (an HTML or XML page).
"""

from __future__ import annotations

import re

HEAD_BYTES = 512  # what the check needs to see
ZIP_MAGIC = b"PK\x03\x04"
_UTF8_BOM = b"\xef\xbb\xbf"
_XML_START = re.compile(rb"<\?xml[\s?]|<(?:[A-Za-z_][\w.-]*:)?SBD-MSG[\s>/]")


def content_problem(name: str, head: bytes) -> str | None:
    """Why ``head`` (the first :data:`HEAD_BYTES` of a download, or all of it) cannot be ``name``; None if it can.

    >>> content_problem("W41120202404010000000000.zip", b"PK\\x03\\x04...") is None
    True
    >>> content_problem("W41120202404010000000000.zip", b"<html>error</html>")
    "not a ZIP archive (a ZIP starts with PK\\\\x03\\\\x04; this starts with '<html>error</html>')"
    """
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix == "zip":
        if head.startswith(ZIP_MAGIC):
            return None
        return f"not a ZIP archive (a ZIP starts with PK\\x03\\x04; this starts with {_show(head)})"
    text = head.removeprefix(_UTF8_BOM).lstrip()
    if suffix == "xml":
        if _XML_START.match(text):
            return None
        return f"not a BP XML document (expected <?xml or <SBD-MSG; this starts with {_show(head)})"
    if suffix == "csv" and (not text or text.startswith(b"<")):
        return f"not a CSV form (this starts with {_show(head)})"
    return None


def _show(head: bytes, limit: int = 40) -> str:
    if not head:
        return "nothing: the body is empty"
    text = head[:limit].decode("ascii", errors="replace")
    return repr(text + ("…" if len(head) > limit else ""))
