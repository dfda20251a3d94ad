"""The main window's menu bar: File, Edit, View and Help, with the standard shortcuts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QToolButton

from streamimages_desktop.ui.export import wiring as export_wiring
from streamimages_desktop.ui.window import help_menu

if TYPE_CHECKING:
    from streamimages_desktop.ui.window.main_window import MainWindow


@dataclass(frozen=True)
class WindowActions:
    """The window-level actions that are enabled per role or triggered by tests."""

    open_action: QAction
    folder_action: QAction
    paste_action: QAction
    find_action: QAction
    trash_action: QAction


def _action(
    window: MainWindow, text: str, key: QKeySequence.StandardKey | None, slot: Callable[..., Any]
) -> QAction:
    action = QAction(text, window)
    if key is not None:
        action.setShortcut(QKeySequence(key))
    action.triggered.connect(slot)
    return action


def build(window: MainWindow) -> WindowActions:
    """Fill the menu bar; Open, Paste, Delete, Find and Select all use QKeySequence.StandardKey."""
    std = QKeySequence.StandardKey
    pane = window.upload_pane
    actions = WindowActions(
        open_action=_action(window, "Add images…", std.Open, pane.choose_files),
        folder_action=_action(window, "Add folder…", None, pane.choose_folder),
        paste_action=_action(window, "Paste image", std.Paste, window.paste_from_clipboard),
        find_action=_action(window, "Find", std.Find, window.toolbar.focus_search),
        trash_action=_action(window, "Trash…", None, window.stream_browser.open_trash),
    )
    file_menu = window.menuBar().addMenu("&File")
    for action in (actions.open_action, actions.folder_action, actions.paste_action):
        file_menu.addAction(action)
    file_menu.addSeparator()
    export_wiring.install(window, file_menu)
    file_menu.addSeparator()
    file_menu.addAction(_action(window, "Quit", std.Quit, window.close))
    edit_menu = window.menuBar().addMenu("&Edit")
    images = window.image_actions
    edit_menu.addAction(window.curation.undo_action)  # "Undo Make 3 images private"
    edit_menu.addAction(window.curation.redo_action)
    edit_menu.addSeparator()
    for action in (images.open_action, images.edit_action, images.delete_action):
        edit_menu.addAction(action)
    edit_menu.addAction(images.move_action)
    edit_menu.addAction(images.copy_action)
    edit_menu.addAction(actions.trash_action)  # the owner's deleted images, to restore
    edit_menu.addSeparator()
    edit_menu.addAction(images.select_all_action)
    edit_menu.addAction(actions.find_action)
    view_menu = window.menuBar().addMenu("&View")
    for action in window.toolbar.role_switcher.role_actions.values():
        view_menu.addAction(action)
    view_menu.addSeparator()
    view_menu.addAction(window.on_air.action)
    view_menu.addMenu(window.on_air.audience_menu)
    view_menu.addSeparator()
    for dock in (window.stream_dock, window.upload_dock, window.cache_dock, window.history_dock):
        view_menu.addAction(dock.toggleViewAction())
    view_menu.addSeparator()
    view_menu.addAction(_action(window, "Refresh", std.Refresh, window.refresh_all))
    help_menu.install(window, window.settings)
    extension = window.menuBar().findChild(QToolButton, "qt_menubar_ext_button")
    if extension is not None:  # shown when the window is too narrow for every menu
        extension.setAccessibleName("More menus")
    return actions
