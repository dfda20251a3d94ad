"""The runner: worker processes give what the calling thread gives; progress; cancel."""

from __future__ import annotations

import threading

import pytest

from streamimages_desktop.core.workbench.runner import Cancelled, CancelToken, run_curves
from streamimages_desktop.core.workbench.workloads import Workload, generate

TRACE = generate(Workload(kind="zipf", objects=300, requests=4000, object_size=10, seed=2))
SIZES = [100, 400, 1600]


def test_processes_and_the_calling_thread_agree_and_progress_reaches_the_end() -> None:
    seen: list[tuple[int, int]] = []
    policies = ["seed", "lru", "sieve", "arc"]
    pooled = run_curves(
        TRACE, policies, SIZES, workers=2, progress=lambda d, t: seen.append((d, t))
    )
    inline = run_curves(TRACE, policies, SIZES, workers=0)
    assert pooled.points == inline.points
    assert list(pooled.points) == [*policies, "belady"]
    assert seen[-1] == (len(SIZES) * 4 + 1, len(SIZES) * 4 + 1)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    for name, used in pooled.max_used.items():
        assert all(0 < peak <= size for peak, size in zip(used, SIZES, strict=True)), name


def test_cancel_in_flight_raises_cancelled() -> None:
    token = CancelToken()
    first = threading.Event()

    def progress(done: int, total: int) -> None:
        first.set()
        token.cancel()  # from the first finished job on, nothing more is handed out

    with pytest.raises(Cancelled):
        run_curves(
            TRACE, ["fifo", "clock", "s3fifo", "wtinylfu"], SIZES * 4, workers=2,
            progress=progress, cancel=token,
        )  # fmt: skip
    assert first.is_set()


def test_a_cancel_before_the_start_runs_nothing() -> None:
    token = CancelToken()
    token.cancel()
    calls: list[int] = []
    with pytest.raises(Cancelled):
        run_curves(
            TRACE, ["lru", "fifo"], SIZES, cancel=token, progress=lambda d, t: calls.append(d)
        )
    assert calls == []


def test_worker_processes_start_from_a_thread_as_the_window_starts_them() -> None:
    box: list[object] = []
    thread = threading.Thread(
        target=lambda: box.append(run_curves(TRACE, ["clock"], SIZES[:1], workers=2).points)
    )
    thread.start()
    thread.join(timeout=60)
    assert box == [run_curves(TRACE, ["clock"], SIZES[:1], workers=0).points]
