"""ThumbnailLoader and TaskRunner: work off the GUI thread, newest first, exact counts, no retry."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from streamimages_desktop.core.errors import NotFound
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER, Role, Viewer, Visibility
from streamimages_desktop.ui.gallery.thumbnail_loader import ThumbnailLoader
from streamimages_desktop.ui.tasks import TaskRunner
from tests.images import image_bytes
from tests.ui.conftest import import_images

WAIT = 10.0  # seconds a gate waits before a test gives up (never reached when all is well)


class GatedSource:
    """A rendition source whose calls block until the test opens the gate; records the order."""

    def __init__(self, missing: frozenset[str] = frozenset()) -> None:
        self.gate = threading.Event()
        self.started = threading.Event()
        self.calls: list[str] = []
        self.threads: list[threading.Thread] = []
        self.missing = missing

    def rendition(self, viewer: Viewer, image_id: str, rendition: str = "thumb") -> bytes:
        self.calls.append(image_id)
        self.threads.append(threading.current_thread())
        self.started.set()
        assert self.gate.wait(WAIT)
        if image_id in self.missing:
            raise NotFound(f"no image {image_id}")
        return image_bytes("JPEG", size=(40, 30), seed=len(self.calls))


@pytest.fixture
def source() -> GatedSource:
    return GatedSource(missing=frozenset({"gone"}))


@pytest.fixture
def loader(qtbot: QtBot, source: GatedSource) -> Iterator[ThumbnailLoader]:
    made = ThumbnailLoader(source, max_threads=1)
    yield made
    source.gate.set()
    assert made.shutdown()


def test_loads_a_real_thumbnail_on_a_worker_and_delivers_a_qimage_on_the_gui_thread(
    qtbot: QtBot, manager: StreamImageManager, image_dir: Path
) -> None:
    (image_id,) = import_images(manager, "one", image_dir, 1, size=(300, 120))
    loader = ThumbnailLoader(manager)
    delivered_on: list[threading.Thread] = []
    loader.loaded.connect(lambda *_: delivered_on.append(threading.current_thread()))
    with qtbot.waitSignal(loader.loaded) as blocker:
        assert loader.request(OWNER, image_id)
    got_id, image = blocker.args
    assert got_id == image_id
    assert isinstance(image, QImage) and not image.isNull()
    assert (image.width(), image.height()) == (200, 80)  # THUMB_SIZE, aspect kept
    assert delivered_on == [threading.main_thread()]
    assert loader.shutdown()


def test_a_role_that_may_not_see_the_image_gets_a_failure_not_pixels(
    qtbot: QtBot, manager: StreamImageManager, image_dir: Path
) -> None:
    (private,) = import_images(manager, "one", image_dir, 1, visibility=Visibility.PRIVATE)
    loader = ThumbnailLoader(manager)
    with qtbot.assertNotEmitted(loader.loaded), qtbot.waitSignal(loader.failed) as blocker:
        loader.request(Viewer(Role.VIEWER), private)
    assert blocker.args == [private, f"no image {private}"]
    assert loader.shutdown()


def test_the_newest_request_loads_first(
    qtbot: QtBot, loader: ThumbnailLoader, source: GatedSource
) -> None:
    order: list[str] = []
    loader.loaded.connect(lambda image_id, _image: order.append(image_id))
    loader.request(OWNER, "a")  # starts at once and blocks in the gate
    assert source.started.wait(WAIT)
    for image_id in ("b", "c", "d"):
        assert loader.request(OWNER, image_id)
    assert not loader.request(OWNER, "b")  # repainted: moves back to the front, not queued twice
    source.gate.set()
    qtbot.waitUntil(lambda: len(order) == 4)
    assert order == ["a", "b", "d", "c"]
    assert source.calls == order
    assert all(t is not threading.main_thread() for t in source.threads)


def test_retain_drops_requests_scrolled_out_of_view(
    qtbot: QtBot, loader: ThumbnailLoader, source: GatedSource
) -> None:
    loader.request(OWNER, "a")
    assert source.started.wait(WAIT)
    for image_id in ("b", "c", "d", "e"):
        loader.request(OWNER, image_id)
    assert loader.retain({"c", "e"}) == 2
    assert loader.pending_count == 3  # a (running), c, e
    with qtbot.waitSignal(loader.idle):
        source.gate.set()
    assert sorted(source.calls) == ["a", "c", "e"]


def test_clear_pending_drops_queued_work_and_ignores_late_results(
    qtbot: QtBot, loader: ThumbnailLoader, source: GatedSource
) -> None:
    loader.request(OWNER, "a")
    assert source.started.wait(WAIT)
    loader.request(OWNER, "b")
    loader.clear_pending()  # e.g. the role changed
    assert loader.pending_count == 0
    assert not loader.is_pending("a")
    with qtbot.assertNotEmitted(loader.loaded):
        source.gate.set()
        qtbot.waitUntil(lambda: not loader.runner.busy)
    assert source.calls == ["a"]
    with qtbot.waitSignal(loader.loaded) as blocker:  # the new generation may ask again
        assert loader.request(OWNER, "a")
    assert blocker.args[0] == "a"


def test_a_failed_image_is_not_retried_until_a_new_generation(
    qtbot: QtBot, loader: ThumbnailLoader, source: GatedSource
) -> None:
    source.gate.set()
    with qtbot.waitSignal(loader.failed) as blocker:
        loader.request(OWNER, "gone")
    assert blocker.args == ["gone", "no image gone"]
    assert not loader.request(OWNER, "gone")
    assert loader.has_failed("gone") and not loader.is_pending("gone")
    assert source.calls == ["gone"]
    loader.clear_pending()  # a new generation (stream, role or search changed) tries again
    with qtbot.waitSignal(loader.failed):
        assert loader.request(OWNER, "gone")
    assert source.calls == ["gone", "gone"]


def test_task_runner_counts_exactly_across_clear_queued(qtbot: QtBot) -> None:
    runner = TaskRunner(max_threads=1)
    gate, started = threading.Event(), threading.Event()
    done: list[int] = []
    busy: list[bool] = []
    runner.busy_changed.connect(busy.append)

    def blocked() -> int:
        started.set()
        assert gate.wait(WAIT)
        return 0

    runner.submit(blocked, done.append)
    assert started.wait(WAIT)
    for n in range(1, 5):
        runner.submit(lambda n=n: n, done.append)
    assert runner.pending == 5
    assert runner.clear_queued() == 4
    assert runner.pending == 1 and runner.busy
    assert busy == [True]
    with qtbot.waitSignal(runner.busy_changed, check_params_cb=lambda b: b is False):
        gate.set()
    assert done == [0]
    assert runner.pending == 0 and busy == [True, False]


def test_task_runner_hands_errors_to_on_error_on_the_gui_thread(qtbot: QtBot) -> None:
    runner = TaskRunner()
    errors: list[tuple[Exception, threading.Thread]] = []

    def fail() -> None:
        raise NotFound("no image x")

    with qtbot.waitSignal(runner.busy_changed, check_params_cb=lambda b: b is False):
        runner.submit(
            fail, lambda _r: None, lambda e: errors.append((e, threading.current_thread()))
        )
    ((error, thread),) = errors
    assert isinstance(error, NotFound) and thread is threading.main_thread()
