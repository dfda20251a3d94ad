"""A whole library from one manager to another (core/library_transfer.py): every stream and
row as it stands, trashed ones too, read and adopted by the owner alone.

An adopted image's original is written first, then its row commits; any failure leaves no row
and no new file, and a rerun skips what is already here (core/adoption.py)."""

from __future__ import annotations

from datetime import datetime

from streamimages_desktop.core import access, adoption, failures
from streamimages_desktop.core.errors import StreamImagesError, UserError
from streamimages_desktop.core.manager_state import ManagerState, OnFirstUse, log, not_found
from streamimages_desktop.core.models import Stream, StreamImage, Viewer
from streamimages_desktop.core.process_lock import file_lock

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 14)
if TYPE_CHECKING:
    from streamimages_desktop.core import imaging

if not TYPE_CHECKING:
    imaging = OnFirstUse("imaging")


def _sha256_hex(data: bytes) -> str:
    import hashlib  # here: OpenSSL's load is paid only by what hashes (issue 14)

    return hashlib.sha256(data).hexdigest()


class AdoptionOps(ManagerState):
    """Reading every record out of one library and adopting it into another, as the owner."""

    def stream_records(self, viewer: Viewer) -> list[tuple[Stream, datetime | None]]:
        """Every stream by id, trashed ones too, with when it was trashed (None: live).
        Like the trash, the owner's alone."""
        access.require_edit(viewer)
        return adoption.stream_records(self._store)

    def image_records(self, viewer: Viewer) -> list[tuple[StreamImage, datetime | None]]:
        """Every row in the order added, trashed ones too, with when it was trashed (None:
        live): what a copy of the whole library takes. The owner's alone."""
        access.require_edit(viewer)
        return adoption.image_records(self._store)

    def stored_original(self, viewer: Viewer, image_id: str) -> bytes:
        """The original of any row, one in the trash too (owner only); NotFound when the row or
        its file is missing. The caller checks the bytes against the row's SHA-256."""
        access.require_edit(viewer)
        found = adoption.record(self._store, image_id)
        if found is None:
            raise not_found(image_id)
        return self._original_of(found)

    def adopt_stream(self, viewer: Viewer, stream: Stream, trashed: datetime | None = None) -> bool:
        """Create a stream from another library as it stands (id, title, owner, created; in the
        trash when `trashed`); False when a stream of that id is here already (left as it is)."""
        access.require_edit(viewer)
        self._require_writable()
        return adoption.adopt_stream(self._store, stream, trashed)

    def adopt_image(
        self, viewer: Viewer, image: StreamImage, data: bytes, trashed: datetime | None = None
    ) -> bool:
        """Put a row from another library here as it stands, in the trash when `trashed`: its
        original is written first, then the row commits with the duplicate and limit checks
        (StreamFull when its stream is full). False when it is already here (its id, or its
        bytes in its stream in the same state). Any failure leaves no row and no new file."""
        access.require_edit(viewer)
        self._require_writable()
        if len(data) != image.bytes or _sha256_hex(data) != image.sha256:
            raise UserError(f"the bytes given for image {image.id} do not match its SHA-256")
        if image.format not in imaging.EXTENSION_FOR_FORMAT:
            raise UserError(f"image {image.id} has an unknown format {image.format!r}")
        with self._lock:
            if adoption.is_there(self._store, image, trashed is not None):
                return False  # nothing written: a rerun costs one query per image
            # Shared: the orphan collector (exclusive) never sees the blob without its row.
            with file_lock(self._library_lock, shared=True):
                blob_new = False
                try:
                    blob_new = self._blobs.put(data, image.sha256, image.format, image.visibility)
                    added = adoption.adopt_row(self._store, image, trashed, self._limit)
                except OSError as exc:
                    self._drop_unused_blob(image, blob_new)
                    raise failures.from_os(exc, "originals folder", self._root) from None
                except BaseException:
                    self._drop_unused_blob(image, blob_new)
                    raise
                if not added:
                    self._drop_unused_blob(image, blob_new)
                return added

    def _drop_unused_blob(self, image: StreamImage, blob_new: bool) -> None:
        """Undo a blob an adoption wrote when no row came to use it (never raises: what stays
        is an orphan the collector removes later)."""
        if not blob_new:
            return
        try:
            if not self._store.sha_in_use(image.sha256, image.visibility):
                self._blobs.remove(image.sha256, image.format, image.visibility)
        except (OSError, StreamImagesError) as exc:
            log.info("blob %s of adopted image %s not removed: %s", image.sha256, image.id, exc)
