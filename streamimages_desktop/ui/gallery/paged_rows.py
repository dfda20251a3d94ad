"""PagedRows: a query's rows as ids for all of them and full images for a few pages only.

A stream of 100,000 images must paint its first screen without building 100,000 row objects,
and scrolling must not carry a garbage collector's worth of them. So the grid holds every
row's id and visibility (flat lists of strings and shared enum members: nothing for the
collector to track) and only a bounded number of pages of StreamImage, fetched on a worker:
by offset until the ids are known, then by id. A row whose page is not here yet is a
placeholder; asking for it queues its page, newest request first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from functools import partial

from PySide6.QtCore import QObject, Signal

from streamimages_desktop.core.models import StreamImage, Visibility
from streamimages_desktop.ui.tasks import TaskRunner

PAGE_ROWS = 200  # a page is several screens of tiles and one short query
MAX_PAGES = 40  # images kept in memory: at most this many pages (8,000 rows)
MAX_WANTED = 4  # pages queued beyond these were scrolled past: dropped, newest kept

# fetch(offset, limit, ids): the rows from `offset` (ids None: not known yet) or those ids.
Fetch = Callable[[int, int, Sequence[str] | None], list[StreamImage]]


class PagedRows(QObject):
    """The rows of one query: ids and visibilities of all, images of the pages fetched.

    Invariants: `ids` and `visibility` have one entry per row (None: not known yet);
    `_pages[k]` lists the ids of page k whose images are in `_known`; every id in `_known`
    belongs to exactly one resident page. Only the GUI thread touches this object; the
    fetch function runs on this object's own one-thread TaskRunner.

    Signals:
        rows_arrived(int, int): the first and last row of a page whose images came.
    """

    rows_arrived = Signal(int, int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = TaskRunner(1, self)
        self.ids: list[str | None] = []
        self.visibility: list[Visibility | None] = []
        self._row_of: dict[str, int] = {}
        self._stale_index = False  # rows moved: _row_of is rebuilt when next asked
        self._known: dict[str, StreamImage] = {}
        self._pages: OrderedDict[int, list[str]] = OrderedDict()
        self._wanted: list[int] = []
        self._in_flight: int | None = None
        self._generation = 0
        self._fetch: Fetch | None = None
        self.hold = False  # the grid flies past: a missing page is not fetched (want_row is)

    # Filling -----------------------------------------------------------------------------

    def set_all(self, images: Sequence[StreamImage], fetch: Fetch | None = None) -> None:
        """Every row with its image (a short result, or a test's rows)."""
        self._restart(fetch)
        self.ids = [i.id for i in images]
        self.visibility = [i.visibility for i in images]
        self._reindex()
        self._take(images)

    def set_first(self, count: int, first: Sequence[StreamImage], fetch: Fetch) -> None:
        """`count` rows of which only the first page is known; the rest come by offset."""
        self._restart(fetch)
        count = max(count, len(first))
        self.ids = [None] * count
        self.visibility = [None] * count
        for row, image in enumerate(first):
            self.ids[row], self.visibility[row] = image.id, image.visibility
        self._reindex()
        self._take(first)

    def adopt_keys(self, ids: list[str], visibility: list[Visibility]) -> bool:
        """The full id list of the same query arrived: adopt it if it agrees with the rows
        known so far (same count, same ids where known). False: the library changed
        meanwhile and the caller must start over with these keys."""
        if len(ids) != len(self.ids):
            return False
        if any(known is not None and known != ids[r] for r, known in enumerate(self.ids)):
            return False
        self.ids, self.visibility = list(ids), list(visibility)
        self._reindex()
        return True

    def set_keys(
        self,
        ids: list[str],
        visibility: list[Visibility],
        fresh: Iterable[StreamImage],
        fetch: Fetch | None,
    ) -> None:
        """New keys with fresh images for some of them (a refresh): pages regrouped, and
        pages still on their way are dropped (they were read before the change)."""
        self._restart(fetch)
        self.ids, self.visibility = list(ids), list(visibility)
        self._reindex()
        self._known = {}
        self._pages.clear()
        self._take(i for i in fresh if i.id in self._row_of)
        for page in [p for p in self._pages if not self._page_known(p)]:
            del self._pages[page]  # a row of it is new: fetched again when shown

    def held_pages(self) -> list[int]:
        """The pages whose images are here (a refresh reads them again)."""
        return list(self._pages)

    def _page_known(self, page: int) -> bool:
        first = page * PAGE_ROWS
        return all(i in self._known for i in self.ids[first : first + PAGE_ROWS])

    def keep_rows(self, keep: Callable[[int], bool]) -> None:
        """Drop rows for which keep(row) is False (the caller signals the removal)."""
        rows = [r for r in range(len(self.ids)) if keep(r)]
        known = [k for r in rows if (k := self._known.get(self.ids[r] or "")) is not None]
        self.ids = [self.ids[r] for r in rows]
        self.visibility = [self.visibility[r] for r in rows]
        self._reindex()
        self._known = {}
        self._pages.clear()
        self._take(known)

    def remove_rows(self, first: int, last: int) -> None:
        """Rows first..last leave (inside the caller's beginRemoveRows/endRemoveRows)."""
        del self.ids[first : last + 1]
        del self.visibility[first : last + 1]
        self._stale_index = True

    def insert_rows(self, first: int, ids: Sequence[str], visibility: Sequence[Visibility]) -> None:
        """Rows arrive at `first` (inside the caller's beginInsertRows/endInsertRows)."""
        self.ids[first:first] = ids
        self.visibility[first:first] = visibility
        self._stale_index = True

    def clear(self) -> None:
        self.set_all([])

    # Reading -----------------------------------------------------------------------------

    @property
    def fetch(self) -> Fetch | None:
        return self._fetch

    @property
    def complete(self) -> bool:
        """True when every row's id is known."""
        return None not in self.ids

    def __len__(self) -> int:
        return len(self.ids)

    def row_of(self, image_id: str) -> int | None:
        if self._stale_index:
            self._reindex()
        return self._row_of.get(image_id)

    def known(self, image_id: str) -> StreamImage | None:
        """The image of `image_id` if its page is here (never fetched for it)."""
        return self._known.get(image_id)

    def known_images(self) -> list[StreamImage]:
        """The images here, in row order."""
        return [k for i in self.ids if i is not None and (k := self._known.get(i)) is not None]

    def image_at(self, row: int) -> StreamImage | None:
        """The image of `row`; None (and its page queued) when it is not here yet."""
        if not 0 <= row < len(self.ids):
            return None
        image_id = self.ids[row]
        found = self._known.get(image_id) if image_id is not None else None
        if found is None and not self.hold:
            self.want(row // PAGE_ROWS)
        return found

    def want_row(self, row: int) -> None:
        """Queue the page of `row` if its image is not here (also while holding)."""
        image_id = self.ids[row] if 0 <= row < len(self.ids) else None
        if image_id is None or image_id not in self._known:
            self.want(row // PAGE_ROWS)

    def want(self, page: int) -> None:
        """Queue `page` unless it is here or on its way; the newest wish is fetched first."""
        if self._fetch is None or page in self._pages or page == self._in_flight:
            return
        if page in self._wanted:
            self._wanted.remove(page)
        self._wanted.append(page)
        del self._wanted[:-MAX_WANTED]
        self._pump()

    def shutdown(self) -> None:
        self._restart(None)
        self._runner.wait(5000)

    # Internals ---------------------------------------------------------------------------

    def _restart(self, fetch: Fetch | None) -> None:
        self._generation += 1
        self._fetch = fetch
        self._wanted.clear()
        self._in_flight = None
        self._runner.clear_queued()
        self._known = {}
        self._pages.clear()

    def _reindex(self) -> None:
        self._row_of = {i: r for r, i in enumerate(self.ids) if i is not None}
        self._stale_index = False

    def _take(self, images: Iterable[StreamImage]) -> None:
        """Put images of known rows here, grouped by the page their row is on."""
        for image in images:
            row = self.row_of(image.id)
            if row is None:
                continue
            self._known[image.id] = image
            page = self._pages.setdefault(row // PAGE_ROWS, [])
            page.append(image.id)
        if self._fetch is not None:
            self._evict()

    def _evict(self) -> None:
        while len(self._pages) > MAX_PAGES:
            _page, ids = self._pages.popitem(last=False)
            for image_id in ids:
                self._known.pop(image_id, None)

    def _pump(self) -> None:
        if self._in_flight is not None or not self._wanted or self._fetch is None:
            return
        page = self._wanted.pop()
        first = page * PAGE_ROWS
        wanted = self.ids[first : first + PAGE_ROWS]
        if not wanted:
            self._pump()
            return
        ids = None if None in wanted else [i for i in wanted if i is not None]
        self._in_flight = page
        self._runner.submit(
            partial(self._fetch, first, PAGE_ROWS, ids),
            partial(self._on_page, self._generation, page),
            partial(self._on_failed, self._generation, page),
        )

    def _on_page(self, generation: int, page: int, images: list[StreamImage]) -> None:
        if generation != self._generation:
            return
        self._in_flight = None
        first = page * PAGE_ROWS
        last = min(len(self.ids), first + PAGE_ROWS) - 1
        by_id = {i.id: i for i in images}
        found: list[str] = []
        for row in range(first, last + 1):
            image_id = self.ids[row]
            image = by_id.get(image_id) if image_id is not None else None
            if image_id is None and row - first < len(images):  # by offset: the row is known now
                image = images[row - first]
                if (
                    self.row_of(image.id) is not None
                ):  # the library changed: it is another row already
                    image = None
                else:
                    self.ids[row], self.visibility[row] = image.id, image.visibility
                    self._row_of[image.id] = row
            if image is not None:
                self._known[image.id] = image
                found.append(image.id)
        self._pages[page] = found  # also when some went meanwhile: no refetch until a refresh
        self._pages.move_to_end(page)
        self._evict()
        if last >= first:
            self.rows_arrived.emit(first, last)
        self._pump()

    def _on_failed(self, generation: int, page: int, _error: Exception) -> None:
        if generation == self._generation:  # placeholders until the next refresh tries again
            self._in_flight = None
            self._pages[page] = []
            self._pump()
