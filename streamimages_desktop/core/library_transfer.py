"""Copy a whole library from one StreamImageManager to another (`team push` and `team pull`).

Written against the manager's facade only (stream_records, image_records, stored_original,
adopt_stream, adopt_image), so any two backends can be paired. Everything is read and written
as the owner: every stream, every row with its original, trashed ones staying in the trash.

Idempotent and resumable: a row whose id is in the target, or whose bytes are already in its
stream there in the same state, is "already there" and its original is not even read, so a
rerun after a crash or a cancel copies only what is missing. The target writes each original
before the row that needs it commits (adopt_image), so a crash leaves at most an orphan file.
One refused row (its stream full in the target, its original missing or damaged in the source)
is reported and the rest goes on; a target that cannot be written, or a source that cannot be
reached, stops the transfer with one line (a rerun resumes).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import partial
from typing import TYPE_CHECKING

from streamimages_desktop.core.errors import EnvironmentProblem, ProblemKind, UserError
from streamimages_desktop.core.models import OWNER, StreamImage

if TYPE_CHECKING:
    from streamimages_desktop.core.manager import StreamImageManager

# A source failure of these kinds concerns one file (one unreadable original): that row is
# refused and the rest goes on. Any other kind (unreachable, busy, full, ...) would fail every
# row alike, so it stops the transfer; so does any environment problem of the target.
_ONE_FILE = frozenset({ProblemKind.IO, ProblemKind.PERMISSION, ProblemKind.MISSING})


class Outcome(StrEnum):
    COPIED = "copied"
    ALREADY_THERE = "already there"
    REFUSED = "refused"


@dataclass(frozen=True)
class Refused:
    """A row that was not copied, and why (one line)."""

    image_id: str
    stream_id: str
    title: str
    reason: str


@dataclass(frozen=True)
class TransferProgress:
    """After each row (and once before the first, with `image` None): enough for a bar."""

    done: int
    total: int
    bytes_done: int
    bytes_total: int
    image: StreamImage | None = None
    outcome: Outcome | None = None
    reason: str | None = None


@dataclass(frozen=True)
class TransferSummary:
    """What a transfer did. `stopped` is the line that stopped it early (the rows after it were
    not tried); `cancelled` says cancel() asked it to stop. Either way a rerun resumes."""

    images: int
    copied: int
    already_there: int
    refused: tuple[Refused, ...]
    bytes_copied: int
    streams_copied: int
    streams_already_there: int
    cancelled: bool = False
    stopped: str | None = None

    @property
    def complete(self) -> bool:
        """Every row of the source is in the target."""
        return not self.refused and not self.cancelled and self.stopped is None


class _Stop(Exception):
    """An environment problem that would fail every row alike."""


@dataclass
class _Tally:
    copied: int = 0
    already_there: int = 0
    bytes_copied: int = 0
    streams_copied: int = 0
    streams_already_there: int = 0


def transfer(
    source: StreamImageManager,
    target: StreamImageManager,
    *,
    progress: Callable[[TransferProgress], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> TransferSummary:
    """Copy every stream and row (with its original) of `source` that `target` lacks.

    `cancel` is asked before each row; `progress` is told after each one. An error listing
    either library raises before anything is written.
    """
    streams = source.stream_records(OWNER)
    rows = source.image_records(OWNER)
    there = _Known(target.image_records(OWNER))
    streams_there = {stream.id for stream, _ in target.stream_records(OWNER)}
    tally = _Tally()
    refused: list[Refused] = []
    total_bytes = sum(image.bytes for image, _ in rows)
    done = bytes_done = 0
    tell = progress or (lambda _p: None)
    tell(TransferProgress(0, len(rows), 0, total_bytes))

    def summary(*, cancelled: bool = False, stopped: str | None = None) -> TransferSummary:
        return TransferSummary(
            images=len(rows),
            copied=tally.copied,
            already_there=tally.already_there,
            refused=tuple(refused),
            bytes_copied=tally.bytes_copied,
            streams_copied=tally.streams_copied,
            streams_already_there=tally.streams_already_there,
            cancelled=cancelled,
            stopped=stopped,
        )

    try:
        for stream, trashed in streams:
            if stream.id in streams_there:  # left as it is there, and nothing is written
                tally.streams_already_there += 1
                continue
            try:
                made = _target(partial(target.adopt_stream, OWNER, stream, trashed))
            except UserError:  # an id this target refuses: its rows are refused one by one
                continue
            if made:
                tally.streams_copied += 1
            else:
                tally.streams_already_there += 1
        for image, trashed in rows:
            if cancel is not None and cancel():
                return summary(cancelled=True)
            reason = None
            if there.has(image, trashed):
                outcome = Outcome.ALREADY_THERE
            else:
                outcome, reason = _copy_one(source, target, image, trashed)
            if outcome is not Outcome.REFUSED:
                there.add(image, trashed)
            if outcome is Outcome.COPIED:
                tally.copied += 1
                tally.bytes_copied += image.bytes
            elif outcome is Outcome.ALREADY_THERE:
                tally.already_there += 1
            else:
                refused.append(Refused(image.id, image.stream_id, image.title, reason or ""))
            done += 1
            bytes_done += image.bytes
            tell(TransferProgress(done, len(rows), bytes_done, total_bytes, image, outcome, reason))
    except _Stop as stop:
        return summary(stopped=str(stop))
    return summary()


def _copy_one(
    source: StreamImageManager,
    target: StreamImageManager,
    image: StreamImage,
    trashed: datetime | None,
) -> tuple[Outcome, str | None]:
    """Read the row's original from `source`, check it, hand both to `target`."""
    try:
        data = source.stored_original(OWNER, image.id)
    except EnvironmentProblem as exc:
        if exc.kind not in _ONE_FILE:
            raise _Stop(f"reading the source library: {exc}") from None
        return Outcome.REFUSED, str(exc)
    except UserError as exc:  # the row went meanwhile, or its original is missing
        return Outcome.REFUSED, str(exc)
    if len(data) != image.bytes or hashlib.sha256(data).hexdigest() != image.sha256:
        return Outcome.REFUSED, f"the original of image {image.id} is damaged in the source"
    try:
        added = _target(partial(target.adopt_image, OWNER, image, data, trashed))
    except UserError as exc:  # its stream is full there, or the stream could not be made
        return Outcome.REFUSED, str(exc)
    return (Outcome.COPIED if added else Outcome.ALREADY_THERE), None


def _target(write: Callable[[], bool]) -> bool:
    """A write to the target; any environment problem there stops the transfer."""
    try:
        return write()
    except EnvironmentProblem as exc:
        raise _Stop(f"writing the target library: {exc}") from None


class _Known:
    """What the target holds, by the same rule as its adopt_image: ids, and (stream, sha256)
    of live rows and of trashed rows apart."""

    def __init__(self, records: list[tuple[StreamImage, datetime | None]]) -> None:
        self._ids: set[str] = set()
        self._keys: set[tuple[str, str, bool]] = set()
        for image, trashed in records:
            self.add(image, trashed)

    def has(self, image: StreamImage, trashed: datetime | None) -> bool:
        key = (image.stream_id, image.sha256, trashed is not None)
        return image.id in self._ids or key in self._keys

    def add(self, image: StreamImage, trashed: datetime | None) -> None:
        self._ids.add(image.id)
        self._keys.add((image.stream_id, image.sha256, trashed is not None))
