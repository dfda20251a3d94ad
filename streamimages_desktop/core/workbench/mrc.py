"""The whole LRU curve from one pass: Mattson's stack distances, in bytes, with a Fenwick tree.

An LRU cache of C bytes holds the longest prefix of the recency stack that fits in C, so a
request hits exactly when its byte stack distance (the bytes of the distinct keys used since
the key's last request, its own included) is at most C. The distance is a sum over the last
access times after the previous one: a Fenwick tree indexed by time gives it in O(log n).
This is exact (equal to simulating LRU at each size) for sizes at least as large as the
largest object: below that, a refused oversize object would not enter the stack.

TTL: a hit does not renew an entry (as in MemoryCache), so whether a request expired depends
on the size (the last miss is size-dependent). Each key keeps a step function "size -> time of
its last insertion", split at the request's distance; it stays exact and small in practice.

SHARDS (Waldspurger et al., FAST '15) samples keys by a hash at rate R and scales distances
and counts by 1/R, with the SHARDS-adj correction of the first bucket.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass

from streamimages_desktop.core.workbench.points import Point
from streamimages_desktop.core.workbench.trace import Trace

_GOLDEN = 0x9E3779B97F4A7C15
RESOLUTION_OBJECTS = 10  # a SHARDS curve means something from this many sampled objects up
_MASK = (1 << 64) - 1
Progress = Callable[[float], None]


@dataclass(frozen=True)
class LRUCurve:
    """Hits and hit bytes at every size: step positions and cumulative totals."""

    positions: list[float]
    hits: list[float]
    hit_bytes: list[float]
    requests: int
    request_bytes: int
    sample_rate: float = 1.0
    sampled_requests: int = 0

    def at(self, size: int) -> Point:
        """The point at `size` bytes (the size is echoed as asked)."""
        i = bisect_right(self.positions, size)
        hits = self.hits[i - 1] if i else 0.0
        hit_bytes = self.hit_bytes[i - 1] if i else 0.0
        return Point(
            size_bytes=size,
            hit_ratio=min(1.0, max(0.0, hits / self.requests)) if self.requests else 0.0,
            byte_hit_ratio=(
                min(1.0, max(0.0, hit_bytes / self.request_bytes)) if self.request_bytes else 0.0
            ),
        )

    def points(self, sizes: list[int]) -> list[Point]:
        return [self.at(size) for size in sizes]


def sampled(key: int, rate: float, salt: int = 0) -> bool:
    """SHARDS' spatial filter: a fixed hash of the key (and salt) below rate * 2**64."""
    mixed = ((key + 1 + salt * 0x632BE59BD9B4E019) * _GOLDEN) & _MASK
    mixed ^= mixed >> 29
    mixed = (mixed * 0xBF58476D1CE4E5B9) & _MASK
    return mixed ^ (mixed >> 32) < rate * (1 << 64)


