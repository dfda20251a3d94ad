"""run_gui: start the desktop application on one library (icon, lock, window, first run)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QMessageBox

from streamimages_desktop.core import paths
from streamimages_desktop.core.errors import StreamImagesError
from streamimages_desktop.core.library_location import location_of, machine_folder
from streamimages_desktop.core.live_settings import LiveSettings
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import Role
from streamimages_desktop.core.settings import Settings, SettingsError, config_path
from streamimages_desktop.ui import failures
from streamimages_desktop.ui.app.first_run import first_run_of, offer_sample
from streamimages_desktop.ui.app.icon import app_icon
from streamimages_desktop.ui.app.opening import LibraryOpening
from streamimages_desktop.ui.app.screenshot import SCREENSHOT_SIZE, Screenshot, quiet_offscreen
from streamimages_desktop.ui.app.single_instance import (
    ALREADY_RUNNING,
    InstanceServer,
    already_running,
    hand_over,
    lock_library,
)
from streamimages_desktop.ui.gallery.pixmap_cache import PixmapCache
from streamimages_desktop.ui.tasks import TaskRunner
from streamimages_desktop.ui.window.main_window import MainWindow

ORGANISATION = "StreamImages"
APPLICATION = "StreamImages Desktop"


def user_settings() -> QSettings:
    """The window's remembered state (an INI file; tests move it with QSettings.setPath)."""
    return QSettings(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANISATION, APPLICATION
    )


def _reporter(to_stderr: bool) -> Callable[[str, str], None]:
    """One line on stderr (--screenshot, no one to click) or a message box; never a traceback."""

    def report(title: str, text: str) -> None:
        if to_stderr:
            print(f"streamimages: {text}", file=sys.stderr, flush=True)
        else:
            QMessageBox.critical(None, title, text)

    return report


def run_gui(settings: Settings, args: Any) -> int:
    """Run the application for `settings`; args.stream, args.role, args.screenshot. Exit status."""
    screenshot: Path | None = getattr(args, "screenshot", None)
    if screenshot is not None and QApplication.instance() is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        qInstallMessageHandler(quiet_offscreen)
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "streamimages"])
    assert isinstance(app, QApplication)
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("StreamImages")
    app.setWindowIcon(app_icon())
    report = _reporter(screenshot is not None)
    # The lock and the hand-over are per library: a team library's are in this machine's
    # folder for it, so a local window and a team window can both run.
    try:
        library = machine_folder(settings)
    except StreamImagesError as exc:  # a team library's URL that says nothing usable
        report("Cannot open the library", f"cannot open the library: {exc}")
        return 1
    try:
        paths.ensure_private_dir(library)
    except OSError as exc:
        report("Cannot open the library", f"cannot create the library folder {library}: {exc}")
        return 1
    lock = lock_library(library)
    if lock is None:
        request = {"stream": getattr(args, "stream", None), "role": getattr(args, "role", None)}
        if screenshot is None and hand_over(library, request):
            print(f"streamimages: {ALREADY_RUNNING}: its window was brought to the front")
            return 0
        report(ALREADY_RUNNING, already_running(location_of(settings).describe()))
        return 1
    try:
        # On a worker (a team library connects to servers); orphan collection runs once the
        # window is up (see _housekeep).
        opening = LibraryOpening(settings)
        try:
            manager = opening.run()
        except (StreamImagesError, SettingsError) as exc:
            where = "" if settings.stream_images_database_url else f" {library}"
            report("Cannot open the library", f"cannot open the library{where}: {exc}")
            return 1
        if manager is None:  # Cancel in the opening window
            return 0
        try:
            return _run(app, manager, settings, args, screenshot)
        finally:
            manager.close()
    finally:
        lock.unlock()


def _run(
    app: QApplication,
    manager: StreamImageManager,
    settings: Settings,
    args: Any,
    screenshot: Path | None,
) -> int:
    qsettings = user_settings()
    window = MainWindow(
        manager,
        PixmapCache(
            settings.memory_limit_bytes, settings.ttl_seconds, policy=settings.image_cache_policy
        ),
        settings,
        qsettings=qsettings,
        role=getattr(args, "role", None),
        stream=getattr(args, "stream", None),
        remember=screenshot is None,
        live_settings=LiveSettings(settings, config_path()),  # the file Settings.load read
    )
    runner = TaskRunner(max_threads=1, parent=window)
    server = InstanceServer(machine_folder(settings), window)
    server.requested.connect(lambda request: bring_forward(window, request))
    handler = failures.FailureHandler(window=window)
    handler.install()  # bugs: the log file, an internal-error dialog, also from Qt slots
    _housekeep(manager, runner)
    try:
        if screenshot is None:
            window.show()
            # A team library is shared: no sample stream is offered into it.
            if not manager.is_team_library and first_run_of(qsettings, settings.stream_images_dir):
                offer_sample(window, manager, runner, ask=True)
            return app.exec()
        window.setWindowState(Qt.WindowState.WindowNoState)
        window.resize(*SCREENSHOT_SIZE)
        shot = Screenshot(window, screenshot)
        window.show()
        offer_sample(window, manager, runner, ask=False, on_finished=shot.on_sample_finished)
        return shot.run()
    finally:
        window.shutdown()
        runner.clear_queued()
        runner.wait(10_000)
        handler.uninstall()
        window.close()
        window.deleteLater()


def bring_forward(window: MainWindow, request: dict[str, str | None]) -> None:
    """A second instance was started on this library: show what it asked for, on top."""
    role, stream = request.get("role"), request.get("stream")
    if role in {r.value for r in Role}:
        window.set_role(str(role))
    if stream:
        window.select_stream(stream)
    if window.isMinimized():
        window.showNormal()
    window.show()
    window.raise_()
    window.activateWindow()


def _housekeep(manager: StreamImageManager, runner: TaskRunner) -> None:
    """Collect what crashes left (at most once an hour) on a worker, after anything queued."""

    def collect() -> object:
        return manager.collect_orphans(wait=None) if manager.needs_housekeeping() else None

    runner.submit(collect, lambda _report: None, priority=-1)
