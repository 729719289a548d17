"""Regions and the territories they are cut into."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from fieldcrm.core.geo import validate_boundary


class Region(models.Model):
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
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Territory(models.Model):
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
