"""The viewer on a real window and library: stepping in grid order, zoom, pan, full screen,
slideshow, roles applied at once, edits, views counted."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from streamimages_desktop.core.access import can_see
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER, Role, Sort, Viewer, Visibility
from streamimages_desktop.core.settings import Settings
from streamimages_desktop.ui.gallery.pixmap_cache import PixmapCache
from streamimages_desktop.ui.viewer.viewer_window import ViewerWindow
from streamimages_desktop.ui.window.dialogs import EditImageDialog
from streamimages_desktop.ui.window.main_window import MainWindow
from tests.ui import window_fixtures
from tests.ui.conftest import import_images, mixed_library
from tests.ui.window_fixtures import WindowFactory, wait_settled

make_window = window_fixtures.make_window
qsettings = window_fixtures.qsettings

pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"
)

SHOTS = Path("/tmp/shots")
Groups = dict[Visibility, list[str]]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A slideshow interval that is not the default, so the test sees the setting is used."""
    return settings._replace(viewer_slideshow_seconds=2.5)


@pytest.fixture
def library(manager: StreamImageManager, image_dir: Path) -> Groups:
    return mixed_library(manager, image_dir)


def grid_order(window: MainWindow) -> list[str]:
    return [image.id for image in window.gallery.model.images]


def open_from_grid(qtbot: QtBot, window: MainWindow, image_id: str) -> ViewerWindow:
    """Select `image_id` in the grid and press Enter; returns the viewer once it painted."""
    view = window.gallery.view
    qtbot.waitUntil(window.isActiveWindow)
    view.setFocus()
    view.setCurrentIndex(window.gallery.model.index_of(image_id))
    with qtbot.waitSignal(window.preview.pixmap_shown, timeout=10_000):
        qtbot.keyClick(view, Qt.Key.Key_Return)
    viewer = window.preview
    qtbot.waitUntil(viewer.isActiveWindow)
    return viewer


def press(qtbot: QtBot, viewer: ViewerWindow, key: Qt.Key, text: str = "") -> None:
    qtbot.keyClick(viewer, key)


def search(qtbot: QtBot, window: MainWindow, text: str) -> None:
    window.toolbar.search_edit.setText(text)
    qtbot.waitUntil(
        lambda: window.gallery.query is not None and window.gallery.query.search == text
    )
    wait_settled(qtbot, window)


def test_keys_step_through_the_grid_order_with_its_search_and_sort(
    library: Groups, make_window: WindowFactory, qtbot: QtBot
) -> None:
    window = make_window(stream="mixed")
    window.toolbar.set_sort(Sort.OLDEST)
    search(qtbot, window, "subscribers")
    order = grid_order(window)
    assert set(order) == set(library[Visibility.SUBSCRIBERS]) and len(order) == 3
    viewer = open_from_grid(qtbot, window, order[0])
    assert viewer.image_id == order[0]
    seen = [viewer.image_id]
    for key in (Qt.Key.Key_Right, Qt.Key.Key_Space):
        press(qtbot, viewer, key)
        seen.append(viewer.image_id)
    assert seen == order
    press(qtbot, viewer, Qt.Key.Key_Right)  # the last one: nowhere further to go
    assert viewer.image_id == order[-1]
    press(qtbot, viewer, Qt.Key.Key_Left)
    assert viewer.image_id == order[1]
    press(qtbot, viewer, Qt.Key.Key_Backspace)
    assert viewer.image_id == order[0]
    press(qtbot, viewer, Qt.Key.Key_End)
    assert viewer.image_id == order[-1]
    press(qtbot, viewer, Qt.Key.Key_Home)
    assert viewer.image_id == order[0]
    assert viewer.info.position_label.text().startswith("1 of 3")
    qtbot.waitUntil(lambda: not viewer.view.pixmap.isNull())


