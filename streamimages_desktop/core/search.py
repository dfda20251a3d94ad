"""Turn whatever a user types into a safe FTS5 search clause (no syntax errors, ever).

Two full-text indexes serve it (see schema._V4_TRIGRAM): `images_fts` (trigram) finds any
substring of three characters or more, `images_words` (unicode61, diacritics removed) finds
word prefixes, which is all a one- or two-character term can use with an index.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

MAX_TOKENS = 32
TRIGRAM = 3

# One term's rows: a word prefix, or a substring or a word prefix.
_WORDS_ROWS = "SELECT rowid FROM images_words WHERE images_words MATCH ?"
_SUBSTRING_ROWS = "SELECT rowid FROM images_fts WHERE images_fts MATCH ?"
_WORDS = f"images.seq IN ({_WORDS_ROWS})"
_SUBSTRING_OR_WORDS = f"images.seq IN ({_SUBSTRING_ROWS} UNION {_WORDS_ROWS})"
# The same, asked of one row: cheaper than listing a common term's rows (a tenth of the
# library for "stage"), dearer per row (~50 us an index), so only for the rows of another term.
_WORDS_HAS = "EXISTS (SELECT 1 FROM images_words WHERE images_words MATCH ? AND rowid = images.seq)"
_SUBSTRING_HAS = "EXISTS (SELECT 1 FROM images_fts WHERE images_fts MATCH ? AND rowid = images.seq)"
_SUBSTRING_OR_WORDS_HAS = f"({_SUBSTRING_HAS} OR {_WORDS_HAS})"
NOTHING = "0"

# Rows a term is counted up to (both indexes together), to find the rarest term: it lists its
# rows (fewer than COMMON), and a term with COMMON rows or more is checked on those alone.
COMMON = 100

# Counts up to `limit` of one term's rows (its SQL and parameters); the store runs it.
RowsUpTo = Callable[[str, list[str], int], int]


def _is_word_character(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category[0] in "LN" or category in ("Co", "So")


def _tokens(text: str) -> list[str]:
    cleaned = "".join(" " if (ch == '"' or not ch.isprintable()) else ch for ch in text)
    return cleaned.split()[:MAX_TOKENS]


def search_clause(
    text: str | None, rows_up_to: RowsUpTo | None = None
) -> tuple[str, list[str]] | None:
    """SQL (on `images`) and parameters for what the user typed; None means "no filter".

    Every term must match (AND). A term of three characters or more matches as a substring
    (trigram) or as a word prefix; a shorter one as a word prefix. A short term with no word
    character ("-", "++") can match nothing in the words index, so it is left out; a query made
    only of such terms matches nothing. With `rows_up_to` (the library's counts) the rarest
    term lists the rows and the common ones are checked on those; the rows are the same.
    """
    if text is None:
        return None
    tokens = _tokens(text)
    if not tokens:
        return None
    terms = [term for token in tokens if (term := _Term.of(token)) is not None]
    if not terms:
        return NOTHING, []
    if rows_up_to is not None and len(terms) > 1:
        terms = _rarest_first(terms, rows_up_to)
    parts = [t.check_clause() if t.common else t.rows_clause() for t in terms]
    return " AND ".join(parts), [p for t in terms for p in t.params]


class _Term:
    """One word of the query: its patterns, and whether it is common in this library."""

    def __init__(self, params: list[str]) -> None:
        self.params = params  # [substring, word prefix] or [word prefix]
        self.common = False

    @classmethod
    def of(cls, token: str) -> _Term | None:
        if len(token) >= TRIGRAM:
            return cls([f'"{token}"', f'"{token}"*'])
        if any(_is_word_character(ch) for ch in token):
            return cls([f'"{token}"*'])
        return None

    def rows_clause(self) -> str:
        return _SUBSTRING_OR_WORDS if len(self.params) == 2 else _WORDS

    def check_clause(self) -> str:
        return _SUBSTRING_OR_WORDS_HAS if len(self.params) == 2 else _WORDS_HAS

    def rows_up_to(self, count: RowsUpTo, limit: int) -> int:
        queries = [_SUBSTRING_ROWS, _WORDS_ROWS] if len(self.params) == 2 else [_WORDS_ROWS]
        return sum(count(q, [p], limit) for q, p in zip(queries, self.params, strict=True))


def _rarest_first(terms: list[_Term], count: RowsUpTo) -> list[_Term]:
    """The terms in the order that lists the fewest rows: the rarest first (SQLite walks the
    first `IN` list), the common ones checked per row. "encore 99993" in 100,000 images: 1 ms
    against 30 ms for listing both. When every term is common, each lists its rows as before
    (per-row checks of thousands of rows would cost more)."""
    seen = sorted(((t.rows_up_to(count, COMMON), i) for i, t in enumerate(terms)))
    if seen[0][0] >= COMMON:
        return terms
    ordered = [terms[i] for _, i in seen]
    for (rows, _), term in zip(seen, ordered, strict=True):
        term.common = rows >= COMMON
    return ordered
