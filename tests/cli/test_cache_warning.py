"""An unusable cache folder, from a shell: commands work uncached and say so in one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.images import write_image


def run(library: Path, cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "streamimages_desktop"]
    command += ["--library", str(library), "--cache-dir", str(cache), *args]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=120, env=dict(os.environ), check=False
    )


def test_a_file_where_the_cache_folder_belongs(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.write_bytes(b"not a folder")
    library = tmp_path / "library"
    warning = (
        f"streamimages: warning: the rendition cache folder {cache} cannot be used "
        "(a file is in the way: a folder is needed there); renditions are made from the "
        "originals each time and not stored\n"
    )
    picture = write_image(tmp_path / "in" / "a.png", "PNG", size=(64, 48))
    imported = run(library, cache, "import", "--stream", "s1", str(picture))
    assert imported.returncode == 0 and imported.stdout.startswith("imported "), imported
    assert imported.stderr == warning  # once, in the command line's own words

    stats = run(library, cache, "cache", "stats")
    assert stats.returncode == 0 and stats.stderr == warning
    [disk_line] = [line for line in stats.stdout.splitlines() if line.startswith("disk (")]
    assert disk_line.endswith(", unusable: a file is in the way: a folder is needed there")
    assert "not created yet" not in stats.stdout

    record = json.loads(run(library, cache, "cache", "stats", "--json").stdout)["disk"]
    assert record["unusable"] == "a file is in the way: a folder is needed there"
    assert cache.read_bytes() == b"not a folder"  # left as it was
