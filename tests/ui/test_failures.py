"""The window's one failure handler: a line for the user's and the environment's errors; a bug
is logged with its traceback and shown as an internal error naming the log."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from streamimages_desktop.core.errors import EnvironmentProblem, NotFound, ProblemKind
from streamimages_desktop.core.labels import sentence
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER
from streamimages_desktop.ui import failures
from streamimages_desktop.ui.failures import INTERNAL_LINE, FailureHandler
from streamimages_desktop.ui.tasks import TaskRunner
from tests.ui import window_fixtures
from tests.ui.conftest import tiny_png
from tests.ui.window_fixtures import WindowFactory

make_window = window_fixtures.make_window
qsettings = window_fixtures.qsettings

pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"
)

Install = Callable[[QWidget | None], FailureHandler]


@pytest.fixture
def install(tmp_path: Path) -> Iterator[Install]:
    """Install FailureHandlers logging under tmp_path/logs; uninstalled (hook restored) after."""
    made: list[FailureHandler] = []

    def make(window: QWidget | None = None) -> FailureHandler:
        handler = FailureHandler(log_dir=tmp_path / "logs", window=window)
        handler.install()
        made.append(handler)
        return handler

    hook = sys.excepthook
    yield make
    for handler in reversed(made):
        handler.uninstall()
        if handler.dialog is not None:
            handler.dialog.close()
    assert sys.excepthook is hook
    assert failures.current() is None


def broken_import(*_args: object, **_kwargs: object) -> object:
    raise ZeroDivisionError("a deliberate bug in import_paths")


def message_boxes() -> list[QMessageBox]:
    return [
        w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()
    ]


def test_a_bug_in_the_import_worker_is_an_internal_error_in_the_log(
    make_window: WindowFactory,
    install: Install,
    manager: StreamImageManager,
    image_dir: Path,
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    manager.create_stream(OWNER, "s1")  # the upload pane imports into an existing stream
    window = make_window()
    handler = install(window)
    monkeypatch.setattr(manager, "import_paths", broken_import)
    with qtbot.waitSignal(handler.bug_reported, timeout=10_000) as reported:
        assert window.upload_pane.import_paths([tiny_png(image_dir / "a.png", 1)])
    qtbot.waitUntil(lambda: not window.upload_pane.busy)
    assert window.upload_pane.summary.text() == f"Import stopped: {INTERNAL_LINE}"

    dialog = handler.dialog
    assert dialog is not None and dialog.isVisible() and dialog.isModal()
    assert handler.log_path == tmp_path / "logs" / "streamimages.log"
    assert str(handler.log_path) in dialog.text()
    logged = handler.log_path.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in logged
    assert "in broken_import" in logged  # the worker thread's frame, not only the message
    assert "ZeroDivisionError: a deliberate bug in import_paths" in logged
    assert message_boxes() == []  # no second, one-line box for a bug

    dialog.copy_button.click()
    assert QGuiApplication.clipboard().text() == reported.args[0]
    assert "ZeroDivisionError" in reported.args[0]
    dialog.grab().save(str(tmp_path / "internal-error.png"))


def test_a_user_error_shows_its_line_and_logs_nothing(
    make_window: WindowFactory, install: Install, manager: StreamImageManager, qtbot: QtBot
) -> None:
    manager.create_stream(OWNER, "live", "Live")
    window = make_window()
    handler = install(window)
    with qtbot.waitSignal(window.stream_browser.message, timeout=5000) as said:
        window.stream_browser._create("live", None)  # the id is taken: StreamExists
    line = said.args[0]
    assert "live" in line and line != INTERNAL_LINE
    boxes = message_boxes()
    assert [box.text() for box in boxes] == [sentence(line)]  # a box opens a sentence
    for box in boxes:
        box.close()
    assert handler.dialog is None
    assert not handler.log_path.exists() or handler.log_path.read_text() == ""


def test_an_exception_escaping_a_qt_slot_reaches_the_handler(
    install: Install, qtbot: QtBot
) -> None:
    handler = install(None)

    def slot() -> None:
        raise KeyError("a deliberate bug in a slot")

    with qtbot.waitSignal(handler.bug_reported, timeout=5000):
        QTimer.singleShot(0, slot)
    assert "KeyError: 'a deliberate bug in a slot'" in handler.log_path.read_text()
    assert handler.dialog is not None and handler.dialog.isVisible()


def test_task_runner_without_on_error_routes_by_family(
    install: Install, qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    handler = install(None)
    runner = TaskRunner()

    def environment() -> None:
        raise EnvironmentProblem("the library /x is busy", ProblemKind.BUSY)

    with caplog.at_level(logging.WARNING):
        runner.submit(environment, lambda _r: None)
        qtbot.waitUntil(lambda: not runner.busy)
    assert handler.dialog is None
    assert "background task failed: the library /x is busy" in caplog.text
    with qtbot.waitSignal(handler.bug_reported, timeout=5000):
        runner.submit(lambda: 1 // 0, lambda _r: None)
    assert "ZeroDivisionError" in handler.log_path.read_text()


@pytest.mark.parametrize(
    ("exc", "line"),
    [
        (NotFound("no image x"), "no image x"),
        (EnvironmentProblem("the disk is full", ProblemKind.FULL), "the disk is full"),
        (FileNotFoundError(2, "No such file", "/gone"), "no such file or folder: /gone"),
        (ValueError("a bug"), None),
        (AttributeError("a bug"), None),
    ],
)
def test_user_line_by_family(exc: BaseException, line: str | None) -> None:
    assert failures.user_line(exc) == line


def test_without_a_handler_a_bug_is_logged_with_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    try:
        raise RuntimeError("a deliberate bug")
    except RuntimeError as exc:
        error = exc
    shown: list[str] = []
    assert failures.handle(error, shown.append) == INTERNAL_LINE
    assert shown == []
    assert caplog.records[-1].exc_info is not None
    assert failures.handle(NotFound("no image x"), shown.append) == "no image x"
    assert shown == ["no image x"]
