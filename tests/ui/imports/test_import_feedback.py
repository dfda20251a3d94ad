"""While an import runs: tiles appear, duplicates name their original, reasons in plain words."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from streamimages_desktop.core.importer import ImportResult, ImportStatus
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER
from tests.images import write_image
from tests.ui import window_fixtures
from tests.ui.window_fixtures import WindowFactory

make_window = window_fixtures.make_window
qsettings = window_fixtures.qsettings

pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"
)


@pytest.fixture(autouse=True)
def a_stream(manager: StreamImageManager) -> None:
    manager.create_stream(OWNER, "raid", "Raid Night")


def test_tiles_appear_while_the_batch_still_runs(
    make_window: WindowFactory,
    manager: StreamImageManager,
    tmp_path: Path,
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = make_window()
    files = [write_image(tmp_path / f"p{n}.png", "PNG", size=(30, 20), seed=n) for n in range(4)]
    release = threading.Event()
    real = manager.import_paths

    def held_after_two(*args: Any, progress: Any, **kwargs: Any) -> list[ImportResult]:
        def gated(done: int, total: int, result: ImportResult) -> None:
            progress(done, total, result)
            if done == 2:
                assert release.wait(20), "the grid never showed the first images"

        return real(*args, progress=gated, **kwargs)

    monkeypatch.setattr(manager, "import_paths", held_after_two)
    assert window.upload_pane.import_paths(files)
    # Files commit in groups, so the first report may come with more rows than two.
    qtbot.waitUntil(lambda: window.gallery.model.rowCount() >= 2, timeout=10_000)
    assert window.upload_pane.busy  # the batch has not finished: the grid filled meanwhile
    release.set()
    qtbot.waitUntil(lambda: window.gallery.model.rowCount() == 4, timeout=10_000)


def test_duplicates_name_the_original_and_reasons_are_plain(
    make_window: WindowFactory, manager: StreamImageManager, tmp_path: Path, qtbot: QtBot
) -> None:
    original = write_image(tmp_path / "first.png", "PNG", size=(30, 20), seed=1)
    manager.import_paths(OWNER, "raid", [original])
    copy = tmp_path / "copy.png"
    copy.write_bytes(original.read_bytes())
    text = tmp_path / "notes.png"
    text.write_text("not a picture at all, only words " * 10)
    window = make_window()
    pane = window.upload_pane
    with qtbot.waitSignal(pane.batch_finished, timeout=10_000) as finished:
        assert pane.import_paths([copy, text])
    by_status = {r.status: r for r in finished.args[0]}
    duplicate, rejected = by_status[ImportStatus.DUPLICATE], by_status[ImportStatus.REJECTED]
    assert duplicate.reason == "the same picture as “first” in “Raid Night”"
    assert rejected.reason == "not an image file we can read"
    assert pane.results.count() == 2  # each file once
    lines = [pane.results.item(i).text() for i in range(2)]
    assert any("duplicate: the same picture as “first” in “Raid Night”" in t for t in lines)
    assert not any("Pillow" in t for t in lines)
    policy = pane.results.horizontalScrollBarPolicy()
    assert policy == Qt.ScrollBarPolicy.ScrollBarAlwaysOff and pane.results.wordWrap()
    pane.results.resize(220, 300)
    window.upload_dock.grab().save(str(tmp_path / "results.png"))
