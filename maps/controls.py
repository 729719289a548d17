"""What sits on the map rather than in a layer: the legend, Leaflet's default icon path, and
the draw control whose area reaches the page (the manager's area selection).
"""

from __future__ import annotations

from collections.abc import Sequence

import folium
from branca.element import MacroElement
from folium.plugins import Draw
from folium.template import Template

from maps.markup import Gettext, js_json

# What a legend row's swatch looks like, as drawn on the map: a marker's dot, a group of
# accounts (a ring round its count), a territory's fill, a region's outline, a route line, a
# straight one (stops joined, no street route), a numbered stop, a visit left out (a dashed
# square).
SWATCH_KINDS = ("dot", "cluster", "area", "outline", "line", "dashed-line", "stop", "left-out")
LegendItem = tuple[str, str] | tuple[str, str, str]  # label, CSS colour[, swatch kind]


class Legend(MacroElement):
    """A collapsible Leaflet control listing swatches by section, each swatch on one line with
    its label. Built with DOM calls and textContent (labels are translated user-facing text,
    names are user data), laid out with flexbox and logical CSS properties so it reads
    correctly when the page or a label is right to left. It never takes more than a third of
    the map's height and 40 % of its width (then it scrolls), and starts folded on a map
    smaller than 600 × 420 px; its button folds and unfolds it."""

    _template = Template(
        """{% macro header(this, kwargs) %}
<style>
.fieldcrm-legend { background: rgba(255,255,255,0.94); padding: 4px 8px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,0.3); font: 12px/1.35 system-ui, sans-serif;
  text-align: start; max-inline-size: 40vw; }
.fieldcrm-legend-toggle { all: unset; cursor: pointer; font-weight: 600; display: flex;
  align-items: center; gap: 6px; padding-block: 2px; }
.fieldcrm-legend-toggle:focus-visible { outline: 2px solid #1565c0; outline-offset: 2px; }
.fieldcrm-legend-toggle::after { content: "\\25BE"; }
.fieldcrm-legend-toggle[aria-expanded="false"]::after { content: "\\25B8"; }
.fieldcrm-legend-body { max-block-size: 33vh; overflow: auto; }
.fieldcrm-legend-body[hidden] { display: none; }
.fieldcrm-legend h4 { margin: 5px 0 1px; font-size: 12px; }
/* Not .row: Bootstrap (folium loads it) makes a .row's children full width, which put
   each label on a line below its swatch. */
.fieldcrm-legend-row { display: flex; align-items: center; gap: 6px; margin: 1px 0;
  white-space: nowrap; }
.fieldcrm-legend .swatch { flex: none; inline-size: 12px; block-size: 12px;
  box-sizing: border-box; }
.fieldcrm-legend .swatch-dot { border-radius: 50%; border: 1px solid #fff;
  box-shadow: 0 0 0 1px rgba(0,0,0,0.25); }
.fieldcrm-legend .swatch-cluster { inline-size: 16px; block-size: 16px; border-radius: 50%;
  border: 4px solid; background: #fff; box-shadow: 0 0 0 1px rgba(0,0,0,0.35); }
.fieldcrm-legend .swatch-area { border: 2px solid; border-radius: 2px; }
.fieldcrm-legend .swatch-outline { border: 2px solid; background: transparent; }
.fieldcrm-legend .swatch-line { inline-size: 18px; block-size: 4px; border-radius: 2px; }
.fieldcrm-legend .swatch-dashed-line { inline-size: 18px; block-size: 0;
  border-block-start: 4px dashed; }
.fieldcrm-legend .swatch-stop { inline-size: 14px; block-size: 14px; border-radius: 50%;
  border: 2px solid #fff; box-shadow: 0 0 0 1px rgba(0,0,0,0.35); }
.fieldcrm-legend .swatch-left-out { border: 2px dashed #424242; border-radius: 2px;
  background: #fff; }
</style>
{% endmacro %}
{% macro script(this, kwargs) %}
(function () {
    var data = {{ this.payload }}, map = {{ this._parent.get_name() }};
    var legend = L.control({position: {{ this.position|tojson }}});
    legend.onAdd = function () {
        var box = L.DomUtil.create('div', 'fieldcrm-legend leaflet-bar');
        box.dir = data.dir;
        var toggle = document.createElement('button'), body = document.createElement('div');
        toggle.type = 'button'; toggle.className = 'fieldcrm-legend-toggle';
        toggle.textContent = data.title; toggle.dir = 'auto';
        body.className = 'fieldcrm-legend-body';
        body.id = {{ this.get_name()|tojson }} + '_body';
        // It scrolls when long: focusable, so a keyboard can scroll it, and named.
        body.tabIndex = 0;
        body.setAttribute('role', 'region');
        body.setAttribute('aria-label', data.title);
        toggle.setAttribute('aria-controls', body.id);
        function show(open) {
            body.hidden = !open;
            toggle.setAttribute('aria-expanded', open ? 'true' : 'false');
        }
        var size = map.getSize();
        show(size.x >= 600 && size.y >= 420);
        L.DomEvent.on(toggle, 'click', function (e) {
            L.DomEvent.stop(e);
            show(body.hidden);
        });
        box.appendChild(toggle);
        data.sections.forEach(function (section) {
            var h = document.createElement('h4');
            h.dir = 'auto'; h.textContent = section[0];
            body.appendChild(h);
            section[1].forEach(function (item) {
                var row = document.createElement('div'), sw = document.createElement('span');
                var text = document.createElement('span'), kind = item[2] || 'dot';
                row.className = 'fieldcrm-legend-row'; sw.className = 'swatch swatch-' + kind;
                if (kind === 'cluster' || kind === 'outline' || kind === 'dashed-line') {
                    sw.style.borderColor = item[1];
                } else if (kind === 'area') {
                    sw.style.borderColor = item[1];
                    sw.style.backgroundColor = item[1] + '40';
                } else if (kind !== 'left-out') {
                    sw.style.backgroundColor = item[1];
                }
                text.dir = 'auto'; text.textContent = item[0];
                row.appendChild(sw); row.appendChild(text);
                body.appendChild(row);
            });
        });
        box.appendChild(body);
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
    };
    legend.addTo(map);
})();
{% endmacro %}"""
    )

    def __init__(
        self, sections: Sequence[tuple[str, Sequence[LegendItem]]], *, title: str = "Legend",
        position: str = "bottomright", direction: str = "ltr",
    ) -> None:  # fmt: skip
        super().__init__()
        self._name = "Legend"
        self.sections = [(label, list(items)) for label, items in sections if items]
        for _label, items in self.sections:
            for item in items:
                if len(item) == 3 and item[2] not in SWATCH_KINDS:
                    raise ValueError(f"unknown legend swatch {item[2]!r}")
        if direction not in ("ltr", "rtl"):
            raise ValueError(f"a direction is ltr or rtl, not {direction!r}")
        # The page's direction (a Persian reader's swatches at the start, on the right).
        self.payload = js_json({"title": title, "sections": self.sections, "dir": direction})
        self.position = position


