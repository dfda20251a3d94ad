"""S3-FIFO (Yang et al., SOSP '23): a small FIFO, a main FIFO and a ghost FIFO, in bytes."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

from streamimages_desktop.core.workbench.policies.base import Policy

MAX_FREQ = 3


class S3FIFO(Policy):
    """New keys enter the small queue (10 % of the bytes); main holds the other 90 %.

    Evicting from small: a key hit at least `move_threshold` times moves to main, else it
    leaves and its id joins the ghost queue (a FIFO of ids worth 90 % of the bytes). A miss on
    a ghost id goes straight to main. Evicting from main: a key with frequency f > 0 goes round
    again with f - 1 (f is capped at 3). This follows the paper's Algorithm 1 and libCacheSim's
    S3FIFO (threshold 2 in both, "freq > 1"); like libCacheSim, a key larger than the small
    queue is not cached, small is evicted while main is within its share, and while the cache
    is still filling (nothing evicted yet) a full small queue sends newcomers to main, so the
    first keys are not all filtered as one-hit wonders before any pressure. One deliberate
    difference: a key exactly the small queue's size is admitted (libCacheSim tests `>=` and
    refuses it, so a cache of exactly ten such keys holds nothing there).
    """

    name = "s3fifo"

    def __init__(
        self,
        capacity: int,
        ttl: float | None = None,
        small_ratio: float = 0.1,
        ghost_ratio: float = 0.9,
        move_threshold: int = 2,
    ) -> None:
        super().__init__(capacity, ttl)
        self._small_ratio, self._ghost_ratio = small_ratio, ghost_ratio
        self._threshold = move_threshold
        self._small: OrderedDict[Hashable, int] = OrderedDict()
        self._main: OrderedDict[Hashable, int] = OrderedDict()
        self._ghost: OrderedDict[Hashable, int] = OrderedDict()
        self._freq: dict[Hashable, int] = {}
        self._small_used = self._main_used = self._ghost_used = 0
        self._filling = True  # nothing evicted yet: a full small queue spills into main
        self._set_shares(capacity)

    def _set_shares(self, capacity: int) -> None:
        self._small_cap = int(capacity * self._small_ratio)
        self._main_cap = capacity - self._small_cap
        self._ghost_cap = int(capacity * self._ghost_ratio)

    def resize(self, capacity: int) -> None:
        self._set_shares(capacity)
        super().resize(capacity)

    def contains(self, key: Hashable) -> bool:
        return key in self._freq

    def hit(self, key: Hashable) -> None:
        freq = self._freq[key]
        if freq < MAX_FREQ:
            self._freq[key] = freq + 1

    def insert(self, key: Hashable, size: int) -> bool:
        ghost_size = self._ghost.pop(key, None)
        if ghost_size is not None:
            self._ghost_used -= ghost_size
        elif size > self._small_cap:
            return False
        self.make_room(size)
        if ghost_size is not None or (self._filling and self._small_used >= self._small_cap):
            self._main[key] = size
            self._main_used += size
        else:
            self._small[key] = size
            self._small_used += size
        self._freq[key] = 0
        self.used += size
        return True

    def remove(self, key: Hashable) -> None:
        del self._freq[key]
        size = self._small.pop(key, None)
        if size is not None:
            self._small_used -= size
        else:
            size = self._main.pop(key)
            self._main_used -= size
        self.used -= size

    def evict_one(self) -> None:
        self._filling = False
        if self._main_used > self._main_cap or not self._small:
            self._evict_main()
        else:
            self._evict_small()

    def _evict_small(self) -> None:
        small, freq = self._small, self._freq
        while small:
            key, size = small.popitem(last=False)
            self._small_used -= size
            if freq[key] >= self._threshold:
                freq[key] = 0
                self._main[key] = size
                self._main_used += size
                continue
            del freq[key]
            self.used -= size
            self._remember(key, size)
            self._evicted(key)
            return
        self._evict_main()  # everything in small went to main

    def _evict_main(self) -> None:
        main, freq = self._main, self._freq
        while True:
            key = next(iter(main))
            f = freq[key]
            if f > 0:
                freq[key] = min(f, MAX_FREQ) - 1
                main.move_to_end(key)
                continue
            size = main.pop(key)
            del freq[key]
            self._main_used -= size
            self.used -= size
            self._evicted(key)
            return

    def _remember(self, key: Hashable, size: int) -> None:
        ghost = self._ghost
        while ghost and self._ghost_used + size > self._ghost_cap:
            self._ghost_used -= ghost.popitem(last=False)[1]
        if size <= self._ghost_cap:
            ghost[key] = size
            self._ghost_used += size

    def keys(self) -> list[Hashable]:
        return list(self._freq)
