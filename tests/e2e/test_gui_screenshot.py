"""`streamimages gui --screenshot` renders the real window offscreen and exits 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PIL import Image, ImageStat


def run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")  # HOME and XDG_* point into tmp_path
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
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def test_screenshot_is_a_real_window_of_about_1280x800(tmp_path: Path) -> None:
    out = tmp_path / "out.png"
    done = run_cli(tmp_path, "gui", "--screenshot", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no traceback, and none of the offscreen platform's notes
    with Image.open(out) as shot:
        assert shot.format == "PNG"
        width, height = shot.size
        assert 1200 <= width <= 1400 and 740 <= height <= 860
        rgb = shot.convert("RGB")
        colours = rgb.getcolors(maxcolors=1_000_000) or []
        assert len(colours) > 500  # thumbnails, text and chrome, not a blank fill
        assert max(ImageStat.Stat(rgb).stddev) > 20
        # The sample stream's thumbnails are in the grid: its centre is not one flat colour.
        centre = rgb.crop((width // 4, height // 8, 3 * width // 4, height // 2))
        assert len(centre.getcolors(maxcolors=1_000_000) or []) > 200


def test_screenshot_as_viewer_of_a_named_stream(tmp_path: Path) -> None:
    out = tmp_path / "viewer.png"
    done = run_cli(
        tmp_path, "gui", "--stream", "sample", "--role", "viewer", "--screenshot", str(out)
    )
    assert done.returncode == 0, done.stderr
    with Image.open(out) as shot:
        assert shot.size[0] >= 1200


def test_a_second_instance_is_refused_with_one_line(tmp_path: Path) -> None:
    from PySide6.QtCore import QLockFile

    from streamimages_desktop.ui.app.single_instance import LOCK_FILE

    (tmp_path / "library").mkdir()
    lock = QLockFile(str(tmp_path / "library" / LOCK_FILE))
    assert lock.tryLock(0)
    try:
        done = run_cli(tmp_path, "gui", "--screenshot", str(tmp_path / "x.png"))
    finally:
        lock.unlock()
    assert done.returncode == 1
    assert "already running" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "x.png").exists()
