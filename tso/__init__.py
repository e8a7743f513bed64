"""Download side (取得): fetch BP files from the 10 TSOs (一般送配電事業者) over mutual TLS.

Modules, in the order a download walks through them:

* ``certs``     client certificate (PKCS#12 → PEM in a private temp dir), expiry checks
* ``transport`` requests session: minimum TLS version, server verification, loopback guard
* ``listing``   parse the generic ``<comment>`` listing (tso-download.md §4) and HTML link lists (§5)
* ``adapters``  one small class per portal flow (``generic``, ``html_list``)
* ``landing``   raw landing zone: temp file, size and sha256 check, fsync, atomic rename, sidecar
* ``client``    pull one TSO / all TSOs, retries with back-off, per-TSO results
* ``pki``       throwaway CA, server and client certificates for tests and demos
* ``simulator`` loopback HTTPS simulator of the TSO portals (client certificate required)
"""
