"""Puts export into the main window: File > Export…, drag-out and Ctrl+C on the gallery."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from streamimages_desktop.ui.export.dialog import ExportDialog
from streamimages_desktop.ui.export.drag import DragSource

if TYPE_CHECKING:
    from streamimages_desktop.core.manager import StreamImageManager
    from streamimages_desktop.ui.window.main_window import MainWindow


def install(window: MainWindow, file_menu: QMenu) -> DragSource:
    """Add File > Export… and make the gallery's tiles draggable and copyable."""
    manager: StreamImageManager = window._manager
    gallery = window.gallery
    source = DragSource(manager, lambda: window.viewer, gallery.selected_ids, window)
    source.setObjectName("export_drag_source")
    gallery.view.set_drag_provider(source.mime_data)
    gallery.view.selectionModel().selectionChanged.connect(source.refresh)
    gallery.model.modelReset.connect(source.refresh)
    window.toolbar.role_switcher.role_changed.connect(lambda _role: source.refresh())
    gallery.addAction(source.copy_action)
    root = source.folder
    source.destroyed.connect(lambda: shutil.rmtree(root, ignore_errors=True))

    def open_dialog() -> ExportDialog:
        dialog = ExportDialog(
            manager, window.viewer.role, window.stream_id, gallery.selected_ids(), window
        )
        dialog.setObjectName("export_dialog")
        dialog.finished_export.connect(window.status.flash)
        dialog.open()
        return dialog

    action = QAction("Export…", window)
    action.setObjectName("export_action")
    action.triggered.connect(open_dialog)
    file_menu.addAction(action)
    file_menu.addAction(source.copy_action)
    return source
