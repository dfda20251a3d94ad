"""Animated GIF and WebP: frames decoded on a worker, played on the GUI thread by a QTimer."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QImageReader, QPixmap

ANIMATED_FORMATS = frozenset({"GIF", "WEBP"})
MAX_FRAMES = 600
MAX_FRAME_BYTES = 256 * 1024 * 1024  # decoded frames of one animation, at most
DEFAULT_DELAY_MS = 100  # what browsers use for a frame that declares 0 or 10 ms
MIN_DELAY_MS = 20


@dataclass(frozen=True)
class Frame:
    image: QImage
    delay_ms: int


def decode_frames(data: bytes, max_side: int) -> list[Frame] | None:
    """Worker side: every frame, scaled to fit `max_side`, with its delay; None if not animated.

    QImageReader composes each GIF/WebP frame onto the canvas (disposal handled by Qt's plugin),
    so a frame is a whole picture. Stops at MAX_FRAMES or MAX_FRAME_BYTES of decoded pixels.
    """
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    if not reader.supportsAnimation() or reader.imageCount() == 1:
        return None
    size = reader.size()
    if size.isValid() and max(size.width(), size.height()) > max_side:
        reader.setScaledSize(
            size.scaled(QSize(max_side, max_side), Qt.AspectRatioMode.KeepAspectRatio)
        )
    frames: list[Frame] = []
    total = 0
    while len(frames) < MAX_FRAMES and total < MAX_FRAME_BYTES:
        image = reader.read()
        if image.isNull():
            break
        delay = reader.nextImageDelay()
        frames.append(Frame(image, DEFAULT_DELAY_MS if delay <= 10 else max(MIN_DELAY_MS, delay)))
        total += image.sizeInBytes()
    buffer.close()
    return frames if len(frames) > 1 else None


class FramePlayer(QObject):
    """Plays decoded frames in a loop, each for its own delay (a single-shot QTimer per frame).

    Pixmaps are made once per frame, on the GUI thread, the first time each is shown.

    Signals:
        frame_changed(QPixmap): the frame to paint now.

    Attributes:
        timer: the single-shot timer whose timeout advances a frame (tests drive it).
        index: the frame shown now.
    """

    frame_changed = Signal(QPixmap)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.timer = QTimer(self, singleShot=True)
        self.timer.timeout.connect(self.advance)
        self._frames: list[Frame] = []
        self._pixmaps: dict[int, QPixmap] = {}
        self.index = 0

    @property
    def frame_count(self) -> int:
        return len(self._frames)

    @property
    def playing(self) -> bool:
        return self.timer.isActive()

    def play(self, frames: list[Frame]) -> None:
        """Start from the first frame."""
        self.stop()
        self._frames = frames
        self.index = 0
        self._show()

    def stop(self) -> None:
        """Stop and drop the frames (another image is shown)."""
        self.timer.stop()
        self._frames, self._pixmaps = [], {}

    def pause(self) -> None:
        self.timer.stop()

    def resume(self) -> None:
        if self._frames and not self.timer.isActive():
            self.timer.start(self._frames[self.index].delay_ms)

    def advance(self) -> None:
        if not self._frames:
            return
        self.index = (self.index + 1) % len(self._frames)
        self._show()

    def _show(self) -> None:
        frame = self._frames[self.index]
        pixmap = self._pixmaps.get(self.index)
        if pixmap is None:
            pixmap = self._pixmaps[self.index] = QPixmap.fromImage(frame.image)
        self.frame_changed.emit(pixmap)
        self.timer.start(frame.delay_ms)
