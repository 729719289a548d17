"""Regions and the territories they are cut into."""

from __future__ import annotations

import zoneinfo

from django.apps import apps
from django.conf import settings
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from fieldcrm.core.geo import validate_boundary
from fieldcrm.core.models import CleanText


def validate_timezone(value: str) -> None:
    """An IANA zone name (``Europe/Andorra``): the planner and the pages compute in it."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            _("%(zone)s is not a known time zone."), code="timezone", params={"zone": value}
        ) from None


class Region(CleanText, models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    boundary = models.MultiPolygonField(
        _("boundary"), srid=4326, null=True, blank=True, validators=[validate_boundary]
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_regions",
    )
    timezone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_timezone]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Territory(CleanText, models.Model):
    name = models.CharField(_("name"), max_length=120)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="territories"
    )
    boundary = models.MultiPolygonField(_("boundary"), srid=4326, validators=[validate_boundary])
    reps = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reps"),
        blank=True,
        related_name="territories",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["region__name", "name"]
        verbose_name_plural = _("territories")
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="territory_name_per_region")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """A territory lies within its region: inside the region's boundary where it has one,
        and never over accounts that belong to another region's territories (a polygon drawn
        over a neighbour would otherwise take its accounts into this region's scope)."""
        super().clean()
        if self.boundary is None or self.boundary.empty or self.region_id is None:
            return
        region = self.region
        # A hair of tolerance (about 1 cm) for borders traced from the region's own edge.
        if region.boundary is not None and not region.boundary.buffer(1e-7).covers(self.boundary):
            raise ValidationError(
                {"boundary": _("A territory must lie within its region (%(region)s).")
                 % {"region": region.name}}
            )  # fmt: skip
        accounts = apps.get_model("accounts", "Account")  # accounts depends on territories
        taken = (
            accounts.objects.filter(location__within=self.boundary, territory__isnull=False)
            .exclude(territory__region_id=self.region_id)
            .count()
        )
        if taken:
            raise ValidationError(
                {"boundary": _("This boundary covers %(count)s accounts of other regions.")
                 % {"count": taken}}
            )  # fmt: skip
