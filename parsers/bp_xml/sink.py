"""Where the engine puts the rows it reads: :class:`Sink`, on its own so that a caller can define its sink
without importing the engine (lxml, the XSDs, Arrow compute) until a file is really parsed."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa


class Sink:
    """Receives Arrow tables as they are parsed. The default keeps nothing (validation only).

    A sink that keeps tables must be able to forget them (:meth:`discard`) to be given a file's pieces;
    one that cannot gets the one-piece streaming pass only.
    """

    def interval(self, table: pa.Table) -> None:  # 30-minute rows
        pass

    def points(self, table: pa.Table) -> None:  # W5 point records
        pass

    def discard(self) -> None:
        """Forget every table received so far (the file is parsed again from its start)."""
