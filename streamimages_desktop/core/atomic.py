"""Atomic file writes: temp file in the same folder, fsync, rename, fsync the folder.

Each temp file's name carries its writer (see process_lock), so a clean-up run by another
process removes only the temp files of writers that are gone, and only once they are old.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import time
from pathlib import Path

from streamimages_desktop.core.process_lock import process_token, writer_alive

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 14)
if TYPE_CHECKING:
    from typing import Final

TEMP_SUFFIX = ".part"
# A temp file younger than this is left alone even if its writer looks gone: clocks, pid
# checks and network folders are not perfect, and an interrupted write costs nothing to keep.
TEMP_GRACE_SECONDS: Final = 600.0
_TEMP_RE: Final = re.compile(r"\.[0-9a-f]{16}\.w(\d+-\d+)" + re.escape(TEMP_SUFFIX))


def random_hex(nbytes: int) -> str:
    """What secrets.token_hex gives, without importing `secrets` (its `random`, `hmac` and
    `base64` cost every command's start-up more than its query, issue 14)."""
    return os.urandom(nbytes).hex()


def temp_name() -> str:
    """A fresh temp file name: random, plus this process's identity."""
    return f".{random_hex(8)}.w{process_token()}{TEMP_SUFFIX}"


def temp_writer(name: str) -> str | None:
    """The writer token in a temp file name; None for a name without one (an older version)."""
    match = _TEMP_RE.fullmatch(name)
    return match.group(1) if match else None


def write_all(fd: int, data: bytes) -> None:
    """os.write until every byte is written (the one place file bytes are written)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class SpecialFileInTheWay(FileExistsError):
    """`path` is a device, pipe or socket: renaming a new file over it would replace it (run as
    root, a settings path of /dev/null would become a regular file)."""

    REASON: Final = "a device, pipe or socket is in the way (a file is needed there)"

    def __init__(self, path: Path) -> None:
        super().__init__(errno.EEXIST, self.REASON, str(path))


def refuse_special_file(path: Path) -> None:
    """Raise SpecialFileInTheWay if `path` is (or links to) a device, pipe or socket; a
    folder is left to the rename, which refuses it."""
    try:
        info = os.stat(path)
    except OSError:
        return  # missing (or unreadable: the write itself then says why)
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
        raise SpecialFileInTheWay(path)


def atomic_write(path: Path, data: bytes, mode: int = 0o600, *, fsync: bool = True) -> None:
    """Write `data` to `path` so readers see the old file or the whole new one, never a part.

    `fsync=False` is for a regenerable cache file whose reader verifies it (the rendition
    cache checks size and checksum): the rename is still atomic for running readers, but after
    a power cut the file may be missing or empty, which costs a regeneration, not data.
    Originals and everything else keep the default: the bytes, then the rename, are durable
    before this returns.

    The file is created with `mode` whatever the umask. Raises OSError (disk full,
    permissions; SpecialFileInTheWay for a device, pipe or socket at `path`) after trying to
    remove the temp file; a temp file that cannot be removed either is left to the start-up
    clean-up (remove_leftovers). A folder at `path` fails the rename (IsADirectoryError).
    """
    refuse_special_file(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.parent / temp_name()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    try:
        try:
            os.fchmod(fd, mode)
            write_all(fd, data)
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if fsync:
        fsync_dir(path.parent)


def create_private_file(path: Path) -> None:
    """Create `path` empty and owner-only (0600) unless it exists, whatever the umask."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Make a rename in `path` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def is_abandoned(entry: os.DirEntry[str], grace: float = TEMP_GRACE_SECONDS) -> bool:
    """Whether a temp file is safe to delete: its writer is gone and it is older than `grace`."""
    if not (entry.name.startswith(".") and entry.name.endswith(TEMP_SUFFIX)):
        return False
    writer = temp_writer(entry.name)
    if writer is not None and writer_alive(writer):
        return False
    try:
        return entry.stat(follow_symlinks=False).st_mtime <= time.time() - grace
    except OSError:
        return False


def remove_leftovers(root: Path, grace: float = TEMP_GRACE_SECONDS) -> int:
    """Delete temp files of interrupted writes below `root` (see is_abandoned); return how many.

    Run it under the library's lock; it never touches another live process's write.
    """
    removed = 0
    stack = [str(root)]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
            elif is_abandoned(entry, grace):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed += 1
    return removed
