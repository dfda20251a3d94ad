"""Imports through the upload pane, a drop on the window and the clipboard; progress and cancel."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication, QImage
from PySide6.QtWidgets import QApplication, QFileDialog
from pytestqt.qtbot import QtBot

from streamimages_desktop.core.importer import ImportOptions, ImportResult, ImportStatus
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER, Role, Visibility
from streamimages_desktop.core.settings import Settings
from streamimages_desktop.ui.imports.upload_pane import UploadPane
from streamimages_desktop.ui.imports.worker import encode_png
from tests.images import image_bytes, truncated, write_image
from tests.ui import window_fixtures
from tests.ui.conftest import big_settings, tiny_png
from tests.ui.window_fixtures import WindowFactory

# Fixtures shared by the window tests.
make_window = window_fixtures.make_window
qsettings = window_fixtures.qsettings
window = window_fixtures.window

pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"
)


@pytest.fixture(autouse=True)
def my_stream(manager: StreamImageManager) -> str:
    """The library of these tests has one stream, which the upload pane targets."""
    manager.create_stream(OWNER, "my-stream", "My stream")
    return "my-stream"


def choose(window: Any, qtbot: QtBot, stream_id: str) -> None:
    """Make `stream_id` exist, then pick it in the upload pane's stream field."""
    manager = window._manager
    if stream_id not in {s.stream.id for s in manager.streams(OWNER)}:
        manager.create_stream(OWNER, stream_id)
        window.stream_browser.reload()
    combo = window.upload_pane.stream_combo
    qtbot.waitUntil(lambda: combo.findData(stream_id) >= 0)
    combo.setCurrentIndex(combo.findData(stream_id))
    combo.activated.emit(combo.currentIndex())
    assert window.upload_pane.target_stream() == stream_id


def pictures(folder: Path, count: int, first_seed: int = 0) -> list[Path]:
    return [
        write_image(folder / f"pic-{n:03d}.png", "PNG", size=(40, 30), seed=n)
        for n in range(first_seed, first_seed + count)
    ]


def rows(window: Any) -> int:
    return int(window.gallery.model.rowCount())


def drop_event(mime: QMimeData, kind: type = QDropEvent) -> QDropEvent:
    return kind(  # type: ignore[no-any-return]
        QPointF(200, 200) if kind is QDropEvent else QPointF(200, 200).toPoint(),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )


def test_import_files_shows_tiles_results_and_counts(
    make_window: WindowFactory, image_dir: Path, manager: StreamImageManager, qtbot: QtBot
) -> None:
    window = make_window()
    pane = window.upload_pane
    choose(window, qtbot, "event")
    pane.visibility_combo.setCurrentIndex(pane.visibility_combo.findData("subscribers"))
    pane.description_edit.setText("from the meetup")
    files = pictures(image_dir, 3)
    with qtbot.waitSignal(pane.batch_finished, timeout=10_000) as finished:
        assert pane.import_paths(files)
    assert [r.status for r in finished.args[0]] == [ImportStatus.IMPORTED] * 3
    qtbot.waitUntil(lambda: rows(window) == 3)
    assert window.stream_id is None  # "All streams" shows the new images too
    images = manager.images(OWNER, "event")
    assert {i.visibility for i in images} == {Visibility.SUBSCRIBERS}
    assert {i.description for i in images} == {"from the meetup"}
    assert pane.results.count() == 3
    assert pane.results.item(0).text() == "✓  pic-000.png\n     imported"
    assert pane.summary.text() == "3 imported, 0 duplicate, 0 rejected"
    assert pane.progress.value() == 3 and pane.progress.maximum() == 3
    qtbot.waitUntil(lambda: window.stream_browser.count_text("event") == "3")


