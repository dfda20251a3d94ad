"""RenditionKey: which rendition file a cache entry is, from validated values only.

File names are built from these keys alone, so they are never built from user text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from streamimages_desktop.core.disk_index import RENDITION_RE

__all__ = ["RENDITIONS", "RenditionKey", "check_image_id"]

RENDITIONS = frozenset({"thumb", "display"})
_IMAGE_ID_RE = re.compile(r"[0-9a-f]{32}")  # uuid4().hex
_SHA256_RE = re.compile(r"[0-9a-f]{64}")


def check_image_id(image_id: str) -> str:
    """`image_id` if it is one (32 lowercase hex digits); else ValueError."""
    if not isinstance(image_id, str) or not _IMAGE_ID_RE.fullmatch(image_id):
        raise ValueError(f"image id must be 32 lowercase hex digits, not {image_id!r}")
    return image_id


@dataclass(frozen=True)
class RenditionKey:
    """Which file: an image id (uuid hex), a rendition and the original's SHA-256.

    A rendition is "thumb" or "display", or one of them keyed by its side in pixels
    ("thumb@400", "display@2048": the grid on a HiDPI screen, the viewer fitted to a screen).

    Only validated keys exist, so file names are never built from user text; a replaced
    original has another sha256 and never finds the old rendition.
    """

    image_id: str
    rendition: str
    sha256: str

    def __post_init__(self) -> None:
        # Inline, not check_image_id(): a key is made for every thumbnail the grid asks for.
        if not isinstance(self.image_id, str) or not _IMAGE_ID_RE.fullmatch(self.image_id):
            raise ValueError(f"image id must be 32 lowercase hex digits, not {self.image_id!r}")
        if not isinstance(self.rendition, str) or not RENDITION_RE.fullmatch(self.rendition):
            raise ValueError(
                f"rendition must be one of {sorted(RENDITIONS)}, optionally @pixels,"
                f" not {self.rendition!r}"
            )
        if not isinstance(self.sha256, str) or not _SHA256_RE.fullmatch(self.sha256):
            raise ValueError(f"sha256 must be 64 lowercase hex digits, not {self.sha256!r}")
