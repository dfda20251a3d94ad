"""One failure handler for the window: the user's and the environment's errors are one line,
a bug is logged with its traceback and shown as an internal error with the log's path.

Call sites keep showing a line where the action happened (a status flash, a message box);
they hand the exception to `handle()`, which decides by family (core/errors.py), never by
wording. `FailureHandler.install()` also makes it the hook for exceptions escaping Qt slots.
"""

from __future__ import annotations

import logging
import os
import platform
import sqlite3
import sys
import traceback
from collections.abc import Callable
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType

import appdirs
from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from streamimages_desktop import __version__
from streamimages_desktop.core import failures
from streamimages_desktop.core.errors import StreamImagesError

LOG_DIR_ENV = "STREAMIMAGES_LOG_DIR"
LOG_FILE = "streamimages.log"
INTERNAL_LINE = "an internal error occurred (a bug); the details are in the log"
_LOG_BYTES, _LOG_BACKUPS = 1_000_000, 3
_APP_LOGGER = "streamimages_desktop"  # bugs logged anywhere in the package reach the file

log = logging.getLogger(__name__)
ShowLine = Callable[[str], object]
_ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], object]


def default_log_dir() -> Path:
    """$STREAMIMAGES_LOG_DIR if set (tests), else the user's log folder from appdirs."""
    override = os.environ.get(LOG_DIR_ENV)
    if override:
        return Path(override)
    return Path(appdirs.user_log_dir("StreamImages", appauthor=False))


def user_line(exc: BaseException) -> str | None:
    """The one line for a failure of the user's input or of the environment; None for a bug.

    Our own errors carry their line. A raw OSError or sqlite3 error that slipped past core is
    still the environment's when its errno or result code says so.
    """
    if isinstance(exc, StreamImagesError):
        return str(exc) or type(exc).__name__
    if isinstance(exc, OSError) and exc.errno is not None:
        reason = failures.os_reason(exc)
        return f"{reason}: {exc.filename}" if exc.filename else reason
    kind = failures.sqlite_kind(exc) if isinstance(exc, sqlite3.Error) else None
    if kind is not None:
        return f"the database could not be used ({kind.value})"
    return None


def report_text(exc: BaseException) -> str:
    """What a bug report needs: version, platform and the full traceback."""
    trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return (
        f"StreamImages Desktop {__version__}\n"
        f"Python {platform.python_version()} on {platform.platform()}\n\n{trace}"
    )


class InternalErrorDialog(QDialog):
    """Says a bug happened (not the user's doing), where its log is, and copies the report.

    Attributes:
        message: the label naming the log file.
        details: the report (traceback) in a read-only text box.
        copy_button: puts the report on the clipboard.
    """

    def __init__(self, report: str, log_path: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Internal error")
        self.setAccessibleName("Internal error")
        self.report = report
        icon = QLabel(self)
        icon.setPixmap(
            self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical).pixmap(48, 48)
        )
        where = (
            f"The details were written to the log file:<br><code>{log_path}</code>"
            if log_path is not None
            else "The log file could not be written; copy the report below instead."
        )
        self.message = QLabel(
            "<b>Something went wrong inside StreamImages.</b><br>"
            "This is a bug, not something you did; what you were doing may not have finished."
            f"<br><br>{where}",
            self,
        )
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = QPlainTextEdit(report, self)
        self.details.setReadOnly(True)
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.details.setAccessibleName("Error report")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = QPushButton("Copy report", self)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_report)
        buttons.rejected.connect(self.reject)
        top = QHBoxLayout()
        top.addWidget(icon, 0)
        top.addWidget(self.message, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.details, 1)
        layout.addWidget(buttons)
        self.resize(640, 380)

    def text(self) -> str:
        return self.message.text()

    def copy_report(self) -> None:
        QGuiApplication.clipboard().setText(self.report)
        self.copy_button.setText("Copied")


