"""The first-run sample stream: images from resources/samples so a new user sees a gallery."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from streamimages_desktop.core.errors import StreamExists
from streamimages_desktop.core.models import OWNER, Visibility

if TYPE_CHECKING:
    from streamimages_desktop.core.manager import StreamImageManager

SAMPLE_STREAM = "sample"
SAMPLE_TITLE = "Sample stream"
SAMPLES_DIR = Path(__file__).resolve().parents[3] / "resources" / "samples"


@dataclass(frozen=True)
class Sample:
    """One sample file with the title, description and visibility it is imported with."""

    file: str
    title: str
    description: str
    visibility: Visibility


SAMPLES = (
    Sample("stream-overlay.png", "Overlay layout", "Webcam, chat and sub goal.", Visibility.PUBLIC),
    Sample("sunset-hills.jpg", "Sunset hills", "Starting-soon background.", Visibility.PUBLIC),
    Sample("calm-ocean.jpg", "Calm ocean", "BRB screen.", Visibility.PUBLIC),
    Sample("gg-confetti.png", "GG confetti", "End-of-stream card.", Visibility.PUBLIC),
    Sample("low-poly.jpg", "Low-poly banner", "Subscriber wallpaper.", Visibility.SUBSCRIBERS),
    Sample("city-night.jpg", "City at night", "Unreleased art, owner only.", Visibility.PRIVATE),
)


def sample_paths(folder: Path = SAMPLES_DIR) -> list[Path]:
    """The sample files that exist (an installation without resources/ has none)."""
    return [folder / s.file for s in SAMPLES if (folder / s.file).is_file()]


def library_is_empty(manager: StreamImageManager) -> bool:
    """True when the library has no stream at all (worker thread: it runs a query)."""
    return not manager.streams(OWNER)


def create_sample(manager: StreamImageManager, folder: Path = SAMPLES_DIR) -> int:
    """Create the "sample" stream and import the samples with their titles; return images imported.

    Runs on a worker thread: it reads files and decodes images.
    """
    paths = sample_paths(folder)
    if not paths:
        return 0
    with contextlib.suppress(StreamExists):
        manager.create_stream(OWNER, SAMPLE_STREAM, SAMPLE_TITLE)
    by_name = {s.file: s for s in SAMPLES}
    imported = 0
    for result in manager.import_paths(OWNER, SAMPLE_STREAM, paths):
        sample = by_name.get(Path(result.source).name)
        if sample is None or result.image_id is None or result.status != "imported":
            continue
        manager.update_image(
            OWNER,
            result.image_id,
            title=sample.title,
            description=sample.description,
            visibility=sample.visibility,
        )
        imported += 1
    return imported
