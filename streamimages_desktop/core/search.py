"""Turn whatever a user types into a safe FTS5 MATCH expression (no syntax errors, ever)."""

from __future__ import annotations

MAX_TOKENS = 32


def match_expression(text: str | None) -> str | None:
    """Each whitespace-separated word becomes a quoted prefix term ("word"*), all ANDed.

    Quotes and control characters are dropped, so nothing the user types is FTS syntax: AND,
    OR, NEAR(, '*' and parentheses are just text inside a phrase. Returns None when there is
    nothing to search for (empty or whitespace), meaning "no filter". A word made only of
    punctuation becomes an empty phrase, which FTS5 ignores next to other terms and which
    matches nothing on its own.
    """
    if text is None:
        return None
    cleaned = "".join(" " if (ch == '"' or not ch.isprintable()) else ch for ch in text)
    tokens = cleaned.split()[:MAX_TOKENS]
    if not tokens:
        return None
    return " ".join(f'"{token}"*' for token in tokens)