def lru_curve(
    trace: Trace,
    ttl: float | None = None,
    sample_rate: float | None = None,
    progress: Progress | None = None,
    salt: int = 0,
) -> LRUCurve:
    """One pass over the trace; `sample_rate` in (0, 1) turns on SHARDS (`salt` picks the
    hash, so two salts give two independent samples)."""
    keys, sizes = trace.keys, trace.fixed_sizes()
    times = trace.times
    rate = 1.0 if sample_rate is None else sample_rate
    if not 0 < rate <= 1:
        raise ValueError(f"sample rate must be in (0, 1], not {rate}")
    if rate < 1:
        chosen = [i for i, k in enumerate(keys) if sampled(k, rate, salt)]
        keys = [keys[i] for i in chosen]
        sizes = [sizes[i] for i in chosen]
        times = None if times is None else [times[i] for i in chosen]
    use_ttl = ttl is not None and times is not None and times[-1] - times[0] > ttl
    n = len(keys)
    tree = [0] * (n + 1)
    last: dict[int, int] = {}
    segments: dict[int, list[list[float]]] = {}
    deltas: dict[float, list[float]] = {}
    live = 0
    step = max(1, n // 100)
    for i in range(n):
        key, size = keys[i], sizes[i]
        pos = i + 1
        previous = last.get(key)
        if previous is None:
            live += size
            distance = math.inf
        else:
            acc, j = 0, previous
            while j:
                acc += tree[j]
                j &= j - 1
            distance = (live - acc + size) / rate
            j = previous
            while j <= n:
                tree[j] -= size
                j += j & -j
        last[key] = pos
        j = pos
        while j <= n:
            tree[j] += size
            j += j & -j
        if use_ttl:
            assert times is not None and ttl is not None
            _ttl_step(segments, deltas, key, size, times[i], distance, ttl)
        elif distance != math.inf:
            row = deltas.get(distance)
            if row is None:
                deltas[distance] = [1.0, float(size)]
            else:
                row[0] += 1.0
                row[1] += size
        if progress is not None and i % step == 0:
            progress(i / n)
    positions = sorted(deltas)
    hits: list[float] = []
    hit_bytes: list[float] = []
    h = b = 0.0
    scale = 1.0 / rate
    for position in positions:
        h += deltas[position][0] * scale
        b += deltas[position][1] * scale
        hits.append(h)
        hit_bytes.append(b)
    if rate < 1 and positions:  # SHARDS-adj: the count the sample should have had
        missing = trace.requests - n * scale
        mean_size = sum(sizes) / n if n else 0.0
        hits = [x + missing for x in hits]
        hit_bytes = [x + missing * mean_size for x in hit_bytes]
    return LRUCurve(
        positions=positions,
        hits=hits,
        hit_bytes=hit_bytes,
        requests=trace.requests,
        request_bytes=sum(trace.fixed_sizes()),
        sample_rate=rate,
        sampled_requests=n,
    )


def _ttl_step(
    segments: dict[int, list[list[float]]],
    deltas: dict[float, list[float]],
    key: int,
    size: int,
    now: float,
    distance: float,
    ttl: float,
) -> None:
    """Update the key's "size -> last insertion" steps and record where this request hits."""
    old = segments.get(key)
    if old is None:
        segments[key] = [[0.0, now]]
        return
    new: list[list[float]] = [[0.0, now]]  # below the distance: a miss, stored now
    for index, (start, stored) in enumerate(old):
        end = old[index + 1][0] if index + 1 < len(old) else math.inf
        if end <= distance:
            continue
        low = max(start, distance)
        if now - stored <= ttl:  # a hit on [low, end)
            _add(deltas, low, 1.0, size)
            if end != math.inf:
                _add(deltas, end, -1.0, -size)
            value = stored
        else:  # expired there: a miss that stores it again
            value = now
        if new[-1][1] == value:
            continue
        new.append([low, value])
    segments[key] = new


def _add(deltas: dict[float, list[float]], at: float, hits: float, size: float) -> None:
    row = deltas.get(at)
    if row is None:
        deltas[at] = [hits, size]
    else:
        row[0] += hits
        row[1] += size


@dataclass(frozen=True)
class ShardsResult:
    """A SHARDS curve and its error.

    `error` is the largest gap, over the sizes from `reliable_from_bytes` on, between it and
    a second sample drawn with another hash (an estimate that costs one more sampled pass).
    Below `reliable_from_bytes` (ten sampled objects' worth, scaled: 10 x mean size / rate) a
    sample cannot resolve the curve: there it is only SHARDS-adj's constant, not a measure.
    """

    points: list[Point]
    rate: float
    sampled_requests: int
    error: float
    reliable_from_bytes: int


def shards(trace: Trace, rate: float, sizes: list[int], ttl: float | None = None) -> ShardsResult:
    """The LRU curve from a SHARDS sample at `rate`, with its error estimate."""
    first = lru_curve(trace, ttl, sample_rate=rate)
    second = lru_curve(trace, ttl, sample_rate=rate, salt=1)
    points = first.points(sizes)
    mean = trace.footprint_bytes() / max(1, trace.objects)
    floor = round(RESOLUTION_OBJECTS * mean / rate)
    pairs = zip(points, second.points(sizes), strict=True)
    error = max(
        (abs(a.hit_ratio - b.hit_ratio) for a, b in pairs if a.size_bytes >= floor), default=0.0
    )
    return ShardsResult(points, rate, first.sampled_requests, error, floor)
