"""A second `streamimages gui` on a library hands its --stream/--role to the running window."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QLockFile, QObject
from pytestqt.qtbot import QtBot

from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER, Role
from streamimages_desktop.ui.app.main import bring_forward
from streamimages_desktop.ui.app.single_instance import LOCK_FILE, InstanceServer, hand_over
from tests.ui import window_fixtures
from tests.ui.window_fixtures import WindowFactory

make_window = window_fixtures.make_window
qsettings = window_fixtures.qsettings

pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard|activating)"
)


def second_instance(library: Path, cache: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "STREAMIMAGES_CONFIG": os.devnull}
    return subprocess.Popen(
        [sys.executable, "-m", "streamimages_desktop", "--library", str(library),
         "--cache-dir", str(cache), "gui", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )  # fmt: skip


def test_a_second_process_hands_over_its_arguments_and_exits(tmp_path: Path, qtbot: QtBot) -> None:
    library = tmp_path / "library"
    library.mkdir(mode=0o700)
    lock = QLockFile(str(library / LOCK_FILE))
    assert lock.tryLock(0)  # this test is the running instance
    holder = QObject()  # the window owns the server in the app
    server = InstanceServer(library, holder)
    assert server.listening
    try:
        with qtbot.waitSignal(server.requested, timeout=30_000) as got:
            proc = second_instance(
                library, tmp_path / "cache", "--role", "viewer", "--stream", "raid"
            )
        out, err = proc.communicate(timeout=30)
        qtbot.waitUntil(lambda: proc.poll() is not None, timeout=30_000)
    finally:
        server.close()
        lock.unlock()
    holder.deleteLater()
    qtbot.wait(20)
    assert got.args[0] == {"stream": "raid", "role": "viewer"}
    assert proc.returncode == 0, err
    assert "brought to the front" in out
    assert "Traceback" not in err


def test_without_a_running_window_nothing_is_handed_over(tmp_path: Path) -> None:
    assert hand_over(tmp_path, {"stream": None, "role": None}) is False


def test_the_running_window_shows_the_role_and_stream_asked_for(
    make_window: WindowFactory, manager: StreamImageManager, qtbot: QtBot
) -> None:
    manager.create_stream(OWNER, "raid", "Raid")
    window = make_window()
    window.showMinimized()
    bring_forward(window, {"role": "viewer", "stream": "raid"})
    qtbot.waitUntil(lambda: window.stream_id == "raid")
    assert window.viewer.role is Role.VIEWER
    assert not window.isMinimized() and window.isVisible()
    bring_forward(window, {"role": "nonsense", "stream": None})  # from a socket: checked
    assert window.viewer.role is Role.VIEWER
