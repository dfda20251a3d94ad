"""The main window: role switcher and search on top, streams left, gallery centre, upload right."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData, QSettings, Qt, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QShowEvent,
)
from PySide6.QtWidgets import QDockWidget, QMainWindow, QToolTip, QUndoView, QWidget

from streamimages_desktop.core.access import can_edit, lowest_of
from streamimages_desktop.core.importer import ImportResult
from streamimages_desktop.core.labels import role_name, viewing_as
from streamimages_desktop.core.live_settings import LiveSettings
from streamimages_desktop.core.models import Role, StreamSummary, Viewer
from streamimages_desktop.core.settings import Settings
from streamimages_desktop.core.units import count_of
from streamimages_desktop.ui.cache.pane import CachePane
from streamimages_desktop.ui.curation.commands import CurationStack
from streamimages_desktop.ui.curation.watcher import LibraryWatcher
from streamimages_desktop.ui.gallery.image_actions import ImageActions
from streamimages_desktop.ui.gallery.widget import GalleryWidget
from streamimages_desktop.ui.imports.upload_pane import UploadPane
from streamimages_desktop.ui.onair.banner import OnAirBanner, on_air_button
from streamimages_desktop.ui.onair.controller import OnAirController
from streamimages_desktop.ui.settings_signal import SettingsSignal
from streamimages_desktop.ui.streams.browser import StreamBrowser
from streamimages_desktop.ui.tasks import TaskRunner
from streamimages_desktop.ui.viewer.viewer_window import ViewerWindow
from streamimages_desktop.ui.window import menus, view_state
from streamimages_desktop.ui.window.status_line import StatusLine, home_relative
from streamimages_desktop.ui.window.toolbar import TILE_DEFAULT, MainToolBar

if TYPE_CHECKING:
    from streamimages_desktop.core.manager import StreamImageManager
    from streamimages_desktop.ui.gallery.pixmap_cache import PixmapCache


class MainWindow(QMainWindow):
    """StreamImages' one window; everything in it shows what the current role may see.

    Signals:
        role_changed(object): the Role the window now looks as (after every pane re-queried).

    On air (F9, the toolbar toggle, or START_ON_AIR) the role is locked to the stream's
    audience and every part of the window goes through the same path as a role change.

    Attributes:
        toolbar, gallery, stream_browser, upload_pane, cache_pane, preview, image_actions,
        status, on_air, on_air_banner: the parts of the window, for app.py and tests.
        viewer: the Viewer every query is made as.
    """

    role_changed = Signal(object)

    def __init__(
        self,
        manager: StreamImageManager,
        pixmap_cache: PixmapCache,
        settings: Settings,
        parent: QWidget | None = None,
        *,
        qsettings: QSettings | None = None,
        role: Role | str | None = None,  # these two win over the remembered ones
        stream: str | None = None,
        remember: bool = True,
        live_settings: LiveSettings | None = None,  # None: settings changed here are not saved
        start_on_air: bool | None = None,  # None: the START_ON_AIR setting
    ) -> None:
        super().__init__(parent)
        self._manager = manager
        self._settings = settings
        self.settings = settings  # the Help menu's About shows its folders
        self._qsettings = qsettings if qsettings is not None else QSettings()
        self._remember = remember
        self._runner = TaskRunner(max_threads=2, parent=self)
        remembered = view_state.load(self._qsettings)
        start_role = Role(role) if role else remembered.role
        # A team member below the owner's level starts (and stays) at most at their level.
        start_role = lowest_of(start_role, manager.highest_role)
        self.viewer = Viewer(start_role, may_edit=not manager.read_only)
        self._stream_id: str | None = None
        self._pixmap_cache = pixmap_cache
        self._role_off_air: Role | None = None  # on air: the role to go back to
        self.setObjectName("main_window")
        self.setAccessibleName("StreamImages")
        self.setAcceptDrops(True)
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks
        )

        self.toolbar = MainToolBar(start_role, self)
        self.toolbar.role_switcher.limit_to(manager.highest_role)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)
        self.on_air = OnAirController(self._qsettings, self)
        self.on_air_banner = OnAirBanner(self)
        self.insertToolBar(self.toolbar, self.on_air_banner)
        self.insertToolBarBreak(self.toolbar)  # the banner has the whole top row to itself
        self.toolbar.add_after_roles(
            on_air_button(self.on_air.action, self.on_air.audience_menu, self.toolbar)
        )
        self.gallery = GalleryWidget(manager, pixmap_cache, self)
        self.setCentralWidget(self.gallery)
        self.stream_browser = StreamBrowser(manager, self._runner, self)
        self.upload_pane = UploadPane(manager, settings.allowed_image_extensions, self)
        self.settings_signal = (
            SettingsSignal(live_settings, self) if live_settings is not None else None
        )
        manager.attach_memory_cache(pixmap_cache.memory)  # cache_stats() sees both layers
        self.cache_pane = CachePane(pixmap_cache, manager, self, settings=self.settings_signal)
        self.stream_dock = self._dock(
            "Streams", "streams_dock", self.stream_browser, Qt.DockWidgetArea.LeftDockWidgetArea
        )
        self.upload_dock = self._dock(
            "Upload", "upload_dock", self.upload_pane, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.cache_dock = self._dock(
            "Cache", "cache_dock", self.cache_pane, Qt.DockWidgetArea.RightDockWidgetArea
        )
        # Two docks, one above the other, so the cache can be watched during an import.
        self.splitDockWidget(self.upload_dock, self.cache_dock, Qt.Orientation.Vertical)
        self.resizeDocks(
            [self.stream_dock, self.upload_dock], [230, 360], Qt.Orientation.Horizontal
        )
        self.resizeDocks([self.upload_dock, self.cache_dock], [500, 300], Qt.Orientation.Vertical)
        self.curation = CurationStack(self._runner, self)
        self.image_actions = ImageActions(
            manager, self.gallery, self._runner, self, curation=self.curation
        )
        self.image_actions.stream_ids = self.stream_browser.stream_ids
        self.stream_browser.set_curation(self.curation)
        self.history_view = QUndoView(self.curation.stack, self)
        self.history_view.setAccessibleName("Undo history")
        self.history_view.setEmptyLabel("<nothing changed yet>")
        self.history_dock = self._dock(
            "Undo History", "history_dock", self.history_view, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.history_dock.hide()
        self.watcher = LibraryWatcher(manager, self._runner, self)
        self.preview = ViewerWindow(
            manager,
            pixmap_cache,
            self._runner,
            self,
            sequence=lambda: self.gallery.model.images,
            image_actions=self.image_actions,
            qsettings=self._qsettings if remember else None,
        )
        self.status = StatusLine(manager, self._runner, settings.stream_images_dir, self)
        self.setStatusBar(self.status)
        self._build_menus()
        self._connect()
        self._restore(remembered, stream)
        self._apply_role(start_role, initial=True)
        self._show_startup_warnings()
        self.on_air_banner.show_for(None)  # restoreState may have shown it
        if settings.start_on_air if start_on_air is None else start_on_air:
            self.on_air.go_on_air()
        self.watcher.changed.connect(self.refresh_all)  # another process changed the library
        self.watcher.start()

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setAccessibleName(f"{title} pane")
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.addDockWidget(area, dock)
        return dock

    def _build_menus(self) -> None:
        built = menus.build(self)
        self.open_action, self.folder_action = built.open_action, built.folder_action
        self.paste_action, self.find_action = built.paste_action, built.find_action

    def _connect(self) -> None:
        self.toolbar.role_switcher.role_changed.connect(self._on_role_changed)
        self.on_air.changed.connect(self._on_air_changed)
        self.toolbar.search_changed.connect(self._on_query_changed)
        self.toolbar.search_left.connect(self._on_search_left)
        self.toolbar.sort_changed.connect(self._on_query_changed)
        self.toolbar.tile_size_changed.connect(self.gallery.set_tile_size)
        self.stream_browser.stream_selected.connect(self._on_stream_selected)
        self.stream_browser.streams_loaded.connect(self._on_streams_loaded)
        self.stream_browser.streams_changed.connect(self._on_library_changed)
        self.stream_browser.message.connect(self.status.flash)
        self.stream_browser.images_dropped.connect(
            lambda ids, target, copy: self.image_actions.place(ids, target, copy=copy)
        )
        self.gallery.shown_changed.connect(self._on_shown_changed)
        self.gallery.open_requested.connect(self._on_open_requested)
        self.gallery.delete_requested.connect(self.image_actions.request_delete)
        self.gallery.context_menu_requested.connect(self.image_actions.show_menu)
        self.gallery.query_failed.connect(self.status.flash)
        self.image_actions.open_requested.connect(self._on_open_requested)
        self.image_actions.changed.connect(self._on_images_changed)
        self.image_actions.deleted.connect(self._on_images_deleted)
        self.upload_pane.batch_finished.connect(self._on_batch_finished)
        self.upload_pane.message.connect(self.status.flash)
        self.upload_pane.new_stream_requested.connect(self.stream_browser.new_stream)
        self.upload_pane.images_arrived.connect(self.refresh_all)  # the grid fills as it goes
        self.stream_browser.files_dropped.connect(self._on_files_dropped_on_stream)

    # --- state -------------------------------------------------------------------------------

    @property
    def stream_id(self) -> str | None:
        return self._stream_id

    def set_role(self, role: Role | str) -> None:
        """Look as `role` (the same as pressing Ctrl+1/2/3)."""
        self.toolbar.role_switcher.set_role(role)

    def select_stream(self, stream_id: str | None) -> None:
        self.stream_browser.select_stream(stream_id)

    def refresh_all(self) -> None:
        """Re-query the grid, the stream counts and the stats (after any change to the library)."""
        self.gallery.refresh()
        self.stream_browser.reload()
        self.status.reload_stats(self.viewer, self._stream_id)

    def _show_startup_warnings(self) -> None:
        """What the library said once at opening (a folder others can read, an unusable cache
        folder): in the status bar, and kept in its tooltip for whoever missed the flash."""
        warnings = [*self._manager.startup_warnings]
        if self._manager.cache_warning is not None:
            warnings.append(self._manager.cache_warning)
        if warnings:
            text = "Warning: " + " · ".join(warnings)
            self.status.flash(text)
            self.status.setToolTip(text)

    def _apply_role(self, role: Role, *, initial: bool = False) -> None:
        self.viewer = Viewer(role, may_edit=not self._manager.read_only)
        QToolTip.hideText()  # a tooltip of a now-hidden image must not linger
        self.preview.enforce(self.viewer)
        self.image_actions.set_viewer(self.viewer)
        self.upload_pane.set_viewer(self.viewer)
        self.open_action.setEnabled(can_edit(self.viewer))
        self.folder_action.setEnabled(can_edit(self.viewer))
        self.paste_action.setEnabled(can_edit(self.viewer))
        self._apply_query()
        self.stream_browser.set_viewer(self.viewer)
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

    # --- slots -------------------------------------------------------------------------------

    def _on_role_changed(self, role: Role) -> None:
        self._apply_role(role)

    def _on_query_changed(self, *_args: object) -> None:
        self._apply_query(stats=False)

    def _on_search_left(self) -> None:
        self.gallery.view.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _on_stream_selected(self, stream_id: str | None) -> None:
        if stream_id == self._stream_id:
            return
        self._stream_id = stream_id
        self.upload_pane.set_streams(self._stream_titles(), stream_id)
        self.on_air.set_stream(stream_id)  # on air: this stream's audience
        self._apply_query()

    def _stream_titles(self) -> list[tuple[str, str]]:
        return [(s.stream.id, s.stream.title) for s in self.stream_browser.summaries]

    def _on_streams_loaded(self, _summaries: list[StreamSummary]) -> None:
        self.upload_pane.set_streams(self._stream_titles(), self._stream_id)
        self.status.set_total(self.stream_browser.visible_count(self._stream_id))

    def _on_shown_changed(self, shown: int) -> None:
        self.status.set_counts(shown, self.stream_browser.visible_count(self._stream_id))

    def _on_open_requested(self, image_id: str) -> None:
        self.preview.show_image(self.viewer, image_id)

    def _on_library_changed(self) -> None:
        self.gallery.refresh()
        self.status.reload_stats(self.viewer, self._stream_id)

    def _on_images_changed(self, message: str) -> None:
        self.status.flash(message)
        self.refresh_all()
        if self.preview.image is not None and self.preview.isVisible():
            self.preview.reload()

    def _on_images_deleted(self, ids: list[str]) -> None:
        for image_id in ids:
            self.preview.forget(image_id)

    def _on_batch_finished(self, results: list[ImportResult]) -> None:
        imported_ids = [
            str(r.image_id) for r in results if str(r.status) == "imported" and r.image_id
        ]
        if imported_ids:  # undoing an import moves that batch to the trash
            manager, viewer = self._manager, self.viewer
            self.curation.push(
                f"Import {count_of(len(imported_ids), 'image')}",
                lambda: manager.delete_images(viewer, imported_ids),
                lambda: manager.restore_images(viewer, imported_ids),
            )
        target = self.upload_pane.last_stream
        imported = any(str(r.status) == "imported" for r in results)
        if imported and self._stream_id not in (None, target):
            self.stream_browser.select_stream(target)
        self.refresh_all()

    def _on_files_dropped_on_stream(self, stream_id: str, mime: QMimeData) -> None:
        self._show_upload()
        self.upload_pane.import_mime(mime, stream_id=stream_id or None)

    def paste_from_clipboard(self) -> bool:
        """Import the clipboard's image or files (Ctrl+V); False when there is nothing to import."""
        self._show_upload()
        return self.upload_pane.paste_from_clipboard()

    def _show_upload(self) -> None:
        self.upload_dock.show()
        self.upload_dock.raise_()

    # --- drag and drop -----------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.source() is not None:  # tiles dragged out of this window are not imports
            event.ignore()
            return
        if self.upload_pane.accepts(event.mimeData()):
            event.acceptProposedAction()
            return
        if not can_edit(self.viewer):
            self.status.flash("Only the owner can import images; switch to Owner (Ctrl+1)")
        event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self.upload_pane.accepts(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        if not self.upload_pane.accepts(event.mimeData()):
            event.ignore()
            return
        event.acceptProposedAction()
        self._show_upload()
        self.upload_pane.import_mime(event.mimeData())

    # --- settings ----------------------------------------------------------------------------

    def _restore(self, view: view_state.ViewState, stream: str | None) -> None:
        self._fit_on_show = view.geometry is not None and self.restoreGeometry(view.geometry)
        if self._fit_on_show:
            view_state.fit_to_screen(self)  # saved on a larger or since-removed monitor
        else:
            self.resize(*view_state.DEFAULT_SIZE)
        if view.state is not None:
            self.restoreState(view.state, view_state.STATE_VERSION)
        self.toolbar.set_tile_size(view.tile_size or TILE_DEFAULT)
        self.gallery.set_tile_size(self.toolbar.tile_size())
        self.toolbar.set_sort(view.sort)
        self.stream_browser.select_stream(stream or view.stream)

    def save_settings(self) -> None:
        """Remember geometry, dock layout, stream, role, sort and thumbnail size."""
        view_state.save(
            self._qsettings,
            view_state.ViewState(
                role=self._role_off_air or self.viewer.role,  # on air is not remembered
                stream=self._stream_id,
                tile_size=self.toolbar.tile_size(),
                sort=self.toolbar.sort(),
                geometry=self.saveGeometry(),
                state=self.saveState(view_state.STATE_VERSION),
            ),
        )

    def shutdown(self) -> None:
        """Stop every worker before the manager closes (cancel imports, drain queries)."""
        self.watcher.stop()
        self.upload_pane.cancel()
        self.upload_pane.wait(10_000)
        self.gallery.shutdown()
        self.preview.shutdown()
        self._runner.clear_queued()
        self._runner.wait(10_000)
        self.status.shutdown()
        if self.settings_signal is not None:
            self.settings_signal.wait(10_000)  # a limit typed just before quitting is saved

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._fit_on_show:  # again, now that the frame around the window is known
            self._fit_on_show = False
            view_state.fit_to_screen(self)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._remember:
            self.save_settings()
        self.preview.close()
        super().closeEvent(event)
