"""The manager's paged reads for the grid: same rows as images(), the same access rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamimages_desktop.core.manager import StreamImageManager
from streamimages_desktop.core.models import OWNER, Role, Sort, Viewer, Visibility
from tests.ui.conftest import mixed_library

pytestmark = pytest.mark.both_backends  # the grid reads a team library the same way

VIEWER = Viewer(Role.VIEWER)


def test_keys_pages_and_ids_agree_with_images_for_each_role(
    manager: StreamImageManager, image_dir: Path
) -> None:
    groups = mixed_library(manager, image_dir)
    private = groups[Visibility.PRIVATE][0]
    for viewer in (OWNER, VIEWER):
        for sort in Sort:
            every = manager.images(viewer, "mixed", None, sort)
            ids, visibility = manager.image_keys(viewer, "mixed", None, sort)
            assert ids == [i.id for i in every]
            assert visibility == [i.visibility for i in every]
            pages = [manager.image_page(viewer, "mixed", None, sort, n, 4) for n in (0, 4, 8)]
            assert [i.id for page in pages for i in page] == ids
    assert private not in manager.image_keys(VIEWER, "mixed")[0]
    assert manager.images_by_id(VIEWER, [private]) == []  # asked by id: still hidden
    found = manager.images_by_id(OWNER, [private, "no-such-id"])
    assert [i.id for i in found] == [private]
    assert manager.images_by_id(OWNER, []) == []
