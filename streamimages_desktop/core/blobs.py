"""Content-addressed originals on disk: root/ab/cd/<sha256>.<ext>, written atomically."""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

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

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 14)
if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor
    from typing import Any, Final

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

    def stage(self, data: bytes, sha256: str, fmt: str) -> Staged | None:
        """Write `data` to a temp file beside its blob, not synced and not yet visible; None
        when the blob exists already (nothing to write).

        For the import's parallel stage: the bytes are copied to the page cache by a worker,
        so the serial group commit only syncs and renames them (put_many). Raises OSError
        with nothing left behind; the caller discards what it does not hand to put_many.
        """
        path = self.path_for(sha256, fmt)
        if path.exists():
            return None
        made = tuple(f for f in (path.parent.parent, path.parent) if _make_folder(f))
        tmp, fd = _write_temp(path.parent, data)
        return Staged(path, tmp, fd, made)

    def put_many(
        self,
        items: Sequence[tuple[bytes, str, str]],
        staged: Sequence[Staged | None] = (),
    ) -> list[bool]:
        """put() for a group of (data, sha256, fmt), one flag each: the group commit's originals.

        Every new blob's temp file is written (or taken from `staged`, one entry per item, see
        stage()), then all are fsynced together, renamed, and their folders fsynced together,
        so a group pays about one journal commit instead of two per file. Durable when this
        returns, like put(). Raises OSError with none of the group's new blobs left behind (a
        blob that existed already is never touched). Every staged file is used or discarded.
        """
        paths = [self.path_for(sha, fmt) for _data, sha, fmt in items]
        given = list(staged) + [None] * (len(items) - len(staged))
        temps: dict[int, Staged] = {}  # item index -> its temp file, still open
        renamed: list[Path] = []
        new = [False] * len(items)
        try:
            made: set[Path] = set()  # folders this group created: their parents change too
            taken: set[Path] = set()
            for i, ((data, _sha, _fmt), path) in enumerate(zip(items, paths, strict=True)):
                ahead = given[i]
                if path in taken or path.exists():
                    continue
                taken.add(path)
                if ahead is not None:
                    given[i] = None  # it is in `temps` now
                    temps[i] = ahead
                    made.update(ahead.made)
                    continue
                for folder in (path.parent.parent, path.parent):
                    if _make_folder(folder):
                        made.add(folder)
                temps[i] = Staged(path, *_write_temp(path.parent, data), ())
            _together(os.fsync, [t.fd for t in temps.values()])
            with self._write_lock:
                for i, temp in temps.items():
                    if paths[i].exists():  # another put won the race: its blob stays
                        continue
                    os.replace(temp.tmp, paths[i])
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
            for temp in [*temps.values(), *(g for g in given if g is not None)]:
                temp.discard()  # gone already when it was renamed
        for i, path in enumerate(paths):
            if not new[i] and i not in temps:
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


class Staged:
    """A new original in a temp file beside its blob path: written, not synced, not visible.

    A crash leaves only the temp file, which the start-up clean-up removes once its writer is
    gone; discard() (idempotent) closes and removes it at once.
    """

    def __init__(self, path: Path, tmp: Path, fd: int, made: tuple[Path, ...]) -> None:
        self.path = path
        self.tmp = tmp
        self.fd = fd
        self.made = made  # folders made for it: their parents' new entries need a sync too
        self._open = True

    def discard(self) -> None:
        if self._open:
            self._open = False
            os.close(self.fd)
            with contextlib.suppress(OSError):
                self.tmp.unlink(missing_ok=True)


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
