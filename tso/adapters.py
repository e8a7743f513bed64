"""Portal adapters (ドライバ): how one TSO lists and serves its files. Chosen per TSO in the config.

* ``generic``   (tso-download.md §4): ``GET {endpoint}/FileListReceiver`` then
  ``GET {endpoint}/FileReceiver?file=<name>``.
* ``html_list`` (Shikoku 四国, §5): ``POST Menu1.action`` (sets the session cookie), ``POST
  30min/FileListReceiver.action`` (an HTML page in cp932 with ``<a href>`` links), then ``GET
  30min/FileReceiver.action?file=<name>``. The session keeps the cookies between the steps.

An adapter only builds requests and parses listings; retries, landing and results belong to the client.
"""

from __future__ import annotations

from typing import Protocol
from urllib.parse import quote

import requests

from tso.listing import Listing, parse_comment_listing, parse_html_links


class PortalAdapter(Protocol):
    """What the client needs from a portal flow."""

    def list_files(self, session: requests.Session, timeout: float) -> Listing: ...

    def file_url(self, name: str) -> str: ...


def _checked(response: requests.Response) -> requests.Response:
    response.raise_for_status()
    return response


class GenericAdapter:
    """The generic FileListReceiver / FileReceiver protocol (§4)."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint.rstrip("/")

    def list_files(self, session: requests.Session, timeout: float) -> Listing:
        response = _checked(session.get(f"{self.endpoint}/FileListReceiver", timeout=timeout))
        return parse_comment_listing(response.content.decode("cp932", errors="replace"))

    def file_url(self, name: str) -> str:
        return f"{self.endpoint}/FileReceiver?file={quote(name, safe='')}"


class HtmlListAdapter:
    """Shikoku's menu → HTML list → FileReceiver.action flow (§5); HTML decoded as cp932."""

    section = "30min"  # the 30-minute files; where W5 files are served is unknown (§5)

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint.rstrip("/")

    def list_files(self, session: requests.Session, timeout: float) -> Listing:
        _checked(session.post(f"{self.endpoint}/Menu1.action", timeout=timeout))
        response = _checked(session.post(f"{self.endpoint}/{self.section}/FileListReceiver.action", timeout=timeout))
        return parse_html_links(response.content.decode("cp932", errors="replace"))

    def file_url(self, name: str) -> str:
        return f"{self.endpoint}/{self.section}/FileReceiver.action?file={quote(name, safe='')}"


ADAPTERS: dict[str, type[GenericAdapter] | type[HtmlListAdapter]] = {
    "generic": GenericAdapter,
    "html_list": HtmlListAdapter,
}


def make_adapter(name: str, endpoint: str) -> PortalAdapter:
    """The adapter called ``name`` (``generic`` or ``html_list``) for ``endpoint``."""
    try:
        return ADAPTERS[name](endpoint)
    except KeyError:
        raise ValueError(f"unknown adapter {name!r}; expected one of {', '.join(ADAPTERS)}") from None
