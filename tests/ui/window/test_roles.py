"""Each role sees exactly its visibilities in every part of the window, from the moment it is on."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QToolTip
from pytestqt.qtbot import QtBot

from streamimages_desktop.core.access import allowed_visibilities, can_see
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER, Role, Viewer, Visibility
from streamimages_desktop.ui.gallery.pixmap_cache import GALLERY_PAGE, PixmapCache
from streamimages_desktop.ui.window.main_window import MainWindow
from tests.ui import window_fixtures
from tests.ui.conftest import all_ids, import_images, mixed_library
from tests.ui.window_fixtures import WindowFactory, grid_ids, wait_settled

# Fixtures shared by the window tests.
make_window = window_fixtures.make_window
qsettings = window_fixtures.qsettings
window = window_fixtures.window

pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"
)

Groups = dict[Visibility, list[str]]


@pytest.fixture
def library(manager: StreamImageManager, image_dir: Path) -> Groups:
    """Three images of each visibility in "mixed"; two public ones in "other"."""
    groups = mixed_library(manager, image_dir)
    import_images(manager, "other", image_dir, 2, first_seed=100)
    return groups


def allowed(role: Role, groups: Groups) -> set[str]:
    return all_ids(groups, sorted(allowed_visibilities(Viewer(role))))


def tooltips(window: MainWindow) -> str:
    model = window.gallery.model
    return "\n".join(
        str(model.data(model.index(row, 0), Qt.ItemDataRole.ToolTipRole))
        for row in range(model.rowCount())
    )


def switch(window: MainWindow, qtbot: QtBot, role: Role) -> None:
    with qtbot.waitSignal(window.role_changed):
        window.set_role(role)
    wait_settled(qtbot, window)


@pytest.mark.parametrize("role", [Role.SUBSCRIBER, Role.VIEWER])
def test_a_stream_of_nothing_the_role_may_see_is_not_listed_and_comes_back_for_the_owner(
    library: Groups,
    manager: StreamImageManager,
    image_dir: Path,
    make_window: WindowFactory,
    qtbot: QtBot,
    role: Role,
) -> None:
    """Its title ("Surprise giveaway") is the owner's: on air the stream list is broadcast."""
    manager.create_stream(OWNER, "giveaway", "Surprise giveaway")
    import_images(manager, "giveaway", image_dir, 1, first_seed=200, visibility=Visibility.PRIVATE)
    window = make_window(stream="giveaway")
    assert window.stream_browser.current_stream() == "giveaway"
    switch(window, qtbot, role)
    browser = window.stream_browser
    assert browser.stream_ids() == ["mixed", "other"]
    titles = [browser.tree.topLevelItem(i).text(0) for i in range(browser.tree.topLevelItemCount())]
    assert not any("giveaway" in t.lower() for t in titles)
    assert browser.current_stream() is None  # All streams
    other = {i.id for i in manager.images(OWNER, "other")}
    assert grid_ids(window) == allowed(role, library) | other
    # Made visible meanwhile (on air, say): listed now, but what is shown does not jump.
    (secret,) = [i.id for i in manager.images(OWNER, "giveaway")]
    manager.update_image(OWNER, secret, visibility=Visibility.PUBLIC)
    with qtbot.waitSignal(browser.streams_loaded):
        browser.reload()
    assert "giveaway" in browser.stream_ids() and browser.current_stream() is None
    switch(window, qtbot, Role.OWNER)
    assert browser.current_stream() == "giveaway"
    assert grid_ids(window) == {secret}


@pytest.mark.parametrize("role", list(Role))
def test_role_sees_only_its_visibilities_everywhere(
    library: Groups, make_window: WindowFactory, qtbot: QtBot, role: Role
) -> None:
    window = make_window(stream="mixed")
    if role is not Role.OWNER:
        switch(window, qtbot, role)
    expected = allowed(role, library)
    visible = len(expected)
    assert grid_ids(window) == expected
    assert window.stream_browser.count_text("mixed") == str(visible)
    assert window.stream_browser.count_text("other") == "2"
    assert window.stream_browser.count_text(None) == str(visible + 2)
    assert window.status.count_label.text() == f"{visible} shown of {visible} visible to {role}"
    assert window.status.role_label.text() == f"Role: {role.value.capitalize()}"
    assert window.toolbar.role_switcher.badge.text() == f"Viewing as {role.value.capitalize()}"
    stats = window.status.stats_label.text()
    assert ("private" in stats) is (role is Role.OWNER)
    assert ("subscriber-only" in stats) is (role is not Role.VIEWER)
    hidden_names = [f"mixed-{vis.value}-" for vis in Visibility if not can_see(Viewer(role), vis)]
    text = tooltips(window)
    assert all(name not in text for name in hidden_names)
    # Full-text search: every image's file name contains "mixed"; only the allowed ones return.
    window.toolbar.search_edit.setText("mixed")
    window.toolbar.flush_search()
    qtbot.waitUntil(lambda: not window.gallery.loading)
    assert grid_ids(window) == expected
    window.toolbar.search_edit.setText("private")
    window.toolbar.flush_search()
    qtbot.waitUntil(lambda: not window.gallery.loading)
    assert grid_ids(window) == (set(library[Visibility.PRIVATE]) if role is Role.OWNER else set())


def decorations(window: MainWindow) -> set[int]:
    """The cache keys of every pixmap the grid's rows would paint now."""
    model = window.gallery.model
    return {
        model.data(model.index(row, 0), Qt.ItemDataRole.DecorationRole).cacheKey()
        for row in range(model.rowCount())
    }


