"""When two accounts are probably the same shop: the duplicate rule, stated once.

Two accounts are possible duplicates when any of these holds:

- the same e-mail, compared case-insensitively after trimming;
- the same phone number: the last 9 digits of each, when both have at least 7 digits
  (so "+358 40 123 4567" and "040-123 4567" match, whatever the spacing or trunk prefix);
- similar names within 100 m: names are compared after removing accents (Vietnamese đ as d),
  case and punctuation, and are similar when difflib's ratio is at least 0.8 or one name's
  words all appear in the other's ("Pharmacy Anna" and "Anna Pharmacy Ltd").

Everything is computed in Python over a small candidate set (an indexed key, or a 100 m box),
so both databases give the same answer.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata

NEAR_M = 100.0
NAME_RATIO = 0.8
PHONE_DIGITS = 9
_EARTH_M = 6_371_008.8


def email_key(email: str) -> str:
    return email.strip().casefold()


def phone_key(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    return digits[-PHONE_DIGITS:] if len(digits) >= 7 else ""


def name_key(name: str) -> str:
    text = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(re.findall(r"\w+", text))


def names_similar(a: str, b: str) -> bool:
    return name_keys_similar(name_key(a), name_key(b))


def name_keys_similar(ka: str, kb: str) -> bool:
    """names_similar on keys already made (an importer compares one key with many)."""
    if not ka or not kb:
        return False
    words_a, words_b = set(ka.split()), set(kb.split())
    if words_a <= words_b or words_b <= words_a:
        return True
    matcher = difflib.SequenceMatcher(None, ka, kb)
    # real_quick_ratio and quick_ratio are upper bounds of ratio, far cheaper: the same answer.
    return (
        matcher.real_quick_ratio() >= NAME_RATIO
        and matcher.quick_ratio() >= NAME_RATIO
        and matcher.ratio() >= NAME_RATIO
    )


def metres_between(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    """Great-circle distance (haversine), the same on every database."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_M * math.asin(math.sqrt(h))


def box_around(lng: float, lat: float, metres: float = NEAR_M) -> tuple[float, float, float, float]:
    """A lng/lat box holding every point within ``metres`` (the candidates' index range)."""
    dlat = math.degrees(metres / _EARTH_M)
    dlng = dlat / max(math.cos(math.radians(lat)), 1e-6)
    return (lng - dlng, lat - dlat, lng + dlng, lat + dlat)
