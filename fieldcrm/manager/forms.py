"""The map's GET filters and the selection's polygon, validated against the caller's scope."""

from __future__ import annotations

import json
from typing import Any, cast

from django import forms
from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fieldcrm.access import scoped
from fieldcrm.core.geo import MAX_POLYGON_POINTS
from fieldcrm.crm.selectors import segment_list
from fieldcrm.manager.selectors import MAP_STATUSES, MapFilters, map_reps, map_tags
from fieldcrm.territories.models import Region, Territory
from fieldcrm.users.models import User
from maps import status_labels


class MapFilterForm(forms.Form):
    """Every choice comes from the caller's scope, so an id outside it is simply invalid."""

    region = forms.TypedChoiceField(label=gettext_lazy("Region"), required=False, coerce=int,
                                    empty_value=None)  # fmt: skip
    territory = forms.TypedChoiceField(label=gettext_lazy("Territory"), required=False,
                                       coerce=int, empty_value=None)  # fmt: skip
    rep = forms.TypedChoiceField(label=gettext_lazy("Rep"), required=False, coerce=int,
                                 empty_value=None)  # fmt: skip
    status = forms.MultipleChoiceField(label=gettext_lazy("Status"), required=False,
                                       widget=forms.CheckboxSelectMultiple)  # fmt: skip
    tag = forms.MultipleChoiceField(label=gettext_lazy("Tags"), required=False)
    min_days = forms.IntegerField(
        label=gettext_lazy("Not visited for at least (days)"), required=False, min_value=0,
        max_value=3650,
    )  # fmt: skip
    max_days = forms.IntegerField(
        label=gettext_lazy("Visited within (days)"), required=False, min_value=0, max_value=3650
    )
    # A saved view of the workspace's accounts list (crm.segments), within the caller's scope.
    segment = forms.TypedChoiceField(label=gettext_lazy("Segment"), required=False, coerce=int,
                                     empty_value=None)  # fmt: skip

    def _choice_field(self, name: str) -> forms.ChoiceField:
        return cast(forms.ChoiceField, self.fields[name])

    def __init__(self, data: Any, *, actor: User) -> None:
        super().__init__(data)
        anyone = [("", _("All"))]
        regions = scoped(Region, actor).order_by("name").values_list("pk", "name")
        territories = (
            scoped(Territory, actor)
            .order_by("region__name", "name")
            .values_list("pk", "name", "region__name")
        )
        reps = map_reps(actor=actor).values_list("pk", "username", "first_name", "last_name")
        self._choice_field("region").choices = anyone + list(regions)
        self._choice_field("territory").choices = anyone + [
            (pk, f"{name} ({region})") for pk, name, region in territories
        ]
        self._choice_field("rep").choices = anyone + [
            (pk, f"{first} {last}".strip() or username) for pk, username, first, last in reps
        ]
        labels = status_labels(_)
        self._choice_field("status").choices = [(s, labels[s]) for s in MAP_STATUSES]
        self._choice_field("tag").choices = [(t, t) for t in map_tags(actor=actor)]
        self._choice_field("segment").choices = anyone + [
            (s.pk, s.name) for s in segment_list(actor=actor)
        ]

    def filters(self) -> MapFilters:
        """The validated filters; call after is_valid()."""
        data = self.cleaned_data
        return MapFilters(
            region=data.get("region"),
            territory=data.get("territory"),
            rep=data.get("rep"),
            statuses=tuple(data.get("status") or ()),
            tags=tuple(data.get("tag") or ()),
            min_days=data.get("min_days"),
            max_days=data.get("max_days"),
            segment=data.get("segment"),
        )


def parse_area(value: Any) -> MultiPolygon:
    """A drawn area as a MultiPolygon in EPSG:4326, from a GeoJSON Feature or geometry (a dict
    or its JSON text). Raises ValidationError with a translated message."""
    if isinstance(value, str | bytes):
        try:
            value = json.loads(value)
        except ValueError:
            raise ValidationError(_("The selected area is not valid GeoJSON.")) from None
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    if not isinstance(value, dict) or value.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValidationError(_("Draw a polygon or a rectangle to select an area."))
    try:
        geom = GEOSGeometry(json.dumps(value), srid=4326)
    except (GEOSException, GDALException, ValueError, TypeError):
        raise ValidationError(_("The selected area is not valid GeoJSON.")) from None
    if geom.num_coords > MAX_POLYGON_POINTS:
        raise ValidationError(_("The selected area has too many points."))
    if not geom.valid or geom.empty:
        raise ValidationError(_("The selected area crosses itself; draw it again."))
    west, south, east, north = geom.extent
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise ValidationError(_("The selected area is outside the map."))
    return geom if isinstance(geom, MultiPolygon) else MultiPolygon(geom, srid=4326)
