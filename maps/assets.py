"""Local replacements for the CDN URLs folium and its plugins put in a page.

folium hard-codes jsDelivr, cdnjs, code.jquery.com and bootstrapcdn URLs in the class-level
`default_js`/`default_css` lists of the Map and of each plugin. Reps are often offline and many
offices block CDNs (DESIGN.md), so every element of a built map gets instance-level lists
pointing at `{static_url}vendor/...`. The caller tells the builders its static URL and serves
the files `vendor_files()` lists under it (FieldCRM's `make assets` copies them out of npm).

We assign new lists on the instance instead of calling `add_js_link`: folium's `_add_link`
mutates the class-level list in place, which would leak our URLs into every other map in the
process (and a test's CDN check would then pass for the wrong reason).
"""

from __future__ import annotations

import folium
from branca.element import Element
from folium.elements import JSCSSMixin
from folium.plugins import Draw, HeatMap, MarkerCluster

from maps.clusters import AccountCluster
from maps.tiles import PROTOMAPS_JS, VectorTiles

Links = list[tuple[str, str]]

# Paths below static_url. The keys reuse folium's names, because the page header deduplicates
# links by name: a plugin and the Map naming the same file must agree.
MAP_JS: Links = [
    ("leaflet", "vendor/leaflet/leaflet.js"),
    ("jquery", "vendor/jquery/jquery.min.js"),
    ("bootstrap", "vendor/bootstrap/js/bootstrap.bundle.min.js"),
    ("awesome_markers", "vendor/leaflet.awesome-markers/leaflet.awesome-markers.js"),
]
# folium also links Bootstrap 3 glyphicons and a "rotate" CSS from its GitHub repository; no
# npm package ships either, and only awesome-markers icons with `prefix="glyphicon"` or a
# rotation use them. Our maps use neither, so they are left out rather than served stale.
MAP_CSS: Links = [
    ("leaflet_css", "vendor/leaflet/leaflet.css"),
    ("bootstrap_css", "vendor/bootstrap/css/bootstrap.min.css"),
    ("awesome_markers_font_css", "vendor/fontawesome-free/css/all.min.css"),
    ("awesome_markers_css", "vendor/leaflet.awesome-markers/leaflet.awesome-markers.css"),
]
MARKERCLUSTER_JS: Links = [
    ("markerclusterjs", "vendor/leaflet.markercluster/leaflet.markercluster.js"),
]
MARKERCLUSTER_CSS: Links = [
    ("markerclustercss", "vendor/leaflet.markercluster/MarkerCluster.css"),
    ("markerclusterdefaultcss", "vendor/leaflet.markercluster/MarkerCluster.Default.css"),
]
# folium serves its own minified copy of Leaflet.heat from GitHub; the npm package
# `leaflet.heat` (same author, same L.heatLayer API) is the one we can install.
# The big territory map clusters with supercluster but keeps markercluster's cluster CSS.
SUPERCLUSTER_JS: Links = [("supercluster", "vendor/supercluster/supercluster.min.js")]
HEAT_JS: Links = [("leaflet-heat.js", "vendor/leaflet.heat/leaflet-heat.js")]
DRAW_JS: Links = [("leaflet_draw_js", "vendor/leaflet-draw/leaflet.draw.js")]
DRAW_CSS: Links = [("leaflet_draw_css", "vendor/leaflet-draw/leaflet.draw.css")]
LEAFLET_IMAGES = "vendor/leaflet/images/"
_STATIC_URL_KEY = "fieldcrm_static_url"

# Checked in order, so subclasses (FastMarkerCluster) must not precede a more specific entry.
_PLUGINS: list[tuple[type[JSCSSMixin], Links, Links]] = [
    (folium.Map, MAP_JS, MAP_CSS),
    (MarkerCluster, MARKERCLUSTER_JS, MARKERCLUSTER_CSS),
    (AccountCluster, SUPERCLUSTER_JS, MARKERCLUSTER_CSS),
    (HeatMap, HEAT_JS, []),
    (Draw, DRAW_JS, DRAW_CSS),
    (VectorTiles, PROTOMAPS_JS, []),
]


def vendor_files() -> list[str]:
    """Every vendor path (relative to static_url) a built map can link to."""
    lists = [MAP_JS, MAP_CSS, MARKERCLUSTER_JS, MARKERCLUSTER_CSS, SUPERCLUSTER_JS, HEAT_JS]
    lists += [DRAW_JS, DRAW_CSS, PROTOMAPS_JS]
    return [path for links in lists for _, path in links]


def _prefixed(static_url: str, links: Links) -> Links:
    return [(name, static_url + path) for name, path in links]


def _walk(element: Element) -> list[Element]:
    found = [element]
    for child in element._children.values():
        found.extend(_walk(child))
    return found


def localize_assets(m: folium.Map, static_url: str) -> folium.Map:
    """Point the Map and every plugin under it at our static files. Call it after the last
    element is added. Raises ValueError for a plugin with CDN assets we do not serve, so a
    new plugin cannot silently bring a CDN back."""
    if not static_url.endswith("/"):
        raise ValueError("static_url must end with '/' (Django's STATIC_URL does)")
    for element in _walk(m):
        if not isinstance(element, JSCSSMixin):
            continue
        for cls, js, css in _PLUGINS:
            if isinstance(element, cls):
                element.default_js = _prefixed(static_url, js)
                element.default_css = _prefixed(static_url, css)
                break
        else:
            if element.default_js or element.default_css:
                raise ValueError(f"no local assets known for {type(element).__name__}")
    # Remembered for to_standalone_html, which inlines exactly the files under this prefix.
    # Kept in the instance's own __dict__: folium.Map declares no attribute for it.
    vars(m)[_STATIC_URL_KEY] = static_url
    return m


def static_url_of(m: folium.Map) -> str:
    """The static URL `localize_assets` pointed this map at."""
    static_url = vars(m).get(_STATIC_URL_KEY)
    if not isinstance(static_url, str):
        raise ValueError("the map's assets were never localized (see localize_assets)")
    return static_url
