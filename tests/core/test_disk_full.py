"""A disk that fills up during an import: one clear line per refused file, nothing half-written.

Runs on a real, tiny tmpfs when this machine lets the tests mount one (root, or a user
namespace); otherwise the disk fills by ENOSPC injected at the file-write seam. The test
prints which one ran, and never skips.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import random
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from streamimages_desktop.core import blobs
from streamimages_desktop.core.importer import ImportStatus
from streamimages_desktop.core.manager import LIBRARY_FILE, StreamImageManager
from streamimages_desktop.core.models import OWNER
from streamimages_desktop.core.settings import Settings
from tests.images import encode

TMPFS_BYTES = 3 * 1024 * 1024


@contextlib.contextmanager
def small_disk(where: Path) -> Iterator[bool]:
    """A 3 MB tmpfs at `where` (True), or nothing mounted (False) where mounting is refused."""
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_BYTES},mode=0700", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    try:
        yield mounted.returncode == 0
    finally:
        if mounted.returncode == 0:
            subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


def noisy_png(seed: int) -> bytes:
    """About 190 KB that PNG cannot compress, so a few of them fill the small disk."""
    noise = random.Random(seed).randbytes(256 * 256 * 3)
    return encode(Image.frombytes("RGB", (256, 256), noise), "PNG")


def test_a_full_disk_refuses_files_with_one_line_and_keeps_the_library_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with small_disk(tmp_path / "disk") as real:
        settings = Settings.load(
            {}, library=tmp_path / "disk" / "lib", cache_dir=tmp_path / "cache"
        )
        if not real:
            written = [0]
            real_write = blobs.atomic_write

            def filling_write(path: Path, data: bytes, *args: object, **kw: object) -> None:
                written[0] += len(data)
                if written[0] > TMPFS_BYTES:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
                real_write(path, data, *args, **kw)  # type: ignore[arg-type]

            monkeypatch.setattr(blobs, "atomic_write", filling_write)  # where originals go
        with capsys.disabled():
            print(
                "\n[disk full] "
                + ("a real 3 MB tmpfs" if real else "ENOSPC injected at the file-write seam")
            )
        sources = tmp_path / "in"
        sources.mkdir()
        for n in range(30):
            (sources / f"noise-{n:02d}.png").write_bytes(noisy_png(n))
        with StreamImageManager(settings) as manager:
            results = manager.import_paths(OWNER, "s1", [sources])
            imported = [r for r in results if r.status is ImportStatus.IMPORTED]
            rejected = [r for r in results if r.status is ImportStatus.REJECTED]
            assert imported and rejected, results  # the disk really filled part way
            for result in rejected:
                assert result.reason is not None and "\n" not in result.reason
                assert "full" in result.reason, result.reason
            rows = manager.images(OWNER, "s1")
        assert {r.id for r in rows} == {r.image_id for r in imported}
        library = settings.stream_images_dir
        conn = sqlite3.connect(f"file:{library / LIBRARY_FILE}?mode=ro", uri=True)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            conn.close()
        originals = library / "originals"
        for row in rows:  # every row has its whole original
            path = next(originals.rglob(f"{row.sha256}.*"))
            assert hashlib.sha256(path.read_bytes()).hexdigest() == row.sha256
        leftovers = [p for p in originals.rglob("*") if p.is_file() and p.suffix == ".part"]
        assert leftovers == []  # no half-written original stays behind
        stored = {p.stem for p in originals.rglob("*") if p.is_file()}
        assert stored == {r.sha256 for r in rows}  # and no original without its row
