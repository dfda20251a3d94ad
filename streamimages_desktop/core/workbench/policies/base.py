"""The one policy interface: byte-weighted, TTL-aware, usable by a simulator and by MemoryCache."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable


class Policy(ABC):
    """Decides which keys stay within `capacity` bytes.

    The owner calls `contains`, `hit` (on a hit), `insert` (after a miss, for a key not held,
    with size <= capacity), `remove` (a discard or an expiry, not an eviction) and `resize`.
    A policy makes room itself before it inserts, so `used` never exceeds `capacity`; each
    key it pushes out is passed to `on_evict` (MemoryCache drops the value there).
    `request` is the simulator's whole step: hit or miss-and-insert, with the TTL measured
    from the insertion, as MemoryCache does (a hit does not renew it).
    """

    name = "policy"

    def __init__(self, capacity: int, ttl: float | None = None) -> None:
        if capacity < 0:
            raise ValueError(f"capacity must be >= 0 bytes, not {capacity}")
        self.capacity = capacity
        self.ttl = ttl
        self.used = 0
        self.on_evict: Callable[[Hashable], None] | None = None
        self._born: dict[Hashable, float] = {}

    @abstractmethod
    def contains(self, key: Hashable) -> bool:
        """True if the key is held (ghost entries are not held)."""

    @abstractmethod
    def hit(self, key: Hashable) -> None:
        """A request for a held key."""

    @abstractmethod
    def insert(self, key: Hashable, size: int) -> bool:
        """Hold a new key, evicting first as the policy decides; False if it refuses the key."""

    @abstractmethod
    def remove(self, key: Hashable) -> None:
        """Forget a held key (not an eviction)."""

    @abstractmethod
    def evict_one(self) -> None:
        """Push out one key (calling `_evicted`); only called while something is held."""

    @abstractmethod
    def keys(self) -> list[Hashable]:
        """The held keys, in no promised order (for tests)."""

    def resize(self, capacity: int) -> None:
        """A new budget; evicts at once down to it."""
        self.capacity = capacity
        while self.used > capacity:
            self.evict_one()

    def make_room(self, size: int) -> None:
        """Evict until `size` more bytes fit (the plain rule; the seed's policy has its own)."""
        while self.used + size > self.capacity and self.used > 0:
            self.evict_one()

    def request(self, key: Hashable, size: int, now: float = 0.0) -> bool:
        """One request of the simulator: True on a hit; a miss inserts the key if it fits."""
        if self.contains(key):
            if self.ttl is None or now - self._born[key] <= self.ttl:
                self.hit(key)
                return True
            self.remove(key)  # expired: a miss that stores it again, as MemoryCache.get does
        if size <= self.capacity and self.insert(key, size) and self.ttl is not None:
            self._born[key] = now
        return False

    def _evicted(self, key: Hashable) -> None:
        if self.on_evict is not None:
            self.on_evict(key)
