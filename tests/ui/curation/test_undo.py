"""Undo and redo in the window (issue 9): every step puts back the exact rows and files, a
refused undo changes nothing, and changes made by another process show up by themselves."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QDropEvent
from pytestqt.qtbot import QtBot

from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER, Role, Visibility
from streamimages_desktop.core.settings import Settings
from streamimages_desktop.ui.curation.trash_view import THUMB_PX
from streamimages_desktop.ui.gallery.pixmap_cache import PixmapCache
from streamimages_desktop.ui.window.main_window import MainWindow
from tests.images import write_image
from tests.ui import window_fixtures
from tests.ui.conftest import import_images, mixed_library
from tests.ui.window_fixtures import WindowFactory, grid_ids

make_window = window_fixtures.make_window
qsettings = window_fixtures.qsettings

REPO = Path(__file__).resolve().parents[3]
# `updated` is when a row last changed and `trashed` when it was trashed: an undo or redo is
# itself a change made now, so those two times are compared as "trashed or not" only.
ROW = (
    "id, stream_id, title, description, original_name, visibility, format, width, height,"
    " bytes, sha256, created, views, last_accessed, trashed IS NOT NULL"
)


@pytest.fixture
def library(manager: StreamImageManager, image_dir: Path) -> dict[Visibility, list[str]]:
    groups = mixed_library(manager, image_dir)
    import_images(manager, "other", image_dir, 2, first_seed=100)
    return groups


def state(
    settings: Settings,
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], list[str]]:
    """Every image row, every stream row and every original on disk."""
    with sqlite3.connect(settings.stream_images_dir / "library.sqlite3") as conn:
        images = conn.execute(f"SELECT {ROW} FROM images ORDER BY id").fetchall()
        streams = conn.execute(
            "SELECT id, title, owner, created, trashed IS NOT NULL FROM streams ORDER BY id"
        ).fetchall()
    conn.close()
    files = sorted(p.name for p in (settings.stream_images_dir / "originals").rglob("*.*"))
    return images, streams, files


def settle(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: not window.curation.busy and not window._runner.busy, timeout=10_000)


def undo_redo_round_trip(
    qtbot: QtBot, window: MainWindow, settings: Settings, before: object
) -> None:
    settle(qtbot, window)
    after = state(settings)
    assert after != before
    window.curation.undo_action.trigger()
    qtbot.waitUntil(lambda: state(settings) == before, timeout=5000)
    settle(qtbot, window)
    window.curation.redo_action.trigger()
    qtbot.waitUntil(lambda: state(settings) == after, timeout=5000)
    settle(qtbot, window)


def test_visibility_of_many_is_one_named_step(
    library: dict[Visibility, list[str]],
    make_window: WindowFactory,
    settings: Settings,
    qtbot: QtBot,
    tmp_path: Path,
) -> None:
    window = make_window(stream="mixed")
    ids = library[Visibility.PUBLIC]
    before = state(settings)
    window.image_actions.set_visibility_of(ids, Visibility.PRIVATE)
    qtbot.waitUntil(lambda: window.curation.undo_action.text() == "Undo Make 3 images private")
    undo_redo_round_trip(qtbot, window, settings, before)
    assert window.curation.stack.count() == 1
    edit = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Edit")
    edit.ensurePolished()
    edit.adjustSize()
    edit.grab().save(str(tmp_path / "edit-menu.png"))  # looked at by hand


def test_delete_undo_redo_and_the_trash(
    library: dict[Visibility, list[str]],
    make_window: WindowFactory,
    manager: StreamImageManager,
    settings: Settings,
    qtbot: QtBot,
) -> None:
    window = make_window(stream="mixed")
    ids = library[Visibility.SUBSCRIBERS][:2]
    before = state(settings)
    window.image_actions.delete(ids)
    qtbot.waitUntil(lambda: not (set(ids) & grid_ids(window)))
    qtbot.waitUntil(lambda: window.stream_browser.count_text("mixed") == "7")
    assert {t.image.id for t in manager.trash(OWNER)} == set(ids)
    undo_redo_round_trip(qtbot, window, settings, before)
    assert window.curation.undo_action.text() == "Undo Delete 2 images"


def test_move_copy_and_stream_steps_round_trip(
    library: dict[Visibility, list[str]],
    make_window: WindowFactory,
    settings: Settings,
    qtbot: QtBot,
) -> None:
    window = make_window(stream="mixed")
    ids = library[Visibility.PUBLIC][:2]
    for copy, target in ((False, "other"), (True, "mixed")):  # copied back where they were
        before = state(settings)
        window.image_actions.place(ids, target, copy=copy)
        undo_redo_round_trip(qtbot, window, settings, before)
    before = state(settings)
    window.stream_browser._create("fresh", "Fresh")
    undo_redo_round_trip(qtbot, window, settings, before)
    before = state(settings)
    window.stream_browser._rename("fresh", "Renamed")
    undo_redo_round_trip(qtbot, window, settings, before)
    before = state(settings)
    window.stream_browser._delete("mixed")
    undo_redo_round_trip(qtbot, window, settings, before)


def test_an_undo_whose_target_is_gone_refuses_and_changes_nothing(
    library: dict[Visibility, list[str]],
    make_window: WindowFactory,
    manager: StreamImageManager,
    settings: Settings,
    qtbot: QtBot,
) -> None:
    window = make_window(stream="mixed")
    ids = library[Visibility.PUBLIC][:2]
    window.image_actions.place(ids, "other", copy=False)
    settle(qtbot, window)
    manager.delete_images(OWNER, [ids[1]])  # "elsewhere": the moved image is gone
    before = state(settings)
    with qtbot.waitSignal(window.curation.refused, timeout=5000) as refused:
        window.curation.undo_action.trigger()
    assert refused.args == [f"image {ids[1]} is gone"]
    settle(qtbot, window)
    assert state(settings) == before  # the other image did not move back alone
    assert window.curation.stack.index() == 1  # still undoable once the cause is fixed
    manager.restore_images(OWNER, [ids[1]])
    window.curation.undo_action.trigger()
    qtbot.waitUntil(lambda: manager.image(OWNER, ids[1]).stream_id == "mixed", timeout=5000)


def cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    command = [sys.executable, "-m", "streamimages_desktop", "--library"]
    command += [str(settings.stream_images_dir), "--cache-dir", str(settings.image_cache_dir)]
    return subprocess.run(
        [*command, *args], env=env, capture_output=True, text=True, timeout=60, check=True
    )


def test_a_cli_import_and_a_cli_view_show_up_in_the_open_window(
    library: dict[Visibility, list[str]],
    make_window: WindowFactory,
    settings: Settings,
    qtbot: QtBot,
    tmp_path: Path,
) -> None:
    window = make_window(stream="mixed")
    assert window.stream_browser.count_text("mixed") == "9"
    picture = write_image(tmp_path / "from-cli.png", seed=777)
    out = cli(settings, "import", "--stream", "mixed", str(picture)).stdout
    new_id = out.split()[1]
    qtbot.waitUntil(lambda: new_id in grid_ids(window), timeout=2000)
    qtbot.waitUntil(lambda: window.stream_browser.count_text("mixed") == "10", timeout=2000)
    public = library[Visibility.PUBLIC][0]
    model = window.gallery.model
    tip = model.data(model.index_of(public), Qt.ItemDataRole.ToolTipRole)
    cli(settings, "show", public, "--as", "viewer")
    qtbot.waitUntil(
        lambda: model.data(model.index_of(public), Qt.ItemDataRole.ToolTipRole) != tip,
        timeout=2000,
    )
    assert "1 view" in model.data(model.index_of(public), Qt.ItemDataRole.ToolTipRole)


def private_ones_trashed(
    make_window: WindowFactory, library: dict[Visibility, list[str]], qtbot: QtBot
) -> tuple[MainWindow, list[str]]:
    """The window on stream "mixed" once its private images were deleted; their ids."""
    window = make_window(stream="mixed")
    ids = library[Visibility.PRIVATE]
    window.image_actions.delete(ids)
    settle(qtbot, window)
    return window, ids


def test_the_trash_view_restores_and_empties(
    library: dict[Visibility, list[str]],
    make_window: WindowFactory,
    manager: StreamImageManager,
    settings: Settings,
    qtbot: QtBot,
    tmp_path: Path,
) -> None:
    window, ids = private_ones_trashed(make_window, library, qtbot)
    trash = window.stream_browser.open_trash()
    qtbot.waitUntil(lambda: set(trash.ids()) == set(ids))
    trash.grab().save(str(tmp_path / "trash.png"))
    trash.tree.topLevelItem(0).setSelected(True)
    restored = trash.ids()[0]
    trash.restore_selected()
    qtbot.waitUntil(lambda: restored in grid_ids(window))
    qtbot.waitUntil(lambda: len(trash.ids()) == 2)
    assert window.curation.undo_action.text() == "Undo Restore 1 image"
    trash.empty_button.click()
    window_fixtures.answer(qtbot, window_fixtures.QMessageBox.StandardButton.Yes)
    qtbot.waitUntil(lambda: trash.ids() == [])
    assert manager.trash(OWNER) == []
    on_disk = {
        p.name.split(".")[0] for p in (settings.stream_images_dir / "originals").rglob("*.*")
    }
    assert len(on_disk) == 9  # the two purged originals went, the other nine stayed


def test_the_trash_says_how_much_it_holds_and_opens_from_the_edit_menu(
    library: dict[Visibility, list[str]],
    make_window: WindowFactory,
    qtbot: QtBot,
    tmp_path: Path,
) -> None:
    window = make_window(stream="mixed")
    button = window.stream_browser.trash_button
    assert button.text() == "Trash"
    window.image_actions.delete(library[Visibility.PRIVATE])
    settle(qtbot, window)
    qtbot.waitUntil(lambda: button.text() == "Trash (3)")
    window.stream_browser.grab().save(str(tmp_path / "streams-with-trash.png"))
    edit_menu = window.menuBar().actions()[1].menu()
    assert window.trash_action in edit_menu.actions()
    assert window.trash_action.isEnabled()
    window.trash_action.trigger()
    trash = window.stream_browser.trash_dialog
    assert trash is not None and trash.isVisible()
    qtbot.waitUntil(lambda: len(trash.ids()) == 3)
    trash.tree.topLevelItem(0).setSelected(True)
    trash.restore_selected()
    qtbot.waitUntil(lambda: button.text() == "Trash (2)")
    trash.close()
    window.set_role(Role.VIEWER)  # only the owner has a Trash
    assert not window.trash_action.isEnabled() and not button.isVisibleTo(window)


def test_the_trash_shows_each_image_s_thumbnail_and_a_placeholder_without_its_original(
    library: dict[Visibility, list[str]],
    make_window: WindowFactory,
    manager: StreamImageManager,
    settings: Settings,
    qtbot: QtBot,
    tmp_path: Path,
) -> None:
    window, ids = private_ones_trashed(make_window, library, qtbot)
    gone = manager.trash(OWNER)[-1].image  # its original goes missing
    for original in (settings.stream_images_dir / "originals").rglob(f"{gone.sha256}.*"):
        original.unlink()
    trash = window.stream_browser.open_trash()
    with qtbot.waitSignal(trash.thumbnails_shown, timeout=20_000):
        qtbot.waitUntil(lambda: set(trash.ids()) == set(ids))
    trash.grab().save(str(tmp_path / "trash-thumbnails.png"))
    placeholder = trash._placeholder.toImage().pixelColor(0, 0)
    centres = {}
    for index in range(trash.tree.topLevelItemCount()):
        row = trash.tree.topLevelItem(index)
        assert row is not None
        picture = row.icon(0).pixmap(THUMB_PX).toImage()
        centres[row.data(0, Qt.ItemDataRole.UserRole)] = picture.pixelColor(
            picture.width() // 2, picture.height() // 2
        )
    assert centres[gone.id] == placeholder
    assert all(colour != placeholder for i, colour in centres.items() if i != gone.id)
    assert trash.note.text().startswith("3 images in the trash")  # no error for the lost one
    quit_at_once: list[bool] = []  # the window quits while the thumbnails load again

    def quit_now(_count: int) -> None:
        quit_at_once.append(trash._thumbnails.busy)
        window.stream_browser.shutdown()
        quit_at_once.append(trash._thumbnails.wait(0))  # none queued, none running

    trash.loaded.connect(quit_now)
    with qtbot.waitSignal(trash.loaded):
        trash.reload()
    assert quit_at_once == [True, True]


def test_dragging_tiles_onto_a_stream_moves_them_and_ctrl_copies(
    library: dict[Visibility, list[str]],
    make_window: WindowFactory,
    manager: StreamImageManager,
    qtbot: QtBot,
) -> None:
    window = make_window(stream="mixed")
    ids = library[Visibility.PUBLIC][:2]
    model = window.gallery.model
    browser = window.stream_browser
    item = browser._item_for("other")
    assert item is not None
    where = QPointF(browser.tree.visualItemRect(item).center())
    dragged = (
        (ids[0], Qt.KeyboardModifier.ControlModifier),
        (ids[1], Qt.KeyboardModifier.NoModifier),
    )
    for image_id, modifiers in dragged:
        mime = model.mimeData([model.index_of(image_id)])
        drop = QDropEvent(
            where,
            Qt.DropAction.CopyAction | Qt.DropAction.MoveAction,
            mime,
            Qt.MouseButton.LeftButton,
            modifiers,
        )
        # Qt delivers a drop only during a real drag; the filter is what a real one reaches.
        assert browser.eventFilter(browser.tree.viewport(), drop)
        settle(qtbot, window)
    in_other = [i.id for i in manager.images(OWNER, "other")]
    assert ids[1] in in_other and len(in_other) == 4  # two were there, one copy, one moved
    assert manager.image(OWNER, ids[0]).stream_id == "mixed"
    assert window.curation.undo_action.text() == "Undo Move 1 image to other"


def test_a_trashed_image_leaves_the_pixmap_cache_too(
    make_window: WindowFactory,
    manager: StreamImageManager,
    library: dict[Visibility, list[str]],
    pixmap_cache: PixmapCache,
    qtbot: QtBot,
) -> None:
    """Trashed elsewhere (another process, the command line): once the window notices, no
    page of the memory cache holds a pixmap of it any more."""
    window = make_window()
    victim = library[Visibility.PUBLIC][0]

    def cached(image_id: str) -> bool:
        return any(key[0] == image_id for _page, key in pixmap_cache.memory.keys_by_recency())

    other = library[Visibility.PUBLIC][1]
    # Both thumbnails were painted (they load in any order on two workers).
    qtbot.waitUntil(lambda: cached(victim) and cached(other), timeout=10_000)
    manager.delete_images(OWNER, [victim])
    window.refresh_all()  # what the watcher does within a second
    qtbot.waitUntil(lambda: victim not in grid_ids(window), timeout=10_000)
    assert not cached(victim)
    assert cached(other)  # the others stay cached
