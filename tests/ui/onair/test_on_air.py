"""On air, every part of the window shows only what the audience may see (real window, images)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPoint, QSettings, Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QApplication, QMessageBox, QToolButton, QToolTip
from pytestqt.qtbot import QtBot

from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import Role, Viewer, Visibility
from streamimages_desktop.core.settings import Settings
from streamimages_desktop.ui.gallery.pixmap_cache import GALLERY_PAGE, PREVIEW_PAGE, PixmapCache
from streamimages_desktop.ui.onair.controller import LEAVE_TEXT, STAY_TEXT
from streamimages_desktop.ui.window.main_window import MainWindow
from tests.ui import window_fixtures
from tests.ui.conftest import import_images, mixed_library
from tests.ui.window_fixtures import WindowFactory, grid_ids, wait_settled

make_window = window_fixtures.make_window
qsettings = window_fixtures.qsettings

pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"
)

Groups = dict[Visibility, list[str]]
HIDDEN_WORDS = ("private", "subscribers", "subscriber-only", "owner")


@pytest.fixture
def library(manager: StreamImageManager, image_dir: Path) -> Groups:
    """Three images of each visibility in "mixed"; two public ones in "other"."""
    groups = mixed_library(manager, image_dir)
    import_images(manager, "other", image_dir, 2, first_seed=100)
    return groups


def go_on_air(window: MainWindow, qtbot: QtBot) -> None:
    window.on_air.action.trigger()
    assert window.on_air.on_air
    wait_settled(qtbot, window)


def texts(window: MainWindow, role: Qt.ItemDataRole) -> str:
    model = window.gallery.model
    return "\n".join(str(model.data(model.index(r, 0), role)) for r in range(model.rowCount()))


def decorations(window: MainWindow) -> set[int]:
    model = window.gallery.model
    return {
        model.data(model.index(r, 0), Qt.ItemDataRole.DecorationRole).cacheKey()
        for r in range(model.rowCount())
    }


def thumbnails_loaded(window: MainWindow, pixmap_cache: PixmapCache) -> bool:
    model = window.gallery.model
    ratio, rendition = model.device_pixel_ratio, window.gallery.loader.rendition
    return all(
        pixmap_cache.get(GALLERY_PAGE, image.id, rendition, ratio) is not None
        for image in model.images
    )


def page_row(window: MainWindow, page: str) -> dict[str, str]:
    """The cache pane's figures for one page, by column header."""
    window.cache_pane.refresh_now()
    table = window.cache_pane.page_table
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    for row in range(table.rowCount()):
        if table.item(row, 0).text() == page:
            return {
                h: table.item(row, c).text() for c, h in enumerate(headers) if table.item(row, c)
            }
    return {}


def test_on_air_hides_every_non_public_word_in_every_part_of_the_window(
    library: Groups, make_window: WindowFactory, pixmap_cache: PixmapCache, qtbot: QtBot
) -> None:
    window = make_window(stream="mixed")
    private_id = library[Visibility.PRIVATE][0]
    qtbot.waitUntil(lambda: thumbnails_loaded(window, pixmap_cache))
    with qtbot.waitSignal(window.preview.pixmap_shown, timeout=5000):
        window.gallery.open_requested.emit(private_id)
    window.toolbar.search_edit.setText("mixed")  # typed as the owner
    window.toolbar.flush_search()
    window.status.flash("Set mixed-private-00006 to private")
    window.status.setToolTip(f"Warning: {window._settings.stream_images_dir} is readable")
    view = window.gallery.view
    QToolTip.showText(view.mapToGlobal(QPoint(5, 5)), "mixed-private-00006", view)
    owner_figures = page_row(window, GALLERY_PAGE)
    assert owner_figures["Items"] == "9" and int(owner_figures["Hits"]) > 0

    window.on_air.action.trigger()
    # Cache pane: the owner's thumbnails and their counters are not the audience's figures.
    on_air_figures = page_row(window, GALLERY_PAGE)
    assert (on_air_figures["Items"], on_air_figures["Hits"]) == ("0", "0")
    wait_settled(qtbot, window)

    public = set(library[Visibility.PUBLIC])
    assert grid_ids(window) == public
    assert all(i.visibility is Visibility.PUBLIC for i in window.gallery.model.images)
    for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
        shown = texts(window, role)
        assert "mixed-public" in shown
        assert not any(word in shown.lower() for word in ("mixed-private", "mixed-subscribers"))
    assert not QToolTip.isVisible()
    # Stream counts, status bar, title bar, banner.
    assert window.stream_browser.count_text("mixed") == "3"
    assert window.stream_browser.count_text(None) == "5"
    status = window.status
    assert status.count_label.text() == "3 shown of 3 visible to viewer"
    assert status.role_label.text() == "ON AIR: Viewer"
    assert status.currentMessage() == ""
    assert not status.path_label.isVisible()
    assert status.toolTip() == ""
    stats = status.stats_label.text()
    assert "public" in stats and not any(word in stats for word in HIDDEN_WORDS)
    assert window.windowTitle() == "ON AIR — audience: Viewer"
    assert window.on_air_banner.isVisible()
    assert window.on_air_banner.label.text() == "ON AIR — the audience sees: Viewer"
    assert window.toolbar.search_edit.text() == ""
    # Viewer: the private image it showed is gone.
    assert not window.preview.isVisible() and window.preview.image is None
    qtbot.waitUntil(lambda: thumbnails_loaded(window, pixmap_cache))
    assert page_row(window, GALLERY_PAGE)["Items"] == "3"
    assert not window.cache_pane._disk_box.isVisible()
    # Search: a private title finds nothing.
    window.toolbar.search_edit.setText("mixed-private-00006")
    window.toolbar.flush_search()
    qtbot.waitUntil(lambda: not window.gallery.loading)
    assert grid_ids(window) == set()
    assert "private" not in window.gallery.view.empty_text.split("“", 1)[0]


