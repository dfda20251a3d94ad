"""RoleView: the main window as one role sees it - the Viewer every pane is given, the title,
on air's locked role, the grid's query and what an empty grid says.

A role change and going on or off air take this one path, so no pane can be left showing what
the previous role saw. A mixin of MainWindow, which builds the parts it uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMainWindow, QToolTip

from streamimages_desktop.core.access import can_edit
from streamimages_desktop.core.labels import role_name, viewing_as
from streamimages_desktop.core.models import Role, Viewer
from streamimages_desktop.ui.window.status_line import home_relative

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance
    from PySide6.QtGui import QAction

    from streamimages_desktop.core.manager import StreamImageManager
    from streamimages_desktop.core.settings import Settings
    from streamimages_desktop.ui.cache.pane import CachePane
    from streamimages_desktop.ui.gallery.image_actions import ImageActions
    from streamimages_desktop.ui.gallery.pixmap_cache import PixmapCache
    from streamimages_desktop.ui.gallery.widget import GalleryWidget
    from streamimages_desktop.ui.imports.upload_pane import UploadPane
    from streamimages_desktop.ui.onair.banner import OnAirBanner
    from streamimages_desktop.ui.onair.controller import OnAirController
    from streamimages_desktop.ui.streams.browser import StreamBrowser
    from streamimages_desktop.ui.viewer.viewer_window import ViewerWindow
    from streamimages_desktop.ui.window.status_line import StatusLine
    from streamimages_desktop.ui.window.toolbar import MainToolBar

    _Window = QMainWindow
else:
    _Window = object


class RoleView(_Window):
    """The role-dependent half of MainWindow (its parts are MainWindow's attributes)."""

    if TYPE_CHECKING:
        role_changed: SignalInstance
        viewer: Viewer
        _manager: StreamImageManager
        _settings: Settings
        _pixmap_cache: PixmapCache
        _stream_id: str | None
        _role_off_air: Role | None
        toolbar: MainToolBar
        gallery: GalleryWidget
        stream_browser: StreamBrowser
        upload_pane: UploadPane
        cache_pane: CachePane
        image_actions: ImageActions
        preview: ViewerWindow
        status: StatusLine
        on_air: OnAirController
        on_air_banner: OnAirBanner
        open_action: QAction
        folder_action: QAction
        paste_action: QAction
        trash_action: QAction

    def set_role(self, role: Role | str) -> None:
        """Look as `role` (the same as pressing Ctrl+1/2/3)."""
        self.toolbar.role_switcher.set_role(role)

    def _apply_role(self, role: Role, *, initial: bool = False) -> None:
        self.viewer = Viewer(role, may_edit=not self._manager.read_only)
        QToolTip.hideText()  # a tooltip of a now-hidden image must not linger
        self.preview.enforce(self.viewer)
        self.image_actions.set_viewer(self.viewer)
        on_air = self.on_air.audience is not None
        self.upload_pane.set_viewer(self.viewer, on_air=on_air)
        self.open_action.setEnabled(can_edit(self.viewer))
        self.folder_action.setEnabled(can_edit(self.viewer))
        self.paste_action.setEnabled(can_edit(self.viewer))
        self.trash_action.setEnabled(can_edit(self.viewer))
        self._apply_query()
        self.stream_browser.set_viewer(self.viewer, on_air=on_air)
        self.status.set_role(role)
        self.status.set_on_air(self.on_air.audience)
        self.setWindowTitle(self._title(role))  # Qt appends " — StreamImages", the display name
        if not initial:
            self.role_changed.emit(role)

    def _title(self, role: Role) -> str:
        audience = self.on_air.audience
        if audience is None:
            return f"{viewing_as(role)} — {self._library_title()}"
        return f"ON AIR — audience: {role_name(audience)}"

    def _library_title(self) -> str:
        """Which library is open: its folder (as the status bar writes it), or the team's."""
        if self._manager.is_team_library:
            return self._manager.library_name.replace("team library ", "team ", 1)
        return home_relative(self._settings.stream_images_dir)

    def _on_air_changed(self, audience: Role | None) -> None:
        """On or off air: the same path as a role change, with the audience's role locked."""
        if audience is not None and self._role_off_air is None:
            self._role_off_air = self.viewer.role
        role = audience if audience is not None else (self._role_off_air or self.viewer.role)
        if audience is None:
            self._role_off_air = None
        self._pixmap_cache.set_audience(audience)  # before anything is painted again
        self.gallery.loader.set_audience(audience)  # late results of the old role are dropped
        self.cache_pane.set_on_air(audience is not None)
        self.on_air_banner.show_for(audience)
        before = self.viewer.role
        switcher = self.toolbar.role_switcher
        switcher.lock(audience)  # may switch the role: _apply_role runs
        switcher.set_role(role)
        if self.viewer.role is before:  # no role change, but the title, status, grid change
            self._apply_role(role)
        if audience is not None and self.toolbar.search_edit.text():
            self.toolbar.search_edit.clear()  # words typed as the owner are not shown
            self.toolbar.flush_search()
        self.gallery.view.viewport().update()  # every tile asks the cache again

    def _empty_text(self) -> str:
        """What an empty grid says: why it is empty and what to do next."""
        search = self.toolbar.search_text()
        if search:
            return f"No images match “{search}”.\nPress Esc in the search field to see them all."
        if can_edit(self.viewer):
            return "No images yet. Drop images here or press Ctrl+O"
        if self.on_air.on_air:
            return f"Nothing here is visible to a {self.viewer.role.value}."
        return (
            f"Nothing here is visible to a {self.viewer.role.value}.\n"
            "Switch to Owner (Ctrl+1) to add images or change who sees them."
        )

    def _apply_query(self, *, stats: bool = True) -> None:
        self.gallery.set_empty_text(self._empty_text())
        self.gallery.set_query(
            self.viewer, self._stream_id, self.toolbar.search_text(), self.toolbar.sort()
        )
        self.status.set_counts(None, self.stream_browser.visible_count(self._stream_id))
        if stats:  # the role's totals do not depend on the search or the order
            self.status.reload_stats(self.viewer, self._stream_id)

    def _on_role_changed(self, role: Role) -> None:
        self._apply_role(role)

    def _on_query_changed(self, *_args: object) -> None:
        self._apply_query(stats=False)

    def _on_search_left(self) -> None:
        self.gallery.view.setFocus(Qt.FocusReason.ShortcutFocusReason)
