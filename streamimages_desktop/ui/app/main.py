"""Start the desktop application: one instance per library, the main window, --screenshot."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QEventLoop,
    QLockFile,
    QMessageLogContext,
    QObject,
    QPointF,
    QRectF,
    QSettings,
    Qt,
    QTimer,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtGui import QColor, QIcon, QLinearGradient, QPainter, QPainterPath, QPixmap
from PySide6.QtWidgets import QApplication, QMessageBox

from streamimages_desktop.core import paths
from streamimages_desktop.core.cache import MemoryCache
from streamimages_desktop.core.errors import StreamImagesError
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.settings import Settings, SettingsError
from streamimages_desktop.ui.app import sample_library
from streamimages_desktop.ui.gallery.pixmap_cache import PixmapCache
from streamimages_desktop.ui.tasks import TaskRunner
from streamimages_desktop.ui.window.main_window import MainWindow

ORGANISATION = "StreamImages"
APPLICATION = "StreamImages Desktop"
LOCK_FILE = ".streamimages.lock"
SCREENSHOT_SIZE = (1280, 800)
SCREENSHOT_TIMEOUT_MS = 10_000
SAMPLE_OFFERED_KEY = "first_run/sample_offered_libraries"


def user_settings() -> QSettings:
    """The window's remembered state (an INI file; tests move it with QSettings.setPath)."""
    return QSettings(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANISATION, APPLICATION
    )


def app_icon() -> QIcon:
    """A purple-to-teal tile with a picture glyph and a red live dot, drawn with QPainter."""
    pixmap = QPixmap(256, 256)
    pixmap.fill(Qt.GlobalColor.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    gradient = QLinearGradient(0, 0, 256, 256)
    gradient.setColorAt(0, QColor("#7c4dff"))
    gradient.setColorAt(1, QColor("#00bfa5"))
    p.setBrush(gradient)
    p.setPen(Qt.PenStyle.NoPen)
    p.drawRoundedRect(QRectF(8, 8, 240, 240), 52, 52)
    p.setBrush(QColor(255, 255, 255, 235))
    p.drawRoundedRect(QRectF(48, 64, 160, 128), 18, 18)
    hills = QPainterPath(QPointF(60, 180))
    for x, y in ((100, 122), (130, 152), (160, 110), (196, 180)):
        hills.lineTo(x, y)
    hills.closeSubpath()
    p.setBrush(QColor("#5e35b1"))
    p.drawPath(hills)
    p.setBrush(QColor("#ffca28"))
    p.drawEllipse(QPointF(88, 98), 14, 14)
    p.setBrush(QColor("#e53935"))
    p.drawEllipse(QPointF(196, 60), 26, 26)
    p.end()
    return QIcon(pixmap)


def _reporter(to_stderr: bool) -> Callable[[str, str], None]:
    """One line on stderr (--screenshot, no one to click) or a message box; never a traceback."""

    def report(title: str, text: str) -> None:
        if to_stderr:
            print(f"streamimages: {text}", file=sys.stderr, flush=True)
        else:
            QMessageBox.critical(None, title, text)

    return report


def _quiet_offscreen(mode: QtMsgType, _context: QMessageLogContext, message: str) -> None:
    """--screenshot's platform has no window system; its "does not support" notes are noise."""
    if message.startswith("This plugin does not support"):
        return
    if mode != QtMsgType.QtDebugMsg:
        print(f"streamimages: {message}", file=sys.stderr, flush=True)


def run_gui(settings: Settings, args: Any) -> int:
    """Run the application for `settings`; args.stream, args.role, args.screenshot. Exit status."""
    screenshot: Path | None = getattr(args, "screenshot", None)
    if screenshot is not None and QApplication.instance() is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        qInstallMessageHandler(_quiet_offscreen)
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "streamimages"])
    assert isinstance(app, QApplication)
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("StreamImages")
    app.setWindowIcon(app_icon())
    report = _reporter(screenshot is not None)
    library = settings.stream_images_dir
    try:
        paths.ensure_private_dir(library)
    except OSError as exc:
        report("Cannot open the library", f"cannot create the library folder {library}: {exc}")
        return 1
    lock = QLockFile(str(library / LOCK_FILE))
    lock.setStaleLockTime(0)  # a crashed instance's lock is still detected by its dead pid
    if not lock.tryLock(200):
        report(
            "StreamImages is already running",
            f"StreamImages is already running with the library {library}. "
            "Switch to that window, or start with another --library.",
        )
        return 1
    try:
        try:
            # Orphan collection runs on a worker once the window is up (see _housekeep).
            manager = StreamImageManager(settings, housekeeping_at_start=False)
        except (StreamImagesError, SettingsError) as exc:
            report("Cannot open the library", f"cannot open the library {library}: {exc}")
            return 1
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
    memory: MemoryCache[QPixmap] = MemoryCache(
        settings.memory_limit_bytes,
        settings.ttl_seconds,
        size_of=lambda p: p.width() * p.height() * 4,
    )
    qsettings = user_settings()
    window = MainWindow(
        manager,
        PixmapCache(memory),
        settings,
        qsettings=qsettings,
        role=getattr(args, "role", None),
        stream=getattr(args, "stream", None),
        remember=screenshot is None,
    )
    runner = TaskRunner(max_threads=1, parent=window)
    try:
        if screenshot is None:
            window.show()
            if first_run_of(qsettings, settings.stream_images_dir):
                offer_sample(window, manager, runner, ask=True)
            _housekeep(manager, runner)
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
        window.close()
        window.deleteLater()