def test_the_role_switcher_is_locked_to_the_audience(
    library: Groups, make_window: WindowFactory, qtbot: QtBot
) -> None:
    window = make_window(stream="mixed")
    go_on_air(window, qtbot)
    switcher = window.toolbar.role_switcher
    assert switcher.locked is Role.VIEWER
    assert not switcher.role_actions[Role.OWNER].isEnabled()
    assert not switcher.role_actions[Role.SUBSCRIBER].isEnabled()
    window.set_role(Role.OWNER)
    switcher.role_actions[Role.OWNER].trigger()  # Ctrl+1: a disabled action does nothing
    assert window.viewer.role is Role.VIEWER and switcher.role is Role.VIEWER
    assert switcher.role_actions[Role.VIEWER].isChecked()
    assert grid_ids(window) == set(library[Visibility.PUBLIC])
    # The upload pane names what would let the owner import: not Ctrl+1, which is locked.
    notice = window.upload_pane.notice.text()
    assert "F9" in notice and "Ctrl+1" not in notice
    hint = window.stream_browser.new_button.toolTip()
    assert "F9" in hint and "Ctrl+1" not in hint


def test_the_upload_notice_off_air_points_at_the_owner_role(
    library: Groups, make_window: WindowFactory, qtbot: QtBot
) -> None:
    window = make_window(stream="mixed", role=Role.VIEWER)
    assert "Ctrl+1" in window.upload_pane.notice.text()
    go_on_air(window, qtbot)
    assert "F9" in window.upload_pane.notice.text()


def leave_box(qtbot: QtBot) -> QMessageBox:
    box = window_fixtures.message_box(qtbot)
    assert box.objectName() == "leave_on_air_box"
    return box


def click(qtbot: QtBot, box: QMessageBox, text: str) -> None:
    (button,) = [b for b in box.buttons() if b.text() == text]
    button.click()
    qtbot.waitUntil(lambda: not box.isVisible())


def test_leaving_on_air_takes_a_deliberate_confirm(
    library: Groups, make_window: WindowFactory, qtbot: QtBot
) -> None:
    window = make_window(stream="mixed")
    window.status.setToolTip("the bar's own")
    go_on_air(window, qtbot)
    window.on_air.action.trigger()  # F9 again: asks
    box = leave_box(qtbot)
    assert box.defaultButton().text() == STAY_TEXT
    assert box.escapeButton().text() == STAY_TEXT
    assert window.on_air.on_air and window.on_air.action.isChecked()
    click(qtbot, box, STAY_TEXT)
    assert window.on_air.on_air and window.on_air.action.isChecked()
    assert grid_ids(window) == set(library[Visibility.PUBLIC])
    window.on_air.action.trigger()
    click(qtbot, leave_box(qtbot), LEAVE_TEXT)
    wait_settled(qtbot, window)
    assert not window.on_air.on_air and not window.on_air.action.isChecked()
    assert window.viewer.role is Role.OWNER  # back to the role before going on air
    assert len(grid_ids(window)) == 9
    assert not window.on_air_banner.isVisible()
    assert window.windowTitle().startswith("Viewing as Owner — ")  # then the library's name
    assert window.status.role_label.text() == "Role: Owner"
    assert window.status.path_label.isVisible()
    assert window.status.toolTip() == "the bar's own"
    assert window.toolbar.role_switcher.role_actions[Role.OWNER].isEnabled()


