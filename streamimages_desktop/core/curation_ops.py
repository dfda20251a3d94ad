"""Curation as the owner: streams made, renamed and trashed; images edited, trashed, restored,
purged, moved and copied; visibilities set, with the originals following on a team library.

Everything goes to the trash first (core/trash.py) and comes back exactly; only a purge removes
files, a row before its blob, so a failure leaves an orphan file, never a row without data."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta

from streamimages_desktop.core import access, trash
from streamimages_desktop.core.errors import NotFound, StreamImagesError
from streamimages_desktop.core.manager_state import ManagerState, log
from streamimages_desktop.core.models import (
    OWNER,
    Placed,
    Stream,
    StreamImage,
    TrashedImage,
    Viewer,
    Visibility,
    validate_stream_id,
)
from streamimages_desktop.core.process_lock import file_lock


class CurationOps(ManagerState):
    """The owner's changes to streams and images; each checks the role and a writable library."""

    # -- streams -------------------------------------------------------------------------------

    def create_stream(
        self,
        viewer: Viewer,
        stream_id: str,
        title: str | None = None,
        created: datetime | None = None,
    ) -> Stream:
        """A new empty stream; `created` (a redo) gives it the time it had before."""
        access.require_edit(viewer)
        self._require_writable()
        stream = Stream(
            validate_stream_id(stream_id),
            title or stream_id,
            viewer.user_id,
            created or self._clock(),
        )
        self._store.create_stream(stream)
        return stream

    def rename_stream(self, viewer: Viewer, stream_id: str, title: str) -> str:
        """Returns the title before (what an undo needs)."""
        access.require_edit(viewer)
        self._require_writable()
        before = {s.stream.id: s.stream.title for s in self._store.list_streams(viewer)}
        if stream_id not in before:
            raise NotFound(f"no stream {stream_id}")
        self._store.rename_stream(stream_id, title)
        return before[stream_id]

    def delete_stream(self, viewer: Viewer, stream_id: str) -> list[str]:
        """Move the stream and its images to the trash; returns the ids trashed with it."""
        access.require_edit(viewer)
        self._require_writable()
        with self._lock:
            ids = trash.trash_stream(self._store, stream_id, self._clock())
        self._discard_renditions(ids)
        return ids

    def restore_stream(self, viewer: Viewer, stream_id: str, image_ids: Sequence[str]) -> None:
        """Undo of delete_stream: the stream and those images back, all or none."""
        access.require_edit(viewer)
        self._require_writable()
        with self._lock:
            trash.restore_stream(self._store, stream_id, image_ids, self._limit)

    def remove_empty_stream(self, viewer: Viewer, stream_id: str) -> None:
        """Undo of create_stream; refused once the stream holds anything."""
        access.require_edit(viewer)
        self._require_writable()
        trash.remove_empty_stream(self._store, stream_id)

    # -- images: edits, the trash, visibility, move and copy -----------------------------------

    def update_image(
        self,
        viewer: Viewer,
        image_id: str,
        *,
        title: str | None = None,
        description: str | None = None,
        visibility: Visibility | str | None = None,
        expected_version: int | None = None,
    ) -> StreamImage:
        """Change the given fields. With `expected_version` (the version the edit was based
        on) a row someone changed meanwhile refuses with StaleEdit and nothing is written."""
        access.require_edit(viewer)
        self._require_writable()
        if title is not None and not title.strip():
            raise StreamImagesError("a title cannot be empty")
        wanted = None if visibility is None else Visibility(visibility)
        with self._originals_follow({image_id: wanted} if wanted is not None else {}):
            return self._store.update_image(
                image_id,
                now=self._clock(),
                title=None if title is None else title.strip(),
                description=description,
                visibility=wanted,
                expected_version=expected_version,
            )

    def delete_images(self, viewer: Viewer, image_ids: Iterable[str]) -> list[str]:
        """Move the images to the trash (nothing leaves the disk); returns the ids trashed,
        missing or already trashed ones skipped."""
        access.require_edit(viewer)
        self._require_writable()
        with self._lock:
            ids = trash.trash_images(self._store, image_ids, self._clock())
        self._discard_renditions(ids)
        return ids

    def trash(self, viewer: Viewer) -> list[TrashedImage]:
        """The owner's Trash view (every other role is refused)."""
        access.require_edit(viewer)
        return trash.trashed(self._store)

    def trash_count(self, viewer: Viewer) -> int:
        """How many images the owner's Trash holds (its button says so); others are refused."""
        access.require_edit(viewer)
        return self._store.count_trashed()

    def restore_images(self, viewer: Viewer, image_ids: Sequence[str]) -> None:
        """Bring these images back from the trash, all or none: same id, stream and fields;
        a deleted stream comes back with them. A full stream or a duplicate refuses."""
        access.require_edit(viewer)
        self._require_writable()
        with self._lock:
            trash.restore(self._store, image_ids, self._limit)

    def empty_trash(self, viewer: Viewer, older_than_days: float | None = None) -> list[str]:
        """Purge trashed images (those trashed more than `older_than_days` ago, or all):
        each row goes first, then its renditions and, when no row uses the bytes, the original."""
        access.require_edit(viewer)
        self._require_writable()
        before = (
            None if older_than_days is None else self._clock() - timedelta(days=older_than_days)
        )
        purged: list[str] = []
        with self._lock:
            for row in trash.expired(self._store, before):
                if self._store.delete_image(row.id) is not None:
                    self._forget(row)
                    purged.append(row.id)
            trash.drop_empty_trashed_streams(self._store)
        return purged

    def purge_expired_trash(self) -> list[str]:
        """The automatic purge: what has been in the trash longer than IMAGE_TRASH_DAYS."""
        if self._store.read_only:
            return []
        return self.empty_trash(OWNER, self._settings.image_trash_days)

    def set_visibility(
        self, viewer: Viewer, wanted: Mapping[str, Visibility]
    ) -> dict[str, Visibility]:
        """Give each image its visibility, all or none; returns the visibilities before, so
        set_visibility(viewer, returned) undoes it exactly."""
        access.require_edit(viewer)
        self._require_writable()
        with self._originals_follow(wanted):
            return trash.set_visibilities(self._store, wanted, self._clock())

    @contextlib.contextmanager
    def _originals_follow(self, wanted: Mapping[str, Visibility]) -> Iterator[None]:
        """Where each visibility keeps its own folder of originals (a team library's storage,
        whose keys a member may read only up to their level), a visibility change moves the
        object: copied to the new folder before the row commits, so no row ever points at a
        missing object, and removed from the old one after, once no row there uses it. A
        crash in between leaves only a spare copy, which the orphan collector removes."""
        if not self._backend.is_team or not wanted:
            yield
            return
        found = (self._store.get_image(OWNER, image_id) for image_id in wanted)
        rows = [row for row in found if row is not None]
        moving = [(r, Visibility(wanted[r.id])) for r in rows if r.visibility != wanted[r.id]]
        for row, new in moving:
            data = self._original_of(row)
            self._blobs.put(data, row.sha256, row.format, new)
        try:
            yield
        except BaseException:
            for row, new in moving:
                self._drop_spare_original(row.sha256, row.format, new)
            raise
        for row, _new in moving:
            self._drop_spare_original(row.sha256, row.format, row.visibility)

    def _drop_spare_original(self, sha256: str, fmt: str, visibility: Visibility) -> None:
        """Remove the copy of these bytes in `visibility`'s folder unless a row there uses it;
        never raises (what stays is an orphan the collector removes later)."""
        try:
            with file_lock(self._library_lock):
                if not self._store.sha_in_use(sha256, visibility):
                    self._blobs.remove(sha256, fmt, visibility)
        except (OSError, StreamImagesError) as exc:
            log.info("spare original %s (%s) not removed: %s", sha256, visibility, exc)

    def move_images(self, viewer: Viewer, image_ids: Sequence[str], target: str) -> list[Placed]:
        """Move each image to stream `target` (its limit and duplicates checked per image)."""
        access.require_edit(viewer)
        self._require_writable()
        with self._lock:
            return trash.move(self._store, image_ids, target, self._limit)

    def replay_move(self, viewer: Viewer, placed: Sequence[Placed], *, forward: bool) -> None:
        """Undo (forward=False) or redo a move exactly, all or none."""
        access.require_edit(viewer)
        self._require_writable()
        with self._lock:
            trash.move_back(self._store, [p for p in placed if p.ok], self._limit, forward=forward)

    def copy_images(
        self,
        viewer: Viewer,
        image_ids: Sequence[str],
        target: str,
        new_ids: Mapping[str, str] | None = None,
    ) -> list[Placed]:
        """Copy each image to `target` as a new row sharing the original on disk."""
        access.require_edit(viewer)
        self._require_writable()
        with self._lock:
            return trash.copy(self._store, image_ids, target, self._limit, self._clock(), new_ids)

    def uncopy(self, viewer: Viewer, new_ids: Sequence[str]) -> None:
        """Undo of a copy: the copies' rows go for good (all or none); the shared original
        stays while another row uses it."""
        access.require_edit(viewer)
        self._require_writable()
        with self._lock:
            for row in trash.take_rows(self._store, new_ids):
                self._forget(row)

    # -- files a trash or a purge lets go ------------------------------------------------------

    def _discard_renditions(self, image_ids: Iterable[str]) -> None:
        """A trashed image's renditions leave the disk cache, so no cache can serve it."""
        for image_id in image_ids:
            try:
                self._disk_cache.discard_image(image_id)
            except (OSError, StreamImagesError) as exc:
                log.warning("renditions of trashed image %s not removed: %s", image_id, exc)

    def _forget(self, row: StreamImage) -> None:
        """Files of a deleted row; a failure leaves an orphan file, never a row without data."""
        try:
            # Exclusive: no import elsewhere is between reusing this blob and inserting its row.
            with file_lock(self._library_lock):
                if not self._store.sha_in_use(row.sha256, row.visibility):
                    self._blobs.remove(row.sha256, row.format, row.visibility)
        except (OSError, StreamImagesError) as exc:
            log.warning("blob %s of deleted image %s not removed: %s", row.sha256, row.id, exc)
        try:
            self._disk_cache.discard_image(row.id)
        except (OSError, StreamImagesError) as exc:
            log.warning("renditions of deleted image %s not removed: %s", row.id, exc)
