"""Portal adapters (ドライバ): how one TSO lists and serves its files. Chosen per TSO in the config.

* ``generic``   (tso-download.md §4): ``GET {endpoint}/FileListReceiver`` then
  ``GET {endpoint}/FileReceiver?file=<name>``.
* ``html_list`` (Shikoku 四国, §5): ``POST Menu1.action`` (sets the session cookie), ``POST
  30min/FileListReceiver.action`` (an HTML page in cp932 with ``<a href>`` links), then ``GET
  30min/FileReceiver.action?file=<name>``. The session keeps the cookies between the steps.
* ``kansai``    (Kansai 関西, §6): the JSP/Struts pages described by :data:`KANSAI`, the one place
  where what the spec does not confirm about that flow is written down.

A listing is read into memory only up to ``max_listing_bytes`` (:data:`MAX_LISTING_BYTES` by
default); a longer one is refused as a whole. An adapter only builds requests and parses listings;
retries, deadlines, landing and results belong to the client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote, urlencode

import requests

from tso.listing import Listing, ListingError, parse_comment_listing, parse_html_links, parse_xmldl_links

MAX_LISTING_BYTES = 16 * 1024 * 1024  # ~200,000 listed names; a real listing is far smaller
_CHUNK = 64 * 1024


class PortalAdapter(Protocol):
    """What the client needs from a portal flow."""

    def list_files(self, session: requests.Session, timeout: float) -> Listing: ...

    def file_url(self, name: str) -> str: ...


def read_listing(response: requests.Response, limit: int) -> bytes:
    """The body of a listing answer, refused with :class:`ListingError` beyond ``limit`` bytes."""
    with response:
        response.raise_for_status()
        declared = response.headers.get("Content-Length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > limit:
            raise ListingError(
                f"the listing is {int(declared):,} bytes, more than the {limit:,} bytes read into memory"
            )
        body = bytearray()
        for chunk in response.iter_content(_CHUNK):
            body += chunk
            if len(body) > limit:
                raise ListingError(f"the listing is longer than the {limit:,} bytes read into memory")
        return bytes(body)


def _checked(response: requests.Response) -> requests.Response:
    with response:
        response.raise_for_status()
    return response


class GenericAdapter:
    """The generic FileListReceiver / FileReceiver protocol (§4)."""

    def __init__(self, endpoint: str, max_listing_bytes: int = MAX_LISTING_BYTES) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.max_listing_bytes = max_listing_bytes

    def list_files(self, session: requests.Session, timeout: float) -> Listing:
        response = session.get(f"{self.endpoint}/FileListReceiver", timeout=timeout, stream=True)
        return parse_comment_listing(read_listing(response, self.max_listing_bytes).decode("cp932", errors="replace"))

    def file_url(self, name: str) -> str:
        return f"{self.endpoint}/FileReceiver?file={quote(name, safe='')}"


class HtmlListAdapter:
    """Shikoku's menu → HTML list → FileReceiver.action flow (§5); HTML decoded as cp932."""

    section = "30min"  # the 30-minute files; where W5 files are served is unknown (§5)

    def __init__(self, endpoint: str, max_listing_bytes: int = MAX_LISTING_BYTES) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.max_listing_bytes = max_listing_bytes

    def list_files(self, session: requests.Session, timeout: float) -> Listing:
        _checked(session.post(f"{self.endpoint}/Menu1.action", timeout=timeout))
        url = f"{self.endpoint}/{self.section}/FileListReceiver.action"
        body = read_listing(session.post(url, timeout=timeout, stream=True), self.max_listing_bytes)
        return parse_html_links(body.decode("cp932", errors="replace"))

    def file_url(self, name: str) -> str:
        return f"{self.endpoint}/{self.section}/FileReceiver.action?file={quote(name, safe='')}"


