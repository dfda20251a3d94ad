"""run_gui end to end: the application names, a damaged library, a first-run screenshot."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QLockFile
from PySide6.QtGui import QImage

from streamimages_desktop.core.manager import LIBRARY_FILE, StreamImageManager
from streamimages_desktop.core.models import OWNER, Visibility
from streamimages_desktop.core.settings import Settings
from streamimages_desktop.ui import failures
from streamimages_desktop.ui.app import main as app_module
from streamimages_desktop.ui.app.main import run_gui
from streamimages_desktop.ui.app.sample_library import SAMPLE_STREAM, SAMPLES
from streamimages_desktop.ui.app.single_instance import LOCK_FILE
from tests.ui.app.helpers import gui_args

pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"
)


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
