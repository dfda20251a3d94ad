"""The ON AIR banner: a red bar across the top of the window that names the audience."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QSizePolicy,
    QToolBar,
    QToolButton,
    QWidget,
)

from streamimages_desktop.core.labels import role_name
from streamimages_desktop.core.models import Role

BANNER_RED = "#d50000"


def banner_text(audience: Role) -> str:
    return f"ON AIR — the audience sees: {role_name(audience)}"


class OnAirBanner(QToolBar):
    """A fixed toolbar row of its own above the main toolbar, shown only while on air.

    A toolbar (not a widget inside the grid) so it spans the whole window above the docks and
    leaves the grid's own pixels alone. It cannot be moved, and is left out of the toolbar
    menu, so it cannot be hidden by accident.

    Attributes:
        label: the banner's text, for tests.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("On air", parent)
        self.setObjectName("on_air_banner")
        self.setAccessibleName("On air banner")
        self.setMovable(False)
        self.setFloatable(False)
        self.toggleViewAction().setVisible(False)
        self.setStyleSheet(
            f"QToolBar#on_air_banner {{ background: {BANNER_RED}; border: none; padding: 0; }}"
        )
        holder = QWidget(self)
        holder.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        layout = QHBoxLayout(holder)
        layout.setContentsMargins(8, 4, 8, 4)
        self.label = QLabel(holder)
        self.label.setObjectName("on_air_text")
        self.label.setAccessibleName("On air")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setStyleSheet(
            "QLabel#on_air_text { color: white; font-weight: 800; font-size: 15px;"
            " letter-spacing: 1px; }"
        )
        layout.addWidget(self.label)
        self.addWidget(holder)
        extension = self.findChild(QToolButton, "qt_toolbar_ext_button")
        if extension is not None:  # never needed: the one label shrinks first
            extension.setAccessibleName("More of the on-air banner")
        self.setVisible(False)

    def show_for(self, audience: Role | None) -> None:
        """Show the banner for `audience`, or hide it (None: off air)."""
        if audience is not None:
            self.label.setText(banner_text(audience))
        self.setVisible(audience is not None)


def on_air_button(
    action: QAction, audience_menu: QMenu, parent: QWidget | None = None
) -> QToolButton:
    """The toolbar toggle: click goes on air (or asks to leave); its arrow picks the audience."""
    button = QToolButton(parent)
    button.setObjectName("on_air_button")
    button.setDefaultAction(action)
    button.setMenu(audience_menu)
    button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    button.setAccessibleName("On air")
    button.setStyleSheet(
        "QToolButton#on_air_button { padding: 3px 10px; font-weight: 700; }"
        f"QToolButton#on_air_button:checked {{ background: {BANNER_RED}; color: white;"
        f" border: 1px solid {BANNER_RED}; border-radius: 3px; }}"
    )
    return button
