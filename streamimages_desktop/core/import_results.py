"""What an import says about each file: the result types and the one-line refusal reasons.

Apart from the importer's machinery so that the UI, the CLI and the walk can name results and
reasons without loading the preparation or commit code (re-exported by core.importer).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from streamimages_desktop.core import failures
from streamimages_desktop.core.errors import ImageRejected, ProblemKind, StreamImagesError
from streamimages_desktop.core.models import Visibility


class ImportStatus(StrEnum):
    IMPORTED = "imported"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


@dataclass(frozen=True)
class ImportOptions:
    """What every file of one import gets; title None means the file name without extension."""

    visibility: Visibility = Visibility.PUBLIC
    title: str | None = None
    description: str = ""


@dataclass(frozen=True)
class ImportResult:
    """The outcome for one file: the new or existing id, or the reason it was refused."""

    status: ImportStatus
    source: str
    image_id: str | None = None
    reason: str | None = None


ProgressCallback = Callable[[int, int, ImportResult], None]


def rejected(source: str, reason: str) -> ImportResult:
    return ImportResult(ImportStatus.REJECTED, source, reason=reason)


def failure_reason(exc: BaseException) -> str | None:
    """The one line for a failure that refuses files; None for a bug (it propagates)."""
    if isinstance(exc, ImageRejected):
        return exc.reason
    if isinstance(exc, OSError):
        return write_reason(exc)
    if isinstance(exc, StreamImagesError):
        return str(exc)
    return None


def read_reason(exc: OSError) -> str:
    """A short phrase for an error while reading a source file."""
    kind = failures.os_kind(exc)
    if kind is ProblemKind.MISSING:
        return "no such file"
    if kind in (ProblemKind.PERMISSION, ProblemKind.LINK_LOOP):
        return failures.os_reason(exc)
    return f"could not read the file ({exc.strerror or exc})"


def write_reason(exc: OSError) -> str:
    """A short phrase for an error while writing into the library."""
    kind = failures.os_kind(exc)
    if kind is ProblemKind.FULL:
        return "disk full"
    if kind in (ProblemKind.PERMISSION, ProblemKind.READ_ONLY):
        return "library folder is not writable"
    return f"could not write to the library ({exc.strerror or exc})"
