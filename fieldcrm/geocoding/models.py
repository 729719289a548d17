"""What a geocoder's answer is worth. No table here: the address index is a file (index.py).

``GeocodeQuality`` is stored on each account a geocoder placed (``Account.geocode_quality``);
the workspace flags the low ones for review.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class GeocodeQuality(models.TextChoices):
    """How precisely an address was found, best first."""

    HOUSE_NUMBER = "house_number", _("house number")
    STREET = "street", _("street")
    PLACE = "place", _("place")
    NONE = "none", _("not found")


# Where the geocoder's guess may be far from the real door: a person should look.
NEEDS_REVIEW = (GeocodeQuality.PLACE, GeocodeQuality.NONE)
