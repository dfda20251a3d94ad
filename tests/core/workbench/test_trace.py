"""Trace CSV files: round trip, one-line errors, and libCacheSim reads them as they are."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from streamimages_desktop.core.cache import MemoryCache
from streamimages_desktop.core.workbench.recorder import TraceRecorder
from streamimages_desktop.core.workbench.runner import simulate
from streamimages_desktop.core.workbench.trace import (
    Trace,
    TraceError,
    key_text,
    read_csv,
    write_csv,
)
from streamimages_desktop.core.workbench.workloads import Workload, generate, parse_workload
from tests.core.workbench.libcachesim_bridge import import_libcachesim


def test_a_trace_survives_the_csv_round_trip(tmp_path: Path) -> None:
    trace = generate(Workload(kind="zipf", objects=50, requests=500, size_range=(10, 900)))
    write_csv(trace, tmp_path / "t.csv")
    again = read_csv(tmp_path / "t.csv")
    assert again.keys == trace.keys and again.sizes == trace.sizes
    assert again.times == pytest.approx(trace.times)
    assert again.names == trace.names


def test_a_trace_without_times_has_none_and_mixed_times_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("time,key,size\n,a,5\n,b,6\n")
    assert read_csv(path).times is None
    path.write_text("time,key,size\n1,a,5\n,b,6\n")
    with pytest.raises(TraceError, match="some rows have a time"):
        read_csv(path)
    with pytest.raises(TraceError, match=r"t\.csv: line 2: time 'x'"):
        path.write_text("time,key,size\nx,a,5\n")
        read_csv(path)
    with pytest.raises(TraceError, match=r"missing\.csv"):
        read_csv(tmp_path / "missing.csv")


def test_recorded_keys_are_one_csv_field_in_ascii() -> None:
    assert key_text("gallery", ("id1", "tile", 2.0)) == "gallery:id1:tile:2.0"
    assert key_text("p", 'a,"b"\né') == "p:a;'b' \\xe9"


def test_the_recorder_sees_hits_and_stored_puts_not_bare_misses() -> None:
    now = [100.0]
    cache: MemoryCache[int] = MemoryCache(1000, 60.0, size_of=lambda v: v, clock=lambda: now[0])
    recorder = TraceRecorder()
    recorder.start(cache)
    assert cache.get("g", "a") is None  # a miss: recorded when its value is put
    now[0] = 101.5
    cache.put("g", "a", 10)
    now[0] = 103.0
    assert cache.get("g", "a") == 10
    trace = recorder.stop()
    cache.get("g", "a")  # after stop: not recorded
    assert recorder.requests == 2 and not recorder.recording
    assert (trace.names, trace.sizes, trace.times) == (["g:a"], [10, 10], [0.0, 1.5])


def test_libcachesim_reads_the_file_with_its_csv_column_options(tmp_path: Path) -> None:
    lcs: Any = import_libcachesim()
    trace = generate(Workload(kind="zipf", objects=300, requests=3000, size_range=(100, 2000)))
    path = tmp_path / "t.csv"
    write_csv(trace, path)
    params = lcs.ReaderInitParam(has_header=True, delimiter=",", obj_id_is_num=False)
    params.time_field, params.obj_id_field, params.obj_size_field = 1, 2, 3
    params.has_header_set = params.obj_id_is_num_set = True
    reader = lcs.TraceReader(str(path), lcs.TraceType.CSV_TRACE, params)
    assert reader.get_num_of_req() == trace.requests
    assert reader.get_working_set_size() == (trace.objects, trace.footprint_bytes())
    size = trace.footprint_bytes() // 5
    miss_ratio, _byte_miss = lcs.LRU(size).process_trace(reader)
    assert 1 - miss_ratio == pytest.approx(simulate(trace, "lru", size)[0].hit_ratio)


def test_workload_names_and_the_live_event_preset() -> None:
    assert parse_workload("zipf:0.7") == ("zipf", 0.7)
    assert parse_workload("mix") == ("mix", 1.0)
    with pytest.raises(ValueError, match="only zipf and mix"):
        parse_workload("scan:2")
    live = generate(Workload(kind="live-event", requests=1000))
    assert live.objects <= 400 and set(live.sizes) == {5 * 1024 * 1024}
    scan = generate(Workload(kind="scan", objects=10, requests=30, object_size=1))
    assert scan.keys == [i % 10 for i in range(30)]
    mix = generate(Workload(kind="mix", objects=50, requests=1000, object_size=1))
    assert mix.objects > 50  # the scans bring keys the core never asks for
    assert isinstance(Trace.from_requests([]).times, type(None))
