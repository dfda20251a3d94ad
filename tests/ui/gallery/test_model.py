"""GalleryModel over a real library: Qt model rules, thumbnails by id, the role's rows only."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QPixmap
from pytestqt.qtbot import QtBot

from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER, Role, StreamImage, Viewer, Visibility
from streamimages_desktop.ui.gallery.model import GalleryModel
from streamimages_desktop.ui.gallery.pixmap_cache import GALLERY_PAGE, PixmapCache
from streamimages_desktop.ui.gallery.roles import ImageIdRole, TileRole, VisibilityRole, tooltip_for
from streamimages_desktop.ui.gallery.thumbnail_loader import ThumbnailLoader
from streamimages_desktop.ui.gallery.thumbnails import placeholder_pixmap
from tests.ui.conftest import mixed_library

DECORATION = Qt.ItemDataRole.DecorationRole


class CountingManager:
    """The real manager, counting rendition calls per image id."""

    def __init__(self, manager: StreamImageManager) -> None:
        self.manager = manager
        self.calls: Counter[str] = Counter()

    def rendition(self, viewer: Viewer, image_id: str, rendition: str = "thumb") -> bytes:
        self.calls[image_id] += 1
        return self.manager.rendition(viewer, image_id, rendition)


@pytest.fixture
def groups(manager: StreamImageManager, image_dir: Path) -> dict[Visibility, list[str]]:
    return mixed_library(manager, image_dir)


@pytest.fixture
def counting(manager: StreamImageManager) -> CountingManager:
    return CountingManager(manager)


@pytest.fixture
def loader(qtbot: QtBot, counting: CountingManager) -> Iterator[ThumbnailLoader]:
    made = ThumbnailLoader(counting)
    yield made
    assert made.shutdown()


@pytest.fixture
def model(
    manager: StreamImageManager,
    groups: dict[Visibility, list[str]],
    pixmap_cache: PixmapCache,
    loader: ThumbnailLoader,
) -> GalleryModel:
    made = GalleryModel(pixmap_cache, loader)
    made.set_images(OWNER, manager.images(OWNER, "mixed"))
    assert made.rowCount() == 9
    return made


def test_qt_model_tester_passes_with_real_rows(qtmodeltester, model: GalleryModel) -> None:
    qtmodeltester.check(model)


def test_rows_are_flat_and_out_of_range_reads_return_none(model: GalleryModel) -> None:
    first = model.index(0, 0)
    assert model.rowCount(first) == 0
    assert model.index(9, 0) == QModelIndex()
    assert model.data(model.createIndex(9, 0)) is None
    assert model.data(model.createIndex(-1, 0)) is None
    assert model.data(QModelIndex()) is None
    assert model.data(first, Qt.ItemDataRole.SizeHintRole) is None
    assert model.data(first, Qt.ItemDataRole.UserRole + 50) is None
    assert model.flags(QModelIndex()) == Qt.ItemFlag.NoItemFlags
    assert model.flags(first) & Qt.ItemFlag.ItemIsSelectable


def test_roles_come_from_the_domain_rows(
    manager: StreamImageManager, model: GalleryModel, groups: dict[Visibility, list[str]]
) -> None:
    images = manager.images(OWNER, "mixed")
    for row, image in enumerate(images):
        index = model.index(row, 0)
        assert model.data(index) == image.title
        assert model.data(index, ImageIdRole) == image.id
        assert model.data(index, VisibilityRole) == image.visibility
        assert model.data(index, Qt.ItemDataRole.UserRole) == image
        assert model.row_of(image.id) == row
        tip = model.data(index, Qt.ItemDataRole.ToolTipRole)
        assert image.title in tip and "64\u00a0\u00d7\u00a048\u00a0px" in tip and "0 views" in tip
    private = groups[Visibility.PRIVATE][0]
    assert "Private" in model.data(model.index_of(private), Qt.ItemDataRole.ToolTipRole)


def test_tooltip_escapes_user_text(manager: StreamImageManager, model: GalleryModel) -> None:
    image: StreamImage = model.image_at(0)
    edited = manager.update_image(
        OWNER, image.id, title="<b>x</b> & y", description="<script>alert(1)</script>"
    )
    tip = tooltip_for(edited)
    assert "&lt;b&gt;x&lt;/b&gt; &amp; y" in tip
    assert "<script>" not in tip and "&lt;script&gt;" in tip


def test_a_miss_shows_the_shared_placeholder_and_one_thumbnail_updates_one_row(
    qtbot: QtBot, model: GalleryModel, pixmap_cache: PixmapCache
) -> None:
    first, second = model.index(0, 0), model.index(1, 0)
    with qtbot.waitSignal(
        model.dataChanged,
        check_params_cb=lambda top, bottom, roles: top.row() == bottom.row() == 1,
    ) as blocker:
        shown = model.data(second, DECORATION)
        assert shown.cacheKey() == placeholder_pixmap().cacheKey()
    top, bottom, roles = blocker.args
    assert (top.row(), bottom.row()) == (1, 1)
    assert list(roles) == [DECORATION]
    loaded = model.data(second, DECORATION)
    assert isinstance(loaded, QPixmap)
    assert loaded.cacheKey() != placeholder_pixmap().cacheKey()
    assert (loaded.width(), loaded.height()) == (64, 48)  # thumbnails are never upscaled
    image_id = model.data(second, ImageIdRole)
    assert pixmap_cache.get(GALLERY_PAGE, image_id, "thumb", 1.0) is not None
    # The first row was never asked for, so nothing was loaded for it.
    assert pixmap_cache.get(GALLERY_PAGE, model.data(first, ImageIdRole), "thumb", 1.0) is None


def test_each_thumbnail_is_requested_once_however_often_it_is_painted(
    qtbot: QtBot, model: GalleryModel, loader: ThumbnailLoader, counting: CountingManager
) -> None:
    for _ in range(20):
        for row in range(model.rowCount()):
            model.data(model.index(row, 0), DECORATION)
    qtbot.waitUntil(lambda: loader.pending_count == 0)
    for row in range(model.rowCount()):
        model.data(model.index(row, 0), DECORATION)
    qtbot.waitUntil(lambda: not loader.runner.busy)
    ids = [model.data(model.index(r, 0), ImageIdRole) for r in range(model.rowCount())]
    assert counting.calls == Counter(ids)


def test_a_thumbnail_lands_on_its_image_after_the_rows_moved(
    qtbot: QtBot, manager: StreamImageManager, model: GalleryModel
) -> None:
    images = manager.images(OWNER, "mixed")
    wanted = images[0].id
    with qtbot.waitSignal(model.dataChanged) as blocker:
        model.data(model.index(0, 0), DECORATION)  # request while the image is on row 0 ...
        model.set_images(OWNER, list(reversed(images)))  # ... then it moves to the last row
    top = blocker.args[0]
    assert top.row() == model.rowCount() - 1
    assert model.data(top, ImageIdRole) == wanted


def test_a_refused_rendition_is_not_retried(
    qtbot: QtBot,
    manager: StreamImageManager,
    model: GalleryModel,
    loader: ThumbnailLoader,
    counting: CountingManager,
) -> None:
    gone = model.data(model.index(2, 0), ImageIdRole)
    assert manager.delete_images(OWNER, [gone]) == [gone]  # behind the model's back
    changed: list[int] = []
    model.dataChanged.connect(lambda first, _last, _roles=(): changed.append(first.row()))
    with qtbot.waitSignal(loader.failed) as blocker:
        model.data(model.index(2, 0), DECORATION)
    assert blocker.args[0] == gone and "no image" in blocker.args[1]
    qtbot.wait(20)
    assert changed == []  # the tile keeps its placeholder: nothing to repaint
    for _ in range(10):
        shown = model.data(model.index(2, 0), DECORATION)
        assert shown.cacheKey() == placeholder_pixmap().cacheKey()
    qtbot.waitUntil(lambda: not loader.runner.busy)
    assert counting.calls[gone] == 1
    assert loader.has_failed(gone)


@pytest.mark.parametrize("role", [Role.SUBSCRIBER, Role.VIEWER])
def test_restrict_to_removes_what_the_role_may_not_see_at_once(
    qtbot: QtBot,
    model: GalleryModel,
    groups: dict[Visibility, list[str]],
    role: Role,
) -> None:
    hidden = {
        Role.SUBSCRIBER: [Visibility.PRIVATE],
        Role.VIEWER: [Visibility.PRIVATE, Visibility.SUBSCRIBERS],
    }
    doomed = {i for v in hidden[role] for i in groups[v]}
    persistent = [QPersistentModelIndex(model.index_of(i)) for i in doomed]
    assert all(p.isValid() for p in persistent)
    removals: list[tuple[int, int]] = []
    model.rowsRemoved.connect(lambda _parent, first, last: removals.append((first, last)))
    removed = model.restrict_to(Viewer(role))
    assert removed == len(doomed)
    assert sum(last - first + 1 for first, last in removals) == len(doomed)  # no reset needed
    ids = {model.data(model.index(r, 0), ImageIdRole) for r in range(model.rowCount())}
    assert ids.isdisjoint(doomed) and len(ids) == 9 - len(doomed)
    assert all(model.row_of(i) is None for i in doomed)
    assert not any(p.isValid() for p in persistent)
    for row in range(model.rowCount()):
        tip = model.data(model.index(row, 0), Qt.ItemDataRole.ToolTipRole)
        assert "Private" not in tip
        if role is Role.VIEWER:
            assert "Subscribers" not in tip
    assert model.restrict_to(Viewer(role)) == 0


def test_set_images_keeps_only_what_the_viewer_may_see(
    manager: StreamImageManager, model: GalleryModel, groups: dict[Visibility, list[str]]
) -> None:
    model.set_images(Viewer(Role.VIEWER), manager.images(OWNER, "mixed"))  # even if handed more
    shown = {model.data(model.index(r, 0), ImageIdRole) for r in range(model.rowCount())}
    assert shown == set(groups[Visibility.PUBLIC])


def test_update_images_moves_only_the_rows_that_changed(
    manager: StreamImageManager, model: GalleryModel
) -> None:
    images = list(manager.images(OWNER, "mixed"))
    watched = QPersistentModelIndex(model.index(5, 0))
    watched_id = model.data(watched, ImageIdRole)
    changes: list[tuple[str, int, int]] = []
    model.rowsRemoved.connect(lambda _p, first, last: changes.append(("-", first, last)))
    model.rowsInserted.connect(lambda _p, first, last: changes.append(("+", first, last)))
    model.modelReset.connect(lambda: changes.append(("reset", 0, 0)))
    retitled = manager.update_image(OWNER, images[8].id, title="renamed")
    fresh = [*images[:2], *images[4:8], retitled]  # rows 2 and 3 deleted, one retitled
    assert model.update_images(OWNER, fresh)
    assert changes == [("-", 2, 3)]
    assert watched.isValid() and watched.row() == 3
    assert model.data(watched, ImageIdRole) == watched_id
    assert model.data(model.index(6, 0)) == "renamed"
    assert model.update_images(OWNER, images)  # and back: they are inserted where they were
    assert changes[1:] == [("+", 2, 3)]
    assert [model.data(model.index(r, 0), ImageIdRole) for r in range(9)] == [i.id for i in images]
    assert not model.update_images(OWNER, list(reversed(images)))  # a new order: a reset
    assert changes[-1] == ("reset", 0, 0)


def test_while_holding_a_miss_is_noted_and_only_released_rows_load(
    qtbot: QtBot, model: GalleryModel, loader: ThumbnailLoader, counting: CountingManager
) -> None:
    model.hold_requests()
    for row in range(model.rowCount()):
        shown = model.data(model.index(row, 0), DECORATION)
        assert shown.cacheKey() == placeholder_pixmap().cacheKey()
    assert loader.pending_count == 0 and not counting.calls  # nothing asked for yet
    assert all(model.thumbnail_pending(r) for r in range(model.rowCount()))  # but not idle
    model.release_requests([2, 3], stop=False)
    qtbot.waitUntil(lambda: not loader.runner.busy and loader.pending_count == 0)
    ids = [model.data(model.index(r, 0), ImageIdRole) for r in range(model.rowCount())]
    assert counting.calls == Counter(ids[2:4])  # the others scrolled past: forgotten
    assert not any(model.thumbnail_pending(r) for r in range(model.rowCount()))
    model.data(model.index(5, 0), DECORATION)  # still holding: noted again
    assert counting.calls[ids[5]] == 0 and model.thumbnail_pending(5)
    model.release_requests([], stop=True)
    model.data(model.index(6, 0), DECORATION)  # still now: asked for at once
    qtbot.waitUntil(lambda: not loader.runner.busy and loader.pending_count == 0)
    assert counting.calls == Counter([*ids[2:4], ids[6]])


def test_the_tile_role_gives_decoration_title_and_visibility_in_one_call(
    model: GalleryModel,
) -> None:
    index = model.index(0, 0)
    decoration, title, visibility = model.data(index, TileRole)
    image = model.image_at(0)
    assert image is not None
    assert (title, visibility) == (image.title, image.visibility)
    assert decoration.cacheKey() == model.data(index, DECORATION).cacheKey()
