"""Download deadlines (期限): abandon an answer that does not finish in time, however slowly it trickles.

A read timeout (``timeout_s``) bounds each wait for the next bytes, not the whole answer: a portal that
sends one byte a second never times out, and a night would wait for hours. Inside :func:`within`, every
connection that the current thread opens or sends a request on (the transport calls :func:`watch`) is shut down
when the deadline passes; the blocked read ends at once and the caller, seeing ``Watch.fired``, reports
:class:`DeadlineExceeded`.

    with within(600.0) as watch:
        response = session.get(url, stream=True, timeout=60)
        ...
    # a read that was cut off raises; watch.fired tells that the deadline did it
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Any

_current = threading.local()


class DeadlineExceeded(TimeoutError):
    """A download (or the whole pull of a TSO) did not finish before its deadline.

    ``transient``: a per-file deadline is worth another try; the TSO's own deadline is not.
    """

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


class Watch:
    """The sockets used under one deadline, shut down when it passes."""

    def __init__(self) -> None:
        self.fired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def add(self, connection: Any) -> None:
        # The socket itself is kept: a connection hands it to its response (and forgets it) when the
        # server announces ``Connection: close``.
        sock = getattr(connection, "sock", None)
        if sock is None:
            return
        with self._lock:
            if all(s is not sock for s in self._sockets):
                self._sockets.append(sock)
            fired = self.fired
        if fired:
            _shut(sock)

    def fire(self) -> None:
        with self._lock:
            self.fired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        # The plain socket's shutdown (not SSLSocket's, which would tear down TLS state under a reader):
        # a read blocked in another thread returns at once.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def watch(connection: Any) -> None:
    """Put ``connection`` under the current thread's deadline, if there is one (called by the transport)."""
    current: Watch | None = getattr(_current, "watch", None)
    if current is not None:
        current.add(connection)


@contextlib.contextmanager
def within(seconds: float) -> Iterator[Watch]:
    """Run the block under a deadline ``seconds`` from now (this thread's requests only)."""
    current = Watch()
    timer = threading.Timer(max(seconds, 0.0), current.fire)
    timer.daemon = True
    previous = getattr(_current, "watch", None)
    _current.watch = current
    timer.start()
    try:
        yield current
    finally:
        timer.cancel()
        _current.watch = previous
