"""The cache simulator: the real cache stays in bounds, LRU never beats Belady, TTLs and pages."""

from __future__ import annotations

import itertools
from collections.abc import Hashable

import pytest

from streamimages_desktop.core import cache_sim
from streamimages_desktop.core.cache import MemoryCache, _Entry
from streamimages_desktop.core.cache_sim import (
    MB,
    PATTERNS,
    PRESETS,
    SimConfig,
    make_trace,
    optimal_hit_ratio,
    simulate,
)

LIVE = SimConfig(**PRESETS["live-event"], requests=20_000)


def test_live_event_preset_stays_within_the_limit_and_reports_everything() -> None:
    result = simulate(LIVE)
    assert (LIVE.images, LIVE.image_bytes, LIVE.limit_bytes, LIVE.viewers) == (
        200,
        5 * MB,
        500 * MB,
        50,
    )
    assert not result.limit_exceeded
    assert 0 < result.peak_bytes <= result.limit_bytes == 500 * MB
    assert result.peak_bytes <= 0.9 * result.limit_bytes  # equal sizes never need the top 10 %
    assert result.hits + result.misses == result.requests == 20_000
    assert result.hit_ratio == pytest.approx(result.hits / result.requests)
    assert result.evictions > 0  # 2 pages x 1000 MB of images do not fit in 500 MB
    assert 0 < result.get_p50_us <= result.get_p99_us
    assert set(result.pages) == {"gallery", "preview"}
    assert sum(p.hits for p in result.pages.values()) == result.hits
    assert sum(p.evictions for p in result.pages.values()) == result.evictions
    record = result.as_dict()
    for name in ("limit_bytes", "peak_bytes", "hits", "misses", "hit_ratio", "evictions"):
        assert name in record
    assert record["pages"]["gallery"]["hits"] == result.pages["gallery"].hits


@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize("seed", [1, 2])
def test_lru_never_beats_the_optimal_cache(pattern: str, seed: int) -> None:
    config = SimConfig(
        images=60,
        image_bytes=1000,
        limit_bytes=20_000,
        pattern=pattern,
        seed=seed,
        requests=4000,
        viewers=7,
        ttl_seconds=300,
        think_seconds=2.0,
    )
    result = simulate(config)
    assert result.hit_ratio <= result.optimal_hit_ratio
    assert not result.limit_exceeded


def test_a_scan_larger_than_the_cache_defeats_lru_but_not_belady() -> None:
    result = simulate(SimConfig(**PRESETS["live-event"], pattern="scan", pages=1, requests=2000))
    assert result.hit_ratio == 0.0
    assert result.optimal_hit_ratio > 0.3


def test_everything_fits_so_only_first_requests_miss() -> None:
    config = SimConfig(images=10, image_bytes=100, limit_bytes=10_000, pages=1, requests=500)
    result = simulate(config)
    assert result.misses == 10 and result.evictions == 0
    assert result.optimal_hit_ratio == result.hit_ratio == 490 / 500


def test_short_ttl_expires_entries_on_the_simulated_clock() -> None:
    base = {"images": 10, "image_bytes": 100, "limit_bytes": 10_000, "pages": 1, "viewers": 1}
    long = simulate(SimConfig(**base, requests=1000, think_seconds=60, ttl_seconds=1e9))
    short = simulate(SimConfig(**base, requests=1000, think_seconds=60, ttl_seconds=300))
    assert long.expirations == 0 and short.expirations > 0
    assert short.simulated_seconds == pytest.approx(999 * 60)
    assert short.hit_ratio < long.hit_ratio
    assert short.optimal_hit_ratio <= long.optimal_hit_ratio


def test_values_larger_than_the_limit_are_refused_not_stored() -> None:
    result = simulate(SimConfig(images=5, image_bytes=2 * MB, limit_bytes=MB, requests=100))
    assert result.oversize == 100 and result.peak_bytes == 0 and result.hits == 0
    assert result.optimal_hit_ratio == 0.0


def test_runs_are_reproducible_from_the_seed() -> None:
    small = SimConfig(images=50, image_bytes=10, limit_bytes=200, requests=3000)
    assert make_trace(small) == make_trace(small)
    assert make_trace(small) != make_trace(SimConfig(**{**small.__dict__, "seed": 2}))
    first, second = simulate(small), simulate(small)
    assert (first.hits, first.evictions) == (second.hits, second.evictions)


def test_patterns_shape_the_trace() -> None:
    scan = make_trace(SimConfig(images=5, pattern="scan", requests=12, pages=1))
    assert [image for _, _, image in scan] == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1]
    seq = make_trace(SimConfig(images=100, pattern="sequential", viewers=3, requests=30))
    for viewer in range(3):
        walk = [image for _, _, image in seq[viewer::3]]
        assert all((b - a) % 100 == 1 for a, b in itertools.pairwise(walk))
    zipf = make_trace(SimConfig(images=100, pattern="zipf", requests=5000))
    counts = sorted((sum(1 for _, _, i in zipf if i == n) for n in range(100)), reverse=True)
    assert counts[0] > 10 * counts[50]  # a few images get most of the requests


def test_belady_by_hand() -> None:
    # 0 1 2 0 1: with room for two, keep 0 and 1 and let 2 pass (it is never asked for again).
    trace = [(float(t), "p", image) for t, image in enumerate([0, 1, 2, 0, 1])]
    assert optimal_hit_ratio(trace, size=1, limit=2, ttl=1e9) == pytest.approx(2 / 5)
    assert optimal_hit_ratio(trace, size=1, limit=3, ttl=1e9) == pytest.approx(2 / 5)
    # Room for one: keep 0 (needed at t=3), let 1 pass (needed later, at t=4) and 2.
    assert optimal_hit_ratio(trace, size=1, limit=1, ttl=1e9) == pytest.approx(1 / 5)
    assert optimal_hit_ratio(trace, size=2, limit=1, ttl=1e9) == 0.0  # nothing fits
    assert optimal_hit_ratio(trace, size=1, limit=3, ttl=2.5) == 0.0  # reuses come 3 s later


@pytest.mark.parametrize(
    "bad",
    [
        {"images": 0},
        {"image_bytes": 0},
        {"limit_bytes": -1},
        {"ttl_seconds": 0},
        {"viewers": 0},
        {"requests": 0},
        {"pattern": "random"},
        {"pages": 0},
        {"pages": 17},
    ],
)
def test_bad_configs_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        SimConfig(**bad)  # type: ignore[arg-type]


class _MakesRoomTooLate(MemoryCache[int]):
    """A broken cache that inserts first and evicts after: within the limit between puts,
    above it for a moment inside each put. The simulator must still notice."""

    def put(self, page: str, key: Hashable, value: int) -> bool:
        with self._lock:
            counters = self._pages.get(page) or self._page(page)
            self._link((page, key), _Entry(counters, value, self._size_of(value), self._clock()))
            while self._usage > self._limit:
                self._evict_oldest(self._clock())
        return True


def test_usage_above_the_limit_only_inside_a_put_is_still_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = SimConfig(images=30, image_bytes=100, limit_bytes=1000, requests=300, pages=1)
    assert not simulate(config).limit_exceeded
    monkeypatch.setattr(cache_sim, "MemoryCache", _MakesRoomTooLate)
    result = simulate(config)
    assert result.limit_exceeded and result.peak_bytes > result.limit_bytes
