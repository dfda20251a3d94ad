"""The cache pane's page table: one row per memory-cache page, its numbers and a Clear button."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QGroupBox,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from streamimages_desktop.core.cache import PageStats
from streamimages_desktop.core.units import count_of, format_bytes

NO_GETS = "—"
_NUMBERS = ("Items", "Size", "Hit ratio", "Hits", "Misses", "Evictions", "Expired", "Oversize")
HEADER_HELP = {
    "Evictions": "Entries removed to make room under the limit",
    "Expired": "Entries removed because they were older than the time to live",
    "Oversize": "Entries never stored because each alone is larger than the limit",
}
COLUMNS = ("Page", *_NUMBERS, "")  # the last one holds each page's Clear button
COMPACT_COLUMNS = frozenset({0, 1, 2, 3, 9})  # what fits a 320-420 px dock; the rest in tooltips
CLEAR_COLUMN = 9


def hit_ratio_text(hits: int, misses: int) -> str:
    """hits / (hits + misses) as a percentage, or a dash before the first get."""
    gets = hits + misses
    return f"{hits / gets:.1%}" if gets else NO_GETS


def page_ratio(page: PageStats) -> float | None:
    gets = page.hits + page.misses
    return page.hits / gets if gets else None


class CachePagesBox(QGroupBox):
    """The "Pages" group: a table of every memory-cache page, or a line saying none is cached.

    Signals:
        clear_requested(str): the Clear button of this page was clicked.

    Attributes:
        table: one row per page, raw numbers in Qt.UserRole, a Clear button per row.
    """

    clear_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Pages", parent)
        self._names: list[str] = []
        table = self.table = QTableWidget(0, len(COLUMNS), self)
        table.setAccessibleName("Memory cache pages")
        table.setHorizontalHeaderLabels(list(COLUMNS))
        table.horizontalHeaderItem(CLEAR_COLUMN).setToolTip("Clear one page")  # type: ignore[union-attr]
        for column, text in HEADER_HELP.items():
            table.horizontalHeaderItem(COLUMNS.index(column)).setToolTip(text)  # type: ignore[union-attr]
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        table.setAlternatingRowColors(True)
        table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        table.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
        table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)
        self._empty_label = QLabel("Nothing cached in memory yet.", self)
        self._empty_label.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self._empty_label)
        layout.addWidget(table)
        layout.addStretch(1)

    def set_wide(self, wide: bool) -> None:
        """Narrow: the five columns that fit, page names take the slack. Wide: all, even."""
        header = self.table.horizontalHeader()
        fits = QHeaderView.ResizeMode.ResizeToContents
        for col in range(CLEAR_COLUMN):
            self.table.setColumnHidden(col, not wide and col not in COMPACT_COLUMNS)
            header.setSectionResizeMode(
                col, QHeaderView.ResizeMode.Stretch if wide or not col else fits
            )

    def show_pages(self, pages: dict[str, PageStats]) -> None:
        """Update every number; rows are rebuilt only when the set of pages changes."""
        names = sorted(pages)
        table = self.table
        if names != self._names:
            self._names = names
            table.setRowCount(len(names))
            for row, name in enumerate(names):
                button = QToolButton(table)  # narrower than a push button; the dock is tight
                button.setText("Clear")
                button.setAccessibleName(f"Clear page {name}")
                button.setToolTip(f"Drop every pixmap cached for the {name} page")
                button.clicked.connect(lambda _checked=False, page=name: self._on_clear(page))
                table.setCellWidget(row, CLEAR_COLUMN, button)
        self._empty_label.setVisible(not names)
        table.setVisible(bool(names))
        for row, name in enumerate(names):
            self._show_row(row, name, pages[name])

    def _show_row(self, row: int, name: str, page: PageStats) -> None:
        tip = (
            f"{name}: {count_of(page.items, 'item')}, {format_bytes(page.bytes)}, "
            f"{count_of(page.hits, 'hit')}, {count_of(page.misses, 'miss', 'misses')}, "
            f"{count_of(page.evictions, 'eviction')}, {count_of(page.expirations, 'expiration')}, "
            f"{page.oversize} oversize"
        )
        cells: list[tuple[str, object]] = [
            (name, name),
            (f"{page.items:,}", page.items),
            (format_bytes(page.bytes), page.bytes),
            (hit_ratio_text(page.hits, page.misses), page_ratio(page)),
            (f"{page.hits:,}", page.hits),
            (f"{page.misses:,}", page.misses),
            (f"{page.evictions:,}", page.evictions),
            (f"{page.expirations:,}", page.expirations),
            (f"{page.oversize:,}", page.oversize),
        ]
        for col, (text, raw) in enumerate(cells):
            item = self.table.item(row, col)
            if item is None:
                item = QTableWidgetItem()
                if col:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(row, col, item)
            item.setText(text)
            item.setData(Qt.ItemDataRole.UserRole, raw)
            item.setToolTip(tip)

    def _on_clear(self, page: str) -> None:
        self.clear_requested.emit(page)
