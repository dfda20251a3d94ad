"""The files being prepared ahead of the serial group commits, and how a group is cut.

Bounded by count and by bytes, so the workers never wait on a commit while memory holds only
a few large originals; a group is the prepared head of the window, so one transaction and one
round of fsyncs serve every file that is ready (issue 14).
"""

from __future__ import annotations

import contextlib
import os
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from pathlib import Path

from streamimages_desktop.core.import_prepare import Candidate
from streamimages_desktop.core.import_results import ImportResult

WORKERS = 2  # read + hash + reduced decode run on both cores; Pillow and hashlib release the GIL
WINDOW_FILES = 32
WINDOW_BYTES = 96 * 1024 * 1024
GROUP_FILES = 32
GROUP_BYTES = 64 * 1024 * 1024

Prepared = Candidate | ImportResult
_Pending = Future[Prepared] | ImportResult


class Window:
    """Files being prepared ahead of the commits, in input order, bounded by count and bytes."""

    def __init__(
        self,
        items: Sequence[Path | ImportResult],
        pool: Executor,
        stage: Callable[[Path], Prepared],
        drop: Callable[[Candidate], None],
    ) -> None:
        """`stage` prepares one file on the pool; `drop` undoes what it wrote for a file that
        is abandoned (never handed to a commit)."""
        self._todo = iter(items)
        self._pool = pool
        self._stage = stage
        self._drop = drop
        self._ahead: deque[tuple[_Pending, int]] = deque()  # with its size on disk
        self._bytes = 0
        self.fill()

    def __bool__(self) -> bool:
        return bool(self._ahead)

    def fill(self) -> None:
        while len(self._ahead) < WINDOW_FILES and self._bytes < WINDOW_BYTES:
            item = next(self._todo, None)
            if item is None:
                return
            if isinstance(item, ImportResult):
                self._ahead.append((item, 0))
                continue
            size = _size_of(item)
            self._ahead.append((self._pool.submit(self._stage, item), size))
            self._bytes += size

    def take_group(self) -> list[Prepared]:
        """The head (waited for), then every file after it already prepared, within bounds."""
        group: list[Prepared] = []
        files = size = 0
        while self._ahead and files < GROUP_FILES and size < GROUP_BYTES:
            pending, on_disk = self._ahead[0]
            if group and isinstance(pending, Future) and not pending.done():
                break
            self._ahead.popleft()
            self._bytes -= on_disk
            prepared = pending if isinstance(pending, ImportResult) else pending.result()
            group.append(prepared)
            if isinstance(prepared, Candidate):
                files += 1
                size += len(prepared.data)
        return group

    def abandon(self) -> None:
        """Cancel what has not started, wait for what runs, and drop what those files wrote
        ahead (staged original, cached thumbnail): an abandoned file leaves nothing behind."""
        for pending, _size in self._ahead:
            if isinstance(pending, Future):
                pending.cancel()
        for pending, _size in self._ahead:
            if isinstance(pending, Future) and not pending.cancelled():
                with contextlib.suppress(BaseException):
                    prepared = pending.result()
                    if isinstance(prepared, Candidate):
                        self._drop(prepared)
        self._ahead.clear()


def _size_of(path: Path) -> int:
    """The file's size for the window's byte bound (0 when stat fails: stage 1 reports it)."""
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
