"""WorkerAnswers: what the viewer does with the workers' answers - the image's details, its
pixels, an animation's frames, the camera summary, or why it cannot be shown.

Every answer carries the generation it was asked in; one for an image already stepped past is
dropped, and details that say the role may no longer see the image close the viewer at once.
A mixin of ViewerWindow, which owns the parts it uses.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QWidget

from streamimages_desktop.core.access import can_edit, can_see
from streamimages_desktop.core.models import StreamImage

if TYPE_CHECKING:
    from collections.abc import Callable

    from PySide6.QtCore import SignalInstance

    from streamimages_desktop.core.models import Viewer
    from streamimages_desktop.ui.viewer.animation import FramePlayer
    from streamimages_desktop.ui.viewer.image_view import ImageView
    from streamimages_desktop.ui.viewer.info_panel import InfoPanel

    _Window = QWidget
else:
    _Window = object


class WorkerAnswers(_Window):
    """The worker-result slots of ViewerWindow (its parts are its attributes)."""

    if TYPE_CHECKING:
        loaded: SignalInstance
        image: StreamImage | None
        view: ImageView
        info: InfoPanel
        player: FramePlayer
        _viewer: Viewer
        _image_id: str | None
        _generation: int
        _rendition: str

        def forget(self, image_id: str | None = None) -> None: ...
        def _present(self, image: StreamImage) -> None: ...
        def _show_pixmap(self, image: StreamImage, pixmap: QPixmap) -> None: ...
        def _later(self, job: Callable[[], object]) -> None: ...
        def _background(self, generation: int) -> None: ...
        def _clear(self, text: str) -> None: ...
        def _clear_picture(self, text: str) -> None: ...

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
