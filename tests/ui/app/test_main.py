"""run_gui: one instance per library, clear errors instead of tracebacks, the first-run sample."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QLockFile, QSettings
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from streamimages_desktop.core.manager import LIBRARY_FILE, StreamImageManager
from streamimages_desktop.core.models import OWNER, Role, Visibility
from streamimages_desktop.core.settings import Settings
from streamimages_desktop.ui import failures
from streamimages_desktop.ui.app import main as app_module
from streamimages_desktop.ui.app.main import (
    LOCK_FILE,
    app_icon,
    first_run_of,
    offer_sample,
    run_gui,
)
from streamimages_desktop.ui.app.sample_library import SAMPLE_STREAM, SAMPLES, sample_paths
from streamimages_desktop.ui.tasks import TaskRunner
from tests.ui import window_fixtures
from tests.ui.window_fixtures import WindowFactory

# Fixtures shared by the window tests.
make_window = window_fixtures.make_window
qsettings = window_fixtures.qsettings
window = window_fixtures.window

pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"
)


def gui_args(screenshot: Path | None = None, role: str | None = None) -> argparse.Namespace:
    return argparse.Namespace(stream=None, role=role, screenshot=screenshot)


@pytest.fixture(autouse=True)
def _app_settings_in_tmp(tmp_path: Path) -> Iterator[None]:
    """run_gui's QSettings and the application names it sets stay inside this test."""
    names = QCoreApplication.organizationName(), QCoreApplication.applicationName()
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qs"))
    yield
    QCoreApplication.setOrganizationName(names[0])
    QCoreApplication.setApplicationName(names[1])


