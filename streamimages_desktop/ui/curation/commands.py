"""Undoable steps: each a core operation run on a worker, pushed once it has succeeded.

QUndoStack.push() calls redo() at once, on the GUI thread; the work must not run there. So a
step is pushed only after its operation succeeded, and the stack is *silent* while it is
pushed (redo() skips that first call). Later undo() and redo() calls (menu, shortcut, the
Undo History view) start the inverse on the worker; if the library changed elsewhere and the
core refuses, the stack is put back silently where it was and the refusal is one line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence, QUndoCommand, QUndoStack

from streamimages_desktop.ui import failures
from streamimages_desktop.ui.tasks import TaskRunner

Work = Callable[[], Any]


class Step(QUndoCommand):
    """One change: `undo_work` and `redo_work` run on the worker (the core does each in one
    transaction, so a refused one changes nothing)."""

    def __init__(self, stack: CurationStack, text: str, undo_work: Work, redo_work: Work) -> None:
        super().__init__(text)
        self._owner, self.undo_work, self.redo_work = stack, undo_work, redo_work

    def undo(self) -> None:
        self._owner._replay(self, self.undo_work, f"Undid {self.text()}", undone=True)

    def redo(self) -> None:
        self._owner._replay(self, self.redo_work, f"Redid {self.text()}", undone=False)


class CurationStack(QObject):
    """The window's QUndoStack with Undo/Redo actions; runs each step's work on the runner.

    Signals:
        changed(str): a step (or its undo/redo) finished; the text is a status line.
        refused(str): an undo or redo the core refused (the one clear line); nothing changed.
    """

    changed = Signal(str)
    refused = Signal(str)

    def __init__(self, runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self.stack = QUndoStack(self)
        self._silent = False
        self._busy = False
        self.undo_action: QAction = self.stack.createUndoAction(self, "Undo")
        self.undo_action.setShortcuts(QKeySequence.StandardKey.Undo)
        self.redo_action: QAction = self.stack.createRedoAction(self, "Redo")
        self.redo_action.setShortcuts(QKeySequence.StandardKey.Redo)  # Ctrl+Shift+Z, Ctrl+Y

    @property
    def busy(self) -> bool:
        """A step's work is running; undo and redo wait for it."""
        return self._busy

    def run(
        self,
        text: str,
        work: Callable[[], Any],
        make_inverse: Callable[[Any], tuple[Work, Work] | None],
        on_done: Callable[[Any], str] | None = None,
        on_failed: Callable[[Exception], None] | None = None,
    ) -> None:
        """Run `work` on the worker; when it succeeds push a step named `text`.

        `make_inverse(result)` gives (undo_work, redo_work) from what `work` returned (None:
        nothing changed, nothing to push); `on_done(result)` gives the status line. A failure
        goes to `on_failed` (e.g. a pane's own warning) or else `refused`.
        """

        def done(result: Any) -> None:
            self._busy = False
            inverse = make_inverse(result)
            if inverse is not None:
                self.push(text, *inverse)
            self.changed.emit(on_done(result) if on_done is not None else text)

        def failed(exc: Exception) -> None:
            self._busy = False
            if on_failed is not None:
                on_failed(exc)
            else:
                self._on_failed(exc)

        self._busy = True
        self._runner.submit(work, done, failed)

    def push(self, text: str, undo_work: Work, redo_work: Work) -> Step:
        """Record an already-applied change (redo() is not run for it)."""
        step = Step(self, text, undo_work, redo_work)
        self._silent = True
        try:
            self.stack.push(step)
        finally:
            self._silent = False
        return step

    def _replay(self, step: Step, work: Work, line: str, *, undone: bool) -> None:
        if self._silent:
            return
        # The stack has already moved; on a refusal it goes back to where it was.
        back_to = self.stack.index() + (1 if undone else -1)
        self._busy = True
        self.undo_action.setEnabled(False)
        self.redo_action.setEnabled(False)

        def done(_result: Any) -> None:
            self._settle()
            self.changed.emit(line)

        def failed(exc: Exception) -> None:
            self._silent = True
            try:
                self.stack.setIndex(back_to)
            finally:
                self._silent = False
            self._settle()
            self._on_failed(exc)

        self._runner.submit(work, done, failed)

    def _settle(self) -> None:
        self._busy = False
        self.undo_action.setEnabled(self.stack.canUndo())
        self.redo_action.setEnabled(self.stack.canRedo())

    def _on_failed(self, exc: Exception) -> None:
        self._busy = False
        line = failures.handle(exc)
        self.refused.emit(line)
