"""Error families, told apart by class and kind, never by wording.

- UserError: the user's input (a bad file, a bad value, a stream that does not exist).
- EnvironmentProblem: the machine stopped us (disk full, read-only, busy, a damaged library);
  its `kind` says which, so code can act on it without reading the message.
- Anything else is a bug: a traceback belongs in a log, not in front of the user.

Both families are StreamImagesError, whose message is one line meant for the user.
"""

from __future__ import annotations

from enum import Enum


class StreamImagesError(Exception):
    """An error with a one-line message meant for the user; never shown as a traceback."""


class UserError(StreamImagesError):
    """The user's input was refused; trying again with other input may work."""


class ProblemKind(Enum):
    """What the environment did; one value per thing the user (or code) can do about it."""

    FULL = "full"  # no space left, or a quota or size limit reached
    READ_ONLY = "read-only"  # the file system or the file refuses writes
    BUSY = "busy"  # another program holds a lock; trying again later may work
    PERMISSION = "permission"  # the operating system denied access
    DAMAGED = "damaged"  # not a library, or a corrupt one
    MISSING = "missing"  # a file or folder that should be there is not
    IN_THE_WAY = "in the way"  # a file where a folder belongs, or the reverse
    LINK_LOOP = "link loop"  # symbolic links that point at each other
    UNSUPPORTED = "unsupported"  # this installation cannot read it (newer schema, no FTS5)
    CLOSED = "closed"  # the library was closed
    IO = "i/o"  # the disk or the file system failed some other way
    UNREACHABLE = "unreachable"  # a team library's database or storage server did not answer
    CREDENTIALS = "credentials"  # a server refused the name, password or key we gave it


class EnvironmentProblem(StreamImagesError):
    """The environment stopped us; `kind` is the ProblemKind, the message names the file."""

    def __init__(self, message: str, kind: ProblemKind = ProblemKind.IO) -> None:
        super().__init__(message)
        self.kind = kind


LibraryError = EnvironmentProblem
"""The name the environment family had first; kept so existing code and tests read on."""


class NotFound(UserError):
    """No such image or stream — also what a role gets for one it may not see, so nothing leaks."""


class AccessDenied(UserError):
    """The role may not change the library (only the owner edits, imports and deletes)."""


class ImageRejected(UserError):
    """An import refused for a reason the user can act on; `reason` is the short phrase."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class StreamFull(ImageRejected):
    """The stream already holds MAX_STREAM_IMAGES_PER_STREAM images."""


class DuplicateImage(UserError):
    """The same bytes are already in this stream; `image_id` is the existing row."""

    def __init__(self, image_id: str) -> None:
        super().__init__(f"already in this stream as {image_id}")
        self.image_id = image_id


class StreamExists(UserError):
    """A stream with that id exists already."""


class StaleEdit(UserError):
    """Someone changed the image after this edit's copy was read; nothing was written, and the
    caller should show the image as it stands now."""
