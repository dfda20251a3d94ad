"""Policies simulated at a list of sizes, in worker processes, with progress and cancel.

Each (policy, size) is one job (Belady's bound too); jobs run in a ProcessPoolExecutor (both
cores) while this thread makes the one-pass LRU curve. Cancel returns within 0.1 s of the
next job's end, drops the queued jobs and does not wait for the running ones (they finish on
their own in their processes). Small runs stay in the calling thread: spawning costs more.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field

from streamimages_desktop.core.workbench.belady import belady
from streamimages_desktop.core.workbench.mrc import lru_curve
from streamimages_desktop.core.workbench.points import Point
from streamimages_desktop.core.workbench.policies import make_policy
from streamimages_desktop.core.workbench.trace import Trace

POLL_SECONDS = 0.1
INLINE_WORK = 200_000  # requests x jobs below which processes cost more than they save
BELADY = "belady"
Progress = Callable[[int, int], None]


class Cancelled(Exception):
    """The run was cancelled before it finished."""


@dataclass
class Curves:
    """Points by policy name, in the order asked, then "belady"; and, size by size, the most
    bytes each simulated policy ever held ("lru" comes from the one pass and holds nothing)."""

    points: dict[str, list[Point]] = field(default_factory=dict)
    max_used: dict[str, list[int]] = field(default_factory=dict)


def simulate(
    trace: Trace,
    policy: str,
    size: int,
    ttl: float | None = None,
    sizes: list[int] | None = None,
) -> tuple[Point, int]:
    """One policy at one size: its point and the most bytes it ever held.

    `sizes` is trace.fixed_sizes() when the caller has it already.
    """
    cache = make_policy(policy, size, ttl)
    keys = trace.keys
    sizes = trace.fixed_sizes() if sizes is None else sizes
    times = trace.times if ttl is not None and trace.times is not None else None
    hits = hit_bytes = peak = 0
    if times is None:  # the hot loop of every curve: Policy.request inlined, no TTL
        contains, hit, insert = cache.contains, cache.hit, cache.insert
        for i, key in enumerate(keys):
            if contains(key):
                hit(key)
                hits += 1
                hit_bytes += sizes[i]
            elif sizes[i] <= size:
                insert(key, sizes[i])
                if cache.used > peak:
                    peak = cache.used
    else:
        request = cache.request
        for i, key in enumerate(keys):
            if request(key, sizes[i], times[i]):
                hits += 1
                hit_bytes += sizes[i]
            elif cache.used > peak:
                peak = cache.used
    n, total = len(keys), sum(sizes)
    return Point(size, hits / n if n else 0.0, hit_bytes / total if total else 0.0), peak


_worker_trace: tuple[Trace, list[int]] | None = None


def _keep_trace(trace: Trace) -> None:
    """A worker's initializer: the trace crosses to each process once, not once per job."""
    global _worker_trace
    _worker_trace = (trace, trace.fixed_sizes())


def _job(trace: Trace | None, name: str, size: int, ttl: float | None) -> tuple[Point, int]:
    sizes = None
    if trace is None:
        assert _worker_trace is not None
        trace, sizes = _worker_trace
    if name == BELADY:
        return belady(trace, size, ttl), 0
    return simulate(trace, name, size, ttl, sizes)


@dataclass
class CancelToken:
    """Set from any thread; the runner stops handing out jobs."""

    event: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        self.event.set()

    @property
    def cancelled(self) -> bool:
        return self.event.is_set()


def run_curves(
    trace: Trace,
    policies: list[str],
    sizes: list[int],
    ttl: float | None = None,
    *,
    with_belady: bool = True,
    workers: int | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> Curves:
    """Every policy (and Belady) at every size; raises Cancelled when cancelled.

    "lru" is computed from the one-pass curve (exact: tests check it against simulation), the
    others are simulated, one job per (policy, size), on `workers` processes (default: cores).
    """
    names = [p for p in policies if p != "lru"] + ([BELADY] if with_belady else [])
    jobs = [(name, size) for name in names for size in sizes]
    total = len(jobs) + (1 if "lru" in policies else 0)
    done = 0
    curves = Curves()
    results: dict[tuple[str, int], tuple[Point, int]] = {}
    count = workers or min(len(jobs), os.cpu_count() or 1) or 1

    def checker(_fraction: float) -> None:
        if cancel is not None and cancel.cancelled:
            raise Cancelled

    checker(0.0)
    if workers == 0 or (workers is None and trace.requests * len(jobs) < INLINE_WORK):
        for name, size in jobs:  # small: in this thread, checking cancel between jobs
            if cancel is not None and cancel.cancelled:
                raise Cancelled
            results[(name, size)] = _job(trace, name, size, ttl)
            done += 1
            if progress is not None:
                progress(done, total)
        if "lru" in policies:
            curves.points["lru"] = lru_curve(trace, ttl).points(sizes)
            if progress is not None:
                progress(total, total)
        return _ordered(curves, results, policies, names, sizes, with_belady)
    # spawn, not fork: the caller may be a GUI with threads, which fork would copy half-held
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        max_workers=count, mp_context=context, initializer=_keep_trace, initargs=(trace,)
    )
    try:
        futures: dict[Future[tuple[Point, int]], tuple[str, int]] = {
            pool.submit(_job, None, name, size, ttl): (name, size) for name, size in jobs
        }
        if "lru" in policies:  # the one pass runs here while the workers simulate
            curves.points["lru"] = lru_curve(trace, ttl, progress=checker).points(sizes)
            done += 1
            if progress is not None:
                progress(done, total)
        pending = set(futures)
        while pending:
            if cancel is not None and cancel.cancelled:
                raise Cancelled
            finished, pending = wait(pending, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
            for future in finished:
                results[futures[future]] = future.result()
                done += 1
                if progress is not None:
                    progress(done, total)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)  # running jobs end on their own
        raise
    pool.shutdown()
    return _ordered(curves, results, policies, names, sizes, with_belady)


def _ordered(
    curves: Curves,
    results: dict[tuple[str, int], tuple[Point, int]],
    policies: list[str],
    names: list[str],
    sizes: list[int],
    with_belady: bool,
) -> Curves:
    for name in names:
        label = name
        curves.points[label] = [results[(name, size)][0] for size in sizes]
        if name != BELADY:  # the bound is not a cache that holds bytes
            curves.max_used[label] = [results[(name, size)][1] for size in sizes]
    ordered = {p: curves.points[p] for p in policies}
    if with_belady:
        ordered[BELADY] = curves.points[BELADY]
    curves.points = ordered
    return curves
