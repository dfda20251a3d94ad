"""The gallery's reads: what it needs of the manager and the worker calls that ask it.

Every function here runs on a worker (TaskRunner), never on the GUI thread: a query's count
and first page, its keys, one page of rows, and a refresh of the keys and the held pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from streamimages_desktop.core.models import Sort, StreamImage, Viewer, Visibility
from streamimages_desktop.ui.gallery.paged_rows import PAGE_ROWS
from streamimages_desktop.ui.gallery.thumbnail_loader import RenditionSource


class GalleryManager(RenditionSource, Protocol):
    """What the gallery needs from StreamImageManager."""

    def count(
        self, viewer: Viewer, stream_id: str | None = None, search: str | None = None
    ) -> int: ...

    def image_page(
        self,
        viewer: Viewer,
        stream_id: str | None,
        search: str | None,
        sort: Sort,
        offset: int,
        limit: int,
    ) -> list[StreamImage]: ...

    def image_keys(
        self,
        viewer: Viewer,
        stream_id: str | None = None,
        search: str | None = None,
        sort: Sort = Sort.NEWEST,
    ) -> tuple[list[str], list[Visibility]]: ...

    def images_by_id(self, viewer: Viewer, image_ids: Sequence[str]) -> list[StreamImage]: ...


@dataclass(frozen=True)
class GalleryQuery:
    """One query of the grid: a stream (None: all) as `viewer` sees it, searched and sorted."""

    viewer: Viewer
    stream_id: str | None
    search: str
    sort: Sort


_BY_ID_CHUNK = 500  # ids per query when a refresh rereads the rows held in memory

Keys = tuple[list[str], list[Visibility]]


def read_first_page(manager: GalleryManager, q: GalleryQuery) -> tuple[int, list[StreamImage]]:
    """Worker: how many rows the query has, and the first page of them."""
    search = q.search or None
    count = manager.count(q.viewer, q.stream_id, search)
    return count, manager.image_page(q.viewer, q.stream_id, search, q.sort, 0, PAGE_ROWS)


def read_keys(manager: GalleryManager, q: GalleryQuery) -> Keys:
    """Worker: the id and visibility of every row of the query, in order."""
    return manager.image_keys(q.viewer, q.stream_id, q.search or None, q.sort)


def read_page(
    manager: GalleryManager, q: GalleryQuery, offset: int, limit: int, ids: Sequence[str] | None
) -> list[StreamImage]:
    """Worker: one page of rows, by id once the ids are known (fast anywhere), else by offset."""
    if ids is not None:
        return manager.images_by_id(q.viewer, ids)
    return manager.image_page(q.viewer, q.stream_id, q.search or None, q.sort, offset, limit)


def read_refresh(
    manager: GalleryManager, q: GalleryQuery, pages: Sequence[int]
) -> tuple[Keys, list[StreamImage]]:
    """Worker: the query's keys again and the rows of the pages the grid holds, read afresh
    (rows that moved into those pages too, so a new image is not a placeholder)."""
    keys = manager.image_keys(q.viewer, q.stream_id, q.search or None, q.sort)
    ids = keys[0]
    held = [i for p in sorted(pages) for i in ids[p * PAGE_ROWS : (p + 1) * PAGE_ROWS]]
    fresh: list[StreamImage] = []
    for start in range(0, len(held), _BY_ID_CHUNK):
        fresh += manager.images_by_id(q.viewer, held[start : start + _BY_ID_CHUNK])
    return keys, fresh
