"""The application icon is drawn, not loaded."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from streamimages_desktop.ui.app.icon import app_icon

pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"
)


def test_app_icon_is_drawn(qapp: QApplication) -> None:
    icon = app_icon()
    assert not icon.isNull()
    image = icon.pixmap(64, 64).toImage()
    assert image.pixelColor(32, 32).alpha() == 255
    assert image.pixelColor(0, 0).alpha() == 0  # rounded corner