def test_import_a_folder_reports_duplicates_and_rejections(
    make_window: WindowFactory, image_dir: Path, qtbot: QtBot
) -> None:
    window = make_window()
    pane = window.upload_pane
    folder = image_dir / "night"
    pictures(folder, 2)
    pictures(folder / "nested", 1, first_seed=5)
    (folder / "copy.png").write_bytes((folder / "pic-000.png").read_bytes())
    (folder / "broken.png").write_bytes(truncated(image_bytes("PNG", (64, 64)), 0.4))
    (folder / "notes.txt").write_text("not an image")
    with qtbot.waitSignal(pane.batch_finished, timeout=10_000) as finished:
        pane.import_paths([folder])
    by_status = {s: [r for r in finished.args[0] if r.status is s] for s in ImportStatus}
    assert len(by_status[ImportStatus.IMPORTED]) == 3
    assert len(by_status[ImportStatus.DUPLICATE]) == 1
    assert len(by_status[ImportStatus.REJECTED]) == 2
    texts = [pane.results.item(i).text() for i in range(pane.results.count())]
    assert len(texts) == 6
    assert any(t.startswith("=  ") and "duplicate" in t for t in texts)
    assert any(t.startswith("✗  broken.png\n     rejected: ") for t in texts)
    qtbot.waitUntil(lambda: rows(window) == 3)


def test_add_files_and_add_folder_buttons_import_with_the_batch_defaults(
    make_window: WindowFactory,
    image_dir: Path,
    manager: StreamImageManager,
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = make_window()
    pane = window.upload_pane
    files = pictures(image_dir / "picked", 2)
    folder = image_dir / "folder"
    pictures(folder, 2, first_seed=10)
    monkeypatch.setattr(
        QFileDialog, "getOpenFileNames", lambda *_a, **_k: ([str(f) for f in files], "")
    )
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *_a, **_k: str(folder))
    choose(window, qtbot, "buttons")
    pane.visibility_combo.setCurrentIndex(pane.visibility_combo.findData("private"))
    pane.title_edit.setText("Raid night")
    with qtbot.waitSignal(pane.batch_finished, timeout=10_000) as picked:
        pane.files_button.click()
    assert [r.status for r in picked.args[0]] == [ImportStatus.IMPORTED] * 2
    pane.title_edit.clear()  # no title: each image is named after its file
    with qtbot.waitSignal(pane.batch_finished, timeout=10_000) as walked:
        pane.folder_button.click()
    assert [r.status for r in walked.args[0]] == [ImportStatus.IMPORTED] * 2
    images = manager.images(OWNER, "buttons")
    assert {i.visibility for i in images} == {Visibility.PRIVATE}
    assert sorted(i.title for i in images) == ["Raid night", "Raid night", "pic-010", "pic-011"]
    qtbot.waitUntil(lambda: window.stream_id == "buttons" or rows(window) == 4)
    qtbot.waitUntil(lambda: window.stream_browser.count_text("buttons") == "4")


def test_paste_of_copied_jpeg_bytes_keeps_the_original(
    make_window: WindowFactory, manager: StreamImageManager, qtbot: QtBot
) -> None:
    """An app that copies "image/jpeg" gets its own bytes imported, not a PNG re-encode."""
    window = make_window()
    data = image_bytes("JPEG", (50, 40))
    mime = QMimeData()
    mime.setData("image/jpeg", data)
    QGuiApplication.clipboard().setMimeData(mime)
    with qtbot.waitSignal(window.upload_pane.batch_finished, timeout=10_000) as finished:
        assert window.paste_from_clipboard()
    [result] = finished.args[0]
    assert result.status is ImportStatus.IMPORTED
    stored = manager.image(OWNER, result.image_id)
    assert (stored.format, stored.width, stored.height) == ("JPEG", 50, 40)
    assert stored.original_name == "pasted-image.jpg"
    qtbot.waitUntil(lambda: rows(window) == 1)


