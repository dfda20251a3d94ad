"""ARC (Megiddo and Modha, FAST '03) in bytes: T1/T2 resident lists, B1/B2 ghosts, target p."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

from streamimages_desktop.core.workbench.policies.base import Policy


class ARC(Policy):
    """Adaptive replacement: T1 holds keys seen once, T2 keys seen again; p is T1's target.

    A miss on a B1 ghost grows p, on a B2 ghost shrinks it, and the key goes to T2. Eviction
    follows libCacheSim's ARC (replace only when room is needed; a miss trims B1 when T1 + B1
    would exceed the cache, else B2 when all four lists reach twice it). The one difference is
    the step of p: the paper's step is max(|B2|/|B1|, 1) *pages*; in bytes that is that ratio
    times the key's size, which is what this class does. libCacheSim adds the bare ratio to a
    byte target (p moves one byte per ghost hit, so its ARC barely adapts);
    `libcachesim_step=True` copies that, for the cross-check.
    """

    name = "arc"

    def __init__(
        self, capacity: int, ttl: float | None = None, libcachesim_step: bool = False
    ) -> None:
        super().__init__(capacity, ttl)
        self._t1: OrderedDict[Hashable, int] = OrderedDict()  # oldest first
        self._t2: OrderedDict[Hashable, int] = OrderedDict()
        self._b1: OrderedDict[Hashable, int] = OrderedDict()
        self._b2: OrderedDict[Hashable, int] = OrderedDict()
        self._t1_used = self._t2_used = self._b1_used = self._b2_used = 0
        self._p = 0.0
        self._bare_step = libcachesim_step
        self._ghost_hit: int = 0  # 1: the key being inserted was in B1, 2: in B2, 0: neither
        self._incoming = 0

    def contains(self, key: Hashable) -> bool:
        return key in self._t1 or key in self._t2

    def hit(self, key: Hashable) -> None:
        size = self._t1.pop(key, None)
        if size is None:
            self._t2.move_to_end(key)
            return
        self._t1_used -= size
        self._t2[key] = size
        self._t2_used += size

    def insert(self, key: Hashable, size: int) -> bool:
        self._ghost_hit = 0
        if key in self._b1:  # the ratio counts the ghost itself, as the paper and libCacheSim do
            ratio = max(self._b2_used / self._b1_used, 1.0)
            self._p = min(self._p + self._step(ratio, size), self.capacity)
            self._b1_used -= self._b1.pop(key)
            self._ghost_hit = 1
        elif key in self._b2:
            ratio = max(self._b1_used / self._b2_used, 1.0)
            self._p = max(self._p - self._step(ratio, size), 0.0)
            self._b2_used -= self._b2.pop(key)
            self._ghost_hit = 2
        self._incoming = size
        self.make_room(size)
        if self._ghost_hit:
            self._t2[key] = size
            self._t2_used += size
        else:
            self._t1[key] = size
            self._t1_used += size
        self._ghost_hit = 0
        self.used += size
        return True

    def _step(self, ratio: float, size: int) -> float:
        return ratio if self._bare_step else ratio * size

    def remove(self, key: Hashable) -> None:
        size = self._t1.pop(key, None)
        if size is not None:
            self._t1_used -= size
        else:
            size = self._t2.pop(key)
            self._t2_used -= size
        self.used -= size

    def evict_one(self) -> None:
        if self._ghost_hit:
            self._replace()
            return
        if self._t1_used + self._b1_used + self._incoming > self.capacity:
            if self._b1:
                self._b1_used -= self._b1.popitem(last=False)[1]
                self._replace()
            else:  # T1 alone fills the cache: drop its oldest without a ghost
                key, size = self._t1.popitem(last=False)
                self._t1_used -= size
                self.used -= size
                self._evicted(key)
            return
        everything = self._t1_used + self._b1_used + self._t2_used + self._b2_used
        if everything >= 2 * self.capacity and self._b2:
            self._b2_used -= self._b2.popitem(last=False)[1]
        self._replace()

    def _replace(self) -> None:
        t1_wins = self._t1_used > self._p or (self._t1_used == self._p and self._ghost_hit == 2)
        if (self._t1 and t1_wins) or not self._t2:
            key, size = self._t1.popitem(last=False)
            self._t1_used -= size
            self._b1[key] = size
            self._b1_used += size
        else:
            key, size = self._t2.popitem(last=False)
            self._t2_used -= size
            self._b2[key] = size
            self._b2_used += size
        self.used -= size
        self._evicted(key)

    def keys(self) -> list[Hashable]:
        return [*self._t1, *self._t2]