def _housekeep(manager: StreamImageManager, runner: TaskRunner) -> None:
    """Collect what crashes left (at most once an hour) on a worker, after anything queued."""

    def collect() -> object:
        return manager.collect_orphans(wait=None) if manager.needs_housekeeping() else None

    runner.submit(collect, lambda _report: None, priority=-1)


def first_run_of(qsettings: QSettings, library: Path) -> bool:
    """True the first time the window opens `library`; remembered per library, so a new
    (empty) library made with --library is offered the sample too, but never twice."""
    stored = qsettings.value(SAMPLE_OFFERED_KEY, []) or []
    offered = [stored] if isinstance(stored, str) else [str(p) for p in stored]  # INI: 1 = str
    if str(library) in offered:
        return False
    qsettings.setValue(SAMPLE_OFFERED_KEY, [*offered, str(library)])
    return True


def offer_sample(
    window: MainWindow,
    manager: StreamImageManager,
    runner: TaskRunner,
    *,
    ask: bool,
    on_finished: Callable[[bool], None] | None = None,
) -> None:
    """If the library is empty, create the "sample" stream (asking first unless `ask` is False)."""
    done = on_finished or (lambda _created: None)

    def on_checked(empty: bool) -> None:
        if not empty:
            done(False)
            return
        if ask:
            answer = QMessageBox.question(
                window,
                "Welcome to StreamImages",
                'Your library is empty. Create a stream called "sample" with a few images '
                "so you can try the gallery, the roles and the cache right away?",
            )
            if answer != QMessageBox.StandardButton.Yes:
                done(False)
                return
        runner.submit(lambda: sample_library.create_sample(manager), on_created, on_failed)

    def on_created(count: int) -> None:
        window.status.flash(f"Created the sample stream with {count} images")
        window.select_stream(sample_library.SAMPLE_STREAM)
        window.refresh_all()
        done(True)

    def on_failed(exc: Exception) -> None:
        window.status.flash(f"Could not create the sample stream: {exc}")
        done(False)

    runner.submit(
        lambda: sample_library.library_is_empty(manager) and bool(sample_library.sample_paths()),
        on_checked,
        on_failed,
    )


class Screenshot(QObject):
    """Save the real window as a PNG once its visible thumbnails loaded (or after a timeout).

    Attributes:
        path: where the PNG goes.
    """

    def __init__(self, window: MainWindow, path: Path) -> None:
        super().__init__(window)
        self._window = window
        self.path = path
        self._loop = QEventLoop(self)
        self._status = 1
        self._sample_pending = True  # until the first-run check has answered
        self._armed = False
        self._done = False
        self._timeout = QTimer(self, singleShot=True, interval=SCREENSHOT_TIMEOUT_MS)
        self._timeout.timeout.connect(self._capture)
        window.stream_browser.streams_loaded.connect(self._on_streams_loaded)
        window.gallery.thumbnails_idle.connect(self._on_thumbnails_idle)

    def run(self) -> int:
        self._timeout.start()
        self._loop.exec()
        return self._status

    def on_sample_finished(self, _created: bool) -> None:
        self._sample_pending = False
        self._window.refresh_all()  # its streams_loaded arms the capture

    def _on_streams_loaded(self, _summaries: list[object]) -> None:
        if self._sample_pending or self._armed:
            return
        self._armed = True
        # After the stream selection this answer caused: one more query, then wait for idle.
        QTimer.singleShot(0, self._window.gallery.refresh)

    def _on_thumbnails_idle(self) -> None:
        if self._armed and not self._window.gallery.loading:
            QTimer.singleShot(50, self._capture)  # let the last dataChanged repaint land

    def _capture(self) -> None:
        if self._done:
            return
        self._done = True
        self._timeout.stop()
        try:
            image = self._window.grab().toImage()
            saved = bool(image.save(str(self.path), "PNG"))  # type: ignore[call-overload]
        except Exception:  # the loop must end whatever happens; one line, no traceback
            saved = False
        self._status = 0 if saved else 1
        if not saved:
            print(f"streamimages: cannot write the screenshot {self.path}", file=sys.stderr)
        self._loop.exit(self._status)
