"""The cache pane's figure widgets: label/value grids of counters, use-against-limit bars, MB."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDoubleSpinBox, QGridLayout, QLabel, QProgressBar, QWidget

from streamimages_desktop.core.units import format_bytes
from streamimages_desktop.ui.cache.pages import NO_GETS

# What the less obvious figures count (tooltips on the caption and the value).
FIELD_HELP = {
    "Evictions": "Entries removed to make room under the limit",
    "Expirations": "Entries removed because they were older than the time to live "
    "(IMAGE_CACHE_TTL_HOURS)",
    "Oversize": "Entries never stored because each alone is larger than the limit",
    "Peak": "The highest use since the window opened or the limit last changed",
    "Corrupt": "Cached files that could not be read back; each was made again",
}


def stat_grid(
    cache: str, names: tuple[str, ...], parent: QWidget
) -> tuple[QGridLayout, dict[str, QLabel]]:
    """Label/value pairs, two per row; returns the layout and the value labels by key."""
    grid = QGridLayout()
    grid.setHorizontalSpacing(8)
    grid.setVerticalSpacing(2)
    values: dict[str, QLabel] = {}
    for i, name in enumerate(names):
        key = name.lower().replace(" ", "_")
        caption = QLabel(f"{name}:", parent)
        value = QLabel(NO_GETS if key == "hit_ratio" else "0", parent)
        value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        value.setAccessibleName(f"{cache} cache {name.lower()}")
        caption.setBuddy(value)
        if name in FIELD_HELP:
            caption.setToolTip(FIELD_HELP[name])
            value.setToolTip(FIELD_HELP[name])
        row, col = divmod(i, 2)
        grid.addWidget(caption, row, col * 3)
        grid.addWidget(value, row, col * 3 + 1)
        values[key] = value
    grid.setColumnMinimumWidth(2, 12)
    grid.setColumnStretch(1, 1)
    grid.setColumnStretch(4, 1)
    return grid, values


def use_bar(name: str, parent: QWidget) -> QProgressBar:
    """A bar of use against a limit, in per mille; `name` is what a screen reader says."""
    bar = QProgressBar(parent)
    bar.setRange(0, 1000)  # per mille: byte counts overflow a C int
    bar.setTextVisible(True)
    bar.setAlignment(Qt.AlignmentFlag.AlignCenter)
    bar.setAccessibleName(name)
    return bar


def show_use(bar: QProgressBar, used: int, limit: int) -> None:
    """`used` of `limit` bytes on a use_bar, as text like "123.4 MB of 500 MB"."""
    bar.setValue(min(1000, round(1000 * used / limit)) if limit > 0 else 0)
    text = f"{format_bytes(used)} of {format_bytes(limit)}"
    bar.setFormat(text.replace("%", "%%"))
    bar.setAccessibleDescription(text)
    bar.setToolTip(f"{used:,} of {limit:,} bytes")


class MegabytesBox(QDoubleSpinBox):
    """A size in MB written as the bars write sizes: "500 MB", "2.5 MB", never "500.0 MB"."""

    def textFromValue(self, value: float) -> str:
        text = super().textFromValue(value)
        return text.removesuffix(self.locale().decimalPoint() + "0" * self.decimals())
