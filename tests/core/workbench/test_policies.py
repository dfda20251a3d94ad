"""Each policy's defining moves on tiny hand-made sequences, and Belady against brute force."""

from __future__ import annotations

import random
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from streamimages_desktop.core.cache import MemoryCache
from streamimages_desktop.core.workbench.belady import belady
from streamimages_desktop.core.workbench.policies import make_policy
from streamimages_desktop.core.workbench.policies.arc import ARC
from streamimages_desktop.core.workbench.policies.s3fifo import S3FIFO
from streamimages_desktop.core.workbench.policies.tinylfu import WTinyLFU
from streamimages_desktop.core.workbench.trace import Trace


def _feed(name: str, capacity: int, keys: str) -> list[bool]:
    policy = make_policy(name, capacity)
    return [policy.request(k, 1) for k in keys]


def test_lru_fifo_clock_and_sieve_differ_exactly_where_their_papers_say() -> None:
    # capacity 2: "a b a c a": LRU keeps a (recently used); FIFO evicts it (oldest in).
    assert _feed("lru", 2, "abaca") == [False, False, True, False, True]
    assert _feed("fifo", 2, "abaca") == [False, False, True, False, False]
    # CLOCK gives a second chance to a (its bit is set), evicting b instead.
    assert _feed("clock", 2, "abaca") == [False, False, True, False, True]
    # SIEVE: the hand stays where it stopped; "abcad": a visited survives d's insertion.
    sieve = make_policy("sieve", 3)
    for key in "abca":
        sieve.request(key, 1)
    sieve.request("d", 1)
    assert sorted(sieve.keys()) == ["a", "c", "d"]  # b, the oldest unvisited, went
    sieve.request("e", 1)
    assert sorted(sieve.keys()) == ["a", "d", "e"]  # the hand moved on to c, not back to a


def test_s3fifo_moves_a_key_hit_twice_in_small_to_main_and_remembers_the_rest() -> None:
    cache = S3FIFO(10)  # small 1, main 9, ghost 9 (shares that bind once the cache is full)
    assert not cache.request("a", 1)
    assert cache.request("a", 1) and cache.request("a", 1)  # a: hit twice in small
    for key in "bcdefghij":  # still filling: small is full, so these go to main
        cache.request(key, 1)
    assert list(cache._small) == ["a"] and list(cache._main) == list("bcdefghij")
    cache.request("k", 1)  # full: small's a moves to main; main's b (never hit) leaves
    assert list(cache._main) == [*"cdefghij", "a"] and list(cache._small) == ["k"]
    cache.request("l", 1)  # k, not hit in small, leaves for the ghost queue
    assert "k" in cache._ghost and not cache.contains("k")
    assert not cache.request("k", 1)  # a ghost hit is a miss that goes straight to main
    assert "k" in cache._main


def test_arc_steps_p_by_the_ghost_ratio_times_the_size_and_libcachesim_by_the_ratio() -> None:
    for bare, expected in ((False, 10.0), (True, 1.0)):
        arc = ARC(20, libcachesim_step=bare)
        arc.request("a", 10)
        arc.request("a", 10)  # a: seen twice, in T2
        arc.request("b", 10)  # b: once, in T1
        arc.request("c", 10)  # T1 is over its target p = 0: b goes to the B1 ghosts
        assert list(arc._b1) == ["b"] and list(arc._t2) == ["a"]
        arc.request("b", 10)  # a B1 ghost hit grows p (|B2|/|B1| < 1, so by 1 x size)
        assert arc._p == expected and "b" in arc._t2


def test_wtinylfu_admits_a_window_victim_only_when_it_is_more_frequent() -> None:
    cache = WTinyLFU(100, window_ratio=0.1, aging=None)  # window 10, main 90
    for key in range(10):  # fill main with 9 keys (each asked for twice) and the window
        cache.request(key, 10)
        cache.request(key, 10)
    cache.request("once", 10)
    cache.request("new", 10)  # the window's "once" loses to main's victim (asked for 2x)
    assert not cache.contains("once")
    assert sum(cache.contains(k) for k in range(10)) >= 9


def test_the_seed_policy_is_memory_caches_own_eviction_request_for_request() -> None:
    rng = random.Random(4)
    now = [0.0]
    live: MemoryCache[int] = MemoryCache(500, 3600.0, size_of=lambda v: v, clock=lambda: now[0])
    seed = make_policy("seed", 500)
    for _ in range(5000):
        key, size = rng.randrange(200), 1 + rng.randrange(40)
        size = 1 + (key * 7) % 40  # one size per key
        hit = live.get("p", key) is not None
        if not hit:
            live.put("p", key, size)
        assert seed.request(("p", key), size) == hit
        assert seed.used == live.usage_bytes


@cache
def _optimum(keys: tuple[int, ...], capacity: int, i: int, held: frozenset[int]) -> int:
    """The most hits any eviction choice can get from request i on (equal sizes)."""
    if i == len(keys):
        return 0
    key = keys[i]
    if key in held:
        return 1 + _optimum(keys, capacity, i + 1, held)
    best = _optimum(keys, capacity, i + 1, held)  # bypass
    if len(held) < capacity:
        return max(best, _optimum(keys, capacity, i + 1, held | {key}))
    for victim in held:
        best = max(best, _optimum(keys, capacity, i + 1, (held - {victim}) | {key}))
    return best


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=1, max_size=14), st.integers(1, 4))
def test_belady_with_equal_sizes_is_the_optimum_found_by_brute_force(
    keys: list[int], capacity: int
) -> None:
    trace = Trace(keys, [1] * len(keys), None)
    hits = round(belady(trace, capacity).hit_ratio * len(keys))
    assert hits == _optimum(tuple(keys), capacity, 0, frozenset())
