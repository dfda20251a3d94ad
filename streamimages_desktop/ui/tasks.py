"""TaskRunner: blocking work (queries, reads, decodes) on a private QThreadPool; results on GUI."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from streamimages_desktop.ui import failures

log = logging.getLogger(__name__)


class _Relay(QObject):
    """Lives on the GUI thread; a queued signal carries each result back to it."""

    finished = Signal(object, object, object)  # job, result, error


class _Job(QRunnable):
    """One submitted call; the runner's sets hold it (not the pool) until it has reported."""

    def __init__(
        self,
        runner: TaskRunner,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[Exception], None] | None,
    ) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.runner, self.fn, self.on_done, self.on_error = runner, fn, on_done, on_error

    def run(self) -> None:
        self.runner._start(self)
        try:
            outcome: tuple[Any, Exception | None] = (self.fn(), None)
        except Exception as exc:  # handed to on_error on the GUI thread
            outcome = (None, exc)
        try:
            self.runner._relay.finished.emit(self, *outcome)
        except RuntimeError:  # the runner was deleted with its owner; nobody to tell
            log.debug("task finished after its runner was deleted")
        finally:
            self.runner._stop(self)


class TaskRunner(QObject):
    """Owns a private QThreadPool so background work never blocks the GUI thread.

    Every job is queued (clear_queued() takes it back from the pool: it never runs and never
    reports) or running (it reports once, on the GUI thread); QThreadPool.tryTake decides
    which, so `pending` is exact even when clearing races a pool thread starting the job.

    Signals:
        busy_changed(bool): True when the first job is submitted, False when none is pending.

    Attributes:
        max_threads: how many jobs run at once.
    """

    busy_changed = Signal(bool)

    def __init__(self, max_threads: int = 2, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.max_threads = max(1, max_threads)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(self.max_threads)
        self._relay = _Relay(self)
        self._relay.finished.connect(self._on_finished)
        self._cond = threading.Condition()
        self._queued: set[_Job] = set()
        self._running: set[_Job] = set()  # started; result not yet delivered
        self._executing = 0  # jobs whose fn is running right now

    @property
    def pending(self) -> int:
        """Jobs queued or running whose result has not been delivered yet."""
        with self._cond:
            return len(self._queued) + len(self._running)

    @property
    def busy(self) -> bool:
        return self.pending > 0

    def submit(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[Exception], None] | None = None,
        priority: int = 0,
    ) -> None:
        """Run `fn` on a worker; call `on_done(result)` or `on_error(exc)` on the GUI thread.

        Without `on_error` a failure is logged. Higher `priority` starts earlier; equal
        priorities start in the order they were submitted (QThreadPool's own queue).
        """
        job = _Job(self, fn, on_done, on_error)
        with self._cond:
            was_idle = not self._queued and not self._running
            self._queued.add(job)
        self._pool.start(job, priority)
        if was_idle:
            self.busy_changed.emit(True)

    def clear_queued(self) -> int:
        """Drop work not yet started (a new stream, role or search made it stale).

        Jobs already running still deliver their result; the caller decides whether it is
        stale. Returns how many jobs were dropped.
        """
        with self._cond:
            queued = list(self._queued)
        # tryTake() only succeeds for a job no pool thread has picked up; the others run.
        taken = [job for job in queued if self._pool.tryTake(job)]
        with self._cond:
            self._queued.difference_update(taken)
            idle = not self._queued and not self._running
        if taken and idle:
            self.busy_changed.emit(False)
        return len(taken)

    def wait(self, msecs: int = -1) -> bool:
        """Block until no job is queued or running (results are then delivered by the event
        loop); False if `msecs` passed first."""
        with self._cond:
            return self._cond.wait_for(
                lambda: not self._queued and self._executing == 0,
                None if msecs < 0 else msecs / 1000,
            )

    def _start(self, job: _Job) -> None:
        with self._cond:
            self._queued.discard(job)
            self._running.add(job)
            self._executing += 1

    def _stop(self, job: _Job) -> None:
        with self._cond:
            self._executing -= 1
            self._cond.notify_all()

    @Slot(object, object, object)
    def _on_finished(self, job: _Job, result: Any, error: Exception | None) -> None:
        with self._cond:
            self._running.discard(job)
            idle = not self._queued and not self._running
        try:
            if error is None:
                job.on_done(result)
            elif job.on_error is not None:
                job.on_error(error)
            else:
                failures.handle(error, lambda line: log.warning("background task failed: %s", line))
        finally:
            if idle:
                self.busy_changed.emit(False)
