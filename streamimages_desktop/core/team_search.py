"""What a user types as a PostgreSQL search clause, matching exactly what the local library
finds (core/search.py): every term must match; a term of three characters or more matches as
a case-insensitive substring or as a word prefix, a shorter one as a word prefix only.

Substrings: LIKE on the folded text, served by the pg_trgm index (team_schema); the LIKE
wildcards of the term are escaped. Word prefixes: the generated `words` tsvector, whose
configuration removes diacritics like SQLite's unicode61 tokenizer, so "cafe" finds "Café".
The clause is written with `?` marks, as Store's SQL is (core/team_store.py adapts them).

Known differences (tests/core/team/test_team_search.py lists them): unaccent also expands
ligatures, so "strasse" finds "straße" here and not locally; a short term holding a symbol
(an emoji), which PostgreSQL's parser never makes a word, matches as a substring.
"""

from __future__ import annotations

import re

from streamimages_desktop.core.search import TRIGRAM, _is_word_character, _tokens

_FOLDED = (
    "lower((images.title || ' ' || images.description || ' ' || images.original_name)"
    " COLLATE streamimages_fold)"
)
_SUBSTRING = f"{_FOLDED} LIKE lower(CAST(? AS text) COLLATE streamimages_fold) ESCAPE '\\'"
_PREFIX = "images.words @@ to_tsquery('streamimages_words', ?)"
_WORD_RE = re.compile(r"[^\W_]+")


def _is_symbol(ch: str) -> bool:
    """A word character locally (core/search.py) that is no letter or digit (So, Co)."""
    return _is_word_character(ch) and not ch.isalnum()


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _prefix_query(term: str) -> str | None:
    """A tsquery for the term's words in a row, the last one as a prefix (as FTS5's `"t"*`)."""
    words = _WORD_RE.findall(term)
    if not words or any(_is_symbol(ch) for ch in term):  # no word of PostgreSQL's holds one
        return None
    quoted = ["'" + w.replace("\\", "\\\\").replace("'", "\\'") + "'" for w in words]
    quoted[-1] += ":*"
    return " <-> ".join(quoted)


def search_clause(text: str | None) -> tuple[str, list[str]] | None:
    """SQL (on `images`) and parameters for what the user typed; None means "no filter"."""
    if text is None:
        return None
    tokens = _tokens(text)
    if not tokens:
        return None
    parts: list[str] = []
    params: list[str] = []
    for token in tokens:
        prefix = _prefix_query(token)
        if len(token) >= TRIGRAM:
            if prefix is None:
                parts.append(_SUBSTRING)
                params.append(_like(token))
            else:
                parts.append(f"({_SUBSTRING} OR {_PREFIX})")
                params.extend((_like(token), prefix))
        elif any(_is_symbol(ch) for ch in token):
            # PostgreSQL's word parser drops symbols (an emoji), which SQLite's words index
            # keeps as word characters: the nearest match is the substring.
            parts.append(_SUBSTRING)
            params.append(_like(token))
        elif prefix is not None:
            parts.append(_PREFIX)
            params.append(prefix)
    if not parts:
        return "FALSE", []  # only terms that can match nothing (as locally)
    return " AND ".join(parts), params