@pytest.mark.parametrize(("role", "visibility"), list(itertools.product(Role, Visibility)))
def test_switching_role_keeps_or_hides_each_visibility_at_once(
    library: Groups,
    make_window: WindowFactory,
    pixmap_cache: PixmapCache,
    qtbot: QtBot,
    role: Role,
    visibility: Visibility,
) -> None:
    window = make_window(stream="mixed")
    image_id = library[visibility][0]
    title = window.gallery.model.image_at(window.gallery.model.row_of(image_id)).title
    ratio = window.gallery.model.device_pixel_ratio
    qtbot.waitUntil(lambda: pixmap_cache.get(GALLERY_PAGE, image_id, "thumb", ratio) is not None)
    thumb = pixmap_cache.get(GALLERY_PAGE, image_id, "thumb", ratio)
    assert thumb is not None and thumb.cacheKey() in decorations(window)
    with qtbot.waitSignal(window.preview.pixmap_shown, timeout=5000):
        window.gallery.open_requested.emit(image_id)
    seen = can_see(Viewer(role), visibility)
    window.set_role(role)
    # The moment the role changed, before any worker answered: grid, its memory-cached
    # thumbnail, tooltips and the preview.
    assert (image_id in grid_ids(window)) is seen
    assert window.gallery.model.index_of(image_id).isValid() is seen
    assert (thumb.cacheKey() in decorations(window)) is seen
    assert (title in tooltips(window)) is seen
    assert window.preview.isVisible() is seen
    assert (window.preview.image_id == image_id) is seen
    assert window.preview.view.pixmap.isNull() is not seen
    assert (window.preview.title_label.text() != "") is seen
    wait_settled(qtbot, window)
    assert (image_id in grid_ids(window)) is seen
    assert (thumb.cacheKey() in decorations(window)) is seen
    assert (title in tooltips(window)) is seen
    assert window.preview.isVisible() is seen
    visible = sum(len(library[v]) for v in allowed_visibilities(Viewer(role)))
    assert window.stream_browser.count_text("mixed") == str(visible)
    assert window.status.count_label.text() == f"{visible} shown of {visible} visible to {role}"
    # Asking for it directly (a stale open request) shows nothing, not the cached display.
    window.preview.show_image(window.viewer, image_id)
    if seen:
        qtbot.waitUntil(lambda: not window.preview.view.pixmap.isNull())
    else:
        qtbot.waitUntil(lambda: window.preview.view.text.startswith("Cannot show this image"))
        assert window.preview.view.pixmap.isNull() and window.preview.image is None
        assert window.preview.title_label.text() == ""


def test_private_image_leaves_every_part_of_the_window_the_moment_role_is_viewer(
    library: Groups, make_window: WindowFactory, qtbot: QtBot
) -> None:
    window = make_window(stream="mixed")
    private_id = library[Visibility.PRIVATE][0]
    with qtbot.waitSignal(window.preview.pixmap_shown, timeout=5000):
        window.gallery.open_requested.emit(private_id)
    view = window.gallery.view
    QToolTip.showText(view.mapToGlobal(QPoint(5, 5)), "mixed-private-00006", view)
    assert QToolTip.isVisible()
    window.upload_pane.results.addItem("✓  mixed-private-00006.png — imported")
    window.set_role(Role.VIEWER)
    assert private_id not in grid_ids(window)
    assert not any(i.visibility is not Visibility.PUBLIC for i in window.gallery.model.images)
    assert "mixed-private" not in tooltips(window)
    assert not QToolTip.isVisible()
    assert not window.preview.isVisible() and window.preview.image is None
    assert window.preview.view.pixmap.isNull()
    assert window.stream_browser.count_text("mixed") == "…"  # old counts gone until requeried
    assert window.status.stats_label.text() == "…"
    assert not window.upload_pane.results.isVisible()  # owner's import list is not shown
    assert window.upload_pane.notice.isVisible()
    wait_settled(qtbot, window)
    assert window.stream_browser.count_text("mixed") == "3"


def test_role_shortcuts_switch_the_role(
    library: Groups, make_window: WindowFactory, qtbot: QtBot
) -> None:
    window = make_window(stream="mixed")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.gallery.view.setFocus()
    for key, role in (
        (Qt.Key.Key_3, Role.VIEWER),
        (Qt.Key.Key_2, Role.SUBSCRIBER),
        (Qt.Key.Key_1, Role.OWNER),
    ):
        with qtbot.waitSignal(window.role_changed) as changed:
            qtbot.keyClick(window.gallery.view, key, Qt.KeyboardModifier.ControlModifier)
        assert changed.args == [role]
        assert window.toolbar.role_switcher.role_actions[role].isChecked()


def test_owner_edits_are_disabled_for_other_roles(
    library: Groups, make_window: WindowFactory, qtbot: QtBot
) -> None:
    window = make_window(stream="mixed")
    owner_only = [
        window.open_action,
        window.paste_action,
        window.image_actions.delete_action,
        window.image_actions.edit_action,
    ]
    assert all(a.isEnabled() for a in owner_only)
    switch(window, qtbot, Role.SUBSCRIBER)
    assert not any(a.isEnabled() for a in owner_only)
    assert window.image_actions.open_action.isEnabled()
    assert window.upload_pane.notice.isVisible()
