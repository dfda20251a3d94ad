"""The queue policies: the seed's watermark LRU, plain LRU, FIFO and CLOCK."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

from streamimages_desktop.core.workbench.policies.base import Policy

HIGH_WATER = (9, 10)  # the same fractions as core/cache.py: a put that takes usage above 9/10 ...
LOW_WATER = (8, 10)  # ... evicts least recently used entries until 20 % is free after it


class LRU(Policy):
    """Least recently used: a hit moves the key to the front; the back is evicted."""

    name = "lru"

    def __init__(self, capacity: int, ttl: float | None = None) -> None:
        super().__init__(capacity, ttl)
        self._order: OrderedDict[Hashable, int] = OrderedDict()

    def contains(self, key: Hashable) -> bool:
        return key in self._order

    def hit(self, key: Hashable) -> None:
        self._order.move_to_end(key)

    def insert(self, key: Hashable, size: int) -> bool:
        self.make_room(size)
        self._order[key] = size
        self.used += size
        return True

    def remove(self, key: Hashable) -> None:
        self.used -= self._order.pop(key)

    def evict_one(self) -> None:
        key, size = self._order.popitem(last=False)
        self.used -= size
        self._evicted(key)

    def keys(self) -> list[Hashable]:
        return list(self._order)


class SeedLRU(LRU):
    """The live cache's policy: LRU with watermarks, exactly as MemoryCache.put does it.

    When a put would take usage above 90 % of the limit, evict least recently used keys until
    usage after the put is at most 80 % (20 % free); usage never exceeds the limit.
    """

    name = "seed"

    def make_room(self, size: int) -> None:
        high_num, high_den = HIGH_WATER
        low_num, low_den = LOW_WATER
        if (self.used + size) * high_den > self.capacity * high_num:
            while self._order and (self.used + size) * low_den > self.capacity * low_num:
                self.evict_one()


class FIFO(LRU):
    """First in, first out: a hit changes nothing."""

    name = "fifo"

    def hit(self, key: Hashable) -> None:
        pass


class Clock(LRU):
    """CLOCK (second chance) with one reference bit, as libCacheSim's Clock (n-bit-counter=1).

    A hit sets the bit; the hand at the oldest key clears a set bit and moves the key to the
    front instead of evicting it.
    """

    name = "clock"

    def __init__(self, capacity: int, ttl: float | None = None) -> None:
        super().__init__(capacity, ttl)
        self._referenced: set[Hashable] = set()

    def hit(self, key: Hashable) -> None:
        self._referenced.add(key)

    def remove(self, key: Hashable) -> None:
        super().remove(key)
        self._referenced.discard(key)

    def evict_one(self) -> None:
        order, referenced = self._order, self._referenced
        while True:
            key = next(iter(order))
            if key not in referenced:
                break
            referenced.discard(key)
            order.move_to_end(key)
        super().evict_one()
