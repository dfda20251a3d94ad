"""Who wrote a temp file, whether that process still runs, and a lock shared between processes.

A temp file's name carries its writer's pid and the start time of that pid (from
/proc/<pid>/stat), so a later process can tell "still being written" from "left by a crash",
even when the pid has been reused since.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from streamimages_desktop.core.errors import LibraryError

LOCK_WAIT_SECONDS = 30.0

_identity: tuple[int, str] | None = None  # (pid it was read for, token): a fork reads again


def _start_token(pid: int) -> str | None:
    """The kernel's start time of `pid` in clock ticks; None if no such process (or no /proc)."""
    try:
        with open(f"/proc/{pid:d}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    # Field 2 (the command) may contain spaces and parentheses: count from the last ')'.
    fields = stat[stat.rfind(b")") + 2 :].split()
    return fields[19].decode("ascii") if len(fields) > 19 else None


def process_token() -> str:
    """This process as `<pid>-<start>`; start is 0 where /proc is missing (pid alone counts)."""
    global _identity
    pid = os.getpid()
    if _identity is None or _identity[0] != pid:
        _identity = (pid, f"{pid:d}-{_start_token(pid) or '0'}")
    return _identity[1]


def writer_alive(token: str) -> bool:
    """Whether the process a `process_token()` names still runs (True when unsure)."""
    pid_text, _, start = token.partition("-")
    if not pid_text.isdigit() or not start.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return start in ("0", _start_token(pid))
    now = _start_token(pid)
    if now is not None:
        return start in ("0", now)
    if os.path.isdir("/proc/self"):  # /proc works, so the pid is gone
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but belongs to someone else
        return True
    return True


@contextlib.contextmanager
def file_lock(
    path: Path, *, shared: bool = False, wait: float | None = LOCK_WAIT_SECONDS
) -> Iterator[bool]:
    """flock() on `path` (created 0600); yields True once held.

    A fresh descriptor per call, so two threads of one process exclude each other too. `wait`
    None tries once and yields False when another holder has it; otherwise LibraryError after
    `wait` seconds. The kernel drops the lock when its holder dies, even by SIGKILL.
    """
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError:  # a read-only library: an existing lock file still locks when read-only
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        kind = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        deadline = time.monotonic() + (wait or 0.0)
        pause = 0.001
        while True:
            try:
                fcntl.flock(fd, kind | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if wait is None:
                    yield False
                    return
                if time.monotonic() >= deadline:
                    raise LibraryError(
                        f"the library is busy: another program holds {path}; try again"
                    ) from None
                time.sleep(pause)
                pause = min(pause * 2, 0.05)
        yield True
    finally:
        os.close(fd)  # closing the descriptor releases the lock
