"""Counted nouns for messages: "1 image", "3 images", never "3 image(s)"."""

from __future__ import annotations


def count_of(n: int, noun: str, plural: str | None = None) -> str:
    """`n` and the noun in the right number; `plural` when it is not noun + "s"."""
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"