def test_double_click_opens_the_image_under_the_pointer(
    library: Groups, make_window: WindowFactory, qtbot: QtBot
) -> None:
    window = make_window(stream="mixed")
    image_id = grid_order(window)[2]
    view = window.gallery.view
    centre = view.visualRect(window.gallery.model.index_of(image_id)).center()
    with qtbot.waitSignal(window.preview.pixmap_shown, timeout=10_000) as shown:
        # QTest sends only the double-click event; a real one follows a press and release.
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre)
        qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    assert shown.args == [image_id]


@pytest.fixture
def big_window(
    manager: StreamImageManager, image_dir: Path, make_window: WindowFactory
) -> MainWindow:
    """Two 1600x1200 pictures: larger than the viewer, so fit is below 1:1."""
    import_images(manager, "big", image_dir, 2, size=(1600, 1200))
    return make_window(stream="big")


def test_zoom_keys_wheel_and_fit(big_window: MainWindow, qtbot: QtBot) -> None:
    viewer = open_from_grid(qtbot, big_window, grid_order(big_window)[0])
    view = viewer.view
    assert view.is_fit
    fitted = view.zoom
    assert 0 < fitted < 1
    press(qtbot, viewer, Qt.Key.Key_Plus)
    assert not view.is_fit and view.zoom == pytest.approx(fitted * 1.25)
    press(qtbot, viewer, Qt.Key.Key_Minus)
    press(qtbot, viewer, Qt.Key.Key_Minus)
    assert view.zoom == pytest.approx(fitted / 1.25)
    press(qtbot, viewer, Qt.Key.Key_1)
    assert view.zoom == 1.0 and not view.is_fit
    press(qtbot, viewer, Qt.Key.Key_0)
    assert view.is_fit and view.zoom == pytest.approx(fitted)
    press(qtbot, viewer, Qt.Key.Key_1)
    press(qtbot, viewer, Qt.Key.Key_F)
    assert view.is_fit
    # The wheel zooms about the pointer: the original's point under it stays put.
    before = view.target_rect()
    anchor = before.center() + QPointF(before.width() * 0.1, before.height() * 0.1)
    view.set_zoom(1.0, anchor)
    after = view.target_rect()
    rel_before = (anchor - before.topLeft()) / before.width()
    rel_after = (anchor - after.topLeft()) / after.width()
    assert rel_after.x() == pytest.approx(rel_before.x(), abs=1e-3)
    assert rel_after.y() == pytest.approx(rel_before.y(), abs=1e-3)


def test_wheel_events_zoom_in_and_out(big_window: MainWindow, qtbot: QtBot) -> None:
    from PySide6.QtCore import QPoint as P
    from PySide6.QtGui import QWheelEvent

    viewer = open_from_grid(qtbot, big_window, grid_order(big_window)[0])
    view = viewer.view
    fitted = view.zoom
    pos = QPointF(view.width() / 2, view.height() / 2)

    def wheel(notches: int) -> None:
        event = QWheelEvent(
            pos,
            view.mapToGlobal(pos),
            P(0, 0),
            P(0, 120 * notches),
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        QApplication.sendEvent(view, event)

    wheel(1)
    assert view.zoom == pytest.approx(fitted * 1.25)
    wheel(-2)
    assert view.zoom == pytest.approx(fitted / 1.25)


def test_dragging_pans_a_zoomed_picture_and_stays_on_it(
    big_window: MainWindow, qtbot: QtBot
) -> None:
    viewer = open_from_grid(qtbot, big_window, grid_order(big_window)[0])
    view = viewer.view
    press(qtbot, viewer, Qt.Key.Key_1)  # 1:1, larger than the view
    start = view.center
    mid = QPoint(view.width() // 2, view.height() // 2)
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=mid)
    qtbot.mouseMove(view, mid + QPoint(-120, -80))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=mid + QPoint(-120, -80))
    moved = view.center
    scale = view.zoom / view.devicePixelRatioF()
    assert moved.x() == pytest.approx(start.x() + 120 / scale)
    assert moved.y() == pytest.approx(start.y() + 80 / scale)
    # However far it is dragged, an edge of the picture stops at the edge of the view.
    view.pan_by(100_000, 100_000)
    rect = view.target_rect()
    assert rect.left() == pytest.approx(0) and rect.top() == pytest.approx(0)
    # Fit ignores dragging.
    press(qtbot, viewer, Qt.Key.Key_0)
    fitted = view.target_rect()
    view.pan_by(50, 50)
    assert view.target_rect() == fitted


