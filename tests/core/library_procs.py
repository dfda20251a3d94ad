"""Real processes on one library: a worker script, and the checks a library must pass after any
crash (integrity, rows against originals, no orphans)."""

from __future__ import annotations

import hashlib
import io
import os
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from streamimages_desktop.core.blobs import BlobStore
from streamimages_desktop.core.disk_index import INDEX_NAME
from streamimages_desktop.core.manager import LIBRARY_FILE, StreamImageManager
from streamimages_desktop.core.models import OWNER
from streamimages_desktop.core.settings import Settings
from tests.images import write_image

REPO = Path(__file__).resolve().parents[2]

# argv: action library cache [paths...]; prints "ready" once the library is open, then waits
# for a line on stdin (so a test can start the next process while it checks the last one).
WORKER = """
import sys
from pathlib import Path
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER
from streamimages_desktop.core.settings import Settings

action, library, cache = sys.argv[1:4]
settings = Settings.load(library=Path(library), cache_dir=Path(cache))
with StreamImageManager(settings, housekeeping_at_start=False) as manager:
    print("ready", flush=True)
    sys.stdin.readline()
    if action == "import":
        manager.import_paths(OWNER, "s", [Path(p) for p in sys.argv[4:]])
    elif action == "delete":
        manager.delete_images(OWNER, [image.id for image in manager.images(OWNER)])
        manager.empty_trash(OWNER)  # the purge is what removes files
    print("done", flush=True)
"""


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONDONTWRITEBYTECODE="1")
    env.update(extra)
    return env


def start_worker(
    action: str, settings: Settings, files: Sequence[Path] = ()
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            WORKER,
            action,
            str(settings.stream_images_dir),
            str(settings.image_cache_dir),
            *map(str, files),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=child_env(),
    )


def go(proc: subprocess.Popen[str]) -> None:
    """Wait until the worker has opened the library, then let it start its work."""
    assert proc.stdin is not None and proc.stdout is not None
    assert proc.stdout.readline() == "ready\n"
    proc.stdin.write("go\n")
    proc.stdin.flush()


def make_batch(folder: Path, count: int) -> list[Path]:
    """`count` small distinct PNG files."""
    return [write_image(folder / f"pic{i:02d}.png", size=(24, 16), seed=i) for i in range(count)]


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_database_sound(settings: Settings) -> None:
    """SQLite's own check and the full-text index's check (content against index) pass."""
    db = sqlite3.connect(settings.stream_images_dir / LIBRARY_FILE)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        db.execute("INSERT INTO images_fts (images_fts, rank) VALUES ('integrity-check', 1)")
    finally:
        db.close()


def assert_rows_have_their_files(manager: StreamImageManager, settings: Settings) -> None:
    """Every row's original exists with the right SHA-256, and it has a thumbnail."""
    blobs = BlobStore(settings.stream_images_dir / "originals")
    for image in manager.images(OWNER):
        original = blobs.path_for(image.sha256, image.format)
        assert sha256_of(original) == image.sha256, image
        thumb = manager.rendition(OWNER, image.id)
        with Image.open(io.BytesIO(thumb)) as img:
            assert img.format == "JPEG"


def orphans(manager: StreamImageManager, settings: Settings) -> tuple[list[Path], set[str]]:
    """(originals no row uses or temp files, cached image ids with no row)."""
    root = settings.stream_images_dir / "originals"
    every = manager.images(OWNER) + [t.image for t in manager.trash(OWNER)]  # trash keeps files
    used = {image.sha256 for image in every}
    files = [p for p in root.rglob("*") if p.is_file() and p.name.split(".")[0] not in used]
    db = sqlite3.connect(settings.image_cache_dir / INDEX_NAME)
    try:
        cached = {str(r[0]) for r in db.execute("SELECT DISTINCT image_id FROM renditions")}
    finally:
        db.close()
    rows = {image.id for image in every}
    on_disk = {
        p.name.split("-")[0]
        for p in (settings.image_cache_dir / "renditions").rglob("*")
        if p.is_file()
    }
    return files, (cached | on_disk) - rows