def test_f9_and_the_toolbar_toggle_go_on_air(
    library: Groups, make_window: WindowFactory, qtbot: QtBot
) -> None:
    window = make_window(stream="mixed")
    window.activateWindow()
    assert window.on_air.action.shortcut().toString() == "F9"
    window.gallery.view.setFocus()
    qtbot.waitUntil(window.gallery.view.hasFocus)
    qtbot.keyClick(window.gallery.view, Qt.Key.Key_F9)
    assert window.on_air.on_air
    qtbot.keyClick(window.gallery.view, Qt.Key.Key_F9)  # again: asks, stays on air
    click(qtbot, leave_box(qtbot), STAY_TEXT)
    assert window.on_air.on_air
    window.on_air.leave_now()
    toggle = window.toolbar.findChild(QToolButton, "on_air_button")
    assert toggle is not None and toggle.isVisible()
    toggle.click()
    assert window.on_air.on_air and toggle.isChecked()


def test_the_audience_is_chosen_per_stream_and_remembered(
    library: Groups, make_window: WindowFactory, qsettings: QSettings, qtbot: QtBot
) -> None:
    window = make_window(stream="mixed")
    window.on_air.audience_actions[Role.SUBSCRIBER].trigger()
    go_on_air(window, qtbot)
    expected = set(library[Visibility.PUBLIC]) | set(library[Visibility.SUBSCRIBERS])
    assert grid_ids(window) == expected
    assert window.windowTitle() == "ON AIR — audience: Subscriber"
    assert "private" not in window.status.stats_label.text()
    window.select_stream("other")  # no audience chosen there: Viewer
    wait_settled(qtbot, window)
    assert window.viewer.role is Role.VIEWER
    assert window.on_air_banner.label.text().endswith("Viewer")
    window.select_stream("mixed")
    wait_settled(qtbot, window)
    assert window.viewer.role is Role.SUBSCRIBER
    assert window.on_air.chosen_audience("mixed") is Role.SUBSCRIBER
    window.on_air.leave_now()
    window.close()  # remembers the role before on air, not the audience
    second = make_window(stream="mixed")
    assert second.on_air.chosen_audience("mixed") is Role.SUBSCRIBER
    assert second.viewer.role is Role.OWNER and not second.on_air.on_air


@pytest.fixture
def built(qtbot: QtBot) -> Iterator[list[MainWindow]]:
    made: list[MainWindow] = []
    yield made
    for window in made:
        window.shutdown()
        window.close()


def test_start_on_air_starts_the_window_on_air(
    library: Groups,
    manager: StreamImageManager,
    pixmap_cache: PixmapCache,
    settings: Settings,
    qsettings: QSettings,
    qtbot: QtBot,
    built: list[MainWindow],
) -> None:
    assert Settings.load({"START_ON_AIR": "true"}, config_file=Path("/nonexistent")).start_on_air
    on = settings._replace(start_on_air=True)
    window = MainWindow(manager, pixmap_cache, on, qsettings=qsettings, stream="mixed")
    qtbot.addWidget(window)
    built.append(window)
    # Before the first paint: already on air, no row of the owner's.
    assert window.on_air.on_air and window.viewer.role is Role.VIEWER
    assert window.windowTitle() == "ON AIR — audience: Viewer"
    window.show()
    wait_settled(qtbot, window)
    assert grid_ids(window) == set(library[Visibility.PUBLIC])
    assert window.on_air_banner.isVisible()


