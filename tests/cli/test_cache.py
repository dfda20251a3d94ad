"""`streamimages cache stats|clear`, run as a user would, in a subprocess."""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path

from streamimages_desktop.core.disk_cache import FILES_DIR, DiskCache, RenditionKey
from tests.cli.shell import run


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


def test_stats_report_the_disk_cache_and_leave_memory_to_a_running_window(
    tmp_path: Path,
) -> None:
    fresh = run(tmp_path, "cache", "stats", "--json", env={"IMAGE_CACHE_MAX_MEMORY_MB": "123"})
    assert fresh.returncode == 0, fresh.stderr
    record = json.loads(fresh.stdout)
    memory = record["memory"]
    assert memory["limit_bytes"] == 123 * 1024 * 1024
    assert memory["scope"] == "each running window"
    assert "running window" in memory["note"]
    assert not {"items", "bytes", "pages"} & set(memory)  # no figures this process cannot know
    assert record["disk"]["items"] == 0 and record["disk"]["exists"] is False
    assert record["disk"]["limit_bytes"] == 2048 * 1024 * 1024
    assert not (tmp_path / "cache").exists()  # reading stats creates nothing
    assert not (tmp_path / "lib").exists()

    stored = fill_disk_cache(tmp_path / "cache", 3)
    filled = run(tmp_path, "cache", "stats", "--json")
    disk = json.loads(filled.stdout)["disk"]
    assert (disk["items"], disk["bytes"], disk["exists"]) == (3, stored, True)

    text = run(tmp_path, "cache", "stats")
    assert text.returncode == 0
    disk_line, memory_line, note = text.stdout.splitlines()
    assert disk_line.startswith(f"disk ({tmp_path / 'cache'}): 3 items")
    assert memory_line == "memory: limit 500 MB, TTL 24.00 h"
    assert "memory-cache figures belong to a running window" in note
    assert "0 items" not in text.stdout  # no made-up memory figures


def test_clear_disk_removes_the_renditions(tmp_path: Path) -> None:
    fill_disk_cache(tmp_path / "cache", 4)
    memory_only = run(tmp_path, "cache", "clear", "--page", "gallery")
    assert memory_only.returncode == 0 and "gallery" in memory_only.stdout
    assert "nothing cleared here" in memory_only.stdout and "running window" in memory_only.stdout
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
