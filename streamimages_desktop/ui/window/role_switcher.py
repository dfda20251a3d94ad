"""The toolbar control that picks whose eyes the window looks through: owner, subscriber, viewer."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QFont, QFontMetrics, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from streamimages_desktop.core.access import lowest_of
from streamimages_desktop.core.labels import ROLE_HELP, role_name, viewing_as
from streamimages_desktop.core.models import Role

_BADGE_COLOURS = {Role.OWNER: "#7c4dff", Role.SUBSCRIBER: "#00897b", Role.VIEWER: "#546e7a"}
_BUTTON_STYLE = "QToolButton { padding: 3px 10px; }" + "".join(
    f"QToolButton#role_{role.value}:checked {{ background: {colour}; color: white;"
    f" border: 1px solid {colour}; border-radius: 3px; }}"
    for role, colour in _BADGE_COLOURS.items()
)


class RoleSwitcher(QWidget):
    """Three exclusive checkable actions (Ctrl+1/2/3) and a badge saying who the window looks as.

    Signals:
        role_changed(object): the new Role, emitted when the user (or set_role) changes it.

    Attributes:
        role_actions: one checkable QAction per role, for menus and tests.
        badge: the "Viewing as ..." label, always showing the current role.
    """

    role_changed = Signal(object)

    def __init__(self, role: Role = Role.OWNER, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Role switcher")
        self._role = Role(role)
        self._locked: Role | None = None
        self._highest = Role.OWNER
        self._group = QActionGroup(self)
        self._group.setExclusive(True)
        self._group.triggered.connect(self._on_group_triggered)
        self.role_actions: dict[Role, QAction] = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.setSpacing(0)
        for number, member in enumerate(Role, start=1):
            action = QAction(role_name(member), self)
            action.setCheckable(True)
            action.setShortcut(QKeySequence(f"Ctrl+{number}"))
            action.setToolTip(f"{ROLE_HELP[member]} ({action.shortcut().toString()})")
            action.setStatusTip(ROLE_HELP[member])
            action.setData(member.value)
            self._group.addAction(action)
            self.addAction(action)  # shortcuts live while the toolbar is visible
            self.role_actions[member] = action
            button = QToolButton(self)
            button.setDefaultAction(action)
            button.setAccessibleName(f"View as {role_name(member)}")
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setObjectName(f"role_{member.value}")
            layout.addWidget(button)
        layout.addSpacing(10)
        self.setStyleSheet(_BUTTON_STYLE)
        self.badge = QLabel(self)
        self.badge.setAccessibleName("Current role")
        self.badge.setObjectName("role_badge")
        self.badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.badge.setFixedWidth(self._badge_width())  # the toolbar must not shift per role
        layout.addWidget(self.badge)
        self._show(self._role)

    def _badge_width(self) -> int:
        """Wide enough for the longest "Viewing as ..." in the badge's bold font and padding."""
        font = QFont(self.badge.font())
        font.setWeight(QFont.Weight.DemiBold)
        metrics = QFontMetrics(font)
        return max(metrics.horizontalAdvance(viewing_as(r)) for r in Role) + 2 * 10 + 8

    @property
    def role(self) -> Role:
        return self._role

    @property
    def locked(self) -> Role | None:
        """The role the switcher is locked to (on air), or None."""
        return self._locked

    def lock(self, role: Role | None) -> None:
        """Lock to `role` (on air: switch to it, the other roles disabled); None unlocks."""
        self._locked = None
        if role is not None:
            self.set_role(role)
        self._locked = role
        self._enable()

    def limit_to(self, highest: Role) -> None:
        """Offer no role above `highest`: a team member previews their own level and below
        (the servers would show nothing more anyway)."""
        self._highest = Role(highest)
        if lowest_of(self._role, self._highest) is not self._role:
            self.set_role(self._highest)
        self._enable()

    def _enable(self) -> None:
        for member, action in self.role_actions.items():
            allowed = lowest_of(member, self._highest) is member
            action.setEnabled(allowed and (self._locked is None or member is self._locked))
            if not allowed:
                action.setToolTip(f"{ROLE_HELP[member]} (not at your level of this team library)")

    def set_role(self, role: Role | str) -> None:
        """Switch to `role`; emits role_changed if it differs from the current one.

        While locked, another role is refused (the checked button stays the locked one).
        """
        role = Role(role)
        if self._locked is not None and role is not self._locked:
            self.role_actions[self._locked].setChecked(True)
            return
        self.role_actions[role].setChecked(True)
        if role is not self._role:
            self._role = role
            self._show(role)
            self.role_changed.emit(role)

    def _show(self, role: Role) -> None:
        self.role_actions[role].setChecked(True)
        self.badge.setText(viewing_as(role))
        self.badge.setToolTip(ROLE_HELP[role])
        self.badge.setStyleSheet(
            f"QLabel#role_badge {{ background: {_BADGE_COLOURS[role]}; color: white;"
            " border-radius: 9px; padding: 3px 10px; font-weight: 600; }"
        )

    def _on_group_triggered(self, action: QAction) -> None:
        self.set_role(Role(action.data()))
