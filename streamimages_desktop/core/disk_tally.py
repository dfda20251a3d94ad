"""The rendition cache's counters: what DiskCache.stats() reports, kept in memory.

Behind their own tiny lock, never the cache's, so a GUI thread can read them at any time.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass

__all__ = ["COUNTERS", "DiskCacheStats", "Tally"]

COUNTERS = ("items", "bytes", "hits", "misses", "evictions", "expirations", "corrupt")


@dataclass(frozen=True)
class DiskCacheStats:
    """Items and bytes in the index (as of the last look-up or write); the other counters since
    this instance was opened. Zero items and bytes while the cache works uncached."""

    items: int
    bytes: int
    limit_bytes: int
    hits: int
    misses: int
    evictions: int
    expirations: int
    corrupt: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class Tally:
    """The numbers stats() reports, behind their own tiny lock.

    Never held while SQLite or the disk is waited on, so the GUI thread can read them while a
    worker waits on another process's transaction.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values = dict.fromkeys(COUNTERS, 0)

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._values[name] += n

    def set_totals(self, items: int, size: int) -> None:
        with self._lock:
            self._values["items"], self._values["bytes"] = items, size

    def bytes(self) -> int:
        with self._lock:
            return self._values["bytes"]

    def snapshot(self, limit_bytes: int) -> DiskCacheStats:
        with self._lock:
            values = dict(self._values)
        return DiskCacheStats(limit_bytes=limit_bytes, **values)
