"""The Help menu: Keyboard Shortcuts (F1) and About.

The shortcuts window is built from the window's own QActions each time it opens, so it lists
exactly the keys that work, and can never fall out of date with them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QMessageBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from streamimages_desktop import __version__

if TYPE_CHECKING:
    from streamimages_desktop.core.settings import Settings
    from streamimages_desktop.ui.window.main_window import MainWindow

MAIN, VIEWER = "Main window", "Viewer"


def plain(text: str) -> str:
    """An action's text without its mnemonic ampersands or a trailing ellipsis."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").strip()


def shortcut_rows(window: MainWindow) -> list[tuple[str, str, str]]:
    """(section, action, keys) for every action of the window and its viewer with a key."""
    rows: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str]] = set()
    for action in window.findChildren(QAction):
        keys = [k for k in action.shortcuts() if not k.isEmpty()]
        if not keys or not action.text():
            continue
        section = VIEWER if _belongs_to(action, window.preview) else MAIN
        name = plain(action.text())
        if (section, name) in seen:
            continue
        seen.add((section, name))
        text = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in keys)
        rows.append((section, name, text))
    return sorted(rows, key=lambda row: (row[0] != MAIN, row[1].lower()))


def _belongs_to(obj: QObject, ancestor: QObject) -> bool:
    parent: QObject | None = obj
    while parent is not None:
        if parent is ancestor:
            return True
        parent = parent.parent()
    return False


class ShortcutsWindow(QDialog):
    """Every keyboard shortcut, grouped by where it works.

    Attributes:
        tree: a QTreeWidget: one top-level item per section, one child per action.
    """

    def __init__(self, rows: list[tuple[str, str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard Shortcuts")
        self.setAccessibleName("Keyboard shortcuts")
        self.tree = QTreeWidget(self)
        self.tree.setAccessibleName("Shortcuts")
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Action", "Keys"])
        self.tree.setRootIsDecorated(False)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        sections: dict[str, QTreeWidgetItem] = {}
        for section, name, keys in rows:
            if section not in sections:
                top = QTreeWidgetItem([section, ""])
                font = top.font(0)
                font.setBold(True)
                top.setFont(0, font)
                top.setFlags(Qt.ItemFlag.ItemIsEnabled)
                self.tree.addTopLevelItem(top)
                sections[section] = top
            sections[section].addChild(QTreeWidgetItem([name, keys]))
        self.tree.expandAll()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree)
        layout.addWidget(buttons)
        self.resize(620, 540)


def about_text(settings: Settings) -> str:
    return (
        f"<h3>StreamImages Desktop {__version__}</h3>"
        "<p>Curate, protect and browse the images of your live streams.</p>"
        f"<p><b>Library:</b> {_escape(str(settings.stream_images_dir))}<br>"
        f"<b>Rendition cache:</b> {_escape(str(settings.image_cache_dir))}</p>"
    )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def install(window: MainWindow, settings: Settings) -> tuple[QAction, QAction]:
    """Add the Help menu to `window`; returns its (shortcuts, about) actions."""
    menu = window.menuBar().addMenu("&Help")
    shortcuts = QAction("Keyboard Shortcuts", window)
    shortcuts.setShortcut(QKeySequence(QKeySequence.StandardKey.HelpContents))  # F1
    shortcuts.triggered.connect(lambda: show_shortcuts(window))
    about = QAction("About StreamImages", window)
    about.setMenuRole(QAction.MenuRole.AboutRole)
    about.triggered.connect(lambda: show_about(window, settings))
    menu.addAction(shortcuts)
    menu.addSeparator()
    menu.addAction(about)
    return shortcuts, about


def show_shortcuts(window: MainWindow) -> ShortcutsWindow:
    dialog = ShortcutsWindow(shortcut_rows(window), window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog


def show_about(window: MainWindow, settings: Settings) -> QMessageBox:
    box = QMessageBox(QMessageBox.Icon.Information, "About StreamImages", "", parent=window)
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(about_text(settings))
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.setAccessibleName("About StreamImages")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box
