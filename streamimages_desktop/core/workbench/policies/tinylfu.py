"""W-TinyLFU (Einziger, Friedman and Manes, 2017): an LRU window, an SLRU main, a frequency gate."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

from streamimages_desktop.core.workbench.policies.base import Policy

AGING = 10  # Caffeine: halve the counts every 10 x the keys the cache can hold


class WTinyLFU(Policy):
    """New keys enter the window LRU; main is a two-segment SLRU (probation 1/5, protected 4/5).

    When room is needed, the window's oldest key goes to main if main has room; otherwise it
    challenges main's victim and goes in only if it was requested more often. This is the
    structure of libCacheSim's WTinyLFU (window 1 %, main SLRU 1:4, frequency counted on a miss,
    a main hit and each challenge). Two deliberate differences from it: the frequencies are
    exact counts halved every `aging` x the keys the cache can hold (Caffeine's reset, standing
    in for a count-min sketch with aging; libCacheSim's filter practically never ages, which
    `aging=None` copies), and a key
    larger than the 1 % window is still admitted (libCacheSim refuses it, which would make a
    cache of fewer than 100 images useless).
    """

    name = "wtinylfu"

    def __init__(
        self,
        capacity: int,
        ttl: float | None = None,
        window_ratio: float = 0.01,
        aging: int | None = AGING,
    ) -> None:
        super().__init__(capacity, ttl)
        self._aging = aging
        self._window_ratio = window_ratio
        self._window: OrderedDict[Hashable, int] = OrderedDict()
        self._probation: OrderedDict[Hashable, int] = OrderedDict()
        self._protected: OrderedDict[Hashable, int] = OrderedDict()
        self._window_used = self._probation_used = self._protected_used = 0
        self._counts: dict[Hashable, int] = {}
        self._additions = 0
        self._reset_at = 0.0
        self._held = 0
        self._set_shares(capacity)

    def _set_shares(self, capacity: int) -> None:
        window_cap = int(capacity * self._window_ratio)
        self._main_cap = capacity - window_cap
        self._probation_cap = self._main_cap // 5
        self._protected_cap = self._main_cap - self._probation_cap

    def resize(self, capacity: int) -> None:
        self._set_shares(capacity)
        super().resize(capacity)

    # -- frequency ---------------------------------------------------------------------------

    def _count(self, key: Hashable) -> None:
        counts = self._counts
        counts[key] = counts.get(key, 0) + 1
        self._additions += 1
        if self._additions >= self._reset_at:
            self._age()

    def _age(self) -> None:
        """Halve the counts once the sample is full (and re-estimate the sample's size)."""
        if self._aging is None:
            self._reset_at = float("inf")
            return
        mean = (self.used / self._held) if self._held else 0
        keys_held = self.capacity / mean if mean else 16
        sample = self._aging * max(16, keys_held)
        if self._additions >= sample:
            self._additions //= 2
            self._counts = {k: c // 2 for k, c in self._counts.items() if c > 1}
        self._reset_at = min(sample, self._additions + 1024)  # look again soon while it grows

    # -- the interface -----------------------------------------------------------------------

    def contains(self, key: Hashable) -> bool:
        return key in self._window or key in self._probation or key in self._protected

    def hit(self, key: Hashable) -> None:
        if key in self._window:
            self._window.move_to_end(key)
            return
        self._count(key)
        if key in self._protected:
            self._protected.move_to_end(key)
            return
        size = self._probation.pop(key)
        self._probation_used -= size
        self._protected[key] = size
        self._protected_used += size
        while self._protected_used > self._protected_cap:  # demote the protected LRU
            demoted, dsize = self._protected.popitem(last=False)
            self._protected_used -= dsize
            self._probation[demoted] = dsize
            self._probation_used += dsize
        while self._probation_used > self._probation_cap:  # libCacheSim's SLRU evicts here
            self._evict_main()

    def insert(self, key: Hashable, size: int) -> bool:
        self.make_room(size)
        self._window[key] = size
        self._window_used += size
        self.used += size
        self._held += 1
        self._count(key)
        return True

    def remove(self, key: Hashable) -> None:
        for queue in (self._window, self._probation, self._protected):
            size = queue.pop(key, None)
            if size is not None:
                break
        else:
            raise KeyError(key)
        if queue is self._window:
            self._window_used -= size
        elif queue is self._probation:
            self._probation_used -= size
        else:
            self._protected_used -= size
        self.used -= size
        self._held -= 1

    def evict_one(self) -> None:
        window = self._window
        while window:
            candidate, size = next(iter(window.items()))
            main_used = self._probation_used + self._protected_used
            if main_used + size <= self._main_cap:
                self._window_to_main(candidate, size)
            else:
                victim = self._main_victim()
                if victim is not None and self._counts.get(candidate, 0) > self._counts.get(
                    victim, 0
                ):
                    self._evict_main()
                    self._window_to_main(candidate, size)
                else:
                    self._count(candidate)
                    self.remove(candidate)
                    self._evicted(candidate)
                    return
            self._count(candidate)
        self._evict_main()

    def _window_to_main(self, key: Hashable, size: int) -> None:
        del self._window[key]
        self._window_used -= size
        if self._probation_used + size <= self._probation_cap:
            self._probation[key] = size
            self._probation_used += size
        elif self._protected_used + size <= self._protected_cap:
            self._protected[key] = size
            self._protected_used += size
        else:
            while self._probation_used + self._protected_used + size > self._main_cap and (
                self._probation or self._protected
            ):
                self._evict_main()
            self._probation[key] = size
            self._probation_used += size

    def _main_victim(self) -> Hashable | None:
        for queue in (self._probation, self._protected):
            if queue:
                return next(iter(queue))
        return None

    def _evict_main(self) -> None:
        queue = self._probation or self._protected
        key = next(iter(queue))
        self.remove(key)
        self._evicted(key)

    def keys(self) -> list[Hashable]:
        return [*self._window, *self._probation, *self._protected]
