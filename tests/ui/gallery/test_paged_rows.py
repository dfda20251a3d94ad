"""A stream longer than a page: rows come by pages on a worker, never the GUI thread's reads."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from streamimages_desktop.core import database
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER, Role, Viewer, Visibility
from streamimages_desktop.core.settings import Settings
from streamimages_desktop.ui.gallery import paged_rows
from streamimages_desktop.ui.gallery.pixmap_cache import PixmapCache
from streamimages_desktop.ui.gallery.widget import GalleryWidget
from streamimages_desktop.ui.viewer.viewer_window import ViewerWindow
from tests.ui.conftest import big_settings, import_images

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support (propagateSizeHints|raise)")

ROWS = 300
PAGE = 40  # small pages, so 300 rows are many of them
PAGES = 3


@pytest.fixture(scope="module")
def paged_manager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreamImageManager]:
    root = tmp_path_factory.mktemp("paged")
    settings = Settings.load(
        {}, library=root / "library", cache_dir=root / "cache", config_file=root / "none"
    )
    with StreamImageManager(big_settings(settings, ROWS + 10)) as manager:
        import_images(manager, "long", root / "src", ROWS)
        yield manager


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paged_rows, "PAGE_ROWS", PAGE)
    monkeypatch.setattr(paged_rows, "MAX_PAGES", PAGES)
    monkeypatch.setattr("streamimages_desktop.ui.gallery.queries.PAGE_ROWS", PAGE)


@pytest.fixture
def db_threads(monkeypatch: pytest.MonkeyPatch) -> list[threading.Thread]:
    """The thread of every library read or write made while the test runs."""
    seen: list[threading.Thread] = []
    real = database.Database._conn

    def recording(self: database.Database) -> sqlite3.Connection:
        seen.append(threading.current_thread())
        return real(self)

    monkeypatch.setattr(database.Database, "_conn", recording)
    return seen


@pytest.fixture
def gallery(
    qtbot: QtBot, paged_manager: StreamImageManager, pixmap_cache: PixmapCache, small_pages: None
) -> Iterator[GalleryWidget]:
    made = GalleryWidget(paged_manager, pixmap_cache)
    qtbot.addWidget(made)
    made.resize(600, 400)
    made.show()
    qtbot.waitExposed(made)
    yield made
    made.shutdown()


def open_stream(qtbot: QtBot, gallery: GalleryWidget) -> None:
    with qtbot.waitSignal(gallery.shown_changed, timeout=20000):
        gallery.set_query(OWNER, "long")
    qtbot.waitUntil(lambda: gallery.model.rows.complete, timeout=20000)


def title_at(gallery: GalleryWidget, row: int) -> str:
    return str(gallery.model.data(gallery.model.index(row, 0), Qt.ItemDataRole.DisplayRole))


def on_gui(threads: list[threading.Thread]) -> bool:
    return threading.main_thread() in threads


def test_the_first_screen_needs_one_page_and_the_rest_comes_as_it_is_shown(
    qtbot: QtBot, gallery: GalleryWidget, paged_manager: StreamImageManager
) -> None:
    open_stream(qtbot, gallery)
    model = gallery.model
    assert model.rowCount() == ROWS
    everything = paged_manager.images(OWNER, "long")
    assert [model.id_at(r) for r in range(ROWS)] == [i.id for i in everything]
    assert title_at(gallery, 0) == everything[0].title
    assert model.known_image(everything[-1].id) is None  # not fetched: never shown yet
    assert title_at(gallery, ROWS - 1) == ""  # a placeholder, and its page is asked for
    qtbot.waitUntil(lambda: title_at(gallery, ROWS - 1) == everything[-1].title)


def test_scrolling_reads_pages_on_a_worker_and_keeps_only_a_few(
    qtbot: QtBot, gallery: GalleryWidget, db_threads: list[threading.Thread]
) -> None:
    open_stream(qtbot, gallery)
    bar = gallery.view.verticalScrollBar()
    for step in range(1, 11):
        bar.setValue(bar.maximum() * step // 10)
        rows = gallery.view.visible_rows()
        qtbot.waitUntil(lambda rows=rows: all(title_at(gallery, r) for r in rows), timeout=10000)
    assert gallery.view.visible_rows()[-1] == ROWS - 1
    assert len(gallery.model.images) <= PAGES * PAGE  # the rest were let go
    assert db_threads and not on_gui(db_threads)


def test_an_import_shows_at_the_top_with_its_title_and_the_selection_stays(
    qtbot: QtBot,
    gallery: GalleryWidget,
    paged_manager: StreamImageManager,
    tmp_path: Path,
    db_threads: list[threading.Thread],
) -> None:
    open_stream(qtbot, gallery)
    model = gallery.model
    chosen = model.id_at(5)
    assert chosen is not None
    gallery.view.setCurrentIndex(model.index(5, 0))
    (new,) = import_images(paged_manager, "long", tmp_path, 1, first_seed=9000)
    title = paged_manager.image(OWNER, new).title
    db_threads.clear()
    try:
        with qtbot.waitSignal(gallery.shown_changed, timeout=20000):
            gallery.refresh()
        assert model.rowCount() == ROWS + 1 and model.id_at(0) == new
        assert title_at(gallery, 0) == title  # at once: not a placeholder
        assert gallery.selected_ids() == [chosen] and model.row_of(chosen) == 6
        assert db_threads and not on_gui(db_threads)
    finally:
        paged_manager.delete_images(OWNER, [new])
        paged_manager.empty_trash(OWNER)


def test_a_narrower_role_loses_hidden_rows_at_once_without_a_read(
    qtbot: QtBot,
    gallery: GalleryWidget,
    paged_manager: StreamImageManager,
    db_threads: list[threading.Thread],
) -> None:
    open_stream(qtbot, gallery)
    hidden = gallery.model.id_at(ROWS - 1)
    assert hidden is not None
    paged_manager.set_visibility(OWNER, {hidden: Visibility.PRIVATE})
    try:
        with qtbot.waitSignal(gallery.shown_changed, timeout=20000):
            gallery.refresh()
        assert gallery.model.row_of(hidden) == ROWS - 1
        db_threads.clear()
        gallery.set_query(Viewer(Role.VIEWER), "long")
        assert gallery.model.row_of(hidden) is None  # before the new query answered
        assert gallery.model.rowCount() == ROWS - 1
        assert not on_gui(db_threads)
    finally:
        paged_manager.set_visibility(OWNER, {hidden: Visibility.PUBLIC})


def test_the_viewer_steps_onto_a_page_not_fetched_without_reading_on_the_gui_thread(
    qtbot: QtBot,
    gallery: GalleryWidget,
    paged_manager: StreamImageManager,
    pixmap_cache: PixmapCache,
    db_threads: list[threading.Thread],
) -> None:
    open_stream(qtbot, gallery)
    model = gallery.model
    last = model.id_at(ROWS - 1)
    assert last is not None and model.known_image(last) is None
    viewer = ViewerWindow(paged_manager, pixmap_cache, sequence=model)
    qtbot.addWidget(viewer)
    first = model.id_at(0)
    assert first is not None
    with qtbot.waitSignal(viewer.loaded, timeout=10000):
        viewer.show_image(OWNER, first)
    db_threads.clear()
    with qtbot.waitSignal(viewer.loaded, timeout=10000) as shown:
        viewer.last()
    assert shown.args is not None and shown.args[0].id == last
    with qtbot.waitSignal(viewer.loaded, timeout=10000) as shown:
        assert viewer.step(-1)
    assert shown.args is not None and shown.args[0].id == model.id_at(ROWS - 2)
    assert db_threads and not on_gui(db_threads)
    viewer.shutdown()
