"""Record the live cache's own traffic as a trace while the user browses."""

from __future__ import annotations

import threading
from collections.abc import Hashable
from typing import Any

from streamimages_desktop.core.cache import MemoryCache
from streamimages_desktop.core.workbench.trace import Trace, key_text


class TraceRecorder:
    """Attach to a MemoryCache; every hit and every stored put becomes one request row.

    A miss is recorded when its value is put (its size is known only then), so several misses
    of one key before its image is decoded count once, as the cache saw one store. Times are
    seconds since `start`.
    """

    def __init__(self) -> None:
        self._rows: list[tuple[float, str, int]] = []
        self._lock = threading.Lock()
        self._cache: MemoryCache[Any] | None = None
        self._origin: float | None = None

    @property
    def recording(self) -> bool:
        return self._cache is not None

    @property
    def requests(self) -> int:
        return len(self._rows)

    def start(self, cache: MemoryCache[Any]) -> None:
        self._rows, self._origin = [], None
        self._cache = cache
        cache.set_listener(self._on_request)

    def stop(self) -> Trace:
        """Detach and return what was recorded."""
        if self._cache is not None:
            self._cache.set_listener(None)
            self._cache = None
        with self._lock:
            rows = list(self._rows)
        return Trace.from_requests(rows, label="recorded")

    def _on_request(self, page: str, key: Hashable, size: int, now: float) -> None:
        with self._lock:
            if self._origin is None:
                self._origin = now
            self._rows.append((now - self._origin, key_text(page, key), size))
