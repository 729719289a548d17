"""The one text measure search uses on both databases (no Django here, so it is easy to test).

Text is *folded* before it is stored or looked for: decomposed (NFKD), combining marks
dropped, Vietnamese đ/Đ (a letter of its own, not a d with a mark) made d, case-folded and
whitespace collapsed. "Nguyễn Thị Đào" is stored as "nguyen thi dao", so "nguyen" finds it
on PostGIS and SpatiaLite alike: folding in Python rather than with ``unaccent`` (PostGIS) or
FTS5's ``remove_diacritics`` (which SQLite 3.40's trigram tokenizer lacks and which leaves đ
as it is) keeps one behaviour.

Similarity is pg_trgm's idea: the trigrams of each word padded with two spaces before and one
after; a hit is the share of the query's trigrams found in the text (1.0 when the query is a
substring). A record matches at MATCH_THRESHOLD or more, so one typo in a word of five or
more letters ("nguyn", "nguyem") still finds it.
"""

from __future__ import annotations

import re
import unicodedata

MATCH_THRESHOLD = 0.5
_SPACES = re.compile(r"\s+")
_LETTERS = str.maketrans({"đ": "d", "Đ": "d", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l"})


def fold(value: str) -> str:
    """``value`` without accents, case or repeated spaces."""
    decomposed = unicodedata.normalize("NFKD", value.translate(_LETTERS))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", bare.casefold()).strip()


def trigrams(folded: str) -> set[str]:
    """pg_trgm's trigrams of folded text: per word (letters and digits), padded "  w "."""
    grams: set[str] = set()
    for word in re.findall(r"\w+", folded):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def similarity(query: str, text: str) -> float:
    """How well folded ``text`` holds folded ``query``: 1.0 for a substring, else the share
    of the query's trigrams that the text has."""
    if not query:
        return 0.0
    if query in text:
        return 1.0
    wanted = trigrams(query)
    if not wanted:
        return 0.0
    return len(wanted & trigrams(text)) / len(wanted)
