"""ViewerWindow: the images of the grid one at a time, large: step, zoom, pan, play, edit.

ViewerWindow shows an image (asking workers for its details and pixels, painting what memory
holds at once) and keeps to the role's rules. Stepping, full screen, the slideshow and where the
window opens are ViewerNavigation (navigation.py); the workers' answers are WorkerAnswers
(answers.py); what waits for the picture to be painted is AfterPaint (after_paint.py).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QWidget

from streamimages_desktop.core.access import can_edit, can_see
from streamimages_desktop.core.models import OWNER, StreamImage, Viewer, Visibility
from streamimages_desktop.ui.tasks import TaskRunner
from streamimages_desktop.ui.viewer import animation
from streamimages_desktop.ui.viewer.after_paint import AfterPaint
from streamimages_desktop.ui.viewer.animation import ANIMATED_FORMATS, FramePlayer
from streamimages_desktop.ui.viewer.answers import WorkerAnswers
from streamimages_desktop.ui.viewer.image_view import ImageView
from streamimages_desktop.ui.viewer.info_panel import InfoPanel
from streamimages_desktop.ui.viewer.navigation import DEFAULT_SIZE, ViewerNavigation
from streamimages_desktop.ui.viewer.prefetch import DisplayLoader, display_rendition
from streamimages_desktop.ui.viewer.stepping import GridOrder, GridRows, Rows

if TYPE_CHECKING:
    from streamimages_desktop.core.manager import StreamImageManager
    from streamimages_desktop.ui.gallery.image_actions import ImageActions
    from streamimages_desktop.ui.gallery.pixmap_cache import PixmapCache


class ViewerWindow(ViewerNavigation, WorkerAnswers, QWidget):
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
        self._after_paint = AfterPaint(self.view.painted, self)
        self.view.zoom_changed.connect(self._update_position)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.info)
        self.key_actions = self._build_actions()
        self.resize(*DEFAULT_SIZE)

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
        """Run `job` once the picture is on screen (AfterPaint)."""
        self._after_paint.later(job)

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

    # --- edits ------------------------------------------------------------------------------

    def _on_edit_requested(self) -> None:
        if self._image_actions is not None and self.image is not None:
            self._image_actions.edit_image(self.image, self)

    def _on_visibility_requested(self, visibility: Visibility) -> None:
        if self._image_actions is not None and self.image is not None:
            self._image_actions.set_visibility_of([self.image.id], visibility)

    # --- window -----------------------------------------------------------------------------

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
        self._after_paint.clear()
        self.loader.shutdown()
        self._runner.clear_queued()
        self._runner.wait(10_000)
