"""Row runs: how a refreshed result's keys differ from the rows shown, as a few moves or none.

A refresh (an import, edit or delete) keeps the selection, current item and scroll position
only if the model removes and inserts the rows that changed instead of resetting. That is
worth it while the changes are a few runs of adjacent rows and the kept rows keep their order.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Sequence

MAX_RUNS = 32  # more separate runs of changed rows than this, and a reset is cheaper

Runs = list[tuple[int, int]]


def runs(rows: Iterable[int]) -> Runs:
    """Ascending row numbers grouped into (first, last) runs of adjacent rows."""
    found: Runs = []
    for row in rows:
        if found and found[-1][1] == row - 1:
            found[-1] = (found[-1][0], row)
        else:
            found.append((row, row))
    return found


def key_runs(
    old: Sequence[str | None],
    ids: Sequence[str],
    new_ids: Container[str],
    row_of: Callable[[str], int | None],
) -> tuple[Runs, Runs] | None:
    """The runs of `old` rows gone and of `ids` rows added (`new_ids`: the set of `ids`,
    `row_of`: an id's row in `old`), or None when a reset is cheaper: a row of `old` is not
    known yet, the kept rows changed order, or the changes are scattered over too many runs."""
    if None in old:
        return None
    same_order = [i for i in old if i in new_ids] == [i for i in ids if row_of(i) is not None]
    gone = runs(r for r, i in enumerate(old) if i not in new_ids)
    added = runs(r for r, i in enumerate(ids) if row_of(i) is None)
    if not same_order or len(gone) + len(added) > MAX_RUNS:
        return None
    return gone, added
