"""`streamimages cache-sim`: the real memory cache under a synthetic workload, from a shell."""

from __future__ import annotations

import json
from collections.abc import Hashable
from pathlib import Path

import pytest

from streamimages_desktop.cli import entry as cli
from streamimages_desktop.core import cache_sim
from streamimages_desktop.core.cache import MemoryCache
from tests.cli.shell import run


def test_cache_sim_live_event_json(tmp_path: Path) -> None:
    done = run(tmp_path, "cache-sim", "--preset", "live-event", "--requests", "3000", "--json")
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["limit_bytes"] == 500 * 1024 * 1024
    assert 0 < record["peak_bytes"] <= record["limit_bytes"]
    assert record["hits"] + record["misses"] == 3000
    assert 0 <= record["hit_ratio"] <= record["optimal_hit_ratio"] <= 1
    for name in ("evictions", "expirations", "get_p50_us", "get_p99_us", "pages"):
        assert name in record
    assert record["config"]["viewers"] == 50 and record["config"]["images"] == 200


def test_cache_sim_takes_every_option_and_they_win_over_the_preset(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["cache-sim", "--preset", "live-event", "--images", "40", "--image-mb", "0.5"]
    argv += ["--limit-mb", "8", "--ttl-hours", "0.01", "--viewers", "3", "--requests", "900"]
    argv += ["--pattern", "uniform", "--pages", "3", "--seed", "7", "--json"]
    assert cli.main(argv) == 0
    record = json.loads(capsys.readouterr().out)
    config = record["config"]
    assert (config["images"], config["image_bytes"], config["viewers"]) == (40, 512 * 1024, 3)
    assert (config["limit_bytes"], config["ttl_seconds"]) == (8 * 1024 * 1024, 36.0)
    assert (config["requests"], config["pattern"], config["pages"], config["seed"]) == (
        900,
        "uniform",
        3,
        7,
    )
    assert record["limit_bytes"] == 8 * 1024 * 1024
    assert set(record["pages"]) == {"gallery", "preview", "browser"}
    for total in ("hits", "misses", "evictions", "expirations"):
        assert sum(page[total] for page in record["pages"].values()) == record[total]
    assert record["hits"] + record["misses"] == 900
    assert record["expirations"] > 0  # 36 s TTL, 900 requests 5/3 s apart: 25 simulated minutes
    assert 0 <= record["hit_ratio"] <= record["optimal_hit_ratio"] <= 1
    assert cli.main(argv[:-1]) == 0  # the same run, without --json: a table
    table = capsys.readouterr().out
    assert "hit ratio" in table and "optimal cache of the same size" in table
    header = next(line.split() for line in table.splitlines() if line.startswith("page "))
    assert {"evicted", "caused", "expired", "oversize"} <= set(header)  # whose evictions
    assert f"{record['hits']} / {record['misses']}" in table  # same seed, same run


def test_cache_sim_table_and_settings_defaults(tmp_path: Path) -> None:
    done = run(
        tmp_path,
        "cache-sim",
        "--requests",
        "2000",
        "--pattern",
        "scan",
        "--pages",
        "1",
        env={"IMAGE_CACHE_MAX_MEMORY_MB": "100", "IMAGE_CACHE_TTL_HOURS": "2"},
    )
    assert done.returncode == 0, done.stderr
    assert "limit           100 MB" in done.stdout
    assert "TTL 2.00 h" in done.stdout
    assert "hit ratio       0.0%" in done.stdout and "optimal" in done.stdout
    assert "gallery" in done.stdout


class _NoEviction(MemoryCache[int]):
    """A broken cache that ignores its limit, to prove the simulator notices."""

    def put(self, page: str, key: Hashable, value: int) -> bool:
        with self._lock:
            self._link((page, key), _entry_like(self, page, value))
        return True


def _entry_like(cache: MemoryCache[int], page: str, value: int) -> object:
    from streamimages_desktop.core.cache import _Entry

    counters = cache._pages.get(page) or cache._page(page)
    return _Entry(counters, value, cache._size_of(value), 0.0)


def test_cache_sim_exits_non_zero_loudly_when_the_limit_is_exceeded(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cache_sim, "MemoryCache", _NoEviction)
    status = cli.main(["cache-sim", "--images", "50", "--limit-mb", "10", "--requests", "500"])
    captured = capsys.readouterr()
    assert status == 1
    assert "LIMIT EXCEEDED" in captured.err
