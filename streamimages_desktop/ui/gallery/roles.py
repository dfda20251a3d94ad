"""The gallery model's item roles, and what a row's image answers for its text roles."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt

from streamimages_desktop.core.labels import visibility_name
from streamimages_desktop.core.models import StreamImage
from streamimages_desktop.core.units import count_of, format_bytes

ImageIdRole = Qt.ItemDataRole.UserRole + 1
VisibilityRole = Qt.ItemDataRole.UserRole + 2
# (decoration, title, visibility) in one call: the delegate asks once per tile per frame.
TileRole = Qt.ItemDataRole.UserRole + 3

# What changes when a row's page arrives or its image is edited (not the decoration).
TEXT_ROLES: list[int] = [
    Qt.ItemDataRole.DisplayRole,
    Qt.ItemDataRole.ToolTipRole,
    Qt.ItemDataRole.AccessibleTextRole,
    Qt.ItemDataRole.UserRole,
    ImageIdRole,
    VisibilityRole,
]

ROW_FLAGS = (  # asked for every tile on every paint: combined once
    Qt.ItemFlag.ItemIsEnabled
    | Qt.ItemFlag.ItemIsSelectable
    | Qt.ItemFlag.ItemNeverHasChildren
    | Qt.ItemFlag.ItemIsDragEnabled  # onto a stream in the browser: move (Ctrl: copy)
)

NBSP, TIMES = "\u00a0", "\u00d7"  # "1280 x 720 px" with the times sign, never broken


def tooltip_for(image: StreamImage) -> str:
    """Title, description, visibility, size and views as rich text (all user text escaped)."""
    description = image.description.strip()
    if len(description) > 300:
        description = description[:299] + "…"
    lines = [f"<b>{html.escape(image.title)}</b>"]
    if description:
        lines.append(html.escape(description).replace("\n", "<br>"))
    lines.append(
        f"{visibility_name(image.visibility)} · "
        f"{image.width}{NBSP}{TIMES}{NBSP}{image.height}{NBSP}px · "
        f"{format_bytes(image.bytes)} · {count_of(image.views, 'view')}"
    )
    return "<br>".join(lines)


def image_data(image: StreamImage | None, role: int) -> Any:
    """A row's UserRole (the image itself) and text roles; `image` None: its page is not here."""
    if role == Qt.ItemDataRole.UserRole:
        return image
    if image is None:
        return "" if role == Qt.ItemDataRole.DisplayRole else None
    if role == Qt.ItemDataRole.DisplayRole:
        return image.title
    if role == Qt.ItemDataRole.ToolTipRole:
        return tooltip_for(image)
    if role == Qt.ItemDataRole.AccessibleTextRole:
        return f"{image.title}, {visibility_name(image.visibility)}"
    return None
