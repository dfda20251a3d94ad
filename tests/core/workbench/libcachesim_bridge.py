"""Run libCacheSim on a workbench Trace (the reference the cross-checks compare with)."""

from __future__ import annotations

from typing import Any

from streamimages_desktop.core.workbench.belady import next_uses
from streamimages_desktop.core.workbench.trace import Trace

INT64_MAX = 2**63 - 1


def import_libcachesim() -> Any:
    """libcachesim, or a loud failure: the cross-check must never skip silently."""
    try:
        import libcachesim
    except ImportError as exc:  # pragma: no cover - a broken test environment
        raise AssertionError(
            "libcachesim cannot be imported: install the test extra "
            "(pip install -e '.[test]'); the libCacheSim cross-check cannot run"
        ) from exc
    return libcachesim


def factories(lcs: Any) -> dict[str, Any]:
    return {
        "lru": lcs.LRU,
        "fifo": lcs.FIFO,
        "clock": lcs.Clock,
        "sieve": lcs.Sieve,
        "s3fifo": lcs.S3FIFO,
        "arc": lcs.ARC,
        "wtinylfu": lcs.WTinyLFU,
        "belady": lcs.Belady,
    }


def requests(lcs: Any, trace: Trace) -> list[Any]:
    """One libCacheSim Request per row, with the next-access time Belady needs."""
    sizes = trace.fixed_sizes()
    following = next_uses(trace.keys)
    return [
        lcs.Request(
            obj_size=sizes[i],
            obj_id=trace.keys[i] + 1,
            clock_time=i,
            next_access_vtime=INT64_MAX if following[i] == float("inf") else int(following[i]),
        )
        for i in range(trace.requests)
    ]


def hit_ratio(lcs: Any, policy: str, size: int, reqs: list[Any]) -> float:
    cache = factories(lcs)[policy](size)
    get = cache.get
    hits = sum(1 for req in reqs if get(req))
    return hits / len(reqs)
