"""IncomingImages: images arriving in the main window from outside - files dragged onto it or
onto a stream, Ctrl+V - all go to the upload pane; a finished batch becomes one undo step.

Drags that start in this window (tiles) are no imports; a role that may not import is told
why the drop is refused. A mixin of MainWindow, which builds the parts it uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QMainWindow

from streamimages_desktop.core.access import can_edit
from streamimages_desktop.core.importer import ImportResult
from streamimages_desktop.core.units import count_of

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDockWidget

    from streamimages_desktop.core.manager import StreamImageManager
    from streamimages_desktop.core.models import Viewer
    from streamimages_desktop.ui.curation.commands import CurationStack
    from streamimages_desktop.ui.imports.upload_pane import UploadPane
    from streamimages_desktop.ui.streams.browser import StreamBrowser
    from streamimages_desktop.ui.window.status_line import StatusLine

    _Window = QMainWindow
else:
    _Window = object


class IncomingImages(_Window):
    """The import half of MainWindow: drops, paste, and the undo step of a finished batch."""

    if TYPE_CHECKING:
        viewer: Viewer
        _manager: StreamImageManager
        _stream_id: str | None
        upload_pane: UploadPane
        upload_dock: QDockWidget
        stream_browser: StreamBrowser
        curation: CurationStack
        status: StatusLine

        def refresh_all(self) -> None: ...

    def paste_from_clipboard(self) -> bool:
        """Import the clipboard's image or files (Ctrl+V); False when there is nothing to import."""
        self._show_upload()
        return self.upload_pane.paste_from_clipboard()

    def _show_upload(self) -> None:
        self.upload_dock.show()
        self.upload_dock.raise_()

    def _on_files_dropped_on_stream(self, stream_id: str, mime: QMimeData) -> None:
        self._show_upload()
        self.upload_pane.import_mime(mime, stream_id=stream_id or None)

    def _on_batch_finished(self, results: list[ImportResult]) -> None:
        imported_ids = [
            str(r.image_id) for r in results if str(r.status) == "imported" and r.image_id
        ]
        if imported_ids:  # undoing an import moves that batch to the trash
            manager, viewer = self._manager, self.viewer
            self.curation.push(
                f"Import {count_of(len(imported_ids), 'image')}",
                lambda: manager.delete_images(viewer, imported_ids),
                lambda: manager.restore_images(viewer, imported_ids),
            )
        target = self.upload_pane.last_stream
        imported = any(str(r.status) == "imported" for r in results)
        if imported and self._stream_id not in (None, target):
            self.stream_browser.select_stream(target)
        self.refresh_all()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.source() is not None:  # tiles dragged out of this window are not imports
            event.ignore()
            return
        if self.upload_pane.accepts(event.mimeData()):
            event.acceptProposedAction()
            return
        if not can_edit(self.viewer):
            self.status.flash("Only the owner can import images; switch to Owner (Ctrl+1)")
        event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self.upload_pane.accepts(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        if not self.upload_pane.accepts(event.mimeData()):
            event.ignore()
            return
        event.acceptProposedAction()
        self._show_upload()
        self.upload_pane.import_mime(event.mimeData())
