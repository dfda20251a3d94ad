"""Opening the library on a worker: the GUI thread stays live, a slow opening says so and can be
cancelled, a failed one is one clear line, a local library opens as before."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QLockFile, Qt, QTimer
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox, QProgressDialog, QPushButton
from pytestqt.qtbot import QtBot

from streamimages_desktop.core.errors import EnvironmentProblem
from streamimages_desktop.core.library_location import machine_folder
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER
from streamimages_desktop.core.settings import Settings
from streamimages_desktop.ui.app import opening as opening_module
from streamimages_desktop.ui.app.main import run_gui
from streamimages_desktop.ui.app.opening import SHOW_AFTER_MS, LibraryOpening
from streamimages_desktop.ui.app.single_instance import LOCK_FILE, lock_library
from streamimages_desktop.ui.window.main_window import MainWindow
from tests.backends import team_settings
from tests.ui.app.helpers import gui_args

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support")


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A localhost port whose server takes connections and never answers: PostgreSQL's client
    waits its whole connect timeout, as for a server behind a firewall that drops packets."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield int(server.getsockname()[1])


def unanswering_team(settings: Settings, port: int) -> Settings:
    return settings._replace(
        stream_images_database_url=f"postgresql://member:secret@127.0.0.1:{port}/team",
        stream_images_blob_url="s3://team-bucket/library",
        stream_images_blob_endpoint="http://127.0.0.1:9",
    )


class Watcher:
    """A QTimer firing every 20 ms on the GUI thread, noting what the opening window shows.

    Attributes:
        ticks: how often it fired while the opening window was visible.
        labels: the opening window's words, each time it was seen.
    """

    def __init__(self, on_seen: Callable[[QProgressDialog], None] | None = None) -> None:
        self.ticks = 0
        self.labels: list[str] = []
        self._on_seen = on_seen
        self.timer = QTimer(interval=20)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QProgressDialog) and widget.isVisible():
                self.ticks += 1
                self.labels.append(widget.labelText())
                if self._on_seen is not None:
                    self._on_seen(widget)


@pytest.fixture
def watch(qtbot: QtBot) -> Iterator[Callable[..., Watcher]]:
    """Make Watchers; each stops with its test, even one that failed (no timer outlives it)."""
    made: list[Watcher] = []

    def make(on_seen: Callable[[QProgressDialog], None] | None = None) -> Watcher:
        made.append(Watcher(on_seen))
        return made[-1]

    yield make
    for watcher in made:
        watcher.timer.stop()


def press_cancel(dialog: QProgressDialog) -> None:
    [button] = [b for b in dialog.findChildren(QPushButton) if b.text() == "Cancel"]
    button.click()


def test_an_unanswering_team_server_shows_the_opening_window_then_one_clear_line(
    watch: Callable[..., Watcher],
    settings: Settings,
    silent_port: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(
        QMessageBox, "critical", staticmethod(lambda _p, title, text: shown.append((title, text)))
    )
    watcher = watch()
    assert run_gui(unanswering_team(settings, silent_port), gui_args()) == 1
    watcher.timer.stop()
    # The GUI thread ran the whole time it waited (a blocked one never shows the window and
    # never fires a timer; 20 ms ticks over the connect timeout are far more than 20).
    assert watcher.ticks > 20
    assert set(watcher.labels) == {f"Opening team library member@127.0.0.1:{silent_port}/team…"}
    [(title, text)] = shown
    assert title == "Cannot open the library"
    assert text.startswith("cannot open the library: the team library")
    assert "did not answer" in text and "\n" not in text
    assert "secret" not in text and "Traceback" not in text


def press_escape(dialog: QProgressDialog) -> None:
    QTest.keyClick(dialog, Qt.Key.Key_Escape)


@pytest.mark.parametrize("cancel", [press_cancel, press_escape], ids=["button", "escape"])
def test_cancel_in_the_opening_window_quits_cleanly(
    watch: Callable[..., Watcher],
    settings: Settings,
    silent_port: int,
    monkeypatch: pytest.MonkeyPatch,
    cancel: Callable[[QProgressDialog], None],
) -> None:
    shown: list[object] = []
    monkeypatch.setattr(QMessageBox, "critical", staticmethod(lambda *a: shown.append(a)))
    watcher = watch(cancel)
    team = unanswering_team(settings, silent_port)
    assert run_gui(team, gui_args()) == 0
    watcher.timer.stop()
    assert watcher.ticks == 1 and shown == []  # gone at the first click; no error afterwards
    assert not [w for w in QApplication.topLevelWidgets() if w.isVisible()]
    lock = QLockFile(str(team.stream_images_dir / LOCK_FILE))
    assert lock.tryLock(0)  # a later start is not told another instance runs
    lock.unlock()


def test_a_local_library_opens_on_the_worker_without_a_flash(
    qtbot: QtBot, settings: Settings
) -> None:
    threads: list[threading.Thread] = []

    def opener(s: Settings) -> StreamImageManager:
        threads.append(threading.current_thread())
        return StreamImageManager(s, housekeeping_at_start=False)

    opening = LibraryOpening(settings, opener=opener)
    started = time.monotonic()
    manager = opening.run()
    took_ms = (time.monotonic() - started) * 1000
    assert manager is not None
    with manager:
        assert manager.streams(OWNER) == []
    assert threads and threads[0] is not threading.main_thread()
    if took_ms < SHOW_AFTER_MS:  # the usual case: no "Opening …" window at all
        assert not opening.shown


def test_the_worker_opens_the_rendition_cache_too(settings: Settings) -> None:
    """Else the window's first cache figure or warning would open its index on the GUI
    thread (the manager opens it on first use)."""
    manager = opening_module.open_manager(settings)
    with manager:
        assert "_disk_cache" in manager.__dict__
        assert manager.cache_warning is None


def test_a_slow_opening_shows_its_window_then_the_main_window_runs(
    qtbot: QtBot, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The interactive path: the opening window goes, the main window comes and runs."""

    def slow_manager(s: Settings, *, housekeeping_at_start: bool) -> StreamImageManager:
        time.sleep(0.8)  # a far server, say
        return StreamImageManager(s, housekeeping_at_start=housekeeping_at_start)

    monkeypatch.setattr(opening_module, "StreamImageManager", slow_manager)
    monkeypatch.setattr(
        QMessageBox, "question", staticmethod(lambda *_a: QMessageBox.StandardButton.No)
    )
    seen: list[tuple[bool, bool]] = []  # (opening window visible, main window visible)

    def look() -> None:
        windows = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
        main = [w for w in windows if isinstance(w, MainWindow)]
        seen.append((any(isinstance(w, QProgressDialog) for w in windows), bool(main)))
        for window in windows if main else []:  # the event loop runs: quit like a user
            QTimer.singleShot(200, window.close)

    timer = QTimer(interval=20)
    timer.timeout.connect(look)
    timer.start()
    try:
        assert run_gui(settings, gui_args()) == 0
    finally:
        timer.stop()
    assert (True, False) in seen and (False, True) in seen
    assert (True, True) not in seen  # the opening window is gone before the main one shows