def test_no_pixmap_cached_as_owner_is_returned_on_air(
    library: Groups, make_window: WindowFactory, pixmap_cache: PixmapCache, qtbot: QtBot
) -> None:
    window = make_window(stream="mixed")
    qtbot.waitUntil(lambda: thumbnails_loaded(window, pixmap_cache))
    owner_keys = decorations(window)
    ratio, rendition = window.gallery.model.device_pixel_ratio, window.gallery.loader.rendition
    owner_made = {i: pixmap_cache.get(GALLERY_PAGE, i, rendition, ratio) for i in grid_ids(window)}
    pixmap_cache.put(PREVIEW_PAGE, library[Visibility.PUBLIC][0], "display", ratio, QPixmap(8, 8))
    window.on_air.action.trigger()
    # At once, before any worker answered.
    for image_id in owner_made:
        assert pixmap_cache.get(GALLERY_PAGE, image_id, rendition, ratio) is None
    assert pixmap_cache.get(PREVIEW_PAGE, library[Visibility.PUBLIC][0], "display", ratio) is None
    assert not decorations(window) & owner_keys
    # A put made as the owner (a late worker) is refused; one made as the audience is kept.
    some = library[Visibility.PUBLIC][1]
    assert not pixmap_cache.put(GALLERY_PAGE, some, "x", ratio, QPixmap(8, 8), made_as=Role.OWNER)
    assert not pixmap_cache.put(GALLERY_PAGE, some, "x", ratio, QPixmap(8, 8))
    assert pixmap_cache.get(GALLERY_PAGE, some, "x", ratio) is None
    wait_settled(qtbot, window)
    qtbot.waitUntil(lambda: thumbnails_loaded(window, pixmap_cache))
    assert not decorations(window) & owner_keys
    stored = pixmap_cache.memory.keys_by_recency()
    assert stored and all(key[-2:] == ("on-air", "viewer") for _page, key in stored)
    # Leaving: the audience's pixmaps are not the owner's either (keys differ again).
    window.on_air.leave_now()
    assert all(pixmap_cache.get(GALLERY_PAGE, i, rendition, ratio) is None for i in owner_made)


class GatedSource:
    """The manager, except that a rendition asked for as the owner waits for `gate` and then
    answers with a 7x7 picture no real thumbnail has."""

    def __init__(self, manager: StreamImageManager) -> None:
        self.manager = manager
        self.gate = threading.Event()
        self.owner_calls = 0

    def rendition(self, viewer: Viewer, image_id: str, rendition: str = "thumb") -> bytes:
        if viewer.role is not Role.OWNER:
            return self.manager.rendition(viewer, image_id, rendition)
        self.owner_calls += 1
        assert self.gate.wait(10)
        image = QImage(7, 7, QImage.Format.Format_RGB32)
        image.fill(Qt.GlobalColor.red)
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")
        return bytes(data.data())


def test_a_late_thumbnail_started_as_owner_is_dropped_on_air(
    library: Groups,
    make_window: WindowFactory,
    manager: StreamImageManager,
    pixmap_cache: PixmapCache,
    qtbot: QtBot,
) -> None:
    window = make_window(stream="mixed")
    loader = window.gallery.loader
    source = GatedSource(manager)
    loader._manager = source
    delivered: list[QImage] = []
    loader.loaded.connect(lambda _id, image: delivered.append(image))
    pixmap_cache.clear()
    loader.clear_pending()
    window.gallery.view.viewport().repaint()  # every tile asks again, as the owner
    qtbot.waitUntil(lambda: source.owner_calls >= 1)
    window.on_air.action.trigger()
    source.gate.set()  # the owner's workers finish now, after on air began
    qtbot.waitUntil(lambda: not loader.runner.busy and loader.pending_count == 0, timeout=10_000)
    wait_settled(qtbot, window)
    window.gallery.view.viewport().repaint()
    qtbot.waitUntil(lambda: thumbnails_loaded(window, pixmap_cache))
    assert all(image.width() != 7 for image in delivered)
    ratio, rendition = window.gallery.model.device_pixel_ratio, loader.rendition
    for image_id in grid_ids(window):
        cached = pixmap_cache.get(GALLERY_PAGE, image_id, rendition, ratio)
        assert cached is not None and cached.width() != 7
    for _page, key in pixmap_cache.memory.keys_by_recency():
        assert key[-1] == "viewer"


def wait_thumbnails_painted(window: MainWindow, pixmap_cache: PixmapCache, qtbot: QtBot) -> None:
    qtbot.waitUntil(lambda: thumbnails_loaded(window, pixmap_cache))
    model = window.gallery.model
    qtbot.waitUntil(lambda: not any(model.thumbnail_pending(r) for r in range(model.rowCount())))
    QApplication.processEvents()


