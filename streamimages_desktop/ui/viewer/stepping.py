"""GridOrder: where the viewer's image is among the grid's rows, and which one is next."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from streamimages_desktop.core.access import can_see
from streamimages_desktop.core.models import StreamImage, Viewer

Rows = Callable[[], Sequence[StreamImage]]


class GridOrder:
    """The grid's rows right now (its stream, search, order and role), as one role may see them.

    Rows the role may not see are skipped even if the grid still holds them (a role change
    before the grid's new query answers). When the image shown leaves the grid (deleted,
    filtered out), stepping on goes to the row that took its place.
    """

    def __init__(self, rows: Rows | None = None) -> None:
        self._rows_of: Rows = rows or (lambda: ())
        self._last_index = 0

    def rows(self, viewer: Viewer) -> list[StreamImage]:
        return [i for i in self._rows_of() if can_see(viewer, i.visibility)]

    def find(self, viewer: Viewer, image_id: str) -> StreamImage | None:
        """The grid's row of `image_id` if `viewer` may see it."""
        return next((i for i in self.rows(viewer) if i.id == image_id), None)

    def position(self, rows: list[StreamImage], image_id: str | None) -> int | None:
        for n, image in enumerate(rows):
            if image.id == image_id:
                self._last_index = n
                return n
        return None

    def neighbours(self, viewer: Viewer, image_id: str) -> list[StreamImage]:
        """The next and the previous row (those that exist), the next first."""
        rows = self.rows(viewer)
        at = self.position(rows, image_id)
        if at is None:
            return []
        return [rows[n] for n in (at + 1, at - 1) if 0 <= n < len(rows)]

    def step(self, viewer: Viewer, image_id: str, delta: int) -> StreamImage | None:
        """The row `delta` on from `image_id`; None past either end."""
        rows = self.rows(viewer)
        at = self.position(rows, image_id)
        if at is None:  # the image left the grid: its successor took its place
            target = self._last_index if delta > 0 else self._last_index - 1
        else:
            target = at + delta
        return rows[target] if 0 <= target < len(rows) else None

    def end(self, viewer: Viewer, last: bool) -> StreamImage | None:
        rows = self.rows(viewer)
        return (rows[-1] if last else rows[0]) if rows else None
