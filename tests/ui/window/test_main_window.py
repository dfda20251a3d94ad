"""The main window drives the real library: streams, search, sort, edits, preview, settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QHeaderView,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QScrollBar,
    QWidget,
)
from pytestqt.qtbot import QtBot

from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER, Role, Sort, Viewer, Visibility
from streamimages_desktop.ui.window.dialogs import CreateStreamDialog, EditImageDialog
from streamimages_desktop.ui.window.main_window import MainWindow
from tests.ui import window_fixtures
from tests.ui.conftest import import_images, mixed_library
from tests.ui.window_fixtures import WindowFactory, answer, grid_ids

# The offscreen platform cannot do these window-system things; nothing to fix in our code.
# Fixtures shared by the window tests.
make_window = window_fixtures.make_window
qsettings = window_fixtures.qsettings
window = window_fixtures.window

pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"
)


@pytest.fixture
def library(manager: StreamImageManager, image_dir: Path) -> dict[Visibility, list[str]]:
    """Three images of each visibility in "mixed" and two public ones in "other"."""
    groups = mixed_library(manager, image_dir)
    import_images(manager, "other", image_dir, 2, first_seed=100)
    return groups


def dialog_of(qtbot: QtBot, parent: QWidget, kind: type) -> QWidget:
    found: list[QWidget] = []

    def check() -> None:
        dialogs = [d for d in parent.findChildren(kind) if d.isVisible()]
        assert dialogs
        found[:] = dialogs

    qtbot.waitUntil(check)
    return found[-1]


def test_window_shows_streams_grid_and_status(
    library: dict[Visibility, list[str]], make_window: WindowFactory, settings: object
) -> None:
    window = make_window(stream="mixed")
    assert window.stream_id == "mixed"
    assert window.gallery.model.rowCount() == 9
    browser = window.stream_browser
    assert browser.count_text(None) == "11"
    assert browser.count_text("mixed") == "9"
    assert browser.count_text("other") == "2"
    assert window.status.count_label.text() == "9 shown of 9 visible to owner"
    assert window.status.role_label.text() == "Role: Owner"
    assert str(window._settings.stream_images_dir) in window.status.path_label.text()
    assert window.status.stats_label.text().startswith("3 public · 3 subscriber-only · 3 private")
    assert window.toolbar.role_switcher.badge.text() == "Viewing as Owner"


def _qt_sub_control(widget: QWidget) -> bool:
    """Parts Qt builds and names itself: scroll bars, header sections, a combo box's pop-up
    list and a line edit's clear button (Qt's accessibility describes each of them)."""
    if isinstance(widget, (QScrollBar, QHeaderView)):
        return True
    parent = widget.parentWidget()
    if isinstance(parent, QLineEdit) and isinstance(widget, QAbstractButton):
        return True  # the clear button of setClearButtonEnabled
    if widget.objectName() == "qt_tableview_cornerbutton":
        return True
    while parent is not None:
        if type(parent).__name__ == "QComboBoxPrivateContainer":
            return True
        parent = parent.parentWidget()
    return False


def test_every_control_has_an_accessible_name(
    library: dict[Visibility, list[str]], make_window: WindowFactory, qtbot: QtBot
) -> None:
    """Walk every widget of the window (docks, toolbar, grid, cache pane, preview, menus)."""
    window = make_window(stream="mixed")
    with qtbot.waitSignal(window.preview.pixmap_shown, timeout=5000):
        window.gallery.open_requested.emit(library[Visibility.PUBLIC][0])
    window.cache_dock.raise_()
    window.cache_pane.refresh_now()  # one row, with its Clear button, per cached page
    kinds = (
        QAbstractButton,
        QLineEdit,
        QComboBox,
        QAbstractSlider,
        QAbstractSpinBox,
        QAbstractItemView,
        QProgressBar,
    )
    checked = [
        widget
        for widget in window.findChildren(QWidget)
        if isinstance(widget, kinds) and not _qt_sub_control(widget)
    ]
    unnamed = [
        f"{type(widget).__name__} {widget.objectName()!r} in {type(widget.parentWidget()).__name__}"
        for widget in checked
        if not widget.accessibleName().strip()
    ]
    assert unnamed == [], "\n".join(unnamed)
    # The walk reached every part: toolbar, streams, grid, upload, cache pane and preview.
    names = {widget.accessibleName() for widget in checked}
    expected = {
        "View as Owner",
        "Search images",
        "Sort order",
        "Thumbnail size",
        "More toolbar controls",
        "Streams",
        "Delete stream",
        "Image gallery",
        "Import into stream",
        "Import progress",
        "Cancel import",
        "Import results",
        "Memory limit in megabytes",
        "Clear all memory cache pages",
        "Clear page gallery",
        "Memory cache pages",
        "Clear disk cache",
    }
    assert expected <= names, sorted(expected - names)


def test_selecting_a_stream_shows_only_its_images(
    library: dict[Visibility, list[str]], window: MainWindow, qtbot: QtBot
) -> None:
    assert window.gallery.model.rowCount() == 11  # "All streams"
    window.select_stream("other")
    qtbot.waitUntil(lambda: window.stream_id == "other" and not window.gallery.loading)
    assert window.gallery.model.rowCount() == 2
    assert window.status.count_label.text() == "2 shown of 2 visible to owner"
    assert window.upload_pane.target_stream() == "other"


def test_search_is_full_text_and_debounced(
    library: dict[Visibility, list[str]], window: MainWindow, qtbot: QtBot
) -> None:
    target = window.gallery.model.images[0]
    with qtbot.waitSignal(window.toolbar.search_changed, timeout=2000) as signal:
        qtbot.keyClicks(window.toolbar.search_edit, "other-pub")
    assert signal.args == ["other-pub"]  # one query after the typing, not one per key
    qtbot.waitUntil(lambda: not window.gallery.loading and window.gallery.model.rowCount() == 2)
    assert all(i.stream_id == "other" for i in window.gallery.model.images)
    assert window.status.count_label.text() == "2 shown of 11 visible to owner"
    window.toolbar.search_edit.clear()
    qtbot.waitUntil(lambda: window.gallery.model.rowCount() == 11)
    assert target.id in grid_ids(window)


def test_find_shortcut_focuses_the_search_field(window: MainWindow, qtbot: QtBot) -> None:
    assert window.find_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Find)
    window.find_action.trigger()
    qtbot.waitUntil(lambda: window.toolbar.search_edit.hasFocus())


def test_sort_combo_orders_the_grid(
    manager: StreamImageManager, image_dir: Path, window: MainWindow, qtbot: QtBot
) -> None:
    ids = import_images(manager, "s", image_dir, 3)
    manager.update_image(OWNER, ids[0], title="b middle")
    manager.update_image(OWNER, ids[1], title="c last")
    manager.update_image(OWNER, ids[2], title="a first")
    window.refresh_all()
    window.toolbar.set_sort(Sort.TITLE)
    qtbot.waitUntil(
        lambda: [i.title for i in window.gallery.model.images] == ["a first", "b middle", "c last"]
    )
    assert window.toolbar.sort_combo.accessibleName() == "Sort order"


def test_thumbnail_slider_sets_the_tile_size(window: MainWindow) -> None:
    window.toolbar.size_slider.setValue(200)
    assert window.gallery.tile_size == 200
    window.toolbar.size_slider.setValue(104)
    assert window.gallery.tile_size == 104


def test_context_menu_sets_visibility(
    library: dict[Visibility, list[str]],
    make_window: WindowFactory,
    manager: StreamImageManager,
    qtbot: QtBot,
) -> None:
    window = make_window(stream="mixed")
    image_id = library[Visibility.PUBLIC][0]
    menu = window.image_actions.show_menu(QPoint(10, 10), [image_id])
    assert window.image_actions.visibility_actions[Visibility.PUBLIC].isChecked()
    assert all(a.isEnabled() for a in window.image_actions.visibility_actions.values())
    window.image_actions.visibility_actions[Visibility.PRIVATE].trigger()
    menu.close()
    qtbot.waitUntil(lambda: manager.image(OWNER, image_id).visibility is Visibility.PRIVATE)
    qtbot.waitUntil(lambda: window.stream_browser.visible_count("mixed") == 9)
    window.set_role(Role.VIEWER)
    qtbot.waitUntil(lambda: window.stream_browser.count_text("mixed") == "2")


def test_context_menu_edits_are_disabled_for_other_roles(
    library: dict[Visibility, list[str]], make_window: WindowFactory
) -> None:
    window = make_window(stream="mixed", role=Role.SUBSCRIBER)
    image_id = library[Visibility.PUBLIC][0]
    menu = window.image_actions.show_menu(QPoint(10, 10), [image_id])
    actions = window.image_actions
    assert actions.open_action.isEnabled()
    assert not actions.edit_action.isEnabled()
    assert not actions.delete_action.isEnabled()
    assert not any(a.isEnabled() for a in actions.visibility_actions.values())
    menu.close()


def test_edit_dialog_changes_title_and_description(
    library: dict[Visibility, list[str]],
    make_window: WindowFactory,
    manager: StreamImageManager,
    qtbot: QtBot,
) -> None:
    window = make_window(stream="mixed")
    image_id = library[Visibility.SUBSCRIBERS][1]
    window.image_actions.show_menu(QPoint(10, 10), [image_id]).close()
    window.image_actions.edit_action.trigger()
    dialog = dialog_of(qtbot, window, EditImageDialog)
    dialog.title_edit.setText("Raid night")
    dialog.description_edit.setPlainText("Thanks for the raid!")
    dialog.accept()
    qtbot.waitUntil(lambda: manager.image(OWNER, image_id).title == "Raid night")
    assert manager.image(OWNER, image_id).description == "Thanks for the raid!"
    qtbot.waitUntil(lambda: any(i.title == "Raid night" for i in window.gallery.model.images))


def test_an_edit_of_an_image_someone_changed_meanwhile_is_refused_and_shown_anew(
    library: dict[Visibility, list[str]],
    make_window: WindowFactory,
    manager: StreamImageManager,
    qtbot: QtBot,
) -> None:
    window = make_window(stream="mixed")
    image_id = library[Visibility.PUBLIC][0]
    window.image_actions.show_menu(QPoint(10, 10), [image_id]).close()
    window.image_actions.edit_action.trigger()
    dialog = dialog_of(qtbot, window, EditImageDialog)
    manager.update_image(OWNER, image_id, title="Theirs")  # another program, meanwhile
    dialog.title_edit.setText("Mine")
    dialog.accept()
    assert "changed by someone else meanwhile" in answer(qtbot, QMessageBox.StandardButton.Ok)
    assert manager.image(OWNER, image_id).title == "Theirs"  # nothing was overwritten
    qtbot.waitUntil(lambda: any(i.title == "Theirs" for i in window.gallery.model.images))
    assert not window.image_actions.curation.stack.canUndo()  # a refused edit is no step


def test_delete_key_asks_first_then_removes(
    library: dict[Visibility, list[str]],
    make_window: WindowFactory,
    manager: StreamImageManager,
    qtbot: QtBot,
) -> None:
    window = make_window(stream="mixed")
    image_id = library[Visibility.PUBLIC][2]
    view = window.gallery.view
    view.setCurrentIndex(window.gallery.model.index_of(image_id))
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert "Delete this image?" in answer(qtbot, QMessageBox.StandardButton.No)
    assert manager.count(OWNER, "mixed") == 9
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    answer(qtbot, QMessageBox.StandardButton.Yes)
    qtbot.waitUntil(lambda: image_id not in grid_ids(window))
    assert manager.count(OWNER, "mixed") == 8
    qtbot.waitUntil(lambda: window.stream_browser.count_text("mixed") == "8")


def test_preview_shows_display_rendition_and_counts_a_view(
    library: dict[Visibility, list[str]],
    make_window: WindowFactory,
    manager: StreamImageManager,
    qtbot: QtBot,
) -> None:
    window = make_window(stream="mixed", role=Role.SUBSCRIBER)
    image_id = library[Visibility.SUBSCRIBERS][0]
    view = window.gallery.view
    view.setCurrentIndex(window.gallery.model.index_of(image_id))
    with qtbot.waitSignal(window.preview.pixmap_shown, timeout=20_000) as shown:
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert shown.args == [image_id]
    preview = window.preview
    assert preview.isVisible()
    assert not preview.view.pixmap.isNull()
    assert preview.view.pixmap.width() == 64  # the display rendition is never upscaled
    assert preview.info.value("Visibility") == "Subscribers only"
    assert preview.info.value("Dimensions") == "64 x 48 px"
    # The view is counted just after the picture is on screen (ViewerWindow._later).
    qtbot.waitUntil(lambda: manager.image(OWNER, image_id).views == 1)
    assert manager.image(OWNER, image_id).views == 1


def test_create_stream_dialog_validates_inline(
    window: MainWindow, manager: StreamImageManager, qtbot: QtBot
) -> None:
    window.stream_browser.new_button.click()
    dialog = dialog_of(qtbot, window, CreateStreamDialog)
    ok = dialog._buttons.buttons()[0]
    qtbot.keyClicks(dialog.id_edit, "Bad Id!")
    assert dialog.error_label.isVisible()
    assert dialog.error_label.text().startswith("Invalid stream id")
    assert not ok.isEnabled()
    dialog.id_edit.selectAll()
    qtbot.keyClick(dialog.id_edit, Qt.Key.Key_Backspace)  # emptied by hand: follows the title
    qtbot.keyClicks(dialog.title_edit, "Friday Speedruns")
    assert dialog.id_edit.text() == "friday-speedruns"
    assert dialog.error_label.text() == ""
    dialog.accept()
    qtbot.waitUntil(lambda: window.stream_browser.count_text("friday-speedruns") == "0")
    assert window.stream_id == "friday-speedruns"
    assert [s.stream.title for s in manager.streams(OWNER)] == ["Friday Speedruns"]


def test_create_stream_dialog_refuses_an_existing_id(
    library: dict[Visibility, list[str]], window: MainWindow, qtbot: QtBot
) -> None:
    window.stream_browser.new_button.click()
    dialog = dialog_of(qtbot, window, CreateStreamDialog)
    qtbot.keyClicks(dialog.id_edit, "mixed")
    assert dialog.error_label.text() == "A stream with id 'mixed' exists already."
    dialog.reject()


def test_rename_and_delete_stream(
    library: dict[Visibility, list[str]],
    make_window: WindowFactory,
    manager: StreamImageManager,
    qtbot: QtBot,
) -> None:
    from PySide6.QtWidgets import QInputDialog

    window = make_window(stream="other")
    window.stream_browser.rename_button.click()
    dialog = dialog_of(qtbot, window, QInputDialog)
    dialog.setTextValue("Other things")
    dialog.accept()
    qtbot.waitUntil(
        lambda: (
            {s.stream.id: s.stream.title for s in manager.streams(OWNER)}.get("other")
            == "Other things"
        )
    )
    qtbot.waitUntil(lambda: window.stream_browser.title_of("other") == "Other things")
    assert window.status.currentMessage() == "Renamed “other” to “Other things”"
    window.stream_browser.delete_button.click()
    asked = answer(qtbot, QMessageBox.StandardButton.Yes)
    assert "“Other things” (id other) and its 2 images?" in asked  # the title, then the id
    qtbot.waitUntil(lambda: [s.stream.id for s in manager.streams(OWNER)] == ["mixed"])
    qtbot.waitUntil(
        lambda: window.stream_id is None and window.stream_browser.count_text(None) == "9"
    )


@pytest.mark.parametrize("role", [Role.SUBSCRIBER, Role.VIEWER])
def test_stream_actions_are_owner_only(
    library: dict[Visibility, list[str]], make_window: WindowFactory, role: Role
) -> None:
    window = make_window(stream="mixed", role=role)
    browser = window.stream_browser
    assert not browser.new_button.isEnabled()
    assert not browser.rename_button.isEnabled()
    assert not browser.delete_button.isEnabled()
    assert "Only the owner" in browser.new_button.toolTip()
    window.set_role(Role.OWNER)
    assert browser.new_button.isEnabled() and browser.delete_button.isEnabled()


def test_settings_round_trip(
    library: dict[Visibility, list[str]],
    make_window: WindowFactory,
    qsettings: QSettings,
    qtbot: QtBot,
) -> None:
    first = make_window()
    first.select_stream("other")
    first.set_role(Role.SUBSCRIBER)
    first.toolbar.set_tile_size(208)
    first.toolbar.set_sort(Sort.MOST_VIEWED)
    first.resize(720, 520)  # the offscreen screen is 800x600
    qtbot.waitUntil(lambda: first.stream_id == "other")
    size = first.size()
    first.close()
    assert qsettings.value("view/role") == "subscriber"
    second = make_window()
    qtbot.waitUntil(lambda: second.stream_id == "other")
    assert second.viewer == Viewer(Role.SUBSCRIBER)
    assert second.toolbar.role_switcher.badge.text() == "Viewing as Subscriber"
    assert second.toolbar.tile_size() == 208 and second.gallery.tile_size == 208
    assert second.toolbar.sort() is Sort.MOST_VIEWED
    assert second.size() == size
    assert second.restoreState(first.saveState(1), 1)


def test_command_line_role_and_stream_win_over_remembered_ones(
    library: dict[Visibility, list[str]], make_window: WindowFactory, qsettings: QSettings
) -> None:
    qsettings.setValue("view/role", "viewer")
    qsettings.setValue("view/stream", "other")
    window = make_window(role="owner", stream="mixed")
    assert window.viewer.role is Role.OWNER
    assert window.stream_id == "mixed"


def test_the_window_reaches_both_caches_through_the_manager(
    library: dict[Visibility, list[str]],
    make_window: WindowFactory,
    manager: StreamImageManager,
    qtbot: QtBot,
) -> None:
    """The window attaches its pixmap cache to the manager, and the cache pane's disk figures
    are the manager's: one door for both layers."""

    def gallery_items() -> int:
        memory = manager.cache_stats().memory
        assert memory is not None  # attached by the window
        page = memory.pages.get("gallery")
        return 0 if page is None else page.items

    window = make_window(stream="mixed")
    qtbot.waitUntil(lambda: gallery_items() > 0)
    window.cache_pane.refresh_now()
    disk = manager.cache_stats().disk
    assert disk.items > 0
    assert window.cache_pane.disk_values["items"].text() == f"{disk.items:,}"
    manager.clear_cache(page="gallery")
    assert gallery_items() == 0
