"""A search's rarest term lists the rows and its common terms are checked on those (issue 14):
the same rows as listing every term, in a plan that starts from the rare one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from streamimages_desktop.core import search
from streamimages_desktop.core.models import OWNER, Stream, Visibility
from streamimages_desktop.core.store import Store
from tests.core.test_store import T0, make_image

COMMON = 10  # rows (both indexes counted) from which a term is common, for a small library

TITLES = {
    **{f"s{i}": f"stage night {i}" for i in range(12)},  # "stage": common
    **{f"l{i}": f"lights on stage {i}" for i in range(6)},  # "lights": common, and stage
    "r1": "encore stage",
    "r2": "Encore café",  # "cafe" only through the words index (diacritics)
    "r3": "drum",
    "r4": "encore drums lights",
    "r5": "encoreless x",  # "encore" as a substring only
}


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setattr(search, "COMMON", COMMON)
    s = Store(tmp_path / "library.sqlite3")
    s.create_stream(Stream("live", "Live", "me", T0))
    for image_id, title in TITLES.items():
        visibility = Visibility.PRIVATE if image_id == "r4" else Visibility.PUBLIC
        s.insert_image(make_image(image_id, title=title, visibility=visibility), 1000)
    yield s
    s.close()


def listing_every_term(store: Store, query: str) -> set[str]:
    """The rows as the plain clause finds them: every term listing its rows."""
    found = search.search_clause(query)
    assert found is not None
    where, params = found
    rows = store._query(f"SELECT id FROM images WHERE trashed IS NULL AND {where}", params)
    return {r[0] for r in rows}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("encore stage", {"r1"}),
        ("stage encore", {"r1"}),
        ("stage cafe", set()),
        ("encore cafe", {"r2"}),  # the common-checked term through the words index
        ("ncor stage", {"r1"}),  # a substring inside a word, then a common word
        ("st encore", {"r1"}),  # a short common term: word prefixes, checked per row
        ("encore lights", {"r4"}),
        ("lights stage 3", {"l3"}),  # two common terms checked on the rare one's rows
        ("stage lights", {f"l{i}" for i in range(6)}),  # every term common: each lists
        ("encore", {"r1", "r2", "r4", "r5"}),
    ],
)
def test_the_same_rows_as_listing_every_term(store: Store, query: str, expected: set[str]) -> None:
    assert listing_every_term(store, query) == expected
    ids = {i.id for i in store.list_images(OWNER, search=query)}
    assert ids == expected
    assert store.count_visible(OWNER, search=query) == len(expected)


def test_roles_still_apply_to_a_reordered_search(store: Store) -> None:
    from streamimages_desktop.core.models import Role, Viewer

    viewer = Viewer(Role.VIEWER)
    assert {i.id for i in store.list_images(viewer, search="lights encore")} == set()
    assert store.count_visible(viewer, search="lights encore") == 0
    assert {i.id for i in store.list_images(OWNER, search="lights encore")} == {"r4"}


def _plan(store: Store, query: str) -> list[str]:
    where, params = store._image_where(OWNER, None, query)
    rows = store._query(f"EXPLAIN QUERY PLAN SELECT id FROM images WHERE {where}", params)
    return [str(r[3]) for r in rows]


def test_the_rare_term_lists_the_rows_and_the_common_one_is_checked(store: Store) -> None:
    where, params = store._image_where(OWNER, None, "stage encore")
    assert params[-4:] == ['"encore"', '"encore"*', '"stage"', '"stage"*']  # rare first
    assert "EXISTS" in where.split("AND images.seq IN")[-1]
    plan = _plan(store, "stage encore")
    assert plan[0].startswith("SEARCH images USING INTEGER PRIMARY KEY")  # driven by a list
    assert any("CORRELATED" in step for step in plan)  # the common term, per row


def test_every_term_common_lists_each_as_before(store: Store) -> None:
    where, _ = store._image_where(OWNER, None, "stage lights")
    assert "EXISTS" not in where
    assert where.count("images.seq IN") == 2
