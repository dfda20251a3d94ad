"""Synthetic traces: zipf(alpha), uniform, a sequential scan, the live-event preset and a mix."""

from __future__ import annotations

import random
from dataclasses import dataclass
from itertools import accumulate

from streamimages_desktop.core.cache_sim import PRESETS, SimConfig, make_trace
from streamimages_desktop.core.workbench.trace import Trace

WORKLOADS = ("zipf", "uniform", "scan", "live-event", "mix")
STEP_SECONDS = 0.1  # one request every 0.1 s: the live-event preset's 50 viewers every 5 s
MIB = 1024 * 1024


@dataclass(frozen=True)
class Workload:
    """What to generate. `size_range` (inclusive) wins over `object_size` when given."""

    kind: str = "zipf"
    alpha: float = 1.0
    objects: int = 1000
    requests: int = 100_000
    object_size: int = 5 * MIB
    size_range: tuple[int, int] | None = None
    seed: int = 1

    def __post_init__(self) -> None:
        checks = [
            (self.kind in WORKLOADS, f"workload must be one of {', '.join(WORKLOADS)}"),
            (0 <= self.alpha <= 10, "zipf alpha must be 0 to 10"),
            (1 <= self.objects <= 10_000_000, "objects must be 1 to 10000000"),
            (1 <= self.requests <= 20_000_000, "requests must be 1 to 20000000"),
            (self.object_size >= 1, "object size must be at least 1 byte"),
            (
                self.size_range is None or 1 <= self.size_range[0] <= self.size_range[1],
                "size range must be 1 <= MIN <= MAX",
            ),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.alpha:g}" if self.kind in ("zipf", "mix") else self.kind


def parse_workload(text: str) -> tuple[str, float]:
    """ "zipf:0.9" -> ("zipf", 0.9); "uniform" -> ("uniform", 1.0)."""
    kind, _sep, alpha_text = text.strip().lower().partition(":")
    if kind not in WORKLOADS:
        raise ValueError(f"workload {text!r}: choose zipf:ALPHA, uniform, scan, live-event or mix")
    if not alpha_text:
        return kind, 1.0
    if kind not in ("zipf", "mix"):
        raise ValueError(f"workload {text!r}: only zipf and mix take an alpha")
    try:
        alpha = float(alpha_text)
    except ValueError:
        raise ValueError(f"workload {text!r}: alpha must be a number") from None
    if not 0 <= alpha <= 10:
        raise ValueError(f"workload {text!r}: alpha must be 0 to 10")
    return kind, alpha


def generate(workload: Workload) -> Trace:
    """The trace of a workload, the same for the same seed."""
    if workload.kind == "live-event":
        return live_event(workload.requests, workload.seed)
    rng = random.Random(workload.seed)
    n, count = workload.objects, workload.requests
    if workload.kind == "zipf":
        keys = _zipf(rng, n, workload.alpha, count)
    elif workload.kind == "uniform":
        keys = [rng.randrange(n) for _ in range(count)]
    elif workload.kind == "scan":
        keys = [i % n for i in range(count)]
    else:
        keys = _mix(rng, n, workload.alpha, count)
    objects = max(keys) + 1
    if workload.size_range is None:
        sizes_of = [workload.object_size] * objects
    else:
        low, high = workload.size_range
        sizes_of = [rng.randint(low, high) for _ in range(objects)]
    names = [f"obj{k}" for k in range(objects)]
    return Trace.from_requests(
        ((i * STEP_SECONDS, names[k], sizes_of[k]) for i, k in enumerate(keys)),
        label=workload.label,
    )


def _zipf(rng: random.Random, n: int, alpha: float, count: int) -> list[int]:
    ranks = list(range(n))
    rng.shuffle(ranks)  # popularity is not tied to the key's number
    weights = [1.0 / (rank + 1) ** alpha for rank in ranks]
    return rng.choices(range(n), cum_weights=list(accumulate(weights)), k=count)


def _mix(rng: random.Random, n: int, alpha: float, count: int) -> list[int]:
    """A zipf core over keys 0..n-1; in every period the last fifth is a scan of new keys.

    The scanned keys are each asked for once: a policy that lets them push out the popular
    core (LRU, FIFO) loses hits that a scan-resistant one (S3-FIFO, ARC, W-TinyLFU) keeps.
    """
    core = _zipf(rng, n, alpha, count)
    period = max(100, count // 10)
    scan_len = period // 5
    fresh = n
    keys = []
    for i, key in enumerate(core):
        if i % period >= period - scan_len:
            keys.append(fresh)
            fresh += 1
        else:
            keys.append(key)
    return keys


def live_event(requests: int | None = None, seed: int = 1) -> Trace:
    """The seed simulator's live-event preset (200 x 5 MB, 50 viewers, 2 pages) as a trace."""
    values = dict(PRESETS["live-event"])
    values.pop("limit_bytes")
    if requests is not None:
        values["requests"] = requests
    config = SimConfig(**values, seed=seed)
    size = config.image_bytes
    return Trace.from_requests(
        ((when, f"{page}:{image}", size) for when, page, image in make_trace(config)),
        label="live-event",
    )


LIVE_EVENT_LIMIT = int(PRESETS["live-event"]["limit_bytes"])
