"""The window's exits: File > Export… on a worker, drag-out and Ctrl+C, all clean, per role."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from streamimages_desktop.core.importer import ImportOptions
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER, Role, Visibility
from streamimages_desktop.ui.export.dialog import ExportDialog
from streamimages_desktop.ui.export.drag import DragSource
from streamimages_desktop.ui.window.main_window import MainWindow
from tests import canaries
from tests.images import EXT
from tests.ui import window_fixtures
from tests.ui.window_fixtures import WindowFactory

make_window = window_fixtures.make_window
qsettings = window_fixtures.qsettings

FORMAT_OF = {".jpg": "JPEG", ".png": "PNG", ".gif": "GIF", ".webp": "WEBP"}
VISIBLE = {
    Role.OWNER: set(Visibility),
    Role.SUBSCRIBER: {Visibility.PUBLIC, Visibility.SUBSCRIBERS},
    Role.VIEWER: {Visibility.PUBLIC},
}

pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"
)


def seed(manager: StreamImageManager) -> dict[str, Visibility]:
    made = {}
    kinds = [canaries.jpeg_canary(), canaries.png_canary(), canaries.gif_canary()]
    for canary in kinds:
        for visibility in Visibility:
            name = f"{canary.name}{EXT[canary.format]}"
            data = canary.data + visibility.value.encode()
            options = ImportOptions(visibility, title=f"{canary.name} {visibility.value}")
            result = manager.import_bytes(OWNER, "show", data, name, options)
            assert result.image_id is not None
            made[result.image_id] = visibility
    return made


def source_of(window: MainWindow) -> DragSource:
    found = window.findChild(DragSource, "export_drag_source")
    assert isinstance(found, DragSource)
    return found


def as_role(qtbot: QtBot, window: MainWindow, role: Role) -> None:
    window.set_role(role)
    window_fixtures.wait_settled(qtbot, window)


@pytest.mark.parametrize("role", list(Role))
def test_dragging_and_copying_give_clean_derivatives_of_what_the_role_sees(
    qtbot: QtBot, make_window: WindowFactory, manager: StreamImageManager, role: Role
) -> None:
    made = seed(manager)
    window = make_window()
    as_role(qtbot, window, role)
    source = source_of(window)
    window.gallery.view.selectAll()
    qtbot.waitUntil(lambda: source.ready() is not None, timeout=10_000)
    mime = window.gallery.view._drag_provider()  # what startDrag hands to QDrag
    assert mime is not None
    files = [Path(url.toLocalFile()) for url in mime.urls()]
    exported = {path.stem.rsplit("-", 1)[1] for path in files}
    assert exported == {i for i, v in made.items() if v in VISIBLE[role]}
    for path in files:
        assert path.parent.parent == source.folder  # never an original in the library
        canaries.assert_clean(path.read_bytes(), FORMAT_OF[path.suffix])
    assert source.copy()
    copied = QGuiApplication.clipboard().image()
    first = files[0]
    with Image.open(io.BytesIO(first.read_bytes())) as im:
        assert (copied.width(), copied.height()) == im.size
    assert not QGuiApplication.clipboard().mimeData().hasUrls()


def test_as_viewer_a_private_image_cannot_be_dragged_out_at_all(
    qtbot: QtBot, make_window: WindowFactory, manager: StreamImageManager
) -> None:
    made = seed(manager)
    window = make_window()
    source = source_of(window)
    window.gallery.view.selectAll()  # as owner: everything, private included
    qtbot.waitUntil(lambda: source.ready() is not None, timeout=10_000)
    as_role(qtbot, window, Role.VIEWER)
    assert source.ready() is None and source.mime_data() is None  # the owner's files are gone
    assert not source.copy()
    window.gallery.view.selectAll()
    qtbot.waitUntil(lambda: source.ready() is not None, timeout=10_000)
    mime = source.mime_data()
    assert mime is not None
    private = {i for i, v in made.items() if v is Visibility.PRIVATE}
    assert not any(i in url.toLocalFile() for url in mime.urls() for i in private)


def test_the_export_dialog_exports_on_a_worker_and_cancel_writes_nothing(
    qtbot: QtBot, make_window: WindowFactory, manager: StreamImageManager, tmp_path: Path
) -> None:
    made = seed(manager)
    window = make_window()
    window.findChild(type(window.open_action), "export_action").trigger()
    dialog = window.findChild(ExportDialog, "export_dialog")
    assert isinstance(dialog, ExportDialog)
    assert dialog.role_box.currentData() == Role.OWNER
    dialog.role_box.setCurrentIndex(dialog.role_box.findData(Role.SUBSCRIBER))
    dialog.all_choice.setChecked(True)
    dialog.zip_choice.setChecked(True)
    dialog.manifest_box.setChecked(True)
    dialog.path_edit.setText(str(tmp_path / "out.zip"))
    dialog.grab().save(str(tmp_path / "export-dialog.png"))
    dialog.start()
    qtbot.waitUntil(lambda: dialog.last_result is not None, timeout=20_000)
    assert dialog.last_result is not None
    assert {e.image_id for e in dialog.last_result.exported} == {
        i for i, v in made.items() if v in VISIBLE[Role.SUBSCRIBER]
    }
    assert dialog.status.text() == "Exported 6 images."
    dialog.last_result = None
    dialog.zip_choice.setChecked(False)
    dialog.folder_choice.setChecked(True)
    dialog.path_edit.setText(str(tmp_path / "cancelled"))
    dialog.progress.valueChanged.connect(lambda _v: dialog.cancel_button.click())
    dialog.start()
    qtbot.waitUntil(lambda: dialog.last_result is not None, timeout=20_000)
    assert dialog.last_result.cancelled
    assert not (tmp_path / "cancelled").exists()
    assert dialog.status.text() == "Export cancelled: nothing was written."
    dialog.close()


def test_the_export_dialog_says_when_the_role_may_see_nothing_chosen(
    qtbot: QtBot, make_window: WindowFactory, manager: StreamImageManager, tmp_path: Path
) -> None:
    for number in range(2):
        options = ImportOptions(Visibility.PRIVATE, title=f"backstage {number}")
        data = canaries.jpeg_canary().data + bytes([number])
        manager.import_bytes(OWNER, "show", data, f"b{number}.jpg", options)
    window = make_window()
    window.findChild(type(window.open_action), "export_action").trigger()
    dialog = window.findChild(ExportDialog, "export_dialog")
    assert isinstance(dialog, ExportDialog)
    dialog.role_box.setCurrentIndex(dialog.role_box.findData(Role.VIEWER))
    dialog.all_choice.setChecked(True)
    dialog.zip_choice.setChecked(True)
    dialog.path_edit.setText(str(tmp_path / "out.zip"))
    dialog.start()
    qtbot.waitUntil(lambda: dialog.export_button.isEnabled(), timeout=20_000)
    dialog.grab().save(str(tmp_path / "export-nothing.png"))
    assert dialog.status.text() == "Nothing to export: no image chosen is visible to viewer"
    assert dialog.last_result is None and not (tmp_path / "out.zip").exists()
    dialog.close()
