"""Sizes and counts read one way everywhere: binary units, at most one decimal, right plurals."""

from __future__ import annotations

import pytest

from streamimages_desktop.core.units import KIB, MIB, count_of, format_bytes, number

GIB = 1024 * MIB


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 B"),
        (1, "1 B"),
        (512, "512 B"),
        (1023, "1023 B"),
        (1024, "1 KB"),
        (1025, "1 KB"),
        (1536, "1.5 KB"),
        (31_334, "30.6 KB"),
        (10 * KIB, "10 KB"),
        (600_000, "585.9 KB"),
        (1023 * KIB, "1023 KB"),
        (MIB - 1, "1 MB"),  # 1023.999 KB rounds to 1024 KB: it is said in the next unit
        (MIB, "1 MB"),
        (MIB + MIB // 2, "1.5 MB"),
        (round(123.4 * MIB), "123.4 MB"),
        (500 * MIB, "500 MB"),
        (GIB - 1, "1 GB"),
        (3 * GIB // 2, "1.5 GB"),
        (5 * 1024 * GIB, "5 TB"),
        (3 * 1024**5, "3 PB"),
        (2048 * 1024**5, "2048 PB"),  # the largest unit grows past 1024 rather than vanish
        (-1536, "-1.5 KB"),
    ],
)
def test_format_bytes(size: int, text: str) -> None:
    assert format_bytes(size) == text


def test_every_size_has_at_most_one_decimal_and_never_a_trailing_zero() -> None:
    for size in range(0, 5 * MIB, 997):
        value, unit = format_bytes(size).split(" ")
        assert unit in ("B", "KB", "MB")
        assert not value.endswith(".0")
        assert len(value.partition(".")[2]) <= 1
        assert float(value) < 1024


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.0, "0"), (500.0, "500"), (2.5, "2.5"), (99.96, "100"), (0.04, "0"), (-0.04, "0")],
)
def test_number(value: float, text: str) -> None:
    assert number(value) == text


@pytest.mark.parametrize(
    ("n", "noun", "plural", "text"),
    [
        (0, "image", None, "0 images"),
        (1, "image", None, "1 image"),
        (3, "image", None, "3 images"),
        (1, "subscriber", None, "1 subscriber"),
        (2, "subscriber", None, "2 subscribers"),
        (1, "view", None, "1 view"),
        (1, "miss", "misses", "1 miss"),
        (2, "miss", "misses", "2 misses"),
        (2, "entry", "entries", "2 entries"),
        (-1, "image", None, "-1 images"),
    ],
)
def test_count_of(n: int, noun: str, plural: str | None, text: str) -> None:
    assert count_of(n, noun, plural) == text
