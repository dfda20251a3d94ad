"""Cache workbench speed beside libCacheSim, in one run: a 1-million-request zipf trace.

1. The whole LRU curve from one pass (Mattson + Fenwick) against libCacheSim simulating LRU at
   20 sizes. Goal: the one pass (every size) takes less time than libCacheSim's 20 runs.
2. SHARDS at 1 %: its time and its error against the exact curve.
3. Five policies at 20 sizes on both cores (ProcessPoolExecutor) against libCacheSim doing
   the same 100 simulations, also on both cores, from its own C CSV reader.

Prints seconds and ratios, and the largest hit-ratio gap to libCacheSim; not a test.
`python benchmarks/cache_workbench.py [REQUESTS]` (default 1000000).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from streamimages_desktop.core.workbench.mrc import lru_curve, shards
from streamimages_desktop.core.workbench.runner import run_curves
from streamimages_desktop.core.workbench.sizes import auto_sizes
from streamimages_desktop.core.workbench.trace import write_csv
from streamimages_desktop.core.workbench.workloads import Workload, generate

REQUESTS = 1_000_000
OBJECTS = 100_000
OBJECT_SIZE = 4096
HASHPOWER = 20  # a 2**20-slot table for 100,000 objects; the default 2**24 costs ~0.1 s a cache
POLICIES = ["fifo", "clock", "sieve", "s3fifo", "arc"]
LCS_NAMES = {"lru": "LRU", "fifo": "FIFO", "clock": "Clock", "sieve": "Sieve"}
LCS_NAMES |= {"s3fifo": "S3FIFO", "arc": "ARC", "wtinylfu": "WTinyLFU"}


def lcs_hit_ratio(path: str, policy: str, size: int) -> float:
    """One libCacheSim simulation from its C CSV reader (run in a worker process)."""
    import libcachesim as lcs

    params = lcs.ReaderInitParam(has_header=True, delimiter=",", obj_id_is_num=False)
    params.time_field, params.obj_id_field, params.obj_size_field = 1, 2, 3
    params.has_header_set = params.obj_id_is_num_set = True
    reader = lcs.TraceReader(path, lcs.TraceType.CSV_TRACE, params)
    cache = getattr(lcs, LCS_NAMES[policy])(size, hashpower=HASHPOWER)
    miss_ratio, _bytes = cache.process_trace(reader)
    return 1.0 - float(miss_ratio)


def lcs_run(path: str, jobs: list[tuple[str, int]], workers: int) -> dict[tuple[str, int], float]:
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {job: pool.submit(lcs_hit_ratio, path, *job) for job in jobs}
        return {job: future.result() for job, future in futures.items()}


def timed(fn: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main() -> int:
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else REQUESTS
    cores = os.cpu_count() or 1
    trace = generate(
        Workload(kind="zipf", alpha=1.0, objects=OBJECTS, requests=requests,
                 object_size=OBJECT_SIZE, seed=1)
    )  # fmt: skip
    sizes = auto_sizes(OBJECT_SIZE * 10, trace.footprint_bytes())
    print(f"zipf(1.0): {trace.requests:,} requests, {trace.objects:,} objects of {OBJECT_SIZE} B,")
    print(f"{len(sizes)} sizes from {sizes[0]:,} to {sizes[-1]:,} bytes, {cores} cores\n")
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "trace.csv")
        write_csv(trace, Path(path))
        lcs_hit_ratio(path, "lru", sizes[0])  # warm the page cache and the import

        curve, ours = timed(lambda: lru_curve(trace))
        theirs_lru, theirs = timed(lambda: lcs_run(path, [("lru", s) for s in sizes], 1))
        gap = max(abs(curve.at(s).hit_ratio - theirs_lru[("lru", s)]) for s in sizes)
        print("1. the whole LRU curve:")
        print(f"   one pass, every size        {ours:8.2f} s")
        print(f"   libCacheSim LRU x {len(sizes)}, 1 core {theirs:8.2f} s")
        print(f"   ratio (ours / libCacheSim)  {ours / theirs:8.2f}   largest gap {gap:.4f}")
        verdict = "met" if ours < theirs else "NOT met"
        print(f"   goal (one pass < libCacheSim's {len(sizes)} runs): {verdict}\n")

        sampled, shards_time = timed(lambda: shards(trace, 0.01, sizes))
        exact_points = curve.points(sizes)
        floor = sampled.reliable_from_bytes
        error = max(
            abs(a.hit_ratio - b.hit_ratio)
            for a, b in zip(exact_points, sampled.points, strict=True)
            if a.size_bytes >= floor
        )
        print(f"2. SHARDS at 1 % ({sampled.sampled_requests:,} requests sampled, and a second "
              "sample for the error estimate):")  # fmt: skip
        print(f"   {shards_time:8.2f} s = {shards_time / ours:.2f} x the exact pass; from "
              f"{floor:,} bytes on the largest error is {error:.4f} (estimated "
              f"{sampled.error:.4f})\n")  # fmt: skip

        jobs = [(p, s) for p in POLICIES for s in sizes]
        ours_curves, ours_time = timed(
            lambda: run_curves(trace, POLICIES, sizes, with_belady=False, workers=cores)
        )
        theirs_all, theirs_time = timed(lambda: lcs_run(path, jobs, cores))
        gaps = {
            p: max(
                abs(pt.hit_ratio - theirs_all[(p, pt.size_bytes)]) for pt in ours_curves.points[p]
            )
            for p in POLICIES
        }
        print(f"3. {len(POLICIES)} policies x {len(sizes)} sizes on {cores} cores:")
        print(f"   ours          {ours_time:8.2f} s")
        print(f"   libCacheSim   {theirs_time:8.2f} s")
        print(f"   ratio         {ours_time / theirs_time:8.2f} x libCacheSim")
        print("   largest hit-ratio gap: " + ", ".join(f"{p} {g:.4f}" for p, g in gaps.items()))
        print("   (S3-FIFO at 10 objects: libCacheSim refuses a key exactly the size of its small")
        print("   queue, ours admits it; see policies/s3fifo.py)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