def test_the_window_on_air_looks_like_the_viewers(
    library: Groups,
    make_window: WindowFactory,
    pixmap_cache: PixmapCache,
    qtbot: QtBot,
    tmp_path: Path,
) -> None:
    window = make_window(stream="mixed", role=Role.VIEWER)
    window.resize(1100, 720)
    wait_thumbnails_painted(window, pixmap_cache, qtbot)
    viewer_grab = window.gallery.grab().toImage()
    window.toolbar.role_switcher.set_role(Role.OWNER)
    wait_settled(qtbot, window)
    wait_thumbnails_painted(window, pixmap_cache, qtbot)
    owner_grab = window.gallery.grab().toImage()
    go_on_air(window, qtbot)
    wait_thumbnails_painted(window, pixmap_cache, qtbot)
    on_air_grab = window.gallery.grab().toImage()
    window.grab().save(str(tmp_path / "on-air.png"))
    viewer_grab.save(str(tmp_path / "viewer-grid.png"))
    on_air_grab.save(str(tmp_path / "on-air-grid.png"))
    height = min(viewer_grab.height(), on_air_grab.height()) - 2  # the banner's rows: not the frame
    width = viewer_grab.width()
    assert on_air_grab.width() == width
    assert on_air_grab.copy(0, 0, width, height) == viewer_grab.copy(0, 0, width, height)
    assert owner_grab.copy(0, 0, width, height) != viewer_grab.copy(0, 0, width, height)


def test_the_viewer_on_air_steps_only_through_what_the_audience_may_see(
    library: Groups, make_window: WindowFactory, qtbot: QtBot
) -> None:
    window = make_window(stream="mixed")
    public = set(library[Visibility.PUBLIC])
    first = window.gallery.model.images[0]  # newest first: a private one
    assert first.visibility is Visibility.PRIVATE
    shown = library[Visibility.PUBLIC][-1]
    with qtbot.waitSignal(window.preview.pixmap_shown, timeout=5000):
        window.gallery.open_requested.emit(shown)
    go_on_air(window, qtbot)
    preview = window.preview
    assert preview.isVisible() and preview.image_id == shown  # a public image stays
    assert not preview.info.exif_rows()  # the owner's camera summary is gone
    seen = {shown}
    for delta in (1, -1):
        preview.first() if delta == 1 else preview.last()
        seen.add(preview.image_id)
        while preview.step(delta):
            seen.add(preview.image_id)
            assert "private" not in preview.windowTitle()
            assert "subscribers" not in preview.windowTitle()
    assert seen == public


def test_the_viewer_on_air_does_not_name_the_owners_file(
    library: Groups, make_window: WindowFactory, qtbot: QtBot
) -> None:
    window = make_window(stream="mixed")
    shown = library[Visibility.PUBLIC][0]
    with qtbot.waitSignal(window.preview.pixmap_shown, timeout=5000):
        window.gallery.open_requested.emit(shown)
    info = window.preview.info
    assert info.value("Original name").endswith(".png")
    go_on_air(window, qtbot)
    assert window.preview.isVisible()
    assert info.value("Original name") == ""
    assert not info.values["Original name"].isVisible()
    window.on_air.leave_now()
    wait_settled(qtbot, window)
    assert info.value("Original name").endswith(".png")


def test_another_audience_on_air_gets_its_own_thumbnails_at_once(
    library: Groups, make_window: WindowFactory, pixmap_cache: PixmapCache, qtbot: QtBot
) -> None:
    window = make_window(stream="mixed")
    window.on_air.audience_actions[Role.SUBSCRIBER].trigger()
    go_on_air(window, qtbot)
    wait_thumbnails_painted(window, pixmap_cache, qtbot)
    subscriber_keys = decorations(window)
    window.on_air.audience_actions[Role.VIEWER].trigger()  # the banner stays: no resize
    assert window.viewer.role is Role.VIEWER
    assert not decorations(window) & subscriber_keys
    wait_settled(qtbot, window)
    window.gallery.view.viewport().repaint()
    qtbot.waitUntil(lambda: thumbnails_loaded(window, pixmap_cache))
    assert grid_ids(window) == set(library[Visibility.PUBLIC])


def test_a_viewer_going_on_air_gets_its_thumbnails_back_at_once(
    library: Groups, make_window: WindowFactory, pixmap_cache: PixmapCache, qtbot: QtBot
) -> None:
    window = make_window(stream="mixed", role=Role.VIEWER)
    wait_thumbnails_painted(window, pixmap_cache, qtbot)
    viewer_keys = decorations(window)
    window.on_air.action.trigger()
    assert not thumbnails_loaded(window, pixmap_cache)  # emptied: nothing kept from before
    assert not decorations(window) & viewer_keys
    window.gallery.view.viewport().repaint()
    qtbot.waitUntil(lambda: thumbnails_loaded(window, pixmap_cache))
    assert window.viewer.role is Role.VIEWER and window.on_air.on_air
