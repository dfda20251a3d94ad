"""Cache simulator: the real MemoryCache under a synthetic viewer workload on a simulated clock."""

from __future__ import annotations

import random
import time
from dataclasses import asdict, dataclass, field
from itertools import accumulate
from typing import Any

from streamimages_desktop.core.cache import MemoryCache, PageStats
from streamimages_desktop.core.workbench.belady import belady
from streamimages_desktop.core.workbench.trace import Trace

MB = 1024 * 1024
PATTERNS = ("zipf", "uniform", "sequential", "scan")
PAGE_NAMES = ("gallery", "preview", "browser", "viewer")
MAX_REQUESTS = 10_000_000
MAX_PAGES = 16
PRESETS: dict[str, dict[str, Any]] = {
    # A live event: 200 photos of 5 MB, the default 500 MB budget, 50 viewers browsing.
    "live-event": {"images": 200, "image_bytes": 5 * MB, "limit_bytes": 500 * MB, "viewers": 50},
}


@dataclass(frozen=True)
class SimConfig:
    """One workload. Each viewer makes a request every `think_seconds` of simulated time.

    Patterns: zipf (a few images are far more popular: weights 1/rank**zipf_s), uniform,
    sequential (each viewer scrolls forward through the gallery from its own starting point)
    and scan (everyone walks the whole gallery in order, over and over: LRU's worst case when
    the gallery is larger than the cache).
    """

    images: int = 200
    image_bytes: int = 5 * MB
    limit_bytes: int = 500 * MB
    ttl_seconds: float = 24 * 3600.0
    viewers: int = 50
    requests: int = 50_000
    pattern: str = "zipf"
    pages: int = 2
    seed: int = 1
    think_seconds: float = 5.0
    zipf_s: float = 1.0

    def __post_init__(self) -> None:
        checks = [
            (self.images >= 1, "images must be at least 1"),
            (self.image_bytes >= 1, "image size must be at least 1 byte"),
            (self.limit_bytes >= 0, "limit must be at least 0 bytes"),
            (self.ttl_seconds > 0, "TTL must be positive"),
            (self.viewers >= 1, "viewers must be at least 1"),
            (1 <= self.requests <= MAX_REQUESTS, f"requests must be 1 to {MAX_REQUESTS}"),
            (self.pattern in PATTERNS, f"pattern must be one of {', '.join(PATTERNS)}"),
            (1 <= self.pages <= MAX_PAGES, f"pages must be 1 to {MAX_PAGES}"),
            (self.think_seconds >= 0, "think time must be at least 0"),
            (self.zipf_s >= 0, "zipf exponent must be at least 0"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)

    def page_names(self) -> list[str]:
        return [PAGE_NAMES[i] if i < len(PAGE_NAMES) else f"page{i + 1}" for i in range(self.pages)]


@dataclass(frozen=True)
class SimResult:
    """What one run measured. `limit_exceeded` is True if usage was ever above the limit."""

    config: SimConfig
    limit_bytes: int
    peak_bytes: int
    requests: int
    hits: int
    misses: int
    hit_ratio: float
    evictions: int
    expirations: int
    oversize: int
    get_p50_us: float
    get_p99_us: float
    optimal_hit_ratio: float
    simulated_seconds: float
    limit_exceeded: bool
    pages: dict[str, PageStats] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["pages"] = {name: stats.as_dict() for name, stats in self.pages.items()}
        return data


Request = tuple[float, str, int]  # (simulated time, page, image index)


def make_trace(config: SimConfig) -> list[Request]:
    """The requests of one run, reproducible from the seed."""
    rng = random.Random(config.seed)
    n, count = config.images, config.requests
    step = config.think_seconds / config.viewers
    names = config.page_names()
    pages = [names[rng.randrange(config.pages)] for _ in range(count)]
    if config.pattern == "zipf":
        ranks = list(range(n))
        rng.shuffle(ranks)  # popularity is not tied to import order
        weights = [1.0 / (rank + 1) ** config.zipf_s for rank in ranks]
        images = rng.choices(range(n), cum_weights=list(accumulate(weights)), k=count)
    elif config.pattern == "uniform":
        images = [rng.randrange(n) for _ in range(count)]
    elif config.pattern == "sequential":
        cursors = [rng.randrange(n) for _ in range(config.viewers)]
        images = []
        for i in range(count):
            viewer = i % config.viewers
            images.append(cursors[viewer])
            cursors[viewer] = (cursors[viewer] + 1) % n
    else:  # scan
        images = [i % n for i in range(count)]
    return [(i * step, pages[i], images[i]) for i in range(count)]


def simulate(config: SimConfig) -> SimResult:
    """Replay the trace through a real MemoryCache: every get that misses is followed by a put.

    Values are the image index; the cache's size function reports the configured image size,
    so no image-sized buffers are allocated and a run takes seconds.
    """
    trace = make_trace(config)
    now = [0.0]
    size = config.image_bytes
    cache: MemoryCache[int] = MemoryCache(
        config.limit_bytes, config.ttl_seconds, size_of=lambda _v: size, clock=lambda: now[0]
    )
    limit = cache.limit_bytes
    exceeded = False
    timings: list[int] = []
    clock_ns = time.perf_counter_ns
    for when, page, image in trace:
        now[0] = when
        start = clock_ns()
        value = cache.get(page, image)
        timings.append(clock_ns() - start)
        if value is None:
            cache.put(page, image, image)
        if cache.usage_bytes > limit:
            exceeded = True
    stats = cache.stats()
    timings.sort()
    gets = stats.total.hits + stats.total.misses
    return SimResult(
        config=config,
        limit_bytes=limit,
        peak_bytes=cache.peak_bytes,
        requests=len(trace),
        hits=stats.total.hits,
        misses=stats.total.misses,
        hit_ratio=stats.total.hits / gets if gets else 0.0,
        evictions=stats.total.evictions,
        expirations=stats.total.expirations,
        oversize=stats.total.oversize,
        get_p50_us=_percentile(timings, 0.50) / 1000,
        get_p99_us=_percentile(timings, 0.99) / 1000,
        optimal_hit_ratio=optimal_hit_ratio(trace, size, limit, config.ttl_seconds),
        simulated_seconds=trace[-1][0] if trace else 0.0,
        limit_exceeded=exceeded or cache.peak_bytes > limit,
        pages=stats.pages,
    )


def optimal_hit_ratio(trace: list[Request], size: int, limit: int, ttl: float) -> float:
    """The hit ratio of a clairvoyant cache of the same byte size on the same trace.

    Belady's rule: on a miss, make room by evicting the entries whose next request is farthest
    in the future; if the missed entry itself is needed later than everything it would push
    out, do not cache it. With equal sizes (as this simulator makes them) that is optimal; with
    variable sizes it is the standard heuristic, not a proven optimum. Pure capacity: it may fill
    all `limit` bytes (no 90 %/20 % watermarks), so it bounds what any policy could reach. It
    honours the same TTL: an entry whose next request comes after it expires counts as never
    used again, and an expired entry is a miss.
    """
    requests = ((when, f"{page}/{index}", size) for when, page, index in trace)
    return belady(Trace.from_requests(requests), limit, ttl).hit_ratio


def _percentile(sorted_values: list[int], q: float) -> float:
    if not sorted_values:
        return 0.0
    return float(sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))])
