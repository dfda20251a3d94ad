"""The per-file result list of an import: imported, duplicate or rejected with the reason."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QListView, QListWidget, QListWidgetItem, QWidget

from streamimages_desktop.core.importer import ImportResult, ImportStatus

MARKS = {
    ImportStatus.IMPORTED: ("✓", QColor("#2e7d32")),
    ImportStatus.DUPLICATE: ("=", QColor("#b26a00")),
    ImportStatus.REJECTED: ("✗", QColor("#c62828")),
}


def summary_text(results: Sequence[ImportResult], cancelled: bool) -> str:
    """ "3 imported, 1 duplicate, 2 rejected", prefixed with "Cancelled: " when it was."""
    counts = {s: sum(r.status is s for r in results) for s in ImportStatus}
    text = (
        f"{counts[ImportStatus.IMPORTED]} imported, {counts[ImportStatus.DUPLICATE]} "
        f"duplicate, {counts[ImportStatus.REJECTED]} rejected"
    )
    return f"Cancelled: {text}" if cancelled else text


class ImportResultList(QListWidget):
    """Two lines per file: a coloured mark and the name, then the status and the reason.

    The ImportResult itself is kept in Qt.UserRole of each item.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Import results")
        self.setAlternatingRowColors(True)
        # Long reasons wrap inside the pane (never a sideways scroll); the tooltip has the path.
        self.setWordWrap(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)

    def add_result(self, result: ImportResult) -> None:
        mark, colour = MARKS[ImportStatus(result.status)]
        name = Path(result.source).name or result.source
        detail = f"{result.status}: {result.reason}" if result.reason else str(result.status)
        item = QListWidgetItem(f"{mark}  {name}\n     {detail}")
        item.setForeground(colour)
        item.setToolTip(f"{result.source}\n{detail}")
        item.setData(Qt.ItemDataRole.UserRole, result)
        self.addItem(item)
        self.scrollToBottom()
