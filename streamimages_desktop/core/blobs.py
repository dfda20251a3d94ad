"""Content-addressed originals on disk: root/ab/cd/<sha256>.<ext>, written atomically."""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from streamimages_desktop.core.atomic import TEMP_GRACE_SECONDS, atomic_write, remove_leftovers
from streamimages_desktop.core.imaging import EXTENSION_FOR_FORMAT
from streamimages_desktop.core.models import Visibility
from streamimages_desktop.core.paths import ensure_private_dir

_SHA256: Final = re.compile(r"[0-9a-f]{64}")
_BLOB_NAME: Final = re.compile(r"([0-9a-f]{64})\.[a-z0-9]+")


class BlobStore:
    """The original bytes of every image, one file per distinct content.

    Rows reference blobs by sha256; the manager removes a blob once no row references it.
    `visibility` is accepted and ignored, so callers pass it to this store and to the team's
    S3BlobStore (which keeps each visibility in its own folder) alike.
    """

    def __init__(self, root: Path) -> None:
        self._root = ensure_private_dir(root)
        self._write_lock = threading.Lock()  # so exactly one of two racing puts reports True

    @property
    def root(self) -> Path:
        return self._root

    def path_for(self, sha256: str, fmt: str) -> Path:
        """Where the blob lives; only a 64-char lowercase hex digest ever becomes a path."""
        if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        ext = EXTENSION_FOR_FORMAT.get(fmt)
        if ext is None:
            raise ValueError(f"unsupported image format: {fmt!r}")
        return self._root / sha256[:2] / sha256[2:4] / f"{sha256}.{ext}"

    def put(
        self, data: bytes, sha256: str, fmt: str, visibility: Visibility | str | None = None
    ) -> bool:
        """Store `data` atomically; False if the blob exists already (same hash, same bytes).

        The caller computes sha256; it is trusted to match `data`. Raises OSError (disk full,
        permissions) with nothing left behind.
        """
        path = self.path_for(sha256, fmt)
        with self._write_lock:
            if path.exists():
                # Young again, so an orphan collector's grace period covers this reuse too.
                with contextlib.suppress(OSError):
                    os.utime(path)
                return False
            # One level at a time: mkdir(parents=True) would give `ab` the umask's mode.
            for folder in (path.parent.parent, path.parent):
                folder.mkdir(mode=0o700, exist_ok=True)
            atomic_write(path, data)
        return True

    def read(self, sha256: str, fmt: str, visibility: Visibility | str | None = None) -> bytes:
        """The original bytes; FileNotFoundError when the blob is missing."""
        return self.path_for(sha256, fmt).read_bytes()

    def remove(self, sha256: str, fmt: str, visibility: Visibility | str | None = None) -> None:
        """Delete the blob; a missing blob is fine.

        Empty ab/cd folders stay: removing them would race a put() into the same folder.
        """
        with contextlib.suppress(FileNotFoundError):
            self.path_for(sha256, fmt).unlink()

    def move(
        self,
        sha256: str,
        fmt: str,
        old_visibility: Visibility | str | None = None,
        new_visibility: Visibility | str | None = None,
    ) -> None:
        """Nothing to do: a local original's path does not depend on its visibility."""

    def clean_leftovers(self, grace: float = TEMP_GRACE_SECONDS) -> int:
        """Delete temp files of writes interrupted by a crash; return how many.

        Only files whose writer is gone and older than `grace` (see atomic.is_abandoned).
        """
        return remove_leftovers(self._root, grace)

    def stored(self) -> Iterator[tuple[str, Path, float]]:
        """(sha256, path, mtime) of every blob on disk, for the orphan collector."""
        for first in _subfolders(self._root):
            for second in _subfolders(first):
                with contextlib.suppress(OSError), os.scandir(second) as entries:
                    for entry in entries:
                        match = _BLOB_NAME.fullmatch(entry.name)
                        if match and entry.is_file(follow_symlinks=False):
                            with contextlib.suppress(OSError):
                                mtime = entry.stat(follow_symlinks=False).st_mtime
                                yield match.group(1), Path(entry.path), mtime


def _subfolders(folder: Path) -> list[Path]:
    """The two-hex-digit folders in `folder` (blobs are spread over ab/cd/)."""
    try:
        with os.scandir(folder) as entries:
            return [
                Path(e.path)
                for e in entries
                if len(e.name) == 2 and e.is_dir(follow_symlinks=False)
            ]
    except OSError:
        return []
