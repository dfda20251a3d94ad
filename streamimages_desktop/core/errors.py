"""Error families: what the user is told (ours to phrase) versus bugs (a traceback is a defect)."""

from __future__ import annotations


class StreamImagesError(Exception):
    """An error with a one-line message meant for the user; never shown as a traceback."""


class NotFound(StreamImagesError):
    """No such image or stream — also what a role gets for one it may not see, so nothing leaks."""


class AccessDenied(StreamImagesError):
    """The role may not change the library (only the owner edits, imports and deletes)."""


class ImageRejected(StreamImagesError):
    """An import refused for a reason the user can act on; `reason` is the short phrase."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class StreamFull(ImageRejected):
    """The stream already holds MAX_STREAM_IMAGES_PER_STREAM images."""


class DuplicateImage(StreamImagesError):
    """The same bytes are already in this stream; `image_id` is the existing row."""

    def __init__(self, image_id: str) -> None:
        super().__init__(f"already in this stream as {image_id}")
        self.image_id = image_id


class StreamExists(StreamImagesError):
    """A stream with that id exists already."""


class LibraryError(StreamImagesError):
    """The environment stopped us: disk full, permissions, a library from a newer version."""
