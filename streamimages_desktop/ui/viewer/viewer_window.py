"""ViewerWindow: the images of the grid one at a time, large: step, zoom, pan, play, edit."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QPixmap, QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QWidget

from streamimages_desktop.core.access import can_edit, can_see
from streamimages_desktop.core.models import OWNER, StreamImage, Viewer, Visibility
from streamimages_desktop.ui.tasks import TaskRunner
from streamimages_desktop.ui.viewer import animation
from streamimages_desktop.ui.viewer.animation import ANIMATED_FORMATS, FramePlayer
from streamimages_desktop.ui.viewer.image_view import ImageView
from streamimages_desktop.ui.viewer.info_panel import InfoPanel
from streamimages_desktop.ui.viewer.keys import build_key_actions
from streamimages_desktop.ui.viewer.prefetch import DisplayLoader, display_rendition
from streamimages_desktop.ui.viewer.stepping import GridOrder, GridRows, Rows
from streamimages_desktop.ui.window import view_state

if TYPE_CHECKING:
    from streamimages_desktop.core.manager import StreamImageManager
    from streamimages_desktop.ui.gallery.image_actions import ImageActions
    from streamimages_desktop.ui.gallery.pixmap_cache import PixmapCache

DEFAULT_SIZE = (1100, 760)


class ViewerWindow(QWidget):
    """One image large with an info panel, stepping through the grid's current order.

    `sequence` is the grid's rows right now (its order, stream, search and role; GridRows:
    ids of every row, read on a worker), so Right and Left follow whatever the grid shows
    and never read the library on the GUI thread; images the role may not see are stepped over and
    one that becomes hidden leaves at once (`enforce`). Display renditions are made and decoded
    on workers (DisplayLoader) and the neighbours are prefetched. Opening an image counts one
    view for roles other than the owner (manager.open_image).

    Signals:
        loaded(object): the StreamImage shown, once its details (with views) arrived.
        pixmap_shown(str): the image id whose display rendition is now painted.

    Attributes:
        view: the ImageView; info: the InfoPanel; player: the FramePlayer of animations.
        slideshow: the QTimer that steps the slideshow (its interval is the setting).
        loader: the DisplayLoader; key_actions: the QActions by name (see KEYS).
    """

    loaded = Signal(object)
    pixmap_shown = Signal(str)

    def __init__(
        self,
        manager: StreamImageManager,
        pixmap_cache: PixmapCache,
        runner: TaskRunner | None = None,
        parent: QWidget | None = None,
        *,
        sequence: GridRows | Rows | None = None,
        image_actions: ImageActions | None = None,
        qsettings: QSettings | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Viewer")
        self.setAccessibleName("Image viewer")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._manager = manager
        self._runner = runner or TaskRunner(max_threads=2, parent=self)
        self.order = GridOrder(sequence)
        self._image_actions = image_actions
        self._qsettings = qsettings
        self._placed = False
        self._fit_on_show = False
        self._panel_before_full: bool | None = None
        self._generation = 0
        self._viewer: Viewer = OWNER
        self._image_id: str | None = None
        self._rendition = ""
        self.image: StreamImage | None = None
        self.view = ImageView(self)
        self.info = InfoPanel(self)
        self.info.setVisible(True)
        self.loader = DisplayLoader(manager, pixmap_cache, parent=self)
        self.loader.ready.connect(self._on_ready)
        self.loader.failed.connect(self._on_loader_failed)
        self.player = FramePlayer(self)
        self.player.frame_changed.connect(self._on_frame)
        self.slideshow = QTimer(
            self, interval=round(manager.settings.viewer_slideshow_seconds * 1000)
        )
        self.slideshow.timeout.connect(self._on_slideshow_tick)
        self.info.edit_requested.connect(self._on_edit_requested)
        self.info.visibility_requested.connect(self._on_visibility_requested)
        self.info.set_owner(False)
        self._deferred: list[Callable[[], object]] = []
        self._deferred_timer = QTimer(self, singleShot=True, interval=50)
        self._deferred_timer.timeout.connect(self._run_deferred)
        self.view.painted.connect(self._run_deferred)
        self.view.zoom_changed.connect(self._update_position)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.info)
        self.key_actions = self._build_actions()
        self.resize(*DEFAULT_SIZE)

    def _build_actions(self) -> dict[str, QAction]:
        slots: dict[str, Callable[[], Any]] = {
            "next": lambda: self.step(1),
            "previous": lambda: self.step(-1),
            "first": self.first,
            "last": self.last,
            "zoom_in": self.view.zoom_in,
            "zoom_out": self.view.zoom_out,
            "actual_size": self.view.actual_size,
            "fit": self.view.fit,
            "fullscreen": self.toggle_fullscreen,
            "slideshow": self.toggle_slideshow,
            "info": lambda: self.info.setVisible(not self.info.isVisible()),
            "leave": self.leave,
            "close": self.close,
        }
        return build_key_actions(self, slots)

    # --- compatibility with the old preview's names -----------------------------------------

    @property
    def title_label(self) -> Any:
        return self.info.title_label

    @property
    def description_label(self) -> Any:
        return self.info.description_label

    @property
    def image_id(self) -> str | None:
        return self._image_id

    # --- showing ----------------------------------------------------------------------------

    def show_image(self, viewer: Viewer, image_id: str) -> None:
        """Show `image_id` as `viewer` sees it (counting a view); pixels come from workers."""
        self._generation += 1
        generation = self._generation
        self._viewer, self._image_id, self.image = viewer, image_id, None
        self.player.stop()
        self.info.set_owner(can_edit(viewer) and self._image_actions is not None)
        self.info.set_exif([])
        known = self.order.find(viewer, image_id)
        if known is not None:
            self._present(known)  # the grid's row: paint now, count the view just after
        else:
            self._clear("Loading…")
        self._open_window()
        open_it = partial(
            self._runner.submit,
            partial(self._manager.open_image, viewer, image_id),
            partial(self._on_opened, generation),
            partial(self._on_failed, generation),
        )
        if known is not None:
            self._later(open_it)
        else:
            open_it()

    def reload(self) -> None:
        """The image was edited: fetch its details again (no view is counted)."""
        image_id, viewer, generation = self._image_id, self._viewer, self._generation
        if image_id is None:
            return
        self._runner.submit(
            partial(self._manager.image, viewer, image_id),
            partial(self._on_reloaded, generation),
            partial(self._on_failed, generation),
        )

    def enforce(self, viewer: Viewer) -> None:
        """The role changed: an image `viewer` may not see leaves at once."""
        if self._image_id is None:
            self._viewer = viewer
            return
        if self.image is None or not can_see(viewer, self.image.visibility):
            self.forget()
            return
        self._viewer = viewer
        self.loader.reset()  # neighbours fetched for the old role may be hidden now
        self.info.set_owner(can_edit(viewer) and self._image_actions is not None)
        if not can_edit(viewer):
            self.info.set_exif([])
        if self._load_pixels(self.image):
            self._later(partial(self._background, self._generation))

    def forget(self, image_id: str | None = None) -> None:
        """Clear and close (only if showing `image_id`, when given): it was deleted or hidden."""
        if image_id is not None and image_id != self._image_id:
            return
        self._generation += 1  # answers still in flight are dropped
        self._image_id, self.image = None, None
        self._clear("")
        self.close()

    def _present(self, image: StreamImage) -> None:
        self.image = image
        self.setWindowTitle(f"{image.title} — Viewer")
        self.info.show_image(image)
        self._update_position()
        shown = self._load_pixels(image)
        generation, viewer = self._generation, self._viewer
        if image.format in ANIMATED_FORMATS:
            side = int(self._rendition.rpartition("@")[2])
            self._runner.submit(
                partial(self._frames_of, viewer, image.id, side),
                partial(self._on_frames, generation),
                lambda _exc: None,  # stays a still picture
            )
        if shown:  # else once the pixels arrive (_on_ready): nothing competes with them
            self._later(partial(self._background, generation))

    def _background(self, generation: int) -> None:
        """After the picture is on screen: prefetch the neighbours, read the camera summary."""
        image, viewer = self.image, self._viewer
        if generation != self._generation or image is None:
            return
        dpr = self.devicePixelRatioF()
        for neighbour in self.order.neighbours(viewer, image.id):
            self.loader.prefetch(viewer, neighbour, self._rendition, dpr)
        if can_edit(viewer):
            self._runner.submit(
                partial(self._manager.exif_summary, viewer, image.id),
                partial(self._on_exif, generation),
                lambda _exc: None,
            )

    def _later(self, job: Callable[[], object]) -> None:
        """Run `job` after the next paint (or soon, if no paint comes): work that is not the
        picture itself waits until the picture is on screen."""
        self._deferred.append(job)
        if not self._deferred_timer.isActive():
            self._deferred_timer.start()

    def _run_deferred(self) -> None:
        self._deferred_timer.stop()
        jobs, self._deferred = self._deferred, []
        for job in jobs:
            job()

    def _frames_of(self, viewer: Viewer, image_id: str, side: int) -> object:
        return animation.decode_frames(self._manager.original(viewer, image_id), side)

    def _load_pixels(self, image: StreamImage) -> bool:
        """Paint `image` from memory if its rendition is there (True), else ask a worker."""
        dpr = self.devicePixelRatioF()
        screen = self.screen()
        size = screen.size() if screen is not None else QSize(*DEFAULT_SIZE)
        self._rendition = display_rendition(size, dpr, self._manager.settings.viewer_display_max_px)
        if self.player.frame_count:
            return True
        cached = self.loader.cached(image.id, self._rendition, dpr)
        if cached is not None:
            self._show_pixmap(image, cached)
            return True
        self._clear_picture("Loading…")
        self.loader.request(self._viewer, image.id, self._rendition, dpr)
        return False

    def _show_pixmap(self, image: StreamImage, pixmap: QPixmap) -> None:
        self.view.set_pixmap(pixmap, QSize(image.width, image.height))
        self.pixmap_shown.emit(image.id)

    def _update_position(self, *_args: object) -> None:
        rows = self.order.rows(self._viewer)
        at = self.order.position(rows, self._image_id)
        self.info.set_position(at, len(rows), self.view.zoom, self.view.is_fit)

    def _clear(self, text: str) -> None:
        self.player.stop()
        self.slideshow.stop()
        self._clear_picture(text)
        self.info.show_image(None)
        self.info.set_exif([])
        self.setWindowTitle("Viewer")

    def _clear_picture(self, text: str) -> None:
        self.view.clear(text)

    def _open_window(self) -> None:
        if not self._placed:
            self._placed = True
            saved = view_state.load_viewer_geometry(self._qsettings)
            self._fit_on_show = saved is not None and self.restoreGeometry(saved)
            if self._fit_on_show:
                view_state.fit_to_screen(self)
            else:
                self.resize(*DEFAULT_SIZE)
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    # --- stepping ---------------------------------------------------------------------------

    def step(self, delta: int) -> bool:
        """Show the image `delta` rows on in the grid's order; False at either end."""
        if self._image_id is None:
            return False
        target = self.order.step(self._viewer, self._image_id, delta)
        if target is not None:
            self._go(target)
        return target is not None

    def first(self) -> None:
        self._go_to_end(last=False)

    def last(self) -> None:
        self._go_to_end(last=True)

    def _go_to_end(self, *, last: bool) -> None:
        target = self.order.end(self._viewer, last)
        if target is not None and self._image_id is not None:
            self._go(target)

    def _go(self, image_id: str) -> None:
        if image_id != self._image_id:
            self.show_image(self._viewer, image_id)
        if self.slideshow.isActive():
            self.slideshow.start()  # a full interval for the image stepped to

    # --- fullscreen and slideshow -----------------------------------------------------------

    def toggle_fullscreen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
        else:
            self._save_geometry()
            self.showFullScreen()

    def toggle_slideshow(self) -> None:
        if self.slideshow.isActive():
            self.slideshow.stop()
        elif self._image_id is not None:
            self.slideshow.start()

    def _on_slideshow_tick(self) -> None:
        if not self.step(1):
            self.slideshow.stop()  # the last image: the slideshow is over

    def leave(self) -> None:
        """Esc: out of full screen first, then stop the slideshow, then close."""
        if self.isFullScreen():
            self.showNormal()
        elif self.slideshow.isActive():
            self.slideshow.stop()
        else:
            self.close()

    # --- edits ------------------------------------------------------------------------------

    def _on_edit_requested(self) -> None:
        if self._image_actions is not None and self.image is not None:
            self._image_actions.edit_image(self.image, self)

    def _on_visibility_requested(self, visibility: Visibility) -> None:
        if self._image_actions is not None and self.image is not None:
            self._image_actions.set_visibility_of([self.image.id], visibility)

    # --- results from workers ---------------------------------------------------------------

    def _on_opened(self, generation: int, image: StreamImage) -> None:
        if generation != self._generation:
            return
        if not can_see(self._viewer, image.visibility):
            self.forget()
            return
        if self.image is None:
            self._present(image)
        else:
            self.image = image
            self.info.show_image(image)
        self.loaded.emit(image)

    def _on_reloaded(self, generation: int, image: StreamImage) -> None:
        if generation != self._generation:
            return
        if not can_see(self._viewer, image.visibility):
            self.forget()
            return
        self.image = image
        self.setWindowTitle(f"{image.title} — Viewer")
        self.info.show_image(image)

    def _on_ready(self, image_id: str, rendition: str, pixmap: QPixmap) -> None:
        image = self.image
        if image is None or image.id != image_id or rendition != self._rendition:
            return  # a prefetched neighbour, or an image already stepped past
        if self.player.frame_count == 0:
            self._show_pixmap(image, pixmap)
        self._later(partial(self._background, self._generation))

    def _on_loader_failed(self, image_id: str, reason: str) -> None:
        if image_id == self._image_id and self.view.pixmap.isNull():
            self._clear_picture(f"Cannot show this image: {reason}")

    def _on_frames(self, generation: int, frames: object) -> None:
        if generation != self._generation or not isinstance(frames, list) or self.image is None:
            return
        self.player.play(frames)

    def _on_frame(self, pixmap: QPixmap) -> None:
        image = self.image
        if image is None:
            return
        if self.view.pixmap.isNull():
            self._show_pixmap(image, pixmap)
        else:
            self.view.set_frame(pixmap)

    def _on_exif(self, generation: int, rows: list[tuple[str, str]]) -> None:
        if generation == self._generation and can_edit(self._viewer):
            self.info.set_exif(rows)

    def _on_failed(self, generation: int, exc: Exception) -> None:
        if generation != self._generation:
            return
        self.image = None
        self._clear(f"Cannot show this image: {exc}")

    # --- window -----------------------------------------------------------------------------

    def _save_geometry(self) -> None:
        if self._qsettings is not None and self._placed and not self.isFullScreen():
            view_state.save_viewer_geometry(self._qsettings, self.saveGeometry())

    def changeEvent(self, event: QEvent) -> None:
        """Full screen is the picture alone (I shows the panel); leaving it restores the panel."""
        super().changeEvent(event)
        if event.type() != QEvent.Type.WindowStateChange:
            return
        full = self.isFullScreen()
        if full and self._panel_before_full is None:
            self._panel_before_full = self.info.isVisible()
            self.info.hide()
        elif not full and self._panel_before_full is not None:
            self.info.setVisible(self._panel_before_full)
            self._panel_before_full = None

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._fit_on_show:  # again, now that the frame around the window is known
            self._fit_on_show = False
            view_state.fit_to_screen(self)
        self.setFocus(Qt.FocusReason.ActiveWindowFocusReason)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._save_geometry()
        self.slideshow.stop()
        self.player.pause()
        self.loader.reset()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop background work before the manager closes: no deferred open may reach the
        runner afterwards, and what it runs is drained (a worker committing a view while the
        manager closes its connections would crash SQLite)."""
        self.slideshow.stop()
        self.player.stop()
        self._deferred_timer.stop()
        self._deferred.clear()
        self.loader.shutdown()
        self._runner.clear_queued()
        self._runner.wait(10_000)
