"""GalleryWidget on a real library: filling, thumbnails off the GUI thread, roles, keys, paint."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QContextMenuEvent, QImage
from PySide6.QtWidgets import QApplication, QListView
from pytestqt.qtbot import QtBot

from streamimages_desktop.core import imaging
from streamimages_desktop.core.access import can_see
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER, Role, Viewer, Visibility
from streamimages_desktop.core.settings import Settings
from streamimages_desktop.ui.gallery.delegate import BADGE, PADDING
from streamimages_desktop.ui.gallery.pixmap_cache import GALLERY_PAGE, PixmapCache
from streamimages_desktop.ui.gallery.roles import ImageIdRole
from streamimages_desktop.ui.gallery.thumbnails import placeholder_pixmap
from streamimages_desktop.ui.gallery.view import LAYOUT_BATCH
from streamimages_desktop.ui.gallery.widget import GalleryWidget
from tests.ui.conftest import big_settings, import_images, mixed_library

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")

BIG = 2000
SHOTS = Path("/tmp/shots")
PRIVATE_RED = QColor(196, 52, 52)
SUBSCRIBER_GOLD = QColor(214, 150, 20)

MakeGallery = Callable[[StreamImageManager], GalleryWidget]


@pytest.fixture
def make_gallery(qtbot: QtBot, pixmap_cache: PixmapCache) -> Iterator[MakeGallery]:
    """Shown GalleryWidgets; their workers are stopped before the manager closes."""
    made: list[GalleryWidget] = []

    def make(manager: StreamImageManager) -> GalleryWidget:
        gallery = GalleryWidget(manager, pixmap_cache)
        qtbot.addWidget(gallery)
        gallery.resize(900, 640)
        gallery.show()
        qtbot.waitExposed(gallery)
        made.append(gallery)
        return gallery

    yield make
    for gallery in made:
        gallery.shutdown()


@pytest.fixture
def groups(manager: StreamImageManager, image_dir: Path) -> dict[Visibility, list[str]]:
    return mixed_library(manager, image_dir)


@pytest.fixture
def gallery(
    manager: StreamImageManager, groups: dict[Visibility, list[str]], make_gallery: MakeGallery
) -> GalleryWidget:
    return make_gallery(manager)


@pytest.fixture(scope="module")
def big_manager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreamImageManager]:
    """One library with a stream of 2,000 tiny images, built once for this module."""
    root = tmp_path_factory.mktemp("big")
    settings = Settings.load(
        {}, library=root / "library", cache_dir=root / "cache", config_file=root / "none"
    )
    with StreamImageManager(big_settings(settings, BIG)) as manager:
        import_images(manager, "big", root / "src", BIG)
        yield manager


def shown_ids(gallery: GalleryWidget) -> list[str]:
    model = gallery.model
    return [model.data(model.index(r, 0), ImageIdRole) for r in range(model.rowCount())]


def fill(qtbot: QtBot, gallery: GalleryWidget, viewer: Viewer, stream_id: str) -> None:
    """Run a query and wait for its rows and then for the visible thumbnails."""
    with qtbot.waitSignals([gallery.shown_changed, gallery.thumbnails_idle], timeout=20000):
        gallery.set_query(viewer, stream_id)


def is_placeholder(gallery: GalleryWidget, row: int) -> bool:
    pixmap = gallery.model.data(gallery.model.index(row, 0), Qt.ItemDataRole.DecorationRole)
    return pixmap.cacheKey() == placeholder_pixmap().cacheKey()


def near(colour: QColor, other: QColor, tolerance: int = 40) -> bool:
    return all(
        abs(a - b) <= tolerance
        for a, b in zip(colour.getRgb()[:3], other.getRgb()[:3], strict=True)
    )


def test_the_grid_fills_from_a_real_library_and_thumbnails_arrive(
    qtbot: QtBot, gallery: GalleryWidget, groups: dict[Visibility, list[str]]
) -> None:
    assert gallery.view.accessibleName()
    with qtbot.waitSignal(gallery.shown_changed) as shown:
        gallery.set_query(OWNER, "mixed")
        assert all(is_placeholder(gallery, r) for r in range(gallery.model.rowCount()))
    assert shown.args == [9]
    assert set(shown_ids(gallery)) == {i for ids in groups.values() for i in ids}
    assert all(is_placeholder(gallery, r) for r in range(9))  # not loaded yet: placeholders
    with qtbot.waitSignal(gallery.thumbnails_idle):
        pass
    assert len(gallery.visible_ids()) == 9
    assert not any(is_placeholder(gallery, r) for r in range(9))


@pytest.mark.parametrize("visibility", list(Visibility))
@pytest.mark.parametrize("role", list(Role))
def test_switching_role_removes_what_it_may_not_see_at_once(
    qtbot: QtBot,
    gallery: GalleryWidget,
    groups: dict[Visibility, list[str]],
    pixmap_cache: PixmapCache,
    role: Role,
    visibility: Visibility,
) -> None:
    fill(qtbot, gallery, OWNER, "mixed")
    watched = groups[visibility]
    cached = [pixmap_cache.get(GALLERY_PAGE, i, "thumb", 1.0) for i in watched]
    assert all(p is not None for p in cached)  # the owner's thumbnails are in memory
    viewer = Viewer(role)
    allowed = can_see(viewer, visibility)
    titles = {gallery.model.image_at(gallery.model.row_of(i)).title for i in watched}

    def check() -> None:
        ids = set(shown_ids(gallery))
        assert set(watched) <= ids if allowed else ids.isdisjoint(watched)
        model = gallery.model
        for row in range(model.rowCount()):
            index = model.index(row, 0)
            tip = model.data(index, Qt.ItemDataRole.ToolTipRole)
            mine = model.data(index, ImageIdRole) in watched
            assert any(t in tip for t in titles) == (allowed and mine)
            decoration = model.data(index, Qt.ItemDataRole.DecorationRole)
            if not allowed:
                assert decoration.cacheKey() not in {p.cacheKey() for p in cached}

    gallery.set_query(viewer, "mixed")
    assert gallery.loading
    check()  # the moment the role changed, before its query has even run
    qtbot.waitUntil(lambda: not gallery.loading)
    check()


def test_a_stream_of_2000_opens_without_waiting_for_its_thumbnails(
    qtbot: QtBot,
    big_manager: StreamImageManager,
    make_gallery: MakeGallery,
    pixmap_cache: PixmapCache,
) -> None:
    gallery = make_gallery(big_manager)
    at_first_screen: list[tuple[int, int, int]] = []

    def on_shown(shown: int) -> None:
        page = pixmap_cache.memory.stats().pages.get(GALLERY_PAGE)
        at_first_screen.append((shown, gallery.model.rowCount(), page.items if page else 0))

    gallery.shown_changed.connect(on_shown)
    fill(qtbot, gallery, OWNER, "big")
    assert at_first_screen == [(BIG, BIG, 0)]  # all rows, not one thumbnail yet
    visible = gallery.visible_ids()
    assert 0 < len(visible) < 60
    assert all(pixmap_cache.get(GALLERY_PAGE, i, "thumb", 1.0) for i in visible)
    loaded = pixmap_cache.memory.stats().pages[GALLERY_PAGE].items
    assert loaded == len(visible)  # only what is on screen was loaded
    assert not any(is_placeholder(gallery, gallery.model.row_of(i)) for i in visible)


def test_no_decode_runs_on_the_gui_thread_while_the_grid_fills_and_scrolls(
    qtbot: QtBot,
    big_manager: StreamImageManager,
    make_gallery: MakeGallery,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    threads: dict[str, list[threading.Thread]] = {"load": [], "fromData": [], "render": []}

    def recording(name: str, fn: Callable) -> Callable:
        def wrapper(*args: object, **kwargs: object) -> object:
            threads[name].append(threading.current_thread())
            return fn(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(Image.Image, "load", recording("load", Image.Image.load))
    monkeypatch.setattr(QImage, "fromData", staticmethod(recording("fromData", QImage.fromData)))
    monkeypatch.setattr(imaging, "render", recording("render", imaging.render))
    big_manager.clear_disk_cache()  # every thumbnail is regenerated from its original
    gallery = make_gallery(big_manager)
    fill(qtbot, gallery, OWNER, "big")
    bar = gallery.view.verticalScrollBar()
    assert bar.maximum() > 10 * bar.pageStep()
    seen = set(gallery.visible_ids())
    for step in range(1, 11):
        with qtbot.waitSignal(gallery.thumbnails_idle, timeout=20000):
            bar.setValue(bar.maximum() * step // 10)
        seen.update(gallery.visible_ids())
    assert gallery.view.visible_rows()[-1] == BIG - 1  # scrolled to the bottom
    assert len(seen) > 200
    assert all(threads.values()), {k: len(v) for k, v in threads.items()}
    main = threading.main_thread()
    for name, ran_on in threads.items():
        assert main not in ran_on, f"{name} ran on the GUI thread"


def test_a_fast_scroll_loads_no_thumbnails_of_tiles_it_flew_past(
    qtbot: QtBot,
    big_manager: StreamImageManager,
    make_gallery: MakeGallery,
    pixmap_cache: PixmapCache,
) -> None:
    gallery = make_gallery(big_manager)
    fill(qtbot, gallery, OWNER, "big")
    bar = gallery.view.verticalScrollBar()
    first = set(gallery.visible_ids())
    flown: set[str] = set()
    for step in range(1, 20):  # a screen a frame: each tile on screen for one paint only
        bar.setValue(bar.maximum() * step // 40)
        gallery.view.viewport().repaint()
        flown.update(gallery.visible_ids())
    last = set(gallery.visible_ids())
    flown -= first | last
    assert len(flown) > 200
    with qtbot.waitSignal(gallery.thumbnails_idle, timeout=20000):
        pass  # still now: the last screen loads
    assert all(pixmap_cache.get(GALLERY_PAGE, i, "thumb", 1.0) for i in last)
    assert not any(pixmap_cache.get(GALLERY_PAGE, i, "thumb", 1.0) for i in flown)
    assert not any(gallery.loader.is_pending(i) for i in flown)


def test_a_composed_tile_looks_like_one_drawn_directly(
    qtbot: QtBot, gallery: GalleryWidget, groups: dict[Visibility, list[str]]
) -> None:
    fill(qtbot, gallery, OWNER, "mixed")
    gallery.view.clearSelection()
    gallery.view.setCurrentIndex(gallery.model.index(-1, 0))
    gallery.delegate._tiles.clear()
    gallery.delegate._once.clear()
    viewport = gallery.view.viewport()
    direct = viewport.grab().toImage()  # first paint of each tile: drawn directly
    composed = viewport.grab().toImage()  # second: composed into its pixmap
    assert len(gallery.delegate._tiles) == gallery.model.rowCount()
    again = viewport.grab().toImage()  # third: copied from that pixmap
    assert direct == composed == again


class GatedQueries:
    """The real manager, except that listing stream "slow" waits until the test says so."""

    def __init__(self, manager: StreamImageManager) -> None:
        self.manager = manager
        self.started, self.gate = threading.Event(), threading.Event()

    def count(self, viewer: Viewer, stream_id: str | None = None, *args: object) -> int:
        if stream_id == "slow":
            self.started.set()
            assert self.gate.wait(10)
        return self.manager.count(viewer, stream_id, *args)

    def image_page(self, *args: Any) -> list:
        return self.manager.image_page(*args)

    def image_keys(self, *args: Any) -> Any:
        return self.manager.image_keys(*args)

    def images_by_id(self, *args: Any) -> list:
        return self.manager.images_by_id(*args)

    def rendition(self, viewer: Viewer, image_id: str, rendition: str = "thumb") -> bytes:
        return self.manager.rendition(viewer, image_id, rendition)


def test_a_stale_query_result_is_ignored(
    qtbot: QtBot, manager: StreamImageManager, image_dir: Path, make_gallery: MakeGallery
) -> None:
    slow = import_images(manager, "slow", image_dir, 4)
    fast = import_images(manager, "fast", image_dir, 2, first_seed=10)
    gated = GatedQueries(manager)
    gallery = make_gallery(gated)
    counts: list[int] = []
    gallery.shown_changed.connect(counts.append)
    gallery.set_query(OWNER, "slow")
    assert gated.started.wait(10)  # the first query is running on the worker ...
    gallery.set_query(OWNER, "fast")  # ... when the user picks another stream
    with qtbot.waitSignal(gallery.shown_changed):
        gated.gate.set()  # the slow result arrives first and must be dropped
    assert counts == [2]
    assert set(shown_ids(gallery)) == set(fast) and set(fast).isdisjoint(slow)


def test_keyboard_moves_through_the_grid(qtbot: QtBot, gallery: GalleryWidget) -> None:
    fill(qtbot, gallery, OWNER, "mixed")
    view = gallery.view
    view.setFocus()
    view.setCurrentIndex(gallery.model.index(0, 0))
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert view.currentIndex().row() == 1
    qtbot.keyClick(view, Qt.Key.Key_End)
    assert view.currentIndex().row() == 8
    qtbot.keyClick(view, Qt.Key.Key_Home)
    assert view.currentIndex().row() == 0
    tops = [view.visualRect(gallery.model.index(r, 0)).top() for r in range(9)]
    columns = tops.count(tops[0])
    assert 1 < columns < 9
    qtbot.keyClick(view, Qt.Key.Key_Down)
    assert view.currentIndex().row() == columns
    qtbot.keyClick(view, Qt.Key.Key_PageUp)
    assert view.currentIndex().row() == 0


def test_enter_double_click_delete_and_context_menu_speak_in_image_ids(
    qtbot: QtBot, gallery: GalleryWidget
) -> None:
    fill(qtbot, gallery, OWNER, "mixed")
    view, model = gallery.view, gallery.model
    ids = shown_ids(gallery)

    def centre(row: int) -> QPoint:
        return view.visualRect(model.index(row, 0)).center()

    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre(2))
    with qtbot.waitSignal(gallery.open_requested) as opened:
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert opened.args == [ids[2]]
    with qtbot.waitSignal(gallery.open_requested) as opened:
        # QTest sends only the double-click event; a real one follows a press and release.
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre(4))
        qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre(4))
    assert opened.args == [ids[4]]

    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre(1))
    qtbot.mouseClick(
        view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier, centre(5)
    )
    assert gallery.selected_ids() == [ids[1], ids[5]]
    with qtbot.waitSignal(gallery.delete_requested) as deleting:
        qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert deleting.args == [[ids[1], ids[5]]]

    def right_click(row: int) -> None:
        pos = centre(row)
        event = QContextMenuEvent(
            QContextMenuEvent.Reason.Mouse, pos, view.viewport().mapToGlobal(pos)
        )
        QApplication.sendEvent(view.viewport(), event)

    with qtbot.waitSignal(gallery.context_menu_requested) as menu:  # on a selected tile: both
        right_click(5)
    assert menu.args == [view.viewport().mapToGlobal(centre(5)), [ids[1], ids[5]]]
    with qtbot.waitSignal(gallery.context_menu_requested) as menu:  # elsewhere: just that one
        right_click(7)
    assert menu.args[1] == [ids[7]]
    assert gallery.current_image().id == ids[7]


def test_refresh_keeps_the_selection_of_images_still_there(
    qtbot: QtBot, gallery: GalleryWidget, manager: StreamImageManager
) -> None:
    fill(qtbot, gallery, OWNER, "mixed")
    ids = shown_ids(gallery)
    selection = gallery.view.selectionModel()
    for row in (0, 3, 6):
        selection.select(gallery.model.index(row, 0), selection.SelectionFlag.Select)
    manager.delete_images(OWNER, [ids[3]])
    with qtbot.waitSignal(gallery.shown_changed) as shown:
        gallery.refresh()
    assert shown.args == [8]
    assert gallery.selected_ids() == [ids[0], ids[6]]


def test_refresh_after_a_delete_and_an_import_keeps_the_scroll_position(
    qtbot: QtBot, manager: StreamImageManager, image_dir: Path, make_gallery: MakeGallery
) -> None:
    # More rows than one layout batch, so a relayout that restarted at the top would show.
    count = LAYOUT_BATCH + 200
    manager_big = StreamImageManager(big_settings(manager.settings, count + 1))
    try:
        ids = import_images(manager_big, "long", image_dir, count)
        gallery = make_gallery(manager_big)
        fill(qtbot, gallery, OWNER, "long")
        bar = gallery.view.verticalScrollBar()
        single = QListView.LayoutMode.SinglePass  # batches for a new result, then one pass
        qtbot.waitUntil(lambda: gallery.view.layoutMode() == single)
        assert bar.maximum() > 20 * bar.pageStep()
        deep = bar.maximum() - bar.pageStep() // 2  # rows past the first layout batch
        bar.setValue(deep)
        first_visible = gallery.visible_ids()[0]
        manager_big.delete_images(OWNER, [ids[-1]])  # the newest: row 0, far above the view
        import_images(manager_big, "long", image_dir, 1, first_seed=count)
        changes: list[tuple[str, int, int]] = []
        model = gallery.model
        model.rowsRemoved.connect(lambda _p, first, last: changes.append(("-", first, last)))
        model.rowsInserted.connect(lambda _p, first, last: changes.append(("+", first, last)))
        model.modelReset.connect(lambda: changes.append(("reset", 0, 0)))
        with qtbot.waitSignal(gallery.shown_changed) as shown:
            gallery.refresh()
        assert shown.args == [count]
        assert changes == [("-", 0, 0), ("+", 0, 0)]  # the newest went, a newer one came
        for _ in range(3):  # let any delayed relayout run
            with qtbot.waitSignal(gallery.view.painted):
                gallery.view.viewport().update()
        assert bar.value() == deep
        assert first_visible in gallery.visible_ids()
        gallery.set_tile_size(240)  # the grid reflows; the image at the top stays there
        tile = gallery.view.visualRect(gallery.model.index_of(first_visible))
        assert 0 <= tile.top() < gallery.view.gridSize().height()
        gallery.resize(700, 500)
        qtbot.waitUntil(lambda: bar.value() > bar.maximum() // 2)
    finally:
        gallery.shutdown()
        manager_big.close()


def test_tiles_paint_thumbnail_title_and_a_drawn_badge(
    qtbot: QtBot, gallery: GalleryWidget, groups: dict[Visibility, list[str]]
) -> None:
    fill(qtbot, gallery, OWNER, "mixed")
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = gallery.view.viewport().grab()
    assert shot.save(str(SHOTS / "gallery_owner.png"))
    image = shot.toImage()
    tile = gallery.delegate.tile_size
    picture_h = gallery.delegate.picture_height
    assert (tile, picture_h) == (160, 120)
    background = gallery.view.viewport().palette().color(gallery.view.viewport().backgroundRole())
    expected_badge = {
        Visibility.PRIVATE: PRIVATE_RED,
        Visibility.SUBSCRIBERS: SUBSCRIBER_GOLD,
        Visibility.PUBLIC: None,
    }
    for visibility, ids in groups.items():
        for image_id in ids:
            cell = gallery.view.visualRect(gallery.model.index_of(image_id))
            area_left, area_top = cell.left() + PADDING, cell.top() + PADDING
            # The 64x48 thumbnail fills the 4:3 box (160x120): blank above it, picture within.
            assert near(image.pixelColor(area_left + tile // 2, area_top - 3), background, 8)
            inside = image.pixelColor(area_left + tile // 2 + 20, area_top + picture_h // 2)
            assert not near(inside, background, 20)
            # The badge sits inside the picture's top-right corner.
            top = area_top
            badge = QPoint(area_left + tile - 4 - BADGE // 2 - 7, top + 4 + BADGE // 2)
            colour = image.pixelColor(badge)
            if expected_badge[visibility] is None:
                assert not near(colour, PRIVATE_RED) and not near(colour, SUBSCRIBER_GOLD)
            else:
                assert near(colour, expected_badge[visibility]), (visibility, colour.getRgb())
            # The glyph in the middle of the badge is white ink (a lock's body, a star).
            ink_offset = QPoint(-3, 3) if visibility is Visibility.PRIVATE else QPoint(0, 0)
            centre = QPoint(area_left + tile - 4 - BADGE // 2, top + 4 + BADGE // 2) + ink_offset
            if expected_badge[visibility] is not None:
                assert near(image.pixelColor(centre), QColor(255, 255, 255), 60), visibility
            # Some title text is drawn under the thumbnail.
            text_row = [
                image.pixelColor(x, area_top + picture_h + PADDING)
                for x in range(cell.left(), cell.right())
            ]
            assert any(not near(c, background, 30) for c in text_row)


def test_the_empty_state_says_what_to_do(qtbot: QtBot, gallery: GalleryWidget) -> None:
    fill(qtbot, gallery, OWNER, "nothing-here")
    assert gallery.model.rowCount() == 0

    def inked() -> int:
        shot = gallery.view.viewport().grab().toImage()
        y = shot.height() // 2
        colours = {shot.pixel(x, yy) for x in range(shot.width()) for yy in range(y - 12, y + 12)}
        return len(colours)

    with_text = inked()
    SHOTS.mkdir(parents=True, exist_ok=True)
    gallery.view.viewport().grab().save(str(SHOTS / "gallery_empty.png"))
    gallery.set_empty_text("")
    assert inked() == 1 < with_text
    gallery.set_empty_text("Nothing for viewers in this stream yet")
    assert gallery.view.empty_text == "Nothing for viewers in this stream yet"
    assert inked() > 1


def test_the_tile_size_slider_changes_the_grid(qtbot: QtBot, gallery: GalleryWidget) -> None:
    fill(qtbot, gallery, OWNER, "mixed")
    view, model = gallery.view, gallery.model

    def step() -> int:
        return view.visualRect(model.index(1, 0)).left() - view.visualRect(model.index(0, 0)).left()

    wide_grid = view.gridSize().width()
    assert step() == wide_grid and 160 + 2 * PADDING <= wide_grid < 2 * (160 + 2 * PADDING)
    gallery.set_tile_size(96)
    assert gallery.tile_size == 96
    assert gallery.delegate.cell_size(view.fontMetrics()).width() == 96 + 2 * PADDING
    narrow_grid = view.gridSize().width()
    assert 96 + 2 * PADDING <= narrow_grid < wide_grid
    qtbot.waitUntil(lambda: step() == narrow_grid)
    gallery.set_tile_size(10)
    assert gallery.tile_size == 64


def test_columns_share_the_spare_width_so_no_strip_is_left_empty(
    qtbot: QtBot, gallery: GalleryWidget
) -> None:
    fill(qtbot, gallery, OWNER, "mixed")
    tile_cell = gallery.delegate.cell_size(gallery.view.fontMetrics())
    for width in (700, 905, 1210):
        gallery.resize(width, 600)
        grid = gallery.view.gridSize()
        usable = gallery.view.viewport().width()
        columns = usable // grid.width()
        assert grid.width() >= tile_cell.width()
        # What is left over is less than the scroll bar plus rounding, not a spare column.
        assert usable - columns * grid.width() < tile_cell.width() // 2, (width, grid)
