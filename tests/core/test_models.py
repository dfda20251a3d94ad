"""Domain values: stream ids are slugs, viewers accept role names."""

from __future__ import annotations

import pytest

from streamimages_desktop.core.models import InvalidStreamId, Role, Viewer, validate_stream_id


@pytest.mark.parametrize("good", ["a", "launch-day", "e3_2026", "x" * 64])
def test_valid_stream_ids(good: str) -> None:
    assert validate_stream_id(good) == good


@pytest.mark.parametrize(
    "bad", ["", "Upper", "-lead", "trail-", "a b", "../etc", "x" * 65, "é", "a/b", "a\nb"]
)
def test_invalid_stream_ids_are_refused(bad: str) -> None:
    with pytest.raises(InvalidStreamId, match="invalid stream id"):
        validate_stream_id(bad)


def test_viewer_takes_role_names() -> None:
    assert Viewer("viewer").role is Role.VIEWER
    with pytest.raises(ValueError):
        Viewer("admin")  # type: ignore[arg-type]
