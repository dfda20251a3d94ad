"""The first-run offer: an empty library gets the choice of a small "sample" stream, once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.units import count_of
from streamimages_desktop.ui import failures
from streamimages_desktop.ui.app import sample_library
from streamimages_desktop.ui.tasks import TaskRunner
from streamimages_desktop.ui.window.main_window import MainWindow

SAMPLE_OFFERED_KEY = "first_run/sample_offered_libraries"


def first_run_of(qsettings: QSettings, library: Path) -> bool:
    """True the first time the window opens `library`; remembered per library, so a new
    (empty) library made with --library is offered the sample too, but never twice."""
    stored = qsettings.value(SAMPLE_OFFERED_KEY, [])
    if isinstance(stored, str):  # INI reads a one-item list back as a plain string
        offered = [stored]
    else:
        offered = [str(p) for p in stored] if isinstance(stored, list) else []
    if str(library) in offered:
        return False
    qsettings.setValue(SAMPLE_OFFERED_KEY, [*offered, str(library)])
    return True


def offer_sample(
    window: MainWindow,
    manager: StreamImageManager,
    runner: TaskRunner,
    *,
    ask: bool,
    on_finished: Callable[[bool], None] | None = None,
) -> None:
    """If the library is empty, create the "sample" stream (asking first unless `ask` is False).

    The emptiness check and the import run on `runner`; `on_finished(created)` is called last.
    """
    done = on_finished or (lambda _created: None)

    def on_checked(empty: bool) -> None:
        if not empty:
            done(False)
            return
        if ask:
            answer = QMessageBox.question(
                window,
                "Welcome to StreamImages",
                'Your library is empty. Create a stream called "sample" with a few images '
                "so you can try the gallery, the roles and the cache right away?",
            )
            if answer != QMessageBox.StandardButton.Yes:
                done(False)
                return
        runner.submit(lambda: sample_library.create_sample(manager), on_created, on_failed)

    def on_created(count: int) -> None:
        window.status.flash(f"Created the sample stream with {count_of(count, 'image')}")
        window.select_stream(sample_library.SAMPLE_STREAM)
        window.refresh_all()
        done(True)

    def on_failed(exc: Exception) -> None:
        window.status.flash(f"Could not create the sample stream: {failures.handle(exc)}")
        done(False)

    runner.submit(
        lambda: sample_library.library_is_empty(manager) and bool(sample_library.sample_paths()),
        on_checked,
        on_failed,
    )
