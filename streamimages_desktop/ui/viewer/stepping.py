"""GridOrder: where the viewer's image is among the grid's rows, and which one is next."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from streamimages_desktop.core.access import can_see
from streamimages_desktop.core.models import StreamImage, Viewer

Rows = Callable[[], Sequence[StreamImage]]


class GridRows(Protocol):
    """What the viewer needs of the grid: its rows' ids (all of them, read on a worker
    through the manager) and the images of the rows it holds in memory."""

    def ids_for(self, viewer: Viewer) -> Sequence[str | None]: ...

    def known_image(self, image_id: str) -> StreamImage | None: ...


class _ListRows:
    """GridRows over a plain sequence of images (a test's, or no grid at all)."""

    def __init__(self, rows: Rows) -> None:
        self._rows = rows

    def ids_for(self, viewer: Viewer) -> list[str | None]:
        return [i.id for i in self._rows() if can_see(viewer, i.visibility)]

    def known_image(self, image_id: str) -> StreamImage | None:
        return next((i for i in self._rows() if i.id == image_id), None)


class GridOrder:
    """The grid's rows right now (its stream, search, order and role), as one role may see them.

    Stepping works on ids only, so it never waits for a row's page: the image stepped to is
    shown from the grid's memory if it is there, else fetched by the viewer on a worker.
    Rows the role may not see are skipped even if the grid still holds them (a role change
    before the grid's new query answers). When the image shown leaves the grid (deleted,
    filtered out), stepping on goes to the row that took its place.
    """

    def __init__(self, rows: GridRows | Rows | None = None) -> None:
        if rows is None:
            self._grid: GridRows = _ListRows(lambda: ())
        elif callable(rows):
            self._grid = _ListRows(rows)
        else:
            self._grid = rows
        self._last_index = 0

    def rows(self, viewer: Viewer) -> Sequence[str | None]:
        """The ids `viewer` may see, in grid order (None: a row whose id is not known yet)."""
        return self._grid.ids_for(viewer)

    def find(self, viewer: Viewer, image_id: str) -> StreamImage | None:
        """The grid's image of `image_id` if it is in memory and `viewer` may see it."""
        image = self._grid.known_image(image_id)
        return image if image is not None and can_see(viewer, image.visibility) else None

    def position(self, rows: Sequence[str | None], image_id: str | None) -> int | None:
        if image_id is None:
            return None
        try:
            at = rows.index(image_id)
        except ValueError:
            return None
        self._last_index = at
        return at

    def neighbours(self, viewer: Viewer, image_id: str) -> list[str]:
        """The ids of the next and the previous row (those that exist), the next first."""
        rows = self.rows(viewer)
        at = self.position(rows, image_id)
        if at is None:
            return []
        return [i for n in (at + 1, at - 1) if 0 <= n < len(rows) and (i := rows[n]) is not None]

    def step(self, viewer: Viewer, image_id: str, delta: int) -> str | None:
        """The id `delta` rows on from `image_id`; None past either end."""
        rows = self.rows(viewer)
        at = self.position(rows, image_id)
        if at is None:  # the image left the grid: its successor took its place
            target = self._last_index if delta > 0 else self._last_index - 1
        else:
            target = at + delta
        return rows[target] if 0 <= target < len(rows) else None

    def end(self, viewer: Viewer, last: bool) -> str | None:
        rows = self.rows(viewer)
        return (rows[-1] if last else rows[0]) if rows else None
