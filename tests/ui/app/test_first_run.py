"""The first-run offer: asked once per library, only when it is empty."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER, Role
from streamimages_desktop.ui.app.first_run import first_run_of, offer_sample
from streamimages_desktop.ui.app.sample_library import SAMPLE_STREAM, SAMPLES
from streamimages_desktop.ui.tasks import TaskRunner
from tests.ui.window_fixtures import WindowFactory

pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"
)


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


def test_the_sample_is_offered_once_per_library(tmp_path: Path) -> None:

    ini = str(tmp_path / "window.ini")
    first, second = tmp_path / "lib-a", tmp_path / "lib-b"
    assert first_run_of(QSettings(ini, QSettings.Format.IniFormat), first) is True
    # A new QSettings on the same file: what was remembered survives a restart.
    assert first_run_of(QSettings(ini, QSettings.Format.IniFormat), first) is False
    assert first_run_of(QSettings(ini, QSettings.Format.IniFormat), second) is True
    assert first_run_of(QSettings(ini, QSettings.Format.IniFormat), first) is False
    assert first_run_of(QSettings(ini, QSettings.Format.IniFormat), second) is False
