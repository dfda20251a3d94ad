"""What the main window remembers between runs (QSettings): geometry, docks, role, stream, view."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from PySide6.QtCore import QByteArray, QRect, QSettings
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from streamimages_desktop.core.models import Role, Sort

# Bumped whenever the default dock layout changes, so an older saved layout is not restored
# over it (2: Upload and Cache are separate docks, no longer tabs of one).
STATE_VERSION = 2
DEFAULT_SIZE = (1280, 800)
GEOMETRY, STATE = "window/geometry", "window/state"
VIEWER_GEOMETRY = "viewer/geometry"
ROLE, STREAM, TILE_SIZE, SORT = "view/role", "view/stream", "view/tile_size", "view/sort"
E = TypeVar("E", Role, Sort)


@dataclass(frozen=True)
class ViewState:
    """The remembered choices; anything missing or unreadable falls back to a default."""

    role: Role = Role.OWNER
    stream: str | None = None
    tile_size: int | None = None
    sort: Sort = Sort.NEWEST
    geometry: QByteArray | None = None
    state: QByteArray | None = None


def load(qs: QSettings) -> ViewState:
    """Read what an earlier run saved; a hand-edited or foreign value never raises."""
    return ViewState(
        role=_enum(Role, qs.value(ROLE), Role.OWNER),
        stream=str(qs.value(STREAM, "") or "") or None,
        tile_size=_int(qs.value(TILE_SIZE)),
        sort=_enum(Sort, qs.value(SORT), Sort.NEWEST),
        geometry=_bytes(qs.value(GEOMETRY)),
        state=_bytes(qs.value(STATE)),
    )


def save(qs: QSettings, view: ViewState) -> None:
    qs.setValue(ROLE, view.role.value)
    qs.setValue(STREAM, view.stream or "")
    if view.tile_size is not None:
        qs.setValue(TILE_SIZE, view.tile_size)
    qs.setValue(SORT, view.sort.value)
    if view.geometry is not None:
        qs.setValue(GEOMETRY, view.geometry)
    if view.state is not None:
        qs.setValue(STATE, view.state)
    qs.sync()


def _enum(kind: type[E], value: object, default: E) -> E:
    try:
        return kind(str(value))
    except ValueError:
        return default


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _bytes(value: object) -> QByteArray | None:
    return value if isinstance(value, QByteArray) and not value.isEmpty() else None


def load_viewer_geometry(qs: QSettings | None) -> QByteArray | None:
    return None if qs is None else _bytes(qs.value(VIEWER_GEOMETRY))


def save_viewer_geometry(qs: QSettings, geometry: QByteArray) -> None:
    qs.setValue(VIEWER_GEOMETRY, geometry)
    qs.sync()


def fit_rect(rect: QRect, available: QRect) -> QRect:
    """`rect` shrunk to fit inside `available` and moved in from any edge it crosses."""
    width = min(rect.width(), available.width())
    height = min(rect.height(), available.height())
    left = max(available.left(), min(rect.left(), available.right() + 1 - width))
    top = max(available.top(), min(rect.top(), available.bottom() + 1 - height))
    return QRect(left, top, width, height)


def fit_to_screen(window: QWidget) -> None:
    """Fit a restored window to the screen it reopens on (the one under its centre, or the
    primary one): a geometry saved on a larger or since-removed monitor is brought back."""
    frame = window.frameGeometry()
    screen = QGuiApplication.screenAt(frame.center()) or QGuiApplication.primaryScreen()
    if screen is None:
        return
    available = screen.availableGeometry()
    fitted = fit_rect(frame, available)
    if fitted == frame:
        return
    # The frame (title bar, borders) is outside geometry(): keep it inside the screen too.
    extra_w = frame.width() - window.width()
    extra_h = frame.height() - window.height()
    window.resize(max(1, fitted.width() - extra_w), max(1, fitted.height() - extra_h))
    window.move(fitted.topLeft())
