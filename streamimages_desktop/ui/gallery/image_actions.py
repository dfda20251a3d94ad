"""What can be done to selected images: open, edit text, set visibility, delete, move and copy
to another stream (owner only). Every change is an undoable step (ui/curation/commands.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from streamimages_desktop.core.access import can_edit
from streamimages_desktop.core.labels import visibility_choice, visibility_name
from streamimages_desktop.core.models import OWNER, Placed, StreamImage, Viewer, Visibility
from streamimages_desktop.core.units import count_of
from streamimages_desktop.ui import failures
from streamimages_desktop.ui.curation.commands import CurationStack
from streamimages_desktop.ui.tasks import TaskRunner
from streamimages_desktop.ui.window import dialogs

if TYPE_CHECKING:
    from streamimages_desktop.core.manager import StreamImageManager
    from streamimages_desktop.ui.gallery.widget import GalleryWidget

READ_ONLY_TIP = "The library is read-only: nothing can be changed"
OWNER_ONLY_TIP = "Only the owner can change images (Ctrl+1)"


class ImageActions(QObject):
    """The image actions of the menu bar and the gallery's context menu, and what they run.

    Every change runs on a worker; when it is done `changed` tells the window to re-query.

    Signals:
        open_requested(str): show this image in the viewer.
        changed(str): images were edited or deleted; the text is a status line.
        deleted(list): the ids of images just deleted (previews and caches forget them).

    Attributes:
        open_action, edit_action, delete_action, select_all_action: menu-bar actions.
        visibility_actions: one checkable action per Visibility (for the submenu).
        last_menu: the context menu most recently shown (for tests).
    """

    open_requested = Signal(str)
    changed = Signal(str)
    deleted = Signal(list)

    def __init__(
        self,
        manager: StreamImageManager,
        gallery: GalleryWidget,
        runner: TaskRunner,
        parent: QWidget,
        curation: CurationStack | None = None,
    ) -> None:
        super().__init__(parent)
        self._manager, self._gallery, self._runner = manager, gallery, runner
        self.curation = curation if curation is not None else CurationStack(runner, self)
        self.curation.changed.connect(self.changed)
        self.curation.refused.connect(self.changed)
        self._window = parent
        self._viewer = OWNER
        self._ids: list[str] = []  # what the open context menu acts on
        self.last_menu: QMenu | None = None
        self.stream_ids: Callable[[], list[str]] = list  # the window gives the browser's
        self.open_action = self._action("Open in viewer", self._on_open_triggered)
        self.edit_action = self._action("Edit title and description…", self._on_edit_triggered)
        self.delete_action = self._action("Delete…", self._on_delete_triggered)
        self.delete_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        self.move_action = self._action("Move to stream…", lambda: self._ask_stream(copy=False))
        self.copy_action = self._action("Copy to stream…", lambda: self._ask_stream(copy=True))
        self.select_all_action = self._action("Select all images", gallery.view.selectAll)
        self.select_all_action.setShortcut(QKeySequence(QKeySequence.StandardKey.SelectAll))
        # Only while the gallery has focus: Delete in the search field edits text instead.
        for action in (self.delete_action, self.select_all_action):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            gallery.addAction(action)
        group = QActionGroup(self)
        self.visibility_actions: dict[Visibility, QAction] = {}
        for vis in Visibility:
            choice = visibility_choice(vis)
            action = self._action(choice, lambda _c=False, v=vis: self._set_visibility(v))
            action.setCheckable(True)
            group.addAction(action)
            self.visibility_actions[vis] = action
        self.set_viewer(OWNER)

    def _action(self, text: str, slot: Callable[..., Any]) -> QAction:
        action = QAction(text, self)
        action.triggered.connect(slot)
        return action

    def set_viewer(self, viewer: Viewer) -> None:
        """Edits are for the owner only: disable them (with a reason) for other roles."""
        self._viewer = viewer
        owner = can_edit(viewer)
        edits = (
            self.edit_action,
            self.delete_action,
            self.move_action,
            self.copy_action,
            *self.visibility_actions.values(),
        )
        why = OWNER_ONLY_TIP if viewer.may_edit else READ_ONLY_TIP
        for action in edits:
            action.setEnabled(owner)
            action.setToolTip("" if owner else why)
            action.setStatusTip("" if owner else why)

    def _targets(self) -> list[str]:
        return list(self._ids) or self._gallery.selected_ids()

    # --- context menu ---------------------------------------------------------------------

    def show_menu(self, global_pos: QPoint, ids: list[str]) -> QMenu:
        """Pop up the context menu for `ids` (the selection under the cursor)."""
        self._ids = list(ids)
        menu = QMenu(self._window)
        menu.setAccessibleName("Image actions")
        menu.setToolTipsVisible(True)  # says why edits are disabled for other roles
        menu.addAction(self.open_action)
        menu.addSeparator()
        submenu = menu.addMenu("Set visibility")
        submenu.setAccessibleName("Set visibility")
        submenu.setEnabled(can_edit(self._viewer) and bool(ids))
        current = {image.visibility for i in ids if (image := self._image(i)) is not None}
        for vis, action in self.visibility_actions.items():
            action.setChecked(current == {vis})
            submenu.addAction(action)
        menu.addAction(self.edit_action)
        menu.addAction(self.move_action)
        menu.addAction(self.copy_action)
        menu.addSeparator()
        menu.addAction(self.delete_action)
        self.open_action.setEnabled(len(ids) == 1)
        self.edit_action.setEnabled(can_edit(self._viewer) and len(ids) == 1)
        self.delete_action.setEnabled(can_edit(self._viewer) and bool(ids))
        self.move_action.setEnabled(can_edit(self._viewer) and bool(ids))
        self.copy_action.setEnabled(can_edit(self._viewer) and bool(ids))
        menu.aboutToHide.connect(self._on_menu_about_to_hide)
        self.last_menu = menu
        menu.popup(global_pos)
        return menu

    def _on_menu_about_to_hide(self) -> None:
        # A clicked action triggers after aboutToHide: forget the targets one event-loop turn later.
        QTimer.singleShot(0, self._reset_targets)

    def _reset_targets(self) -> None:
        if self.last_menu is not None and not self.last_menu.isVisible():
            self.last_menu.deleteLater()
            self.last_menu = None
        self._ids = []
        self.set_viewer(self._viewer)
        self.open_action.setEnabled(True)

    # --- the actions ----------------------------------------------------------------------

    def _on_open_triggered(self) -> None:
        ids = self._targets()
        if ids:
            self.open_requested.emit(ids[0])

    def _image(self, image_id: str) -> StreamImage | None:
        row = self._gallery.model.row_of(image_id)
        return None if row is None else self._gallery.model.image_at(row)

    def _on_edit_triggered(self) -> None:
        ids = self._targets()
        image = self._image(ids[0]) if ids else None
        if image is not None:
            self.edit_image(image)

    def edit_image(self, image: StreamImage, parent: QWidget | None = None) -> None:
        """Ask for a new title and description of `image` (the grid's or the viewer's)."""
        if not can_edit(self._viewer):
            return
        dialog = dialogs.EditImageDialog(image.title, image.description, parent or self._window)
        # The edit is of the version the dialog showed: if someone else (another member of a
        # team library, another program) saved meanwhile, it is refused, not overwritten.
        dialog.accepted.connect(
            lambda: self._save_text(image.id, *dialog.values(), based_on=image.version)
        )
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _save_text(
        self, image_id: str, title: str, description: str, *, based_on: int | None = None
    ) -> None:
        viewer, manager = self._viewer, self._manager
        old = self._image(image_id)
        new_title = title or None

        def save(t: str | None, d: str, version: int | None = None) -> Callable[[], Any]:
            return lambda: manager.update_image(
                viewer, image_id, title=t, description=d, expected_version=version
            )

        self._step(
            f"Edit “{old.title if old else image_id}”",
            save(new_title, description, based_on),
            lambda _image: (
                None
                if old is None
                else (save(old.title, old.description), save(new_title, description))
            ),
            lambda _image: "Saved the image's title and description",
        )

    def _set_visibility(self, visibility: Visibility) -> None:
        self.set_visibility_of(self._targets(), visibility)

    def set_visibility_of(self, ids: list[str], visibility: Visibility) -> None:
        """Give `ids` another visibility on a worker, as one undoable step."""
        viewer, manager = self._viewer, self._manager
        if not ids or not can_edit(viewer):
            return
        wanted = dict.fromkeys(ids, visibility)
        label = visibility_name(visibility).lower()
        self._step(
            f"Make {count_of(len(ids), 'image')} {label}",
            lambda: manager.set_visibility(viewer, wanted),
            lambda before: (
                lambda: manager.set_visibility(viewer, before),
                lambda: manager.set_visibility(viewer, wanted),
            ),
            lambda _before: f"{count_of(len(ids), 'image')} now {label}",
        )

    def request_delete(self, ids: list[str]) -> None:
        """Ask, then move `ids` to the trash (the Delete key, the menu bar or the context menu);
        Undo brings them back."""
        if not ids or not can_edit(self._viewer):
            return
        text = "Delete this image?" if len(ids) == 1 else f"Delete these {len(ids)} images?"
        dialogs.ask(
            self._window,
            "Delete images",
            f"{text} It goes to the Trash (Undo brings it back).",
            lambda: self.delete(ids),
        )

    def delete(self, ids: list[str]) -> None:
        """Move `ids` to the trash as one undoable step (no question asked)."""
        viewer, manager = self._viewer, self._manager

        def inverse(trashed: list[str]) -> tuple[Callable[[], Any], Callable[[], Any]] | None:
            self.deleted.emit(trashed)
            if not trashed:
                return None
            return (
                lambda: manager.restore_images(viewer, trashed),
                lambda: manager.delete_images(viewer, trashed),
            )

        self._step(
            f"Delete {count_of(len(ids), 'image')}",
            lambda: manager.delete_images(viewer, ids),
            inverse,
            lambda trashed: f"Moved {count_of(len(trashed), 'image')} to the Trash",
        )

    def _ask_stream(self, *, copy: bool) -> None:
        ids = self._targets()
        if not ids or not can_edit(self._viewer):
            return
        current = {image.stream_id for i in ids if (image := self._image(i)) is not None}
        streams = [s for s in self.stream_ids() if s not in current]
        dialogs.choose_stream(
            self._window,
            "Copy to stream" if copy else "Move to stream",
            streams,
            lambda target: self.place(ids, target, copy=copy),
        )

    def place(self, ids: list[str], target: str, *, copy: bool) -> None:
        """Move (or copy) `ids` to stream `target` as one undoable step; each image is checked
        against the target's limit and duplicates, and a rejection is said in the status line."""
        viewer, manager = self._viewer, self._manager
        verb = "Copy" if copy else "Move"

        def work() -> list[Placed]:
            if copy:
                return manager.copy_images(viewer, ids, target)
            return manager.move_images(viewer, ids, target)

        def inverse(placed: list[Placed]) -> tuple[Callable[[], Any], Callable[[], Any]] | None:
            ok = [p for p in placed if p.ok]
            if not ok:
                return None
            if copy:
                new_ids = {p.image_id: str(p.new_id) for p in ok}
                return (
                    lambda: manager.uncopy(viewer, list(new_ids.values())),
                    lambda: manager.copy_images(viewer, list(new_ids), target, new_ids),
                )
            return (
                lambda: manager.replay_move(viewer, ok, forward=False),
                lambda: manager.replay_move(viewer, ok, forward=True),
            )

        def line(placed: list[Placed]) -> str:
            done = sum(p.ok for p in placed)
            said = f"{'Copied' if copy else 'Moved'} {count_of(done, 'image')} to {target}"
            rejected = [p for p in placed if not p.ok]
            if rejected:
                said += f"; {rejected[0].image_id[:8]}… rejected: {rejected[0].reason}"
                if len(rejected) > 1:
                    said += f" (and {len(rejected) - 1} more)"
            return said

        self._step(f"{verb} {count_of(len(ids), 'image')} to {target}", work, inverse, line)

    def _on_delete_triggered(self) -> None:
        self.request_delete(self._targets())

    def _step(
        self,
        text: str,
        work: Callable[[], Any],
        inverse: Callable[[Any], Any],
        on_done: Callable[[Any], str],
    ) -> None:
        """An undoable step; a refused first run is said as before (one line, one box)."""
        self.curation.run(text, work, inverse, on_done, self._on_failed)

    def _on_failed(self, exc: Exception) -> None:
        self.changed.emit(
            failures.handle(exc, lambda line: dialogs.warn(self._window, "Images", line))
        )
