"""The policies against libCacheSim on the same seeded traces: within 1 point, Belady equal.

Differences that are deliberate (and documented in each policy): W-TinyLFU ages its counts
(libCacheSim's filter does not; `aging=None` is compared here) and admits keys larger than its
1 % window (libCacheSim refuses them, so sizes where a key exceeds the window are left out);
ARC steps p by ratio x size (the paper in bytes; `libcachesim_step=True` is compared here, and
the published step is also held within 1 point). If libcachesim is missing, this fails.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from streamimages_desktop.core.workbench.belady import belady
from streamimages_desktop.core.workbench.policies import make_policy
from streamimages_desktop.core.workbench.policies.arc import ARC
from streamimages_desktop.core.workbench.policies.base import Policy
from streamimages_desktop.core.workbench.policies.tinylfu import WTinyLFU
from streamimages_desktop.core.workbench.trace import Trace
from streamimages_desktop.core.workbench.workloads import Workload, generate
from tests.core.workbench.libcachesim_bridge import hit_ratio, import_libcachesim, requests

TOLERANCE = 0.01
FRACTIONS = (0.02, 0.05, 0.2, 0.5)
TRACES = {
    "equal sizes": Workload(
        kind="zipf", alpha=0.9, objects=1000, requests=8_000, object_size=1000, seed=5
    ),
    "mixed sizes": Workload(
        kind="zipf", alpha=0.9, objects=1000, requests=8_000, size_range=(500, 5000), seed=6
    ),
}


@pytest.fixture(scope="module")
def lcs() -> Any:
    return import_libcachesim()


def _mine(policy: Policy, trace: Trace) -> float:
    sizes = trace.fixed_sizes()
    hits = sum(1 for key, size in zip(trace.keys, sizes, strict=True) if policy.request(key, size))
    return hits / trace.requests


@pytest.mark.parametrize("name", sorted(TRACES))
def test_every_policy_is_within_one_point_of_libcachesim(lcs: Any, name: str) -> None:
    trace = generate(TRACES[name])
    reqs = requests(lcs, trace)
    largest = max(trace.object_sizes().values())
    footprint = trace.footprint_bytes()
    checked = 0
    for fraction in FRACTIONS:
        size = int(footprint * fraction)
        mine = {policy: make_policy(policy, size) for policy in ("lru", "fifo", "clock", "sieve")}
        mine["s3fifo"] = make_policy("s3fifo", size)
        mine["arc"] = ARC(size, libcachesim_step=True)
        if size * 0.01 >= largest:
            mine["wtinylfu"] = WTinyLFU(size, aging=None)
        for policy, cache in mine.items():
            ours, theirs = _mine(cache, trace), hit_ratio(lcs, policy, size, reqs)
            assert abs(ours - theirs) <= TOLERANCE, (name, policy, size, ours, theirs)
            checked += 1
        published = _mine(ARC(size), trace)
        assert abs(published - hit_ratio(lcs, "arc", size, reqs)) <= TOLERANCE
        assert belady(trace, size, bypass=False).hit_ratio == hit_ratio(lcs, "belady", size, reqs)
    assert checked >= 4 * 6 + 2


def test_the_fifo_family_matches_libcachesim_exactly(lcs: Any) -> None:
    trace = generate(TRACES["mixed sizes"])
    reqs = requests(lcs, trace)
    size = trace.footprint_bytes() // 10
    for policy in ("lru", "fifo", "clock", "sieve", "s3fifo"):
        assert _mine(make_policy(policy, size), trace) == hit_ratio(lcs, policy, size, reqs)


SOAK = os.environ.get("STREAMIMAGES_SOAK") == "1"


@pytest.mark.slow
@pytest.mark.skipif(not SOAK, reason="long run: set STREAMIMAGES_SOAK=1")
@pytest.mark.parametrize("kind", ["zipf", "uniform", "mix", "scan"])
def test_soak_larger_traces_of_every_kind_stay_within_one_point(lcs: Any, kind: str) -> None:
    trace = generate(Workload(kind=kind, alpha=0.8, objects=20_000, requests=200_000,
                              size_range=(1000, 8000), seed=11))  # fmt: skip
    reqs = requests(lcs, trace)
    largest = max(trace.object_sizes().values())
    for fraction in (0.01, 0.03, 0.1, 0.3, 0.6):
        size = int(trace.footprint_bytes() * fraction)
        mine: dict[str, Policy] = {p: make_policy(p, size) for p in ("lru", "fifo", "clock")}
        mine |= {"sieve": make_policy("sieve", size), "s3fifo": make_policy("s3fifo", size)}
        mine["arc"] = ARC(size, libcachesim_step=True)
        if size * 0.01 >= largest:
            mine["wtinylfu"] = WTinyLFU(size, aging=None)
        for policy, cache in mine.items():
            ours, theirs = _mine(cache, trace), hit_ratio(lcs, policy, size, reqs)
            assert abs(ours - theirs) <= TOLERANCE, (kind, policy, size, ours, theirs)
