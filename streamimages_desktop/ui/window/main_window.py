"""The main window: role switcher and search on top, streams left, gallery centre, upload right.

MainWindow builds the parts and docks, wires them and keeps its layout between runs. Its other
ideas are mixins: how it looks as one role (RoleView, role_view.py), panes following the
selection and the library's changes (LibrarySlots, library_slots.py), images arriving from
outside (IncomingImages, incoming.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import QDockWidget, QMainWindow, QUndoView, QWidget

from streamimages_desktop.core.access import lowest_of
from streamimages_desktop.core.live_settings import LiveSettings
from streamimages_desktop.core.models import Role, Viewer
from streamimages_desktop.core.settings import Settings
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
from streamimages_desktop.ui.window.incoming import IncomingImages
from streamimages_desktop.ui.window.library_slots import LibrarySlots
from streamimages_desktop.ui.window.role_view import RoleView
from streamimages_desktop.ui.window.status_line import StatusLine
from streamimages_desktop.ui.window.toolbar import TILE_DEFAULT, MainToolBar

if TYPE_CHECKING:
    from streamimages_desktop.core.manager import StreamImageManager
    from streamimages_desktop.ui.gallery.pixmap_cache import PixmapCache


class MainWindow(RoleView, LibrarySlots, IncomingImages, QMainWindow):
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
            sequence=self.gallery.model,  # ids of every row; images of those in memory
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
        self.trash_action = built.trash_action

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

    def select_stream(self, stream_id: str | None) -> None:
        self.stream_browser.select_stream(stream_id)

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
        self.stream_browser.shutdown()
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
