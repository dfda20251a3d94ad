"""ScrollDwell: which of the grid's tiles are worth loading while it moves, and when all are in.

A fast scroll's tiles are gone before their thumbnails would load, and the workers loading
them would take the GIL from the frames painting the next ones. So while the scroll bar
moves, the model only notes its misses, and a check every DWELL_MS releases the thumbnails
of rows on screen at three checks in a row and the pages of rows on screen at two. Once the
viewport is still every visible row is loaded, and `idle` says when none is pending.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from streamimages_desktop.ui.gallery.model import GalleryModel
from streamimages_desktop.ui.gallery.pacing import GcPacer
from streamimages_desktop.ui.gallery.thumbnail_loader import ThumbnailLoader
from streamimages_desktop.ui.gallery.view import GalleryView

IDLE_CHECK_MS = 30  # how often, at most, visible rows are checked for pending thumbnails
DWELL_MS = 40  # while scrolling, a tile on screen at three checks this far apart is loaded
PRUNE_MS = 120  # how often, at most, a long scroll drops the queued thumbnails it passed


class ScrollDwell(QObject):
    """Paces the thumbnail and page requests of `view`'s visible rows of `model`.

    Signals:
        idle(): no thumbnail of a visible row is still loading (once per settled viewport;
            not while `loading()` says a query runs, nor before the view painted).
    """

    idle = Signal()

    def __init__(
        self,
        view: GalleryView,
        model: GalleryModel,
        loader: ThumbnailLoader,
        gc: GcPacer,
        loading: Callable[[], bool],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._view = view
        self._model = model
        self._loader = loader
        self._gc = gc
        self._loading = loading
        self._idle = False
        self._painted = False  # the view painted since the rows or the viewport changed
        self._idle_check = QTimer(self, singleShot=True, interval=IDLE_CHECK_MS)
        self._idle_check.timeout.connect(self._on_idle_check)
        self._prune = QTimer(self, singleShot=True, interval=PRUNE_MS)
        self._prune.timeout.connect(self._on_prune)
        # Scrolling: thumbnails and pages only of tiles that stay on screen (see _on_dwell).
        self._dwell = QTimer(self, singleShot=True, interval=DWELL_MS)
        self._dwell.timeout.connect(self._on_dwell)
        self._moved = False
        self._seen: tuple[range, range] = (range(0), range(0))  # rows at the last two checks
        view.painted.connect(self._on_view_painted)
        view.verticalScrollBar().valueChanged.connect(self._on_scrolled)
        loader.loaded.connect(self._on_thumbnail_done)
        loader.failed.connect(self._on_thumbnail_done)

    def rearm(self) -> None:
        """New rows are coming: `idle` is due again once they are painted and loaded."""
        self._idle = self._painted = False

    def viewport_moved(self) -> None:
        """Other rows are on screen: re-arm the idle signal; evicted thumbnails may reload."""
        self._gc.busy()
        self._model.new_viewport_epoch()
        self.rearm()

    def _on_scrolled(self, *_args: object) -> None:
        """The scroll moved: misses wait for the dwell check instead of loading at once."""
        self.viewport_moved()
        self._moved = True
        if not self._dwell.isActive():
            if not self._model.holding:
                self._seen = (self._view.visible_rows(), self._view.visible_rows())
            self._model.hold_requests()
            self._dwell.start()
        if not self._prune.isActive():  # throttled, so a long scroll prunes as it goes
            self._prune.start()

    def _on_dwell(self) -> None:
        """While scrolling: thumbnails of rows on screen now and at the last two checks, and
        pages (titles, one query per 200 rows) of rows on screen now and at the last one.
        Once still: every visible row."""
        rows = self._view.visible_rows()
        if self._moved:
            self._moved = False
            older, last = self._seen
            titled = range(max(rows.start, last.start), min(rows.stop, last.stop))
            steady = range(max(titled.start, older.start), min(titled.stop, older.stop))
            self._seen = (last, rows)
            self._model.release_requests(steady, stop=False, pages=titled, keep=rows)
            self._dwell.start()
        else:
            self._model.release_requests(rows, stop=True)
        if not self._idle_check.isActive():
            self._idle_check.start()

    def _on_view_painted(self) -> None:
        self._painted = True
        if not self._idle_check.isActive():
            self._idle_check.start()

    def _on_prune(self) -> None:
        """Drop queued thumbnail requests of rows scrolled out of view."""
        rows = self._view.visible_rows()
        self._loader.retain({i for r in rows if (i := self._model.id_at(r)) is not None})

    def _on_thumbnail_done(self, *_args: object) -> None:
        if not self._idle_check.isActive():
            self._idle_check.start()

    def _on_idle_check(self) -> None:
        if self._loading() or not self._painted or not self._view.isVisible():
            return
        pending = any(self._model.thumbnail_pending(r) for r in self._view.visible_rows())
        if pending:
            self._idle = False
        elif not self._idle:
            self._idle = True
            self.idle.emit()
