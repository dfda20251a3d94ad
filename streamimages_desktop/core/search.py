"""Turn whatever a user types into a safe FTS5 search clause (no syntax errors, ever).

Two full-text indexes serve it (see schema._V4_TRIGRAM): `images_fts` (trigram) finds any
substring of three characters or more, `images_words` (unicode61, diacritics removed) finds
word prefixes, which is all a one- or two-character term can use with an index.
"""

from __future__ import annotations

import unicodedata

MAX_TOKENS = 32
TRIGRAM = 3

_WORDS = "images.seq IN (SELECT rowid FROM images_words WHERE images_words MATCH ?)"
_SUBSTRING_OR_WORDS = (
    "images.seq IN (SELECT rowid FROM images_fts WHERE images_fts MATCH ?"
    " UNION SELECT rowid FROM images_words WHERE images_words MATCH ?)"
)
NOTHING = "0"


def _is_word_character(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category[0] in "LN" or category in ("Co", "So")


def _tokens(text: str) -> list[str]:
    cleaned = "".join(" " if (ch == '"' or not ch.isprintable()) else ch for ch in text)
    return cleaned.split()[:MAX_TOKENS]


def search_clause(text: str | None) -> tuple[str, list[str]] | None:
    """SQL (on `images`) and parameters for what the user typed; None means "no filter".

    Every term must match (AND). A term of three characters or more matches as a substring
    (trigram) or as a word prefix; a shorter one as a word prefix. A short term with no word
    character ("-", "++") can match nothing in the words index, so it is left out; a query made
    only of such terms matches nothing.
    """
    if text is None:
        return None
    tokens = _tokens(text)
    if not tokens:
        return None
    parts: list[str] = []
    params: list[str] = []
    for token in tokens:
        if len(token) >= TRIGRAM:
            parts.append(_SUBSTRING_OR_WORDS)
            params.extend((f'"{token}"', f'"{token}"*'))
        elif any(_is_word_character(ch) for ch in token):
            parts.append(_WORDS)
            params.append(f'"{token}"*')
    if not parts:
        return NOTHING, []
    return " AND ".join(parts), params
