"""SIEVE (Zhang et al., NSDI '24): FIFO order, a visited bit and a hand that keeps its place."""

from __future__ import annotations

from collections.abc import Hashable

from streamimages_desktop.core.workbench.policies.base import Policy


class Sieve(Policy):
    """New keys go to the head; a hit only sets the visited bit (no move).

    The hand walks from the tail (oldest) towards the head: it clears visited bits and evicts
    the first unvisited key, then stays there for the next eviction (wrapping to the tail).
    Visited keys keep their place: that is what separates SIEVE from CLOCK.
    """

    name = "sieve"

    def __init__(self, capacity: int, ttl: float | None = None) -> None:
        super().__init__(capacity, ttl)
        self._size: dict[Hashable, int] = {}
        self._newer: dict[Hashable, Hashable | None] = {}
        self._older: dict[Hashable, Hashable | None] = {}
        self._visited: set[Hashable] = set()
        self._head: Hashable | None = None  # newest
        self._tail: Hashable | None = None  # oldest
        self._hand: Hashable | None = None

    def contains(self, key: Hashable) -> bool:
        return key in self._size

    def hit(self, key: Hashable) -> None:
        self._visited.add(key)

    def insert(self, key: Hashable, size: int) -> bool:
        self.make_room(size)
        self._size[key] = size
        self._newer[key] = None
        self._older[key] = self._head
        if self._head is not None:
            self._newer[self._head] = key
        else:
            self._tail = key
        self._head = key
        self.used += size
        return True

    def remove(self, key: Hashable) -> None:
        newer, older = self._newer.pop(key), self._older.pop(key)
        if self._hand == key:
            self._hand = newer
        if newer is None:
            self._head = older
        else:
            self._older[newer] = older
        if older is None:
            self._tail = newer
        else:
            self._newer[older] = newer
        self.used -= self._size.pop(key)
        self._visited.discard(key)

    def evict_one(self) -> None:
        visited, newer = self._visited, self._newer
        key = self._hand if self._hand is not None else self._tail
        while key in visited:
            visited.discard(key)
            key = newer[key]
            if key is None:
                key = self._tail
        self._hand = newer[key]
        self.remove(key)
        self._evicted(key)

    def keys(self) -> list[Hashable]:
        return list(self._size)