class FailureHandler(QObject):
    """Routes failures by family; safe to call from any thread (a bug is queued to the GUI).

    Signals:
        bug_reported(str): a bug was logged and shown; the report text.

    Attributes:
        log_path: the log file bugs are written to.
        dialog: the internal-error dialog on screen, if any.
    """

    bug_reported = Signal(str)
    _bug = Signal(object)

    def __init__(self, log_dir: Path | None = None, window: QWidget | None = None) -> None:
        super().__init__(window)
        self._window = window
        self.log_path = (log_dir if log_dir is not None else default_log_dir()) / LOG_FILE
        self.dialog: InternalErrorDialog | None = None
        self._file: logging.Handler | None = None
        self._previous_hook: _ExceptHook | None = None
        self._bug.connect(self._on_bug)  # queued when emitted on a worker thread

    def handle(self, exc: BaseException, show: ShowLine | None = None) -> str:
        """Call `show(line)` for the user's or the environment's failure and return the line;
        for a bug, log and show it as an internal error and return INTERNAL_LINE."""
        line = user_line(exc)
        if line is None:
            self._bug.emit(exc)
            return INTERNAL_LINE
        if show is not None:
            show(line)
        return line

    def install(self) -> None:
        """Become the window's handler: module-level handle(), the log file, sys.excepthook."""
        global _current
        _current = self
        self._file = self._open_log()
        if self._file is not None:
            logging.getLogger(_APP_LOGGER).addHandler(self._file)
        self._previous_hook = sys.excepthook
        sys.excepthook = self._excepthook

    def uninstall(self) -> None:
        global _current
        if _current is self:
            _current = None
        if self._previous_hook is not None:
            sys.excepthook = self._previous_hook
            self._previous_hook = None
        if self._file is not None:
            logging.getLogger(_APP_LOGGER).removeHandler(self._file)
            self._file.close()
            self._file = None

    def _open_log(self) -> logging.Handler | None:
        try:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            handler = RotatingFileHandler(
                self.log_path, maxBytes=_LOG_BYTES, backupCount=_LOG_BACKUPS, encoding="utf-8"
            )
        except OSError as exc:
            log.warning("cannot write the log %s: %s", self.log_path, failures.os_reason(exc))
            return None
        handler.setLevel(logging.ERROR)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        return handler

    def _excepthook(
        self, kind: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        """An exception escaped a Qt slot or virtual method."""
        if not isinstance(exc, Exception):  # KeyboardInterrupt, SystemExit: not ours
            if self._previous_hook is not None:
                self._previous_hook(kind, exc, tb)
            return
        if exc.__traceback__ is None:
            exc = exc.with_traceback(tb)
        from streamimages_desktop.ui.window import dialogs  # the window package imports us

        parent = self._window
        self.handle(exc, None if parent is None else lambda t: dialogs.warn(parent, "Error", t))

    @Slot(object)
    def _on_bug(self, exc: BaseException) -> None:
        report = report_text(exc)
        log.error("internal error\n%s", report.rstrip())
        written = self._file is not None
        if self.dialog is not None and self.dialog.isVisible():
            self.bug_reported.emit(report)  # one dialog at a time; the log has every report
            return
        self.dialog = InternalErrorDialog(report, self.log_path if written else None, self._window)
        self.dialog.open()
        self.bug_reported.emit(report)


_current: FailureHandler | None = None


def current() -> FailureHandler | None:
    """The installed handler (the running window's), if any."""
    return _current


def handle(exc: BaseException, show: ShowLine | None = None) -> str:
    """The installed handler's handle(); with none installed (tests of a single widget) a bug
    is logged with its traceback and INTERNAL_LINE returned."""
    if _current is not None:
        return _current.handle(exc, show)
    line = user_line(exc)
    if line is None:
        log.error("internal error", exc_info=(type(exc), exc, exc.__traceback__))
        return INTERNAL_LINE
    if show is not None:
        show(line)
    return line