def test_f11_toggles_full_screen_and_esc_leaves_then_closes(
    big_window: MainWindow, qtbot: QtBot
) -> None:
    viewer = open_from_grid(qtbot, big_window, grid_order(big_window)[0])
    assert viewer.info.isVisible()
    press(qtbot, viewer, Qt.Key.Key_F11)
    qtbot.waitUntil(viewer.isFullScreen)
    assert not viewer.info.isVisible()  # the picture alone
    press(qtbot, viewer, Qt.Key.Key_F11)
    qtbot.waitUntil(lambda: not viewer.isFullScreen())
    assert viewer.info.isVisible()
    press(qtbot, viewer, Qt.Key.Key_F11)
    qtbot.waitUntil(viewer.isFullScreen)
    press(qtbot, viewer, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not viewer.isFullScreen())
    assert viewer.isVisible()
    press(qtbot, viewer, Qt.Key.Key_Escape)
    assert not viewer.isVisible()


def test_slideshow_steps_at_the_declared_interval_and_stops_at_the_end(
    library: Groups, make_window: WindowFactory, qtbot: QtBot
) -> None:
    window = make_window(stream="mixed")
    order = grid_order(window)
    viewer = open_from_grid(qtbot, window, order[-3])
    assert viewer.slideshow.interval() == 2500  # VIEWER_SLIDESHOW_SECONDS = 2.5
    press(qtbot, viewer, Qt.Key.Key_F5)
    assert viewer.slideshow.isActive()
    viewer.slideshow.timeout.emit()  # one interval passes
    assert viewer.image_id == order[-2]
    viewer.slideshow.timeout.emit()
    assert viewer.image_id == order[-1] and viewer.slideshow.isActive()
    viewer.slideshow.timeout.emit()  # nothing after the last image: the show is over
    assert viewer.image_id == order[-1] and not viewer.slideshow.isActive()
    press(qtbot, viewer, Qt.Key.Key_F5)
    assert viewer.slideshow.isActive()
    press(qtbot, viewer, Qt.Key.Key_Escape)  # Esc stops the show before it closes anything
    assert not viewer.slideshow.isActive() and viewer.isVisible()
    press(qtbot, viewer, Qt.Key.Key_F5)
    press(qtbot, viewer, Qt.Key.Key_F5)
    assert not viewer.slideshow.isActive()


def test_a_private_image_leaves_the_viewer_the_moment_the_role_is_viewer(
    library: Groups, make_window: WindowFactory, qtbot: QtBot
) -> None:
    window = make_window(stream="mixed")
    viewer = open_from_grid(qtbot, window, library[Visibility.PRIVATE][0])
    window.set_role(Role.VIEWER)
    assert not viewer.isVisible()
    assert viewer.image is None and viewer.image_id is None
    assert viewer.view.pixmap.isNull() and viewer.title_label.text() == ""


def test_after_a_role_change_the_viewer_steps_over_hidden_images(
    library: Groups, make_window: WindowFactory, qtbot: QtBot
) -> None:
    window = make_window(stream="mixed")
    public = [i for i in grid_order(window) if i in library[Visibility.PUBLIC]]
    viewer = open_from_grid(qtbot, window, public[0])
    window.set_role(Role.VIEWER)
    assert viewer.isVisible() and viewer.image_id == public[0]  # it may still see this one
    seen = [viewer.image_id]
    for _ in range(8):
        viewer.step(1)  # straight away, before the grid's new query has answered
        if viewer.image_id != seen[-1]:
            seen.append(viewer.image_id)
    assert seen == public
    for image_id in seen:
        assert can_see(Viewer(Role.VIEWER), Visibility.PUBLIC) and image_id in public


