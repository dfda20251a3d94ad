"""The main toolbar: role switcher, debounced full-text search, sort order and thumbnail size."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QSlider,
    QToolBar,
    QToolButton,
    QWidget,
)

from streamimages_desktop.core.models import Role, Sort
from streamimages_desktop.ui.window.role_switcher import RoleSwitcher

SEARCH_DEBOUNCE_MS = 250
TILE_MIN, TILE_MAX, TILE_DEFAULT = 96, 256, 160
SORT_LABELS = {
    Sort.NEWEST: "Newest first",
    Sort.OLDEST: "Oldest first",
    Sort.TITLE: "Title A–Z",  # noqa: RUF001 - an en dash is meant
    Sort.MOST_VIEWED: "Most viewed",
}


class MainToolBar(QToolBar):
    """Role switcher on the left; search, sort and tile size on the right.

    Signals:
        search_changed(str): the search text, 250 ms after the last keystroke.
        search_left(): Escape in an empty search field (the window moves focus to the grid).
        sort_changed(object): the chosen Sort.
        tile_size_changed(int): the slider's thumbnail size in pixels.

    Attributes:
        role_switcher: the RoleSwitcher (its role_changed says when the role changes).
        search_edit, sort_combo, size_slider: the controls themselves.
    """

    search_changed = Signal(str)
    search_left = Signal()
    sort_changed = Signal(object)
    tile_size_changed = Signal(int)

    def __init__(self, role: Role = Role.OWNER, parent: QWidget | None = None) -> None:
        super().__init__("Main toolbar", parent)
        self.setObjectName("main_toolbar")
        self.setAccessibleName("Main toolbar")
        self.setMovable(False)
        self.setFloatable(False)
        self.role_switcher = RoleSwitcher(role, self)
        self.addWidget(self.role_switcher)
        spacer = QWidget(self)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self._spacer_action = self.addWidget(spacer)

        self.search_edit = QLineEdit(self)
        self.search_edit.setAccessibleName("Search images")
        self.search_edit.setPlaceholderText("Search titles, descriptions, file names")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setMinimumWidth(260)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._on_debounce_timeout)
        self.search_edit.textChanged.connect(self._on_search_text_changed)
        self.search_edit.returnPressed.connect(self._on_debounce_timeout)
        escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self.search_edit)
        escape.setContext(Qt.ShortcutContext.WidgetShortcut)
        escape.activated.connect(self._on_escape_pressed)
        self.addWidget(self.search_edit)

        self.sort_combo = QComboBox(self)
        self.sort_combo.setAccessibleName("Sort order")
        for sort, label in SORT_LABELS.items():
            self.sort_combo.addItem(label, sort.value)
        self.sort_combo.view().setAccessibleName("Sort orders")
        self.sort_combo.currentIndexChanged.connect(self._on_sort_index_changed)
        self.addSeparator()
        self.addWidget(self.sort_combo)

        self.size_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.size_slider.setAccessibleName("Thumbnail size")
        self.size_slider.setToolTip("Thumbnail size")
        self.size_slider.setRange(TILE_MIN, TILE_MAX)
        self.size_slider.setSingleStep(8)
        self.size_slider.setPageStep(32)
        self.size_slider.setValue(TILE_DEFAULT)
        self.size_slider.setFixedWidth(120)
        self.size_slider.valueChanged.connect(self.tile_size_changed)
        self.addSeparator()
        caption = QLabel("Size", self)
        caption.setBuddy(self.size_slider)
        caption.setContentsMargins(4, 0, 4, 0)
        self.addWidget(caption)
        self.addWidget(self.size_slider)
        self.setStyleSheet("QToolBar { spacing: 6px; padding: 4px 6px; }")
        extension = self.findChild(QToolButton, "qt_toolbar_ext_button")
        if extension is not None:  # shown when the window is too narrow for every control
            extension.setAccessibleName("More toolbar controls")

    def add_after_roles(self, widget: QWidget) -> None:
        """Place `widget` right of the role switcher (the on-air toggle)."""
        self.insertWidget(self._spacer_action, widget)

    def search_text(self) -> str:
        return self.search_edit.text().strip()

    def sort(self) -> Sort:
        return Sort(self.sort_combo.currentData())

    def set_sort(self, sort: Sort | str) -> None:
        index = self.sort_combo.findData(Sort(sort).value)
        if index >= 0:
            self.sort_combo.setCurrentIndex(index)

    def tile_size(self) -> int:
        return self.size_slider.value()

    def set_tile_size(self, px: int) -> None:
        self.size_slider.setValue(max(TILE_MIN, min(TILE_MAX, int(px))))

    def focus_search(self) -> None:
        self.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_edit.selectAll()

    def flush_search(self) -> None:
        """Apply a pending search now instead of after the debounce delay."""
        if self._debounce.isActive():
            self._debounce.stop()
            self._on_debounce_timeout()

    def _on_search_text_changed(self, _text: str) -> None:
        self._debounce.start()

    def _on_escape_pressed(self) -> None:
        """Escape clears the search (and shows everything at once); again, leaves the field."""
        if self.search_edit.text():
            self.search_edit.clear()
            self.flush_search()
        else:
            self.search_left.emit()

    def _on_debounce_timeout(self) -> None:
        self._debounce.stop()
        self.search_changed.emit(self.search_text())

    def _on_sort_index_changed(self, _index: int) -> None:
        self.sort_changed.emit(self.sort())
