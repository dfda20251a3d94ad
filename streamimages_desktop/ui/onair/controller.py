"""OnAirController: whether the window is on air, and for which audience.

Going on air is one keypress (F9) or the toolbar toggle; leaving asks first, with "Stay on
air" as the default button, so a stray Enter or Escape keeps the stream safe. The audience
is chosen per stream (Viewer unless chosen otherwise) and remembered in QSettings.
"""

from __future__ import annotations

from urllib.parse import quote

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QAbstractButton, QMenu, QMessageBox, QWidget

from streamimages_desktop.core.labels import role_name
from streamimages_desktop.core.models import Role

ON_AIR_KEY = "F9"
AUDIENCES = (Role.VIEWER, Role.SUBSCRIBER)
DEFAULT_AUDIENCE = Role.VIEWER
LEAVE_TEXT = "Leave on-air"
STAY_TEXT = "Stay on air"
_ALL_STREAMS = "*"


def _settings_key(stream_id: str | None) -> str:
    return "on_air/audience/" + quote(stream_id or _ALL_STREAMS, safe="")


class OnAirController(QObject):
    """The on-air state, the F9 action, the audience menu and the leave confirmation.

    Signals:
        changed(object): the audience the window now shows (a Role), or None: off air.

    Attributes:
        action: checkable "On air" action (F9), for the toolbar and the View menu.
        audience_menu: "On-air audience" menu (Viewer, Subscriber), for the current stream.
        audience_actions: one checkable action per audience.
    """

    changed = Signal(object)

    def __init__(self, qsettings: QSettings, parent: QWidget) -> None:
        super().__init__(parent)
        self._window = parent
        self._qsettings = qsettings
        self._audience: Role | None = None
        self._stream: str | None = None
        self._confirm: QMessageBox | None = None
        self.action = QAction("On air", parent)
        self.action.setObjectName("on_air_action")
        self.action.setCheckable(True)
        self.action.setShortcut(QKeySequence(ON_AIR_KEY))
        self.action.setToolTip(
            f"On air ({ON_AIR_KEY}): the whole window shows only what the audience may see"
        )
        self.action.triggered.connect(self._on_triggered)
        self.audience_menu = QMenu("On-air audience", parent)
        self.audience_menu.setAccessibleName("On-air audience")
        group = QActionGroup(self)
        group.setExclusive(True)
        self.audience_actions: dict[Role, QAction] = {}
        for role in AUDIENCES:
            choice = QAction(role_name(role), self)
            choice.setCheckable(True)
            choice.triggered.connect(lambda _checked=False, r=role: self.choose_audience(r))
            group.addAction(choice)
            self.audience_menu.addAction(choice)
            self.audience_actions[role] = choice
        self._show_choice()

    # -- state --------------------------------------------------------------------------------

    @property
    def on_air(self) -> bool:
        return self._audience is not None

    @property
    def audience(self) -> Role | None:
        """The audience shown now, or None off air."""
        return self._audience

    def chosen_audience(self, stream_id: str | None) -> Role:
        """The audience chosen for `stream_id` (Viewer unless chosen otherwise)."""
        raw = self._qsettings.value(_settings_key(stream_id), DEFAULT_AUDIENCE.value)
        try:
            role = Role(str(raw))
        except ValueError:
            return DEFAULT_AUDIENCE
        return role if role in AUDIENCES else DEFAULT_AUDIENCE

    def choose_audience(self, role: Role) -> None:
        """Remember `role` as the current stream's audience; on air, show it at once."""
        role = Role(role)
        if role not in AUDIENCES:
            raise ValueError(f"the owner is no audience: {role.value}")
        self._qsettings.setValue(_settings_key(self._stream), role.value)
        self._show_choice()
        if self.on_air and role is not self._audience:
            self._set(role)

    def set_stream(self, stream_id: str | None) -> None:
        """The window shows another stream: on air, its audience applies."""
        self._stream = stream_id
        self._show_choice()
        chosen = self.chosen_audience(stream_id)
        if self.on_air and chosen is not self._audience:
            self._set(chosen)

    # -- going on and off air -----------------------------------------------------------------

    def go_on_air(self) -> None:
        if not self.on_air:
            self._set(self.chosen_audience(self._stream))

    def request_leave(self) -> QMessageBox | None:
        """Ask before leaving (the box is opened, not exec'd); None when already off air."""
        if not self.on_air:
            return None
        if self._confirm is not None and self._confirm.isVisible():
            self._confirm.raise_()
            return self._confirm
        box = QMessageBox(self._window)
        box.setObjectName("leave_on_air_box")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Leave on-air?")
        box.setText("Leave on-air mode?")
        box.setInformativeText(
            "The window will show everything your role may see again, private images"
            " included. Make sure it is not being captured."
        )
        stay = box.addButton(STAY_TEXT, QMessageBox.ButtonRole.RejectRole)
        leave = box.addButton(LEAVE_TEXT, QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(stay)
        box.setEscapeButton(stay)
        box.buttonClicked.connect(lambda button: self._on_answer(button, leave))
        self._confirm = box
        box.open()
        return box

    def leave_now(self) -> None:
        """Off air without asking (the confirmation said yes, or the window closes)."""
        if self.on_air:
            self._set(None)

    def _set(self, audience: Role | None) -> None:
        self._audience = audience
        self.action.setChecked(audience is not None)
        self.changed.emit(audience)

    def _on_triggered(self, checked: bool) -> None:
        if checked:
            self.go_on_air()
            return
        self.action.setChecked(True)  # still on air until the confirmation says otherwise
        self.request_leave()

    def _on_answer(self, button: QAbstractButton, leave: QAbstractButton) -> None:
        if button is leave:
            self.leave_now()

    def _show_choice(self) -> None:
        self.audience_actions[self.chosen_audience(self._stream)].setChecked(True)
