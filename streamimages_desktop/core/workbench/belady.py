"""Belady's bound: a clairvoyant cache that evicts the key needed farthest in the future.

With equal sizes this is the optimum (Belady's MIN; bypassing a newcomer needed later than
every resident is part of it). With mixed sizes it is the same rule applied to bytes ("evict
the farthest next use until the newcomer fits, or bypass it") - the standard size-oblivious
heuristic, not the (NP-hard) byte optimum, so it is a reference line rather than a proof there.
TTL: an entry whose next request comes after it expires counts as never used again.
"""

from __future__ import annotations

import heapq
import math

from streamimages_desktop.core.workbench.points import Point
from streamimages_desktop.core.workbench.trace import Trace

NEVER = math.inf


def next_uses(keys: list[int]) -> list[float]:
    """For each request, the index of the key's next request (inf when none)."""
    following: list[float] = [NEVER] * len(keys)
    last: dict[int, int] = {}
    for i in range(len(keys) - 1, -1, -1):
        following[i] = last.get(keys[i], NEVER)
        last[keys[i]] = i
    return following


def belady(trace: Trace, capacity: int, ttl: float | None = None, *, bypass: bool = True) -> Point:
    """The bound at one size.

    `bypass=False` always stores the newcomer (evicting the farthest residents), as
    libCacheSim's Belady does; it can only be lower, and equals libCacheSim's figure exactly.
    """
    keys, sizes = trace.keys, trace.fixed_sizes()
    times = trace.times if ttl is not None else None
    key_size = trace.object_sizes()
    following = next_uses(keys)

    def useful_until(i: int, stored_at: float) -> float:
        nxt = following[i]
        if nxt == NEVER:
            return NEVER
        if times is not None and ttl is not None and times[int(nxt)] - stored_at > ttl:
            return NEVER
        return nxt

    resident: dict[int, tuple[float, float]] = {}  # key -> (next use, stored at)
    heap: list[tuple[float, int]] = []  # (-next use, key); stale rows are skipped
    used = hits = hit_bytes = 0
    for i, key in enumerate(keys):
        size = sizes[i]
        when = times[i] if times is not None else 0.0
        entry = resident.get(key)
        if entry is not None and (ttl is None or times is None or when - entry[1] <= ttl):
            hits += 1
            hit_bytes += size
            nxt = useful_until(i, entry[1])
            resident[key] = (nxt, entry[1])
            heapq.heappush(heap, (-nxt, key))
            continue
        if entry is not None:  # expired
            del resident[key]
            used -= size
        nxt = useful_until(i, when)
        if size > capacity or (bypass and nxt == NEVER):
            continue
        victims: list[int] = []
        room = capacity - used
        while room < size and heap:
            negative, victim = heapq.heappop(heap)
            held = resident.get(victim)
            if held is None or held[0] != -negative or victim in victims:
                continue  # stale row
            if (
                bypass and -negative < nxt
            ):  # every resident is needed sooner than the newcomer: bypass it
                heapq.heappush(heap, (negative, victim))
                break
            victims.append(victim)
            room += key_size[victim]
        if room < size:
            for victim in victims:
                heapq.heappush(heap, (-resident[victim][0], victim))
            continue
        for victim in victims:
            del resident[victim]
        used = capacity - room + size
        resident[key] = (nxt, when)
        heapq.heappush(heap, (-nxt, key))
    total_bytes = sum(sizes)
    return Point(
        size_bytes=capacity,
        hit_ratio=hits / len(keys) if keys else 0.0,
        byte_hit_ratio=hit_bytes / total_bytes if total_bytes else 0.0,
    )
