"""The status bar: images shown of those the role may see, the role's stats, role and library."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from streamimages_desktop.core.access import allowed_visibilities
from streamimages_desktop.core.labels import VISIBILITY_COUNTED, role_name, sentence, visible_to
from streamimages_desktop.core.models import Role, Stats, Viewer, Visibility
from streamimages_desktop.core.units import count_of, format_bytes
from streamimages_desktop.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from streamimages_desktop.core.manager import StreamImageManager

FLASH_MS = 6000


def stats_text(viewer: Viewer, stats: Stats) -> str:
    """Only the visibilities the role may see are named: a viewer is not told private counts."""
    allowed = allowed_visibilities(viewer)
    shown = [vis for vis in Visibility if vis in allowed]
    parts = [f"{getattr(stats, vis.value)} {VISIBILITY_COUNTED[vis]}" for vis in shown]
    parts += [format_bytes(stats.bytes), count_of(stats.views, "view")]
    return " · ".join(parts)


def home_relative(path: Path) -> str:
    """`path` with the home folder written as "~", as a file manager shows it (the tooltip
    keeps the full path)."""
    try:
        return f"~/{path.relative_to(Path.home())}"
    except ValueError:
        return str(path)


class StatusLine(QStatusBar):
    """Permanent labels for counts, stats, role and library path; flash() for one-line news.

    Attributes:
        count_label: "N shown of M visible to <role>".
        stats_label: the role's totals for the current stream.
        role_label, path_label: the role and the library folder.
    """

    def __init__(
        self,
        manager: StreamImageManager,
        runner: TaskRunner,
        library: Path,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setAccessibleName("Status bar")
        self._manager, self._runner = manager, runner
        self._role = Role.OWNER
        self._shown: int | None = None
        self._total: int | None = None
        self._generation = 0
        self._off_air_tip: str | None = None  # on air: the bar's tooltip before, to restore
        self.count_label = self._label("Image counts")
        self.stats_label = self._label("Statistics")
        self.role_label = self._label("Role")
        self.path_label = self._label("Library folder")
        self.path_label.setText(home_relative(library))
        self.path_label.setToolTip(f"Library: {library}")
        if manager.is_team_library:  # a team library's name says who is signed in, and where
            name = manager.library_name
            who = name.replace("team library ", "", 1)
            viewing = " (view only)" if manager.read_only else ""
            self.path_label.setText(f"Team{viewing}: {who}")
            self.path_label.setToolTip(f"Open: the {name}, shared with the team{viewing}")
        elif manager.read_only:  # browsing works; every change is refused
            self.path_label.setText(f"Read-only: {home_relative(library)}")
            self.path_label.setToolTip(f"Library (read-only, nothing can be changed): {library}")
        self.path_label.setMaximumWidth(320)

    def _label(self, name: str) -> QLabel:
        label = QLabel(self)
        label.setAccessibleName(name)
        label.setContentsMargins(6, 0, 6, 0)
        label.setMinimumWidth(24)  # may be clipped rather than widen the window's minimum
        self.addPermanentWidget(label)
        return label

    def flash(self, text: str) -> None:
        self.showMessage(sentence(text), FLASH_MS)

    def set_role(self, role: Role) -> None:
        self._role = role
        self.role_label.setText(f"Role: {role_name(role)}")
        self._show_counts()

    def set_on_air(self, audience: Role | None) -> None:
        """On air the role reads "ON AIR: Viewer", the library folder (a home path) is hidden
        and a message flashed as the owner is cleared."""
        self.path_label.setVisible(audience is None)
        if audience is None:
            self.role_label.setStyleSheet("")
            self.role_label.setText(f"Role: {role_name(self._role)}")
            if self._off_air_tip is not None:
                self.setToolTip(self._off_air_tip)
            self._off_air_tip = None
            return
        self.clearMessage()
        if self._off_air_tip is None:  # the bar's own tooltip may name the library folder
            self._off_air_tip = self.toolTip()
        self.setToolTip("")
        self.role_label.setText(f"ON AIR: {role_name(audience)}")
        self.role_label.setStyleSheet("color: white; background: #d50000; font-weight: 700;")

    def set_counts(self, shown: int | None, total: int | None) -> None:
        """`shown` in the grid (None while loading) of `total` visible (None while unknown)."""
        self._shown, self._total = shown, total
        self._show_counts()

    def set_total(self, total: int | None) -> None:
        self._total = total
        self._show_counts()

    def _show_counts(self) -> None:
        shown = "…" if self._shown is None else str(self._shown)
        total = "…" if self._total is None else str(self._total)
        self.count_label.setText(f"{shown} shown of {total} {visible_to(self._role)}")

    def reload_stats(self, viewer: Viewer, stream_id: str | None) -> None:
        """Query the role's stats on a worker; older answers are dropped."""
        self._generation += 1
        generation = self._generation
        self.stats_label.setText("…")
        self._runner.submit(
            lambda: self._manager.stats(viewer, stream_id),
            lambda stats: self._on_stats_loaded(generation, viewer, stats),
            lambda exc: self._on_stats_failed(generation, exc),
        )

    def _on_stats_loaded(self, generation: int, viewer: Viewer, stats: Stats) -> None:
        if generation == self._generation:
            self.stats_label.setText(stats_text(viewer, stats))

    def _on_stats_failed(self, generation: int, exc: Exception) -> None:
        if generation == self._generation:
            self.stats_label.setText("")
            self.flash(str(exc))

    def shutdown(self) -> None:
        self._generation += 1
