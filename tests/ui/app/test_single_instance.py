"""One window per library: a second start is refused in one line, and the lock is freed."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QLockFile
from PySide6.QtWidgets import QMessageBox

from streamimages_desktop.core.settings import Settings
from streamimages_desktop.ui.app.main import run_gui
from streamimages_desktop.ui.app.single_instance import LOCK_FILE, already_running, lock_library
from tests.ui.app.helpers import gui_args

pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"
)


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


def test_the_library_lock_is_held_by_one_holder_at_a_time(tmp_path: Path) -> None:
    first = lock_library(tmp_path)
    assert first is not None and (tmp_path / LOCK_FILE).exists()
    try:
        assert lock_library(tmp_path, wait_ms=0) is None
    finally:
        first.unlock()
    again = lock_library(tmp_path, wait_ms=0)
    assert again is not None
    again.unlock()
    assert already_running(f"local library {tmp_path}").endswith(
        f"with the local library {tmp_path}. Switch to that window, or open another library."
    )