def test_opening_counts_one_view_per_image_shown_and_prefetch_counts_none(
    library: Groups, make_window: WindowFactory, manager: StreamImageManager, qtbot: QtBot
) -> None:
    window = make_window(stream="mixed", role=Role.SUBSCRIBER)
    order = grid_order(window)
    viewer = open_from_grid(qtbot, window, order[0])
    qtbot.waitUntil(lambda: not viewer.loader.runner.busy and not window._runner.busy)
    assert manager.image(OWNER, order[0]).views == 1
    assert manager.image(OWNER, order[1]).views == 0  # prefetched, not opened
    with qtbot.waitSignal(viewer.loaded, timeout=10_000):
        press(qtbot, viewer, Qt.Key.Key_Right)
    assert manager.image(OWNER, order[1]).views == 1
    assert viewer.info.value("Views") == "1 view"


def test_visibility_and_text_change_from_the_viewer(
    library: Groups, make_window: WindowFactory, manager: StreamImageManager, qtbot: QtBot
) -> None:
    window = make_window(stream="mixed")
    image_id = library[Visibility.PUBLIC][0]
    viewer = open_from_grid(qtbot, window, image_id)
    box = viewer.info.visibility_box
    assert box.isVisible()
    box.activated.emit(box.findData(Visibility.PRIVATE))
    qtbot.waitUntil(lambda: manager.image(OWNER, image_id).visibility is Visibility.PRIVATE)
    qtbot.waitUntil(lambda: viewer.info.value("Visibility") == "Private")
    viewer.info.edit_button.click()
    qtbot.waitUntil(
        lambda: any(
            isinstance(w, EditImageDialog) for w in QApplication.topLevelWidgets() if w.isVisible()
        )
    )
    [dialog] = [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, EditImageDialog) and w.isVisible()
    ]
    dialog.title_edit.setText("Encore")
    dialog.accept()
    qtbot.waitUntil(lambda: manager.image(OWNER, image_id).title == "Encore")
    qtbot.waitUntil(lambda: viewer.title_label.text() == "Encore")
    assert viewer.isVisible()


def test_edit_controls_are_the_owners_only(
    library: Groups, make_window: WindowFactory, qtbot: QtBot
) -> None:
    window = make_window(stream="mixed")
    viewer = open_from_grid(qtbot, window, library[Visibility.PUBLIC][0])
    assert viewer.info.edit_button.isVisible()
    window.set_role(Role.SUBSCRIBER)
    assert viewer.isVisible()
    assert not viewer.info.edit_button.isVisible() and not viewer.info.visibility_box.isVisible()


def test_grab_the_viewer(library: Groups, make_window: WindowFactory, qtbot: QtBot) -> None:
    window = make_window(stream="mixed")
    viewer = open_from_grid(qtbot, window, library[Visibility.SUBSCRIBERS][0])
    qtbot.waitUntil(lambda: window._runner.pending == 0)
    SHOTS.mkdir(exist_ok=True)
    assert viewer.grab().save(str(SHOTS / "viewer_window.png"))


def test_the_viewer_itself_steps_over_images_its_role_may_not_see(
    library: Groups, manager: StreamImageManager, pixmap_cache: PixmapCache, qtbot: QtBot
) -> None:
    """Even from a sequence that still holds hidden rows (a grid not yet re-queried)."""
    rows = {image.id: image for image in manager.images(OWNER, "mixed")}
    by_visibility = [[rows[i] for i in library[v]] for v in Visibility]
    everything = [image for three in zip(*by_visibility, strict=True) for image in three]
    viewer = ViewerWindow(manager, pixmap_cache, sequence=lambda: everything)
    qtbot.addWidget(viewer)
    try:
        as_viewer = Viewer(Role.VIEWER)
        public = [i.id for i in everything if i.visibility is Visibility.PUBLIC]
        with qtbot.waitSignal(viewer.pixmap_shown, timeout=10_000):
            viewer.show_image(as_viewer, public[0])
        seen = [viewer.image_id]
        while viewer.step(1):
            seen.append(viewer.image_id)
        viewer.last()
        seen.append(viewer.image_id)
        assert seen == [*public, public[-1]]
    finally:
        viewer.close()
        viewer.shutdown()
