"""ThumbnailLoader: renditions fetched and decoded on worker threads, newest request first."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Container
from functools import partial
from typing import Protocol

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from streamimages_desktop.core.errors import ImageRejected, StreamImagesError
from streamimages_desktop.core.models import Role, Viewer
from streamimages_desktop.ui.tasks import TaskRunner

log = logging.getLogger(__name__)


class RenditionSource(Protocol):
    """What the loader needs from StreamImageManager."""

    def rendition(self, viewer: Viewer, image_id: str, rendition: str = "thumb") -> bytes: ...


def load_rendition(
    source: RenditionSource, viewer: Viewer, image_id: str, rendition: str
) -> QImage:
    """Worker side: the access-checked JPEG rendition, decoded to a QImage (never a QPixmap)."""
    data = source.rendition(viewer, image_id, rendition)
    image = QImage.fromData(data)
    if image.isNull():
        raise ImageRejected("the thumbnail could not be decoded")
    return image


class ThumbnailLoader(QObject):
    """Loads renditions off the GUI thread, each image once, the most recently requested first.

    Requests wait in a last-in-first-out queue here, not in the TaskRunner, and only as many
    as there are workers are handed to it at a time. So the rows painted last (the ones
    on screen now) load first, a request repeated by a repaint moves back to the front, and
    clear_pending()/retain() drop waiting work in O(queue). Results and failures are keyed by
    image id. A failed image (NotFound for this role, a corrupt file) is not retried until
    clear_pending() or forget().

    Signals:
        loaded(str, QImage): an image id and its decoded rendition, on the GUI thread.
        failed(str, str): an image id and a one-line reason; it will not be retried.
        idle(): nothing is queued or running for the current generation any more.

    Attributes:
        rendition: the rendition this loader asks the manager for ("thumb", "thumb@400"...).
        audience: while on air, the only role whose results are delivered (None off air).
    """

    loaded = Signal(str, QImage)
    failed = Signal(str, str)
    idle = Signal()

    def __init__(
        self,
        manager: RenditionSource,
        rendition: str = "thumb",
        max_threads: int = 2,
        max_queued: int = 2000,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.rendition = rendition
        self._manager = manager
        self._runner = TaskRunner(max_threads, self)
        self._max_threads = max_threads
        self._max_queued = max_queued
        self._generation = 0
        self._queue: OrderedDict[str, Viewer] = OrderedDict()  # newest at the end
        self._running: set[str] = set()  # ids in flight for the current generation
        self._in_flight = 0  # all generations: keeps the runner at max_threads jobs
        self._failed: dict[str, str] = {}
        self.audience: Role | None = None

    @property
    def runner(self) -> TaskRunner:
        return self._runner

    @property
    def pending_count(self) -> int:
        """Requests of the current generation queued here or running."""
        return len(self._queue) + len(self._running)

    def is_pending(self, image_id: str) -> bool:
        return image_id in self._queue or image_id in self._running

    def has_failed(self, image_id: str) -> bool:
        return image_id in self._failed

    def request(self, viewer: Viewer, image_id: str) -> bool:
        """Ask for one image's rendition; True if this call queued it.

        A request for an image already waiting moves it to the front of the queue; one that is
        running or has failed is ignored.
        """
        if image_id in self._queue:
            self._queue.move_to_end(image_id)
            return False
        if image_id in self._running or image_id in self._failed:
            return False
        self._queue[image_id] = viewer
        while len(self._queue) > self._max_queued:
            self._queue.popitem(last=False)  # scrolled past long ago; a repaint asks again
        self._dispatch()
        return True

    def retain(self, keep: Container[str]) -> int:
        """Drop waiting requests of images not in `keep` (off screen now); returns how many."""
        before = len(self._queue)
        self._queue = OrderedDict((i, v) for i, v in self._queue.items() if i in keep)
        return before - len(self._queue)

    def clear_pending(self) -> None:
        """Start a new generation: drop waiting work, ignore late results, forget failures.

        Called when the stream, role or search changes.
        """
        self._generation += 1
        self._queue.clear()
        self._running.clear()
        self._failed.clear()

    def set_audience(self, audience: Role | None) -> None:
        """On air: from now on only results asked for as `audience` are delivered.

        A worker that started as the owner and finishes later is dropped twice over: by the
        new generation and by its role.
        """
        self.audience = audience
        self.clear_pending()

    def _wanted(self, viewer: Viewer) -> bool:
        return self.audience is None or viewer.role is self.audience

    def set_rendition(self, rendition: str) -> bool:
        """Ask for another rendition from now on (a tile size or pixel ratio changed).

        Waiting and late results of the old one are dropped; True if it changed.
        """
        if rendition == self.rendition:
            return False
        self.rendition = rendition
        self.clear_pending()
        return True

    def shutdown(self, msecs: int = 5000) -> bool:
        """Drop waiting work and wait for running jobs; call before the manager closes."""
        self.clear_pending()
        self._runner.clear_queued()
        return self._runner.wait(msecs)

    def _dispatch(self) -> None:
        while self._queue and self._in_flight < self._max_threads:
            image_id, viewer = self._queue.popitem(last=True)
            self._running.add(image_id)
            self._in_flight += 1
            generation = self._generation
            self._runner.submit(
                partial(load_rendition, self._manager, viewer, image_id, self.rendition),
                partial(self._on_loaded, generation, image_id, viewer=viewer),
                partial(self._on_failed, generation, image_id, viewer=viewer),
            )

    def _finish(self, generation: int, image_id: str) -> bool:
        """Book-keeping for one delivered job; True if its result is still wanted."""
        self._in_flight -= 1
        current = generation == self._generation
        if current:
            self._running.discard(image_id)
        return current

    def _after(self, current: bool) -> None:
        self._dispatch()
        if current and not self._queue and not self._running:
            self.idle.emit()

    def _on_loaded(
        self, generation: int, image_id: str, image: QImage, *, viewer: Viewer | None = None
    ) -> None:
        current = self._finish(generation, image_id)
        if current and (viewer is None or self._wanted(viewer)):
            self.loaded.emit(image_id, image)
        self._after(current)

    def _on_failed(
        self, generation: int, image_id: str, error: Exception, *, viewer: Viewer | None = None
    ) -> None:
        current = self._finish(generation, image_id)
        if current and (viewer is None or self._wanted(viewer)):
            if isinstance(error, StreamImagesError):
                reason = str(error) or type(error).__name__
            else:
                log.error("loading the %s of %s failed", self.rendition, image_id, exc_info=error)
                reason = "the thumbnail could not be loaded"
            self._failed[image_id] = reason
            self.failed.emit(image_id, reason)
        self._after(current)
