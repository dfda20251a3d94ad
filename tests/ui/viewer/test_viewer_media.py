"""The viewer's pixels: animations play, decoding never runs on the GUI thread, EXIF is the
owner's only."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot

from streamimages_desktop.core import imaging
from streamimages_desktop.core.importer import ImportOptions
from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER, Role, Visibility
from streamimages_desktop.ui.gallery.pixmap_cache import PixmapCache
from streamimages_desktop.ui.viewer import animation, prefetch
from streamimages_desktop.ui.viewer.viewer_window import ViewerWindow
from streamimages_desktop.ui.window.main_window import MainWindow
from tests.images import picture
from tests.ui import window_fixtures
from tests.ui.window_fixtures import WindowFactory

make_window = window_fixtures.make_window
qsettings = window_fixtures.qsettings

pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"
)

SHOTS = Path("/tmp/shots")
COLOURS = ((220, 30, 30), (30, 200, 40), (30, 60, 220))
DELAYS = (70, 120, 200)


def import_file(manager: StreamImageManager, path: Path, stream: str = "media") -> str:
    options = ImportOptions(visibility=Visibility.SUBSCRIBERS)
    [result] = manager.import_paths(OWNER, stream, [path], options)
    assert result.image_id is not None, result
    return result.image_id


def write_animation(path: Path, fmt: str) -> Path:
    """Three solid frames, red, green, blue, shown for 70, 120 and 200 ms."""
    frames = [Image.new("RGB", (90, 60), colour) for colour in COLOURS]
    params: dict[str, Any] = {"lossless": True} if fmt == "WEBP" else {}
    frames[0].save(
        path, fmt, save_all=True, append_images=frames[1:], duration=list(DELAYS), loop=0, **params
    )
    return path


def centre_colour(viewer: ViewerWindow) -> QColor:
    image = viewer.view.pixmap.toImage()
    return image.pixelColor(image.width() // 2, image.height() // 2)


def near(colour: QColor, rgb: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 12 for a, b in zip(colour.getRgb()[:3], rgb, strict=True))


def show(qtbot: QtBot, window: MainWindow, image_id: str) -> ViewerWindow:
    with qtbot.waitSignal(window.preview.pixmap_shown, timeout=10_000):
        window.gallery.open_requested.emit(image_id)
    return window.preview


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_an_animation_plays_each_frame_for_its_own_delay(
    manager: StreamImageManager,
    make_window: WindowFactory,
    image_dir: Path,
    qtbot: QtBot,
    fmt: str,
) -> None:
    image_dir.mkdir(parents=True, exist_ok=True)
    image_id = import_file(manager, write_animation(image_dir / f"dance.{fmt.lower()}", fmt))
    window = make_window(stream="media")
    viewer = show(qtbot, window, image_id)
    player = viewer.player
    qtbot.waitUntil(lambda: player.frame_count == 3, timeout=10_000)
    player.pause()  # the test drives the frames, not the clock
    assert player.index == 0 and near(centre_colour(viewer), COLOURS[0])
    intervals = []
    for step in (1, 2, 0):
        player.timer.timeout.emit()  # the current frame's delay is over
        assert player.index == step
        assert near(centre_colour(viewer), COLOURS[step])
        intervals.append(player.timer.interval())
        player.pause()
    assert intervals == [DELAYS[1], DELAYS[2], DELAYS[0]]
    if fmt == "GIF":
        SHOTS.mkdir(exist_ok=True)
        assert viewer.grab().save(str(SHOTS / "viewer_gif.png"))
    # Stepping away stops the animation.
    viewer.forget()
    assert player.frame_count == 0 and not player.playing


def test_a_still_gif_is_not_animated(
    manager: StreamImageManager, make_window: WindowFactory, image_dir: Path, qtbot: QtBot
) -> None:
    image_dir.mkdir(parents=True, exist_ok=True)
    path = image_dir / "still.gif"
    picture((40, 30)).save(path, "GIF")
    image_id = import_file(manager, path)
    window = make_window(stream="media")
    viewer = show(qtbot, window, image_id)
    qtbot.waitUntil(lambda: window._runner.pending == 0)
    assert viewer.player.frame_count == 0 and not viewer.view.pixmap.isNull()


def record_threads(
    monkeypatch: pytest.MonkeyPatch, module: object, name: str
) -> list[tuple[threading.Thread, tuple[Any, ...]]]:
    """Wrap module.name so each call records the thread it ran on and its arguments."""
    calls: list[tuple[threading.Thread, tuple[Any, ...]]] = []
    real: Callable[..., Any] = getattr(module, name)

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append((threading.current_thread(), args))
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return calls


def test_display_renditions_and_frames_are_made_and_decoded_on_workers_and_neighbours_prefetched(
    manager: StreamImageManager,
    make_window: WindowFactory,
    image_dir: Path,
    pixmap_cache: PixmapCache,
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    image_dir.mkdir(parents=True, exist_ok=True)
    for n in range(4):
        picture((900, 600), seed=n).save(image_dir / f"still-{n}.jpg", "JPEG")
    for n in range(4):
        import_file(manager, image_dir / f"still-{n}.jpg")
    import_file(manager, write_animation(image_dir / "moving.gif", "GIF"))
    decodes = record_threads(monkeypatch, prefetch, "decode_display")
    renders = record_threads(monkeypatch, imaging, "preview_pixels")
    encodes = record_threads(monkeypatch, imaging, "finish_rendition")
    frames = record_threads(monkeypatch, animation, "decode_frames")
    window = make_window(stream="media")
    order = [image.id for image in window.gallery.model.images]
    decodes.clear()
    renders.clear()  # grid thumbnails so far; the viewer's work starts here
    encodes.clear()
    viewer = show(qtbot, window, order[1])
    rendition = viewer._rendition
    dpr = viewer.devicePixelRatioF()
    for neighbour in (order[0], order[2]):
        qtbot.waitUntil(lambda n=neighbour: viewer.loader.cached(n, rendition, dpr) is not None)
    asked = {args[2] for _thread, args in decodes}
    assert {order[0], order[1], order[2]} <= asked
    # The next image is painted from the prefetched pixmap during the key press itself.
    qtbot.waitUntil(viewer.isActiveWindow)
    with qtbot.waitSignal(viewer.pixmap_shown, timeout=1) as shown:
        qtbot.keyClick(viewer, Qt.Key.Key_Right)
    assert shown.args == [order[2]]
    for image_id in order:  # the animated one is in there too
        with qtbot.waitSignal(viewer.pixmap_shown, timeout=10_000):
            window.preview.show_image(window.viewer, image_id)
    qtbot.waitUntil(lambda: not window._runner.busy and not viewer.loader.runner.busy)
    assert renders and frames and decodes and encodes
    gui = threading.main_thread()
    assert all(thread is not gui for thread, _ in decodes + renders + frames + encodes)
    # A cold rendition was shown from its pixels and then written to the disk cache.
    assert manager.rendition_or_pixels(window.viewer, order[1], rendition) == (
        manager.rendition(window.viewer, order[1], rendition)
    )


def exif_jpeg(path: Path) -> Path:
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x0110] = "Canon EOS R5"
    exif.get_ifd(0x8769)[0x8827] = 800
    picture((64, 48)).save(path, "JPEG", exif=exif)
    return path


def test_the_exif_summary_is_shown_to_the_owner_only(
    manager: StreamImageManager,
    make_window: WindowFactory,
    image_dir: Path,
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    image_dir.mkdir(parents=True, exist_ok=True)
    image_id = import_file(manager, exif_jpeg(image_dir / "camera.jpg"))
    window = make_window(stream="media")
    viewer = show(qtbot, window, image_id)
    qtbot.waitUntil(lambda: viewer.info.exif_rows() != [])
    assert dict(viewer.info.exif_rows()) == {"Camera": "Canon EOS R5", "ISO": "800"}
    assert viewer.info.exif_title.isVisible()
    window.set_role(Role.SUBSCRIBER)  # it may still see the image, but not its metadata
    assert viewer.isVisible() and viewer.info.exif_rows() == []
    assert not viewer.info.exif_title.isVisible()
    assert viewer.info.exif_form.rowCount() == 0
    asked = record_threads(monkeypatch, manager, "exif_summary")
    with qtbot.waitSignal(viewer.loaded, timeout=10_000):
        viewer.show_image(window.viewer, image_id)
    qtbot.waitUntil(lambda: not window._runner.busy)
    assert asked == [] and viewer.info.exif_rows() == []
    assert viewer.info.exif_form.rowCount() == 0


def test_the_view_paints_the_picture_centred(
    manager: StreamImageManager, make_window: WindowFactory, image_dir: Path, qtbot: QtBot
) -> None:
    image_dir.mkdir(parents=True, exist_ok=True)
    path = image_dir / "red.png"
    Image.new("RGB", (200, 100), COLOURS[0]).save(path)
    window = make_window(stream="media")
    image_id = import_file(manager, path)
    window.refresh_all()
    qtbot.waitUntil(lambda: window.gallery.model.row_of(image_id) is not None)
    viewer = show(qtbot, window, image_id)
    painted = viewer.view.grab().toImage()
    centre = QPoint(painted.width() // 2, painted.height() // 2)
    assert near(painted.pixelColor(centre), COLOURS[0])
    assert not near(painted.pixelColor(QPoint(2, 2)), COLOURS[0])  # the backdrop