class DefaultIconPath(MacroElement):
    """Leaflet finds its default marker images through a CSS probe that fails when the CSS is
    inlined or served from another prefix; setting imagePath makes it explicit."""

    _template = Template(
        """{% macro script(this, kwargs) %}
L.Icon.Default.prototype.options.imagePath = {{ this.path|tojson }};
{% endmacro %}"""
    )

    def __init__(self, path: str) -> None:
        super().__init__()
        self._name = "DefaultIconPath"
        self.path = path


class DrawHook(MacroElement):
    """Hands the area a manager draws to the page: calls `window.fieldcrmOnDraw(feature)`
    (or the parent page's, when the map is in a same-origin iframe) and dispatches a
    `fieldcrm:draw` DOM event; `null` when the shape is deleted. Only the latest shape is
    kept, since a selection is one area."""

    _template = Template(
        """{% macro script(this, kwargs) %}
(function () {
    var map = {{ this._parent.get_name() }};
    var drawn = drawnItems_{{ this.draw.get_name() }};
    function notify(feature) {
        var targets = [window];
        try {
            if (window.parent !== window && window.parent.fieldcrmOnDraw) {
                targets.push(window.parent);
            }
        } catch (err) { /* cross-origin parent: the DOM event below still fires */ }
        for (var i = 0; i < targets.length; i++) {
            if (typeof targets[i].fieldcrmOnDraw === 'function') {
                targets[i].fieldcrmOnDraw(feature);
                break;
            }
        }
        document.dispatchEvent(new CustomEvent('fieldcrm:draw', {detail: feature}));
    }
    map.on(L.Draw.Event.CREATED, function (e) {
        drawn.eachLayer(function (layer) {
            if (layer !== e.layer) { drawn.removeLayer(layer); }
        });
        notify(e.layer.toGeoJSON());
    });
    map.on(L.Draw.Event.EDITED, function () {
        var layers = drawn.getLayers();
        notify(layers.length ? layers[layers.length - 1].toGeoJSON() : null);
    });
    map.on(L.Draw.Event.DELETED, function () {
        if (!drawn.getLayers().length) { notify(null); }
    });
    var local = {{ this.strings }};
    L.drawLocal.draw.toolbar.buttons.polygon = local.polygon;
    L.drawLocal.draw.toolbar.buttons.rectangle = local.rectangle;
    L.drawLocal.draw.toolbar.actions.text = local.cancel;
    L.drawLocal.draw.toolbar.finish.text = local.finish;
    L.drawLocal.draw.toolbar.undo.text = local.undo;
    L.drawLocal.edit.toolbar.buttons.edit = local.edit;
    L.drawLocal.edit.toolbar.buttons.remove = local.remove;
})();
{% endmacro %}"""
    )

    def __init__(self, draw: Draw, _: Gettext) -> None:
        super().__init__()
        self._name = "DrawHook"
        self.draw = draw
        self.strings = js_json({
            "polygon": _("Select an area"),
            "rectangle": _("Select a rectangle"),
            "cancel": _("Cancel"),
            "finish": _("Finish"),
            "undo": _("Delete last point"),
            "edit": _("Edit the selection"),
            "remove": _("Clear the selection"),
        })  # fmt: skip


def draw_control(m: folium.Map, _: Gettext) -> Draw:
    """Polygon and rectangle only: the selection is an area of accounts."""
    draw = Draw(
        export=False,
        position="topleft",
        draw_options={
            "polyline": False, "circle": False, "marker": False, "circlemarker": False,
            "polygon": {"allowIntersection": False, "showArea": False},
            "rectangle": {"showArea": False},
        },
        edit_options={"poly": {"allowIntersection": False}},
    )  # fmt: skip
    draw.add_to(m)
    # The hook goes after the Draw control: it refers to the control's feature group, and
    # drawLocal must be patched before a toolbar is (re)built. Leaflet.draw reads drawLocal
    # when handlers are enabled, so patching after the control is added still takes effect.
    DrawHook(draw, _).add_to(m)
    return draw
