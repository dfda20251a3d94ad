"""MemoryCache: a byte-bounded LRU with a TTL and page namespaces sharing one budget (no Qt)."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, fields
from typing import Generic, TypeVar

from streamimages_desktop.core.workbench.policies import DEFAULT_POLICY, Policy, make_policy

V = TypeVar("V")
Listener = Callable[[str, Hashable, int, float], None]

HIGH_WATER = (9, 10)  # a put that would take usage above 9/10 of the limit starts eviction ...
LOW_WATER = (8, 10)  # ... which goes on until usage is at most 8/10 (20 % free) after the put


@dataclass(frozen=True)
class PageStats:
    """Counters of one page (or of all pages together).

    `evictions` counts this page's entries pushed out by memory pressure, whoever's put caused
    it; `evictions_caused` counts the entries (of any page) this page's puts pushed out.
    """

    items: int = 0
    bytes: int = 0
    hits: int = 0
    misses: int = 0
    evictions: int = 0
    expirations: int = 0
    oversize: int = 0
    evictions_caused: int = 0

    @property
    def hit_ratio(self) -> float:
        gets = self.hits + self.misses
        return self.hits / gets if gets else 0.0

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class CacheStats:
    """A snapshot: the limit, the totals and each page that has been used."""

    limit_bytes: int
    total: PageStats
    pages: dict[str, PageStats]


class _Counters:
    """The mutable twin of PageStats, updated under the cache lock."""

    __slots__ = (
        "bytes",
        "evictions",
        "evictions_caused",
        "expirations",
        "hits",
        "items",
        "misses",
        "oversize",
    )

    def __init__(self) -> None:
        self.items = self.bytes = self.hits = self.misses = 0
        self.evictions = self.expirations = self.oversize = self.evictions_caused = 0

    def snapshot(self) -> PageStats:
        return PageStats(
            items=self.items,
            bytes=self.bytes,
            hits=self.hits,
            misses=self.misses,
            evictions=self.evictions,
            expirations=self.expirations,
            oversize=self.oversize,
            evictions_caused=self.evictions_caused,
        )


class _Entry(Generic[V]):
    __slots__ = ("page", "size", "stored_at", "value")

    def __init__(self, page: _Counters, value: V, size: int, stored_at: float) -> None:
        self.page, self.value, self.size, self.stored_at = page, value, size, stored_at


class MemoryCache(Generic[V]):
    """Least-recently-used values bounded in bytes, expired after a TTL, grouped in pages.

    Keys are (page, key). All pages share one byte budget, so one page's puts may evict another
    page's entries; each page keeps its own counters and can be cleared on its own. Usage never
    exceeds the limit, not even while a put is in progress: room is made before the value goes
    in. get and put are O(1) (amortised over the evictions a put causes). Thread-safe.

    `policy` picks who is evicted: "seed" (the default, the watermark LRU below) or any name of
    core.workbench.policies (lru, fifo, clock, sieve, s3fifo, wtinylfu, arc), which then
    decides alone; `set_policy` switches at run time, keeping what the new policy admits.
    """

    def __init__(
        self,
        limit_bytes: int,
        ttl_seconds: float,
        size_of: Callable[[V], int],
        clock: Callable[[], float] = time.monotonic,
        *,
        policy: str = DEFAULT_POLICY,
    ) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[str, Hashable], _Entry[V]] = OrderedDict()
        self._pages: dict[str, _Counters] = {}
        self._size_of = size_of
        self._clock = clock
        self._usage = 0
        self._peak = 0
        self._limit = _check_limit(limit_bytes)
        self._ttl = _check_ttl(ttl_seconds)
        self._policy: Policy | None = None  # None: the seed's watermark LRU, inlined below
        self._policy_name = DEFAULT_POLICY
        self._evicting: tuple[float, _Counters | None] = (0.0, None)
        self._listener: Listener | None = None
        if policy != DEFAULT_POLICY:
            self.set_policy(policy)

    def set_listener(self, listener: Listener | None) -> None:
        """Call `listener(page, key, size, now)` on every hit and every stored put (a trace
        recorder); it runs under the cache lock, so it must only append somewhere."""
        with self._lock:
            self._listener = listener

    @property
    def policy(self) -> str:
        """The eviction policy's name ("seed" unless set_policy chose another)."""
        return self._policy_name

    def set_policy(self, name: str) -> None:
        """Evict by another policy from now on; ValueError for an unknown name.

        The stored entries are handed to the new policy from least to most recently used;
        any it pushes out or refuses are evictions.
        """
        with self._lock:
            if name == DEFAULT_POLICY:
                self._policy, self._policy_name = None, name
                return
            policy = make_policy(name, self._limit)
            self._policy, self._policy_name = None, name
            self._evicting = (self._clock(), None)
            policy.on_evict = self._policy_evicted
            for full, entry in list(self._entries.items()):
                if full not in self._entries:
                    continue
                if not policy.insert(full, entry.size):
                    self._policy_evicted(full)
            self._policy = policy

    @property
    def limit_bytes(self) -> int:
        return self._limit

    @property
    def usage_bytes(self) -> int:
        return self._usage

    @property
    def peak_bytes(self) -> int:
        """Highest usage since creation or the last set_limit (it is sampled after each insert)."""
        return self._peak

    @property
    def ttl_seconds(self) -> float:
        return self._ttl

    def get(self, page: str, key: Hashable) -> V | None:
        """The value, or None when absent or expired (an expired entry is dropped)."""
        # The hot path of every painted tile: acquire/release (cheaper than `with` on 3.11),
        # one dict lookup, the page counters reached through the entry.
        full = (page, key)
        lock = self._lock
        lock.acquire()
        try:
            entry = self._entries.get(full)
            if entry is None:
                (self._pages.get(page) or self._page(page)).misses += 1
                return None
            if self._clock() - entry.stored_at > self._ttl:
                self._unlink(full, entry)
                entry.page.expirations += 1
                entry.page.misses += 1
                return None
            self._entries.move_to_end(full)
            if self._policy is not None:
                self._policy.hit(full)
            entry.page.hits += 1
            if self._listener is not None:
                self._listener(page, key, entry.size, self._clock())
            return entry.value
        finally:
            lock.release()

    def put(self, page: str, key: Hashable, value: V) -> bool:
        """Store `value`; False (and counted as oversize) when it alone exceeds the limit.

        A refused value also drops what was stored under the key before, which is stale now.
        """
        size = self._size_of(value)
        if size < 0:
            raise ValueError(f"size_of returned {size}, expected >= 0")
        full = (page, key)
        with self._lock:
            counters = self._pages.get(page) or self._page(page)
            old = self._entries.get(full)
            if old is not None:
                self._unlink(full, old)
            if size > self._limit:
                counters.oversize += 1
                return False
            now = self._clock()
            if self._policy is not None:
                self._evicting = (now, counters)
                if not self._policy.insert(full, size):
                    return False  # the policy refuses it (S3-FIFO: larger than its small queue)
                self._link(full, _Entry(counters, value, size, now))
                if self._listener is not None:
                    self._listener(page, key, size, now)
                return True
            high_num, high_den = HIGH_WATER
            if (self._usage + size) * high_den > self._limit * high_num:
                low_num, low_den = LOW_WATER
                while self._entries and (self._usage + size) * low_den > self._limit * low_num:
                    counters.evictions_caused += self._evict_oldest(now)
            entry = _Entry(counters, value, size, now)
            self._link(full, entry)
            if self._listener is not None:
                self._listener(page, key, size, now)
            return True

    def discard(self, page: str, key: Hashable) -> bool:
        """Drop one entry (not counted as an eviction); True if it was there."""
        full = (page, key)
        with self._lock:
            entry = self._entries.get(full)
            if entry is None:
                return False
            self._unlink(full, entry)
            return True

    def discard_where(self, predicate: Callable[[str, Hashable], bool]) -> int:
        """Drop every entry whose (page, key) matches, e.g. all renditions of a deleted image."""
        with self._lock:
            doomed = [(full, e) for full, e in self._entries.items() if predicate(*full)]
            for full, entry in doomed:
                self._unlink(full, entry)
            return len(doomed)

    def clear(self, page: str | None = None) -> None:
        """Drop every entry of `page`, or of every page when None. Counters are kept."""
        self.discard_where(lambda p, _k: page is None or p == page)

    def set_limit(self, limit_bytes: int) -> None:
        """Change the budget; evicts least recently used entries at once down to the new limit."""
        limit = _check_limit(limit_bytes)
        with self._lock:
            self._limit = limit
            now = self._clock()
            if self._policy is not None:
                self._evicting = (now, None)
                self._policy.resize(limit)
            while self._usage > limit:
                self._evict_oldest(now)
            self._peak = self._usage

    def set_ttl(self, seconds: float) -> None:
        """Change the time to live; it applies to stored entries too, measured from their put."""
        ttl = _check_ttl(seconds)
        with self._lock:
            self._ttl = ttl

    def stats(self) -> CacheStats:
        """A snapshot of the counters; O(number of pages)."""
        with self._lock:
            pages = {name: c.snapshot() for name, c in self._pages.items()}
            limit = self._limit
        total = PageStats(
            **{f.name: sum(getattr(p, f.name) for p in pages.values()) for f in fields(PageStats)}
        )
        return CacheStats(limit_bytes=limit, total=total, pages=pages)

    def keys_by_recency(self) -> list[tuple[str, Hashable]]:
        """(page, key) pairs from least to most recently used; for tests and debugging."""
        with self._lock:
            return list(self._entries)

    # The helpers below run with the lock held.

    def _page(self, page: str) -> _Counters:
        counters = self._pages[page] = _Counters()
        return counters

    def _link(self, full: tuple[str, Hashable], entry: _Entry[V]) -> None:
        self._entries[full] = entry
        self._usage += entry.size
        entry.page.items += 1
        entry.page.bytes += entry.size
        if self._usage > self._peak:
            self._peak = self._usage

    def _unlink(
        self, full: tuple[str, Hashable], entry: _Entry[V], *, policy_knows: bool = False
    ) -> None:
        del self._entries[full]
        if self._policy is not None and not policy_knows:
            self._policy.remove(full)
        self._usage -= entry.size
        entry.page.items -= 1
        entry.page.bytes -= entry.size

    def _policy_evicted(self, full: Hashable) -> None:
        """The policy pushed `full` out: drop the entry and count it as _evict_oldest does."""
        entry = self._entries.get(full)  # type: ignore[call-overload]
        if entry is None:
            return
        self._unlink(full, entry, policy_knows=True)  # type: ignore[arg-type]
        now, causer = self._evicting
        if now - entry.stored_at > self._ttl:
            entry.page.expirations += 1
            return
        entry.page.evictions += 1
        if causer is not None:
            causer.evictions_caused += 1

    def _evict_oldest(self, now: float) -> int:
        """Drop the least recently used entry: an expiration if it had expired, else an eviction.

        Returns 1 when it counted as an eviction, else 0.
        """
        full, entry = next(iter(self._entries.items()))
        self._unlink(full, entry)
        if now - entry.stored_at > self._ttl:
            entry.page.expirations += 1
            return 0
        entry.page.evictions += 1
        return 1


def _check_limit(limit_bytes: int) -> int:
    if isinstance(limit_bytes, bool) or not isinstance(limit_bytes, int) or limit_bytes < 0:
        raise ValueError(f"cache limit must be a whole number of bytes >= 0, not {limit_bytes!r}")
    return limit_bytes


def _check_ttl(seconds: float) -> float:
    if not seconds > 0 or math.isnan(seconds):
        raise ValueError(f"cache TTL must be a positive number of seconds, not {seconds!r}")
    return float(seconds)
