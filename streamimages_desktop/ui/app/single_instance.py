"""One window per library: a QLockFile in the library folder, so two windows never fight over
the same library and caches (a crashed instance's lock is detected by its dead pid)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QLockFile

LOCK_FILE = ".streamimages.lock"
ALREADY_RUNNING = "StreamImages is already running"


def lock_library(library: Path, wait_ms: int = 200) -> QLockFile | None:
    """The held lock of `library` (call unlock() when the window closes), or None when
    another instance holds it."""
    lock = QLockFile(str(library / LOCK_FILE))
    lock.setStaleLockTime(0)  # never steal a live lock however old; a dead pid frees it
    return lock if lock.tryLock(wait_ms) else None


def already_running(library: Path) -> str:
    """What to tell the user when lock_library() said no."""
    return (
        f"{ALREADY_RUNNING} with the library {library}. "
        "Switch to that window, or start with another --library."
    )
