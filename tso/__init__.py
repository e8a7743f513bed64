"""Download side (取得): fetch BP files from the 10 TSOs (一般送配電事業者) over mutual TLS.

Modules, in the order a download walks through them:

* ``transport`` requests session: minimum TLS version, server verification, loopback guard
* ``listing``   parse the generic ``<comment>`` listing (tso-download.md §4) and HTML link lists (§5)
* ``adapters``  one small class per portal flow (``generic``, ``html_list``)
* ``landing``   raw landing zone: temp file, size and sha256 check, fsync, atomic rename, sidecar
* ``client``    pull one TSO / all TSOs, retries with back-off, per-TSO results
* ``pki``       throwaway CA, server and client certificates for tests and demos
* ``simulator`` loopback HTTPS simulator of the TSO portals (client certificate required)

The client certificate itself is loaded by ``core.certs``; the client's settings are a
``core.config.PullSettings``. Middle layer. May import: ``core`` and ``parsers.bp_xml`` (file names);
never the store, ``flows`` or ``takuso``.
"""