@dataclass(frozen=True)
class KansaiFlow:
    """Kansai's portal flow (関西電力送配電, tso-download.md §6), pages relative to the TSO's endpoint.

    Confirmed by public importer code (one firm's, possibly out of date): JSP/Struts pages named
    ``H24DF7xx….do`` under ``/takusouinfo``; the list shows each file as an anchor calling
    ``xmlDL('i','list','kbn')`` whose text is the ZIP name; the download is ``H24DF720A02.do`` with
    ``selectedIndex`` and ``selectedList`` from the anchor, ``koatsuTeatsuKbn`` and
    ``actionRequest=Download&odbango=H24DF720``.

    **Assumed** (not in the spec; check against the portal before relying on it):

    * the session is opened by ``POST session_page`` (it sets the session cookie, kept for the steps
      after it) and the client certificate identifies the retailer: the real portal's login steps (a
      user id form, a warning about a second login) are not modelled;
    * the list is ``POST list_page`` with the form ``list_form``, answered in cp932;
    * ``koatsuTeatsuKbn`` is the voltage selector, :data:`voltage_kbn` (高圧 high / 低圧 low), and
      ``selectedList`` the kind of list, :data:`list_kinds` (30-minute values W4 / confirmed usage W5);
      takuso only repeats the anchor's arguments, the simulator uses these values to build its page;
    * the download is a ``GET`` and answers with the ZIP itself (no size in the list).
    """

    session_page: str = "H24DF700A04.do"
    list_page: str = "H24DF710A02.do"
    list_form: tuple[tuple[str, str], ...] = (("actionRequest", "DojiDoryouShien"), ("odbango", "H24DF710"))
    download_page: str = "H24DF720A02.do"
    download_fixed: tuple[tuple[str, str], ...] = (("actionRequest", "Download"), ("odbango", "H24DF720"))
    encoding: str = "cp932"
    voltage_kbn: tuple[tuple[str, str], ...] = (("high", "1"), ("low", "2"))
    list_kinds: tuple[tuple[str, str], ...] = (("W4", "1"), ("W5", "2"))

    def download_query(self, index: str, list_no: str, kbn: str) -> str:
        """The query string of a download, from an anchor's ``xmlDL(index, list_no, kbn)``."""
        pairs = [("selectedIndex", index), ("selectedList", list_no), ("koatsuTeatsuKbn", kbn)]
        return urlencode([*pairs, *self.download_fixed])


KANSAI = KansaiFlow()


class KansaiAdapter:
    """Kansai's session page → list page (anchors calling ``xmlDL``) → ``H24DF720A02.do`` flow (§6)."""

    def __init__(self, endpoint: str, max_listing_bytes: int = MAX_LISTING_BYTES, flow: KansaiFlow = KANSAI) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.max_listing_bytes = max_listing_bytes
        self.flow = flow
        self._arguments: dict[str, tuple[str, str, str]] = {}

    def list_files(self, session: requests.Session, timeout: float) -> Listing:
        _checked(session.post(f"{self.endpoint}/{self.flow.session_page}", timeout=timeout))
        url = f"{self.endpoint}/{self.flow.list_page}"
        response = session.post(url, data=dict(self.flow.list_form), timeout=timeout, stream=True)
        body = read_listing(response, self.max_listing_bytes)
        listing, self._arguments = parse_xmldl_links(body.decode(self.flow.encoding, errors="replace"))
        return listing

    def file_url(self, name: str) -> str:
        try:
            index, list_no, kbn = self._arguments[name]
        except KeyError:
            raise ValueError(f"{name!r} was not on the last Kansai list page") from None
        return f"{self.endpoint}/{self.flow.download_page}?{self.flow.download_query(index, list_no, kbn)}"


ADAPTERS: dict[str, type[GenericAdapter] | type[HtmlListAdapter] | type[KansaiAdapter]] = {
    "generic": GenericAdapter,
    "html_list": HtmlListAdapter,
    "kansai": KansaiAdapter,
}


def make_adapter(name: str, endpoint: str, max_listing_bytes: int = MAX_LISTING_BYTES) -> PortalAdapter:
    """The adapter called ``name`` (``generic``, ``html_list`` or ``kansai``) for ``endpoint``."""
    try:
        return ADAPTERS[name](endpoint, max_listing_bytes)
    except KeyError:
        raise ValueError(f"unknown adapter {name!r}; expected one of {', '.join(ADAPTERS)}") from None