def test_a_team_library_opens_through_the_worker_into_the_window(
    qtbot: QtBot, settings: Settings, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """The real servers: the manager made on the worker serves the window on the GUI thread."""
    shot = tmp_path / "team.png"
    assert run_gui(team_settings(settings, request), gui_args(screenshot=shot)) == 0
    assert QImage(str(shot)).size().toTuple() == (1280, 800)


def test_a_manager_that_arrives_after_cancel_is_closed(
    qtbot: QtBot, watch: Callable[..., Watcher], settings: Settings
) -> None:
    release = threading.Event()
    made: list[StreamImageManager] = []

    def slow_opener(s: Settings) -> StreamImageManager:
        release.wait(10)
        made.append(StreamImageManager(s, housekeeping_at_start=False))
        return made[0]

    opening = LibraryOpening(settings, opener=slow_opener, show_after_ms=0)
    watcher = watch(press_cancel)
    assert opening.run() is None
    watcher.timer.stop()
    assert opening.shown
    release.set()
    qtbot.waitUntil(lambda: bool(made), timeout=5_000)
    assert opening._runner.wait(5_000)
    with pytest.raises(EnvironmentProblem, match="closed"):
        made[0].streams(OWNER)


def test_a_team_window_runs_beside_a_local_window_and_excludes_a_second_on_the_team(
    qtbot: QtBot, settings: Settings, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """The single-instance lock is per library: the local library's folder, or this machine's
    folder for the team library."""
    team = team_settings(settings, request)
    assert machine_folder(team) != machine_folder(settings)
    assert machine_folder(team).parent == settings.stream_images_dir / "teams"
    settings.stream_images_dir.mkdir(parents=True, exist_ok=True)
    local_window = lock_library(settings.stream_images_dir, wait_ms=0)  # a local window runs
    assert local_window is not None
    try:
        assert run_gui(team, gui_args(screenshot=tmp_path / "team.png")) == 0
        team_window = lock_library(machine_folder(team), wait_ms=0)
        assert team_window is not None
        try:
            assert run_gui(team, gui_args(screenshot=tmp_path / "second.png")) == 1
        finally:
            team_window.unlock()
    finally:
        local_window.unlock()
    assert not (tmp_path / "second.png").exists()
