"""The one-pass LRU curve: mixed sizes, SHARDS sampling and its reported error."""

from __future__ import annotations

from streamimages_desktop.core.workbench.mrc import lru_curve, shards
from streamimages_desktop.core.workbench.runner import simulate
from streamimages_desktop.core.workbench.workloads import Workload, generate


def test_the_curve_equals_lru_at_each_size_on_a_mixed_size_zipf_trace() -> None:
    trace = generate(Workload(kind="zipf", objects=400, requests=6000, size_range=(1, 5000)))
    curve = lru_curve(trace, ttl=60.0)  # 6000 requests every 0.1 s span 600 s: TTL matters
    for size in (5000, 20_000, 100_000, 400_000, 10**7):
        assert curve.at(size) == simulate(trace, "lru", size, ttl=60.0)[0]
    no_ttl = lru_curve(trace)
    assert no_ttl.at(10**9).hit_ratio == 1 - trace.objects / trace.requests  # only cold misses


def test_shards_samples_and_reports_an_error_that_bounds_its_distance_from_exact() -> None:
    trace = generate(Workload(kind="zipf", alpha=0.8, objects=20_000, requests=80_000,
                              object_size=1000, seed=3))  # fmt: skip
    sizes = [200_000, 1_000_000, 4_000_000, 10_000_000]
    exact = lru_curve(trace).points(sizes)
    sampled = shards(trace, 0.1, sizes)
    assert 0.05 * trace.requests < sampled.sampled_requests < 0.15 * trace.requests
    assert 0 < sampled.error < 0.1
    assert sampled.reliable_from_bytes == 10 * 1000 / 0.1
    pairs = zip(exact, sampled.points, strict=True)
    worst = max(abs(a.hit_ratio - b.hit_ratio) for a, b in pairs if a.size_bytes >= 100_000)
    assert worst <= max(2 * sampled.error, 0.02), (worst, sampled.error)
    assert all(p.byte_hit_ratio == p.hit_ratio for p in sampled.points)  # equal sizes
