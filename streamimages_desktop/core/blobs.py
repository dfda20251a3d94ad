"""Content-addressed originals on disk: root/ab/cd/<sha256>.<ext>, written atomically."""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

from streamimages_desktop.core.atomic import (
    TEMP_GRACE_SECONDS,
    atomic_write,
    fsync_dir,
    remove_leftovers,
    temp_name,
    write_all,
)
from streamimages_desktop.core.models import Visibility
from streamimages_desktop.core.paths import ensure_private_dir

_SHA256: Final = re.compile(r"[0-9a-f]{64}")
_BLOB_NAME: Final = re.compile(r"([0-9a-f]{64})\.[a-z0-9]+")
# fsyncs issued together: the file system commits its journal once for all of them.
_SYNC_THREADS: Final = 8


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
        # Here, not at the top: imaging loads Pillow, which a `list` never needs.
        from streamimages_desktop.core.imaging import EXTENSION_FOR_FORMAT

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

    def put_many(self, items: Sequence[tuple[bytes, str, str]]) -> list[bool]:
        """put() for a group of (data, sha256, fmt), one flag each: the group commit's originals.

        Every new blob's temp file is written, then all are fsynced together, renamed, and
        their folders fsynced together, so a group pays about one journal commit instead of
        two per file. Durable when this returns, like put(). Raises OSError with none of the
        group's new blobs left behind (a blob that existed already is never touched).
        """
        paths = [self.path_for(sha, fmt) for _data, sha, fmt in items]
        staged: dict[int, tuple[Path, int]] = {}  # item index -> its temp file, still open
        renamed: list[Path] = []
        new = [False] * len(items)
        try:
            made: set[Path] = set()  # folders this group created: their parents change too
            for i, ((data, _sha, _fmt), path) in enumerate(zip(items, paths, strict=True)):
                if path.exists() or any(paths[j] == path for j in staged):
                    continue
                for folder in (path.parent.parent, path.parent):
                    if _make_folder(folder):
                        made.add(folder)
                staged[i] = _write_temp(path.parent, data)
            _together(os.fsync, [fd for _tmp, fd in staged.values()])
            with self._write_lock:
                for i, (tmp, _fd) in staged.items():
                    if paths[i].exists():  # another put won the race: its blob stays
                        continue
                    os.replace(tmp, paths[i])
                    renamed.append(paths[i])
                    new[i] = True
            folders = {p.parent for p in renamed} | {f.parent for f in made}
            _together(fsync_dir, sorted(folders))
        except BaseException:
            for path in renamed:
                with contextlib.suppress(OSError):
                    path.unlink()
            raise
        finally:
            for tmp, fd in staged.values():
                os.close(fd)
                with contextlib.suppress(OSError):  # gone already when it was renamed
                    tmp.unlink(missing_ok=True)
        for i, path in enumerate(paths):
            if not new[i] and i not in staged:
                with contextlib.suppress(OSError):  # young again, as put() does
                    os.utime(path)
        return new

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


def _write_temp(folder: Path, data: bytes) -> tuple[Path, int]:
    """`data` in a fresh owner-only temp file in `folder` (named for this writer), not yet
    synced; the caller closes the returned descriptor."""
    tmp = folder / temp_name()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        write_all(fd, data)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp, fd


def _make_folder(folder: Path) -> bool:
    """mkdir 0700 (one level: mkdir(parents=True) would give `ab` the umask's mode); True if
    it was made now, so its parent's new entry is synced too."""
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        return False
    return True


_syncers: ThreadPoolExecutor | None = None  # made by the first group that syncs
_syncers_lock = threading.Lock()


def _forget_syncers() -> None:
    """A forked child has none of its parent's threads: it starts its own pool if it syncs."""
    global _syncers, _syncers_lock
    _syncers, _syncers_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_syncers)


def _together(sync: Callable[[Any], None], targets: Sequence[Any]) -> None:
    """Run `sync` on every target at once: fsyncs in flight together share journal commits.
    The threads are kept for the process's next group (starting them costs more than a sync)."""
    global _syncers
    if len(targets) <= 1:
        for target in targets:
            sync(target)
        return
    with _syncers_lock:
        if _syncers is None:
            from concurrent.futures import ThreadPoolExecutor  # not for a read command

            _syncers = ThreadPoolExecutor(_SYNC_THREADS, thread_name_prefix="fsync")
        pool = _syncers
    for done in [pool.submit(sync, target) for target in targets]:
        done.result()


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