def test_paste_of_nothing_importable_says_so(make_window: WindowFactory, qtbot: QtBot) -> None:
    window = make_window()
    mime = QMimeData()
    mime.setText("just words")
    QGuiApplication.clipboard().setMimeData(mime)
    assert window.paste_from_clipboard() is False
    assert window.status.currentMessage() == "The clipboard holds no image or files to import"
    assert not window.upload_pane.busy


def test_drop_urls_on_the_window_imports_them(
    make_window: WindowFactory, image_dir: Path, qtbot: QtBot
) -> None:
    window = make_window()
    files = pictures(image_dir, 2)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(f)) for f in files])
    enter = drop_event(mime, QDragEnterEvent)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    with qtbot.waitSignal(window.upload_pane.batch_finished, timeout=10_000):
        QApplication.sendEvent(window, drop_event(mime))
    qtbot.waitUntil(lambda: rows(window) == 2)


def test_drop_of_image_data_imports_it(
    make_window: WindowFactory, manager: StreamImageManager, qtbot: QtBot
) -> None:
    window = make_window()
    image = QImage(30, 20, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.darkCyan)
    mime = QMimeData()
    mime.setImageData(image)
    enter = drop_event(mime, QDragEnterEvent)
    QApplication.sendEvent(window, enter)  # a drop only reaches the widget that took the enter
    assert enter.isAccepted()
    with qtbot.waitSignal(window.upload_pane.batch_finished, timeout=10_000) as finished:
        QApplication.sendEvent(window, drop_event(mime))
    [result] = finished.args[0]
    assert result.status is ImportStatus.IMPORTED
    assert manager.image(OWNER, result.image_id).original_name == "dropped-image.png"
    qtbot.waitUntil(lambda: rows(window) == 1)


def test_drop_is_refused_for_other_roles(
    make_window: WindowFactory, image_dir: Path, manager: StreamImageManager
) -> None:
    window = make_window(role=Role.VIEWER)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(f)) for f in pictures(image_dir, 1)])
    enter = drop_event(mime, QDragEnterEvent)
    QApplication.sendEvent(window, enter)
    assert not enter.isAccepted()
    QApplication.sendEvent(window, drop_event(mime))
    assert not window.upload_pane.busy
    assert window.upload_pane.import_paths([image_dir]) is False
    assert manager.images(OWNER) == []
    assert "Only the owner" in window.status.currentMessage()


def test_paste_a_clipboard_image(
    make_window: WindowFactory, manager: StreamImageManager, qtbot: QtBot
) -> None:
    window = make_window()
    image = QImage(48, 32, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.darkMagenta)
    QGuiApplication.clipboard().setImage(image)
    with qtbot.waitSignal(window.upload_pane.batch_finished, timeout=10_000) as finished:
        window.paste_action.trigger()
    [result] = finished.args[0]
    assert result.status is ImportStatus.IMPORTED
    qtbot.waitUntil(lambda: rows(window) == 1)
    stored = manager.image(OWNER, result.image_id)
    assert (stored.format, stored.width, stored.height) == ("PNG", 48, 32)
    assert stored.original_name == "pasted-image.png"


def test_encode_png_round_trips() -> None:
    image = QImage(5, 4, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.red)
    data = encode_png(image)
    assert data.startswith(b"\x89PNG")
    assert QImage.fromData(data).size() == image.size()


class GatedManager:
    """The real manager, but import_paths waits after the first file until cancel is set.

    That makes the test deterministic: the GUI must react to the first progress signal by
    setting the cancel event, and only then may the import go on (and stop).
    """

    def __init__(self, real: StreamImageManager) -> None:
        self._real = real

    def import_paths(
        self,
        viewer: Any,
        stream_id: str,
        paths: Sequence[Path],
        options: ImportOptions = ImportOptions(),  # noqa: B008
        progress: Any = None,
        cancel: threading.Event | None = None,
    ) -> list[ImportResult]:
        assert cancel is not None

        def gated(done: int, total: int, result: ImportResult) -> None:
            progress(done, total, result)
            if done == 1:
                assert cancel.wait(10), "the GUI never set the cancel event"

        return self._real.import_paths(viewer, stream_id, paths, options, gated, cancel)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


