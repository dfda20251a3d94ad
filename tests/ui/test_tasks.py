"""TaskRunner on a QThreadPool: priorities, and one SQLite connection per pool thread."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QRunnable, QThreadPool
from pytestqt.qtbot import QtBot

from streamimages_desktop.core import database
from streamimages_desktop.core.database import Database
from streamimages_desktop.ui.tasks import TaskRunner

WAIT = 10.0


def test_higher_priority_starts_first(qtbot: QtBot) -> None:
    runner = TaskRunner(max_threads=1)
    gate, started = threading.Event(), threading.Event()
    order: list[str] = []

    def first() -> None:
        started.set()
        assert gate.wait(WAIT)

    runner.submit(first, lambda _r: None)
    assert started.wait(WAIT)
    runner.submit(lambda: order.append("low"), lambda _r: None, priority=0)
    runner.submit(lambda: order.append("high"), lambda _r: None, priority=5)
    runner.submit(lambda: order.append("low too"), lambda _r: None, priority=0)
    with qtbot.waitSignal(runner.busy_changed, check_params_cb=lambda b: b is False):
        gate.set()
    assert order == ["high", "low", "low too"]


def test_a_pool_thread_reuses_its_sqlite_connection_across_tasks(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PySide forgets a pool thread's thread-locals after each task; the store must not."""
    db = Database(tmp_path / "library.sqlite3")
    opened: list[int] = []
    real_connect = sqlite3.connect

    def counting_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        opened.append(threading.get_ident())
        return real_connect(*args, **kwargs)

    monkeypatch.setattr(database.sqlite3, "connect", counting_connect)
    runner = TaskRunner(max_threads=1)
    threads: list[int] = []
    for _ in range(6):
        runner.submit(lambda: db._query("SELECT 1"), lambda _r: threads.append(0))
    qtbot.waitUntil(lambda: len(threads) == 6)
    assert len(opened) == 1 and opened[0] != threading.get_ident()
    assert db.open_connections() == 2  # the main thread's (migrations) and the worker's
    db.close()


def test_the_connection_of_an_expired_pool_thread_is_closed(qtbot: QtBot, tmp_path: Path) -> None:
    """Python keeps a _DummyThread for a Qt pool thread forever; the database must still see
    that the thread ended and close its connection."""
    db = Database(tmp_path / "library.sqlite3")
    pool = QThreadPool()
    pool.setExpiryTimeout(20)  # ms: the idle pool thread ends almost at once
    done = threading.Event()

    class Query(QRunnable):
        def run(self) -> None:
            db._query("SELECT 1")
            done.set()

    pool.start(Query())
    assert done.wait(WAIT)
    assert pool.waitForDone(int(WAIT * 1000))
    assert any(isinstance(t, threading._DummyThread) for t in threading.enumerate())
    qtbot.waitUntil(lambda: db.open_connections() == 1, timeout=int(WAIT * 1000))
    db.close()
