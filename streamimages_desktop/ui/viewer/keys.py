"""The viewer's keys, one QAction each (so menus and a shortcuts list can be built from them)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

# (name, text, keys): the keys gThumb, Shotwell and Eye of GNOME agree on.
Key = str | QKeySequence.StandardKey
KEYS: tuple[tuple[str, str, tuple[Key, ...]], ...] = (
    ("next", "Next image", ("Right", "Space", "PgDown")),
    ("previous", "Previous image", ("Left", "Backspace", "PgUp")),
    ("first", "First image", ("Home",)),
    ("last", "Last image", ("End",)),
    ("zoom_in", "Zoom in", ("+", "=", "Ctrl++")),
    ("zoom_out", "Zoom out", ("-", "Ctrl+-")),
    ("actual_size", "Actual size (1:1)", ("1", "Ctrl+0")),
    ("fit", "Fit to window", ("0", "F")),
    ("fullscreen", "Full screen", ("F11",)),
    ("slideshow", "Slideshow", ("F5",)),
    ("info", "Show information", ("I",)),
    ("leave", "Leave full screen, stop the slideshow or close", ("Esc",)),
    ("close", "Close viewer", (QKeySequence.StandardKey.Close,)),
)


def build_key_actions(
    window: QWidget, slots: Mapping[str, Callable[[], Any]]
) -> dict[str, QAction]:
    """One window-wide QAction per entry of KEYS, triggering `slots[name]`.

    Key sequences are made here, not at import: QKeySequence needs the application.
    """
    actions: dict[str, QAction] = {}
    for name, text, keys in KEYS:
        action = QAction(text, window)
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slots[name])
        window.addAction(action)
        actions[name] = action
    return actions