@pytest.fixture
def roomy_manager(settings: Settings) -> Any:
    with StreamImageManager(big_settings(settings, 1000)) as made:
        yield made


def test_cancel_a_running_import(
    roomy_manager: StreamImageManager, image_dir: Path, qtbot: QtBot
) -> None:
    files = [tiny_png(image_dir / f"many-{n:04d}.png", n) for n in range(120)]
    pane = UploadPane(GatedManager(roomy_manager))  # type: ignore[arg-type]
    qtbot.addWidget(pane)
    pane.set_streams([("big", "Big")], "big")
    pane.progressed.connect(lambda *_: pane.cancel())
    with qtbot.waitSignal(pane.batch_finished, timeout=20_000) as finished:
        pane.import_paths(files)
    results = finished.args[0]
    assert 1 <= len(results) < len(files)
    assert pane.summary.text().startswith("Cancelled: ")
    assert not pane.busy and not pane.cancel_button.isEnabled()
    imported = [r.image_id for r in results if r.status is ImportStatus.IMPORTED]
    # Consistent library: exactly the reported images exist, each with its rendition.
    assert sorted(i.id for i in roomy_manager.images(OWNER, "big")) == sorted(imported)
    for image_id in imported:
        assert roomy_manager.rendition(OWNER, image_id, "thumb").startswith(b"\xff\xd8")


def test_without_a_stream_nothing_is_imported_and_the_last_batch_leaves_the_screen(
    make_window: WindowFactory, manager: StreamImageManager, image_dir: Path, qtbot: QtBot
) -> None:
    window = make_window()
    pane = window.upload_pane
    with qtbot.waitSignal(pane.batch_finished, timeout=10_000):
        assert pane.import_paths(pictures(image_dir, 1))
    assert pane.results.count() == 1 and pane.progress.text() == "1 of 1"
    manager.delete_stream(OWNER, "my-stream")
    window.stream_browser.reload()
    qtbot.waitUntil(lambda: pane.target_stream() == "")
    with qtbot.waitSignal(pane.message) as message:
        assert pane.import_paths(pictures(image_dir, 1, first_seed=5)) is False
    assert message.args[0] == "Cannot import: choose a stream first"  # fits the status bar
    assert "New stream…" in pane.summary.text() and pane.summary.wordWrap()
    assert pane.results.count() == 0 and pane.progress.text() == "No import running"
    assert manager.streams(OWNER) == []


def test_upload_pane_is_owner_only(manager: StreamImageManager, qtbot: QtBot) -> None:
    from streamimages_desktop.core.models import Viewer

    pane = UploadPane(manager)
    qtbot.addWidget(pane)
    pane.show()
    pane.set_viewer(Viewer(Role.SUBSCRIBER))
    assert pane.notice.isVisible() and not pane.files_button.isVisible()
    assert "owner" in pane.notice.text()
    pane.set_viewer(OWNER)
    assert pane.files_button.isVisible()


def test_the_drop_zone_fills_the_empty_pane_then_yields_to_the_results(
    make_window: WindowFactory, image_dir: Path, qtbot: QtBot
) -> None:
    window = make_window()
    pane = window.upload_pane
    qtbot.waitUntil(lambda: pane.drop_zone.height() > pane.height() // 2)
    assert "Drop images or folders here" in pane.drop_zone.text()
    with qtbot.waitSignal(pane.batch_finished, timeout=10_000):
        pane.import_paths(pictures(image_dir, 2))
    # the pane shares its column with the Cache dock now: twice the drop zone, not three times
    qtbot.waitUntil(lambda: pane.results.height() > 2 * pane.drop_zone.height())
    assert pane.drop_zone.isVisible()  # still says where to drop the next batch
