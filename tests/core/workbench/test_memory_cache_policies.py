"""MemoryCache running each workbench policy: same API, never over the limit, same hits."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from streamimages_desktop.core.cache import MemoryCache
from streamimages_desktop.core.workbench.policies import POLICIES, make_policy


def _replay(cache: MemoryCache[int], requests: list[tuple[int, int]], limit: int) -> int:
    hits = 0
    for key, size in requests:
        if cache.get("p", key) is not None:
            hits += 1
        else:
            cache.put("p", key, size)
        assert cache.usage_bytes <= limit
        assert cache.stats().total.bytes == cache.usage_bytes
    return hits


requests_strategy = st.lists(
    st.tuples(st.integers(0, 15), st.integers(1, 9)), min_size=1, max_size=120
)


@settings(max_examples=30, deadline=None)
@given(requests_strategy, st.integers(1, 60), st.sampled_from(sorted(POLICIES)))
def test_memory_cache_with_a_policy_hits_as_the_policy_does(
    requests: list[tuple[int, int]], limit: int, name: str
) -> None:
    sizes = {}
    for key, size in requests:
        sizes.setdefault(key, size)
    fixed = [(key, sizes[key]) for key, _ in requests]
    cache: MemoryCache[int] = MemoryCache(limit, 3600.0, size_of=lambda v: v, policy=name)
    policy = make_policy(name, limit)
    expected = sum(1 for key, size in fixed if policy.request(("p", key), size))
    assert _replay(cache, fixed, limit) == expected
    assert cache.policy == name


def test_the_default_is_the_seed_policy_and_a_switch_keeps_the_entries() -> None:
    now = [0.0]
    cache: MemoryCache[int] = MemoryCache(100, 10.0, size_of=lambda v: v, clock=lambda: now[0])
    assert cache.policy == "seed"
    for key in range(8):
        cache.put("p", key, 10)
    cache.set_policy("s3fifo")
    assert cache.policy == "s3fifo"
    assert cache.usage_bytes == 80 and cache.get("p", 7) == 10
    for key in range(8, 40):
        cache.put("p", key, 10)
        assert cache.usage_bytes <= 100
    assert cache.stats().total.evictions > 0
    now[0] = 11.0
    assert cache.get("p", 39) is None  # the TTL still applies under any policy
    cache.set_limit(30)
    assert cache.usage_bytes <= 30
    cache.set_policy("seed")
    cache.put("p", 100, 25)
    assert cache.usage_bytes <= 30
