"""LibrarySlots: the main window following the stream selection and the library's changes -
every pane that shows the changed thing re-reads it or updates its counts.

The grid, the stream list, the status bar's counts and the viewer each hear one slot here, so a
change (an edit, a delete, an import, another process) never leaves one pane stale. A mixin of
MainWindow, which builds the parts it uses and connects the signals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMainWindow

from streamimages_desktop.core.models import StreamSummary

if TYPE_CHECKING:
    from streamimages_desktop.core.models import Viewer
    from streamimages_desktop.ui.gallery.widget import GalleryWidget
    from streamimages_desktop.ui.imports.upload_pane import UploadPane
    from streamimages_desktop.ui.onair.controller import OnAirController
    from streamimages_desktop.ui.streams.browser import StreamBrowser
    from streamimages_desktop.ui.viewer.viewer_window import ViewerWindow
    from streamimages_desktop.ui.window.status_line import StatusLine

    _Window = QMainWindow
else:
    _Window = object


class LibrarySlots(_Window):
    """The slots that keep MainWindow's panes in step (its parts are MainWindow's attributes)."""

    if TYPE_CHECKING:
        viewer: Viewer
        _stream_id: str | None
        gallery: GalleryWidget
        stream_browser: StreamBrowser
        upload_pane: UploadPane
        preview: ViewerWindow
        status: StatusLine
        on_air: OnAirController

        def _apply_query(self, *, stats: bool = True) -> None: ...

    def refresh_all(self) -> None:
        """Re-query the grid, the stream counts and the stats (after any change to the library)."""
        self.gallery.refresh()
        self.stream_browser.reload()
        self.status.reload_stats(self.viewer, self._stream_id)

    def _on_stream_selected(self, stream_id: str | None) -> None:
        if stream_id == self._stream_id:
            return
        self._stream_id = stream_id
        self.upload_pane.set_streams(self._stream_titles(), stream_id)
        self.on_air.set_stream(stream_id)  # on air: this stream's audience
        self._apply_query()

    def _stream_titles(self) -> list[tuple[str, str]]:
        return [(s.stream.id, s.stream.title) for s in self.stream_browser.summaries]

    def _on_streams_loaded(self, _summaries: list[StreamSummary]) -> None:
        self.upload_pane.set_streams(self._stream_titles(), self._stream_id)
        self.status.set_total(self.stream_browser.visible_count(self._stream_id))

    def _on_shown_changed(self, shown: int) -> None:
        self.status.set_counts(shown, self.stream_browser.visible_count(self._stream_id))

    def _on_open_requested(self, image_id: str) -> None:
        self.preview.show_image(self.viewer, image_id)

    def _on_library_changed(self) -> None:
        self.gallery.refresh()
        self.status.reload_stats(self.viewer, self._stream_id)

    def _on_images_changed(self, message: str) -> None:
        self.status.flash(message)
        self.refresh_all()
        if self.preview.image is not None and self.preview.isVisible():
            self.preview.reload()

    def _on_images_deleted(self, ids: list[str]) -> None:
        for image_id in ids:
            self.preview.forget(image_id)
