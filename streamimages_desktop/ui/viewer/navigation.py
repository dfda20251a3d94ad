"""ViewerNavigation: moving through the grid's images and the viewer window's modes - its keys,
Right and Left, Home and End, full screen (the picture alone), the slideshow, Esc leaving each in
turn, and where the window opens (its remembered place, fitted to today's screens).

Stepping follows the grid's order for the role shown (GridOrder); a slideshow restarts its
interval on every image stepped to and ends at the last. A mixin of ViewerWindow, which owns
the parts it uses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QSettings, Qt
from PySide6.QtGui import QAction, QShowEvent
from PySide6.QtWidgets import QWidget

from streamimages_desktop.ui.viewer.keys import build_key_actions
from streamimages_desktop.ui.window import view_state

if TYPE_CHECKING:
    from PySide6.QtCore import QTimer

    from streamimages_desktop.core.models import Viewer
    from streamimages_desktop.ui.viewer.image_view import ImageView
    from streamimages_desktop.ui.viewer.info_panel import InfoPanel
    from streamimages_desktop.ui.viewer.stepping import GridOrder

    _Window = QWidget
else:
    _Window = object


DEFAULT_SIZE = (1100, 760)


class ViewerNavigation(_Window):
    """Keys, stepping, full screen, slideshow and placing of ViewerWindow (whose parts it uses)."""

    if TYPE_CHECKING:
        order: GridOrder
        view: ImageView
        info: InfoPanel
        slideshow: QTimer
        _viewer: Viewer
        _image_id: str | None
        _qsettings: QSettings | None
        _placed: bool
        _fit_on_show: bool
        _panel_before_full: bool | None

        def show_image(self, viewer: Viewer, image_id: str) -> None: ...

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