def test_second_instance_is_refused_on_stderr(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.stream_images_dir.mkdir(parents=True)
    first = QLockFile(str(settings.stream_images_dir / LOCK_FILE))
    assert first.tryLock(0)
    try:
        status = run_gui(settings, gui_args(screenshot=tmp_path / "shot.png"))
    finally:
        first.unlock()
    err = capsys.readouterr().err
    assert status == 1
    assert err.count("\n") == 1 and "already running" in err
    assert str(settings.stream_images_dir) in err
    assert "Traceback" not in err
    assert not (tmp_path / "shot.png").exists()


def test_second_instance_is_refused_with_a_message_box(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(
        QMessageBox, "critical", staticmethod(lambda _p, title, text: shown.append((title, text)))
    )
    settings.stream_images_dir.mkdir(parents=True)
    first = QLockFile(str(settings.stream_images_dir / LOCK_FILE))
    assert first.tryLock(0)
    try:
        assert run_gui(settings, gui_args()) == 1
    finally:
        first.unlock()
    [(title, text)] = shown
    assert title == "StreamImages is already running"
    assert "Switch to that window" in text


def test_a_damaged_library_is_one_clear_line(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.stream_images_dir.mkdir(parents=True)
    (settings.stream_images_dir / LIBRARY_FILE).write_bytes(b"this is not sqlite" * 100)
    assert run_gui(settings, gui_args(screenshot=tmp_path / "shot.png")) == 1
    err = capsys.readouterr().err
    assert err.startswith("streamimages: cannot open the library")
    assert err.count("\n") == 1 and "Traceback" not in err
    # The lock was released: a later start is not told another instance runs.
    lock = QLockFile(str(settings.stream_images_dir / LOCK_FILE))
    assert lock.tryLock(0)
    lock.unlock()


def test_screenshot_of_a_first_run_creates_the_sample(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shot = tmp_path / "shots" / "window.png"
    shot.parent.mkdir()
    assert run_gui(settings, gui_args(screenshot=shot, role="owner")) == 0
    image = QImage(str(shot))
    assert (image.width(), image.height()) == (1280, 800)
    assert QCoreApplication.organizationName() == app_module.ORGANISATION
    with StreamImageManager(settings) as manager:
        [summary] = manager.streams(OWNER)
        assert summary.stream.id == SAMPLE_STREAM
        assert summary.visible_images == len(SAMPLES)
        titles = {i.title: i.visibility for i in manager.images(OWNER, SAMPLE_STREAM)}
    assert titles["City at night"] is Visibility.PRIVATE
    assert "Traceback" not in capsys.readouterr().err


def test_an_unwritable_screenshot_path_is_one_line_and_exit_1(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "no-such-folder" / "shot.png"
    assert run_gui(settings, gui_args(screenshot=target)) == 1
    err = capsys.readouterr().err
    assert f"cannot write the screenshot {target}" in err
    assert "Traceback" not in err


def test_sample_files_exist_and_are_small() -> None:
    paths = sample_paths()
    assert len(paths) == len(SAMPLES) >= 6
    assert all(p.stat().st_size < 60 * 1024 for p in paths)


@pytest.mark.parametrize("answer", [QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No])
def test_first_run_asks_before_creating_the_sample(
    make_window: WindowFactory,
    manager: StreamImageManager,
    monkeypatch: pytest.MonkeyPatch,
    qtbot: QtBot,
    answer: QMessageBox.StandardButton,
) -> None:
    asked: list[str] = []

    def question(_parent: object, _title: str, text: str) -> QMessageBox.StandardButton:
        asked.append(text)
        return answer

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    window = make_window(role=Role.OWNER)
    runner = TaskRunner(parent=window)
    with qtbot.waitCallback(timeout=10_000) as finished:
        offer_sample(window, manager, runner, ask=True, on_finished=finished)
    assert len(asked) == 1 and "sample" in asked[0]
    created = answer == QMessageBox.StandardButton.Yes
    assert finished.args == [created]
    assert [s.stream.id for s in manager.streams(OWNER)] == ([SAMPLE_STREAM] if created else [])
    if created:
        qtbot.waitUntil(lambda: window.stream_id == SAMPLE_STREAM)
        qtbot.waitUntil(lambda: window.gallery.model.rowCount() == len(SAMPLES))


def test_no_sample_offer_when_the_library_has_streams(
    make_window: WindowFactory,
    manager: StreamImageManager,
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    manager.create_stream(OWNER, "mine")
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *_a: pytest.fail("asked")))
    window = make_window()
    with qtbot.waitCallback(timeout=10_000) as finished:
        offer_sample(window, manager, TaskRunner(parent=window), ask=True, on_finished=finished)
    assert finished.args == [False]
    assert [s.stream.id for s in manager.streams(OWNER)] == ["mine"]


def test_app_icon_is_drawn(qapp: QApplication) -> None:
    icon = app_icon()
    assert not icon.isNull()
    image = icon.pixmap(64, 64).toImage()
    assert image.pixelColor(32, 32).alpha() == 255
    assert image.pixelColor(0, 0).alpha() == 0  # rounded corner


def test_the_sample_is_offered_once_per_library(tmp_path: Path) -> None:
    from PySide6.QtCore import QSettings

    ini = str(tmp_path / "window.ini")
    first, second = tmp_path / "lib-a", tmp_path / "lib-b"
    assert first_run_of(QSettings(ini, QSettings.Format.IniFormat), first) is True
    # A new QSettings on the same file: what was remembered survives a restart.
    assert first_run_of(QSettings(ini, QSettings.Format.IniFormat), first) is False
    assert first_run_of(QSettings(ini, QSettings.Format.IniFormat), second) is True
    assert first_run_of(QSettings(ini, QSettings.Format.IniFormat), first) is False
    assert first_run_of(QSettings(ini, QSettings.Format.IniFormat), second) is False


def test_the_running_window_installs_the_failure_handler(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the window runs, bugs (also those escaping Qt slots) go to the handler and its log
    in STREAMIMAGES_LOG_DIR; afterwards the previous hook is back."""
    seen: list[object] = []
    original = app_module.Screenshot.run

    def run(self: app_module.Screenshot) -> int:
        handler = failures.current()
        assert handler is not None
        seen.extend([sys.excepthook == handler._excepthook, handler.log_path])
        return original(self)

    monkeypatch.setenv(failures.LOG_DIR_ENV, str(tmp_path / "logs"))
    monkeypatch.setattr(app_module.Screenshot, "run", run)
    hook = sys.excepthook
    shot = tmp_path / "window.png"
    assert run_gui(settings, gui_args(screenshot=shot)) == 0
    assert seen == [True, tmp_path / "logs" / failures.LOG_FILE]
    assert sys.excepthook is hook and failures.current() is None
