"""`streamimages cache stats|clear` and `cache-sim`, run as a user would, in a subprocess."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Hashable
from pathlib import Path

import pytest

from streamimages_desktop.cli import entry as cli
from streamimages_desktop.core import cache_sim
from streamimages_desktop.core.cache import MemoryCache
from streamimages_desktop.core.disk_cache import FILES_DIR, DiskCache, RenditionKey


def run(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-m",
        "streamimages_desktop",
        "--library",
        str(tmp_path / "library"),
        "--cache-dir",
        str(tmp_path / "cache"),
        *args,
    ]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


def fill_disk_cache(folder: Path, count: int) -> int:
    """Put `count` thumbnails in the cache folder the way the manager would; return their bytes."""
    total = 0
    with DiskCache(folder, 10**9, 3600) as disk:
        for n in range(count):
            data = bytes([n]) * (1000 + n)
            key = RenditionKey(uuid.uuid4().hex, "thumb", hashlib.sha256(data).hexdigest())
            disk.put(key, data)
            total += len(data)
    return total


def test_stats_in_a_fresh_process_show_an_empty_memory_layer_and_the_real_disk(
    tmp_path: Path,
) -> None:
    fresh = run(tmp_path, "cache", "stats", "--json", env={"IMAGE_CACHE_MAX_MEMORY_MB": "123"})
    assert fresh.returncode == 0, fresh.stderr
    record = json.loads(fresh.stdout)
    assert record["memory"]["limit_bytes"] == 123 * 1024 * 1024
    assert (record["memory"]["items"], record["memory"]["bytes"], record["memory"]["pages"]) == (
        0,
        0,
        {},
    )
    assert record["disk"]["items"] == 0 and record["disk"]["exists"] is False
    assert record["disk"]["limit_bytes"] == 2048 * 1024 * 1024
    assert not (tmp_path / "cache").exists()  # reading stats creates nothing

    stored = fill_disk_cache(tmp_path / "cache", 3)
    filled = run(tmp_path, "cache", "stats", "--json")
    disk = json.loads(filled.stdout)["disk"]
    assert (disk["items"], disk["bytes"], disk["exists"]) == (3, stored, True)

    text = run(tmp_path, "cache", "stats")
    assert text.returncode == 0
    assert "memory (this process): 0 items" in text.stdout and "0 B of 500 MB" in text.stdout
    assert "disk" in text.stdout and "3 items" in text.stdout


def test_clear_disk_removes_the_renditions(tmp_path: Path) -> None:
    fill_disk_cache(tmp_path / "cache", 4)
    memory_only = run(tmp_path, "cache", "clear", "--page", "gallery")
    assert memory_only.returncode == 0 and "gallery" in memory_only.stdout
    assert json.loads(run(tmp_path, "cache", "stats", "--json").stdout)["disk"]["items"] == 4

    cleared = run(tmp_path, "cache", "clear", "--disk")
    assert cleared.returncode == 0, cleared.stderr
    assert "removed 4 renditions" in cleared.stdout
    assert json.loads(run(tmp_path, "cache", "stats", "--json").stdout)["disk"]["items"] == 0
    assert not any(p.is_file() for p in (tmp_path / "cache" / FILES_DIR).rglob("*"))


def test_clear_takes_page_and_disk_together(tmp_path: Path) -> None:
    """The usage line is `cache clear [--page P] [--disk]`: both options at once are allowed."""
    fill_disk_cache(tmp_path / "cache", 2)
    both = run(tmp_path, "cache", "clear", "--page", "preview", "--disk")
    assert both.returncode == 0, both.stderr
    assert "memory cache page preview" in both.stdout
    assert "removed 2 renditions" in both.stdout
    assert json.loads(run(tmp_path, "cache", "stats", "--json").stdout)["disk"]["items"] == 0


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


@pytest.mark.parametrize(
    "args",
    [
        ["cache"],
        ["cache", "wipe"],
        ["cache", "clear", "--page"],
        ["cache-sim", "--images", "0"],
        ["cache-sim", "--limit-mb", "lots"],
        ["cache-sim", "--ttl-hours", "nan"],
        ["cache-sim", "--pattern", "random"],
        ["cache-sim", "--pages", "99"],
        ["cache-sim", "--preset", "world-cup"],
    ],
)
def test_bad_arguments_exit_2_with_usage(tmp_path: Path, args: list[str]) -> None:
    done = run(tmp_path, *args)
    assert done.returncode == 2
    assert "usage:" in done.stderr
    assert "Traceback" not in done.stderr


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
